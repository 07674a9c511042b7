//! Log line to source: which code prints this line?
//!
//! source tree → [`walk`] → per-file [`extract`] (string literals, placeholders,
//! enclosing function) → [`Index`] (token → templates) → [`Index::lookup`]
//! (normalize the log line, candidates by shared tokens, fragment alignment
//! score) → [`blame`] (commit and author of the matched line).
//!
//! This crate owns template extraction and matching. It does not store the
//! index in release bundles nor know about releases (`release` stays `None`
//! for the working tree).

pub mod blame;
pub mod extract;
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
pub use index::{DEFAULT_LIMIT, Index, Match};
pub use language::Language;
pub use template::Template;

use std::path::PathBuf;

/// Why building an index failed.
#[derive(Debug, thiserror::Error)]
pub enum WhyError {
    #[error("cannot read the source directory {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a directory")]
    NotADirectory { path: PathBuf },
}
