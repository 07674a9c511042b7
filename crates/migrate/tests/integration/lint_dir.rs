//! `lint_dir` on a real directory: the `--json` contract, annotations, and
//! what passes.

use crate::support::Workspace;
use daytwo_migrate::{Dialect, MigrateError, lint_dir};

#[test]
fn report_serialises_to_the_findings_contract() {
    let ws = Workspace::new();
    ws.write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    )
    .write(
        "0002_drop_email.sql",
        "-- the new release no longer reads email\nALTER TABLE users DROP COLUMN email;\n",
    );
    let report = lint_dir(&ws.dir(), Dialect::Sqlite).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "one finding per statement");
    for key in ["file", "line", "statement", "class", "rule", "message"] {
        assert!(
            findings.iter().all(|f| f.get(key).is_some()),
            "every finding has `{key}`"
        );
    }
    let drop = &findings[1];
    assert!(
        drop["file"]
            .as_str()
            .unwrap()
            .ends_with("0002_drop_email.sql")
    );
    assert_eq!(drop["line"], 2);
    assert_eq!(drop["statement"], "ALTER TABLE users DROP COLUMN email");
    assert_eq!(drop["class"], "contract");
    assert_eq!(drop["rule"], "drop-column");
    assert!(!report.passes());
    assert!(report.has_contract());
}

#[test]
fn an_acknowledged_contract_passes_but_still_marks_the_release_rollback_unsafe() {
    let ws = Workspace::new();
    ws.write(
        "0001_drop.sql",
        "-- daytwo:allow contract drop-column reason=\"unused since release 41\"\nALTER TABLE users DROP COLUMN legacy;\n",
    );
    let report = lint_dir(&ws.dir(), Dialect::Postgres).unwrap();
    assert!(report.passes());
    assert!(report.has_contract());
    assert_eq!(
        report.findings[0].acknowledged.as_deref(),
        Some("unused since release 41")
    );
}

#[test]
fn an_expand_only_directory_passes_with_hazard_warnings() {
    let ws = Workspace::new();
    ws.write(
        "0001_visits.sql",
        "CREATE TABLE visits (id bigserial PRIMARY KEY, path text);",
    )
    .write(
        "0002_index.sql",
        "CREATE INDEX visits_path ON visits (path);",
    );
    let report = lint_dir(&ws.dir(), Dialect::Postgres).unwrap();
    assert!(report.passes());
    let text = report
        .to_string()
        .replace(&ws.dir().display().to_string(), "DIR");
    insta::assert_snapshot!(text);
}

#[test]
fn bad_file_names_fail_the_lint_with_every_problem() {
    let ws = Workspace::new();
    ws.write("0001_a.sql", "")
        .write("0003_c.sql", "")
        .write("init.sql", "");
    let error = lint_dir(&ws.dir(), Dialect::Sqlite).unwrap_err();
    let MigrateError::Files { problems, .. } = error else {
        panic!("unexpected {error}");
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
}
