//! `drop-not-null` (expand): relaxing NOT NULL accepts everything the running release writes.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

pub(crate) const RULE: Rule = Rule {
    id: "drop-not-null",
    class: Class::Expand,
    why: "relaxing NOT NULL accepts everything the running release writes",
    recipe: "nothing to do; the running release must cope with NULLs that new code writes, so ship the code that writes NULL after this migration",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op:
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::DropNotNull,
            },
    } = target
    else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!("makes {}.{column_name} nullable", table_key(table)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_not_null() {
        let got = classify(
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Expand, "drop-not-null".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
            Dialect::Postgres
        ));
    }
}
