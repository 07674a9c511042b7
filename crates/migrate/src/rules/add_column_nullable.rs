//! `add-column-nullable` (expand): a new nullable column (or one the
//! database fills itself: serial, identity, generated).

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "add-column-nullable",
    class: Class::Expand,
    why: "the running release does not know the column; its inserts leave it NULL",
    recipe: "nothing to do: new code must cope with NULL in rows written by the old release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op: AlterTableOperation::AddColumn { column_def, .. },
    } = target
    else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!("adds column {}.{}", table_key(table), column_def.name),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn nullable_column_is_expand() {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let got = classify("ALTER TABLE users ADD COLUMN nickname text", dialect);
            assert_eq!(got, (Class::Expand, "add-column-nullable".to_string()));
        }
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ADD nickname TEXT;",
            Dialect::Sqlite
        ));
    }
}
