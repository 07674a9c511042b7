//! The shop's schema lives in `migrations/`: the files lint expand-only
//! (so a rollback across them stays possible), and a shop started against
//! a database without them refuses to run and says how to create it.

use crate::http::get;
use crate::shop::{MIGRATIONS, Shop, Workdir, migrate_with, run_to_exit};
use daytwo_migrate::{Class, Dialect};
use std::path::Path;

#[test]
fn the_migrations_lint_expand_only_under_the_sqlite_dialect() {
    let report = daytwo_migrate::lint_dir(Path::new(MIGRATIONS), Dialect::Sqlite)
        .expect("the migration directory is well-formed");
    assert!(report.passes(), "{report}");
    assert!(
        report.findings.iter().all(|f| f.class == Class::Expand),
        "every statement is expand:\n{report}"
    );
    assert!(report.annotation_problems.is_empty(), "{report}");
    let analytics: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.file.ends_with("0002_analytics.sql"))
        .collect();
    assert!(
        analytics
            .iter()
            .any(|f| f.rule == "create-table" && f.statement.contains("analytics_rollups")),
        "0002 creates the rollups table: {analytics:#?}"
    );
    let catalogue: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.file.ends_with("0001_catalogue.sql"))
        .map(|f| f.rule.as_str())
        .collect();
    assert_eq!(
        catalogue,
        [
            "create-table",
            "create-table",
            "create-index",
            "data-change"
        ]
    );
}

#[test]
fn a_missing_database_is_refused_with_the_command_that_creates_it() {
    let workdir = Workdir::unmigrated();
    for args in [&[][..], &["worker"][..]] {
        let mut command = workdir.command(args);
        command.env("DAYTWO_ENV", "qa");
        let (status, stderr) = run_to_exit(command);
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("does not exist") && stderr.contains("daytwo migrate up --env qa"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(&workdir.db().display().to_string()),
            "{stderr}"
        );
    }
    assert!(!workdir.db().exists(), "the shop creates no database file");
}

#[test]
fn the_shop_serves_the_schema_before_the_analytics_migration_too() {
    // The same binary runs against 0001 only (a release or rollback that
    // predates the analytics table) and against 0001 + 0002.
    let workdir = Workdir::unmigrated();
    let only_first = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(MIGRATIONS).join("0001_catalogue.sql"),
        only_first.path().join("0001_catalogue.sql"),
    )
    .unwrap();
    migrate_with(&workdir.db(), only_first.path());
    {
        let shop = Shop::web(workdir.command(&[]));
        assert_eq!(get(shop.addr(), "/healthz").status, 200);
        assert_eq!(get(shop.addr(), "/products").status, 200);
    }

    // With the analytics migration applied too, the same file serves.
    migrate_with(&workdir.db(), Path::new(MIGRATIONS));
    let shop = Shop::web(workdir.command(&[]));
    assert_eq!(get(shop.addr(), "/healthz").status, 200);
}

#[test]
fn a_database_without_the_shop_tables_is_refused_naming_the_missing_table() {
    let workdir = Workdir::unmigrated();
    let empty = tempfile::tempdir().unwrap();
    migrate_with(&workdir.db(), empty.path());
    let (status, stderr) = run_to_exit(workdir.command(&[]));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("has no tables products, orders")
            && stderr.contains("daytwo migrate up --env ENV"),
        "{stderr}"
    );
}
