//! `drop-object` (contract): the running release may still use the dropped view, sequence, type, function or schema.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "drop-object",
    class: Class::Contract,
    why: "the running release may still use the dropped view, sequence, type, function or schema",
    recipe: "stop using the object in one release, then drop it in a later release",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Statement(statement) = target else {
        return None;
    };
    let what = match statement {
        Statement::Drop {
            object_type, names, ..
        } => {
            let names: Vec<String> = names.iter().map(table_key).collect();
            format!(
                "{} {}",
                object_type.to_string().to_lowercase(),
                names.join(", ")
            )
        }
        Statement::DropFunction(_) => "a function".to_string(),
        Statement::DropTrigger(t) => format!("trigger {}", t.trigger_name),
        _ => return None,
    };
    Some(Verdict::new(&RULE, format!("drops {what}")))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_drop_object() {
        let got = classify("DROP VIEW active_users", Dialect::Postgres);
        assert_eq!(got, (Class::Contract, "drop-object".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("DROP SEQUENCE order_numbers;", Dialect::Postgres));
    }
}
