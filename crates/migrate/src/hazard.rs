//! PostgreSQL lock hazards: statements that may be compatible with the
//! running release but block its traffic while they run. Only reported for
//! the PostgreSQL dialect (SQLite serialises all writers anyway).

use crate::finding::Hazard;

pub const INDEX_WITHOUT_CONCURRENTLY: &str = "index-without-concurrently";
pub const TABLE_REWRITE: &str = "table-rewrite";
pub const LONG_ACCESS_EXCLUSIVE_LOCK: &str = "long-access-exclusive-lock";
pub const UNBATCHED_UPDATE: &str = "unbatched-update";

/// Functions whose value differs per row: a `DEFAULT` calling one makes
/// `ADD COLUMN` rewrite the whole table (PostgreSQL 11+ stores constant and
/// stable defaults in the catalog instead).
const VOLATILE_FUNCTIONS: &[&str] = &[
    "random(",
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v4(",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
    "txid_current(",
];

pub fn index_without_concurrently(table: &str, dropping: bool) -> Hazard {
    let what = if dropping {
        "DROP INDEX"
    } else {
        "CREATE INDEX"
    };
    Hazard {
        id: INDEX_WITHOUT_CONCURRENTLY.to_string(),
        message: format!(
            "{what} without CONCURRENTLY locks `{table}` against writes until it finishes; \
             use {what} CONCURRENTLY (daytwo then runs the migration outside a transaction)"
        ),
    }
}

pub fn table_rewrite(table: &str, cause: &str) -> Hazard {
    Hazard {
        id: TABLE_REWRITE.to_string(),
        message: format!(
            "{cause} rewrites every row of `{table}` under an ACCESS EXCLUSIVE lock: \
             reads and writes wait until it finishes"
        ),
    }
}

pub fn long_access_exclusive_lock(table: &str, cause: &str) -> Hazard {
    Hazard {
        id: LONG_ACCESS_EXCLUSIVE_LOCK.to_string(),
        message: format!(
            "{cause} scans all of `{table}` while holding an ACCESS EXCLUSIVE lock: \
             reads and writes wait until it finishes"
        ),
    }
}

pub fn unbatched_update(table: &str, verb: &str) -> Hazard {
    Hazard {
        id: UNBATCHED_UPDATE.to_string(),
        message: format!(
            "{verb} without WHERE touches every row of `{table}` in one transaction, \
             holding row locks until commit; batch it by key ranges"
        ),
    }
}

/// True when a default expression (as SQL text) calls a volatile function.
pub fn is_volatile_default(expr_sql: &str) -> bool {
    let lower = expr_sql.to_lowercase().replace(' ', "");
    VOLATILE_FUNCTIONS.iter().any(|f| lower.contains(f))
}
