//! `daytwo notes`: two real builds in a git repository with a commit
//! between them, notes read from the release store.

use crate::app::{Project, home};
use daytwo_store::TelemetrySummary;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
    assert_eq!(json["measured"], serde_json::json!([]));

    // What the daemon's telemetry stored of both releases in dev: 1.0.0
    // flat at 40 MiB, 2.0.0 growing 3 MiB per 10 s period (18 MiB/min).
    let digest = |version: &str| {
        home.run(&["notes", version, "--format", "json", "--spec", &spec])
            .success()
            .json()["release"]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let store = daytwo_store::Store::open(home.path().join("state.db")).unwrap();
    let rows = |release: &str, growth_mib: u64, p99: f64| -> Vec<TelemetrySummary> {
        (0..6_i64)
            .map(|i| TelemetrySummary {
                at: jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60 - 10 * i),
                env: "dev".into(),
                release_digest: release.to_string(),
                period: Duration::from_secs(10),
                requests: 1000,
                errors_5xx: 0,
                p50_ms: Some(p99 / 4.0),
                p99_ms: Some(p99),
                cpu_seconds: 2.0,
                rss_bytes: (40 + growth_mib * i as u64) << 20,
                replicas: 2,
            })
            .collect()
    };
    store
        .append_telemetry(&rows(&digest("1.0.0"), 0, 20.0))
        .unwrap();
    store
        .append_telemetry(&rows(&digest("2.0.0"), 3, 30.0))
        .unwrap();
    drop(store);
    let notes = home.run(&["notes", "2.0.0", "--spec", &spec]).success();
    let text = &notes.stdout;
    assert!(!text.contains("Not measured yet"), "{text}");
    assert!(text.contains("### dev"), "{text}");
    assert!(
        text.contains("| RSS growth per replica | 0.0 MiB /min | 18.0 MiB /min | +18.0 MiB /min |"),
        "{text}"
    );
    assert!(
        text.contains("| p99 latency | 20.0 ms | 30.0 ms | +10.0 ms (+50 %) |"),
        "{text}"
    );
    let json = home
        .run(&["notes", "2.0.0", "--format", "json", "--spec", &spec])
        .success()
        .json();
    assert_eq!(json["measured"][0]["env"], "dev");
    let growth = json["measured"][0]["release"]["rss_growth_bytes_per_minute"]
        .as_f64()
        .unwrap();
    assert!((growth - 18.0 * 1024.0 * 1024.0).abs() < 1.0, "{growth}");
    assert_eq!(
        json["measured"][0]["previous"]["rss_growth_bytes_per_minute"],
        0.0
    );

    let unknown = home.run(&["notes", "7.7.7"]);
    assert_eq!(unknown.code, Some(1), "{unknown:#?}");
    assert!(
        unknown.stderr.contains("no release `7.7.7`"),
        "{unknown:#?}"
    );
}
