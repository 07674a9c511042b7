//! Hostile archives, each crafted with hand-written tar headers and signed
//! by the trusted key (so only the extraction rules stand in the way): every
//! one is refused with the offending entry named and nothing written, inside
//! or outside the store.

use crate::support::{
    APP, Fixture, RawEntry, key, manifest_with, read_raw, signed_head, trusted, write_raw,
};
use daytwo_release::EntryProblem;
use daytwo_release::{Entry, EntryKind, ExtractLimits, ReleaseError, import_with};
use sha2::{Digest, Sha256};
use tar::EntryType;

/// A file entry for the manifest.
fn listed(path: &str, data: &[u8]) -> Entry {
    Entry {
        path: path.to_string(),
        kind: EntryKind::File,
        mode: 0o644,
        size: data.len() as u64,
        sha256: Some(hex::encode(Sha256::digest(data))),
    }
}

/// Builds the fixture app, then writes a bundle of its signed manifest
/// (plus `extra_listed`), its real payload changed by `payload`, and
/// imports it with `limits`; asserts nothing was written and returns the
/// error.
fn attempt(
    extra_listed: Vec<Entry>,
    payload: impl FnOnce(&Fixture, &mut Vec<RawEntry>),
    limits: ExtractLimits,
) -> (Fixture, ReleaseError) {
    let fixture = Fixture::new();
    let built = fixture.build();
    let manifest = manifest_with(&built.manifest, extra_listed);
    let mut entries = signed_head(&manifest, &key());
    entries.extend(read_raw(&built.path).into_iter().skip(2));
    payload(&fixture, &mut entries);
    let bundle = fixture.root.path().join("hostile.tar.zst");
    write_raw(&bundle, &entries);
    let before = fixture.tree();
    let error = import_with(&bundle, &fixture.store(), &trusted(), APP, &limits).unwrap_err();
    assert_eq!(fixture.tree(), before, "nothing written anywhere: {error}");
    assert!(!fixture.store().exists());
    (fixture, error)
}

fn unsafe_entry(error: &ReleaseError) -> (&str, &EntryProblem) {
    match error {
        ReleaseError::UnsafeEntry { entry, problem } => (entry.as_str(), problem),
        other => panic!("expected an unsafe entry, got {other:?}"),
    }
}

#[test]
fn path_traversal_is_refused() {
    let (fixture, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::file("files/../../x", b"owned")),
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("files/../../x", &EntryProblem::ParentComponent)
    );
    assert!(!fixture.root.path().join("x").exists());
    assert!(error.to_string().contains("files/../../x"));
}

#[test]
fn a_bare_parent_path_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::file("../x", b"owned")),
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("../x", &EntryProblem::ParentComponent)
    );
}

#[test]
fn an_absolute_path_is_refused() {
    let mut victim = String::new();
    let (fixture, error) = attempt(
        vec![],
        |fixture, entries| {
            victim = fixture.root.path().join("victim").display().to_string();
            entries.push(RawEntry::file(&victim, b"owned"));
        },
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        (victim.as_str(), &EntryProblem::AbsolutePath)
    );
    assert!(!fixture.root.path().join("victim").exists());
}

#[test]
fn a_symlink_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::link("files/etc", EntryType::Symlink, "/etc")),
        ExtractLimits::default(),
    );
    assert_eq!(unsafe_entry(&error), ("files/etc", &EntryProblem::Symlink));
}

#[test]
fn a_hardlink_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| {
            entries.push(RawEntry::link(
                "files/hard",
                EntryType::Link,
                "files/app.py",
            ))
        },
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("files/hard", &EntryProblem::Hardlink)
    );
}

#[test]
fn a_file_written_through_a_symlink_is_refused_at_the_symlink() {
    let mut outside = std::path::PathBuf::new();
    let (_, error) = attempt(
        vec![listed("out/evil", b"owned")],
        |fixture, entries| {
            outside = fixture.root.path().join("outside");
            std::fs::create_dir(&outside).unwrap();
            entries.push(RawEntry::link(
                "files/out",
                EntryType::Symlink,
                &outside.display().to_string(),
            ));
            entries.push(RawEntry::file("files/out/evil", b"owned"));
        },
        ExtractLimits::default(),
    );
    assert_eq!(unsafe_entry(&error), ("files/out", &EntryProblem::Symlink));
    assert!(!outside.join("evil").exists());
}

#[test]
fn a_duplicate_entry_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::file("files/app.py", b"print('hello')\n")),
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("files/app.py", &EntryProblem::Duplicate)
    );
}

#[test]
fn a_second_manifest_is_refused_as_a_duplicate() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::file("manifest.json", b"{}")),
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("manifest.json", &EntryProblem::Duplicate)
    );
}

#[test]
fn device_nodes_are_refused() {
    for kind in [EntryType::Char, EntryType::Block] {
        let (_, error) = attempt(
            vec![],
            |_, entries| entries.push(RawEntry::special("files/null", kind)),
            ExtractLimits::default(),
        );
        assert_eq!(unsafe_entry(&error), ("files/null", &EntryProblem::Device));
    }
}

#[test]
fn a_fifo_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::special("files/pipe", EntryType::Fifo)),
        ExtractLimits::default(),
    );
    assert_eq!(unsafe_entry(&error), ("files/pipe", &EntryProblem::Fifo));
}

#[test]
fn a_setuid_file_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| {
            let run = entries
                .iter_mut()
                .find(|e| e.name == b"files/bin/run")
                .unwrap();
            run.mode = 0o4755;
        },
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("files/bin/run", &EntryProblem::SpecialBits { mode: 0o4755 })
    );
}

#[test]
fn an_entry_over_the_size_limit_is_refused_before_its_data_is_read() {
    let big = vec![b'a'; 4096];
    let (_, error) = attempt(
        vec![listed("big.bin", &big)],
        |_, entries| entries.push(RawEntry::file("files/big.bin", &big)),
        ExtractLimits {
            max_entry_size: 1024,
            ..ExtractLimits::default()
        },
    );
    assert_eq!(
        unsafe_entry(&error),
        (
            "files/big.bin",
            &EntryProblem::TooLarge {
                size: 4096,
                limit: 1024
            }
        )
    );
}

#[test]
fn a_header_claiming_a_terabyte_is_refused_with_default_limits() {
    let (_, error) = attempt(
        vec![],
        |_, entries| {
            entries.push(RawEntry {
                size: Some(1 << 40),
                ..RawEntry::file("files/huge", b"")
            })
        },
        ExtractLimits::default(),
    );
    let (entry, problem) = unsafe_entry(&error);
    assert_eq!(entry, "files/huge");
    assert!(
        matches!(problem, EntryProblem::TooLarge { .. }),
        "{problem:?}"
    );
}

#[test]
fn a_zstd_bomb_is_stopped_while_streaming() {
    let zeros = vec![0u8; 8 << 20];
    let (_, error) = attempt(
        vec![listed("zeros.bin", &zeros)],
        |_, entries| entries.push(RawEntry::file("files/zeros.bin", &zeros)),
        ExtractLimits {
            ratio_grace_bytes: 1 << 20,
            ..ExtractLimits::default()
        },
    );
    let ReleaseError::DecompressionBomb {
        entry,
        unpacked,
        packed,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(entry, "files/zeros.bin");
    assert!(*unpacked > 200 * *packed, "{unpacked} from {packed}");
}

#[test]
fn the_total_size_limit_is_enforced() {
    let data = vec![b'a'; 600];
    let (_, error) = attempt(
        vec![listed("a.bin", &data), listed("b.bin", &data)],
        |_, entries| {
            entries.push(RawEntry::file("files/a.bin", &data));
            entries.push(RawEntry::file("files/b.bin", &data));
        },
        ExtractLimits {
            max_total_size: 1000,
            ..ExtractLimits::default()
        },
    );
    assert!(
        matches!(&error, ReleaseError::TotalTooLarge { entry, .. } if entry == "files/b.bin"),
        "{error:?}"
    );
}

#[test]
fn an_entry_not_in_the_manifest_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::file("files/backdoor.py", b"import os")),
        ExtractLimits::default(),
    );
    assert!(
        matches!(&error, ReleaseError::UnlistedEntry { entry } if entry == "files/backdoor.py"),
        "{error:?}"
    );
}

#[test]
fn an_entry_outside_the_payload_directory_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.push(RawEntry::file("run.sh", b"rm -rf /")),
        ExtractLimits::default(),
    );
    assert_eq!(
        unsafe_entry(&error),
        ("run.sh", &EntryProblem::OutsidePayload)
    );
}

#[test]
fn a_manifest_entry_missing_from_the_payload_is_refused() {
    let (_, error) = attempt(
        vec![],
        |_, entries| entries.retain(|e| e.name != b"files/app.py"),
        ExtractLimits::default(),
    );
    assert!(
        matches!(&error, ReleaseError::MissingEntry { entry } if entry == "files/app.py"),
        "{error:?}"
    );
}

#[test]
fn too_many_entries_are_refused() {
    let (_, error) = attempt(
        vec![],
        |_, _| {},
        ExtractLimits {
            max_entries: 2,
            ..ExtractLimits::default()
        },
    );
    assert!(
        matches!(error, ReleaseError::TooManyEntries { limit: 2 }),
        "{error:?}"
    );
}
