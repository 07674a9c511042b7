//! Finding `daytwo.toml` as cargo finds `Cargo.toml`.

use daytwo_spec::{SpecError, code, find_spec};

#[test]
fn finds_the_spec_in_the_start_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("daytwo.toml"), "").unwrap();
    assert_eq!(
        find_spec(dir.path()).unwrap(),
        dir.path().join("daytwo.toml")
    );
}

#[test]
fn finds_the_spec_in_the_nearest_parent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("daytwo.toml"), "").unwrap();
    let nested = dir.path().join("src/deep");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::create_dir_all(dir.path().join("src/daytwo.toml")).unwrap(); // a directory, not a spec
    assert_eq!(find_spec(&nested).unwrap(), dir.path().join("daytwo.toml"));
}

#[test]
fn missing_spec_suggests_daytwo_init() {
    let dir = tempfile::tempdir().unwrap();
    // Temp dirs live under /tmp, which has no daytwo.toml above it.
    let error = find_spec(dir.path()).unwrap_err();
    assert!(matches!(error, SpecError::NotFound { .. }));
    let diagnostic = &error.diagnostics()[0];
    assert_eq!(diagnostic.code, code::NOT_FOUND);
    assert!(diagnostic.hint.as_deref().unwrap().contains("daytwo init"));
}

#[test]
fn unreadable_spec_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = daytwo_spec::load(&dir.path().join("daytwo.toml")).unwrap_err();
    assert_eq!(error.code(), code::READ_FAILED);
}
