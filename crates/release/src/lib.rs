//! Release bundles: a release is an immutable, signed tar + zstd file built
//! once from a spec's `[build]` and identified by the sha256 digest of its
//! content.
//!
//! ```text
//! build: [build] command ─> artifacts ─> manifest + digest ─> sign ─> <app>-<version>.tar.zst
//! import: bundle ─verify (read all, write nothing)─> copy + extract to temp ─fsync─> rename into the store
//! ```
//!
//! This crate owns the bundle format (docs/releases.md), the digest, ed25519
//! keys and signatures, the trust directory, verification, safe extraction
//! and the files of the release store. It does not own the store's SQLite
//! records, deploys or the CLI: the daemon and the CLI call into it.

mod archive;
mod artifacts;
mod build;
mod build_command;
mod digest;
mod error;
mod extract;
mod git;
pub mod keys;
mod limits;
mod manifest;
pub mod migrations;
mod mode;
pub mod notes;
mod scan;
mod signature;
mod store;
pub mod trust;
mod verify;
pub mod why_index;

pub use build::{BuildOptions, BuiltBundle, SOURCE_DATE_EPOCH, build, bundle_file_name};
pub use digest::ReleaseDigest;
pub use error::{EntryProblem, ReleaseError};
pub use keys::{KeyId, KeyPairFiles, PublicKey, SigningKey};
pub use limits::{
    ExtractLimits, MAX_COMPRESSION_RATIO, MAX_ENTRIES, MAX_ENTRY_SIZE, MAX_MANIFEST_SIZE,
    MAX_PATH_LEN, MAX_TOTAL_SIZE, RATIO_GRACE_BYTES,
};
pub use manifest::{
    BUNDLE_FORMAT, Entry, EntryKind, GitInfo, MANIFEST_ENTRY, Manifest, PAYLOAD_PREFIX,
    SIGNATURE_ENTRY, portable_spec,
};
pub use migrations::{MigrationEntry, lint_dialect};
pub use signature::{SIGNATURE_CONTEXT, SignatureEntry, signed_message};
pub use store::{APP_DIR, StoredRelease, import, import_with};
pub use verify::{VerifiedBundle, verify, verify_with};
