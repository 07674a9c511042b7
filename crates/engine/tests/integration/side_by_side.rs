//! Deploy primitives: a second release's replicas start beside the first
//! with fresh indices and ports, exact replicas stop, and a new engine adopts
//! a mixed env (two releases) without converging it to one.

use crate::support::*;
use daytwo_types::{ReplicaKey, ReplicaState};
use std::collections::BTreeMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_release_runs_beside_the_stable_one_and_survives_adoption() {
    let h = Harness::new();
    h.write_app_file("http_app.py", HTTP_APP);
    let health = Some(daytwo_spec::HealthProbe::Http {
        path: "/healthz".to_owned(),
    });
    let spec = h.spec(vec![http_process("web", 2, health)]);
    h.engine.up(spec.clone(), "v1".to_owned()).await.unwrap();
    let stable_1 = h.wait_state(&key("web", 1), ReplicaState::Healthy).await;
    h.wait_state(&key("web", 2), ReplicaState::Healthy).await;

    let counts = BTreeMap::from([("web".to_owned(), 2)]);
    let candidates = h
        .engine
        .start_replicas(spec.clone(), "v2".to_owned(), counts)
        .await
        .unwrap();
    let candidate_keys: Vec<ReplicaKey> = candidates.iter().map(|s| s.key.clone()).collect();
    assert_eq!(candidate_keys, [key("web", 3), key("web", 4)]);
    assert!(candidates.iter().all(|s| s.release == "v2"));
    for candidate in &candidate_keys {
        let status = h.wait_state(candidate, ReplicaState::Healthy).await;
        assert_ne!(status.port, stable_1.port);
    }
    assert_eq!(
        h.engine.replicas(Some("test")).len(),
        4,
        "both releases run"
    );
    assert_eq!(h.replica(&key("web", 1)).unwrap().pid, stable_1.pid);

    // The old release leaves; exactly its replicas stop.
    let stopped = h
        .engine
        .stop_replicas(vec![key("web", 1), key("web", 2)])
        .await
        .unwrap();
    assert_eq!(stopped.len(), 2);
    assert!(!is_alive(stable_1.pid.unwrap()));
    let remaining = h.engine.replicas(Some("test"));
    assert_eq!(
        remaining.iter().map(|s| s.key.clone()).collect::<Vec<_>>(),
        candidate_keys
    );

    // A new engine adopts the candidates with their own spec, no converge
    // back to indices 1..=2.
    let h = h.restart_engine().await;
    let persisted: Vec<_> = remaining
        .iter()
        .map(|status| (spec.clone(), status.clone()))
        .collect();
    let adopted = h.engine.adopt_replicas(persisted).await.unwrap();
    assert_eq!(adopted.len(), 2);
    for old in &remaining {
        let now = adopted.iter().find(|s| s.key == old.key).unwrap();
        assert_eq!((now.pid, now.release.as_str()), (old.pid, "v2"));
    }
    assert!(h.replica(&key("web", 1)).is_none());
    h.down("test").await;
}
