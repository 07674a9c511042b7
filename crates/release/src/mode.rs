//! File modes in bundles: normalised to `0644`/`0755` (directories `0755`),
//! written in manifests as octal strings (`"0755"`).

use serde::{Deserialize, Deserializer, Serializer};

pub(crate) const FILE_MODE: u32 = 0o644;
pub(crate) const EXECUTABLE_MODE: u32 = 0o755;
pub(crate) const DIR_MODE: u32 = 0o755;

/// `0755` when the owner may execute, else `0644`.
pub(crate) fn normalised_file_mode(mode: u32) -> u32 {
    if mode & 0o100 != 0 {
        EXECUTABLE_MODE
    } else {
        FILE_MODE
    }
}

pub(crate) fn serialize<S: Serializer>(mode: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{mode:04o}"))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let text = String::deserialize(deserializer)?;
    u32::from_str_radix(&text, 8)
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not an octal mode")))
}
