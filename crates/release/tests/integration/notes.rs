//! Release notes between two real bundles built in a real git repository:
//! commits, flags added and changed with their kill switches, an expand
//! migration, spec changes per env, and the lookup of releases in a store.

use crate::support::{APP, Fixture, key, trusted};
use daytwo_migrate::Class;
use daytwo_release::notes::{self, ReleaseNotes};
use daytwo_release::{BuildOptions, Manifest, build, import};
use std::path::Path;
use std::process::Command;

const SPEC_V1: &str = r#"[app]
name = "shop"

[process.web]
command = "python3 app.py"
http = true

[build]
artifacts = ["app.py"]

[flags.checkout_v2]
type = "boolean"
default = false
description = "The new checkout"
"#;

const SPEC_V2: &str = r#"[app]
name = "shop"

[process.web]
command = "python3 app.py --workers 2"
http = true

[build]
artifacts = ["app.py"]

[migrations]
dir = "db/migrations"
database = "sqlite:///tmp/never-opened-by-notes.db"

[flags.checkout_v2]
type = "boolean"
default = true
description = "The new checkout, now on by default"

[flags.new_search]
type = "boolean"
default = false
description = "Search on the new index"

[env.dev.flags]
new_search = true
"#;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

fn build_at(fixture: &Fixture, version: &str, epoch: i64) -> Manifest {
    let options = BuildOptions {
        output_dir: fixture.out_dir(),
        signing_key: Some(key()),
        source_date_epoch: Some(epoch),
    };
    let built = build(&fixture.spec(), Some(version.into()), &options).unwrap();
    import(&built.path, &fixture.store(), &trusted(), APP).unwrap();
    built.manifest
}

/// Two releases: 1.0.0, then a commit adding a flag, changing one and an
/// expand migration, then 2.0.0.
fn two_releases() -> (Fixture, Manifest, Manifest) {
    let fixture = Fixture::with_spec(SPEC_V1);
    let app = fixture.app_dir();
    git(&app, &["init", "-q"]);
    git(&app, &["add", "-A"]);
    git(&app, &["commit", "-q", "-m", "First shop"]);
    let old = build_at(&fixture, "1.0.0", 1_700_000_000);

    std::fs::write(app.join("daytwo.toml"), SPEC_V2).unwrap();
    std::fs::create_dir_all(app.join("db/migrations")).unwrap();
    std::fs::write(
        app.join("db/migrations/0001_items.sql"),
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n",
    )
    .unwrap();
    git(&app, &["add", "-A"]);
    git(&app, &["commit", "-q", "-m", "Search on the new index"]);
    let new = build_at(&fixture, "2.0.0", 1_700_000_100);
    (fixture, old, new)
}

fn notes_of(fixture: &Fixture, old: &Manifest, new: &Manifest) -> ReleaseNotes {
    let commits = notes::commits_between(
        &fixture.app_dir(),
        Some(&old.git.as_ref().unwrap().commit),
        &new.git.as_ref().unwrap().commit,
    );
    ReleaseNotes::between(new, Some(old), commits)
}

#[test]
fn notes_list_commits_flags_migrations_and_spec_changes() {
    let (fixture, old, new) = two_releases();
    let notes = notes_of(&fixture, &old, &new);

    assert_eq!(notes.app, "shop");
    assert_eq!(notes.release.version, "2.0.0");
    assert_eq!(notes.since.as_ref().unwrap().version, "1.0.0");
    let subjects: Vec<&str> = notes.commits.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, ["Search on the new index"]);
    assert_eq!(notes.commits[0].author, "Ada");
    assert_eq!(notes.commits_unknown, None);

    let added: Vec<&str> = notes.flags.added.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(added, ["new_search"]);
    assert!(notes.flags.added[0].kill_switch);
    assert_eq!(notes.flags.added[0].on_in, ["dev"]);
    assert_eq!(notes.flags.changed.len(), 1);
    let changed = &notes.flags.changed[0];
    assert_eq!(changed.flag.name, "checkout_v2");
    let fields: Vec<&str> = changed.changes.keys().map(String::as_str).collect();
    assert_eq!(fields, ["default", "description"]);
    assert!(notes.flags.removed.is_empty());

    assert_eq!(notes.migrations.len(), 1);
    assert_eq!(notes.migrations[0].class, Class::Expand);
    assert_eq!(notes.migrations[0].file, "db/migrations/0001_items.sql");
    assert!(notes.rollback_safe);

    let dev = &notes.spec_changes["dev"];
    let command = dev
        .iter()
        .find(|c| c.key == "process.web.command")
        .expect("the command change is listed");
    assert_eq!(command.old.as_deref(), Some("python3 app.py"));
    assert_eq!(command.new.as_deref(), Some("python3 app.py --workers 2"));
    assert!(notes.measured.is_empty());
}

#[test]
fn markdown_has_every_section_and_the_kill_switch_command() {
    let (fixture, old, new) = two_releases();
    let markdown = notes_of(&fixture, &old, &new).to_markdown();
    for heading in [
        "# shop 2.0.0",
        "## Commits",
        "## Flags",
        "## Migrations",
        "## Spec changes",
        "### dev",
        "## Measured behaviour",
    ] {
        assert!(markdown.contains(heading), "{heading} missing:\n{markdown}");
    }
    assert!(
        markdown.contains("Search on the new index (Ada)"),
        "{markdown}"
    );
    assert!(
        markdown
            .contains("**added** `new_search` (boolean, default `false`): Search on the new index"),
        "{markdown}"
    );
    assert!(
        markdown.contains("kill switch: `daytwo flags set new_search false --env dev`"),
        "{markdown}"
    );
    assert!(markdown.contains("  - default: false → true"), "{markdown}");
    assert!(
        markdown.contains("| 1 | `db/migrations/0001_items.sql` | expand |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("Rollback to 1.0.0 stays possible."),
        "{markdown}"
    );
    assert!(markdown.contains("Not measured yet"), "{markdown}");
}

#[test]
fn json_has_the_documented_fields() {
    let (fixture, old, new) = two_releases();
    let json = serde_json::to_value(notes_of(&fixture, &old, &new)).unwrap();
    assert_eq!(json["app"], "shop");
    assert_eq!(json["release"]["version"], "2.0.0");
    assert_eq!(json["release"]["digest"], new.digest.to_string());
    assert_eq!(json["since"]["version"], "1.0.0");
    assert_eq!(json["commits"][0]["subject"], "Search on the new index");
    assert_eq!(json["flags"]["added"][0]["name"], "new_search");
    assert_eq!(json["flags"]["added"][0]["kill_switch"], true);
    assert_eq!(
        json["flags"]["changed"][0]["changes"]["default"]["new"],
        true
    );
    assert_eq!(json["flags"]["removed"], serde_json::json!([]));
    assert_eq!(json["migrations"][0]["class"], "expand");
    assert_eq!(json["rollback_safe"], true);
    assert!(json["spec_changes"]["dev"].is_array());
    assert_eq!(json["measured"], serde_json::json!([]));
}

#[test]
fn releases_resolve_by_version_digest_or_prefix_and_default_to_the_predecessor() {
    let (fixture, old, new) = two_releases();
    let manifests = notes::load_manifests(&fixture.store()).unwrap();
    assert_eq!(manifests.len(), 2);
    let by_version = notes::resolve(&manifests, "2.0.0").unwrap();
    assert_eq!(by_version.digest, new.digest);
    let by_digest = notes::resolve(&manifests, &old.digest.to_string()).unwrap();
    assert_eq!(by_digest.version, "1.0.0");
    let by_prefix = notes::resolve(&manifests, &new.digest.hex()[..10]).unwrap();
    assert_eq!(by_prefix.version, "2.0.0");
    assert!(notes::resolve(&manifests, "9.9.9").is_err());
    assert_eq!(
        notes::since_default(&manifests, by_version).map(|m| m.version.as_str()),
        Some("1.0.0")
    );
    assert!(notes::since_default(&manifests, by_digest).is_none());
}

#[test]
fn without_a_repository_commits_are_unknown_and_said_so() {
    let (_fixture, old, new) = two_releases();
    let elsewhere = tempfile::tempdir().unwrap();
    let commits = notes::commits_between(
        elsewhere.path(),
        Some(&old.git.as_ref().unwrap().commit),
        &new.git.as_ref().unwrap().commit,
    );
    let notes = ReleaseNotes::between(&new, Some(&old), commits);
    assert!(notes.commits.is_empty());
    assert!(notes.commits_unknown.is_some());
    assert!(notes.to_markdown().contains("Commits unknown:"));
}
