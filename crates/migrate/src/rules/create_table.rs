//! `create-table` (expand): a new table, or any change to a table created
//! earlier in the same migration file. The running release never uses it.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "create-table",
    class: Class::Expand,
    why: "a new table is invisible to the running release, which neither reads nor writes it",
    recipe: "nothing to do: create the table before the code that uses it ships",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    match target {
        Target::Statement(Statement::CreateTable(create)) => Some(Verdict::new(
            &RULE,
            format!("creates table {}", table_key(&create.name)),
        )),
        Target::Statement(Statement::CreateVirtualTable { name, .. }) => Some(Verdict::new(
            &RULE,
            format!("creates virtual table {}", table_key(name)),
        )),
        Target::AlterTable { table, .. } if ctx.is_new_table(table) => Some(Verdict::new(
            &RULE,
            format!(
                "changes table {} created in this migration",
                table_key(table)
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
    fn new_tables_are_expand_in_both_dialects() {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let got = classify(
                "CREATE TABLE visits (id INTEGER PRIMARY KEY, path TEXT NOT NULL)",
                dialect,
            );
            assert_eq!(got, (Class::Expand, "create-table".to_string()));
        }
    }

    #[test]
    fn changes_to_a_table_created_in_the_same_file_are_expand() {
        let sql = "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN n int NOT NULL;\nALTER TABLE t DROP COLUMN n;";
        insta::assert_snapshot!(render(sql, Dialect::Postgres));
    }
}
