//! Writes a bundle file: a tar stream (GNU headers) compressed with zstd,
//! laid out as `manifest.json`, `signature.json` (when signed), then every
//! payload entry under `files/` in path order. Headers are canonical: fixed
//! mtime, uid/gid 0, no user or group names, modes 0644/0755.

use crate::artifacts::Artifact;
use crate::error::ReleaseError;
use crate::manifest::{EntryKind, MANIFEST_ENTRY, PAYLOAD_PREFIX, SIGNATURE_ENTRY};
use crate::mode::FILE_MODE;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// zstd level of bundles: a good ratio at a few tens of MB/s on one core.
pub const COMPRESSION_LEVEL: i32 = 9;

/// Writes the bundle atomically: to a temp file beside `path`, fsynced, then
/// renamed over `path`.
pub(crate) fn write(
    path: &Path,
    manifest: &[u8],
    signature: Option<&[u8]>,
    artifacts: &[Artifact],
    mtime: u64,
) -> Result<(), ReleaseError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(ReleaseError::io("create", dir))?;
    let temp = tempfile::Builder::new()
        .prefix(".bundle-")
        .tempfile_in(dir)
        .map_err(ReleaseError::io("create a temporary file in", dir))?;
    let write_error = ReleaseError::io("write", temp.path());
    let file = write_tar(
        temp.as_file()
            .try_clone()
            .map_err(ReleaseError::io("write", temp.path()))?,
        manifest,
        signature,
        artifacts,
        mtime,
    )?;
    file.sync_all().map_err(write_error)?;
    temp.persist(path)
        .map_err(|e| ReleaseError::io("write", path)(e.error))?;
    Ok(())
}

fn write_tar(
    file: File,
    manifest: &[u8],
    signature: Option<&[u8]>,
    artifacts: &[Artifact],
    mtime: u64,
) -> Result<File, ReleaseError> {
    let encoder = zstd::Encoder::new(file, COMPRESSION_LEVEL)
        .map_err(|e| ReleaseError::io("compress", "the bundle")(e))?;
    let mut tar = tar::Builder::new(encoder);
    let tar_error = |e| ReleaseError::io("write", "the bundle")(e);
    append(
        &mut tar,
        MANIFEST_ENTRY,
        tar::EntryType::Regular,
        FILE_MODE,
        manifest.len() as u64,
        mtime,
        manifest,
    )
    .map_err(tar_error)?;
    if let Some(signature) = signature {
        append(
            &mut tar,
            SIGNATURE_ENTRY,
            tar::EntryType::Regular,
            FILE_MODE,
            signature.len() as u64,
            mtime,
            signature,
        )
        .map_err(tar_error)?;
    }
    for artifact in artifacts {
        let entry = &artifact.entry;
        let name = format!("{PAYLOAD_PREFIX}{}", entry.path);
        match entry.kind {
            EntryKind::Dir => {
                append(
                    &mut tar,
                    &name,
                    tar::EntryType::Directory,
                    entry.mode,
                    0,
                    mtime,
                    io::empty(),
                )
                .map_err(tar_error)?;
            }
            EntryKind::File => {
                let source = File::open(&artifact.source)
                    .map_err(ReleaseError::io("read", &artifact.source))?;
                let mut hashing = HashingReader {
                    inner: source.take(entry.size),
                    hasher: Sha256::new(),
                };
                let written = append(
                    &mut tar,
                    &name,
                    tar::EntryType::Regular,
                    entry.mode,
                    entry.size,
                    mtime,
                    &mut hashing,
                );
                let changed = || ReleaseError::ArtifactChanged {
                    path: entry.path.clone(),
                };
                // A file that shrank makes the tar writer fail; one whose
                // bytes changed hashes differently.
                written.map_err(|_| changed())?;
                if Some(hex::encode(hashing.hasher.finalize())) != entry.sha256 {
                    return Err(changed());
                }
            }
        }
    }
    let encoder = tar.into_inner().map_err(tar_error)?;
    encoder.finish().map_err(tar_error)
}

#[allow(clippy::too_many_arguments)]
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    kind: tar::EntryType,
    mode: u32,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    tar.append_data(&mut header, name, data)
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
