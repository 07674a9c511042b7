//! `build`: reproducible digests, the manifest's contents, build-command
//! failures and missing artifacts.

use crate::support::{APP, Fixture, RawEntry, read_raw};
use daytwo_release::{BuildOptions, EntryKind, ReleaseError, build};
use std::process::Command;
use std::time::{Duration, SystemTime};

fn set_mtime(path: &std::path::Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[test]
fn building_twice_gives_the_same_digest_even_when_mtimes_change() {
    let fixture = Fixture::new();
    let first = fixture.build();
    let earlier = SystemTime::now() - Duration::from_secs(86_400);
    set_mtime(&fixture.app_dir().join("app.py"), earlier);
    set_mtime(&fixture.app_dir().join("bin/run"), earlier);
    let second = build(&fixture.spec(), Some("1.0.1".into()), &fixture.options()).unwrap();
    assert_eq!(
        first.digest, second.digest,
        "version and time are not content"
    );
    assert_ne!(first.path, second.path);
    assert!(first.digest.to_string().starts_with("sha256:"));
}

#[test]
fn a_changed_file_changes_the_digest() {
    let fixture = Fixture::new();
    let first = fixture.build();
    std::fs::write(fixture.app_dir().join("app.py"), "print('bye')\n").unwrap();
    let second = fixture.build();
    assert_ne!(first.digest, second.digest);
}

#[test]
fn with_source_date_epoch_and_the_same_key_the_bundle_is_byte_identical() {
    let fixture = Fixture::new();
    let options = || BuildOptions {
        source_date_epoch: Some(1_700_000_000),
        ..fixture.options()
    };
    let first = build(&fixture.spec(), Some("1.0.0".into()), &options()).unwrap();
    let first_bytes = std::fs::read(&first.path).unwrap();
    let second = build(&fixture.spec(), Some("1.0.0".into()), &options()).unwrap();
    assert_eq!(first_bytes, std::fs::read(&second.path).unwrap());
    assert_eq!(first.manifest.created.as_second(), 1_700_000_000);
}

#[test]
fn bundle_headers_are_canonical_and_entries_sorted() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let decoder = zstd::Decoder::new(std::fs::File::open(&built.path).unwrap()).unwrap();
    let mut archive = tar::Archive::new(decoder);
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let header = entry.header();
        assert_eq!(header.mtime().unwrap(), 0);
        assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
        assert_eq!(header.username().unwrap(), Some(""));
        assert_eq!(header.groupname().unwrap(), Some(""));
        names.push((
            String::from_utf8(entry.path_bytes().into_owned()).unwrap(),
            header.mode().unwrap(),
        ));
    }
    assert_eq!(
        names,
        vec![
            ("manifest.json".to_string(), 0o644),
            ("signature.json".to_string(), 0o644),
            ("files/.daytwo".to_string(), 0o755),
            ("files/.daytwo/why-index.json".to_string(), 0o644),
            ("files/app.py".to_string(), 0o644),
            ("files/bin".to_string(), 0o755),
            ("files/bin/run".to_string(), 0o755),
            ("files/static".to_string(), 0o755),
            ("files/static/app.css".to_string(), 0o644),
        ],
        "the 0700 script is normalised to 0755; notes.txt is not an artifact"
    );
}

#[test]
fn the_manifest_records_app_version_files_and_a_portable_spec() {
    let fixture = Fixture::new();
    let built = fixture.build();
    let manifest = &built.manifest;
    assert_eq!(manifest.app, APP);
    assert_eq!(manifest.version, "1.0.0");
    assert_eq!(manifest.digest, built.digest);
    assert_eq!(manifest.digest, manifest.content_digest());
    assert!(manifest.flags.is_empty() && manifest.migrations.is_empty());
    assert_eq!(manifest.spec.dir, std::path::Path::new("."));
    assert_eq!(manifest.spec.file, std::path::Path::new("daytwo.toml"));
    assert_eq!(manifest.spec.base.dir, std::path::Path::new("."));
    assert_eq!(
        manifest.spec.base.processes["web"].command,
        "python3 app.py"
    );
    let css = manifest
        .entries
        .iter()
        .find(|e| e.path == "static/app.css")
        .expect("the build command's output is packed");
    assert_eq!(css.kind, EntryKind::File);
    assert_eq!(css.size, 7);
    assert_eq!(css.sha256.as_ref().unwrap().len(), 64);
    let json = serde_json::to_value(manifest).unwrap();
    assert_eq!(json["entries"][3]["path"], "bin");
    assert_eq!(json["entries"][3]["mode"], "0755");
    assert!(json["created"].as_str().unwrap().ends_with('Z'), "RFC 3339");

    let rebased = manifest.spec_in(std::path::Path::new("/srv/releases/abc/app"));
    assert_eq!(rebased.dir, std::path::Path::new("/srv/releases/abc/app"));
    assert_eq!(
        rebased.env("dev").unwrap().dir,
        std::path::Path::new("/srv/releases/abc/app")
    );
}

#[test]
fn without_git_the_default_version_is_derived_from_the_digest() {
    let fixture = Fixture::new();
    let built = build(&fixture.spec(), None, &fixture.options()).unwrap();
    assert_eq!(built.version, format!("0.0.0+{}", built.digest.short()));
    assert_eq!(built.manifest.git, None);
    assert!(
        built
            .path
            .ends_with(format!("shop-{}.tar.zst", built.version))
    );
}

#[test]
fn in_a_git_repository_the_version_is_git_describe_and_the_commit_is_recorded() {
    let fixture = Fixture::new();
    let dir = fixture.app_dir();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        String::from_utf8(status.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    git(&["tag", "v1.2.0"]);
    let built = build(&fixture.spec(), None, &fixture.options()).unwrap();
    assert_eq!(built.version, "v1.2.0");
    let info = built.manifest.git.clone().unwrap();
    assert_eq!(info.commit, git(&["rev-parse", "HEAD"]));
    assert!(!info.dirty, "static/ is untracked, which is not dirty");

    std::fs::write(dir.join("app.py"), "print('changed')\n").unwrap();
    let built = build(&fixture.spec(), None, &fixture.options()).unwrap();
    assert_eq!(built.version, "v1.2.0-dirty");
    assert!(built.manifest.git.unwrap().dirty);
}

#[test]
fn a_failing_build_command_reports_its_exit_code_and_last_lines() {
    let spec = crate::support::SPEC.replace(
        "command = \"mkdir -p static && echo 'body{}' > static/app.css\"",
        "command = \"for i in $(seq 1 30); do echo line $i; done; echo oops >&2; exit 3\"",
    );
    let fixture = Fixture::with_spec(&spec);
    let error = build(&fixture.spec(), None, &fixture.options()).unwrap_err();
    let ReleaseError::BuildCommandFailed {
        code, last_lines, ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*code, Some(3));
    assert_eq!(
        last_lines.last().unwrap(),
        "oops",
        "stderr is captured in order"
    );
    assert_eq!(last_lines.len(), 20);
    assert_eq!(last_lines[0], "line 12");
    assert!(error.to_string().contains("exited with code 3"), "{error}");
    assert!(!fixture.out_dir().exists(), "no bundle is written");
}

#[test]
fn a_missing_artifact_names_the_path_and_the_spec_line() {
    let spec = crate::support::SPEC.replace("\"bin/run\"]", "\"bin/run\",\n  \"dist/\"]");
    let fixture = Fixture::with_spec(&spec);
    let error = build(&fixture.spec(), None, &fixture.options()).unwrap_err();
    let ReleaseError::MissingArtifact { path, file, line } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(path, "dist");
    assert!(file.ends_with("daytwo.toml"));
    assert_eq!(*line, Some(11));
    assert!(error.to_string().contains("daytwo.toml:11"), "{error}");
    assert!(error.hint().is_some());
}

#[test]
fn a_symlinked_artifact_is_refused() {
    let fixture = Fixture::new();
    std::fs::create_dir(fixture.app_dir().join("static")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", fixture.app_dir().join("static/passwd")).unwrap();
    let error = build(&fixture.spec(), None, &fixture.options()).unwrap_err();
    assert!(
        matches!(&error, ReleaseError::ArtifactSymlink { path } if path == "static/passwd"),
        "{error:?}"
    );
}

#[test]
fn a_spec_without_build_cannot_be_built() {
    let fixture = Fixture::with_spec("[app]\nname = \"shop\"\n[process.web]\ncommand = \"x\"\n");
    let error = build(&fixture.spec(), None, &fixture.options()).unwrap_err();
    assert!(matches!(error, ReleaseError::BuildNotConfigured { .. }));
}

#[test]
fn an_invalid_version_is_refused() {
    let fixture = Fixture::new();
    let error = build(&fixture.spec(), Some("../1".into()), &fixture.options()).unwrap_err();
    assert!(matches!(error, ReleaseError::InvalidVersion { .. }));
}

#[test]
fn an_unsigned_build_has_no_signature_entry() {
    let fixture = Fixture::new();
    let options = BuildOptions {
        signing_key: None,
        ..fixture.options()
    };
    let built = build(&fixture.spec(), None, &options).unwrap();
    assert_eq!(built.signer, None);
    let names: Vec<Vec<u8>> = read_raw(&built.path)
        .into_iter()
        .map(|e: RawEntry| e.name)
        .collect();
    assert!(!names.contains(&b"signature.json".to_vec()));
}
