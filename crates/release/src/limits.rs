//! Limits enforced while reading a bundle, so a hostile file cannot fill the
//! disk or memory. The defaults are generous for real apps; tests lower them.

/// The largest single file in a bundle.
pub const MAX_ENTRY_SIZE: u64 = 1 << 30;
/// The largest sum of file sizes in a bundle.
pub const MAX_TOTAL_SIZE: u64 = 4 << 30;
/// The most entries (files and directories) in a bundle.
pub const MAX_ENTRIES: u64 = 100_000;
/// The largest `manifest.json` or `signature.json`.
pub const MAX_MANIFEST_SIZE: u64 = 16 << 20;
/// The longest entry path, in bytes.
pub const MAX_PATH_LEN: usize = 4096;
/// Unpacked bytes may be at most this many times the compressed bytes read
/// so far (once past [`RATIO_GRACE_BYTES`]).
pub const MAX_COMPRESSION_RATIO: u64 = 200;
/// Unpacked bytes allowed before the compression ratio is enforced.
pub const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// The limits applied while a bundle is scanned and extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractLimits {
    pub max_entry_size: u64,
    pub max_total_size: u64,
    pub max_entries: u64,
    pub max_compression_ratio: u64,
    pub ratio_grace_bytes: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_entry_size: MAX_ENTRY_SIZE,
            max_total_size: MAX_TOTAL_SIZE,
            max_entries: MAX_ENTRIES,
            max_compression_ratio: MAX_COMPRESSION_RATIO,
            ratio_grace_bytes: RATIO_GRACE_BYTES,
        }
    }
}
