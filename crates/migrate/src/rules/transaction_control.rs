//! `transaction-control` (unknown): the runner runs each migration in its own transaction; BEGIN/COMMIT in the file break that.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "transaction-control",
    class: Class::Unknown,
    why: "the runner runs each migration in its own transaction; BEGIN/COMMIT in the file break that",
    recipe: "remove transaction statements: daytwo wraps each migration in a transaction where the database allows it",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let parsed = matches!(
        target,
        Target::Statement(
            Statement::StartTransaction { .. }
                | Statement::Commit { .. }
                | Statement::Rollback { .. }
                | Statement::Savepoint { .. }
                | Statement::ReleaseSavepoint { .. }
        )
    );
    let first = ctx
        .text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_uppercase();
    let unparsed = matches!(target, Target::Unparsed { .. })
        && matches!(first.as_str(), "BEGIN" | "COMMIT" | "END" | "ROLLBACK");
    (parsed || unparsed).then(|| Verdict::new(&RULE, "controls the transaction"))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_transaction_control() {
        let got = classify("COMMIT", Dialect::Sqlite);
        assert_eq!(got, (Class::Unknown, "transaction-control".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("BEGIN;\nCOMMIT;", Dialect::Sqlite));
    }
}
