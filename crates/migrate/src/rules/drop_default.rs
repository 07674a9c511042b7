//! `drop-default` (contract): the running release's inserts leave the column out and rely on the default.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

pub(crate) const RULE: Rule = Rule {
    id: "drop-default",
    class: Class::Contract,
    why: "the running release's inserts leave the column out and rely on the default",
    recipe: "ship code that always writes the column first, then drop the default in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op:
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::DropDefault,
            },
    } = target
    else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!("drops the default of {}.{column_name}", table_key(table)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_default() {
        let got = classify(
            "ALTER TABLE users ALTER COLUMN plan DROP DEFAULT",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Contract, "drop-default".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ALTER COLUMN plan DROP DEFAULT;",
            Dialect::Postgres
        ));
    }
}
