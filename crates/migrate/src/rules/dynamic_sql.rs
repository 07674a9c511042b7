//! `dynamic-sql` (unknown): dynamic SQL (EXECUTE, PREPARE, CALL) hides the statements it runs.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "dynamic-sql",
    class: Class::Unknown,
    why: "dynamic SQL (EXECUTE, PREPARE, CALL) hides the statements it runs",
    recipe: "write the statements out literally so each one is classified, or acknowledge it with -- daytwo:allow dynamic-sql reason=\"…\"",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let parsed = matches!(
        target,
        Target::Statement(
            Statement::Execute { .. } | Statement::Prepare { .. } | Statement::Call(_)
        )
    );
    let first = ctx
        .text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_uppercase();
    (parsed || matches!(first.as_str(), "EXECUTE" | "PREPARE" | "CALL"))
        .then(|| Verdict::new(&RULE, "runs dynamic SQL"))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_dynamic_sql() {
        let got = classify("EXECUTE cleanup_plan", Dialect::Postgres);
        assert_eq!(got, (Class::Unknown, "dynamic-sql".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("CALL archive_old_rows();", Dialect::Postgres));
    }
}
