//! The crate's one error type: each variant names the step that failed.

use std::path::PathBuf;
use std::time::Duration;

/// An error from the database driver (SQLite or PostgreSQL).
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error(transparent)]
    Sqlite(Box<rusqlite::Error>),
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
}

impl From<rusqlite::Error> for DatabaseError {
    fn from(error: rusqlite::Error) -> Self {
        DatabaseError::Sqlite(Box::new(error))
    }
}

/// PostgreSQL errors print as "db error"; the server's message is inside.
fn postgres_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => error.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot read migration directory {}: {source}", dir.display())]
    ReadDir {
        dir: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot read migration {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Bad names, duplicate versions, gaps, a down file without its up file.
    #[error("invalid migration files in {}:\n  {}", dir.display(), problems.join("\n  "))]
    Files { dir: PathBuf, problems: Vec<String> },

    #[error("unsupported database URL `{url}`: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl { url: String },

    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: DatabaseError },

    #[error("another runner holds the migration lock on {url}; gave up after {waited:?}")]
    LockTimeout { url: String, waited: Duration },

    #[error("cannot use the schema history table daytwo_schema_history: {source}")]
    History { source: DatabaseError },

    /// An applied migration's file no longer matches what was applied.
    #[error(
        "migration {file} was changed after it was applied (checksum {applied} in daytwo_schema_history, {current} on disk); \
         restore the file and put the change in a new migration"
    )]
    ChecksumChanged {
        file: String,
        applied: String,
        current: String,
    },

    /// A statement failed; `transactional` tells whether the migration's
    /// earlier statements were rolled back.
    #[error(
        "migration {file} failed at line {line}: {source}{}\n  statement: {statement}",
        if *transactional { " (rolled back: the schema is unchanged)" } else { " (ran without a transaction: earlier statements of this file stay applied)" }
    )]
    Migration {
        file: String,
        line: usize,
        statement: String,
        transactional: bool,
        source: DatabaseError,
    },
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }
}
