//! `rename-table` (contract): the running release still uses the old table name and fails.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "rename-table",
    class: Class::Contract,
    why: "the running release still uses the old table name and fails",
    recipe: "create the new table (or a view named like the old one), write both, backfill, switch reads, then drop the old one in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    match target {
        Target::AlterTable {
            table,
            op: AlterTableOperation::RenameTable { table_name },
        } => Some(Verdict::new(
            &RULE,
            format!(
                "renames table {} to {}",
                table_key(table),
                table_name
                    .to_string()
                    .trim_start_matches("TO ")
                    .trim_start_matches("AS ")
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_rename_table() {
        let got = classify("ALTER TABLE users RENAME TO accounts", Dialect::Sqlite);
        assert_eq!(got, (Class::Contract, "rename-table".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users RENAME TO accounts;",
            Dialect::Sqlite
        ));
    }
}
