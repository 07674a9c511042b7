//! Test support: migration directories in temp dirs, a throwaway SQLite
//! file, and a fresh PostgreSQL database per test.

use std::path::Path;

/// Set to the URL of a PostgreSQL server the tests may create databases on.
pub const POSTGRES_URL_VAR: &str = "DAYTWO_TEST_POSTGRES_URL";

/// A temp dir holding migration files (and, for SQLite, the database).
pub struct Workspace {
    pub root: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join("migrations")).expect("migrations dir");
        Workspace { root }
    }

    pub fn dir(&self) -> std::path::PathBuf {
        self.root.path().join("migrations")
    }

    pub fn write(&self, file: &str, sql: &str) -> &Self {
        std::fs::write(self.dir().join(file), sql).expect("write migration");
        self
    }

    pub fn remove(&self, file: &str) {
        std::fs::remove_file(self.dir().join(file)).expect("remove migration");
    }

    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.root.path().join("app.db").display())
    }
}

/// A database created for one test on the server named by
/// `DAYTWO_TEST_POSTGRES_URL`; dropped (with FORCE) on Drop.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    /// `None` when the variable is unset and `CI` is not: the caller skips.
    /// With `CI=true` a missing server is a failure, never a skip.
    pub fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{POSTGRES_URL_VAR} is not set but CI=true: start PostgreSQL with crates/migrate/tests/start-postgres.sh"
                );
            }
            eprintln!(
                "skipping: {POSTGRES_URL_VAR} is not set (run crates/migrate/tests/start-postgres.sh)"
            );
            return None;
        };
        let name = format!("daytwo_test_{:016x}", fastrand::u64(..));
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .expect("connect to the test server");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) if base.contains("://") && base.len() > "postgres://".len() => {
                format!("{base}/{name}")
            }
            _ => panic!(
                "{POSTGRES_URL_VAR} must end with /DATABASE, e.g. postgres://postgres@127.0.0.1:5432/postgres"
            ),
        };
        Some(PostgresDatabase {
            admin_url,
            name,
            url,
        })
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to the test database")
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Tables of the SQLite database at `path` (excluding sqlite internals).
pub fn sqlite_tables(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("open sqlite");
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("prepare");
    statement
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Tables of the public schema of a PostgreSQL database.
pub fn postgres_tables(db: &PostgresDatabase) -> Vec<String> {
    db.client()
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
            &[],
        )
        .expect("list tables")
        .iter()
        .map(|row| row.get(0))
        .collect()
}
