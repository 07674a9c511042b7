//! Verification: reads the whole bundle (every limit and safety rule, every
//! file hash) and checks signature, trust, digest and app, writing nothing.

use crate::digest::ReleaseDigest;
use crate::error::ReleaseError;
use crate::keys::{KeyId, PublicKey};
use crate::limits::ExtractLimits;
use crate::manifest::Manifest;
use crate::scan::{BundleHead, scan};
use crate::signature::signed_message;
use std::path::{Path, PathBuf};

/// A bundle that passed verification.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// The exact bytes of `manifest.json` (what the signature covers).
    pub manifest_bytes: Vec<u8>,
    pub digest: ReleaseDigest,
    pub version: String,
    /// The trusted key that signed it.
    pub signer: KeyId,
}

/// Verifies the bundle at `path` for app `expected_app` with the default
/// [`ExtractLimits`].
pub fn verify(
    path: &Path,
    trusted_keys: &[PublicKey],
    expected_app: &str,
) -> Result<VerifiedBundle, ReleaseError> {
    verify_with(path, trusted_keys, expected_app, &ExtractLimits::default())
}

/// [`verify`] with explicit limits.
pub fn verify_with(
    path: &Path,
    trusted_keys: &[PublicKey],
    expected_app: &str,
    limits: &ExtractLimits,
) -> Result<VerifiedBundle, ReleaseError> {
    let mut signer = None;
    let head = scan(
        path,
        limits,
        &mut |head| {
            signer = Some(check_head(head, trusted_keys, expected_app)?);
            Ok(())
        },
        None,
    )?;
    let BundleHead {
        manifest,
        manifest_bytes,
        ..
    } = head;
    Ok(VerifiedBundle {
        path: path.to_path_buf(),
        digest: manifest.digest.clone(),
        version: manifest.version.clone(),
        manifest,
        manifest_bytes,
        signer: signer.expect("check_head ran"),
    })
}

/// Checks, in order: signed; the manifest's content hashes to its digest;
/// the signing key is trusted; the signature is valid; the app is the one
/// expected. Returns the signer.
pub(crate) fn check_head(
    head: &BundleHead,
    trusted_keys: &[PublicKey],
    expected_app: &str,
) -> Result<KeyId, ReleaseError> {
    let manifest = &head.manifest;
    let signature = head.signature.as_ref().ok_or(ReleaseError::Unsigned)?;
    let actual = manifest.content_digest();
    if actual != manifest.digest {
        return Err(ReleaseError::ManifestTampered {
            claimed: manifest.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    let signer = PublicKey::from_base64(&signature.public_key)
        .filter(|key| key.id() == &signature.key_id && signature.is_ed25519());
    let Some(key) = signer.and_then(|key| trusted_keys.iter().find(|t| **t == key)) else {
        return Err(ReleaseError::UntrustedKey {
            key_id: signature.key_id.clone(),
            trusted: trusted_keys.iter().map(|k| k.id().clone()).collect(),
        });
    };
    let message = signed_message(&manifest.digest, &head.manifest_bytes);
    let valid = signature
        .signature_bytes()
        .is_some_and(|bytes| key.verifies(&message, &bytes));
    if !valid {
        return Err(ReleaseError::BadSignature {
            key_id: key.id().clone(),
        });
    }
    if manifest.app != expected_app || manifest.spec.app != manifest.app {
        return Err(ReleaseError::WrongApp {
            expected: expected_app.to_string(),
            found: manifest.app.clone(),
        });
    }
    Ok(key.id().clone())
}
