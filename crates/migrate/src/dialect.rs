//! The SQL dialects daytwo lints and runs: PostgreSQL and SQLite.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which database a migration directory targets. It decides the parser
/// dialect and whether PostgreSQL lock hazards are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// The dialect of a database URL (`postgres://`, `postgresql://`,
    /// `sqlite:`), if it is one daytwo knows.
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else {
            None
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was neither `postgres` nor `sqlite`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SQL dialect `{0}` (expected `postgres` or `sqlite`)")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "sqlite" | "sqlite3" => Ok(Dialect::Sqlite),
            _ => Err(UnknownDialect(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_is_read_from_names_and_urls() {
        assert_eq!("postgresql".parse::<Dialect>(), Ok(Dialect::Postgres));
        assert_eq!("SQLite".parse::<Dialect>(), Ok(Dialect::Sqlite));
        assert!("mysql".parse::<Dialect>().is_err());
        assert_eq!(
            Dialect::of_url("postgres://u@h/db"),
            Some(Dialect::Postgres)
        );
        assert_eq!(
            Dialect::of_url("sqlite:///tmp/app.db"),
            Some(Dialect::Sqlite)
        );
        assert_eq!(Dialect::of_url("mysql://h/db"), None);
    }
}
