//! `validate-constraint` (expand): validating a NOT VALID constraint changes nothing for writes, which it already checks.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "validate-constraint",
    class: Class::Expand,
    why: "validating a NOT VALID constraint changes nothing for writes, which it already checks",
    recipe: "nothing to do; on PostgreSQL it takes only a SHARE UPDATE EXCLUSIVE lock",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op: AlterTableOperation::ValidateConstraint { name },
    } = target
    else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!("validates constraint {name} of {}", table_key(table)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_validate_constraint() {
        let got = classify(
            "ALTER TABLE orders VALIDATE CONSTRAINT fk_user",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Expand, "validate-constraint".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE orders VALIDATE CONSTRAINT fk_user;",
            Dialect::Postgres
        ));
    }
}
