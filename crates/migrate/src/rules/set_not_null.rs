//! `set-not-null` (contract): the running release may insert NULL into the column and fails.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use crate::hazard;
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

pub(crate) const RULE: Rule = Rule {
    id: "set-not-null",
    class: Class::Contract,
    why: "the running release may insert NULL into the column and fails",
    recipe: "ship code that always writes the column, backfill, then on PostgreSQL add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, and only then SET NOT NULL",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op:
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetNotNull,
            },
    } = target
    else {
        return None;
    };
    let table = table_key(table);
    let hazard = ctx
        .postgres()
        .then(|| hazard::long_access_exclusive_lock(&table, "SET NOT NULL"));
    Some(Verdict::new(&RULE, format!("makes {table}.{column_name} NOT NULL")).with_hazard(hazard))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_set_not_null() {
        let got = classify(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Contract, "set-not-null".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            Dialect::Postgres
        ));
    }
}
