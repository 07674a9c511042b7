//! Finding releases by name in the store's manifests
//! (`<releases_dir>/<hex>/manifest.json`): a version, a digest or a unique
//! digest prefix.

use super::NotesError;
use crate::manifest::{MANIFEST_ENTRY, Manifest};
use std::path::Path;

/// Every readable manifest in `releases_dir`, oldest first (a missing
/// directory is an empty store). Unreadable entries are skipped: the store's
/// temp dirs hold no manifest.
pub fn load_manifests(releases_dir: &Path) -> Result<Vec<Manifest>, NotesError> {
    let entries = match std::fs::read_dir(releases_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(NotesError::Io {
                path: releases_dir.to_path_buf(),
                source,
            });
        }
    };
    let mut manifests: Vec<Manifest> = entries
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|entry| std::fs::read(entry.path().join(MANIFEST_ENTRY)).ok())
        .filter_map(|bytes| Manifest::from_bytes(&bytes).ok())
        .collect();
    manifests.sort_by(|a, b| a.created.cmp(&b.created).then(a.version.cmp(&b.version)));
    Ok(manifests)
}

/// The release named `query`: an exact version, a digest (`sha256:<hex>` or
/// `<hex>`) or a unique digest prefix. Several releases with one version
/// (rebuilt): the newest.
pub fn resolve<'a>(manifests: &'a [Manifest], query: &str) -> Result<&'a Manifest, NotesError> {
    if let Some(found) = manifests.iter().rev().find(|m| m.version == query) {
        return Ok(found);
    }
    let prefix = query
        .strip_prefix("sha256:")
        .unwrap_or(query)
        .to_ascii_lowercase();
    let matches: Vec<&Manifest> = if prefix.is_empty() {
        Vec::new()
    } else {
        manifests
            .iter()
            .filter(|m| m.digest.hex().starts_with(&prefix))
            .collect()
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(NotesError::UnknownRelease {
            query: query.to_string(),
            known: if manifests.is_empty() {
                "the store is empty".to_string()
            } else {
                let versions: Vec<&str> = manifests.iter().map(|m| m.version.as_str()).collect();
                format!("known: {}", versions.join(", "))
            },
        }),
        many => Err(NotesError::AmbiguousRelease {
            query: query.to_string(),
            matches: many
                .iter()
                .map(|m| format!("{} ({})", m.version, m.digest.short()))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The default `--since`: the newest release of the same app created
/// before `release` (another digest).
pub fn since_default<'a>(manifests: &'a [Manifest], release: &Manifest) -> Option<&'a Manifest> {
    manifests
        .iter()
        .filter(|m| m.app == release.app && m.digest != release.digest)
        .filter(|m| m.created < release.created)
        .max_by_key(|m| m.created)
}
