//! `add-column-not-null` (contract): `ADD COLUMN … NOT NULL` without a
//! default. The running release's inserts do not name the column and fail.

use super::column_def::{default_of, is_generated, is_not_null};
use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "add-column-not-null",
    class: Class::Contract,
    why: "the running release inserts rows without this column, and NOT NULL without a default rejects them",
    recipe: "add the column nullable or with a DEFAULT (expand); ship code that always writes it; backfill; then SET NOT NULL in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op: AlterTableOperation::AddColumn { column_def, .. },
    } = target
    else {
        return None;
    };
    (is_not_null(column_def) && default_of(column_def).is_none() && !is_generated(column_def)).then(
        || {
            Verdict::new(
                &RULE,
                format!(
                    "adds NOT NULL column {}.{} without a default",
                    table_key(table),
                    column_def.name
                ),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn not_null_without_default_is_contract() {
        let got = classify(
            "ALTER TABLE users ADD COLUMN age int NOT NULL",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Contract, "add-column-not-null".to_string()));
    }

    #[test]
    fn serial_and_identity_columns_fill_themselves() {
        let got = classify(
            "ALTER TABLE users ADD COLUMN n bigserial NOT NULL",
            Dialect::Postgres,
        );
        assert_eq!(got.1, "add-column-nullable");
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ADD COLUMN age int NOT NULL;",
            Dialect::Postgres
        ));
    }
}
