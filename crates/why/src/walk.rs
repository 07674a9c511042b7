//! The source files of a tree, without vendored, generated or ignored code:
//! well-known dependency and build directories, generated-file name patterns,
//! and plain directory names listed in the root `.gitignore`.

use crate::WhyError;
use crate::language::Language;
use std::path::{Path, PathBuf};

pub const SKIPPED_DIRS: &[&str] = &[
    "target",
    "node_modules",
    "vendor",
    "third_party",
    ".git",
    ".hg",
    "dist",
    "build",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".mypy_cache",
    ".next",
];

const GENERATED_SUFFIXES: &[&str] = &[
    ".min.js",
    ".pb.go",
    "_pb2.py",
    "_pb2_grpc.py",
    ".generated.ts",
    ".d.ts",
    "_generated.go",
];

/// Source files larger than this are bundles or generated data.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Every indexable source file under `root`, sorted.
pub fn source_files(root: &Path) -> Result<Vec<(PathBuf, Language)>, WhyError> {
    if !root.is_dir() {
        return Err(WhyError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let ignored = gitignored_names(root);
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| WhyError::ReadDir {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) && !ignored.contains(&name) {
                    pending.push(path);
                }
            } else if file_type.is_file()
                && !is_generated(&name)
                && !ignored.contains(&name)
                && entry
                    .metadata()
                    .is_ok_and(|meta| meta.len() <= MAX_FILE_BYTES)
                && let Some(language) = Language::of(&path)
            {
                files.push((path, language));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn is_generated(name: &str) -> bool {
    GENERATED_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
        || name.contains("_pb.")
}

/// Plain names (no globs, no negation) from `root/.gitignore`.
fn gitignored_names(root: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(root.join(".gitignore")) else {
        return Vec::new();
    };
    text.lines()
        .map(|line| line.trim().trim_matches('/'))
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with('#')
                && !line.starts_with('!')
                && !line.contains(['*', '?', '[', '/'])
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_vendored_generated_and_gitignored_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("src/main.rs", ""),
            ("node_modules/x/index.js", ""),
            ("web/app.min.js", ""),
            ("api/order_pb.js", ""),
            ("out/gen.py", ""),
            ("notes.txt", ""),
            ("web/app.ts", ""),
            (".gitignore", "out/\n*.log\n"),
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let names: Vec<String> = source_files(root)
            .unwrap()
            .into_iter()
            .map(|(path, _)| path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, vec!["src/main.rs", "web/app.ts"]);
    }
}
