//! `create-object` (expand): new sequences, functions, procedures, types,
//! domains, schemas, extensions and triggers.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;
use sqlparser::ast::Statement;

pub(crate) const RULE: Rule = Rule {
    id: "create-object",
    class: Class::Expand,
    why: "a new database object is unused by the running release",
    recipe: "nothing to do; a trigger runs for the old release's writes too, so make it accept them",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Statement(statement) = target else {
        return None;
    };
    let what = match statement {
        Statement::CreateSequence { name, .. } => format!("sequence {name}"),
        Statement::CreateFunction(f) => format!("function {}", f.name),
        Statement::CreateProcedure { name, .. } => format!("procedure {name}"),
        Statement::CreateType { name, .. } => format!("type {name}"),
        Statement::CreateDomain(d) => format!("domain {}", d.name),
        Statement::CreateSchema { schema_name, .. } => format!("schema {schema_name}"),
        Statement::CreateExtension(e) => format!("extension {}", e.name),
        Statement::CreateTrigger(t) => format!("trigger {}", t.name),
        _ => return None,
    };
    Some(Verdict::new(&RULE, format!("creates {what}")))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn new_objects_are_expand() {
        for sql in [
            "CREATE SEQUENCE order_numbers",
            "CREATE TYPE mood AS ENUM ('sad', 'ok')",
            "CREATE EXTENSION IF NOT EXISTS pgcrypto",
            "CREATE SCHEMA reporting",
        ] {
            assert_eq!(
                classify(sql, Dialect::Postgres),
                (Class::Expand, "create-object".to_string()),
                "{sql}"
            );
        }
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "CREATE TRIGGER touch AFTER UPDATE ON users BEGIN UPDATE users SET n = n + 1; END;",
            Dialect::Sqlite
        ));
    }
}
