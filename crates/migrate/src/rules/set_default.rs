//! `set-default` (expand): a new default only fills columns the running release leaves out.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

pub(crate) const RULE: Rule = Rule {
    id: "set-default",
    class: Class::Expand,
    why: "a new default only fills columns the running release leaves out",
    recipe: "nothing to do",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op:
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDefault { .. },
            },
    } = target
    else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!("sets a default on {}.{column_name}", table_key(table)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_set_default() {
        let got = classify(
            "ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free'",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Expand, "set-default".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'free';",
            Dialect::Postgres
        ));
    }
}
