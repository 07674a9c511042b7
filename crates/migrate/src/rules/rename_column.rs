//! `rename-column` (contract): the running release still uses the old column name and fails.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "rename-column",
    class: Class::Contract,
    why: "the running release still uses the old column name and fails",
    recipe: "add the new column, write both (or use a view/trigger), backfill, switch reads, then drop the old column in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op:
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            },
    } = target
    else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!(
            "renames column {}.{old_column_name} to {new_column_name}",
            table_key(table)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_rename_column() {
        let got = classify(
            "ALTER TABLE users RENAME COLUMN name TO full_name",
            Dialect::Sqlite,
        );
        assert_eq!(got, (Class::Contract, "rename-column".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
            Dialect::Sqlite
        ));
    }
}
