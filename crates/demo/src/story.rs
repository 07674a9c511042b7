//! The story, chapter by chapter. Each step runs real `daytwo` commands and
//! checks that daytwo did what the narrative says; the first step that did
//! not ends the demo with an error naming it.

use crate::daytwo_cli::{DaytwoCli, display};
use crate::load::{Load, LoadPlan, LoadReport};
use crate::narrator::Narrator;
use crate::project::{ANALYTICS_LOG_MARKER, Project};
use crate::{DemoError, Summary};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

/// A short command (build, status, flags …).
const SHORT: Duration = Duration::from_secs(120);
/// A deploy, promote or the canary.
const DEPLOY: Duration = Duration::from_secs(240);
/// Requests per second the "users" send to prod, and to staging.
const PROD_RATE: u32 = 200;
const STAGING_RATE: u32 = 60;
/// What the users request: the catalogue and a product.
const PATHS: [&str; 3] = ["/products", "/products/1", "/products/2"];

pub(crate) struct Story<'a> {
    pub(crate) cli: &'a DaytwoCli,
    pub(crate) project: &'a Project,
    pub(crate) narrator: &'a Narrator,
}

impl Story<'_> {
    pub(crate) async fn run(&self) -> Result<Summary, DemoError> {
        let n = self.narrator;
        n.chapter("1 · A shop, one spec, four environments");
        n.note(&format!(
            "project {} (git, v1)\nlisteners: dev :{}  qa :{}  staging :{}  prod :{}",
            self.project.dir.display(),
            self.project.ports.dev,
            self.project.ports.qa,
            self.project.ports.staging,
            self.project.ports.prod
        ));
        self.ok(
            "generate a signing key trusted by qa, staging and prod",
            &[
                "keys", "generate", "--trust", "qa", "--trust", "staging", "--trust", "prod",
            ],
        )
        .await?;
        let v1 = self.build("v1").await?;
        let step = n.step("daytwo up --env dev (migrations, then replicas)");
        let spec = self.cli.spec_arg();
        self.cli
            .json(&["up", "--env", "dev", "--detach", "--spec", &spec], DEPLOY)
            .await?;
        step.done("dev runs the working tree");

        n.chapter("2 · v1: built once, promoted qa → staging → prod");
        self.deploy("qa", &["deploy", "v1", "--env", "qa"], "succeeded")
            .await?;
        self.deploy(
            "staging",
            &["promote", "--from", "qa", "--to", "staging"],
            "succeeded",
        )
        .await?;
        self.deploy(
            "prod",
            &["promote", "--from", "staging", "--to", "prod"],
            "succeeded",
        )
        .await?;
        let prod_load = start_load(self.project.ports.prod, PROD_RATE)?;
        let staging_load = start_load(self.project.ports.staging, STAGING_RATE)?;
        n.note(&format!(
            "users: {PROD_RATE} req/s on prod, {STAGING_RATE} req/s on staging (loopback, bounded)"
        ));
        tokio::time::sleep(Duration::from_secs(2)).await;
        expect_clean("prod under load", prod_load.report())?;

        n.chapter("3 · v2: per-customer analytics behind a flag, with an expand-only migration");
        self.project.upgrade_to_v2()?;
        n.note(
            "commit: \"Per-customer analytics behind the `analytics` flag, with its rollup table\"",
        );
        let lint = self
            .cli
            .json(
                &[
                    "migrate",
                    "lint",
                    "--dir",
                    &self.project.dir.join("migrations").display().to_string(),
                    "--dialect",
                    "sqlite",
                ],
                SHORT,
            )
            .await?;
        let classes = migration_classes(&lint);
        n.note(&format!("migrations lint: {classes}"));
        if classes.contains("contract") || classes.contains("unknown") {
            return Err(step_error(
                "migrate lint",
                format!("v2's migrations should be expand-only: {classes}"),
            ));
        }
        let v2 = self.build("v2").await?;
        self.deploy("qa", &["deploy", "v2", "--env", "qa"], "succeeded")
            .await?;
        self.deploy(
            "staging",
            &["promote", "--from", "qa", "--to", "staging"],
            "succeeded",
        )
        .await?;
        self.expect_env_runs("staging", &v2).await?;
        n.note("qa and staging run v2 with `analytics` on; their smoke checks passed");

        n.chapter("4 · Production: v2 as a canary — the leak the story missed for ten hours");
        n.note("25 % of prod's requests go to v2; the guards compare it with v1 every 2 s");
        let canary = self
            .deploy(
                "prod",
                &["promote", "--from", "staging", "--to", "prod"],
                "rolled_back",
            )
            .await?;
        let guard = canary["failed_guard"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if guard != "memory_growth" {
            return Err(step_error(
                "canary",
                format!(
                    "expected the memory guard to fail the canary, got `{guard}`: {}",
                    canary["message"]
                ),
            ));
        }
        let timing = self.canary_timing(&canary).await?;
        n.note(&format!(
            "guard `{guard}` failed {:.1}s after the promote began; v2 got 0 % of requests {:.2}s later",
            timing.detect.as_secs_f64(),
            timing.rollback.as_secs_f64()
        ));
        self.expect_env_runs("prod", &v1).await?;
        expect_clean("prod during the canary", prod_load.report())?;
        n.note("prod runs v1 only; no user request failed");

        n.chapter("5 · The kill switch: `analytics` off where v2 still runs (staging)");
        let before = self.staging_growth(Duration::from_secs(4)).await?;
        let step = n.step("daytwo flags set analytics false --env staging");
        self.cli
            .json(
                &[
                    "flags",
                    "set",
                    "analytics",
                    "false",
                    "--env",
                    "staging",
                    "--reason",
                    "leak found by the prod canary",
                ],
                SHORT,
            )
            .await?;
        step.done("no restart, no deploy");
        // The shop sees the flip within a second (SSE); then measure.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = self.staging_growth(Duration::from_secs(4)).await?;
        n.note(&format!(
            "staging web RSS growth: {} with analytics on, {} after the switch",
            rate(before),
            rate(after)
        ));
        if after > before / 4.0 || before <= 0.0 {
            return Err(step_error(
                "kill switch",
                format!(
                    "memory kept growing after the flag was turned off ({} before, {} after)",
                    rate(before),
                    rate(after)
                ),
            ));
        }

        n.chapter("6 · The morning after: notes, incident timeline, and which code logs this");
        let spec = self.cli.spec_arg();
        let notes = self
            .cli
            .ok(&["notes", "v2", "--since", "v1", "--spec", &spec], SHORT)
            .await?;
        n.note(&notes.stdout);
        for expected in [
            "**added** `analytics`",
            "`migrations/0002_analytics.sql` | expand",
            "Rollback to v1 stays possible.",
            "| RSS growth per replica |",
        ] {
            if !notes.stdout.contains(expected) {
                return Err(step_error(
                    "daytwo notes v2 --since v1",
                    format!("the notes lack `{expected}`"),
                ));
            }
        }
        let incidents = self
            .cli
            .json(&["incident", "list", "--env", "prod"], SHORT)
            .await?;
        let id = incidents
            .as_array()
            .and_then(|list| list.first())
            .and_then(|incident| incident["id"].as_i64())
            .ok_or_else(|| step_error("incident list", "the canary left no incident".into()))?;
        let timeline = self
            .cli
            .ok(&["incident", "show", &id.to_string()], SHORT)
            .await?;
        n.note(&timeline.stdout);
        let line = self.analytics_log_line().await?;
        n.note(&format!("a log line from staging: {line}"));
        let why = self
            .cli
            .ok(&["why", &line, "--release", "v2", "--spec", &spec], SHORT)
            .await?;
        n.note(&why.stdout);
        if !why
            .stdout
            .lines()
            .next()
            .unwrap_or_default()
            .contains("analytics.rs:")
        {
            return Err(step_error(
                "why",
                format!("expected src/analytics.rs first: {}", why.stdout),
            ));
        }

        let prod = prod_load.stop().await;
        let staging = staging_load.stop().await;
        Ok(Summary {
            requests: prod.total() + staging.total(),
            failed_requests: prod.failed() + staging.failed(),
            time_to_detect: timing.detect,
            time_to_rollback: timing.rollback,
            guard,
        })
    }

    async fn ok(&self, message: &str, args: &[&str]) -> Result<(), DemoError> {
        let step = self.narrator.step(message);
        self.cli.ok(args, SHORT).await?;
        step.done(&display(args));
        Ok(())
    }

    /// `daytwo build --version VERSION`; the release's digest.
    async fn build(&self, version: &str) -> Result<String, DemoError> {
        let step = self
            .narrator
            .step(format!("daytwo build --version {version}"));
        let spec = self.cli.spec_arg();
        let built = self
            .cli
            .json(&["build", "--version", version, "--spec", &spec], SHORT)
            .await?;
        let digest = built["digest"].as_str().unwrap_or_default().to_string();
        step.done(&format!(
            "{version} = {} (signed, imported)",
            short_digest(&digest)
        ));
        Ok(digest)
    }

    /// A deploy or promote whose record must end with `outcome`; the record.
    async fn deploy(&self, env: &str, args: &[&str], outcome: &str) -> Result<Value, DemoError> {
        let step = self.narrator.step(display(args));
        let (status, record) = self
            .cli
            .stream(args, DEPLOY, |line| {
                if line["type"] == "step_started" {
                    step.progress(line["message"].as_str().unwrap_or_default());
                }
            })
            .await?;
        let actual = record["outcome"].as_str().unwrap_or_default();
        let to = record["to"]["version"].as_str().unwrap_or_default();
        let expected_status = if outcome == "succeeded" { 0 } else { 1 };
        if actual != outcome || status != Some(expected_status) {
            step.failed(&format!("{actual} (exit {status:?})"));
            return Err(step_error(
                &display(args),
                format!(
                    "expected `{outcome}` in {env}, got `{actual}` (exit {status:?}): {}",
                    record["message"]
                ),
            ));
        }
        let strategy = record["strategy"].as_str().unwrap_or_default();
        step.done(&format!("{env} → {to}, {strategy}, {actual}"));
        Ok(record)
    }

    /// `env` serves `digest` (`daytwo status`): the release the proxy
    /// routes to; a warm predecessor may still run, unroutable.
    async fn expect_env_runs(&self, env: &str, digest: &str) -> Result<(), DemoError> {
        let status = self.cli.json(&["status"], SHORT).await?;
        let serving = status["envs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|entry| entry["name"] == env)
            .and_then(|entry| entry["release"]["digest"].as_str())
            .unwrap_or("nothing")
            .to_string();
        if serving != digest {
            return Err(step_error(
                "daytwo status",
                format!(
                    "expected {env} to serve {}, it serves {}",
                    short_digest(digest),
                    short_digest(&serving)
                ),
            ));
        }
        Ok(())
    }

    /// From the canary's start (the promote's `started_at`) to its guard's
    /// failure, and from there to the end of the rollback, from prod's
    /// event log.
    async fn canary_timing(&self, record: &Value) -> Result<CanaryTiming, DemoError> {
        let events = self
            .cli
            .json(&["events", "--env", "prod", "--limit", "200"], SHORT)
            .await?;
        let events = events.as_array().cloned().unwrap_or_default();
        let time_of = |kind: &str, last: bool| {
            let mut matching = events.iter().filter(|event| event["kind"] == kind);
            let event = if last {
                matching.next_back()
            } else {
                matching.next()
            };
            event
                .and_then(|event| event["time"].as_str().or(event["ts"].as_str()))
                .and_then(|time| time.parse::<jiff::Timestamp>().ok())
        };
        let started = record["started_at"]
            .as_str()
            .and_then(|time| time.parse::<jiff::Timestamp>().ok());
        let failed = time_of("canary.guard_failed", true);
        let rolled_back = time_of("canary.rolled_back", true);
        match (started, failed, rolled_back) {
            (Some(started), Some(failed), Some(rolled_back)) => Ok(CanaryTiming {
                detect: duration_between(started, failed),
                rollback: duration_between(failed, rolled_back),
            }),
            _ => Err(step_error(
                "daytwo events --env prod",
                "the canary's start, guard failure or rollback is missing from the event log"
                    .into(),
            )),
        }
    }

    /// Bytes per second the staging web replicas' RSS grew over `over`.
    async fn staging_growth(&self, over: Duration) -> Result<f64, DemoError> {
        let before = self.web_rss("staging").await?;
        tokio::time::sleep(over).await;
        let after = self.web_rss("staging").await?;
        Ok((after as f64 - before as f64) / over.as_secs_f64())
    }

    async fn web_rss(&self, env: &str) -> Result<u64, DemoError> {
        let replicas = self.cli.json(&["ps", "--env", env], SHORT).await?;
        Ok(replicas
            .as_array()
            .into_iter()
            .flatten()
            .filter(|replica| replica["process"] == "web")
            .filter_map(|replica| replica["rss_bytes"].as_u64())
            .sum())
    }

    /// A line the analytics feature logged in staging.
    async fn analytics_log_line(&self) -> Result<String, DemoError> {
        let output = self
            .cli
            .ok(
                &[
                    "logs",
                    "--env",
                    "staging",
                    "--process",
                    "web",
                    "-n",
                    "500",
                    "--json",
                ],
                SHORT,
            )
            .await?;
        output
            .stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|line| line["line"].as_str().map(str::to_string))
            .rfind(|line| line.contains(ANALYTICS_LOG_MARKER))
            .ok_or_else(|| {
                step_error(
                    "daytwo logs --env staging",
                    format!("no line with `{ANALYTICS_LOG_MARKER}` in staging's web logs"),
                )
            })
    }
}

struct CanaryTiming {
    detect: Duration,
    rollback: Duration,
}

fn start_load(port: u16, rate: u32) -> Result<Load, DemoError> {
    Load::start(LoadPlan {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        paths: PATHS.iter().map(|path| path.to_string()).collect(),
        rate,
        connections: 8,
        limit: Duration::from_secs(300),
    })
    .map_err(|detail| step_error("load generator", detail))
}

fn expect_clean(what: &str, report: LoadReport) -> Result<(), DemoError> {
    if report.ok == 0 || report.failed() > 0 {
        return Err(step_error(
            what,
            format!(
                "{} requests answered 2xx, {} non-2xx, {} without a response",
                report.ok, report.non_2xx, report.errors
            ),
        ));
    }
    Ok(())
}

/// `0001_catalogue: expand, 0002_analytics: expand`.
fn migration_classes(lint: &Value) -> String {
    let mut by_file: std::collections::BTreeMap<String, String> = Default::default();
    for finding in lint["findings"].as_array().into_iter().flatten() {
        let file = finding["file"].as_str().unwrap_or_default();
        let name = std::path::Path::new(file)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let class = finding["class"].as_str().unwrap_or_default().to_string();
        let entry = by_file.entry(name).or_insert_with(|| "expand".into());
        if class != "expand" {
            *entry = class;
        }
    }
    by_file
        .iter()
        .map(|(file, class)| format!("{file}: {class}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn duration_between(from: jiff::Timestamp, to: jiff::Timestamp) -> Duration {
    let millis = to.as_millisecond() - from.as_millisecond();
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

fn rate(bytes_per_second: f64) -> String {
    format!(
        "{:+.1} MiB/min",
        bytes_per_second * 60.0 / (1024.0 * 1024.0)
    )
}

pub(crate) fn short_digest(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", &hex[..hex.len().min(12)])
}

fn step_error(step: &str, detail: String) -> DemoError {
    DemoError::Step {
        step: step.to_string(),
        detail,
    }
}
