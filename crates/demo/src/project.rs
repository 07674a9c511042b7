//! The demo's project: a git repository holding the example shop (its
//! sources, so `daytwo why` and the release notes have real code and real
//! commits, its migrations, and a spec), in two commits:
//!
//! - **v1**: the shop with its catalogue schema; the analytics code ships
//!   dark (no `analytics` flag is declared, so it reads as off);
//! - **v2**: declares the `analytics` flag (on in qa, staging and prod),
//!   adds the expand-only `0002_analytics.sql` migration and names the flag
//!   as the steady-state watch's kill switch.
//!
//! The spec is the shop's `daytwo.toml` with demo-sized settings: free
//! ports, a short canary in prod, a quick analysis interval. Its `[build]`
//! packs the shop binary that `cargo build --workspace` already compiled
//! (`$DEMO_SHOP_BIN`), so a build takes seconds.

use crate::DemoError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The example shop in this source tree (sources and migrations).
pub fn shop_source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop")
}

/// The listeners of the demo's four envs.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub dev: u16,
    pub qa: u16,
    pub staging: u16,
    pub prod: u16,
}

impl Ports {
    /// Four ports free right now on 127.0.0.1.
    pub fn free() -> Result<Self, DemoError> {
        let listeners: Vec<std::net::TcpListener> = (0..4)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
            .collect::<Result<_, _>>()
            .map_err(|error| setup("cannot find free ports on 127.0.0.1", error))?;
        let port = |i: usize| listeners[i].local_addr().map(|a| a.port()).unwrap_or(0);
        Ok(Self {
            dev: port(0),
            qa: port(1),
            staging: port(2),
            prod: port(3),
        })
    }
}

/// The project directory and what the demo needs to know of it.
#[derive(Debug)]
pub struct Project {
    pub dir: PathBuf,
    pub spec: PathBuf,
    pub ports: Ports,
}

/// A log template of the analytics feature that `daytwo why` looks up.
pub const ANALYTICS_LOG_MARKER: &str = "analytics buckets";

impl Project {
    /// Writes v1 into `dir` (a new directory) and commits it.
    pub fn create(dir: &Path, ports: Ports) -> Result<Self, DemoError> {
        let source = shop_source_dir();
        if !source.join("src/main.rs").is_file() {
            return Err(DemoError::Setup {
                what: format!("the example shop is not at {}", source.display()),
                detail: "run the demo from the daytwo build that `cargo build --workspace` made in its source tree".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| setup("cannot create the project", e))?;
        copy_tree(&source.join("src"), &dir.join("src"))?;
        std::fs::create_dir_all(dir.join("migrations"))
            .map_err(|e| setup("cannot create migrations/", e))?;
        copy_migration(&source, dir, "0001_")?;
        write(&dir.join(".gitignore"), "bin/\n")?;
        let project = Self {
            dir: dir.to_path_buf(),
            spec: dir.join("daytwo.toml"),
            ports,
        };
        write(&project.spec, &spec_text(ports, false))?;
        git(dir, &["init", "-q", "-b", "main"])?;
        git(dir, &["add", "-A"])?;
        git(
            dir,
            &["commit", "-q", "-m", "Shop v1: catalogue, orders, worker"],
        )?;
        Ok(project)
    }

    /// Turns the project into v2 and commits it.
    pub fn upgrade_to_v2(&self) -> Result<(), DemoError> {
        copy_migration(&shop_source_dir(), &self.dir, "0002_")?;
        write(&self.spec, &spec_text(self.ports, true))?;
        git(&self.dir, &["add", "-A"])?;
        git(
            &self.dir,
            &[
                "commit",
                "-q",
                "-m",
                "Per-customer analytics behind the `analytics` flag, with its rollup table",
            ],
        )
    }
}

/// The spec of v1 (`analytics: false`) or v2.
pub fn spec_text(ports: Ports, v2: bool) -> String {
    let mut text = String::from(
        r#"# The demo's copy of examples/shop/daytwo.toml, demo-sized: free ports,
# a short canary in prod and a quick analysis interval.
[app]
name = "shop"

# The shop binary is already compiled (cargo build --workspace): pack it.
[build]
command = 'mkdir -p bin && rm -f bin/shop && cp "$DEMO_SHOP_BIN" bin/shop'
artifacts = ["bin/shop"]

[migrations]
dir = "migrations"
database = "sqlite://shop.db"

[process.web]
command = "bin/shop"
http = true
replicas = 2
health = { path = "/healthz", interval = "500ms", timeout = "500ms" }
memory_limit = "512MiB"
stop_timeout = "5s"
environment = { SHOP_ANALYTICS_BYTES = "32768", SHOP_ANALYTICS_LOG_EVERY = "200" }

[process.worker]
command = "bin/shop worker"
replicas = 1
memory_limit = "64MiB"
stop_timeout = "5s"
environment = { SHOP_WORKER_INTERVAL_MS = "2000" }

[checks]
smoke = 'python3 -c "import os, urllib.request as u; u.urlopen(os.environ[\"DAYTWO_SMOKE_URL\"] + \"/products\", timeout=5).read()"'
smoke_timeout = "20s"

[rollout]
strategy = "rolling"
steps = [25, 100]
step_duration = "30s"

[rollout.guards]
analysis_interval = "2s"
min_samples = 8
max_extensions = 1
"#,
    );
    if v2 {
        text.push_str(
            r#"
[flags.analytics]
type = "boolean"
default = false
description = "Per-request analytics buckets (the story's new feature). Kill switch: set to false to stop recording."
owner = "analytics-team"
"#,
        );
    }
    text.push_str(&format!(
        r#"
[env.dev]
listen = "127.0.0.1:{dev}"

[env.qa]
listen = "127.0.0.1:{qa}"

[env.staging]
listen = "127.0.0.1:{staging}"

[env.prod]
listen = "127.0.0.1:{prod}"

[env.prod.process.web]
replicas = 2

# Production deploys are canaries: 25 % of requests first, judged by the
# default guards (error rate, p99 latency, restarts, memory growth).
[env.prod.rollout]
strategy = "canary"
"#,
        dev = ports.dev,
        qa = ports.qa,
        staging = ports.staging,
        prod = ports.prod,
    ));
    if v2 {
        text.push_str(
            r#"
[env.qa.flags]
analytics = true

[env.staging.flags]
analytics = true

[env.prod.flags]
analytics = true

# After promotion, prod's steady-state watch turns the feature off itself
# if it starts leaking later (the other envs only alert).
[env.prod.rollout.guards]
remediation = "flag-off analytics"
"#,
        );
    }
    text
}

fn copy_migration(source: &Path, dir: &Path, prefix: &str) -> Result<(), DemoError> {
    let migrations = source.join("migrations");
    let entries = std::fs::read_dir(&migrations)
        .map_err(|e| setup(&format!("cannot read {}", migrations.display()), e))?;
    let mut copied = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(prefix) {
            std::fs::copy(entry.path(), dir.join("migrations").join(&name))
                .map_err(|e| setup("cannot copy a migration", e))?;
            copied += 1;
        }
    }
    if copied == 0 {
        return Err(DemoError::Setup {
            what: format!("no migration {prefix}* in {}", migrations.display()),
            detail: "the example shop's migrations are missing".into(),
        });
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), DemoError> {
    std::fs::create_dir_all(to)
        .map_err(|e| setup(&format!("cannot create {}", to.display()), e))?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| setup(&format!("cannot read {}", from.display()), e))?;
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| setup(&format!("cannot copy {}", entry.path().display()), e))?;
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), DemoError> {
    std::fs::write(path, text).map_err(|e| setup(&format!("cannot write {}", path.display()), e))
}

/// `git ARGS` in `dir` with a fixed identity (the demo's author).
fn git(dir: &Path, args: &[&str]) -> Result<(), DemoError> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dana Developer")
        .env("GIT_AUTHOR_EMAIL", "dana@shop.example")
        .env("GIT_COMMITTER_NAME", "Dana Developer")
        .env("GIT_COMMITTER_EMAIL", "dana@shop.example")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(|e| setup("cannot run git (is it installed?)", e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(DemoError::Setup {
            what: format!("git {} failed", args.join(" ")),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

fn setup(what: &str, error: impl std::fmt::Display) -> DemoError {
    DemoError::Setup {
        what: what.to_string(),
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both versions of the demo's spec are valid, warning-free specs with
    /// what the story relies on.
    #[test]
    fn both_specs_load_without_warnings() {
        let ports = Ports {
            dev: 18180,
            qa: 18181,
            staging: 18182,
            prod: 18183,
        };
        for v2 in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("daytwo.toml");
            std::fs::write(&path, spec_text(ports, v2)).unwrap();
            let loaded = daytwo_spec::load(&path)
                .unwrap_or_else(|error| panic!("v2={v2}: {:?}", miette::Report::new(error)));
            assert!(loaded.warnings.is_empty(), "v2={v2}: {:?}", loaded.warnings);
            let prod = &loaded.spec.envs["prod"];
            assert_eq!(prod.rollout.strategy.as_str(), "canary");
            assert_eq!(prod.rollout.steps, [25, 100]);
            assert_eq!(prod.flags.contains_key("analytics"), v2);
            assert_eq!(
                prod.rollout.guards.remediation.to_string(),
                if v2 { "flag-off analytics" } else { "alert" }
            );
            assert_eq!(loaded.spec.envs["qa"].rollout.strategy.as_str(), "rolling");
        }
    }

    #[test]
    fn the_project_is_a_git_repository_with_v1_then_v2() {
        let root = tempfile::tempdir().unwrap();
        let ports = Ports::free().unwrap();
        let project = Project::create(&root.path().join("shop"), ports).unwrap();
        assert!(project.dir.join("src/analytics.rs").is_file());
        assert!(project.dir.join("migrations").read_dir().unwrap().count() == 1);
        project.upgrade_to_v2().unwrap();
        assert!(project.dir.join("migrations").read_dir().unwrap().count() == 2);
        let log = Command::new("git")
            .current_dir(&project.dir)
            .args(["log", "--format=%s|%an"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&log.stdout);
        let subjects: Vec<&str> = log.lines().collect();
        assert_eq!(subjects.len(), 2, "{log}");
        assert!(subjects[0].starts_with("Per-customer analytics"), "{log}");
        assert!(subjects[1].ends_with("|Dana Developer"), "{log}");
    }
}
