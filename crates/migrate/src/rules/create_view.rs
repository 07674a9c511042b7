//! `create-view` (expand): a new view (or a replaced one: PostgreSQL only
//! lets `CREATE OR REPLACE VIEW` add columns at the end).

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "create-view",
    class: Class::Expand,
    why: "a new view is invisible to the running release",
    recipe: "nothing to do; to change a view's existing columns create a new view and drop the old one in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Statement(Statement::CreateView(view)) = target else {
        return None;
    };
    let kind = if view.materialized {
        "materialized view"
    } else {
        "view"
    };
    Some(Verdict::new(
        &RULE,
        format!("creates {kind} {}", table_key(&view.name)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn new_view_is_expand() {
        let got = classify(
            "CREATE VIEW active_users AS SELECT * FROM users WHERE active",
            Dialect::Sqlite,
        );
        assert_eq!(got, (Class::Expand, "create-view".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "CREATE MATERIALIZED VIEW daily AS SELECT count(*) FROM visits;",
            Dialect::Postgres
        ));
    }
}
