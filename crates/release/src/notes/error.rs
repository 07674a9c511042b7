//! Why notes could not be made: an unreadable store or a release name that
//! matches nothing (or more than one release).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no release `{query}` in the store ({known})")]
    UnknownRelease { query: String, known: String },
    #[error("`{query}` matches several releases: {matches}")]
    AmbiguousRelease { query: String, matches: String },
}
