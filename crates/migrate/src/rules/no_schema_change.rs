//! `no-schema-change` (expand): the statement changes no schema the running release relies on (settings, comments, grants, statistics, queries).

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "no-schema-change",
    class: Class::Expand,
    why: "the statement changes no schema the running release relies on (settings, comments, grants, statistics, queries)",
    recipe: "nothing to do",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let first = ctx.text.split_whitespace().next().unwrap_or_default();
    if first.eq_ignore_ascii_case("PRAGMA") {
        // sqlparser reads only some PRAGMA forms (not `= ON`).
        return Some(Verdict::new(&RULE, "sets a pragma"));
    }
    let Target::Statement(statement) = target else {
        return None;
    };
    matches!(
        statement,
        Statement::Set(_)
            | Statement::Comment { .. }
            | Statement::Analyze(_)
            | Statement::Grant(_)
            | Statement::Revoke(_)
            | Statement::Pragma { .. }
            | Statement::Query(_)
    )
    .then(|| Verdict::new(&RULE, "changes no schema"))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_no_schema_change() {
        let got = classify("COMMENT ON TABLE users IS 'people'", Dialect::Postgres);
        assert_eq!(got, (Class::Expand, "no-schema-change".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("PRAGMA foreign_keys = ON;", Dialect::Postgres));
    }
}
