//! The bundle signature (`signature.json`, the bundle's second entry): an
//! ed25519 signature over [`signed_message`], which binds the content digest
//! and the exact manifest bytes.

use crate::digest::ReleaseDigest;
use crate::keys::{KeyId, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first line of every signed message (domain separation).
pub const SIGNATURE_CONTEXT: &str = "daytwo-release-signature-v1";
const ALGORITHM: &str = "ed25519";

/// The contents of `signature.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureEntry {
    pub algorithm: String,
    pub key_id: KeyId,
    /// The signer's public key, base64 (trust is decided by comparing it
    /// with the trusted keys, never by the id alone).
    pub public_key: String,
    /// 64 signature bytes, base64.
    pub signature: String,
}

/// `daytwo-release-signature-v1\n<digest>\nsha256:<hex of manifest.json bytes>\n`
pub fn signed_message(digest: &ReleaseDigest, manifest_bytes: &[u8]) -> Vec<u8> {
    let manifest_hash = hex::encode(Sha256::digest(manifest_bytes));
    format!("{SIGNATURE_CONTEXT}\n{digest}\nsha256:{manifest_hash}\n").into_bytes()
}

impl SignatureEntry {
    /// Signs a manifest (its exact bytes) and its digest.
    pub fn sign(key: &SigningKey, digest: &ReleaseDigest, manifest_bytes: &[u8]) -> Self {
        let public = key.public_key();
        let signature = key.sign(&signed_message(digest, manifest_bytes));
        Self {
            algorithm: ALGORITHM.to_string(),
            key_id: public.id().clone(),
            public_key: public.to_base64(),
            signature: BASE64.encode(signature),
        }
    }

    pub(crate) fn signature_bytes(&self) -> Option<[u8; 64]> {
        BASE64.decode(&self.signature).ok()?.try_into().ok()
    }

    pub(crate) fn is_ed25519(&self) -> bool {
        self.algorithm == ALGORITHM
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("the signature serializes");
        bytes.push(b'\n');
        bytes
    }
}
