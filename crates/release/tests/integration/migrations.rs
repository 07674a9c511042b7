//! `[migrations]` in a build: the directory is bundled, linted and recorded
//! in the manifest with each migration's class; contract or unknown
//! migrations mark the release rollback-unsafe without failing the build.

use crate::support::{APP, Fixture, trusted};
use daytwo_migrate::Class;
use daytwo_release::{ReleaseError, build, import};

const SPEC_WITH_MIGRATIONS: &str = r#"[app]
name = "shop"

[process.web]
command = "python3 app.py"
http = true

[build]
artifacts = ["app.py"]

[migrations]
dir = "db/migrations"
database = "sqlite:///tmp/never-opened-by-build.db"
"#;

fn fixture_with(files: &[(&str, &str)]) -> Fixture {
    let fixture = Fixture::with_spec(SPEC_WITH_MIGRATIONS);
    let dir = fixture.app_dir().join("db/migrations");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sql) in files {
        std::fs::write(dir.join(name), sql).unwrap();
    }
    fixture
}

#[test]
fn the_manifest_records_each_migration_with_its_class_and_bundles_the_files() {
    let fixture = fixture_with(&[
        (
            "0001_items.sql",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);",
        ),
        (
            "0002_visits.sql",
            "ALTER TABLE items ADD COLUMN visits INTEGER DEFAULT 0;",
        ),
    ]);
    let built = fixture.build();
    let manifest = &built.manifest;
    let summary: Vec<(u64, &str, &str, Class, bool)> = manifest
        .migrations
        .iter()
        .map(|m| {
            (
                m.version,
                m.name.as_str(),
                m.file.as_str(),
                m.class,
                m.acknowledged,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                1,
                "items",
                "db/migrations/0001_items.sql",
                Class::Expand,
                true
            ),
            (
                2,
                "visits",
                "db/migrations/0002_visits.sql",
                Class::Expand,
                true
            ),
        ]
    );
    assert_eq!(manifest.migrations[0].checksum.len(), 64);
    assert!(!manifest.rollback_unsafe);
    assert!(built.migrations_lint.passes());
    let paths: Vec<&str> = manifest.entries.iter().map(|e| e.path.as_str()).collect();
    assert!(
        paths.contains(&"db/migrations/0002_visits.sql"),
        "the migration files are packed without being listed in artifacts: {paths:?}"
    );

    let stored = import(&built.path, &fixture.store(), &trusted(), APP).unwrap();
    let spec = stored.manifest.spec_in(&stored.app_dir);
    let migrations = spec.migrations.expect("the spec keeps [migrations]");
    assert_eq!(migrations.dir, stored.app_dir.join("db/migrations"));
    assert!(migrations.dir.join("0001_items.sql").is_file());
}

#[test]
fn a_contract_migration_marks_the_release_rollback_unsafe_without_failing_the_build() {
    let fixture = fixture_with(&[
        (
            "0001_items.sql",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);",
        ),
        ("0002_drop_name.sql", "ALTER TABLE items DROP COLUMN name;"),
    ]);
    let built = fixture.build();
    let second = &built.manifest.migrations[1];
    assert_eq!(
        (second.class, second.acknowledged),
        (Class::Contract, false)
    );
    assert!(
        second.reasons[0].contains("[drop-column]"),
        "{:?}",
        second.reasons
    );
    assert!(built.manifest.rollback_unsafe);
    assert!(!built.migrations_lint.passes());
    let unsafe_files: Vec<&str> = built
        .manifest
        .contract_migrations()
        .map(|m| m.file.as_str())
        .collect();
    assert_eq!(unsafe_files, ["db/migrations/0002_drop_name.sql"]);
}

#[test]
fn an_acknowledged_contract_migration_still_makes_the_release_rollback_unsafe() {
    let fixture = fixture_with(&[(
        "0001_drop.sql",
        "-- daytwo:allow drop-table reason=\"nothing reads it since 1.2\"\nDROP TABLE legacy;",
    )]);
    let built = fixture.build();
    let only = &built.manifest.migrations[0];
    assert_eq!((only.class, only.acknowledged), (Class::Contract, true));
    assert!(built.migrations_lint.passes());
    assert!(built.manifest.rollback_unsafe);
}

#[test]
fn a_migration_directory_outside_the_spec_directory_is_refused() {
    let fixture = Fixture::with_spec(&SPEC_WITH_MIGRATIONS.replace("db/migrations", "../shared"));
    std::fs::create_dir_all(fixture.root.path().join("shared")).unwrap();
    let error = build(&fixture.spec(), Some("1.0.0".into()), &fixture.options()).unwrap_err();
    assert!(
        matches!(error, ReleaseError::MigrationsOutsideSpecDir { .. }),
        "{error}"
    );
    assert_eq!(error.code(), "release::migrations_outside_spec_dir");
}
