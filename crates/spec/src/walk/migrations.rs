//! `[migrations]` / `[env.NAME.migrations]`: the migrations directory and
//! the database URL they run against.

use super::{MIGRATIONS_KEYS, Value, Walker, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::Context;
use crate::raw::RawMigrations;
use std::ops::Range;

impl Walker<'_> {
    /// `[migrations]` / `[env.NAME.migrations]`: `dir` and `database`
    /// (both `${VAR}`-interpolated). What is required is decided by the
    /// resolver, which sees the overlay and the base together.
    pub(super) fn migrations(
        &mut self,
        key_span: Range<usize>,
        value: &Value<'_>,
        field: &str,
    ) -> Option<RawMigrations> {
        let table = self.table(value, field)?;
        self.unknown_keys(table, MIGRATIONS_KEYS, field);
        let mut migrations = RawMigrations {
            key_span,
            field: field.to_string(),
            ..RawMigrations::default()
        };
        for (key, value) in table.iter() {
            let key_field = join(field, key.get_ref());
            match key.get_ref().as_ref() {
                "dir" => migrations.dir = self.string(value, &key_field, Context::Value),
                "database" => {
                    migrations.database = self.string(value, &key_field, Context::Value);
                    if let Some(url) = &migrations.database
                        && !is_database_url(&url.value)
                    {
                        self.problems.push(
                            SpecProblem::error(
                                code::INVALID_DATABASE_URL,
                                format!("`{key_field}` is not a database URL daytwo can migrate"),
                            )
                            .field(&key_field)
                            .span(url.span.clone())
                            .label("expected sqlite:// or postgres://")
                            .hint("write sqlite://PATH (e.g. \"sqlite://data/app.db\") or postgres://USER@HOST:PORT/DB, usually \"${DATABASE_URL}\""),
                        );
                        migrations.database = None;
                    }
                }
                _ => {}
            }
        }
        Some(migrations)
    }
}

/// A URL the migration runner understands: `sqlite:…`, `postgres://…` or
/// `postgresql://…`.
fn is_database_url(url: &str) -> bool {
    url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")
}
