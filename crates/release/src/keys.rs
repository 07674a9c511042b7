//! ed25519 signing keys and their files.
//!
//! - private key `<dir>/<name>.key` (mode 0600): `daytwo-ed25519-private <base64 32-byte seed>`
//! - public key `<dir>/<name>.pub` (mode 0644): `daytwo-ed25519 <base64 32-byte key> <key id>`
//!
//! The key id is the first 16 hex digits of the sha256 of the public key's
//! bytes; it names the signer in signatures and errors. `daytwo keys
//! generate` writes into `$DAYTWO_HOME/keys/` ([`home_key_dir`]).

use crate::error::ReleaseError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The key pair `daytwo keys generate` makes when given no name.
pub const DEFAULT_KEY_NAME: &str = "release";
/// Directory of the builder's key pairs, under `DAYTWO_HOME`.
pub const KEYS_DIR: &str = "keys";
const PRIVATE_TAG: &str = "daytwo-ed25519-private";
const PUBLIC_TAG: &str = "daytwo-ed25519";
const PRIVATE_KEY_MODE: u32 = 0o600;
const PUBLIC_KEY_MODE: u32 = 0o644;
const KEY_DIR_MODE: u32 = 0o700;
const KEY_ID_LEN: usize = 16;

/// `$DAYTWO_HOME/keys`.
pub fn home_key_dir(home: &Path) -> PathBuf {
    home.join(KEYS_DIR)
}

/// The short, stable name of a public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    fn of(key: &ed25519_dalek::VerifyingKey) -> Self {
        let hash = hex::encode(Sha256::digest(key.as_bytes()));
        Self(hash[..KEY_ID_LEN].to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A public key trusted to sign releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: ed25519_dalek::VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The 32 key bytes, base64.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.key.as_bytes())
    }

    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = BASE64.decode(text.trim()).ok()?.try_into().ok()?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()?;
        Some(Self::from_dalek(key))
    }

    fn from_dalek(key: ed25519_dalek::VerifyingKey) -> Self {
        let id = KeyId::of(&key);
        Self { key, id }
    }

    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.key.verify_strict(message, &signature).is_ok()
    }

    /// The line of a `.pub` file.
    pub fn to_file_text(&self) -> String {
        format!("{PUBLIC_TAG} {} {}\n", self.to_base64(), self.id)
    }

    /// Reads a `.pub` file.
    pub fn load(path: &Path) -> Result<Self, ReleaseError> {
        let text = std::fs::read_to_string(path).map_err(ReleaseError::io("read", path))?;
        let invalid = |reason: &str| ReleaseError::InvalidKeyFile {
            path: path.to_path_buf(),
            what: "public key",
            reason: reason.to_string(),
        };
        let mut words = text.split_whitespace();
        if words.next() != Some(PUBLIC_TAG) {
            return Err(invalid(&format!("it does not start with `{PUBLIC_TAG}`")));
        }
        let key = words
            .next()
            .and_then(Self::from_base64)
            .ok_or_else(|| invalid("the key is not 32 base64-encoded bytes of an ed25519 key"))?;
        match words.next() {
            Some(id) if id != key.id.as_str() => Err(invalid(&format!(
                "its key id `{id}` does not match the key (`{}`)",
                key.id
            ))),
            _ => Ok(key),
        }
    }
}

/// A private ed25519 key that signs bundles.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public_key().id)
    }
}

impl SigningKey {
    /// A new random key (from the OS's random source).
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("the OS provides random bytes");
        Self::from_seed(seed)
    }

    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_dalek(self.key.verifying_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.key.sign(message).to_bytes()
    }

    /// Reads a `.key` file.
    pub fn load(path: &Path) -> Result<Self, ReleaseError> {
        let text = std::fs::read_to_string(path).map_err(ReleaseError::io("read", path))?;
        let invalid = |reason: &str| ReleaseError::InvalidKeyFile {
            path: path.to_path_buf(),
            what: "private key",
            reason: reason.to_string(),
        };
        let mut words = text.split_whitespace();
        if words.next() != Some(PRIVATE_TAG) {
            return Err(invalid(&format!("it does not start with `{PRIVATE_TAG}`")));
        }
        let seed: [u8; 32] = words
            .next()
            .and_then(|b64| BASE64.decode(b64).ok())
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| invalid("the key is not 32 base64-encoded bytes"))?;
        Ok(Self::from_seed(seed))
    }

    fn to_file_text(&self) -> String {
        format!("{PRIVATE_TAG} {}\n", BASE64.encode(self.key.to_bytes()))
    }
}

/// The files of a generated key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
    pub key_id: KeyId,
}

/// Paths of the key pair `name` in `dir`.
pub fn key_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    )
}

/// Generates key pair `name` in `dir` (created 0700 if missing). Never
/// overwrites: an existing key file is an error.
pub fn generate(dir: &Path, name: &str) -> Result<KeyPairFiles, ReleaseError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(KEY_DIR_MODE)
        .create(dir)
        .map_err(ReleaseError::io("create", dir))?;
    let (private_path, public_path) = key_paths(dir, name);
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(ReleaseError::KeyExists { path: path.clone() });
        }
    }
    let key = SigningKey::generate();
    let public = key.public_key();
    write_new(&private_path, &key.to_file_text(), PRIVATE_KEY_MODE)?;
    write_new(&public_path, &public.to_file_text(), PUBLIC_KEY_MODE)?;
    Ok(KeyPairFiles {
        private_key: private_path,
        public_key: public_path,
        key_id: public.id,
    })
}

/// Creates `path` with `mode` from the start (no window with wider
/// permissions); fails if it exists.
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), ReleaseError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => ReleaseError::KeyExists {
                path: path.to_path_buf(),
            },
            _ => ReleaseError::Io {
                action: "create",
                path: path.to_path_buf(),
                source,
            },
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(ReleaseError::io("write", path))
}
