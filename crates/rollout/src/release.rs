//! Which release a replica runs: a version label plus the bundle's content
//! digest. Two refs are the same release only when both parts match.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A release as the rollout sees it: `version` for humans, `digest`
/// (`sha256:…`) for identity. A working tree run by `daytwo up` uses
/// [`daytwo_types::WORKING_TREE_RELEASE`] for both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReleaseRef {
    pub version: String,
    pub digest: String,
}

impl ReleaseRef {
    pub fn new(version: impl Into<String>, digest: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            digest: digest.into(),
        }
    }

    /// The release of a working tree run without a bundle.
    pub fn working_tree() -> Self {
        Self::new(
            daytwo_types::WORKING_TREE_RELEASE,
            daytwo_types::WORKING_TREE_RELEASE,
        )
    }
}

impl fmt::Display for ReleaseRef {
    /// `version (sha256:0123456789ab)`: the digest shortened to 12 hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = match self.digest.split_once(':') {
            Some((algo, hex)) => format!("{algo}:{}", &hex[..hex.len().min(12)]),
            None => self.digest.clone(),
        };
        if short == self.version {
            f.write_str(&self.version)
        } else {
            write!(f, "{} ({short})", self.version)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_version_with_a_short_digest() {
        let release = ReleaseRef::new("1.4.0", format!("sha256:{}", "ab".repeat(32)));
        assert_eq!(release.to_string(), "1.4.0 (sha256:abababababab)");
        assert_eq!(ReleaseRef::working_tree().to_string(), "working-tree");
    }
}
