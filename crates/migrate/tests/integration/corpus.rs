//! The statement corpus: every statement with its expected class and rule,
//! in both dialects. A change of classification shows up here first.

use daytwo_migrate::{Class, Dialect, lint_sql};

use Class::{Contract as C, Expand as E, Unknown as U};
use Dialect::{Postgres as PG, Sqlite as SL};

const CORPUS: &[(Dialect, &str, Class, &str)] = &[
    // New tables and columns.
    (
        PG,
        "CREATE TABLE visits (id bigserial PRIMARY KEY, path text NOT NULL)",
        E,
        "create-table",
    ),
    (
        SL,
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, path TEXT NOT NULL)",
        E,
        "create-table",
    ),
    (
        PG,
        "CREATE TABLE IF NOT EXISTS events (id uuid PRIMARY KEY DEFAULT gen_random_uuid())",
        E,
        "create-table",
    ),
    (
        SL,
        "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY) WITHOUT ROWID",
        E,
        "create-table",
    ),
    (
        PG,
        "CREATE TABLE archive AS SELECT * FROM orders WHERE created_at < now()",
        E,
        "create-table",
    ),
    (
        SL,
        "CREATE TEMP TABLE scratch (x INTEGER)",
        E,
        "create-table",
    ),
    (
        SL,
        "CREATE VIRTUAL TABLE docs USING fts5(title, body)",
        E,
        "create-table",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN nickname text",
        E,
        "add-column-nullable",
    ),
    (
        SL,
        "ALTER TABLE users ADD COLUMN nickname TEXT",
        E,
        "add-column-nullable",
    ),
    (
        SL,
        "ALTER TABLE users ADD nickname TEXT",
        E,
        "add-column-nullable",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text",
        E,
        "add-column-nullable",
    ),
    (
        PG,
        "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id)",
        E,
        "add-column-nullable",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN n bigserial NOT NULL",
        E,
        "add-column-nullable",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY",
        E,
        "add-column-nullable",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN plan text DEFAULT 'free'",
        E,
        "add-column-with-default",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'",
        E,
        "add-column-with-default",
    ),
    (
        SL,
        "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free'",
        E,
        "add-column-with-default",
    ),
    (
        SL,
        "ALTER TABLE users ADD COLUMN visits INTEGER DEFAULT 0",
        E,
        "add-column-with-default",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()",
        E,
        "add-column-with-default",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
        E,
        "add-column-with-default",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN age int NOT NULL",
        C,
        "add-column-not-null",
    ),
    (
        SL,
        "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL",
        C,
        "add-column-not-null",
    ),
    (
        PG,
        "ALTER TABLE users ADD COLUMN code text PRIMARY KEY",
        C,
        "add-column-not-null",
    ),
    // Indexes and views.
    (
        PG,
        "CREATE INDEX visits_path ON visits (path)",
        E,
        "create-index",
    ),
    (
        PG,
        "CREATE INDEX CONCURRENTLY visits_path ON visits (path)",
        E,
        "create-index",
    ),
    (
        PG,
        "CREATE INDEX IF NOT EXISTS visits_path ON visits USING btree (path) WHERE path IS NOT NULL",
        E,
        "create-index",
    ),
    (
        SL,
        "CREATE INDEX visits_path ON visits (path)",
        E,
        "create-index",
    ),
    (
        SL,
        "CREATE INDEX IF NOT EXISTS visits_at ON visits (at DESC)",
        E,
        "create-index",
    ),
    (
        PG,
        "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)",
        C,
        "add-constraint",
    ),
    (
        SL,
        "CREATE UNIQUE INDEX users_email ON users (email)",
        C,
        "add-constraint",
    ),
    (PG, "DROP INDEX visits_path", E, "drop-index"),
    (
        PG,
        "DROP INDEX CONCURRENTLY IF EXISTS visits_path",
        E,
        "drop-index",
    ),
    (SL, "DROP INDEX IF EXISTS visits_path", E, "drop-index"),
    (
        PG,
        "CREATE VIEW active_users AS SELECT * FROM users WHERE active",
        E,
        "create-view",
    ),
    (
        PG,
        "CREATE OR REPLACE VIEW active_users AS SELECT id, name FROM users WHERE active",
        E,
        "create-view",
    ),
    (
        PG,
        "CREATE MATERIALIZED VIEW daily AS SELECT count(*) FROM visits",
        E,
        "create-view",
    ),
    (
        SL,
        "CREATE VIEW active_users AS SELECT * FROM users WHERE active = 1",
        E,
        "create-view",
    ),
    (
        SL,
        "CREATE VIEW IF NOT EXISTS recent AS SELECT * FROM visits ORDER BY at DESC LIMIT 10",
        E,
        "create-view",
    ),
    // Other new objects.
    (
        PG,
        "CREATE SEQUENCE order_numbers START 1000",
        E,
        "create-object",
    ),
    (
        PG,
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        E,
        "create-object",
    ),
    (
        PG,
        "CREATE EXTENSION IF NOT EXISTS pgcrypto",
        E,
        "create-object",
    ),
    (PG, "CREATE SCHEMA reporting", E, "create-object"),
    (
        PG,
        "CREATE FUNCTION one() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
        E,
        "create-object",
    ),
    (
        SL,
        "CREATE TRIGGER touch AFTER UPDATE ON users BEGIN UPDATE users SET n = n + 1 WHERE id = new.id; END",
        E,
        "create-object",
    ),
    // Data.
    (
        PG,
        "INSERT INTO plans (name) VALUES ('free'), ('pro')",
        E,
        "data-change",
    ),
    (
        SL,
        "INSERT INTO plans (name) VALUES ('free')",
        E,
        "data-change",
    ),
    (
        PG,
        "UPDATE users SET plan = 'free' WHERE plan IS NULL",
        E,
        "data-change",
    ),
    (
        SL,
        "UPDATE users SET plan = 'free' WHERE plan IS NULL",
        E,
        "data-change",
    ),
    (PG, "UPDATE users SET plan = 'free'", E, "data-change"),
    (
        PG,
        "DELETE FROM sessions WHERE expires_at < now()",
        E,
        "data-change",
    ),
    (SL, "DELETE FROM sessions", E, "data-change"),
    (
        PG,
        "COMMENT ON TABLE users IS 'people who signed up'",
        E,
        "no-schema-change",
    ),
    (
        PG,
        "GRANT SELECT ON users TO reporting",
        E,
        "no-schema-change",
    ),
    (PG, "SET statement_timeout = '5s'", E, "no-schema-change"),
    (PG, "ANALYZE users", E, "no-schema-change"),
    (SL, "PRAGMA foreign_keys = ON", E, "no-schema-change"),
    (SL, "SELECT 1", E, "no-schema-change"),
    // Loosening.
    (
        PG,
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
        E,
        "drop-not-null",
    ),
    (
        PG,
        "ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free'",
        E,
        "set-default",
    ),
    (
        PG,
        "ALTER TABLE users DROP CONSTRAINT age_positive",
        E,
        "drop-constraint",
    ),
    (
        PG,
        "ALTER TABLE users DROP CONSTRAINT IF EXISTS age_positive",
        E,
        "drop-constraint",
    ),
    (
        PG,
        "ALTER TABLE orders VALIDATE CONSTRAINT fk_user",
        E,
        "validate-constraint",
    ),
    // Contract.
    (PG, "ALTER TABLE users DROP COLUMN email", C, "drop-column"),
    (
        PG,
        "ALTER TABLE users DROP COLUMN IF EXISTS email CASCADE",
        C,
        "drop-column",
    ),
    (SL, "ALTER TABLE users DROP COLUMN email", C, "drop-column"),
    (SL, "ALTER TABLE users DROP email", C, "drop-column"),
    (PG, "DROP TABLE sessions", C, "drop-table"),
    (
        PG,
        "DROP TABLE IF EXISTS sessions, tokens CASCADE",
        C,
        "drop-table",
    ),
    (SL, "DROP TABLE sessions", C, "drop-table"),
    (SL, "DROP TABLE IF EXISTS sessions", C, "drop-table"),
    (PG, "DROP VIEW active_users", C, "drop-object"),
    (SL, "DROP VIEW IF EXISTS active_users", C, "drop-object"),
    (PG, "DROP SEQUENCE order_numbers", C, "drop-object"),
    (PG, "DROP TYPE mood", C, "drop-object"),
    (PG, "DROP SCHEMA reporting CASCADE", C, "drop-object"),
    (SL, "DROP TRIGGER touch", C, "drop-object"),
    (
        PG,
        "ALTER TABLE users RENAME COLUMN name TO full_name",
        C,
        "rename-column",
    ),
    (
        SL,
        "ALTER TABLE users RENAME COLUMN name TO full_name",
        C,
        "rename-column",
    ),
    (
        SL,
        "ALTER TABLE users RENAME name TO full_name",
        C,
        "rename-column",
    ),
    (
        PG,
        "ALTER TABLE users RENAME TO accounts",
        C,
        "rename-table",
    ),
    (
        SL,
        "ALTER TABLE users RENAME TO accounts",
        C,
        "rename-table",
    ),
    (
        PG,
        "ALTER TABLE users ALTER COLUMN age TYPE bigint",
        C,
        "alter-column-type",
    ),
    (
        PG,
        "ALTER TABLE users ALTER COLUMN age SET DATA TYPE bigint USING age::bigint",
        C,
        "alter-column-type",
    ),
    (
        PG,
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        C,
        "set-not-null",
    ),
    (
        PG,
        "ALTER TABLE users ALTER COLUMN plan DROP DEFAULT",
        C,
        "drop-default",
    ),
    (
        PG,
        "ALTER TABLE users ADD CONSTRAINT email_unique UNIQUE (email)",
        C,
        "add-constraint",
    ),
    (
        PG,
        "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0)",
        C,
        "add-constraint",
    ),
    (
        PG,
        "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0) NOT VALID",
        C,
        "add-constraint",
    ),
    (
        PG,
        "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id)",
        C,
        "add-constraint",
    ),
    (
        PG,
        "ALTER TABLE orders ADD PRIMARY KEY (id)",
        C,
        "add-constraint",
    ),
    (
        PG,
        "ALTER TABLE users ADD UNIQUE (email)",
        C,
        "add-constraint",
    ),
    // Not understood.
    (
        PG,
        "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'x'; END $$",
        U,
        "do-block",
    ),
    (PG, "do $body$ begin perform 1; end $body$", U, "do-block"),
    (PG, "EXECUTE cleanup_plan", U, "dynamic-sql"),
    (
        PG,
        "PREPARE cleanup_plan AS DELETE FROM sessions",
        U,
        "dynamic-sql",
    ),
    (PG, "CALL archive_old_rows()", U, "dynamic-sql"),
    (PG, "BEGIN", U, "transaction-control"),
    (PG, "COMMIT", U, "transaction-control"),
    (SL, "BEGIN TRANSACTION", U, "transaction-control"),
    (SL, "COMMIT", U, "transaction-control"),
    (PG, "ALTER TABLE users FROBNICATE", U, "unparsable"),
    (SL, "CREATE TABLE (", U, "unparsable"),
    (PG, "TRUNCATE sessions", U, "unclassified"),
    (SL, "VACUUM", U, "unclassified"),
];

#[test]
fn corpus_statements_get_their_expected_class_and_rule() {
    assert!(
        CORPUS.len() >= 80,
        "the corpus keeps at least 80 statements"
    );
    let mut wrong = Vec::new();
    for (dialect, sql, class, rule) in CORPUS {
        let (findings, _) = lint_sql("corpus.sql", sql, *dialect);
        let got: Vec<(Class, &str)> = findings
            .iter()
            .map(|f| (f.class, f.rule.as_str()))
            .collect();
        if got != [(*class, *rule)] {
            wrong.push(format!(
                "{dialect}: {sql}\n    expected {class} {rule}, got {got:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} misclassified:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn corpus_covers_both_dialects_and_every_class() {
    for dialect in [PG, SL] {
        for class in [E, C, U] {
            assert!(
                CORPUS
                    .iter()
                    .any(|(d, _, c, _)| *d == dialect && *c == class),
                "no {class} statement for {dialect}"
            );
        }
    }
}
