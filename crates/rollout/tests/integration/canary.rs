//! Seeded canary simulations: the sans-io [`Deploy`] machine driven on a
//! virtual clock, its analysis looks answered from the synthetic workload
//! of [`crate::workload`] through the real guards. Checks the canary's
//! invariants (a failing candidate never reaches 100 %, a rollback restores
//! the routing of before, too little data never passes), the false-rollback
//! rate of A/A canaries and the detection rate of injected regressions.

use crate::workload::{self, MIB, Profile};
use daytwo_rollout::analysis::GuardConfig;
use daytwo_rollout::{
    Action, CurrentReplicas, Deploy, DeployOutcome, DeployPlan, FailureReason, Input, ProcessPlan,
    ReleaseRef, ReplicaHealth, Routing, Step, Strategy,
};
use daytwo_types::ReplicaKey;
use std::time::{Duration, Instant};

const STEP: Duration = Duration::from_secs(20);

fn old() -> ReleaseRef {
    ReleaseRef::new("1.0.0", "sha256:1")
}

fn new() -> ReleaseRef {
    ReleaseRef::new("2.0.0", "sha256:2")
}

fn plan(replicas: u32, step: Duration) -> DeployPlan {
    DeployPlan {
        env: "prod".into(),
        from: Some(old()),
        to: new(),
        strategy: Strategy::canary([10, 50, 100], step),
        processes: vec![ProcessPlan {
            name: "web".into(),
            replicas,
            http: true,
        }],
        preflight_timeout: Duration::from_secs(5),
        smoke: None,
        warm_window: Duration::ZERO,
        drain_timeout: Duration::from_secs(1),
        guards: GuardConfig::default(),
    }
}

/// What one simulated canary did.
#[derive(Debug)]
struct Run {
    outcome: DeployOutcome,
    before: Routing,
    routings: Vec<Routing>,
    /// Time from the first canary routing change to the failing verdict.
    detected_after: Option<Duration>,
    /// Seconds of samples in the window of the failing look.
    failing_window: Option<Duration>,
    looks: u32,
}

impl Run {
    fn max_candidate_weight(&self) -> u32 {
        self.routings
            .iter()
            .map(|routing| {
                let candidate = routing.candidate.as_ref().map_or(0, |g| g.weight_percent);
                let promoted = routing
                    .stable
                    .as_ref()
                    .is_some_and(|g| g.release == new() && g.weight_percent == 100);
                if promoted { 100 } else { candidate }
            })
            .max()
            .unwrap_or(0)
    }
}

fn simulate(seed: u64, profile: Profile) -> Run {
    simulate_steps(seed, profile, STEP)
}

fn simulate_steps(seed: u64, profile: Profile, step_duration: Duration) -> Run {
    let mut rng = fastrand::Rng::with_seed(seed);
    let stable: Vec<ReplicaKey> = (1..=2).map(|n| ReplicaKey::new("prod", "web", n)).collect();
    let current = CurrentReplicas {
        http: stable.clone(),
        other: Vec::new(),
    };
    let mut now = Instant::now();
    let (mut deploy, mut step) = Deploy::new(plan(2, step_duration), current, now);
    let before = deploy.before().clone();
    let mut routings = Vec::new();
    let mut first_canary_change = None;
    let mut detected_after = None;
    let mut failing_window = None;
    let mut looks = 0;
    loop {
        let action = match step {
            Step::Act(action) => action,
            Step::Finished(outcome) => {
                return Run {
                    outcome,
                    before,
                    routings,
                    detected_after,
                    failing_window,
                    looks,
                };
            }
        };
        let input = match action {
            Action::StartCandidates { count, .. } => Input::Started {
                replicas: (0..count)
                    .map(|n| ReplicaKey::new("prod", "web", 3 + n))
                    .collect(),
            },
            Action::CheckHealth { replicas } => Input::Health(
                replicas
                    .into_iter()
                    .map(|key| (key, ReplicaHealth::healthy()))
                    .collect(),
            ),
            Action::Wait { until } => {
                now = now.max(until);
                Input::Tick
            }
            Action::SetRoutes(routing) => {
                first_canary_change.get_or_insert(now);
                routings.push(routing);
                Input::RoutesApplied
            }
            Action::Drain { .. } => Input::Drained { complete: true },
            Action::StopCandidates { .. } | Action::StopOld { .. } => Input::Stopped,
            Action::CollectLogs { .. } => Input::Logs(Vec::new()),
            Action::RunSmoke { .. } => unreachable!("no smoke check planned"),
            Action::Analyze(request) => {
                looks += 1;
                let window = request.samples.to - request.samples.from;
                let samples = workload::window(
                    &profile,
                    request.samples.weight_percent,
                    &request.samples.stable_replicas,
                    &request.samples.candidate_replicas,
                    window.as_secs(),
                    &mut rng,
                );
                let verdict = request.guards.evaluate(&samples, request.budget);
                if verdict.failing().is_some() && detected_after.is_none() {
                    detected_after = first_canary_change.map(|start| now - start);
                    failing_window = Some(window);
                }
                Input::Verdict(verdict)
            }
        };
        step = deploy.step(input, now);
    }
}

/// The invariants every canary keeps, whatever its candidate does.
fn check_invariants(seed: u64, run: &Run) {
    match &run.outcome {
        DeployOutcome::Succeeded { .. } => {
            assert!(
                run.detected_after.is_none(),
                "seed {seed}: promoted after a fail"
            );
        }
        DeployOutcome::RolledBack(_) => {
            assert!(
                run.max_candidate_weight() < 100,
                "seed {seed}: a failing candidate reached 100 %: {:?}",
                run.routings
            );
            assert_eq!(
                run.routings.last(),
                Some(&run.before),
                "seed {seed}: after a rollback the routing equals the before-state"
            );
        }
        other => panic!("seed {seed}: unexpected outcome {other:?}"),
    }
}

fn guard_of(outcome: &DeployOutcome) -> Option<&str> {
    outcome.failed_guard()
}

#[test]
fn a_healthy_candidate_goes_through_every_step_and_is_promoted() {
    let run = simulate(1, Profile::healthy());
    check_invariants(1, &run);
    assert!(run.outcome.is_success(), "{:?}", run.outcome);
    let weights: Vec<u32> = run
        .routings
        .iter()
        .filter_map(|r| r.candidate.as_ref().map(|g| g.weight_percent))
        .collect();
    assert_eq!(weights, [10, 50]);
    assert_eq!(
        run.routings.last(),
        Some(&Routing::only(
            new(),
            [3, 4].map(|n| ReplicaKey::new("prod", "web", n))
        ))
    );
}

#[test]
fn a_leak_of_one_mib_per_second_is_rolled_back_within_sixty_seconds_of_samples() {
    for seed in 0..50 {
        let profile = Profile {
            candidate_leak: MIB,
            ..Profile::healthy()
        };
        let run = simulate(seed, profile);
        check_invariants(seed, &run);
        assert_eq!(
            guard_of(&run.outcome),
            Some("memory_growth"),
            "seed {seed}: {:?}",
            run.outcome
        );
        assert!(
            run.failing_window.unwrap() <= Duration::from_secs(60),
            "{run:?}"
        );
        assert_eq!(run.max_candidate_weight(), 10, "caught in the first step");
    }
}

#[test]
fn a_candidate_with_too_little_traffic_is_held_then_fails_closed_never_passed() {
    let profile = Profile {
        rps: 4.0,
        ..Profile::healthy()
    };
    let run = simulate(3, profile);
    check_invariants(3, &run);
    let DeployOutcome::RolledBack(failure) = &run.outcome else {
        panic!("{:?}", run.outcome)
    };
    let FailureReason::AnalysisInconclusive {
        weight_percent,
        extensions,
        pending,
        ..
    } = &failure.reason
    else {
        panic!("{failure:?}")
    };
    assert_eq!((*weight_percent, *extensions), (10, 2));
    assert!(pending.contains("too few requests"), "{pending}");
    assert_eq!(run.max_candidate_weight(), 10);
    // Held for the step and both extensions: 3 × 20 s at one look per 5 s.
    assert_eq!(run.looks, 12);
}

#[test]
fn a_crashing_candidate_fails_the_restarts_guard_at_the_first_look() {
    let profile = Profile {
        candidate_restarts: 1,
        ..Profile::healthy()
    };
    let run = simulate(4, profile);
    check_invariants(4, &run);
    assert_eq!(guard_of(&run.outcome), Some("restarts"));
    assert_eq!(run.looks, 1);
}

/// Rollbacks out of `runs` canaries of `profile`, and the detection times.
fn campaign(runs: u64, profile: Profile, step: Duration) -> (u64, Vec<Duration>) {
    let mut rolled_back = 0;
    let mut detect = Vec::new();
    for seed in 0..runs {
        let run = simulate_steps(seed, profile, step);
        check_invariants(seed, &run);
        if !run.outcome.is_success() {
            rolled_back += 1;
            detect.extend(run.detected_after);
        }
    }
    detect.sort();
    (rolled_back, detect)
}

#[test]
fn a_thousand_a_a_canaries_roll_back_no_more_often_than_alpha() {
    let runs = 1_000;
    let (rolled_back, _) = campaign(runs, Profile::healthy(), STEP);
    let alpha = GuardConfig::default().alpha;
    // α = 5 %: 50 expected at most; a binomial margin of three sd.
    let limit = (alpha * runs as f64 + 3.0 * (alpha * (1.0 - alpha) * runs as f64).sqrt()) as u64;
    println!("A/A: {rolled_back} false rollbacks of {runs} (limit {limit})");
    assert!(
        rolled_back <= limit,
        "{rolled_back} false rollbacks of {runs}"
    );
}

#[test]
fn injected_regressions_are_caught_in_at_least_95_percent_of_runs() {
    let runs = 200;
    // A slow leak needs a longer step than errors or latency do: its slope
    // must stand out of the RSS noise (here ±128 KiB per sample).
    let regressions = [
        (
            "+5 points of 5xx",
            STEP,
            Profile {
                candidate_error_rate: 0.06,
                ..Profile::healthy()
            },
        ),
        (
            "+50 ms p99",
            STEP,
            Profile {
                candidate_extra_p99_ms: 50.0,
                ..Profile::healthy()
            },
        ),
        (
            "a leak of 1 MB/min per replica",
            Duration::from_secs(60),
            Profile {
                candidate_leak: 1_000_000.0 / 60.0,
                rss_noise: 128.0 * 1024.0,
                ..Profile::healthy()
            },
        ),
    ];
    for (name, step, profile) in regressions {
        let (caught, detect) = campaign(runs, profile, step);
        let median = detect.get(detect.len() / 2).copied().unwrap_or_default();
        let worst = detect.last().copied().unwrap_or_default();
        println!("{name}: caught {caught}/{runs}, time to detect median {median:?}, max {worst:?}");
        assert!(
            caught * 100 >= runs * 95,
            "{name}: caught only {caught}/{runs}"
        );
    }
}
