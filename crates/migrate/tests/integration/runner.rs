//! The runner against a real SQLite file and a real PostgreSQL database:
//! every behaviour is tested on both (`sqlite::…`, `postgres::…`).

use crate::support::{PostgresDatabase, Workspace, postgres_tables, sqlite_tables};
use daytwo_migrate::{MigrateError, MigrationState, UpOptions, plan, status, up, up_with};
use std::any::Any;
use std::time::Duration;

trait Backend: Sync {
    fn workspace(&self) -> &Workspace;
    fn url(&self) -> String;
    fn tables(&self) -> Vec<String>;
    /// Holds the migration lock as another runner would, until dropped.
    fn hold_lock(&self) -> Box<dyn Any>;
    /// SQL that takes a moment, to make two runners overlap.
    fn slow_statement(&self) -> &'static str;
}

struct Sqlite(Workspace);

impl Backend for Sqlite {
    fn workspace(&self) -> &Workspace {
        &self.0
    }
    fn url(&self) -> String {
        self.0.sqlite_url()
    }
    fn tables(&self) -> Vec<String> {
        sqlite_tables(&self.0.root.path().join("app.db"))
    }
    fn hold_lock(&self) -> Box<dyn Any> {
        let conn = rusqlite::Connection::open(self.0.root.path().join("app.db")).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        Box::new(conn)
    }
    fn slow_statement(&self) -> &'static str {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT count(*) FROM n"
    }
}

struct Postgres(Workspace, PostgresDatabase);

impl Backend for Postgres {
    fn workspace(&self) -> &Workspace {
        &self.0
    }
    fn url(&self) -> String {
        self.1.url.clone()
    }
    fn tables(&self) -> Vec<String> {
        postgres_tables(&self.1)
    }
    fn hold_lock(&self) -> Box<dyn Any> {
        let mut client = self.1.client();
        client
            .execute(
                "SELECT pg_advisory_lock($1)",
                &[&daytwo_migrate::ADVISORY_LOCK_KEY],
            )
            .unwrap();
        Box::new(client)
    }
    fn slow_statement(&self) -> &'static str {
        "SELECT pg_sleep(0.2)"
    }
}

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&super::Sqlite(crate::support::Workspace::new()));
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                let Some(db) = crate::support::PostgresDatabase::create() else { return };
                super::$name(&super::Postgres(crate::support::Workspace::new(), db));
            })*
        }
    };
}

on_both_databases!(
    applies_migrations_in_version_order_and_records_history,
    refuses_to_run_when_an_applied_migration_changed_naming_the_file,
    failed_migration_leaves_the_schema_unchanged_and_stops,
    two_runners_at_once_apply_each_migration_exactly_once,
    a_held_lock_makes_the_second_runner_fail_clearly_after_the_timeout,
    applied_migrations_missing_from_an_older_release_are_tolerated,
    plan_lists_pending_migrations_without_applying_them,
);

fn applies_migrations_in_version_order_and_records_history(db: &dyn Backend) {
    let ws = db.workspace();
    ws.write(
        "0002_add_email.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;",
    )
    .write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    )
    .write("0001_users.down.sql", "DROP TABLE users;")
    .write(
        "0003_seed.sql",
        "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'a@x');",
    );

    let applied = up(&db.url(), &ws.dir(), Some("sha256:feed")).unwrap();
    let files: Vec<&str> = applied.iter().map(|a| a.file.as_str()).collect();
    assert_eq!(
        files,
        ["0001_users.sql", "0002_add_email.sql", "0003_seed.sql"]
    );
    assert!(applied.iter().all(|a| a.transactional));
    assert_eq!(db.tables(), ["daytwo_schema_history", "users"]);

    let statuses = status(&db.url(), &ws.dir()).unwrap();
    assert!(
        statuses.iter().all(|s| s.state == MigrationState::Applied),
        "{statuses:#?}"
    );
    let rows: Vec<_> = statuses
        .iter()
        .map(|s| s.applied.clone().unwrap())
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(rows[1].name, "add_email");
    assert!(
        rows.iter()
            .all(|r| r.release_digest.as_deref() == Some("sha256:feed"))
    );
    assert!(rows.iter().all(|r| r.checksum.len() == 64));
    for row in &rows {
        row.applied_at
            .parse::<jiff::Timestamp>()
            .expect("applied_at is RFC 3339");
    }

    assert!(
        up(&db.url(), &ws.dir(), None).unwrap().is_empty(),
        "nothing left to apply"
    );
}

fn refuses_to_run_when_an_applied_migration_changed_naming_the_file(db: &dyn Backend) {
    let ws = db.workspace();
    ws.write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);",
    );
    up(&db.url(), &ws.dir(), None).unwrap();
    ws.write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    )
    .write("0002_more.sql", "CREATE TABLE more (id INTEGER);");

    let error = up(&db.url(), &ws.dir(), None).unwrap_err();
    assert!(
        matches!(error, MigrateError::ChecksumChanged { ref file, .. } if file == "0001_users.sql")
    );
    assert!(
        error
            .to_string()
            .contains("migration 0001_users.sql was changed after it was applied")
    );
    assert!(
        !db.tables().contains(&"more".to_string()),
        "nothing runs after the refusal"
    );
    let states: Vec<_> = status(&db.url(), &ws.dir())
        .unwrap()
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(states, [MigrationState::Changed, MigrationState::Pending]);
}

fn failed_migration_leaves_the_schema_unchanged_and_stops(db: &dyn Backend) {
    let ws = db.workspace();
    ws.write("0001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);")
        .write(
            "0002_broken.sql",
            "CREATE TABLE half (id INTEGER);\nALTER TABLE users ADD COLUMN email TEXT;\n\nINSERT INTO no_such_table VALUES (1);\n",
        )
        .write("0003_after.sql", "CREATE TABLE after (id INTEGER);");

    let error = up(&db.url(), &ws.dir(), None).unwrap_err();
    let MigrateError::Migration {
        file,
        line,
        statement,
        transactional,
        ..
    } = &error
    else {
        panic!("unexpected error {error}");
    };
    assert_eq!(
        (file.as_str(), *line, *transactional),
        ("0002_broken.sql", 4, true)
    );
    assert_eq!(statement, "INSERT INTO no_such_table VALUES (1)");
    assert!(
        error
            .to_string()
            .contains("rolled back: the schema is unchanged"),
        "{error}"
    );

    assert_eq!(
        db.tables(),
        ["daytwo_schema_history", "users"],
        "0002 rolled back, 0003 not run"
    );
    let states: Vec<_> = status(&db.url(), &ws.dir())
        .unwrap()
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(
        states,
        [
            MigrationState::Applied,
            MigrationState::Pending,
            MigrationState::Pending
        ]
    );
    // The column added by the failed migration is gone too.
    ws.write(
        "0002_broken.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;",
    );
    up(&db.url(), &ws.dir(), None).expect("the fixed migration applies cleanly");
}

fn two_runners_at_once_apply_each_migration_exactly_once(db: &dyn Backend) {
    let ws = db.workspace();
    for version in 1..=4 {
        ws.write(
            &format!("000{version}_step.sql"),
            &format!(
                "{};\nCREATE TABLE t{version} (id INTEGER);",
                db.slow_statement()
            ),
        );
    }
    let url = db.url();
    let dir = ws.dir();
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| up(&url, &dir, Some("runner-a")));
        let b = scope.spawn(|| up(&url, &dir, Some("runner-b")));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (a.expect("runner a"), b.expect("runner b"));
    let mut versions: Vec<u64> = a.iter().chain(&b).map(|m| m.version).collect();
    versions.sort();
    assert_eq!(
        versions,
        [1, 2, 3, 4],
        "each migration applied by exactly one runner"
    );
    assert_eq!(status(&url, &dir).unwrap().len(), 4);
}

fn a_held_lock_makes_the_second_runner_fail_clearly_after_the_timeout(db: &dyn Backend) {
    let ws = db.workspace();
    ws.write("0001_users.sql", "CREATE TABLE users (id INTEGER);");
    // The history table must exist before SQLite's lock holder starts.
    up(&db.url(), &ws.dir(), None).unwrap();
    ws.write("0002_more.sql", "CREATE TABLE more (id INTEGER);");

    let guard = db.hold_lock();
    let options = UpOptions {
        lock_timeout: Duration::from_millis(300),
        ..UpOptions::default()
    };
    let error = up_with(&db.url(), &ws.dir(), &options).unwrap_err();
    assert!(matches!(error, MigrateError::LockTimeout { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("another runner holds the migration lock"),
        "{error}"
    );
    drop(guard);

    let applied = up_with(&db.url(), &ws.dir(), &options).unwrap();
    assert_eq!(applied.len(), 1, "runs once the lock is free");
}

fn applied_migrations_missing_from_an_older_release_are_tolerated(db: &dyn Backend) {
    let ws = db.workspace();
    ws.write("0001_users.sql", "CREATE TABLE users (id INTEGER);")
        .write("0002_visits.sql", "CREATE TABLE visits (id INTEGER);");
    up(&db.url(), &ws.dir(), None).unwrap();
    ws.remove("0002_visits.sql");

    let states: Vec<_> = status(&db.url(), &ws.dir())
        .unwrap()
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(states, [MigrationState::Applied, MigrationState::Missing]);
    assert!(up(&db.url(), &ws.dir(), None).unwrap().is_empty());
}

fn plan_lists_pending_migrations_without_applying_them(db: &dyn Backend) {
    let ws = db.workspace();
    ws.write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER);\nCREATE TABLE b (id INTEGER);",
    );
    let planned = plan(&db.url(), &ws.dir()).unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!((planned[0].statements, planned[0].transactional), (2, true));
    assert!(
        db.tables().is_empty(),
        "plan changes nothing: {:?}",
        db.tables()
    );
}

#[test]
fn postgres_concurrent_index_runs_without_a_transaction_with_a_note() {
    let Some(database) = PostgresDatabase::create() else {
        return;
    };
    let ws = Workspace::new();
    ws.write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER, email TEXT);",
    )
    .write(
        "0002_email_index.sql",
        "-- fast lookups\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n",
    );
    let planned = plan(&database.url, &ws.dir()).unwrap();
    assert!(planned[0].transactional);
    assert!(!planned[1].transactional);

    let applied = up(&database.url, &ws.dir(), None).unwrap();
    assert!(!applied[1].transactional);
    let note = applied[1].note.as_deref().unwrap();
    assert!(
        note.contains("line 2") && note.contains("CONCURRENTLY"),
        "{note}"
    );
    let found: i64 = database
        .client()
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(found, 1);
}

#[test]
fn postgres_failure_names_the_server_error() {
    let Some(database) = PostgresDatabase::create() else {
        return;
    };
    let ws = Workspace::new();
    ws.write(
        "0001_bad.sql",
        "CREATE TABLE a (id INTEGER);\nALTER TABLE a DROP COLUMN nope;",
    );
    let error = up(&database.url, &ws.dir(), None).unwrap_err().to_string();
    assert!(error.contains("0001_bad.sql failed at line 2"), "{error}");
    assert!(
        error.contains("column \"nope\" of relation \"a\" does not exist"),
        "{error}"
    );
}

#[test]
fn unsupported_urls_are_refused() {
    let ws = Workspace::new();
    let error = up("mysql://root:pw@localhost/app", &ws.dir(), None)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("unsupported database URL `mysql://root:***@localhost/app`"),
        "{error}"
    );
}
