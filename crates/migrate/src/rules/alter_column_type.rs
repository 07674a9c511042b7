//! `alter-column-type` (contract): the running release reads and writes the column with the old type; values it writes may no longer fit.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use crate::hazard;
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

pub(crate) const RULE: Rule = Rule {
    id: "alter-column-type",
    class: Class::Contract,
    why: "the running release reads and writes the column with the old type; values it writes may no longer fit",
    recipe: "add a column with the new type, write both, backfill, switch reads, then drop the old column in a later release",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let (table, column) = match target {
        Target::AlterTable {
            table,
            op:
                AlterTableOperation::AlterColumn {
                    column_name,
                    op: AlterColumnOperation::SetDataType { .. },
                },
        } => (table, column_name),
        Target::AlterTable {
            table,
            op: AlterTableOperation::ChangeColumn { old_name, .. },
        } => (table, old_name),
        Target::AlterTable {
            table,
            op: AlterTableOperation::ModifyColumn { col_name, .. },
        } => (table, col_name),
        _ => return None,
    };
    let table = table_key(table);
    let hazard = ctx
        .postgres()
        .then(|| hazard::table_rewrite(&table, "changing a column type"));
    Some(Verdict::new(&RULE, format!("changes the type of {table}.{column}")).with_hazard(hazard))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_alter_column_type() {
        let got = classify(
            "ALTER TABLE users ALTER COLUMN age TYPE bigint",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Contract, "alter-column-type".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ALTER COLUMN age SET DATA TYPE bigint;",
            Dialect::Postgres
        ));
    }
}
