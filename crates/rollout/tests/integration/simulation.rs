//! Seeded simulation: hundreds of deploys with random sizes, timings,
//! strategies and injected faults, driven by the real driver against the
//! fake target on tokio's virtual clock. Each scenario checks the rollout's
//! invariants; a failing seed is printed and replays exactly.

use crate::fake_target::{FakeTarget, Fault};
use daytwo_rollout::{
    DeployEvent, DeployOutcome, DeployPlan, Phase, ProcessPlan, ReleaseRef, Routing, SmokeCheck,
    Strategy, TokioClock, run_deploy, run_warm_rollback,
};
use daytwo_types::ReplicaKey;
use std::time::Duration;

const SCENARIOS: u64 = 400;

fn old() -> ReleaseRef {
    ReleaseRef::new("1.0.0", "sha256:1")
}

fn new() -> ReleaseRef {
    ReleaseRef::new("2.0.0", "sha256:2")
}

#[derive(Debug)]
struct Scenario {
    seed: u64,
    strategy: Strategy,
    old_http: u32,
    old_workers: u32,
    new_http: u32,
    new_workers: u32,
    smoke: bool,
    warm: bool,
    fault: Fault,
}

impl Scenario {
    fn generate(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let old_http = rng.u32(0..=3);
        let fault = match rng.u32(0..7) {
            0 => Fault::None,
            1 => Fault::NeverHealthy,
            2 => Fault::CrashInPreflight,
            3 => Fault::SmokeFails,
            4 => Fault::CrashMidSwitch {
                call: rng.usize(1..=6),
            },
            5 => Fault::RoutesErrorOnce {
                call: rng.usize(1..=6),
            },
            _ => Fault::StartError {
                call: rng.usize(1..=2),
            },
        };
        Self {
            seed,
            strategy: if rng.bool() {
                Strategy::Rolling
            } else {
                Strategy::BlueGreen
            },
            old_http,
            old_workers: if old_http == 0 { 0 } else { rng.u32(0..=2) },
            new_http: rng.u32(1..=3),
            new_workers: rng.u32(0..=2),
            smoke: rng.bool(),
            warm: rng.bool(),
            fault,
        }
    }

    fn from(&self) -> Option<ReleaseRef> {
        (self.old_http > 0).then(old)
    }

    fn plan(&self) -> DeployPlan {
        let mut processes = vec![ProcessPlan {
            name: "web".into(),
            replicas: self.new_http,
            http: true,
        }];
        if self.new_workers > 0 {
            processes.push(ProcessPlan {
                name: "worker".into(),
                replicas: self.new_workers,
                http: false,
            });
        }
        DeployPlan {
            env: "prod".into(),
            from: self.from(),
            to: new(),
            strategy: self.strategy.clone(),
            processes,
            preflight_timeout: Duration::from_secs(2),
            smoke: self.smoke.then(|| SmokeCheck::new("./smoke.sh")),
            warm_window: if self.warm {
                Duration::from_secs(60)
            } else {
                Duration::ZERO
            },
            drain_timeout: Duration::from_secs(1),
            guards: daytwo_rollout::analysis::GuardConfig::default(),
        }
    }
}

fn old_replicas(scenario: &Scenario) -> (Vec<ReplicaKey>, Vec<ReplicaKey>) {
    if scenario.from().is_none() {
        return (Vec::new(), Vec::new());
    }
    (
        (1..=scenario.old_http)
            .map(|n| ReplicaKey::new("prod", "web", n))
            .collect(),
        (1..=scenario.old_workers)
            .map(|n| ReplicaKey::new("prod", "worker", n))
            .collect(),
    )
}

/// Runs one scenario on a fresh paused runtime; returns the outcome's name,
/// or what went wrong.
fn run(scenario: &Scenario) -> Result<&'static str, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let target = FakeTarget::new(
        scenario.seed,
        scenario.fault,
        scenario.from().as_ref(),
        &new(),
        scenario.old_http,
        scenario.old_workers,
    );
    let mut events = Vec::new();
    let outcome = runtime.block_on(run_deploy(scenario.plan(), &target, &TokioClock, |event| {
        events.push(event)
    }));
    let record = target.record();
    let (old_http, old_workers) = old_replicas(scenario);
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("{what}; outcome {outcome:?}; record {record:?}"))
        }
    };

    check(record.violations.is_empty(), "invariant violated")?;
    check(
        matches!(
            events.first(),
            Some(DeployEvent::PhaseStarted {
                phase: Phase::Starting
            })
        ),
        "progress starts with the start phase",
    )?;

    let expect_success = match scenario.fault {
        Fault::None => true,
        Fault::SmokeFails => !scenario.smoke,
        Fault::NeverHealthy | Fault::CrashInPreflight => false,
        // One start call per process.
        Fault::StartError { call } => call > 1 + usize::from(scenario.new_workers > 0),
        Fault::CrashMidSwitch { .. } => !record.crash_injected || record.crash_injected_at_final,
        Fault::RoutesErrorOnce { .. } => !record.route_error_injected,
    };
    match &outcome {
        DeployOutcome::Succeeded { warm } => {
            check(expect_success, "succeeded although a fault should fail it")?;
            let candidates_http: Vec<ReplicaKey> = record
                .candidates
                .iter()
                .filter(|key| key.process == "web")
                .cloned()
                .collect();
            check(
                record.routing == Routing::only(new(), candidates_http),
                "after success only the new release is routable",
            )?;
            check(
                old_workers.iter().all(|key| target.is_stopped(key)),
                "old workers stopped",
            )?;
            check(
                record.candidates.iter().all(|key| !target.is_stopped(key)),
                "candidates keep running",
            )?;
            if scenario.warm && !old_http.is_empty() {
                check(
                    warm.as_ref().is_some_and(|w| w.replicas == old_http)
                        && old_http.iter().all(|key| !target.is_stopped(key)),
                    "old HTTP replicas stay warm",
                )?;
            } else {
                check(
                    warm.is_none() && old_http.iter().all(|key| target.is_stopped(key)),
                    "without a warm window the old replicas stop",
                )?;
            }
        }
        DeployOutcome::Failed(failure) => {
            check(!expect_success, "failed without a fault")?;
            check(
                record.route_calls == 0 && record.routing == target.before,
                "a failed preflight never touches routing",
            )?;
            check(
                record.candidates.iter().all(|key| target.is_stopped(key)),
                "a failed deploy stops its candidates",
            )?;
            check(
                record
                    .stopped
                    .iter()
                    .all(|key| record.candidates.contains(key)),
                "a failed deploy stops nothing of the old release",
            )?;
            if let Some(replica) = &failure.replica {
                check(
                    failure
                        .logs
                        .first()
                        .is_some_and(|line| line.starts_with(&replica.to_string())),
                    "the failure carries the failing replica's logs",
                )?;
            }
        }
        DeployOutcome::RolledBack(_) => {
            check(!expect_success, "rolled back without a fault")?;
            check(
                record.routing == target.before,
                "after a rollback routing equals the before-state",
            )?;
            check(
                record.candidates.iter().all(|key| target.is_stopped(key)),
                "a rolled-back deploy stops its candidates",
            )?;
            check(
                record
                    .stopped
                    .iter()
                    .all(|key| record.candidates.contains(key)),
                "a rollback stops nothing of the old release",
            )?;
        }
        DeployOutcome::Unresolved { .. } => check(false, "unresolved with a single fault")?,
    }
    Ok(outcome.as_str())
}

#[test]
fn seeded_deploys_keep_serving_and_end_on_exactly_one_release() {
    let mut faults = std::collections::BTreeSet::new();
    let mut outcomes = std::collections::BTreeMap::new();
    for seed in 0..SCENARIOS {
        let scenario = Scenario::generate(seed);
        match run(&scenario) {
            Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
            Err(problem) => panic!("seed {seed}: {scenario:?}: {problem}"),
        }
        let fault = format!("{:?}", scenario.fault);
        faults.insert(fault.split(' ').next().unwrap_or_default().to_owned());
    }
    // Every kind of fault and every outcome but `unresolved` was exercised.
    assert_eq!(faults.len(), 7, "{faults:?}");
    assert_eq!(
        outcomes.keys().copied().collect::<Vec<_>>(),
        ["failed", "rolled_back", "succeeded"],
        "{outcomes:?}"
    );
}

#[test]
fn the_same_seed_replays_the_same_deploy() {
    let scenario = Scenario::generate(42);
    let first = run(&scenario);
    let second = run(&scenario);
    assert_eq!(first, second);
}

#[test]
fn warm_rollback_after_a_deploy_switches_back_without_starting_web_replicas() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let scenario = Scenario {
        seed: 7,
        strategy: Strategy::Rolling,
        old_http: 2,
        old_workers: 0,
        new_http: 2,
        new_workers: 0,
        smoke: false,
        warm: true,
        fault: Fault::None,
    };
    let target = FakeTarget::new(7, Fault::None, Some(&old()), &new(), 2, 0);
    runtime.block_on(async {
        let outcome = run_deploy(scenario.plan(), &target, &TokioClock, |_| {}).await;
        let DeployOutcome::Succeeded { warm: Some(warm) } = outcome else {
            panic!("{outcome:?}")
        };
        let mut back = scenario.plan();
        back.from = Some(new());
        let mut phases = Vec::new();
        let outcome = run_warm_rollback(back, &warm, &target, &TokioClock, |event| {
            if let DeployEvent::PhaseStarted { phase } = event {
                phases.push(phase);
            }
        })
        .await;
        assert_eq!(outcome, DeployOutcome::Succeeded { warm: None });
        // No start, no smoke: health of the warm replicas, then the switch.
        assert_eq!(phases, [Phase::Preflight, Phase::Switch, Phase::Retire]);
    });
    let record = target.record();
    assert!(record.violations.is_empty(), "{:?}", record.violations);
    let (old_http, _) = old_replicas(&scenario);
    assert_eq!(record.routing, Routing::only(old(), old_http.clone()));
    assert!(record.candidates.iter().all(|key| target.is_stopped(key)));
    assert!(old_http.iter().all(|key| !target.is_stopped(key)));
}
