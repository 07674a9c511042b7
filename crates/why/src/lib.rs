//! Log line to source: which code prints this line?
//!
//! source tree → [`walk`] (skip vendored and generated code) → per-file
//! [`extract`] (string literals, placeholders, enclosing function, flags it
//! refers to) → [`Index`] (token → templates; blame per line when built for a
//! bundle) → [`Index::lookup`] (normalize the log line, candidates through
//! the postings, fragment alignment score).
//!
//! An index serializes to compact JSON ([`Index::to_bytes`]); `daytwo build`
//! stores it in the release bundle (crates/release, `why_index`) and
//! `daytwo why --release` reads it back. This crate knows nothing of
//! releases: [`Match::release`] is filled in by the caller (docs/why.md).

pub mod blame;
pub mod extract;
pub mod flags;
mod function;
mod index;
mod language;
mod literal;
pub mod log_line;
mod placeholder;
mod score;
mod template;
pub mod walk;

pub use blame::{Blame, blame_line};
pub use index::{DEFAULT_LIMIT, INDEX_FORMAT, Index, IndexOptions, MIN_SCORE, Match};
pub use language::Language;
pub use template::Template;

use std::path::PathBuf;

/// Why building or reading an index failed.
#[derive(Debug, thiserror::Error)]
pub enum WhyError {
    #[error("cannot read the source directory {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("the log-template index is not readable: {reason}")]
    BadIndex { reason: String },
}
