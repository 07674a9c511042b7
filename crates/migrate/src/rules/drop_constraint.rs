//! `drop-constraint` (expand): dropping a constraint accepts everything the running release writes.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "drop-constraint",
    class: Class::Expand,
    why: "dropping a constraint accepts everything the running release writes",
    recipe: "nothing to do; new code must not rely on the constraint any more",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable { table, op } = target else {
        return None;
    };
    match op {
        AlterTableOperation::DropConstraint { name, .. } => Some(Verdict::new(
            &RULE,
            format!("drops constraint {name} of {}", table_key(table)),
        )),
        AlterTableOperation::DropPrimaryKey { .. } | AlterTableOperation::DropForeignKey { .. } => {
            Some(Verdict::new(
                &RULE,
                format!("drops a key of {}", table_key(table)),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_constraint() {
        let got = classify(
            "ALTER TABLE users DROP CONSTRAINT age_positive",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Expand, "drop-constraint".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users DROP CONSTRAINT age_positive;",
            Dialect::Postgres
        ));
    }
}
