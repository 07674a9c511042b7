//! `ReleaseDigest`: `sha256:<64 lowercase hex>`, the identity of a release's
//! content (defined in docs/releases.md and [`crate::Manifest::content_digest`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

const PREFIX: &str = "sha256:";
/// Hex digits of the short form (`0.0.0+<short>` versions, listings).
const SHORT_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReleaseDigest {
    hex: String,
}

impl ReleaseDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self::from_hasher(Sha256::new_with_prefix(bytes))
    }

    pub(crate) fn from_hasher(hasher: Sha256) -> Self {
        Self {
            hex: hex::encode(hasher.finalize()),
        }
    }

    /// Parses `sha256:<hex>`; also accepts the bare 64-digit hex.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix(PREFIX).unwrap_or(text);
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self {
            hex: hex.to_string(),
        })
    }

    /// The 64 hex digits, as used for store paths.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex digits.
    pub fn short(&self) -> &str {
        &self.hex[..SHORT_LEN]
    }
}

impl fmt::Display for ReleaseDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.hex)
    }
}

impl Serialize for ReleaseDigest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReleaseDigest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a sha256:<hex> digest"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_displays_with_prefix_and_parses_back() {
        let digest = ReleaseDigest::of(b"abc");
        let text = digest.to_string();
        assert!(text.starts_with("sha256:ba7816bf"));
        assert_eq!(ReleaseDigest::parse(&text), Some(digest.clone()));
        assert_eq!(ReleaseDigest::parse(digest.hex()), Some(digest));
        assert_eq!(ReleaseDigest::parse("sha256:XYZ"), None);
    }
}
