//! The migration directory: `NNNN_name.sql` files with optional
//! `NNNN_name.down.sql`, validated (names, duplicates, gaps) and checksummed.

use crate::error::MigrateError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Suffix of an up migration.
pub const UP_SUFFIX: &str = ".sql";
/// Suffix of an optional down migration.
pub const DOWN_SUFFIX: &str = ".down.sql";

/// One migration: its up file, read and checksummed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The number before the first `_`.
    pub version: u64,
    /// The part between the `_` and `.sql`.
    pub name: String,
    /// The file name, e.g. `0003_add_visits.sql`.
    pub file: String,
    /// `dir.join(file)`.
    pub path: PathBuf,
    pub sql: String,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub checksum: String,
    /// The matching `.down.sql`, when there is one.
    pub down: Option<PathBuf>,
}

/// All migrations of a directory, in version order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationDir {
    pub dir: PathBuf,
    pub migrations: Vec<Migration>,
}

impl MigrationDir {
    /// Reads `dir`. Files not ending in `.sql` are ignored. Every problem
    /// (bad name, two files with one version, a gap in the numbering, a down
    /// file without its up file) is collected and reported together.
    pub fn load(dir: &Path) -> Result<MigrationDir, MigrateError> {
        let entries = std::fs::read_dir(dir).map_err(|source| MigrateError::ReadDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| MigrateError::ReadDir {
                dir: dir.to_path_buf(),
                source,
            })?;
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();

        let mut problems = Vec::new();
        let mut ups: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
        let mut downs: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
        for file in names.iter().filter(|n| n.ends_with(UP_SUFFIX)) {
            let (stem, target) = match file.strip_suffix(DOWN_SUFFIX) {
                Some(stem) => (stem, &mut downs),
                None => (&file[..file.len() - UP_SUFFIX.len()], &mut ups),
            };
            match parse_stem(stem) {
                Some((version, name)) => target
                    .entry(version)
                    .or_default()
                    .push((file.clone(), name)),
                None => problems.push(format!(
                    "{file}: not a migration name; expected NNNN_name.sql or NNNN_name.down.sql \
                     (digits, `_`, then letters, digits, `_` or `-`)"
                )),
            }
        }
        for (version, files) in ups.iter().chain(downs.iter()) {
            if files.len() > 1 {
                let list: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
                problems.push(format!(
                    "version {version} is used by more than one file: {}",
                    list.join(", ")
                ));
            }
        }
        for (version, files) in &downs {
            let up_name = ups.get(version).and_then(|u| u.first()).map(|(_, n)| n);
            if up_name != files.first().map(|(_, n)| n) {
                problems.push(format!(
                    "{}: down migration without a matching up migration",
                    files[0].0
                ));
            }
        }
        let versions: Vec<u64> = ups.keys().copied().collect();
        for pair in versions.windows(2) {
            if pair[1] != pair[0] + 1 {
                let before = &ups[&pair[0]][0].0;
                let after = &ups[&pair[1]][0].0;
                problems.push(format!(
                    "gap in the numbering: nothing between {before} and {after} (expected version {})",
                    pair[0] + 1
                ));
            }
        }
        if !problems.is_empty() {
            return Err(MigrateError::Files {
                dir: dir.to_path_buf(),
                problems,
            });
        }

        let mut migrations = Vec::new();
        for (version, files) in ups {
            let (file, name) = files.into_iter().next().expect("one file per version");
            let path = dir.join(&file);
            let bytes = std::fs::read(&path).map_err(|source| MigrateError::ReadFile {
                path: path.clone(),
                source,
            })?;
            let sql = String::from_utf8_lossy(&bytes).into_owned();
            let down = downs.get(&version).map(|d| dir.join(&d[0].0));
            migrations.push(Migration {
                version,
                name,
                file,
                path,
                sql,
                checksum: hex::encode(Sha256::digest(&bytes)),
                down,
            });
        }
        Ok(MigrationDir {
            dir: dir.to_path_buf(),
            migrations,
        })
    }
}

/// `0003_add_visits` → `(3, "add_visits")`.
fn parse_stem(stem: &str) -> Option<(u64, String)> {
    let (digits, name) = stem.split_once('_')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    valid_name.then(|| Some((digits.parse().ok()?, name.to_string())))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, sql) in files {
            std::fs::write(dir.path().join(name), sql).unwrap();
        }
        dir
    }

    #[test]
    fn migrations_load_in_version_order_with_their_down_files() {
        let dir = dir_with(&[
            ("0002_b.sql", "SELECT 2;"),
            ("0001_a.sql", "SELECT 1;"),
            ("0001_a.down.sql", "SELECT 0;"),
            ("README.md", "notes"),
        ]);
        let loaded = MigrationDir::load(dir.path()).unwrap();
        let files: Vec<&str> = loaded.migrations.iter().map(|m| m.file.as_str()).collect();
        assert_eq!(files, ["0001_a.sql", "0002_b.sql"]);
        assert!(loaded.migrations[0].down.is_some());
        assert_eq!(loaded.migrations[0].checksum.len(), 64);
    }

    #[test]
    fn bad_names_duplicates_gaps_and_orphan_downs_are_all_reported() {
        let dir = dir_with(&[
            ("0001_a.sql", ""),
            ("0001_again.sql", ""),
            ("0004_d.sql", ""),
            ("0009_x.down.sql", ""),
            ("add users.sql", ""),
        ]);
        let error = MigrationDir::load(dir.path()).unwrap_err().to_string();
        let error = error.replace(&dir.path().display().to_string(), "DIR");
        insta::assert_snapshot!(error);
    }
}
