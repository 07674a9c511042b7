//! The crate's error: run-time flag changes that do not fit, and serving.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum FlagsError {
    #[error("env `{env}` has no flag `{name}`")]
    UnknownFlag { env: String, name: String },
    #[error("cannot set `{name}`: {problem}")]
    InvalidValue { name: String, problem: String },
    #[error("flag `{name}` cannot be served: {problem}")]
    InvalidFlag { name: String, problem: String },
    #[error("serving OFREP on {addr} failed")]
    Serve {
        addr: String,
        #[source]
        source: io::Error,
    },
}
