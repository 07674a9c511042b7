//! The `daytwo why` index in a release (docs/why.md): at build time the
//! spec's source tree is indexed (log-message templates, the enclosing
//! function, the flags it refers to, `git blame` of every line) and the
//! index is packed as the payload file [`WHY_INDEX_PATH`]. Being a payload
//! entry, it is listed in the manifest with its sha256, so the content
//! digest and the signature cover it, and import verifies it like any file.
//!
//! ```text
//! build:  spec.dir ─Index::build_with(flags, blame)─> .daytwo/why-index.json ─> files/.daytwo/why-index.json
//! why:    <releases>/<hex>/app/.daytwo/why-index.json ─Index::from_bytes─> lookup
//!         first release of a match: the oldest stored release of the app whose
//!         index has the same template text in the same file
//! ```
//!
//! The file is plain JSON (the bundle compresses it): a compressed payload
//! would make the digest depend on the compressor's version.

use crate::artifacts::{Artifact, hash_file};
use crate::error::ReleaseError;
use crate::manifest::{Entry, EntryKind, Manifest};
use crate::mode::{DIR_MODE, FILE_MODE};
use crate::store::APP_DIR;
use daytwo_spec::Spec;
use daytwo_why::{Index, IndexOptions};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The directory daytwo reserves in a release's payload.
pub const RESERVED_DIR: &str = ".daytwo";
/// The index's path in the payload (and under a stored release's `app/`).
pub const WHY_INDEX_PATH: &str = ".daytwo/why-index.json";

/// The index written for a build: its payload entries and the scratch
/// directory holding the file until the bundle is written.
pub(crate) struct BuiltIndex {
    pub artifacts: Vec<Artifact>,
    pub templates: usize,
    _scratch: tempfile::TempDir,
}

/// Indexes `spec`'s directory with the spec's flag names and blame. The
/// build does this before its command runs: the index describes the sources.
pub(crate) fn index_sources(spec: &Spec) -> Result<Index, ReleaseError> {
    let options = IndexOptions {
        flags: spec.flags.values().map(|flag| flag.name.clone()).collect(),
        blame: true,
        threads: 0,
    };
    Index::build_with(&spec.dir, &options).map_err(|error| ReleaseError::WhyIndex {
        path: spec.dir.clone(),
        reason: error.to_string(),
    })
}

/// The two payload entries to add for `index` (`.daytwo/` and the index
/// file). `artifacts` are the build's own: none may use `.daytwo/`.
pub(crate) fn entries(index: &Index, artifacts: &[Artifact]) -> Result<BuiltIndex, ReleaseError> {
    if let Some(reserved) = artifacts.iter().find(|artifact| {
        artifact.entry.path == RESERVED_DIR
            || artifact.entry.path.starts_with(&format!("{RESERVED_DIR}/"))
    }) {
        return Err(ReleaseError::ReservedArtifact {
            path: reserved.entry.path.clone(),
        });
    }
    let scratch = tempfile::Builder::new()
        .prefix(".daytwo-why-")
        .tempdir()
        .map_err(ReleaseError::io(
            "create a temporary directory for",
            "the why index",
        ))?;
    let file = scratch.path().join("why-index.json");
    std::fs::write(&file, index.to_bytes()).map_err(ReleaseError::io("write", &file))?;
    let (size, sha256) = hash_file(&file)?;
    Ok(BuiltIndex {
        artifacts: vec![
            Artifact {
                entry: Entry {
                    path: RESERVED_DIR.to_string(),
                    kind: EntryKind::Dir,
                    mode: DIR_MODE,
                    size: 0,
                    sha256: None,
                },
                source: scratch.path().to_path_buf(),
            },
            Artifact {
                entry: Entry {
                    path: WHY_INDEX_PATH.to_string(),
                    kind: EntryKind::File,
                    mode: FILE_MODE,
                    size,
                    sha256: Some(sha256),
                },
                source: file,
            },
        ],
        templates: index.len(),
        _scratch: scratch,
    })
}

/// The release carries an index (releases built before `daytwo why`
/// indexes existed do not).
pub fn has_index(manifest: &Manifest) -> bool {
    manifest
        .entries
        .iter()
        .any(|entry| entry.path == WHY_INDEX_PATH && entry.kind == EntryKind::File)
}

/// The index file of a release stored in `releases_dir`.
pub fn index_file(releases_dir: &Path, manifest: &Manifest) -> PathBuf {
    releases_dir
        .join(manifest.digest.hex())
        .join(APP_DIR)
        .join(WHY_INDEX_PATH)
}

/// Reads the index of a release stored in `releases_dir`; `None` when the
/// release has none.
pub fn load(releases_dir: &Path, manifest: &Manifest) -> Result<Option<Index>, ReleaseError> {
    if !has_index(manifest) {
        return Ok(None);
    }
    let path = index_file(releases_dir, manifest);
    let bytes = std::fs::read(&path).map_err(ReleaseError::io("read", &path))?;
    Index::from_bytes(&bytes)
        .map(Some)
        .map_err(|error| ReleaseError::WhyIndex {
            path,
            reason: error.to_string(),
        })
}

/// The first release that contained a line, over the indexes of one app's
/// stored releases (read on demand, each at most once).
///
/// Rule: the oldest release (by build time `created`, then version) whose
/// index has a template with the same text in the same file. Releases
/// without an index, or whose index does not read, are passed over.
pub struct FirstRelease<'a> {
    releases_dir: PathBuf,
    /// The app's releases, oldest first.
    releases: Vec<&'a Manifest>,
    templates: HashMap<String, HashSet<(PathBuf, String)>>,
}

impl<'a> FirstRelease<'a> {
    pub fn new(releases_dir: &Path, manifests: &'a [Manifest], app: &str) -> Self {
        let mut releases: Vec<&Manifest> = manifests
            .iter()
            .filter(|manifest| manifest.app == app && has_index(manifest))
            .collect();
        releases.sort_by(|a, b| a.created.cmp(&b.created).then(a.version.cmp(&b.version)));
        Self {
            releases_dir: releases_dir.to_path_buf(),
            releases,
            templates: HashMap::new(),
        }
    }

    /// The oldest release with template `text` in `file` (relative to the
    /// spec's directory), among those built no later than `until` (all when
    /// `None`).
    pub fn of(
        &mut self,
        file: &Path,
        text: &str,
        until: Option<&Manifest>,
    ) -> Option<&'a Manifest> {
        let key = (file.to_path_buf(), text.to_string());
        for index in 0..self.releases.len() {
            let release = self.releases[index];
            if until.is_some_and(|until| {
                (release.created, &release.version) > (until.created, &until.version)
                    && release.digest != until.digest
            }) {
                break;
            }
            let hex = release.digest.hex().to_string();
            if !self.templates.contains_key(&hex) {
                let set = load(&self.releases_dir, release)
                    .ok()
                    .flatten()
                    .map(|index| {
                        index
                            .templates()
                            .iter()
                            .map(|t| (t.file.clone(), t.text.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                self.templates.insert(hex.clone(), set);
            }
            if self.templates[&hex].contains(&key) {
                return Some(release);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BuildOptions, SigningKey, build, import};
    use sha2::{Digest, Sha256};
    use std::process::Command;

    const SPEC: &str = r#"[app]
name = "jobs"

[process.worker]
command = "python3 app.py"

[build]
artifacts = ["app.py"]

[flags.fast_path]
type = "boolean"
default = false
description = "Skip the queue for small batches"
"#;

    const APP_V1: &str = "import logging\nlog = logging.getLogger()\n\ndef run(n):\n    if client.get_boolean_value('fast_path', False):\n        log.info('fast path for %d jobs', n)\n    log.info('ran %d jobs in %.1fs', n, t)\n";
    const APP_V2_EXTRA: &str =
        "\ndef drain(queue):\n    log.warning('draining queue %s with %d left', queue, left)\n";

    fn git(dir: &Path, args: &[&str]) {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=Grace Hopper",
                "-c",
                "user.email=grace@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
    }

    fn spec(dir: &Path) -> Spec {
        daytwo_spec::load_with(&dir.join("daytwo.toml"), &|_| None)
            .unwrap()
            .spec
    }

    fn build_and_import(dir: &Path, store: &Path, version: &str) -> Manifest {
        let key = || SigningKey::from_seed([3; 32]);
        let options = BuildOptions {
            output_dir: dir.join("../out"),
            signing_key: Some(key()),
            source_date_epoch: None,
        };
        let built = build(&spec(dir), Some(version.into()), &options).unwrap();
        import(&built.path, store, &[key().public_key()], "jobs")
            .unwrap()
            .manifest
    }

    #[test]
    fn the_index_is_a_signed_payload_file_with_blame_and_flags() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("app");
        let store = root.path().join("store");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("daytwo.toml"), SPEC).unwrap();
        std::fs::write(dir.join("app.py"), APP_V1).unwrap();
        git(&dir, &["init", "-q"]);
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", "jobs"]);
        let manifest = build_and_import(&dir, &store, "1.0.0");

        let entry = manifest
            .entries
            .iter()
            .find(|entry| entry.path == WHY_INDEX_PATH)
            .expect("the manifest lists the index");
        let bytes = std::fs::read(index_file(&store, &manifest)).unwrap();
        assert_eq!(
            entry.sha256.as_deref(),
            Some(hex::encode(Sha256::digest(&bytes)).as_str()),
            "the digest covers the index through its entry"
        );
        let index = load(&store, &manifest).unwrap().expect("an index");
        let found = &index.lookup("ran 12 jobs in 0.5s", 1)[0];
        assert_eq!((found.file.as_path(), found.line), (Path::new("app.py"), 7));
        assert_eq!(found.function.as_deref(), Some("run"));
        assert_eq!(found.author.as_deref(), Some("Grace Hopper"));
        assert_eq!(found.commit.as_ref().map(String::len), Some(40));
        assert_eq!(found.flags, vec!["fast_path".to_string()]);
    }

    #[test]
    fn the_first_release_is_the_oldest_whose_index_has_the_template() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("app");
        let store = root.path().join("store");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("daytwo.toml"), SPEC).unwrap();
        std::fs::write(dir.join("app.py"), APP_V1).unwrap();
        let v1 = build_and_import(&dir, &store, "1.0.0");
        std::fs::write(dir.join("app.py"), format!("{APP_V1}{APP_V2_EXTRA}")).unwrap();
        let v2 = build_and_import(&dir, &store, "2.0.0");
        let manifests = vec![v2.clone(), v1.clone()];
        let mut first = FirstRelease::new(&store, &manifests, "jobs");
        let old = Path::new("app.py");
        let of = |first: &mut FirstRelease, text: &str, until: Option<&Manifest>| {
            first.of(old, text, until).map(|m| m.version.clone())
        };
        assert_eq!(
            of(&mut first, "ran %d jobs in %.1fs", Some(&v2)).as_deref(),
            Some("1.0.0")
        );
        let added = "draining queue %s with %d left";
        assert_eq!(of(&mut first, added, Some(&v2)).as_deref(), Some("2.0.0"));
        assert_eq!(of(&mut first, added, Some(&v1)), None);
        assert_eq!(of(&mut first, added, None).as_deref(), Some("2.0.0"));
        assert_eq!(of(&mut first, "never logged", None), None);
    }

    #[test]
    fn artifacts_may_not_use_the_reserved_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("app");
        std::fs::create_dir_all(dir.join(".daytwo")).unwrap();
        std::fs::write(dir.join(".daytwo/x"), "x").unwrap();
        std::fs::write(dir.join("app.py"), APP_V1).unwrap();
        std::fs::write(
            dir.join("daytwo.toml"),
            SPEC.replace("[\"app.py\"]", "[\"app.py\", \".daytwo/x\"]"),
        )
        .unwrap();
        let options = BuildOptions {
            output_dir: root.path().join("out"),
            ..BuildOptions::default()
        };
        let error = build(&spec(&dir), Some("1.0.0".into()), &options).unwrap_err();
        assert_eq!(error.code(), "release::reserved_artifact", "{error}");
        assert!(error.to_string().contains(".daytwo"), "{error}");
    }
}
