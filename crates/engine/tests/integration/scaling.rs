//! `up` converges: more replicas start, fewer stop (highest index first),
//! changed configuration or release replaces replicas, unchanged ones stay.

use crate::support::*;
use daytwo_engine::EngineEvent;
use daytwo_types::ReplicaKey;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_scales_up_and_down_highest_index_first() {
    let h = Harness::new();
    let mut worker = process("worker", "exec sleep 600");
    h.engine
        .up(h.spec(vec![worker.clone()]), RELEASE.to_owned())
        .await
        .unwrap();
    let first = h.replica(&key("worker", 1)).unwrap();

    worker.replicas = 3;
    let scaled = h
        .engine
        .up(h.spec(vec![worker.clone()]), RELEASE.to_owned())
        .await
        .unwrap();
    assert_eq!(scaled.len(), 3);
    assert_eq!(scaled[0].pid, first.pid, "the existing replica is kept");

    worker.replicas = 1;
    let down = h
        .engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].pid, first.pid);
    let removed = eventually("two ReplicaRemoved events", TIMEOUT, || async {
        let removed: Vec<ReplicaKey> = h
            .events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|seen| match &seen.event {
                EngineEvent::ReplicaRemoved(key) => Some(key.clone()),
                _ => None,
            })
            .collect();
        if removed.len() >= 2 {
            Ok(removed)
        } else {
            Err(format!("{removed:?}"))
        }
    })
    .await;
    assert_eq!(removed, [key("worker", 3), key("worker", 2)]);
    for status in &scaled[1..] {
        assert!(!is_alive(status.pid.unwrap()));
    }
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_command_or_release_replaces_the_replica() {
    let h = Harness::new();
    let mut worker = process("worker", "exec sleep 600");
    let first = h
        .engine
        .up(h.spec(vec![worker.clone()]), RELEASE.to_owned())
        .await
        .unwrap();

    let same = h
        .engine
        .up(h.spec(vec![worker.clone()]), RELEASE.to_owned())
        .await
        .unwrap();
    assert_eq!(
        same[0].pid, first[0].pid,
        "nothing changed, nothing restarted"
    );

    let released = h
        .engine
        .up(h.spec(vec![worker.clone()]), "r2".to_owned())
        .await
        .unwrap();
    assert_ne!(released[0].pid, first[0].pid);
    assert_eq!(released[0].release, "r2");
    assert!(!is_alive(first[0].pid.unwrap()));

    worker.environment.insert("NEW".to_owned(), "1".to_owned());
    let changed = h
        .engine
        .up(h.spec(vec![worker]), "r2".to_owned())
        .await
        .unwrap();
    assert_ne!(changed[0].pid, released[0].pid);
    assert!(!is_alive(released[0].pid.unwrap()));
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_process_from_the_spec_stops_its_replicas() {
    let h = Harness::new();
    let a = process("a", "exec sleep 600");
    let b = process("b", "exec sleep 600");
    let started = h
        .engine
        .up(h.spec(vec![a.clone(), b]), RELEASE.to_owned())
        .await
        .unwrap();
    let now = h
        .engine
        .up(h.spec(vec![a]), RELEASE.to_owned())
        .await
        .unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].key, key("a", 1));
    let b_pid = started
        .iter()
        .find(|s| s.key == key("b", 1))
        .unwrap()
        .pid
        .unwrap();
    assert!(!is_alive(b_pid));
    h.down("test").await;
}
