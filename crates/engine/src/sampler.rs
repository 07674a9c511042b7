//! Samples RSS and CPU of every running replica each `sample_interval`: one
//! pass over `/proc/*/stat`, summed per process group (a replica's main pid is
//! its group id). Also the RSS watchdog: a replica with a memory limit but no
//! cgroup is killed (SIGKILL to its group) when its RSS exceeds the limit.
//! Processes that leave the group (`setsid`, `setpgid`) are not counted.

use crate::engine::EngineContext;
use crate::proc_stat::{self, CLOCK_TICKS_PER_SECOND, ProcStat};
use daytwo_types::ReplicaKey;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;
use tokio::time::MissedTickBehavior;

/// CPU time of each process seen in the previous sample, by (pid, start).
type CpuSeen = HashMap<(u32, u64), u64>;

pub(crate) async fn run(context: Arc<EngineContext>) {
    let mut ticker = tokio::time::interval(context.config.sample_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let page_size = proc_stat::page_size();
    let mut previous: BTreeMap<u32, CpuSeen> = BTreeMap::new();
    let mut last_sample = Instant::now();
    let mut killed: BTreeSet<u32> = BTreeSet::new();
    loop {
        tokio::select! {
            _ = context.shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let running: Vec<(ReplicaKey, u32)> = context
            .board
            .snapshot(None)
            .into_iter()
            .filter(|status| status.state.is_running())
            .filter_map(|status| Some((status.key, status.pid?)))
            .collect();
        if running.is_empty() {
            previous.clear();
            continue;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(last_sample).as_secs_f64();
        last_sample = now;
        let groups: BTreeSet<u32> = running.iter().map(|(_, pid)| *pid).collect();
        let mut by_group: BTreeMap<u32, Vec<ProcStat>> = BTreeMap::new();
        for stat in proc_stat::all_processes() {
            if groups.contains(&stat.pgid) && stat.state != 'Z' {
                by_group.entry(stat.pgid).or_default().push(stat);
            }
        }
        let mut current: BTreeMap<u32, CpuSeen> = BTreeMap::new();
        for (key, pid) in running {
            let members = by_group.remove(&pid).unwrap_or_default();
            let rss_bytes: u64 = members.iter().map(|p| p.rss_pages * page_size).sum();
            let seen_before = previous.get(&pid);
            let mut delta_ticks = 0;
            // Since the last sample, or since the process started when it
            // is new: the replica's CPU counter.
            let mut used_ticks = 0;
            let mut seen = CpuSeen::new();
            for member in &members {
                let before = seen_before.map(|seen| {
                    seen.get(&(member.pid, member.start_ticks))
                        .copied()
                        .unwrap_or(0)
                });
                if let Some(before) = before {
                    delta_ticks += member.cpu_ticks.saturating_sub(before);
                }
                used_ticks += member.cpu_ticks.saturating_sub(before.unwrap_or(0));
                seen.insert((member.pid, member.start_ticks), member.cpu_ticks);
            }
            context
                .board
                .add_cpu(&key, pid, used_ticks as f64 / CLOCK_TICKS_PER_SECOND as f64);
            current.insert(pid, seen);
            let cpu_percent = if seen_before.is_some() && elapsed > 0.0 {
                delta_ticks as f64 / CLOCK_TICKS_PER_SECOND as f64 / elapsed * 100.0
            } else {
                0.0
            };
            context
                .board
                .record_sample(&key, pid, rss_bytes, cpu_percent);

            if let Some(limit) = context.board.watchdog_limit(&key)
                && rss_bytes > limit
                && killed.insert(pid)
            {
                let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
                context.event(
                    &key,
                    "replica.memory_limit",
                    format!(
                        "{key} used {rss_bytes} bytes of RSS, over its memory limit of {limit} bytes; killed by the rss watchdog"
                    ),
                );
            }
        }
        killed.retain(|pid| current.contains_key(pid));
        previous = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::MemoryEnforcement;
    use crate::config::EngineConfig;
    use crate::status::{EngineEvent, ReplicaStatus};
    use crate::status_board::StatusBoard;
    use daytwo_types::ReplicaState;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    const MIB: u64 = 1024 * 1024;

    /// Kills the test's child by pid if it is still running.
    struct ChildGuard(std::process::Child);

    impl Drop for ChildGuard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn context() -> (
        Arc<EngineContext>,
        tokio::sync::mpsc::UnboundedReceiver<EngineEvent>,
    ) {
        let (events, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut config = EngineConfig::new("/nonexistent".into(), "/nonexistent".into());
        config.sample_interval = Duration::from_millis(50);
        let context = EngineContext {
            config,
            board: StatusBoard::new(),
            events,
            memory: MemoryEnforcement::Watchdog {
                reason: "test".to_owned(),
            },
            shutdown: CancellationToken::new(),
        };
        (Arc::new(context), rx)
    }

    fn status(key: &ReplicaKey, pid: u32) -> ReplicaStatus {
        ReplicaStatus {
            key: key.clone(),
            pid: Some(pid),
            shim_pid: None,
            start_ticks: None,
            port: None,
            state: ReplicaState::Healthy,
            restarts: 0,
            rss_bytes: 0,
            cpu_percent: 0.0,
            release: "r".to_owned(),
            started_at: None,
            last_exit: None,
            log_path: "/nonexistent".into(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rss_watchdog_kills_a_group_over_its_limit() {
        let (context, mut events) = context();
        let child = std::process::Command::new("python3")
            .args([
                "-c",
                "import time\nb = b'x' * (64 * 1024 * 1024)\ntime.sleep(600)",
            ])
            .process_group(0)
            .spawn()
            .unwrap();
        let mut child = ChildGuard(child);
        let key = ReplicaKey::new("t", "hog", 1);
        context.board.publish(status(&key, child.0.id()));
        context.board.set_watchdog_limit(&key, Some(32 * MIB));
        tokio::spawn(run(context.clone()));

        let exit = tokio::task::spawn_blocking(move || {
            let exit = child.0.wait().unwrap();
            drop(child);
            exit
        })
        .await
        .unwrap();
        assert_eq!(exit.signal(), Some(9));
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap()
            .unwrap();
        match event {
            EngineEvent::Event { kind, message, .. } => {
                assert_eq!(kind, "replica.memory_limit");
                assert!(message.contains("rss watchdog"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        context.shutdown.cancel();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replica_under_its_limit_is_sampled_and_left_alone() {
        let (context, _events) = context();
        let child = std::process::Command::new("sleep")
            .arg("600")
            .process_group(0)
            .spawn()
            .unwrap();
        let child = ChildGuard(child);
        let key = ReplicaKey::new("t", "small", 1);
        context.board.publish(status(&key, child.0.id()));
        context.board.set_watchdog_limit(&key, Some(512 * MIB));
        tokio::spawn(run(context.clone()));
        let mut sampled = 0;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sampled = context.board.snapshot(None)[0].rss_bytes;
            if sampled > 0 {
                break;
            }
        }
        assert!(sampled > 0 && sampled < 512 * MIB, "{sampled}");
        assert!(crate::proc_stat::read_stat(child.0.id()).is_some_and(|s| s.state != 'Z'));
        context.shutdown.cancel();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_cpu_counter_follows_a_busy_group_and_restarts_with_a_new_pid() {
        let (context, _events) = context();
        let busy = |seconds: &str| {
            std::process::Command::new("python3")
                .args([
                    "-c",
                    &format!("import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\ntime.sleep(600)"),
                ])
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let child = ChildGuard(busy("0.6"));
        let key = ReplicaKey::new("t", "busy", 1);
        context.board.publish(status(&key, child.0.id()));
        tokio::spawn(run(context.clone()));
        let mut used = 0.0;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            used = context
                .board
                .cpu_seconds(Some("t"))
                .get(&key)
                .copied()
                .unwrap_or(0.0);
            if used >= 0.3 {
                break;
            }
        }
        assert!(
            used >= 0.3,
            "a busy loop of 0.6 s shows as CPU time: {used}"
        );
        assert!(context.board.cpu_seconds(Some("other")).is_empty());
        // The same replica with a new process counts from that process's start.
        let second = ChildGuard(
            std::process::Command::new("sleep")
                .arg("600")
                .process_group(0)
                .spawn()
                .unwrap(),
        );
        context.board.publish(status(&key, second.0.id()));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = context.board.cpu_seconds(Some("t"))[&key];
        assert!(after < 0.1, "a fresh sleeping process used {after} s");
        context.shutdown.cancel();
        drop(child);
    }
}
