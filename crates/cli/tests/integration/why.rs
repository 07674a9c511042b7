//! `daytwo why`: a real shop log line maps to the shop's source line.

use crate::app::home;
use std::path::Path;

const SHOP_LINE: &str = r#"{"ts":"2026-11-27T04:00:00Z","level":"info","msg":"analytics buckets","entries":3,"bytes":49152,"minutes":1,"replica":"dev/web.1"}"#;

fn shop_spec() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/shop/daytwo.toml")
        .display()
        .to_string()
}

#[test]
fn why_prints_the_shop_analytics_line_first() {
    let home = home();
    let output = home
        .run(&["why", SHOP_LINE, "--spec", &shop_spec()])
        .success();
    let first = output.stdout.lines().next().unwrap_or_default();
    assert!(first.contains("analytics.rs:"), "{output:#?}");
    let line: usize = first.rsplit(':').next().unwrap().parse().unwrap();
    let source = std::fs::read_to_string(first.rsplit_once(':').unwrap().0).unwrap();
    assert!(
        source
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("\"analytics buckets\"")
    );

    let json = home
        .run(&[
            "why",
            SHOP_LINE,
            "--spec",
            &shop_spec(),
            "--json",
            "--limit",
            "2",
        ])
        .success();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let best = &value["matches"][0];
    assert!(
        best["file"].as_str().unwrap().ends_with("analytics.rs"),
        "{value}"
    );
    assert_eq!(best["line"].as_u64(), Some(line as u64));
    assert_eq!(best["function"], "record");
    assert!(best.get("commit").is_some() && best["release"].is_null());
    assert!(best["score"].as_f64().unwrap() > 0.9);
}

#[test]
fn why_exits_1_when_nothing_matches() {
    let home = home();
    let output = home.run(&["why", "zebra quantum xylophone", "--spec", &shop_spec()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    assert!(output.stderr.contains("matches this line"), "{output:#?}");
}

/// Two releases of a python worker in a git repository; v2 (by another
/// author) adds a log line.
mod releases {
    use crate::app::{Project, home};
    use std::path::Path;
    use std::process::Command;

    const SPEC: &str = r#"
[app]
name = "jobs"

[process.worker]
command = "python3 worker.py"

[build]
artifacts = ["worker.py"]

[flags.fast_lane]
type = "boolean"
default = false
description = "Skip the queue for small batches"
"#;

    const WORKER_V1: &str = r#"import logging, os

log = logging.getLogger("jobs")


def run(jobs):
    for job in jobs:
        log.info("running job %s (%d bytes)", job.id, job.size)
"#;

    const WORKER_V2_ADDS: &str = r#"

def drain(queue):
    if os.environ.get("DAYTWO_FLAG_FAST_LANE") == "true":
        return
    log.warning("draining queue %s with %d jobs left", queue.name, len(queue))
"#;

    const OLD_LINE: &str = "INFO:jobs:running job j-7 (2048 bytes)";
    const NEW_LINE: &str = "WARNING:jobs:draining queue emails with 12 jobs left";

    fn git(dir: &Path, author: &str, args: &[&str]) -> String {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", &format!("user.name={author}")])
            .args([
                "-c",
                "user.email=dev@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    fn commit(dir: &Path, author: &str, message: &str) -> String {
        git(dir, author, &["add", "-A"]);
        git(dir, author, &["commit", "-q", "-m", message]);
        git(dir, author, &["rev-parse", "HEAD"])
    }

    fn line_of(text: &str, needle: &str) -> u64 {
        text.lines().position(|line| line.contains(needle)).unwrap() as u64 + 1
    }

    #[test]
    fn why_release_reads_the_stored_index_and_names_the_first_release() {
        let project = Project::new(SPEC);
        let dir = project.path();
        let spec = project.spec_arg();
        let home = home();
        home.run(&["keys", "generate"]).success();
        std::fs::write(dir.join("worker.py"), WORKER_V1).unwrap();
        git(dir, "Ada Lovelace", &["init", "-q"]);
        let ada = commit(dir, "Ada Lovelace", "Worker");
        home.run(&["build", "--version", "1.0.0", "--spec", &spec])
            .success();
        let v2_source = format!("{WORKER_V1}{WORKER_V2_ADDS}");
        std::fs::write(dir.join("worker.py"), &v2_source).unwrap();
        let bob = commit(dir, "Bob Barker", "Drain the queue");
        home.run(&["build", "--version", "2.0.0", "--spec", &spec])
            .success();

        // The stored index, not the tree: the sources may be gone.
        std::fs::remove_file(dir.join("worker.py")).unwrap();
        let new = home
            .run(&["why", NEW_LINE, "--release", "2.0.0", "--json"])
            .success()
            .json();
        let best = &new["matches"][0];
        assert_eq!(best["file"], "worker.py", "{new}");
        assert_eq!(best["line"], line_of(&v2_source, "draining queue"));
        assert_eq!(best["function"], "drain");
        assert_eq!(best["commit"], bob.as_str());
        assert_eq!(best["author"], "Bob Barker");
        assert_eq!(best["release"], "2.0.0", "the line is new in 2.0.0");
        assert_eq!(best["flags"], serde_json::json!(["fast_lane"]));
        assert!(best["score"].as_f64().unwrap() > 0.9, "{new}");
        assert_eq!(new["searched"]["release"], "2.0.0");

        let old = home
            .run(&["why", OLD_LINE, "--release", "2.0.0", "--json"])
            .success()
            .json();
        assert_eq!(old["matches"][0]["file"], "worker.py");
        assert_eq!(old["matches"][0]["release"], "1.0.0", "{old}");
        assert_eq!(old["matches"][0]["commit"], ada.as_str());
        assert_eq!(old["matches"][0]["author"], "Ada Lovelace");

        let text = home.run(&["why", OLD_LINE, "--release", "2.0.0"]).success();
        let first = text.stdout.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!("worker.py:{}", line_of(WORKER_V1, "running job")),
            "{text:#?}"
        );
        assert!(text.stdout.contains("first in 1.0.0"), "{text:#?}");

        // 1.0.0 never printed the new line.
        let absent = home.run(&["why", NEW_LINE, "--release", "1.0.0"]);
        assert_eq!(absent.code, Some(1), "{absent:#?}");
        assert!(
            absent.stderr.contains("release 1.0.0 of jobs"),
            "{absent:#?}"
        );

        let unknown = home.run(&["why", NEW_LINE, "--release", "9.9.9"]);
        assert_eq!(unknown.code, Some(1), "{unknown:#?}");
        assert!(unknown.stderr.contains("9.9.9"), "{unknown:#?}");
    }

    #[test]
    fn why_on_the_working_tree_names_the_first_release_and_blames_the_tree() {
        let project = Project::new(SPEC);
        let dir = project.path();
        let spec = project.spec_arg();
        let home = home();
        home.run(&["keys", "generate"]).success();
        std::fs::write(dir.join("worker.py"), WORKER_V1).unwrap();
        git(dir, "Ada Lovelace", &["init", "-q"]);
        let ada = commit(dir, "Ada Lovelace", "Worker");
        home.run(&["build", "--version", "1.0.0", "--spec", &spec])
            .success();
        // Not committed, not released.
        let edited = format!("{WORKER_V1}{WORKER_V2_ADDS}");
        std::fs::write(dir.join("worker.py"), &edited).unwrap();

        let old = home
            .run(&["why", OLD_LINE, "--spec", &spec, "--json"])
            .success()
            .json();
        let best = &old["matches"][0];
        assert!(
            best["file"].as_str().unwrap().ends_with("/worker.py"),
            "{old}"
        );
        assert_eq!(best["release"], "1.0.0");
        assert_eq!(best["commit"], ada.as_str());
        assert!(old["searched"]["release"].is_null());

        let new = home
            .run(&["why", NEW_LINE, "--spec", &spec, "--json"])
            .success()
            .json();
        let best = &new["matches"][0];
        assert_eq!(best["line"], line_of(&edited, "draining queue"));
        assert!(best["release"].is_null(), "not in any release: {new}");
        assert!(best["commit"].is_null(), "not committed: {new}");
        assert_eq!(best["flags"], serde_json::json!(["fast_lane"]));
    }
}
