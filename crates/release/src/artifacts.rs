//! Collects `[build] artifacts` from the spec's directory: files and
//! directories (recursively), each with its normalised mode and, for files,
//! size and sha256. Parent directories of an artifact are included so the
//! tree extracts as written. Symlinks and special files are refused.

use crate::error::ReleaseError;
use crate::manifest::{Entry, EntryKind};
use crate::mode::{DIR_MODE, normalised_file_mode};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A payload entry and the file it comes from.
#[derive(Debug, Clone)]
pub(crate) struct Artifact {
    pub entry: Entry,
    pub source: PathBuf,
}

/// Every entry under the artifacts, sorted by path, without duplicates.
pub(crate) fn collect(
    dir: &Path,
    artifacts: &[String],
    spec_file: &Path,
) -> Result<Vec<Artifact>, ReleaseError> {
    let mut found = BTreeMap::new();
    for artifact in artifacts {
        let source = dir.join(artifact);
        let metadata = match std::fs::symlink_metadata(&source) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReleaseError::MissingArtifact {
                    path: artifact.clone(),
                    file: spec_file.to_path_buf(),
                    line: declaration_line(spec_file, artifact),
                });
            }
            Err(e) => return Err(ReleaseError::io("read", &source)(e)),
        };
        add_parents(dir, artifact, &mut found);
        add(artifact.clone(), source, &metadata, &mut found)?;
    }
    Ok(found.into_values().collect())
}

fn add_parents(dir: &Path, artifact: &str, found: &mut BTreeMap<String, Artifact>) {
    let mut parent = String::new();
    let parts: Vec<&str> = artifact.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        if !parent.is_empty() {
            parent.push('/');
        }
        parent.push_str(part);
        found.entry(parent.clone()).or_insert_with(|| Artifact {
            entry: dir_entry(parent.clone()),
            source: dir.join(&parent),
        });
    }
}

fn dir_entry(path: String) -> Entry {
    Entry {
        path,
        kind: EntryKind::Dir,
        mode: DIR_MODE,
        size: 0,
        sha256: None,
    }
}

fn add(
    path: String,
    source: PathBuf,
    metadata: &Metadata,
    found: &mut BTreeMap<String, Artifact>,
) -> Result<(), ReleaseError> {
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(ReleaseError::ArtifactSymlink { path });
    }
    if kind.is_file() {
        let (size, sha256) = hash_file(&source)?;
        let entry = Entry {
            path: path.clone(),
            kind: EntryKind::File,
            mode: normalised_file_mode(metadata.permissions().mode()),
            size,
            sha256: Some(sha256),
        };
        found.insert(path, Artifact { entry, source });
        return Ok(());
    }
    if !kind.is_dir() {
        let kind = if kind.is_fifo() {
            "FIFO"
        } else if kind.is_socket() {
            "socket"
        } else {
            "device"
        };
        return Err(ReleaseError::UnsupportedArtifact { path, kind });
    }
    found.insert(
        path.clone(),
        Artifact {
            entry: dir_entry(path.clone()),
            source: source.clone(),
        },
    );
    let read = std::fs::read_dir(&source).map_err(ReleaseError::io("read", &source))?;
    for child in read {
        let child = child.map_err(ReleaseError::io("read", &source))?;
        let child_source = child.path();
        let name = child
            .file_name()
            .into_string()
            .map_err(|_| ReleaseError::NonUtf8Path {
                path: child_source.clone(),
            })?;
        let metadata = child
            .metadata()
            .map_err(ReleaseError::io("read", &child_source))?;
        add(format!("{path}/{name}"), child_source, &metadata, found)?;
    }
    Ok(())
}

/// Size and hex sha256 of a file's bytes.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String), ReleaseError> {
    let mut file = std::fs::File::open(path).map_err(ReleaseError::io("read", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(ReleaseError::io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// The 1-based line of the spec that declares `artifact`, if it can be found.
fn declaration_line(spec_file: &Path, artifact: &str) -> Option<usize> {
    let text = std::fs::read_to_string(spec_file).ok()?;
    let start = text.find("artifacts")?;
    let offset = start + text[start..].find(artifact)?;
    Some(text[..offset].matches('\n').count() + 1)
}
