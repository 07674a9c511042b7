//! `data-change` (expand): changing rows keeps the schema the running release relies on.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "data-change",
    class: Class::Expand,
    why: "changing rows keeps the schema the running release relies on",
    recipe: "backfill big tables in batches (by key range) rather than in one statement",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    use super::table_key;
    use crate::hazard;
    let Target::Statement(statement) = target else {
        return None;
    };
    let (verb, table, whole_table) = match statement {
        Statement::Insert(insert) => ("INSERT", insert.table.to_string(), false),
        Statement::Update(update) => (
            "UPDATE",
            update.table.to_string(),
            update.selection.is_none(),
        ),
        Statement::Delete(delete) => (
            "DELETE",
            delete.from.to_string(),
            delete.selection.is_none(),
        ),
        Statement::Merge(_) => ("MERGE", String::from("a table"), false),
        _ => return None,
    };
    let table = table.replace(['"', '`'], "").to_lowercase();
    let hazard = (ctx.postgres() && whole_table).then(|| hazard::unbatched_update(&table, verb));
    let _ = table_key;
    Some(
        Verdict::new(&RULE, format!("{} rows of {table}", verb.to_lowercase())).with_hazard(hazard),
    )
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_data_change() {
        let got = classify(
            "UPDATE users SET plan = 'free' WHERE plan IS NULL",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Expand, "data-change".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("UPDATE users SET plan = 'free';", Dialect::Postgres));
    }
}
