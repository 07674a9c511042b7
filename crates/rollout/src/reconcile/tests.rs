use super::*;
use crate::plan::{ProcessPlan, Strategy as DeployStrategy};
use proptest::prelude::*;
use std::collections::BTreeSet;

fn old() -> ReleaseRef {
    ReleaseRef::new("1", "sha256:1")
}

fn new() -> ReleaseRef {
    ReleaseRef::new("2", "sha256:2")
}

fn plan(from: Option<ReleaseRef>, web: u32, workers: u32) -> DeployPlan {
    DeployPlan {
        env: "prod".into(),
        from,
        to: new(),
        strategy: DeployStrategy::Rolling,
        processes: vec![
            ProcessPlan {
                name: "web".into(),
                replicas: web,
                http: true,
            },
            ProcessPlan {
                name: "worker".into(),
                replicas: workers,
                http: false,
            },
        ],
        preflight_timeout: Duration::from_secs(5),
        smoke: None,
        warm_window: Duration::from_secs(60),
        drain_timeout: Duration::from_secs(5),
        guards: crate::analysis::GuardConfig::default(),
    }
}

fn replica(
    n: u32,
    release: ReleaseRef,
    http: bool,
    state: ReplicaState,
    receiving: bool,
) -> ObservedReplica {
    ObservedReplica {
        key: ReplicaKey::new("prod", if http { "web" } else { "worker" }, n),
        release,
        http,
        health: ReplicaHealth::new(state, 0),
        receiving,
    }
}

/// What the env looks like once the decision is carried out.
fn apply(observed: &ObservedEnv, decision: &ReconcileDecision) -> ObservedEnv {
    let receiving = decision.routing.receiving();
    ObservedEnv {
        replicas: observed
            .replicas
            .iter()
            .filter(|r| !decision.stop.contains(&r.key))
            .map(|r| ObservedReplica {
                receiving: receiving.contains(&r.key),
                ..r.clone()
            })
            .collect(),
    }
}

#[test]
fn finishes_on_new_when_switched_and_all_candidates_are_healthy() {
    let observed = ObservedEnv {
        replicas: vec![
            replica(1, old(), true, ReplicaState::Healthy, false),
            replica(2, new(), true, ReplicaState::Healthy, true),
            replica(1, new(), false, ReplicaState::Healthy, false),
        ],
    };
    let decision = reconcile(&plan(Some(old()), 1, 1), &observed);
    assert_eq!(decision.verdict, Verdict::FinishOnNew);
    assert_eq!(decision.stop, vec![ReplicaKey::new("prod", "web", 1)]);
    assert_eq!(
        decision.routing,
        Routing::only(new(), [ReplicaKey::new("prod", "web", 2)])
    );
    assert!(matches!(
        decision
            .actions(&observed, Duration::from_secs(1))
            .as_slice(),
        [
            Action::SetRoutes(_),
            Action::Drain { .. },
            Action::StopOld { .. }
        ]
    ));
}

#[test]
fn goes_back_to_old_when_the_switch_never_began_even_if_candidates_are_healthy() {
    let observed = ObservedEnv {
        replicas: vec![
            replica(1, old(), true, ReplicaState::Healthy, true),
            replica(2, new(), true, ReplicaState::Healthy, false),
        ],
    };
    let decision = reconcile(&plan(Some(old()), 1, 0), &observed);
    assert_eq!(decision.verdict, Verdict::BackToOld);
    assert_eq!(decision.stop, vec![ReplicaKey::new("prod", "web", 2)]);
}

#[test]
fn goes_back_to_old_when_a_candidate_is_missing_mid_switch() {
    let observed = ObservedEnv {
        replicas: vec![
            replica(1, old(), true, ReplicaState::Healthy, true),
            replica(3, new(), true, ReplicaState::Healthy, true),
            replica(4, new(), true, ReplicaState::Starting, false),
        ],
    };
    let decision = reconcile(&plan(Some(old()), 2, 0), &observed);
    assert_eq!(decision.verdict, Verdict::BackToOld);
    assert_eq!(decision.release, Some(old()));
}

fn any_state() -> impl Strategy<Value = ReplicaState> {
    proptest::sample::select(ReplicaState::ALL.to_vec())
}

fn any_release() -> impl Strategy<Value = ReleaseRef> {
    prop_oneof![
        Just(old()),
        Just(new()),
        Just(ReleaseRef::new("0", "sha256:0"))
    ]
}

fn any_env() -> impl Strategy<Value = ObservedEnv> {
    proptest::collection::vec(
        (
            any_release(),
            any::<bool>(),
            any_state(),
            any::<bool>(),
            0u32..3,
        ),
        0..10,
    )
    .prop_map(|specs| ObservedEnv {
        replicas: specs
            .into_iter()
            .enumerate()
            .map(
                |(n, (release, http, state, receiving, restarts))| ObservedReplica {
                    key: ReplicaKey::new("prod", if http { "web" } else { "worker" }, n as u32 + 1),
                    release,
                    http,
                    health: ReplicaHealth::new(state, restarts),
                    receiving,
                },
            )
            .collect(),
    })
}

proptest! {
    #[test]
    fn any_observed_state_ends_fully_on_one_release(
        observed in any_env(),
        first_deploy in any::<bool>(),
        web in 1u32..3,
        workers in 0u32..2,
    ) {
        let from = (!first_deploy).then(old);
        let plan = plan(from.clone(), web, workers);
        let decision = reconcile(&plan, &observed);

        // The env ends on the new release or on the old one, never a third.
        let expected = match decision.verdict {
            Verdict::FinishOnNew => Some(new()),
            Verdict::BackToOld => from.clone(),
        };
        prop_assert_eq!(&decision.release, &expected);

        // Only that release's replicas remain, and only they are routed, at 100 %.
        let after = apply(&observed, &decision);
        for replica in &after.replicas {
            prop_assert_eq!(Some(&replica.release), decision.release.as_ref());
        }
        prop_assert!(decision.routing.candidate.is_none());
        match &decision.release {
            Some(release) => {
                let stable = decision.routing.stable.as_ref().unwrap();
                prop_assert_eq!(&stable.release, release);
                prop_assert_eq!(stable.weight_percent, 100);
                let routed: BTreeSet<ReplicaKey> = after
                    .replicas
                    .iter()
                    .filter(|r| r.http)
                    .map(|r| r.key.clone())
                    .collect();
                prop_assert_eq!(&stable.routable, &routed);
            }
            None => prop_assert_eq!(&decision.routing, &Routing::empty()),
        }

        // Finish on new only when the switch had begun and the new release is complete.
        let switch_began = observed.of(&new()).any(|r| r.receiving);
        if decision.verdict == Verdict::FinishOnNew {
            prop_assert!(switch_began);
            for process in &plan.processes {
                let healthy = observed
                    .of(&new())
                    .filter(|r| r.key.process == process.name && r.health.state == ReplicaState::Healthy)
                    .count();
                prop_assert!(healthy >= process.replicas as usize);
            }
        }

        // Reconciling the result again changes nothing (a fixed point).
        let again = reconcile(&plan, &after);
        prop_assert_eq!(again.release, decision.release);
        prop_assert!(again.stop.is_empty());
    }
}
