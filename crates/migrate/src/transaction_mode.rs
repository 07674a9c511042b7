//! Which statements cannot run inside a transaction. A migration containing
//! one runs statement by statement without a transaction (and says so).
//!
//! PostgreSQL: `CREATE/DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`,
//! `VACUUM`, `CREATE/DROP DATABASE`, `CREATE/DROP TABLESPACE`, `ALTER
//! SYSTEM`. SQLite: `VACUUM`.

use crate::dialect::Dialect;

/// Why `statement` cannot run in a transaction, or `None` when it can.
pub fn no_transaction_reason(statement: &str, dialect: Dialect) -> Option<&'static str> {
    let words: Vec<String> = statement
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if words.first() == Some(&"VACUUM") {
        return Some("VACUUM cannot run inside a transaction");
    }
    if dialect == Dialect::Sqlite {
        return None;
    }
    let concurrently = words.contains(&"CONCURRENTLY");
    match words.as_slice() {
        ["CREATE", ..] | ["DROP", ..] | ["REINDEX", ..] if concurrently => {
            Some("CONCURRENTLY index operations cannot run inside a transaction")
        }
        ["CREATE" | "DROP", "DATABASE" | "TABLESPACE", ..] => {
            Some("CREATE/DROP DATABASE and TABLESPACE cannot run inside a transaction")
        }
        ["ALTER", "SYSTEM", ..] => Some("ALTER SYSTEM cannot run inside a transaction"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_index_builds_and_vacuum_need_no_transaction() {
        let pg = Dialect::Postgres;
        assert!(no_transaction_reason("CREATE INDEX CONCURRENTLY i ON t (a)", pg).is_some());
        assert!(no_transaction_reason("create unique index concurrently i on t (a)", pg).is_some());
        assert!(no_transaction_reason("DROP INDEX CONCURRENTLY i", pg).is_some());
        assert!(no_transaction_reason("VACUUM ANALYZE t", pg).is_some());
        assert!(no_transaction_reason("VACUUM", Dialect::Sqlite).is_some());
        assert!(no_transaction_reason("CREATE INDEX i ON t (a)", pg).is_none());
        assert!(no_transaction_reason("ALTER TABLE t ADD COLUMN concurrently int", pg).is_none());
    }
}
