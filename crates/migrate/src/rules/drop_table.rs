//! `drop-table` (contract): the running release still reads or writes the dropped table and fails.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::{ObjectType, Statement};

pub(crate) const RULE: Rule = Rule {
    id: "drop-table",
    class: Class::Contract,
    why: "the running release still reads or writes the dropped table and fails",
    recipe: "stop using the table in one release, then drop it in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Statement(Statement::Drop {
        object_type: ObjectType::Table,
        names,
        ..
    }) = target
    else {
        return None;
    };
    let names: Vec<String> = names.iter().map(table_key).collect();
    Some(Verdict::new(
        &RULE,
        format!("drops table {}", names.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_table() {
        let got = classify("DROP TABLE IF EXISTS sessions", Dialect::Postgres);
        assert_eq!(got, (Class::Contract, "drop-table".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("DROP TABLE sessions;", Dialect::Postgres));
    }
}
