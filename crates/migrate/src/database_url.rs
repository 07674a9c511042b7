//! Database URLs the runner accepts: `sqlite://PATH` (`sqlite:///abs/app.db`,
//! `sqlite://data/app.db` relative to the working directory, also
//! `sqlite:PATH`) and `postgres://…` / `postgresql://…` (libpq URL form).

use crate::dialect::Dialect;
use crate::error::MigrateError;
use std::path::PathBuf;

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
}
