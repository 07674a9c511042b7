//! Which keys an env trusts: every `*.pub` file in
//! `$DAYTWO_HOME/trusted/<env>/`. Trust is configured on the host that runs
//! the env, never read from a spec or a bundle (a bundle cannot vouch for
//! itself); `daytwo keys generate` also trusts the new key for `dev`.

use crate::error::ReleaseError;
use crate::keys::PublicKey;
use std::path::{Path, PathBuf};

/// Directory of trusted public keys, under `DAYTWO_HOME`.
pub const TRUSTED_DIR: &str = "trusted";
const PUBLIC_KEY_EXTENSION: &str = "pub";

/// `$DAYTWO_HOME/trusted/<env>`.
pub fn trusted_dir(home: &Path, env: &str) -> PathBuf {
    home.join(TRUSTED_DIR).join(env)
}

/// The keys env `env` trusts, sorted by file name; empty when the directory
/// does not exist. A `.pub` file that does not parse is an error (a typo must
/// not silently drop trust).
pub fn trusted_keys(home: &Path, env: &str) -> Result<Vec<PublicKey>, ReleaseError> {
    let dir = trusted_dir(home, env);
    let read = match std::fs::read_dir(&dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ReleaseError::io("read", &dir)(e)),
    };
    let mut paths: Vec<PathBuf> = read
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(ReleaseError::io("read", &dir))?;
    paths.retain(|p| p.extension().is_some_and(|e| e == PUBLIC_KEY_EXTENSION));
    paths.sort();
    paths.iter().map(|path| PublicKey::load(path)).collect()
}

/// Copies the public key file `public_key` into env `env`'s trusted keys
/// (named after its key id); returns the new file's path. Trusting a key
/// twice is a no-op.
pub fn trust(home: &Path, env: &str, public_key: &Path) -> Result<PathBuf, ReleaseError> {
    let key = PublicKey::load(public_key)?;
    let dir = trusted_dir(home, env);
    std::fs::create_dir_all(&dir).map_err(ReleaseError::io("create", &dir))?;
    let path = dir.join(format!("{}.{PUBLIC_KEY_EXTENSION}", key.id()));
    std::fs::write(&path, key.to_file_text()).map_err(ReleaseError::io("write", &path))?;
    Ok(path)
}
