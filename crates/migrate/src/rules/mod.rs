//! The compatibility rules: one rule per file, each with an id, a class, why
//! it matters to the release still running, and the safe recipe.
//!
//! A statement becomes one or more [`Target`]s (an `ALTER TABLE` gives one
//! per operation); the first rule in [`RULES`] order whose `check` matches a
//! target classifies it. A target no rule matches is `unclassified`
//! (unknown). PostgreSQL lock hazards are attached by the rules themselves
//! (see [`crate::hazard`]).

use crate::dialect::Dialect;
use crate::finding::{Class, Hazard};
use sqlparser::ast::{AlterTableOperation, ObjectName, Statement};
use std::collections::HashSet;

mod add_column_not_null;
mod add_column_nullable;
mod add_column_with_default;
mod add_constraint;
mod alter_column_type;
mod column_def;
mod create_index;
mod create_object;
mod create_table;
mod create_view;
mod data_change;
mod do_block;
mod drop_column;
mod drop_constraint;
mod drop_default;
mod drop_index;
mod drop_not_null;
mod drop_object;
mod drop_table;
mod dynamic_sql;
mod no_schema_change;
mod rename_column;
mod rename_table;
mod set_default;
mod set_not_null;
mod transaction_control;
mod unclassified;
mod unparsable;
mod validate_constraint;

#[cfg(test)]
pub(crate) mod snapshot;

/// A rule's fixed description, as listed in docs/migrations.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub class: Class,
    /// Why the statement is (or is not) safe for the release still running.
    pub why: &'static str,
    /// How to reach the same schema safely with expand/contract steps.
    pub recipe: &'static str,
}

/// What one rule looks at: a parsed statement, one operation of an
/// `ALTER TABLE`, or a statement the parser could not read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    Statement(&'a Statement),
    AlterTable {
        table: &'a ObjectName,
        op: &'a AlterTableOperation,
    },
    Unparsed {
        error: &'a str,
    },
}

/// What a rule knows besides its target.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub dialect: Dialect,
    /// The statement's text as written.
    pub text: &'a str,
    /// Tables created earlier in the same file (normalised names): changes
    /// to them cannot affect the running release, which never saw them.
    pub new_tables: &'a HashSet<String>,
}

impl Context<'_> {
    pub fn is_new_table(&self, name: &ObjectName) -> bool {
        self.new_tables.contains(&table_key(name))
    }

    pub fn postgres(&self) -> bool {
        self.dialect == Dialect::Postgres
    }
}

/// A rule's decision for one target.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub rule: &'static Rule,
    /// What exactly this statement does, e.g. "drops column users.email".
    pub subject: String,
    pub hazards: Vec<Hazard>,
}

impl Verdict {
    pub fn new(rule: &'static Rule, subject: impl Into<String>) -> Self {
        Verdict {
            rule,
            subject: subject.into(),
            hazards: Vec::new(),
        }
    }

    pub fn with_hazard(mut self, hazard: Option<Hazard>) -> Self {
        self.hazards.extend(hazard);
        self
    }
}

type Check = fn(&Target<'_>, &Context<'_>) -> Option<Verdict>;

/// Every rule in the order they are tried; `unclassified` last.
pub(crate) const RULES: &[(&Rule, Check)] = &[
    (&do_block::RULE, do_block::check),
    (&dynamic_sql::RULE, dynamic_sql::check),
    (&transaction_control::RULE, transaction_control::check),
    (&no_schema_change::RULE, no_schema_change::check),
    (&unparsable::RULE, unparsable::check),
    (&create_table::RULE, create_table::check),
    (&add_column_not_null::RULE, add_column_not_null::check),
    (
        &add_column_with_default::RULE,
        add_column_with_default::check,
    ),
    (&add_column_nullable::RULE, add_column_nullable::check),
    (&add_constraint::RULE, add_constraint::check),
    (&create_index::RULE, create_index::check),
    (&create_view::RULE, create_view::check),
    (&create_object::RULE, create_object::check),
    (&data_change::RULE, data_change::check),
    (&drop_column::RULE, drop_column::check),
    (&drop_table::RULE, drop_table::check),
    (&drop_index::RULE, drop_index::check),
    (&drop_object::RULE, drop_object::check),
    (&rename_column::RULE, rename_column::check),
    (&rename_table::RULE, rename_table::check),
    (&alter_column_type::RULE, alter_column_type::check),
    (&set_not_null::RULE, set_not_null::check),
    (&drop_not_null::RULE, drop_not_null::check),
    (&set_default::RULE, set_default::check),
    (&drop_default::RULE, drop_default::check),
    (&drop_constraint::RULE, drop_constraint::check),
    (&validate_constraint::RULE, validate_constraint::check),
    (&unclassified::RULE, unclassified::check),
];

/// Every rule, in documentation order.
pub fn all_rules() -> Vec<&'static Rule> {
    RULES.iter().map(|(rule, _)| *rule).collect()
}

/// Classifies one target with the first matching rule.
pub(crate) fn classify(target: &Target<'_>, ctx: &Context<'_>) -> Verdict {
    RULES
        .iter()
        .find_map(|(_, check)| check(target, ctx))
        .unwrap_or_else(|| Verdict::new(&unclassified::RULE, "statement"))
}

/// A table name normalised for comparison: lower case, quotes removed.
pub(crate) fn table_key(name: &ObjectName) -> String {
    name.to_string()
        .replace(['"', '`', '[', ']'], "")
        .to_lowercase()
}
