//! `create-index` (expand): a new index. On PostgreSQL, building it without
//! `CONCURRENTLY` on an existing table blocks writes: a hazard.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use crate::hazard;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "create-index",
    class: Class::Expand,
    why: "an index changes no result the running release sees",
    recipe: "on PostgreSQL use CREATE INDEX CONCURRENTLY so writes continue while it builds",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Statement(Statement::CreateIndex(index)) = target else {
        return None;
    };
    let table = table_key(&index.table_name);
    let hazard = (ctx.postgres() && !index.concurrently && !ctx.is_new_table(&index.table_name))
        .then(|| hazard::index_without_concurrently(&table, false));
    Some(Verdict::new(&RULE, format!("creates an index on {table}")).with_hazard(hazard))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn new_index_is_expand() {
        let got = classify(
            "CREATE INDEX CONCURRENTLY visits_path ON visits (path)",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Expand, "create-index".to_string()));
    }

    #[test]
    fn snapshot_warns_without_concurrently_on_postgres_only() {
        let sql = "CREATE INDEX visits_path ON visits (path);";
        insta::assert_snapshot!(format!(
            "postgres:\n{}\n\nsqlite:\n{}",
            render(sql, Dialect::Postgres),
            render(sql, Dialect::Sqlite)
        ));
    }
}
