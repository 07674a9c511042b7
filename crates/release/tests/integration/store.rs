//! Importing into the release store: layout, modes, idempotence.

use crate::support::{APP, Fixture, trusted};
use daytwo_release::import;
use std::os::unix::fs::PermissionsExt;

#[test]
fn import_extracts_the_release_under_its_digest() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let stored = import(&built.path, &fixture.store(), &trusted(), APP).unwrap();
    let hex = built.digest.hex();
    assert!(!stored.already_present);
    assert_eq!(stored.dir, fixture.store().join(hex));
    assert_eq!(
        stored.bundle,
        fixture.store().join(format!("{hex}.tar.zst"))
    );
    assert_eq!(
        std::fs::read(&stored.bundle).unwrap(),
        std::fs::read(&built.path).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(stored.app_dir.join("app.py")).unwrap(),
        "print('hello')\n"
    );
    assert_eq!(
        std::fs::read_to_string(stored.app_dir.join("static/app.css")).unwrap(),
        "body{}\n"
    );
    let mode = |p: &str| {
        std::fs::metadata(stored.app_dir.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("bin/run"), 0o755);
    assert_eq!(mode("app.py"), 0o644);
    assert!(!stored.app_dir.join("notes.txt").exists());
    assert!(stored.dir.join("manifest.json").is_file());
    assert!(stored.dir.join("signature.json").is_file());
    let mut names: Vec<String> = std::fs::read_dir(fixture.store())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![hex.to_string(), format!("{hex}.tar.zst")],
        "no temp left"
    );
}

#[test]
fn importing_the_same_digest_again_changes_nothing() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let first = import(&built.path, &fixture.store(), &trusted(), APP).unwrap();
    let before = fixture.tree();
    let second = import(&built.path, &fixture.store(), &trusted(), APP).unwrap();
    assert!(second.already_present);
    assert_eq!(second.digest, first.digest);
    assert_eq!(fixture.tree(), before);
}

#[test]
fn the_stored_manifest_rebases_the_spec_onto_the_release_directory() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let stored = import(&built.path, &fixture.store(), &trusted(), APP).unwrap();
    let spec = stored.manifest.spec_in(&stored.app_dir);
    let dev = spec.env("dev").unwrap();
    assert_eq!(dev.dir, stored.app_dir);
    assert_eq!(dev.processes["web"].command, "python3 app.py");
}
