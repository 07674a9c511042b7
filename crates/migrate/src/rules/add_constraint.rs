//! `add-constraint` (contract): a UNIQUE, CHECK, FOREIGN KEY or PRIMARY KEY
//! constraint (or a unique index) on an existing table. Writes the running
//! release still makes may violate it.

use super::{Context, Rule, Target, Verdict, table_key};
use crate::finding::Class;
use crate::hazard;
use sqlparser::ast::{AlterTableOperation, Statement, TableConstraint};

pub(crate) const RULE: Rule = Rule {
    id: "add-constraint",
    class: Class::Contract,
    why: "the running release may write rows that violate the new constraint, and existing rows may already violate it",
    recipe: "ship code that respects the rule first; on PostgreSQL add CHECK/FOREIGN KEY as NOT VALID then VALIDATE CONSTRAINT, and build a UNIQUE index CONCURRENTLY then ADD CONSTRAINT … USING INDEX",
};

pub(crate) fn check(target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    match target {
        Target::AlterTable {
            table,
            op:
                AlterTableOperation::AddConstraint {
                    constraint,
                    not_valid,
                },
        } => {
            let table = table_key(table);
            let (kind, hazard) = match constraint {
                TableConstraint::Unique(_) => ("UNIQUE", Some("building the unique index")),
                TableConstraint::PrimaryKey(_) => {
                    ("PRIMARY KEY", Some("building the primary key index"))
                }
                TableConstraint::ForeignKey(_) => (
                    "FOREIGN KEY",
                    (!not_valid).then_some("validating the foreign key"),
                ),
                TableConstraint::Check(_) => (
                    "CHECK",
                    (!not_valid).then_some("validating the check constraint"),
                ),
                _ => ("a", None),
            };
            let hazard = hazard
                .filter(|_| ctx.postgres())
                .map(|cause| hazard::long_access_exclusive_lock(&table, cause));
            Some(
                Verdict::new(&RULE, format!("adds {kind} constraint on {table}"))
                    .with_hazard(hazard),
            )
        }
        Target::Statement(Statement::CreateIndex(index))
            if index.unique && !ctx.is_new_table(&index.table_name) =>
        {
            let table = table_key(&index.table_name);
            let hazard = (ctx.postgres() && !index.concurrently)
                .then(|| hazard::index_without_concurrently(&table, false));
            Some(Verdict::new(&RULE, format!("adds a unique index on {table}")).with_hazard(hazard))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn constraints_on_existing_tables_are_contract() {
        for sql in [
            "ALTER TABLE users ADD CONSTRAINT email_unique UNIQUE (email)",
            "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0)",
            "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
            "CREATE UNIQUE INDEX users_email ON users (email)",
        ] {
            assert_eq!(
                classify(sql, Dialect::Postgres),
                (Class::Contract, "add-constraint".to_string()),
                "{sql}"
            );
        }
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            Dialect::Postgres
        ));
    }
}
