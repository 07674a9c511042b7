//! The release store's files (its SQLite records are the daemon's):
//!
//! ```text
//! <releases_dir>/<digest hex>.tar.zst          the bundle, as imported
//! <releases_dir>/<digest hex>/manifest.json    its manifest (and signature.json)
//! <releases_dir>/<digest hex>/app/             the payload: the release's working directory
//! ```
//!
//! An import verifies the bundle first (reading everything, writing
//! nothing), then copies it and extracts the copy into a fresh temp dir in
//! `releases_dir`, re-checking every entry, fsyncs, and renames the dir into
//! place: a release directory is either complete or absent. Importing the
//! same digest again changes nothing.

use crate::digest::ReleaseDigest;
use crate::error::ReleaseError;
use crate::extract::{Extractor, sync_dir};
use crate::keys::{KeyId, PublicKey};
use crate::limits::ExtractLimits;
use crate::manifest::{MANIFEST_ENTRY, Manifest, SIGNATURE_ENTRY};
use crate::scan::scan;
use crate::verify::verify_with;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The payload directory inside a release directory.
pub const APP_DIR: &str = "app";

/// A release in the store.
#[derive(Debug, Clone)]
pub struct StoredRelease {
    pub version: String,
    pub digest: ReleaseDigest,
    /// `<releases_dir>/<hex>.tar.zst`.
    pub bundle: PathBuf,
    /// `<releases_dir>/<hex>/`.
    pub dir: PathBuf,
    /// `<releases_dir>/<hex>/app/`: run the release's processes here
    /// ([`Manifest::spec_in`]).
    pub app_dir: PathBuf,
    pub manifest: Manifest,
    pub signer: KeyId,
    /// The digest was already in the store; nothing was written.
    pub already_present: bool,
}

/// Imports with the default [`ExtractLimits`].
pub fn import(
    bundle: &Path,
    releases_dir: &Path,
    trusted_keys: &[PublicKey],
    app: &str,
) -> Result<StoredRelease, ReleaseError> {
    import_with(
        bundle,
        releases_dir,
        trusted_keys,
        app,
        &ExtractLimits::default(),
    )
}

/// Verifies `bundle` and adds it to the store in `releases_dir`.
pub fn import_with(
    bundle: &Path,
    releases_dir: &Path,
    trusted_keys: &[PublicKey],
    app: &str,
    limits: &ExtractLimits,
) -> Result<StoredRelease, ReleaseError> {
    let verified = verify_with(bundle, trusted_keys, app, limits)?;
    let hex = verified.digest.hex().to_string();
    let dir = releases_dir.join(&hex);
    let stored_bundle = releases_dir.join(format!("{hex}.tar.zst"));
    let release = |already_present| StoredRelease {
        version: verified.version.clone(),
        digest: verified.digest.clone(),
        bundle: stored_bundle.clone(),
        app_dir: dir.join(APP_DIR),
        dir: dir.clone(),
        manifest: verified.manifest.clone(),
        signer: verified.signer.clone(),
        already_present,
    };
    if dir.join(MANIFEST_ENTRY).is_file() && stored_bundle.is_file() {
        return Ok(release(true));
    }
    std::fs::create_dir_all(releases_dir).map_err(ReleaseError::io("create", releases_dir))?;

    // Our own copy, so the bytes extracted cannot change under us.
    let mut copy = tempfile::Builder::new()
        .prefix(".import-")
        .suffix(".tar.zst")
        .tempfile_in(releases_dir)
        .map_err(ReleaseError::io("create a temporary file in", releases_dir))?;
    let mut source = std::fs::File::open(bundle).map_err(ReleaseError::io("read", bundle))?;
    std::io::copy(&mut source, copy.as_file_mut())
        .and_then(|_| copy.as_file_mut().flush())
        .and_then(|()| copy.as_file().sync_all())
        .map_err(ReleaseError::io("copy", bundle))?;

    let temp = tempfile::Builder::new()
        .prefix(".import-")
        .tempdir_in(releases_dir)
        .map_err(ReleaseError::io(
            "create a temporary directory in",
            releases_dir,
        ))?;
    let app_dir = temp.path().join(APP_DIR);
    let mut extractor = Extractor::new(app_dir.clone());
    std::fs::create_dir(&app_dir).map_err(ReleaseError::io("create", &app_dir))?;
    let head = scan(
        copy.path(),
        limits,
        &mut |head| {
            if head.manifest_bytes == verified.manifest_bytes {
                Ok(())
            } else {
                Err(ReleaseError::BundleChanged {
                    path: bundle.to_path_buf(),
                })
            }
        },
        Some(&mut extractor),
    )?;
    extractor.sync()?;
    write_synced(&temp.path().join(MANIFEST_ENTRY), &head.manifest_bytes)?;
    if let Some(signature) = &head.signature {
        write_synced(&temp.path().join(SIGNATURE_ENTRY), &signature.to_bytes())?;
    }
    sync_dir(temp.path())?;

    copy.persist(&stored_bundle)
        .map_err(|e| ReleaseError::io("write", &stored_bundle)(e.error))?;
    match std::fs::rename(temp.path(), &dir) {
        Ok(()) => {
            let _ = temp.keep();
        }
        // Imported concurrently by someone else: theirs is identical.
        Err(_) if dir.join(MANIFEST_ENTRY).is_file() => {
            sync_dir(releases_dir)?;
            return Ok(release(true));
        }
        Err(e) => return Err(ReleaseError::io("rename into", &dir)(e)),
    }
    sync_dir(releases_dir)?;
    Ok(release(false))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ReleaseError> {
    let mut file = std::fs::File::create(path).map_err(ReleaseError::io("create", path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(ReleaseError::io("write", path))
}
