//! `daytwo migrate lint|status|up` through the CLI, on SQLite.

use crate::app::home;

fn migrations(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (name, sql) in files {
        std::fs::write(migrations.join(name), sql).unwrap();
    }
    dir
}

#[test]
fn lint_json_classifies_each_statement_and_fails_on_contract() {
    let project = migrations(&[
        (
            "0001_create.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);\nALTER TABLE orders ADD COLUMN note TEXT;\n",
        ),
        ("0002_drop.sql", "ALTER TABLE orders DROP COLUMN note;\n"),
    ]);
    let dir = project.path().join("migrations");
    let home = home();
    let output = home.run(&[
        "migrate",
        "lint",
        "--dir",
        dir.to_str().unwrap(),
        "--dialect",
        "sqlite",
        "--json",
    ]);
    assert_eq!(
        output.code,
        Some(1),
        "a contract finding fails: {output:#?}"
    );
    let value = output.json();
    let findings = value["findings"].as_array().unwrap();
    assert!(findings.len() >= 3, "{value:#}");
    for finding in findings {
        for field in ["file", "line", "statement", "class", "rule", "message"] {
            assert!(!finding[field].is_null(), "{field} missing in {finding:#}");
        }
    }
    let drop = findings
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("0002_drop.sql"))
        .unwrap();
    assert_eq!(drop["class"], "contract");
    assert_eq!(drop["line"], 1);

    // Expand-only migrations pass.
    std::fs::remove_file(dir.join("0002_drop.sql")).unwrap();
    home.run(&[
        "migrate",
        "lint",
        "--dir",
        dir.to_str().unwrap(),
        "--dialect",
        "sqlite",
    ])
    .success();
}

#[test]
fn up_applies_pending_migrations_to_the_env_database_once() {
    let project = migrations(&[(
        "0001_create.sql",
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    )]);
    let spec = project.path().join("daytwo.toml");
    std::fs::write(
        &spec,
        "[app]\nname = \"m\"\n\n[process.web]\ncommand = \"true\"\n\n[migrations]\ndir = \"migrations\"\ndatabase = \"sqlite://app.db\"\n",
    )
    .unwrap();
    let spec = spec.to_str().unwrap();
    let home = home();
    let pending = home
        .run(&["migrate", "status", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(pending[0]["state"], "pending", "{pending:#}");
    let applied = home
        .run(&["migrate", "up", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(applied.as_array().unwrap().len(), 1);
    let again = home
        .run(&["migrate", "up", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(again.as_array().unwrap().len(), 0, "applied once");
    let status = home
        .run(&["migrate", "status", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(status[0]["state"], "applied", "{status:#}");
    assert!(
        project.path().join("app.db").is_file(),
        "a relative sqlite path is relative to the spec's directory"
    );
}

#[test]
fn check_lints_the_spec_migrations_and_fails_on_an_unacknowledged_contract() {
    let project = migrations(&[
        (
            "0001_create.sql",
            "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT);\n",
        ),
        (
            "0002_rename.sql",
            "ALTER TABLE products RENAME COLUMN name TO title;\n",
        ),
    ]);
    let spec = project.path().join("daytwo.toml");
    std::fs::write(
        &spec,
        "[app]\nname = \"m\"\n\n[process.web]\ncommand = \"true\"\n\n[migrations]\ndir = \"migrations\"\ndatabase = \"sqlite://app.db\"\n",
    )
    .unwrap();
    let home = home();
    let output = home.run(&["check", "--json", "--spec", spec.to_str().unwrap()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    let value = output.json();
    let findings = value["migrations_findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["class"] == "contract"
            && f["file"].as_str().unwrap().ends_with("0002_rename.sql")),
        "{value:#}"
    );
}
