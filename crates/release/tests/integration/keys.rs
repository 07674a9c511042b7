//! Key generation, key files and the trust directory.

use daytwo_release::keys::{self, DEFAULT_KEY_NAME};
use daytwo_release::trust::{trust, trusted_dir, trusted_keys};
use daytwo_release::{PublicKey, ReleaseError, SigningKey};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn generated_private_key_is_0600_and_public_key_carries_its_id() {
    let home = tempfile::tempdir().unwrap();
    let dir = keys::home_key_dir(home.path());
    let pair = keys::generate(&dir, DEFAULT_KEY_NAME).unwrap();
    assert_eq!(pair.private_key, dir.join("release.key"));
    assert_eq!(mode(&pair.private_key), 0o600);
    assert_eq!(mode(&pair.public_key), 0o644);
    assert_eq!(mode(&dir), 0o700);
    let text = std::fs::read_to_string(&pair.public_key).unwrap();
    assert!(text.starts_with("daytwo-ed25519 "), "{text}");
    assert!(text.trim_end().ends_with(pair.key_id.as_str()), "{text}");
    let public = PublicKey::load(&pair.public_key).unwrap();
    let private = SigningKey::load(&pair.private_key).unwrap();
    assert_eq!(private.public_key(), public);
    assert_eq!(public.id(), &pair.key_id);
}

#[test]
fn generating_over_an_existing_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = keys::generate(dir.path(), "ci").unwrap();
    let before = std::fs::read(&first.private_key).unwrap();
    let error = keys::generate(dir.path(), "ci").unwrap_err();
    assert!(matches!(error, ReleaseError::KeyExists { .. }), "{error:?}");
    assert_eq!(std::fs::read(&first.private_key).unwrap(), before);
}

#[test]
fn a_public_key_file_whose_id_does_not_match_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let pair = keys::generate(dir.path(), "ci").unwrap();
    let text = std::fs::read_to_string(&pair.public_key).unwrap();
    let forged = text.replace(pair.key_id.as_str(), "0000000000000000");
    std::fs::write(&pair.public_key, forged).unwrap();
    let error = PublicKey::load(&pair.public_key).unwrap_err();
    assert!(
        matches!(error, ReleaseError::InvalidKeyFile { .. }),
        "{error}"
    );
}

#[test]
fn trusted_keys_are_the_pub_files_of_the_env_directory() {
    let home = tempfile::tempdir().unwrap();
    assert!(trusted_keys(home.path(), "prod").unwrap().is_empty());
    let pair = keys::generate(&keys::home_key_dir(home.path()), "ci").unwrap();
    let path = trust(home.path(), "prod", &pair.public_key).unwrap();
    assert_eq!(path.parent().unwrap(), trusted_dir(home.path(), "prod"));
    let keys = trusted_keys(home.path(), "prod").unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id(), &pair.key_id);
    assert!(
        trusted_keys(home.path(), "qa").unwrap().is_empty(),
        "per env"
    );
}
