//! Fixtures: an app directory with a spec and artifacts, a fixed signing
//! key, and a writer of arbitrary (also hostile) bundles.

use daytwo_release::{
    BuildOptions, BuiltBundle, MANIFEST_ENTRY, Manifest, PublicKey, SIGNATURE_ENTRY,
    SignatureEntry, SigningKey, build,
};
use daytwo_spec::Spec;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const APP: &str = "shop";

pub const SPEC: &str = r#"[app]
name = "shop"

[process.web]
command = "python3 app.py"
http = true

[build]
command = "mkdir -p static && echo 'body{}' > static/app.css"
artifacts = ["app.py", "static/", "bin/run"]
"#;

/// The builder's key (fixed, so runs are reproducible).
pub fn key() -> SigningKey {
    SigningKey::from_seed([7; 32])
}

/// Somebody else's key.
pub fn other_key() -> SigningKey {
    SigningKey::from_seed([9; 32])
}

pub fn trusted() -> Vec<PublicKey> {
    vec![key().public_key()]
}

/// A temp dir holding `app/` (the spec and its files), `out/` (bundles)
/// and `store/` (releases).
pub struct Fixture {
    pub root: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with_spec(SPEC)
    }

    pub fn with_spec(spec: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        std::fs::create_dir_all(app.join("bin")).unwrap();
        std::fs::write(app.join("daytwo.toml"), spec).unwrap();
        std::fs::write(app.join("app.py"), "print('hello')\n").unwrap();
        std::fs::write(app.join("bin/run"), "#!/bin/sh\nexec python3 app.py\n").unwrap();
        std::fs::set_permissions(app.join("bin/run"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        std::fs::write(app.join("notes.txt"), "not an artifact\n").unwrap();
        Self { root }
    }

    pub fn app_dir(&self) -> PathBuf {
        self.root.path().join("app")
    }

    pub fn out_dir(&self) -> PathBuf {
        self.root.path().join("out")
    }

    pub fn store(&self) -> PathBuf {
        self.root.path().join("store")
    }

    pub fn spec(&self) -> Spec {
        daytwo_spec::load_with(&self.app_dir().join("daytwo.toml"), &|_| None)
            .unwrap()
            .spec
    }

    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            output_dir: self.out_dir(),
            signing_key: Some(key()),
            source_date_epoch: None,
        }
    }

    /// A signed bundle of the fixture app, version `1.0.0`.
    pub fn build(&self) -> BuiltBundle {
        build(&self.spec(), Some("1.0.0".into()), &self.options()).unwrap()
    }

    /// Every path under the fixture root, relative, sorted (to show that
    /// nothing appeared).
    pub fn tree(&self) -> Vec<String> {
        let mut paths = Vec::new();
        walk(self.root.path(), self.root.path(), &mut paths);
        paths.sort();
        paths
    }
}

fn walk(root: &Path, dir: &Path, paths: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        paths.push(path.strip_prefix(root).unwrap().display().to_string());
        if path.is_dir() && !path.is_symlink() {
            walk(root, &path, paths);
        }
    }
}

/// One tar entry written verbatim: any name, type, mode, size and link.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub name: Vec<u8>,
    pub kind: tar::EntryType,
    pub mode: u32,
    pub data: Vec<u8>,
    /// Declared size when it differs from `data.len()` (a lie).
    pub size: Option<u64>,
    pub link: Option<String>,
}

impl RawEntry {
    pub fn file(name: &str, data: &[u8]) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Regular,
            mode: 0o644,
            data: data.to_vec(),
            size: None,
            link: None,
        }
    }

    pub fn link(name: &str, kind: tar::EntryType, target: &str) -> Self {
        Self {
            kind,
            link: Some(target.to_string()),
            ..Self::file(name, b"")
        }
    }

    pub fn special(name: &str, kind: tar::EntryType) -> Self {
        Self {
            kind,
            ..Self::file(name, b"")
        }
    }
}

/// Writes `entries` as a zstd-compressed tar with hand-made GNU headers:
/// names go straight into the header bytes, nothing is sanitised.
pub fn write_raw(path: &Path, entries: &[RawEntry]) {
    let file = std::fs::File::create(path).unwrap();
    let encoder = zstd::Encoder::new(file, 1).unwrap();
    let mut tar = tar::Builder::new(encoder);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let name = &mut header.as_gnu_mut().unwrap().name;
        assert!(entry.name.len() <= name.len(), "short names only");
        name[..entry.name.len()].copy_from_slice(&entry.name);
        header.set_entry_type(entry.kind);
        header.set_mode(entry.mode);
        header.set_size(entry.size.unwrap_or(entry.data.len() as u64));
        header.set_mtime(0);
        if let Some(link) = &entry.link {
            let linkname = &mut header.as_gnu_mut().unwrap().linkname;
            linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        if matches!(entry.kind, tar::EntryType::Char | tar::EntryType::Block) {
            header.set_device_major(1).unwrap();
            header.set_device_minor(3).unwrap();
        }
        header.set_cksum();
        tar.append(&header, entry.data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

/// The entries of a bundle, as raw entries (for rewriting).
pub fn read_raw(path: &Path) -> Vec<RawEntry> {
    let decoder = zstd::Decoder::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut archive = tar::Archive::new(decoder);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            RawEntry {
                name: entry.path_bytes().into_owned(),
                kind: entry.header().entry_type(),
                mode: entry.header().mode().unwrap(),
                data,
                size: None,
                link: None,
            }
        })
        .collect()
}

/// `manifest.json` and a signature by `key` over it, as the first entries.
pub fn signed_head(manifest: &Manifest, key: &SigningKey) -> Vec<RawEntry> {
    let bytes = manifest.to_bytes();
    let signature = SignatureEntry::sign(key, &manifest.digest, &bytes);
    vec![
        RawEntry::file(MANIFEST_ENTRY, &bytes),
        RawEntry::file(SIGNATURE_ENTRY, &signature.to_bytes()),
    ]
}

/// The manifest of a built bundle with `entries` appended, its digest
/// recomputed (a consistent manifest that a trusted key signs).
pub fn manifest_with(base: &Manifest, entries: Vec<daytwo_release::Entry>) -> Manifest {
    let mut manifest = base.clone();
    manifest.entries.extend(entries);
    manifest.entries.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.digest = manifest.content_digest();
    manifest
}
