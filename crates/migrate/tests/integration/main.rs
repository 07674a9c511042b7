//! Integration tests of daytwo-migrate: real migration files in temp dirs,
//! real SQLite files and a real PostgreSQL server (see
//! `tests/start-postgres.sh` and `DAYTWO_TEST_POSTGRES_URL`).

mod corpus;
mod docs_sync;
mod lint_dir;
mod runner;
mod support;
