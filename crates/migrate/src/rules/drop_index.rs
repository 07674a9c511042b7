//! `drop-index` (expand): the running release gets the same results without the index (perhaps slower).

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use crate::hazard;
use sqlparser::ast::{ObjectType, Statement};

pub(crate) const RULE: Rule = Rule {
    id: "drop-index",
    class: Class::Expand,
    why: "the running release gets the same results without the index (perhaps slower)",
    recipe: "on PostgreSQL use DROP INDEX CONCURRENTLY; drop an index the old release needs for speed only after it is gone",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Statement(Statement::Drop {
        object_type: ObjectType::Index,
        names,
        ..
    }) = target
    else {
        return None;
    };
    let names: Vec<String> = names.iter().map(table_key).collect();
    let concurrently = ctx.text.to_uppercase().contains("CONCURRENTLY");
    let hazard = (ctx.postgres() && !concurrently)
        .then(|| hazard::index_without_concurrently(&names.join(", "), true));
    Some(Verdict::new(&RULE, format!("drops index {}", names.join(", "))).with_hazard(hazard))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_index() {
        let got = classify("DROP INDEX visits_path", Dialect::Sqlite);
        assert_eq!(got, (Class::Expand, "drop-index".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("DROP INDEX visits_path;", Dialect::Sqlite));
    }
}
