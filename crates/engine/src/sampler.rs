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
                seen.insert((member.pid, member.start_ticks), member.cpu_ticks);
            }
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
