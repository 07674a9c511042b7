//! The linter: split each migration file into statements, parse each with
//! sqlparser in the directory's dialect, classify it with the rules, and
//! apply `-- daytwo:allow` annotations.
//!
//! ```text
//! dir ─files─> statements (lines) ─sqlparser─> targets ─rules─> findings ─annotations─> LintReport
//! ```

use crate::annotation::{self, Annotation};
use crate::dialect::Dialect;
use crate::error::MigrateError;
use crate::finding::{AnnotationProblem, Finding, LintReport};
use crate::migration_file::MigrationDir;
use crate::rules::{self, Context, Target, table_key};
use crate::statement::{SqlStatement, split_statements};
use sqlparser::ast::Statement;
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use std::collections::HashSet;
use std::path::Path;

/// Lints every up migration (`NNNN_name.sql`) of `dir`, in version order.
/// Fails only when the directory cannot be read or its file names are
/// invalid; SQL problems become findings.
pub fn lint_dir(dir: &Path, dialect: Dialect) -> Result<LintReport, MigrateError> {
    let migrations = MigrationDir::load(dir)?;
    let mut report = LintReport::default();
    for migration in &migrations.migrations {
        let label = migration.path.display().to_string();
        let (findings, problems) = lint_sql(&label, &migration.sql, dialect);
        report.findings.extend(findings);
        report.annotation_problems.extend(problems);
    }
    Ok(report)
}

/// Lints the SQL text of one file, labelled `file` in the findings.
pub fn lint_sql(file: &str, sql: &str, dialect: Dialect) -> (Vec<Finding>, Vec<AnnotationProblem>) {
    let mut findings = Vec::new();
    let mut problems = Vec::new();
    let mut new_tables = HashSet::new();
    for statement in split_statements(sql) {
        let annotations = annotations_of(file, &statement, &mut problems);
        let mut own = lint_statement(file, &statement, dialect, &mut new_tables);
        for annotation in annotations {
            let applies = |f: &Finding| {
                f.rule == annotation.rule && annotation.class.is_none_or(|c| c == f.class)
            };
            if !own.iter().any(applies) {
                let rules: Vec<&str> = own.iter().map(|f| f.rule.as_str()).collect();
                problems.push(AnnotationProblem {
                    file: file.to_string(),
                    line: annotation.line,
                    message: format!(
                        "annotation allows `{}` but the statement on line {} is classified as `{}`",
                        annotation.rule,
                        statement.line,
                        rules.join("`, `")
                    ),
                });
            }
            for finding in own.iter_mut().filter(|f| applies(f)) {
                finding.acknowledged = Some(annotation.reason.clone());
            }
        }
        findings.extend(own);
    }
    (findings, problems)
}

fn annotations_of(
    file: &str,
    statement: &SqlStatement,
    problems: &mut Vec<AnnotationProblem>,
) -> Vec<Annotation> {
    let mut out = Vec::new();
    for (line, comment) in &statement.leading_comments {
        match annotation::parse(*line, comment) {
            None => {}
            Some(Ok(annotation)) => out.push(annotation),
            Some(Err(message)) => problems.push(AnnotationProblem {
                file: file.to_string(),
                line: *line,
                message,
            }),
        }
    }
    out
}

fn lint_statement(
    file: &str,
    statement: &SqlStatement,
    dialect: Dialect,
    new_tables: &mut HashSet<String>,
) -> Vec<Finding> {
    let parsed = parse(&statement.text, dialect).or_else(|error| {
        // sqlparser does not know `DROP INDEX CONCURRENTLY`; the rule reads
        // the keyword from the text.
        let upper = statement.text.to_uppercase();
        match upper.strip_prefix("DROP INDEX CONCURRENTLY") {
            Some(rest) => parse(
                &format!(
                    "DROP INDEX{}",
                    &statement.text[statement.text.len() - rest.len()..]
                ),
                dialect,
            ),
            None => Err(error),
        }
    });
    let mut findings = Vec::new();
    match parsed {
        Ok(parsed) => {
            for ast in &parsed {
                for target in targets(ast) {
                    let ctx = Context {
                        dialect,
                        text: &statement.text,
                        new_tables,
                    };
                    findings.push(finding(file, statement, &target, &ctx));
                }
                if let Statement::CreateTable(create) = ast {
                    new_tables.insert(table_key(&create.name));
                }
            }
        }
        Err(error) => {
            let error = error.to_string();
            let ctx = Context {
                dialect,
                text: &statement.text,
                new_tables,
            };
            findings.push(finding(
                file,
                statement,
                &Target::Unparsed { error: &error },
                &ctx,
            ));
        }
    }
    findings
}

fn parse(sql: &str, dialect: Dialect) -> Result<Vec<Statement>, sqlparser::parser::ParserError> {
    match dialect {
        Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, sql),
        Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, sql),
    }
}

/// One target per `ALTER TABLE` operation, else the statement itself.
fn targets(statement: &Statement) -> Vec<Target<'_>> {
    match statement {
        Statement::AlterTable(alter) if !alter.operations.is_empty() => alter
            .operations
            .iter()
            .map(|op| Target::AlterTable {
                table: &alter.name,
                op,
            })
            .collect(),
        other => vec![Target::Statement(other)],
    }
}

fn finding(
    file: &str,
    statement: &SqlStatement,
    target: &Target<'_>,
    ctx: &Context<'_>,
) -> Finding {
    let verdict = rules::classify(target, ctx);
    Finding {
        file: file.to_string(),
        line: statement.line,
        statement: statement.text.clone(),
        class: verdict.rule.class,
        rule: verdict.rule.id.to_string(),
        message: format!("{}: {}", capitalise(&verdict.subject), verdict.rule.why),
        recipe: verdict.rule.recipe.to_string(),
        acknowledged: None,
        hazards: verdict.hazards,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Class;

    #[test]
    fn annotation_acknowledges_the_named_rule_with_its_reason() {
        let sql = "-- daytwo:allow contract drop-column reason=\"unused since 0041\"\nALTER TABLE users DROP COLUMN legacy;\nDROP TABLE old;";
        let (findings, problems) = lint_sql("0002_x.sql", sql, Dialect::Postgres);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            findings[0].acknowledged.as_deref(),
            Some("unused since 0041")
        );
        assert!(!findings[0].blocks());
        assert_eq!(findings[1].class, Class::Contract);
        assert!(findings[1].blocks());
    }

    #[test]
    fn annotation_for_another_rule_is_a_problem_and_acknowledges_nothing() {
        let sql = "-- daytwo:allow drop-table reason=\"x\"\nALTER TABLE users DROP COLUMN legacy;";
        let (findings, problems) = lint_sql("0002_x.sql", sql, Dialect::Sqlite);
        assert!(findings[0].acknowledged.is_none());
        insta::assert_snapshot!(problems[0].message, @"annotation allows `drop-table` but the statement on line 2 is classified as `drop-column`");
    }

    #[test]
    fn each_alter_table_operation_is_its_own_finding() {
        let (findings, _) = lint_sql(
            "f.sql",
            "ALTER TABLE users ADD COLUMN a int, DROP COLUMN b;",
            Dialect::Postgres,
        );
        let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["add-column-nullable", "drop-column"]);
    }

    #[test]
    fn one_unparsable_statement_does_not_hide_the_next() {
        let (findings, _) = lint_sql("f.sql", "CREATE TABLE (;\nDROP TABLE x;", Dialect::Sqlite);
        assert_eq!(findings[0].rule, "unparsable");
        assert_eq!(
            (findings[1].rule.as_str(), findings[1].line),
            ("drop-table", 2)
        );
    }
}
