//! `drop-column` (contract): the running release still selects or inserts the dropped column and fails.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "drop-column",
    class: Class::Contract,
    why: "the running release still selects or inserts the dropped column and fails",
    recipe: "stop reading and writing the column in one release (expand), then drop it in a later release once no running code uses it",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op: AlterTableOperation::DropColumn { column_names, .. },
    } = target
    else {
        return None;
    };
    let names: Vec<String> = column_names.iter().map(ToString::to_string).collect();
    Some(Verdict::new(
        &RULE,
        format!("drops column {}.{}", table_key(table), names.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_column() {
        let got = classify("ALTER TABLE users DROP COLUMN email", Dialect::Postgres);
        assert_eq!(got, (Class::Contract, "drop-column".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users DROP COLUMN email;",
            Dialect::Postgres
        ));
    }
}
