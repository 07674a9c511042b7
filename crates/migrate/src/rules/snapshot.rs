//! Test support for the rule files: lint a snippet and render it the way
//! `daytwo migrate lint` prints it, for insta snapshots.

use crate::dialect::Dialect;
use crate::finding::{Class, LintReport};
use crate::lint::lint_sql;

/// The human lint output for `sql` as file `0001_example.sql`.
pub(crate) fn render(sql: &str, dialect: Dialect) -> String {
    let (findings, annotation_problems) = lint_sql("0001_example.sql", sql, dialect);
    LintReport {
        findings,
        annotation_problems,
    }
    .to_string()
}

/// Class and rule of the first finding of `sql`.
pub(crate) fn classify(sql: &str, dialect: Dialect) -> (Class, String) {
    let (findings, _) = lint_sql("0001_example.sql", sql, dialect);
    let first = findings.into_iter().next().expect("a finding");
    (first.class, first.rule)
}
