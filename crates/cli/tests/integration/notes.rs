//! `daytwo notes`: two real builds in a git repository with a commit
//! between them, notes read from the release store.

use crate::app::{Project, home};
use std::path::Path;
use std::process::Command;

const SPEC_V1: &str = r#"
[app]
name = "hello"

[process.web]
command = "python3 app.py"
http = true

[build]
artifacts = ["app.py"]
"#;

const SPEC_V2: &str = r#"
[app]
name = "hello"

[process.web]
command = "python3 app.py"
http = true

[build]
artifacts = ["app.py"]

[migrations]
dir = "migrations"
database = "sqlite://app.db"

[flags.fast_path]
type = "boolean"
default = false
description = "Serve from the new cache"
"#;

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
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
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

#[test]
fn notes_show_the_commit_the_new_flag_and_the_migration_class() {
    let project = Project::new(SPEC_V1);
    let home = home();
    home.run(&["keys", "generate"]).success();
    let spec = project.spec_arg();
    git(project.path(), &["init", "-q"]);
    git(project.path(), &["add", "-A"]);
    git(project.path(), &["commit", "-q", "-m", "First version"]);
    home.run(&["build", "--version", "1.0.0", "--spec", &spec])
        .success();

    std::fs::write(project.spec(), SPEC_V2).unwrap();
    std::fs::create_dir_all(project.path().join("migrations")).unwrap();
    std::fs::write(
        project.path().join("migrations/0001_cache.sql"),
        "CREATE TABLE cache (key TEXT PRIMARY KEY, value TEXT);\n",
    )
    .unwrap();
    git(project.path(), &["add", "-A"]);
    git(
        project.path(),
        &["commit", "-q", "-m", "Add the cache behind fast_path"],
    );
    home.run(&["build", "--version", "2.0.0", "--spec", &spec])
        .success();

    let notes = home.run(&["notes", "2.0.0", "--spec", &spec]).success();
    let text = &notes.stdout;
    assert!(text.starts_with("# hello 2.0.0"), "{text}");
    assert!(text.contains("- since: 1.0.0"), "{text}");
    assert!(text.contains("Add the cache behind fast_path"), "{text}");
    assert!(!text.contains("First version"), "{text}");
    assert!(
        text.contains("**added** `fast_path` (boolean, default `false`): Serve from the new cache"),
        "{text}"
    );
    assert!(
        text.contains("daytwo flags set fast_path false --env"),
        "{text}"
    );
    assert!(
        text.contains("`migrations/0001_cache.sql` | expand"),
        "{text}"
    );
    assert!(text.contains("Rollback to 1.0.0 stays possible."), "{text}");
    assert!(text.contains("Not measured yet"), "{text}");

    let json = home
        .run(&[
            "notes", "2.0.0", "--since", "1.0.0", "--format", "json", "--spec", &spec,
        ])
        .success()
        .json();
    assert_eq!(json["release"]["version"], "2.0.0");
    assert_eq!(json["since"]["version"], "1.0.0");
    assert_eq!(
        json["commits"][0]["subject"],
        "Add the cache behind fast_path"
    );
    assert_eq!(json["flags"]["added"][0]["name"], "fast_path");
    assert_eq!(json["migrations"][0]["class"], "expand");
    assert_eq!(json["rollback_safe"], true);
    assert!(json["measured"].is_null());

    let unknown = home.run(&["notes", "7.7.7"]);
    assert_eq!(unknown.code, Some(1), "{unknown:#?}");
    assert!(
        unknown.stderr.contains("no release `7.7.7`"),
        "{unknown:#?}"
    );
}
