use super::*;
use crate::action::SmokeResult;
use crate::plan::{ProcessPlan, SmokeCheck};
use crate::release::ReleaseRef;
use daytwo_types::ReplicaState;

fn old() -> ReleaseRef {
    ReleaseRef::new("1.0.0", "sha256:1")
}

fn new() -> ReleaseRef {
    ReleaseRef::new("2.0.0", "sha256:2")
}

fn web(n: u32) -> ReplicaKey {
    ReplicaKey::new("prod", "web", n)
}

fn worker(n: u32) -> ReplicaKey {
    ReplicaKey::new("prod", "worker", n)
}

fn plan(strategy: Strategy, web: u32, workers: u32) -> DeployPlan {
    let mut processes = vec![ProcessPlan {
        name: "web".into(),
        replicas: web,
        http: true,
    }];
    if workers > 0 {
        processes.push(ProcessPlan {
            name: "worker".into(),
            replicas: workers,
            http: false,
        });
    }
    DeployPlan {
        env: "prod".into(),
        from: Some(old()),
        to: new(),
        strategy,
        processes,
        preflight_timeout: Duration::from_secs(10),
        smoke: None,
        warm_window: Duration::from_secs(60),
        drain_timeout: Duration::from_secs(5),
        guards: crate::analysis::GuardConfig::default(),
    }
}

fn current(http: &[u32], workers: &[u32]) -> CurrentReplicas {
    CurrentReplicas {
        http: http.iter().map(|&n| web(n)).collect(),
        other: workers.iter().map(|&n| worker(n)).collect(),
    }
}

fn act(step: Step) -> Action {
    match step {
        Step::Act(action) => action,
        Step::Finished(outcome) => panic!("expected an action, got {outcome:?}"),
    }
}

fn finished(step: Step) -> DeployOutcome {
    match step {
        Step::Finished(outcome) => outcome,
        Step::Act(action) => panic!("expected the end, got {action:?}"),
    }
}

fn healthy(replicas: &[ReplicaKey]) -> Input {
    Input::Health(
        replicas
            .iter()
            .map(|key| (key.clone(), ReplicaHealth::healthy()))
            .collect(),
    )
}

fn split(old_percent: u32, old_routable: &[u32], new_routable: &[u32]) -> Action {
    Action::SetRoutes(Routing {
        stable: Some(RouteGroup {
            release: old(),
            weight_percent: old_percent,
            routable: old_routable.iter().map(|&n| web(n)).collect(),
        }),
        candidate: Some(RouteGroup {
            release: new(),
            weight_percent: 100 - old_percent,
            routable: new_routable.iter().map(|&n| web(n)).collect(),
        }),
    })
}

/// Starts `count` web candidates numbered from `first` and walks preflight
/// to the first action after it.
fn through_preflight(deploy: &mut Deploy, now: Instant, first: u32, count: u32) -> Step {
    let keys: Vec<ReplicaKey> = (first..first + count).map(web).collect();
    let check = act(deploy.step(
        Input::Started {
            replicas: keys.clone(),
        },
        now,
    ));
    assert_eq!(
        check,
        Action::CheckHealth {
            replicas: keys.clone()
        }
    );
    deploy.step(healthy(&keys), now)
}

#[test]
fn preflight_starts_candidates_off_traffic_and_waits_for_health() {
    let now = Instant::now();
    let (mut deploy, step) =
        Deploy::new(plan(Strategy::BlueGreen, 2, 0), current(&[1, 2], &[]), now);
    assert_eq!(
        act(step),
        Action::StartCandidates {
            release: new(),
            process: "web".into(),
            count: 2
        }
    );
    let step = deploy.step(
        Input::Started {
            replicas: vec![web(3), web(4)],
        },
        now,
    );
    assert_eq!(
        act(step),
        Action::CheckHealth {
            replicas: vec![web(3), web(4)]
        }
    );
    let starting = Input::Health(vec![
        (web(3), ReplicaHealth::healthy()),
        (web(4), ReplicaHealth::new(ReplicaState::Starting, 0)),
    ]);
    let step = deploy.step(starting, now);
    assert_eq!(
        act(step),
        Action::Wait {
            until: now + HEALTH_POLL_INTERVAL
        }
    );
    // Only the replica still starting is asked about again.
    let step = deploy.step(Input::Tick, now + HEALTH_POLL_INTERVAL);
    assert_eq!(
        act(step),
        Action::CheckHealth {
            replicas: vec![web(4)]
        }
    );
    assert_eq!(deploy.phase(), Phase::Preflight);
}

#[test]
fn preflight_timeout_fails_with_the_logs_and_stops_only_the_candidates() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::Rolling, 1, 0), current(&[1], &[]), now);
    act(deploy.step(
        Input::Started {
            replicas: vec![web(2)],
        },
        now,
    ));
    let late = now + Duration::from_secs(10);
    let starting = Input::Health(vec![(
        web(2),
        ReplicaHealth::new(ReplicaState::Starting, 0),
    )]);
    assert_eq!(
        act(deploy.step(starting, late)),
        Action::CollectLogs {
            replica: web(2),
            last_n: FAILURE_LOG_LINES
        }
    );
    let logs = vec!["listening on 0.0.0.0".to_owned()];
    assert_eq!(
        act(deploy.step(Input::Logs(logs.clone()), late)),
        Action::StopCandidates {
            replicas: vec![web(2)]
        }
    );
    let outcome = finished(deploy.step(Input::Stopped, late));
    assert_eq!(
        outcome,
        DeployOutcome::Failed(Failure {
            reason: FailureReason::PreflightTimeout {
                timeout: Duration::from_secs(10)
            },
            replica: Some(web(2)),
            logs,
        })
    );
}

#[test]
fn a_candidate_that_crashed_and_restarted_fails_preflight() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::Rolling, 1, 1), current(&[1], &[1]), now);
    act(deploy.step(
        Input::Started {
            replicas: vec![web(2)],
        },
        now,
    ));
    act(deploy.step(
        Input::Started {
            replicas: vec![worker(2)],
        },
        now,
    ));
    let report = Input::Health(vec![
        (web(2), ReplicaHealth::healthy()),
        (worker(2), ReplicaHealth::new(ReplicaState::Healthy, 1)),
    ]);
    assert!(matches!(
        act(deploy.step(report, now)),
        Action::CollectLogs { replica, .. } if replica == worker(2)
    ));
    assert_eq!(
        act(deploy.step(Input::Logs(vec![]), now)),
        Action::StopCandidates {
            replicas: vec![web(2), worker(2)]
        }
    );
    let outcome = finished(deploy.step(Input::Stopped, now));
    assert!(matches!(
        outcome,
        DeployOutcome::Failed(Failure {
            reason: FailureReason::CandidateCrashed { restarts: 1 },
            ..
        })
    ));
}

#[test]
fn failing_smoke_check_fails_the_deploy_before_any_routing_change() {
    let now = Instant::now();
    let mut plan = plan(Strategy::BlueGreen, 1, 0);
    plan.smoke = Some(SmokeCheck::new("./smoke.sh"));
    let (mut deploy, _) = Deploy::new(plan, current(&[1], &[]), now);
    let step = through_preflight(&mut deploy, now, 2, 1);
    assert_eq!(
        act(step),
        Action::RunSmoke {
            replica: web(2),
            check: SmokeCheck::new("./smoke.sh")
        }
    );
    let result = SmokeResult {
        passed: false,
        output: "GET /orders: 500".into(),
    };
    assert!(matches!(
        act(deploy.step(Input::Smoke(result), now)),
        Action::CollectLogs { .. }
    ));
    assert!(matches!(
        act(deploy.step(Input::Logs(vec![]), now)),
        Action::StopCandidates { .. }
    ));
    let outcome = finished(deploy.step(Input::Stopped, now));
    assert_eq!(outcome.as_str(), "failed");
    assert_eq!(
        outcome.failure().unwrap().reason,
        FailureReason::SmokeFailed {
            output: "GET /orders: 500".into()
        }
    );
}

#[test]
fn blue_green_switches_all_traffic_in_one_change_then_keeps_the_old_replicas_warm() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::BlueGreen, 2, 1), current(&[1, 2], &[1]), now);
    act(deploy.step(
        Input::Started {
            replicas: vec![web(3), web(4)],
        },
        now,
    ));
    act(deploy.step(
        Input::Started {
            replicas: vec![worker(2)],
        },
        now,
    ));
    let all = [web(3), web(4), worker(2)];
    assert_eq!(
        act(deploy.step(healthy(&all), now)),
        Action::CheckHealth {
            replicas: vec![web(3), web(4)]
        }
    );
    let switch = act(deploy.step(healthy(&[web(3), web(4)]), now));
    assert_eq!(
        switch,
        Action::SetRoutes(Routing {
            stable: Some(RouteGroup {
                release: old(),
                weight_percent: 0,
                routable: BTreeSet::new()
            }),
            candidate: Some(RouteGroup {
                release: new(),
                weight_percent: 100,
                routable: [web(3), web(4)].into()
            }),
        })
    );
    assert_eq!(
        act(deploy.step(Input::RoutesApplied, now)),
        Action::Drain {
            replicas: vec![web(1), web(2)],
            timeout: Duration::from_secs(5)
        }
    );
    assert!(matches!(
        act(deploy.step(Input::Drained { complete: true }, now)),
        Action::CheckHealth { .. }
    ));
    assert_eq!(
        act(deploy.step(healthy(&[web(3), web(4)]), now)),
        Action::SetRoutes(Routing::only(new(), [web(3), web(4)]))
    );
    assert_eq!(
        act(deploy.step(Input::RoutesApplied, now)),
        Action::StopOld {
            replicas: vec![worker(1)]
        }
    );
    let outcome = finished(deploy.step(Input::Stopped, now));
    assert_eq!(
        outcome,
        DeployOutcome::Succeeded {
            warm: Some(WarmRelease {
                release: old(),
                replicas: vec![web(1), web(2)],
                until: now + Duration::from_secs(60),
            })
        }
    );
}

#[test]
fn rolling_admits_one_candidate_then_removes_and_drains_one_old_replica() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::Rolling, 2, 0), current(&[1, 2], &[]), now);
    act(through_preflight(&mut deploy, now, 3, 2));
    let expected = [
        (vec![web(3)], split(66, &[1, 2], &[3]), None),
        (vec![web(3)], split(50, &[2], &[3]), Some(web(1))),
        (vec![web(3), web(4)], split(33, &[2], &[3, 4]), None),
        (vec![web(3), web(4)], split(0, &[], &[3, 4]), Some(web(2))),
    ];
    for (checked, routes, drained) in expected {
        assert_eq!(act(deploy.step(healthy(&checked), now)), routes);
        let next = act(deploy.step(Input::RoutesApplied, now));
        if let Some(old_replica) = drained {
            assert_eq!(
                next,
                Action::Drain {
                    replicas: vec![old_replica],
                    timeout: Duration::from_secs(5)
                }
            );
            act(deploy.step(Input::Drained { complete: false }, now));
        }
    }
    assert_eq!(
        act(deploy.step(healthy(&[web(3), web(4)]), now)),
        Action::SetRoutes(Routing::only(new(), [web(3), web(4)]))
    );
    let outcome = finished(deploy.step(Input::RoutesApplied, now));
    assert!(outcome.is_success());
}

#[test]
fn a_candidate_failing_mid_switch_restores_the_old_routing_and_stops_the_candidates() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::Rolling, 2, 0), current(&[1, 2], &[]), now);
    act(through_preflight(&mut deploy, now, 3, 2));
    act(deploy.step(healthy(&[web(3)]), now)); // admit web.3
    act(deploy.step(Input::RoutesApplied, now)); // check before removing web.1
    let crashed = Input::Health(vec![(
        web(3),
        ReplicaHealth::new(ReplicaState::Starting, 1),
    )]);
    assert!(matches!(
        act(deploy.step(crashed, now)),
        Action::CollectLogs { replica, .. } if replica == web(3)
    ));
    assert_eq!(
        act(deploy.step(Input::Logs(vec!["panic".into()]), now)),
        Action::SetRoutes(Routing::only(old(), [web(1), web(2)]))
    );
    assert_eq!(deploy.before(), &Routing::only(old(), [web(1), web(2)]));
    assert!(matches!(
        act(deploy.step(Input::RoutesApplied, now)),
        Action::Drain { replicas, .. } if replicas == vec![web(3), web(4)]
    ));
    assert_eq!(
        act(deploy.step(Input::Drained { complete: true }, now)),
        Action::StopCandidates {
            replicas: vec![web(3), web(4)]
        }
    );
    let outcome = finished(deploy.step(Input::Stopped, now));
    assert_eq!(outcome.as_str(), "rolled_back");
    assert_eq!(outcome.failure().unwrap().logs, vec!["panic".to_owned()]);
}

#[test]
fn a_routing_error_mid_switch_rolls_back_and_a_failed_restore_is_unresolved() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::BlueGreen, 1, 0), current(&[1], &[]), now);
    act(through_preflight(&mut deploy, now, 2, 1));
    act(deploy.step(healthy(&[web(2)]), now)); // SetRoutes
    let error = || Input::ActionFailed {
        error: "proxy.sock: connection refused".into(),
    };
    assert_eq!(
        act(deploy.step(error(), now)),
        Action::SetRoutes(Routing::only(old(), [web(1)]))
    );
    let outcome = finished(deploy.step(error(), now));
    assert!(
        matches!(outcome, DeployOutcome::Unresolved { .. }),
        "{outcome:?}"
    );
}

#[test]
fn a_start_error_fails_without_touching_routing() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::Rolling, 1, 1), current(&[1], &[1]), now);
    act(deploy.step(
        Input::Started {
            replicas: vec![web(2)],
        },
        now,
    ));
    let error = Input::ActionFailed {
        error: "no free port".into(),
    };
    assert_eq!(
        act(deploy.step(error, now)),
        Action::StopCandidates {
            replicas: vec![web(2)]
        }
    );
    let outcome = finished(deploy.step(Input::Stopped, now));
    assert!(matches!(
        outcome,
        DeployOutcome::Failed(Failure { reason: FailureReason::Target { ref step, .. }, .. }) if step == "start candidates"
    ));
}

#[test]
fn first_deploy_has_no_stable_group_and_nothing_to_keep_warm() {
    let now = Instant::now();
    let mut plan = plan(Strategy::Rolling, 1, 0);
    plan.from = None;
    let (mut deploy, _) = Deploy::new(plan, CurrentReplicas::default(), now);
    assert_eq!(deploy.before(), &Routing::empty());
    act(through_preflight(&mut deploy, now, 1, 1));
    assert_eq!(
        act(deploy.step(healthy(&[web(1)]), now)),
        Action::SetRoutes(Routing {
            stable: None,
            candidate: Some(RouteGroup {
                release: new(),
                weight_percent: 100,
                routable: [web(1)].into()
            }),
        })
    );
    act(deploy.step(Input::RoutesApplied, now));
    act(deploy.step(healthy(&[web(1)]), now));
    let outcome = finished(deploy.step(Input::RoutesApplied, now));
    assert_eq!(outcome, DeployOutcome::Succeeded { warm: None });
}

#[test]
fn zero_warm_window_stops_the_old_replicas_at_once() {
    let now = Instant::now();
    let mut plan = plan(Strategy::BlueGreen, 1, 0);
    plan.warm_window = Duration::ZERO;
    let (mut deploy, _) = Deploy::new(plan, current(&[1], &[]), now);
    act(through_preflight(&mut deploy, now, 2, 1));
    act(deploy.step(healthy(&[web(2)]), now));
    act(deploy.step(Input::RoutesApplied, now)); // drain
    act(deploy.step(Input::Drained { complete: true }, now));
    act(deploy.step(healthy(&[web(2)]), now));
    assert_eq!(
        act(deploy.step(Input::RoutesApplied, now)),
        Action::StopOld {
            replicas: vec![web(1)]
        }
    );
    assert_eq!(
        finished(deploy.step(Input::Stopped, now)),
        DeployOutcome::Succeeded { warm: None }
    );
}

fn warm_old(now: Instant) -> WarmRelease {
    WarmRelease {
        release: old(),
        replicas: vec![web(1), web(2)],
        until: now + Duration::from_secs(60),
    }
}

#[test]
fn warm_rollback_is_a_proxy_switch_that_starts_only_the_workers() {
    let now = Instant::now();
    // Rolling back from 2.0.0 (web.3, web.4, worker.2) to the warm 1.0.0.
    let mut plan = plan(Strategy::Rolling, 2, 1);
    plan.from = Some(new());
    plan.smoke = Some(SmokeCheck::new("./smoke.sh"));
    let (mut deploy, step) =
        Deploy::rollback_warm(plan, current(&[3, 4], &[2]), &warm_old(now), now);
    assert_eq!(
        act(step),
        Action::StartCandidates {
            release: old(),
            process: "worker".into(),
            count: 1
        }
    );
    assert_eq!(
        act(deploy.step(
            Input::Started {
                replicas: vec![worker(3)]
            },
            now
        )),
        Action::CheckHealth {
            replicas: vec![web(1), web(2), worker(3)]
        }
    );
    // No smoke check: straight to the switch.
    assert!(matches!(
        act(deploy.step(healthy(&[web(1), web(2), worker(3)]), now)),
        Action::CheckHealth { .. }
    ));
    let switch = act(deploy.step(healthy(&[web(1), web(2)]), now));
    let Action::SetRoutes(routing) = switch else {
        panic!("{switch:?}")
    };
    assert_eq!(routing.candidate.unwrap().routable, [web(1), web(2)].into());
    assert!(matches!(
        act(deploy.step(Input::RoutesApplied, now)),
        Action::Drain { replicas, .. } if replicas == vec![web(3), web(4)]
    ));
    act(deploy.step(Input::Drained { complete: true }, now));
    assert_eq!(
        act(deploy.step(healthy(&[web(1), web(2)]), now)),
        Action::SetRoutes(Routing::only(old(), [web(1), web(2)]))
    );
    assert_eq!(
        act(deploy.step(Input::RoutesApplied, now)),
        Action::StopOld {
            replicas: vec![worker(2)]
        }
    );
    assert_eq!(
        act(deploy.step(Input::Stopped, now)),
        Action::StopOld {
            replicas: vec![web(3), web(4)]
        }
    );
    assert_eq!(
        finished(deploy.step(Input::Stopped, now)),
        DeployOutcome::Succeeded { warm: None }
    );
}

#[test]
fn warm_rollback_with_a_dead_warm_replica_fails_before_anything_changes() {
    let now = Instant::now();
    let mut plan = plan(Strategy::BlueGreen, 2, 0);
    plan.from = Some(new());
    let (mut deploy, step) =
        Deploy::rollback_warm(plan, current(&[3, 4], &[]), &warm_old(now), now);
    assert!(matches!(act(step), Action::CheckHealth { .. }));
    let report = Input::Health(vec![
        (web(1), ReplicaHealth::healthy()),
        (web(2), ReplicaHealth::new(ReplicaState::Exited, 0)),
    ]);
    assert!(matches!(
        act(deploy.step(report, now)),
        Action::CollectLogs { .. }
    ));
    // Nothing was started, so nothing is stopped: the warm replicas are left
    // to the daemon, which now deploys cold.
    let outcome = finished(deploy.step(Input::Logs(vec![]), now));
    assert!(matches!(
        outcome,
        DeployOutcome::Failed(Failure {
            reason: FailureReason::WarmReplicaUnhealthy {
                state: ReplicaState::Exited
            },
            ..
        })
    ));
}

#[test]
fn an_unexpected_input_aborts_safely_instead_of_panicking() {
    let now = Instant::now();
    let (mut deploy, _) = Deploy::new(plan(Strategy::Rolling, 1, 0), current(&[1], &[]), now);
    let outcome = finished(deploy.step(Input::RoutesApplied, now));
    assert!(matches!(
        outcome,
        DeployOutcome::Failed(Failure {
            reason: FailureReason::Target { .. },
            ..
        })
    ));
    // A finished machine stays finished.
    assert_eq!(finished(deploy.step(Input::Tick, now)), outcome);
}
