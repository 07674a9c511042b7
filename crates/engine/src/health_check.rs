//! Health checks of one replica: the probes (HTTP GET, TCP connect, shell
//! command) and the Docker-like state machine over their results
//! (healthy/unhealthy thresholds, failures ignored during the start period).

use daytwo_spec::{
    DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_TIMEOUT, DEFAULT_HEALTHY_THRESHOLD,
    DEFAULT_START_PERIOD, DEFAULT_UNHEALTHY_THRESHOLD, HealthCheck, HealthProbe,
};
use daytwo_types::ReplicaState;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// While a replica is starting it is probed at least this often, so a fast
/// app becomes healthy quickly even with a long `interval`.
pub(crate) const STARTING_PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// Most bytes read of an HTTP health answer (the status line is enough).
const HTTP_RESPONSE_LIMIT: usize = 1024;

/// The check a process gets when its spec has none: TCP connect for an HTTP
/// process, none (healthy once running) for others.
pub(crate) fn effective_check(health: Option<&HealthCheck>, http: bool) -> Option<HealthCheck> {
    match health {
        Some(check) => Some(check.clone()),
        None if http => Some(HealthCheck {
            probe: HealthProbe::Tcp,
            interval: DEFAULT_HEALTH_INTERVAL,
            timeout: DEFAULT_HEALTH_TIMEOUT,
            healthy_threshold: DEFAULT_HEALTHY_THRESHOLD,
            unhealthy_threshold: DEFAULT_UNHEALTHY_THRESHOLD,
            start_period: DEFAULT_START_PERIOD,
        }),
        None => None,
    }
}

/// What a probe needs to know about its replica.
pub(crate) struct ProbeTarget<'a> {
    pub port: Option<u16>,
    pub dir: &'a Path,
    pub env: &'a BTreeMap<String, String>,
}

/// Runs one probe; `Err` says why it failed. The caller bounds it with the
/// check's timeout.
pub(crate) async fn probe(probe: &HealthProbe, target: &ProbeTarget<'_>) -> Result<(), String> {
    match probe {
        HealthProbe::Http { path } => {
            let port = target.port.ok_or("no $PORT for an http check")?;
            http_get(port, path).await
        }
        HealthProbe::Tcp => {
            let port = target.port.ok_or("no $PORT for a tcp check")?;
            TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .map(drop)
                .map_err(|error| format!("connect 127.0.0.1:{port}: {error}"))
        }
        HealthProbe::Command { command } => {
            let status = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(target.dir)
                .env_clear()
                .envs(target.env)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .status()
                .await
                .map_err(|error| format!("cannot run `{command}`: {error}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("`{command}` exited with {status}"))
            }
        }
    }
}

/// `GET path` over a fresh connection; 2xx and 3xx pass.
async fn http_get(port: u16, path: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|error| format!("connect 127.0.0.1:{port}: {error}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: daytwo-health-check\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("send request: {error}"))?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 256];
    while !answer.windows(2).any(|w| w == b"\r\n") && answer.len() < HTTP_RESPONSE_LIMIT {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|error| format!("read answer: {error}"))?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or_default();
    let code: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))?;
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!("GET {path} answered {code}"))
    }
}

/// Consecutive results → state, as Docker does it.
#[derive(Debug)]
pub(crate) struct HealthTracker {
    healthy_threshold: u32,
    unhealthy_threshold: u32,
    start_period: Duration,
    successes: u32,
    failures: u32,
}

impl HealthTracker {
    pub fn new(check: &HealthCheck) -> Self {
        Self {
            healthy_threshold: check.healthy_threshold.max(1),
            unhealthy_threshold: check.unhealthy_threshold.max(1),
            start_period: check.start_period,
            successes: 0,
            failures: 0,
        }
    }

    /// Records one probe result, `since_start` after the replica started, and
    /// returns the state the replica should now be in.
    pub fn record(
        &mut self,
        current: ReplicaState,
        passed: bool,
        since_start: Duration,
    ) -> ReplicaState {
        if passed {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            if current != ReplicaState::Healthy && self.successes >= self.healthy_threshold {
                return ReplicaState::Healthy;
            }
            return current;
        }
        self.successes = 0;
        if current == ReplicaState::Starting && since_start < self.start_period {
            return current;
        }
        self.failures = self.failures.saturating_add(1);
        if current != ReplicaState::Unhealthy && self.failures >= self.unhealthy_threshold {
            return ReplicaState::Unhealthy;
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReplicaState::{Healthy, Starting, Unhealthy};

    fn check(healthy: u32, unhealthy: u32, start_period: u64) -> HealthCheck {
        HealthCheck {
            probe: HealthProbe::Tcp,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            healthy_threshold: healthy,
            unhealthy_threshold: unhealthy,
            start_period: Duration::from_secs(start_period),
        }
    }

    #[test]
    fn healthy_after_threshold_successes_unhealthy_after_threshold_failures() {
        let mut tracker = HealthTracker::new(&check(2, 3, 0));
        let t = Duration::from_secs(5);
        assert_eq!(tracker.record(Starting, true, t), Starting);
        assert_eq!(tracker.record(Starting, true, t), Healthy);
        assert_eq!(tracker.record(Healthy, false, t), Healthy);
        assert_eq!(tracker.record(Healthy, false, t), Healthy);
        assert_eq!(tracker.record(Healthy, false, t), Unhealthy);
        assert_eq!(tracker.record(Unhealthy, true, t), Unhealthy);
        assert_eq!(tracker.record(Unhealthy, true, t), Healthy);
    }

    #[test]
    fn failures_during_the_start_period_do_not_count() {
        let mut tracker = HealthTracker::new(&check(1, 1, 10));
        assert_eq!(
            tracker.record(Starting, false, Duration::from_secs(1)),
            Starting
        );
        assert_eq!(
            tracker.record(Starting, false, Duration::from_secs(2)),
            Starting
        );
        assert_eq!(
            tracker.record(Starting, false, Duration::from_secs(11)),
            Unhealthy
        );
    }

    #[test]
    fn an_http_process_without_a_check_gets_a_tcp_check() {
        assert_eq!(effective_check(None, true).unwrap().probe, HealthProbe::Tcp);
        assert!(effective_check(None, false).is_none());
    }
}
