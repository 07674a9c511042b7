//! RSS and CPU sampling of each replica's process group.

use crate::support::*;
use daytwo_types::ReplicaState;

const MIB: u64 = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_of_the_whole_process_group_is_sampled() {
    let h = Harness::new();
    // The 60 MiB live in a child of the replica's shell, in its group.
    let worker = process(
        "worker",
        "python3 -c 'import time\nb = b\"x\" * (60 * 1024 * 1024)\nprint(\"allocated\", flush=True)\ntime.sleep(600)'",
    );
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    h.wait_log_line(&k, "allocated").await;
    let status = eventually("rss above 60 MiB", TIMEOUT, || async {
        match h.replica(&k) {
            Some(s) if s.rss_bytes > 60 * MIB => Ok(s),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(status.rss_bytes < 200 * MIB, "{status:?}");
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_replica_shows_cpu_use_and_an_idle_one_little() {
    let h = Harness::new();
    let busy = process("busy", "exec python3 -c 'while True: pass'");
    let idle = process("idle", "exec sleep 600");
    h.engine
        .up(h.spec(vec![busy, idle]), RELEASE.to_owned())
        .await
        .unwrap();
    eventually("cpu use of the busy replica", TIMEOUT, || async {
        match h.replica(&key("busy", 1)) {
            Some(s) if s.cpu_percent > 5.0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let idle = h.wait_state(&key("idle", 1), ReplicaState::Healthy).await;
    assert!(idle.cpu_percent < 5.0, "{idle:?}");
    h.down("test").await;
}
