//! Schema migrations: `MIGRATIONS[i]` takes the schema from version `i` to
//! `i + 1`; `PRAGMA user_version` records the version reached. Each step runs
//! in its own transaction together with its version bump, so a crash leaves
//! the database at a whole version. Never edit a released step: append one.

use crate::StoreError;
use rusqlite::Connection;
use std::path::Path;

const MIGRATIONS: &[&str] = &[
    // 1: envs, replicas, events.
    "CREATE TABLE envs (
        name       TEXT PRIMARY KEY NOT NULL,
        app        TEXT NOT NULL,
        spec_json  TEXT NOT NULL,
        release    TEXT NOT NULL,
        listen     TEXT,
        spec_file  TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE replicas (
        env        TEXT NOT NULL REFERENCES envs(name) ON DELETE CASCADE,
        process    TEXT NOT NULL,
        replica    INTEGER NOT NULL,
        status     TEXT NOT NULL,
        PRIMARY KEY (env, process, replica)
    ) STRICT;
    CREATE TABLE events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        ts         TEXT NOT NULL,
        env        TEXT,
        process    TEXT,
        replica    INTEGER,
        kind       TEXT NOT NULL,
        message    TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_env ON events (env, id);",
    // 2: releases, deployments; an env's release digest and current routing.
    "ALTER TABLE envs ADD COLUMN release_digest TEXT;
    ALTER TABLE envs ADD COLUMN routing_json TEXT;
    CREATE TABLE releases (
        digest      TEXT PRIMARY KEY NOT NULL,
        app         TEXT NOT NULL,
        version     TEXT NOT NULL,
        created     TEXT NOT NULL,
        git_commit  TEXT,
        git_dirty   INTEGER NOT NULL,
        signer      TEXT NOT NULL,
        bundle_path TEXT NOT NULL,
        app_dir     TEXT NOT NULL,
        spec_json   TEXT NOT NULL,
        imported_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX releases_by_version ON releases (version);
    CREATE TABLE deployments (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        env          TEXT NOT NULL,
        kind         TEXT NOT NULL,
        from_version TEXT,
        from_digest  TEXT,
        to_version   TEXT NOT NULL,
        to_digest    TEXT,
        strategy     TEXT NOT NULL,
        user         TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        outcome      TEXT NOT NULL,
        duration_ms  INTEGER,
        message      TEXT,
        logs_json    TEXT NOT NULL,
        plan_json    TEXT
    ) STRICT;
    CREATE INDEX deployments_by_env ON deployments (env, id);",
    // 3: flag changes made at run time; each env's OFREP port.
    "CREATE TABLE flag_changes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        env        TEXT NOT NULL,
        flag       TEXT NOT NULL,
        old_json   TEXT NOT NULL,
        new_json   TEXT NOT NULL,
        user       TEXT NOT NULL,
        reason     TEXT NOT NULL,
        at         TEXT NOT NULL
    ) STRICT;
    CREATE INDEX flag_changes_by_env ON flag_changes (env, flag, id);
    CREATE TABLE flag_servers (
        env        TEXT PRIMARY KEY NOT NULL,
        port       INTEGER NOT NULL
    ) STRICT;",
    // 4: the canary guard that rolled a deploy back; incidents; the measured
    // behaviour of each release (coarse telemetry summaries).
    "ALTER TABLE deployments ADD COLUMN failed_guard TEXT;
    CREATE TABLE incidents (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        env            TEXT NOT NULL,
        release        TEXT,
        release_digest TEXT,
        deployment_id  INTEGER,
        opened_at      TEXT NOT NULL,
        closed_at      TEXT,
        guard          TEXT,
        summary        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX incidents_by_env ON incidents (env, id);
    CREATE TABLE telemetry (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        at             TEXT NOT NULL,
        at_ms          INTEGER NOT NULL,
        env            TEXT NOT NULL,
        release_digest TEXT NOT NULL,
        period_ms      INTEGER NOT NULL,
        requests       INTEGER NOT NULL,
        errors_5xx     INTEGER NOT NULL,
        p50_ms         REAL,
        p99_ms         REAL,
        cpu_seconds    REAL NOT NULL,
        rss_bytes      INTEGER NOT NULL,
        replicas       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX telemetry_by_release ON telemetry (env, release_digest, at_ms);
    CREATE INDEX telemetry_by_time ON telemetry (at_ms);",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Brings the schema of `conn` up to [`SCHEMA_VERSION`]; a no-op when it is there.
pub(crate) fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as u32 + 1;
        let migrate_err = |source| StoreError::Migrate {
            path: path.to_path_buf(),
            version,
            source,
        };
        let tx = conn.unchecked_transaction().map_err(migrate_err)?;
        tx.execute_batch(sql).map_err(migrate_err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(migrate_err)?;
        tx.commit().map_err(migrate_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn migrates_an_empty_database_to_the_current_version() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(user_version(&conn).unwrap(), 0);
        migrate(&conn, Path::new(":memory:")).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(
            tables(&conn),
            [
                "deployments",
                "envs",
                "events",
                "flag_changes",
                "flag_servers",
                "incidents",
                "releases",
                "replicas",
                "telemetry"
            ]
        );
    }

    #[test]
    fn reopening_keeps_the_schema_and_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Store::open(&path).unwrap();
        store
            .append_event(crate::NewEvent::new("daemon.started", "hello"))
            .unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.events(None, 10).unwrap().len(), 1);
    }

    #[test]
    fn a_version_1_database_keeps_its_envs_through_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        tx.execute_batch(MIGRATIONS[0]).unwrap();
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.commit().unwrap();
        conn.execute(
            "INSERT INTO envs (name, app, spec_json, release, listen, spec_file, updated_at)
             VALUES ('dev', 'hello', '{}', 'working-tree', NULL, '/srv/daytwo.toml', '2025-01-02T03:04:05Z')",
            [],
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let dev = store.env("dev").unwrap().expect("kept");
        assert_eq!(dev.release, "working-tree");
        assert_eq!(dev.release_digest, None);
        assert_eq!(dev.routing_json, None);
    }

    #[test]
    fn refuses_a_database_from_a_newer_daytwo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let error = Store::open(&path).err().expect("newer schema is refused");
        assert!(
            matches!(error, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
            "{error}"
        );
    }
}
