//! Database URLs the runner accepts: `sqlite://PATH` (`sqlite:///abs/app.db`,
//! `sqlite://data/app.db` relative to the working directory, also
//! `sqlite:PATH`) and `postgres://…` / `postgresql://…` (libpq URL form).
//!
//! The runner itself resolves a relative SQLite path against the working
//! directory; callers that know better (daytwo: the env's data directory)
//! resolve it first with [`resolve_sqlite_path`].

use crate::dialect::Dialect;
use crate::error::MigrateError;
use std::path::{Path, PathBuf};

/// `url` with a relative SQLite path made absolute against `base`
/// (`sqlite://shop.db` → `sqlite:///<base>/shop.db`, also `sqlite:shop.db`).
/// Absolute SQLite paths, SQLite's special names (`:memory:`), PostgreSQL
/// and unknown URLs come back unchanged.
pub fn resolve_sqlite_path(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return url.to_string();
    };
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() || path.starts_with('/') || path.starts_with(':') {
        return url.to_string();
    }
    format!("sqlite://{}", base.join(path).display())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, MigrateError> {
        match Dialect::of_url(url) {
            Some(Dialect::Postgres) => Ok(DatabaseUrl::Postgres(url.to_string())),
            Some(Dialect::Sqlite) => {
                let rest = url.strip_prefix("sqlite:").unwrap_or(url);
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(MigrateError::UnsupportedUrl {
                        url: url.to_string(),
                    });
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
            }
            None => Err(MigrateError::UnsupportedUrl {
                url: crate::error::redact_url(url),
            }),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            DatabaseUrl::Sqlite(_) => Dialect::Sqlite,
            DatabaseUrl::Postgres(_) => Dialect::Postgres,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_urls_are_understood() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/app.db").unwrap(),
            DatabaseUrl::Sqlite("/var/app.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/app.db").unwrap(),
            DatabaseUrl::Sqlite("data/app.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:app.db").unwrap(),
            DatabaseUrl::Sqlite("app.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().dialect(),
            Dialect::Postgres
        );
        let error = DatabaseUrl::parse("mysql://u:pw@h/db")
            .unwrap_err()
            .to_string();
        assert!(error.contains("mysql://u:***@h/db"), "{error}");
    }

    #[test]
    fn relative_sqlite_paths_resolve_against_the_base_and_others_stay() {
        let base = Path::new("/home/d2/data/qa");
        assert_eq!(
            resolve_sqlite_path("sqlite://shop.db", base),
            "sqlite:///home/d2/data/qa/shop.db"
        );
        assert_eq!(
            resolve_sqlite_path("sqlite:db/shop.db", base),
            "sqlite:///home/d2/data/qa/db/shop.db"
        );
        for unchanged in [
            "sqlite:///var/shop.db",
            "sqlite:/var/shop.db",
            "sqlite::memory:",
            "sqlite://:memory:",
            "postgres://app@db/shop",
            "mysql://app@db/shop",
        ] {
            assert_eq!(resolve_sqlite_path(unchanged, base), unchanged);
        }
        let resolved = resolve_sqlite_path("sqlite://shop.db", base);
        assert_eq!(
            DatabaseUrl::parse(&resolved).unwrap(),
            DatabaseUrl::Sqlite("/home/d2/data/qa/shop.db".into())
        );
    }
}
