//! Reads a bundle as a stream, entry by entry, enforcing every safety rule
//! and checking every payload entry against the manifest; optionally hands
//! each checked entry to an [`Extractor`]. Used twice by an import: once to
//! verify (nothing written), once to extract (everything re-checked).
//!
//! Limits are enforced while decompressing: the unpacked byte count is
//! compared with the compressed bytes read so far (decompression bombs),
//! entry sizes are checked from headers before any data is read.

use crate::error::{EntryProblem, ReleaseError};
use crate::extract::Extractor;
use crate::limits::{ExtractLimits, MAX_MANIFEST_SIZE, MAX_PATH_LEN};
use crate::manifest::{
    Entry, EntryKind, MANIFEST_ENTRY, Manifest, PAYLOAD_PREFIX, SIGNATURE_ENTRY,
};
use crate::signature::SignatureEntry;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::rc::Rc;

/// The bundle's metadata entries.
#[derive(Debug, Clone)]
pub(crate) struct BundleHead {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub signature: Option<SignatureEntry>,
}

/// Counters shared between the readers and the scan loop.
#[derive(Debug, Default)]
struct Counters {
    packed: Cell<u64>,
    /// Set when the ratio limit tripped: (unpacked, packed).
    bomb: Cell<Option<(u64, u64)>>,
}

struct CountingReader<R> {
    inner: R,
    counters: Rc<Counters>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let c = &self.counters.packed;
        c.set(c.get() + n as u64);
        Ok(n)
    }
}

/// Fails the stream once unpacked bytes exceed the ratio or the hard cap.
struct LimitedReader<R> {
    inner: R,
    counters: Rc<Counters>,
    unpacked: u64,
    ratio: u64,
    grace: u64,
    cap: u64,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.unpacked += n as u64;
        let packed = self.counters.packed.get().max(1);
        let over_ratio =
            self.unpacked > self.grace && self.unpacked > packed.saturating_mul(self.ratio);
        if over_ratio || self.unpacked > self.cap {
            self.counters.bomb.set(Some((self.unpacked, packed)));
            return Err(io::Error::other("decompression limit exceeded"));
        }
        Ok(n)
    }
}

/// Scans the bundle at `path`. `check_head` runs once the manifest and
/// signature are read, before any payload byte: verification fails early
/// there. With an `extractor`, each checked payload entry is written.
pub(crate) fn scan(
    path: &Path,
    limits: &ExtractLimits,
    check_head: &mut dyn FnMut(&BundleHead) -> Result<(), ReleaseError>,
    mut extractor: Option<&mut Extractor>,
) -> Result<BundleHead, ReleaseError> {
    let not_a_bundle = |reason: String| ReleaseError::NotABundle {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(ReleaseError::io("read", path))?;
    let counters = Rc::new(Counters::default());
    let decoder = zstd::Decoder::new(CountingReader {
        inner: file,
        counters: counters.clone(),
    })
    .map_err(|e| not_a_bundle(format!("not zstd-compressed: {e}")))?;
    let limited = LimitedReader {
        inner: decoder,
        counters: counters.clone(),
        unpacked: 0,
        ratio: limits.max_compression_ratio,
        grace: limits.ratio_grace_bytes,
        // Headers and metadata entries on top of the payload.
        cap: limits
            .max_total_size
            .saturating_add(limits.max_entries.saturating_mul(3 * 512))
            .saturating_add(2 * MAX_MANIFEST_SIZE),
    };
    let mut archive = tar::Archive::new(limited);
    let read_error = |e: io::Error, entry: &str| match counters.bomb.get() {
        Some((unpacked, packed)) => ReleaseError::DecompressionBomb {
            entry: entry.to_string(),
            unpacked,
            packed,
        },
        None => not_a_bundle(format!("cannot read entry `{entry}`: {e}")),
    };
    let mut entries = archive
        .entries()
        .map_err(|e| read_error(e, MANIFEST_ENTRY))?;

    // manifest.json, first.
    let mut first = match entries.next() {
        Some(entry) => entry.map_err(|e| read_error(e, MANIFEST_ENTRY))?,
        None => return Err(not_a_bundle("it is empty".into())),
    };
    if entry_name(&first).as_deref() != Some(MANIFEST_ENTRY) {
        return Err(not_a_bundle(format!(
            "its first entry is not `{MANIFEST_ENTRY}`"
        )));
    }
    let manifest_bytes = read_metadata(&mut first, MANIFEST_ENTRY, &read_error)?;
    drop(first);
    let manifest = Manifest::from_bytes(&manifest_bytes)?;

    // signature.json, second when present; else this is the first payload entry.
    let mut head = BundleHead {
        manifest,
        manifest_bytes,
        signature: None,
    };
    let mut pending = match entries.next() {
        Some(entry) => Some(entry.map_err(|e| read_error(e, MANIFEST_ENTRY))?),
        None => None,
    };
    if let Some(entry) = pending.as_mut()
        && entry_name(entry).as_deref() == Some(SIGNATURE_ENTRY)
    {
        let bytes = read_metadata(entry, SIGNATURE_ENTRY, &read_error)?;
        let signature = serde_json::from_slice(&bytes)
            .map_err(|e| not_a_bundle(format!("`{SIGNATURE_ENTRY}` is invalid: {e}")))?;
        head.signature = Some(signature);
        pending = None;
    }
    check_head(&head)?;

    let listed: BTreeMap<&str, &Entry> = head
        .manifest
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    let mut payload = PayloadCheck {
        limits,
        listed: &listed,
        seen: BTreeSet::new(),
        count: 0,
        total: 0,
    };
    let mut last = SIGNATURE_ENTRY.to_string();
    if let Some(mut entry) = pending {
        last = payload.entry(&mut entry, extractor.as_deref_mut(), &read_error)?;
    }
    for entry in entries {
        let mut entry = entry.map_err(|e| read_error(e, &last))?;
        last = payload.entry(&mut entry, extractor.as_deref_mut(), &read_error)?;
    }
    if let Some(missing) = listed.keys().find(|p| !payload.seen.contains(**p)) {
        return Err(ReleaseError::MissingEntry {
            entry: format!("{PAYLOAD_PREFIX}{missing}"),
        });
    }
    Ok(head)
}

fn entry_name<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    String::from_utf8(entry.path_bytes().into_owned()).ok()
}

fn read_metadata<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    read_error: &dyn Fn(io::Error, &str) -> ReleaseError,
) -> Result<Vec<u8>, ReleaseError> {
    let header = entry.header();
    if header.entry_type() != tar::EntryType::Regular {
        return Err(unsafe_entry(name, problem_of_type(header.entry_type())));
    }
    let size = entry.size();
    if size > MAX_MANIFEST_SIZE {
        return Err(unsafe_entry(
            name,
            EntryProblem::TooLarge {
                size,
                limit: MAX_MANIFEST_SIZE,
            },
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(e, name))?;
    Ok(bytes)
}

fn unsafe_entry(entry: &str, problem: EntryProblem) -> ReleaseError {
    ReleaseError::UnsafeEntry {
        entry: entry.to_string(),
        problem,
    }
}

fn problem_of_type(kind: tar::EntryType) -> EntryProblem {
    match kind {
        tar::EntryType::Symlink => EntryProblem::Symlink,
        tar::EntryType::Link => EntryProblem::Hardlink,
        tar::EntryType::Char | tar::EntryType::Block => EntryProblem::Device,
        tar::EntryType::Fifo => EntryProblem::Fifo,
        other => EntryProblem::OtherType(format!("{other:?}")),
    }
}

/// Checks a raw entry path; returns it relative to `files/` without a
/// trailing `/`.
fn payload_path(name: &str) -> Result<&str, EntryProblem> {
    if name.len() > MAX_PATH_LEN {
        return Err(EntryProblem::PathTooLong {
            limit: MAX_PATH_LEN,
        });
    }
    if name.starts_with('/') {
        return Err(EntryProblem::AbsolutePath);
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Err(EntryProblem::ParentComponent);
    }
    let relative = name
        .strip_prefix(PAYLOAD_PREFIX)
        .ok_or(EntryProblem::OutsidePayload)?;
    let relative = relative.strip_suffix('/').unwrap_or(relative);
    let malformed = relative.is_empty()
        || relative.contains('\\')
        || relative.contains('\0')
        || relative
            .split('/')
            .any(|part| part.is_empty() || part == ".");
    if malformed {
        return Err(EntryProblem::MalformedPath);
    }
    Ok(relative)
}

struct PayloadCheck<'a> {
    limits: &'a ExtractLimits,
    listed: &'a BTreeMap<&'a str, &'a Entry>,
    seen: BTreeSet<String>,
    count: u64,
    total: u64,
}

impl PayloadCheck<'_> {
    /// Checks one payload entry (and extracts it); returns its name.
    fn entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        extractor: Option<&mut Extractor>,
        read_error: &dyn Fn(io::Error, &str) -> ReleaseError,
    ) -> Result<String, ReleaseError> {
        let Some(name) = entry_name(entry) else {
            let lossy = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            return Err(unsafe_entry(&lossy, EntryProblem::NonUtf8Path));
        };
        self.count += 1;
        if self.count > self.limits.max_entries {
            return Err(ReleaseError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        if name == MANIFEST_ENTRY || name == SIGNATURE_ENTRY {
            return Err(unsafe_entry(&name, EntryProblem::Duplicate));
        }
        let relative = payload_path(&name).map_err(|p| unsafe_entry(&name, p))?;
        let header = entry.header();
        let kind = match header.entry_type() {
            tar::EntryType::Regular => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            other => return Err(unsafe_entry(&name, problem_of_type(other))),
        };
        let mode = header.mode().map_err(|e| read_error(e, &name))?;
        if mode & 0o7000 != 0 {
            return Err(unsafe_entry(&name, EntryProblem::SpecialBits { mode }));
        }
        if !self.seen.insert(relative.to_string()) {
            return Err(unsafe_entry(&name, EntryProblem::Duplicate));
        }
        let size = entry.size();
        if size > self.limits.max_entry_size {
            return Err(unsafe_entry(
                &name,
                EntryProblem::TooLarge {
                    size,
                    limit: self.limits.max_entry_size,
                },
            ));
        }
        self.total = self.total.saturating_add(size);
        if self.total > self.limits.max_total_size {
            return Err(ReleaseError::TotalTooLarge {
                entry: name,
                limit: self.limits.max_total_size,
            });
        }
        let Some(listed) = self.listed.get(relative) else {
            return Err(ReleaseError::UnlistedEntry { entry: name });
        };
        let tampered = |reason: String| ReleaseError::PayloadTampered {
            entry: name.clone(),
            reason,
        };
        if listed.kind != kind {
            return Err(tampered(
                format!("it is a {kind:?}, the manifest says {:?}", listed.kind).to_lowercase(),
            ));
        }
        if listed.mode != mode & 0o777 {
            return Err(tampered(format!(
                "mode {:04o}, the manifest says {:04o}",
                mode & 0o777,
                listed.mode
            )));
        }
        if listed.size != size {
            return Err(tampered(format!(
                "{size} bytes, the manifest says {}",
                listed.size
            )));
        }
        match kind {
            EntryKind::Dir => {
                if let Some(extractor) = extractor {
                    extractor.dir(relative)?;
                }
            }
            EntryKind::File => {
                let mut hasher = Sha256::new();
                let mut out = match extractor {
                    Some(extractor) => Some(extractor.file(relative, listed.mode)?),
                    None => None,
                };
                let mut buffer = [0u8; 64 * 1024];
                loop {
                    let n = entry.read(&mut buffer).map_err(|e| read_error(e, &name))?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                    if let Some((file, path)) = out.as_mut() {
                        file.write_all(&buffer[..n])
                            .map_err(ReleaseError::io("write", path.as_path()))?;
                    }
                }
                let actual = hex::encode(hasher.finalize());
                if listed.sha256.as_deref() != Some(actual.as_str()) {
                    return Err(tampered(format!(
                        "its content hashes to sha256:{actual}, the manifest says sha256:{}",
                        listed.sha256.as_deref().unwrap_or("nothing")
                    )));
                }
                if let Some((file, path)) = out {
                    file.sync_all().map_err(ReleaseError::io("write", &path))?;
                }
            }
        }
        Ok(name)
    }
}
