//! `add-column-with-default` (expand): a new column with a `DEFAULT`; the
//! running release's inserts get the default. On PostgreSQL a volatile
//! default (e.g. `gen_random_uuid()`) rewrites the table: a hazard.

use super::column_def::default_of;
use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use crate::hazard;
use sqlparser::ast::AlterTableOperation;

pub(crate) const RULE: Rule = Rule {
    id: "add-column-with-default",
    class: Class::Expand,
    why: "the running release does not know the column; its inserts get the default",
    recipe: "nothing to do; on PostgreSQL prefer a constant default (a volatile one rewrites the table), backfill in batches instead",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let Target::AlterTable {
        table,
        op: AlterTableOperation::AddColumn { column_def, .. },
    } = target
    else {
        return None;
    };
    let default = default_of(column_def)?;
    let table = table_key(table);
    let rewrite = (ctx.postgres() && hazard::is_volatile_default(&default.to_string()))
        .then(|| hazard::table_rewrite(&table, &format!("a volatile DEFAULT {default}")));
    Some(
        Verdict::new(
            &RULE,
            format!("adds column {table}.{} with a default", column_def.name),
        )
        .with_hazard(rewrite),
    )
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn column_with_default_is_expand_even_when_not_null() {
        let got = classify(
            "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'",
            Dialect::Sqlite,
        );
        assert_eq!(got, (Class::Expand, "add-column-with-default".to_string()));
    }

    #[test]
    fn volatile_default_warns_of_a_rewrite_on_postgres() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\nALTER TABLE users ADD COLUMN plan text DEFAULT 'free';",
            Dialect::Postgres
        ));
    }
}
