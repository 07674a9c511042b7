//! Facts about a column definition that several rules need.

use sqlparser::ast::{ColumnDef, ColumnOption, Expr};

/// `NOT NULL` (or `PRIMARY KEY`, which implies it).
pub(crate) fn is_not_null(column: &ColumnDef) -> bool {
    column.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
        )
    })
}

/// The column's `DEFAULT` expression, if written.
pub(crate) fn default_of(column: &ColumnDef) -> Option<&Expr> {
    column.options.iter().find_map(|o| match &o.option {
        ColumnOption::Default(expr) => Some(expr),
        _ => None,
    })
}

/// Filled by the database without a `DEFAULT`: serial types, identity and
/// generated columns.
pub(crate) fn is_generated(column: &ColumnDef) -> bool {
    let ty = column.data_type.to_string().to_lowercase();
    matches!(
        ty.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    ) || column.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::Generated { .. } | ColumnOption::Identity(_)
        )
    })
}
