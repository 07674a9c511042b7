//! `daytwo demo`: the story daytwo exists to end, replayed against the
//! example shop in a temporary `DAYTWO_HOME`, with real processes, a real
//! proxy and real load, driven through the real `daytwo` CLI:
//!
//! ```text
//! project (git, v1) ─build─> v1 ─deploy─> qa ─promote─> staging ─promote─> prod   (users on prod)
//! project (git, v2) ─build─> v2 ─deploy─> qa ─promote─> staging ─canary──> prod   leak caught → rolled back
//!                                            kill switch in staging · notes · incident · why
//! ```
//!
//! Every step checks that daytwo behaved as the narrative says; the demo
//! succeeds only if all did, and its last line is a `summary:` with
//! `failed_requests=0`.

mod daytwo_cli;
mod load;
mod narrator;
mod project;
mod story;

pub use daytwo_cli::{CommandOutput, DaytwoCli};
pub use load::{Load, LoadPlan, LoadReport};
pub use narrator::{Narrator, Step};
pub use project::{Ports, Project, spec_text};

use std::path::PathBuf;
use std::time::Duration;

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{step}: {detail}")]
    Step { step: String, detail: String },
    #[error("{what}: {detail}")]
    Setup { what: String, detail: String },
}

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The `daytwo` executable the demo drives (normally itself).
    pub daytwo: PathBuf,
    /// The compiled example shop.
    pub shop_bin: PathBuf,
    /// Leave the envs running (and the directory) to explore afterwards.
    pub keep: bool,
}

/// What the users saw and how fast daytwo reacted.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub requests: u64,
    pub failed_requests: u64,
    pub time_to_detect: Duration,
    pub time_to_rollback: Duration,
    pub guard: String,
}

impl Summary {
    /// The demo's last line.
    pub fn line(&self, took: Duration) -> String {
        format!(
            "summary: requests={} failed_requests={} time_to_detect={:.1}s time_to_rollback={:.2}s guard={} took={:.0}s",
            self.requests,
            self.failed_requests,
            self.time_to_detect.as_secs_f64(),
            self.time_to_rollback.as_secs_f64(),
            self.guard,
            took.as_secs_f64()
        )
    }
}

/// Runs the whole story; prints the narrative and the summary.
pub async fn run(options: DemoOptions) -> Result<Summary, DemoError> {
    if !options.shop_bin.is_file() {
        return Err(DemoError::Setup {
            what: format!(
                "the example shop binary is missing at {}",
                options.shop_bin.display()
            ),
            detail: "build it first: cargo build --workspace (or set SHOP_BIN)".into(),
        });
    }
    let narrator = Narrator::new();
    let root = tempfile::Builder::new()
        .prefix("daytwo-demo.")
        .tempdir()
        .map_err(|error| DemoError::Setup {
            what: "cannot create a temporary directory".into(),
            detail: error.to_string(),
        })?;
    let home = root.path().join("home");
    let project = Project::create(&root.path().join("shop"), Ports::free()?)?;
    let cli = DaytwoCli {
        exe: options.daytwo.clone(),
        home: home.clone(),
        spec: project.spec.clone(),
        envs: vec![(
            "DEMO_SHOP_BIN".into(),
            options.shop_bin.display().to_string(),
        )],
    };
    println!("daytwo demo: the 2 a.m. release, replayed (about a minute)");
    println!("  DAYTWO_HOME={}", home.display());

    let result = story::Story {
        cli: &cli,
        project: &project,
        narrator: &narrator,
    }
    .run()
    .await;

    if options.keep {
        let kept = root.keep();
        println!();
        println!("kept: the envs keep running. Explore with");
        println!("  export DAYTWO_HOME={}", home.display());
        println!(
            "  daytwo status; daytwo ps; daytwo history --env prod; daytwo flags --env staging"
        );
        println!("  curl http://127.0.0.1:{}/products", project.ports.prod);
        println!(
            "stop everything with: daytwo down --all && rm -rf {}",
            kept.display()
        );
    } else {
        stop_everything(&cli).await;
    }
    let summary = result?;
    let took = narrator.elapsed();
    println!();
    println!("  requests served      {}", summary.requests);
    println!("  failed requests      {}", summary.failed_requests);
    println!(
        "  time to detect       {:.1}s (guard {})",
        summary.time_to_detect.as_secs_f64(),
        summary.guard
    );
    println!(
        "  time to roll back    {:.2}s",
        summary.time_to_rollback.as_secs_f64()
    );
    println!("  whole demo           {:.0}s", took.as_secs_f64());
    println!("{}", summary.line(took));
    if summary.failed_requests > 0 {
        return Err(DemoError::Step {
            step: "users".into(),
            detail: format!("{} requests failed", summary.failed_requests),
        });
    }
    Ok(summary)
}

/// Stops every env, the daemon and the proxy of the demo's home (by PID).
async fn stop_everything(cli: &DaytwoCli) {
    let _ = cli.run(&["down", "--all"], Duration::from_secs(60)).await;
    let _ = daytwo_api::Client::for_home(&cli.home).shutdown().await;
    if let Ok(text) = std::fs::read_to_string(cli.home.join("proxy.json"))
        && let Ok(info) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(pid) = info["pid"].as_i64().and_then(|pid| i32::try_from(pid).ok())
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains("proxy"))
    {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    // Give the daemon a moment to release its files before they are removed.
    tokio::time::sleep(Duration::from_millis(300)).await;
}
