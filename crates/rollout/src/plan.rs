//! What a deploy is asked to do: the [`DeployPlan`]. Built from the target
//! release's effective [`EnvSpec`] with [`DeployPlan::new`], which takes the
//! strategy, the canary's steps and guards from the spec's `[rollout]`
//! unless the caller names a strategy (`--strategy`); every field is public
//! so the daemon can apply the env's warm window or a smoke check.
//! Serializable, so the daemon can persist the plan of a running deploy and
//! reconcile it after a crash.

use crate::analysis::GuardConfig;
use crate::release::ReleaseRef;
use daytwo_spec::{EnvSpec, RolloutSpec, RolloutStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How long the previous release's HTTP replicas stay running (unroutable)
/// after a successful deploy, so that a rollback is a proxy switch.
pub const DEFAULT_WARM_WINDOW: Duration = Duration::from_secs(300);
/// How long a smoke check may run before it counts as failed.
pub const DEFAULT_SMOKE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often preflight asks the target for the candidates' health.
pub const HEALTH_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Log lines of the failing replica attached to a failed deploy.
pub const FAILURE_LOG_LINES: usize = 50;
/// How long each canary step is held (and analysed) by default.
pub const DEFAULT_STEP_DURATION: Duration = Duration::from_secs(20);
/// The candidate's share of requests at each canary step by default.
pub const DEFAULT_CANARY_WEIGHTS: [u32; 3] = [10, 50, 100];

/// How traffic moves from the old release to the new one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Replica by replica: one candidate becomes routable, then one old
    /// replica leaves routing and drains; repeat.
    #[default]
    Rolling,
    /// All at once: one routing change moves every request to the candidates.
    BlueGreen,
    /// Step by step: the candidates get a growing share of requests while
    /// the stable replicas serve the rest; each step below 100 % is held
    /// and analysed (`plan.guards`); a failing analysis rolls back.
    Canary { steps: Vec<CanaryStep> },
}

/// One canary step: the candidate's share of requests, held this long.
/// A step of 100 % is the promotion (not held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CanaryStep {
    pub weight_percent: u32,
    pub duration: Duration,
}

impl CanaryStep {
    pub fn new(weight_percent: u32, duration: Duration) -> Self {
        Self {
            weight_percent,
            duration,
        }
    }
}

impl Strategy {
    /// A canary with these weights, each step held `duration`.
    pub fn canary(weights: impl IntoIterator<Item = u32>, duration: Duration) -> Self {
        Self::Canary {
            steps: weights
                .into_iter()
                .map(|weight| CanaryStep::new(weight, duration))
                .collect(),
        }
    }

    /// The strategy `name` with its parameters from the spec's `[rollout]`:
    /// a canary takes the spec's `steps` and `step_duration` (their defaults
    /// when the spec does not write them), whatever the spec's `strategy`.
    pub fn named(name: RolloutStrategy, rollout: &RolloutSpec) -> Self {
        match name {
            RolloutStrategy::Rolling => Self::Rolling,
            RolloutStrategy::BlueGreen => Self::BlueGreen,
            RolloutStrategy::Canary => {
                Self::canary(rollout.steps.iter().copied(), rollout.step_duration)
            }
        }
    }

    /// The strategy the spec's `[rollout]` declares (rolling by default).
    pub fn from_spec(rollout: &RolloutSpec) -> Self {
        Self::named(rollout.strategy, rollout)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::BlueGreen => "blue-green",
            Self::Canary { .. } => "canary",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rolling" => Ok(Self::Rolling),
            "blue-green" => Ok(Self::BlueGreen),
            // The spec's `[rollout]` gives the steps; the name alone means
            // the default steps.
            "canary" => Ok(Self::canary(DEFAULT_CANARY_WEIGHTS, DEFAULT_STEP_DURATION)),
            other => Err(format!(
                "unknown strategy `{other}` (expected `rolling`, `blue-green` or `canary`)"
            )),
        }
    }
}

/// One process of the release being deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessPlan {
    pub name: String,
    pub replicas: u32,
    /// Serves HTTP: its replicas are routed by the proxy. Other processes
    /// (workers) are started in preflight and replace the old ones at the end.
    pub http: bool,
}

/// The team's end-to-end check, run against one healthy candidate before
/// any request reaches it (`[checks] smoke`). The target runs `command` with
/// the replica's address and counts exit 0 within `timeout` as a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeCheck {
    pub command: String,
    pub timeout: Duration,
}

impl SmokeCheck {
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            timeout: DEFAULT_SMOKE_TIMEOUT,
        }
    }
}

/// Everything one deploy of `to` into `env` needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployPlan {
    pub env: String,
    /// The release serving now; `None` for the env's first deploy.
    pub from: Option<ReleaseRef>,
    pub to: ReleaseRef,
    pub strategy: Strategy,
    /// The processes of `to`, with their replica counts in `env`.
    pub processes: Vec<ProcessPlan>,
    /// How long the candidates may take to become healthy.
    pub preflight_timeout: Duration,
    pub smoke: Option<SmokeCheck>,
    /// How long the old HTTP replicas stay warm after success; zero stops
    /// them at once.
    pub warm_window: Duration,
    /// How long an old replica may take to finish its in-flight requests
    /// once unroutable.
    pub drain_timeout: Duration,
    /// The canary's guards (used by `Strategy::Canary` only).
    #[serde(default)]
    pub guards: GuardConfig,
}

impl DeployPlan {
    /// A plan from the effective spec of `to` in its env: every process with
    /// its replica count; the strategy named by `strategy` (`--strategy`),
    /// else the spec's `[rollout] strategy`, with the canary's steps from
    /// `[rollout]` either way (see [`Strategy::named`]); the guards of
    /// `[rollout.guards]`; the preflight timeout is the longest health
    /// `start_period` of a process (the spec's default when none says); the
    /// drain timeout is the HTTP process's `stop_timeout`; no smoke check;
    /// the default warm window.
    pub fn new(
        spec: &EnvSpec,
        from: Option<ReleaseRef>,
        to: ReleaseRef,
        strategy: Option<RolloutStrategy>,
    ) -> Self {
        let processes = spec
            .processes
            .values()
            .map(|process| ProcessPlan {
                name: process.name.clone(),
                replicas: process.replicas,
                http: process.http,
            })
            .collect();
        let preflight_timeout = spec
            .processes
            .values()
            .map(|process| {
                process
                    .health
                    .as_ref()
                    .map_or(daytwo_spec::DEFAULT_START_PERIOD, |health| {
                        health.start_period
                    })
            })
            .max()
            .unwrap_or(daytwo_spec::DEFAULT_START_PERIOD);
        let drain_timeout = spec
            .http_process()
            .map_or(daytwo_spec::DEFAULT_STOP_TIMEOUT, |process| {
                process.stop_timeout
            });
        Self {
            env: spec.env.clone(),
            from,
            to,
            strategy: Strategy::named(strategy.unwrap_or(spec.rollout.strategy), &spec.rollout),
            processes,
            preflight_timeout,
            smoke: None,
            warm_window: DEFAULT_WARM_WINDOW,
            drain_timeout,
            guards: GuardConfig::from_spec(&spec.rollout.guards),
        }
    }

    /// Whether `process` serves HTTP in this plan.
    pub fn is_http(&self, process: &str) -> bool {
        self.processes
            .iter()
            .any(|plan| plan.name == process && plan.http)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_parses_the_cli_names() {
        for strategy in [Strategy::Rolling, Strategy::BlueGreen] {
            assert_eq!(strategy.as_str().parse::<Strategy>(), Ok(strategy.clone()));
            assert_eq!(
                serde_json::to_string(&strategy).unwrap(),
                format!("\"{strategy}\"")
            );
        }
        assert_eq!(
            "canary".parse::<Strategy>(),
            Ok(Strategy::canary([10, 50, 100], DEFAULT_STEP_DURATION))
        );
        assert!("yolo".parse::<Strategy>().is_err());
    }

    #[test]
    fn plan_takes_replicas_start_period_and_stop_timeout_from_the_spec() {
        let toml = r#"
            [app]
            name = "shop"

            [process.web]
            command = "./web"
            http = true
            replicas = 3
            stop_timeout = "7s"
            health = { path = "/healthz", start_period = "12s" }

            [process.worker]
            command = "./worker"
        "#;
        let loaded =
            daytwo_spec::parse_str(toml, std::path::Path::new("/app/daytwo.toml"), &|_| None)
                .expect("valid spec");
        let plan = DeployPlan::new(
            &loaded.spec.base,
            None,
            ReleaseRef::new("2", "sha256:2"),
            Some(RolloutStrategy::BlueGreen),
        );
        assert_eq!(plan.strategy, Strategy::BlueGreen);
        assert_eq!(
            plan.processes,
            vec![
                ProcessPlan {
                    name: "web".into(),
                    replicas: 3,
                    http: true
                },
                ProcessPlan {
                    name: "worker".into(),
                    replicas: 1,
                    http: false
                },
            ]
        );
        // worker has no health check: the spec's default start period counts.
        assert_eq!(
            plan.preflight_timeout,
            daytwo_spec::DEFAULT_START_PERIOD.max(Duration::from_secs(12))
        );
        assert_eq!(plan.drain_timeout, Duration::from_secs(7));
        assert!(plan.is_http("web") && !plan.is_http("worker"));
    }

    fn env(toml: &str, env: &str) -> EnvSpec {
        let text = format!(
            "[app]\nname = \"shop\"\n[process.web]\ncommand = \"./web\"\nhttp = true\n{toml}"
        );
        daytwo_spec::parse_str(&text, std::path::Path::new("/app/daytwo.toml"), &|_| None)
            .expect("valid spec")
            .spec
            .env(env)
            .unwrap()
    }

    fn plan(spec: &EnvSpec, strategy: Option<RolloutStrategy>) -> DeployPlan {
        DeployPlan::new(spec, None, ReleaseRef::new("2", "sha256:2"), strategy)
    }

    #[test]
    fn without_rollout_or_strategy_a_deploy_is_rolling_with_the_default_guards() {
        let spec = env("", "dev");
        let plan = plan(&spec, None);
        assert_eq!(plan.strategy, Strategy::Rolling);
        assert_eq!(plan.guards, GuardConfig::default());
        assert_eq!(
            DeployPlan::new(
                &spec,
                None,
                ReleaseRef::new("2", "sha256:2"),
                Some(RolloutStrategy::Canary)
            )
            .strategy,
            Strategy::canary(DEFAULT_CANARY_WEIGHTS, DEFAULT_STEP_DURATION),
            "`--strategy canary` without [rollout] uses the default steps"
        );
    }

    #[test]
    fn the_spec_strategy_steps_and_guards_apply_unless_the_caller_names_a_strategy() {
        let toml = r#"
[rollout]
strategy = "canary"
steps = [5, 30, 100]
step_duration = "3s"
[rollout.guards]
alpha = 0.01
cpu_per_request = true

[env.prod.rollout]
steps = [25, 100]

[env.qa.rollout]
strategy = "blue-green"
step_duration = "7s"
"#;
        let dev = env(toml, "dev");
        let canary = plan(&dev, None);
        assert_eq!(
            canary.strategy,
            Strategy::canary([5, 30, 100], Duration::from_secs(3))
        );
        assert_eq!(canary.guards.alpha, 0.01);
        assert!(canary.guards.cpu_per_request.is_some());
        assert_eq!(
            plan(&dev, Some(RolloutStrategy::Rolling)).strategy,
            Strategy::Rolling
        );

        let prod = env(toml, "prod");
        assert_eq!(
            plan(&prod, None).strategy,
            Strategy::canary([25, 100], Duration::from_secs(3)),
            "the env's steps, the base's step duration"
        );

        // qa deploys blue-green; `--strategy canary` there uses qa's steps.
        let qa = env(toml, "qa");
        assert_eq!(plan(&qa, None).strategy, Strategy::BlueGreen);
        assert_eq!(
            plan(&qa, Some(RolloutStrategy::Canary)).strategy,
            Strategy::canary([5, 30, 100], Duration::from_secs(7))
        );
    }
}
