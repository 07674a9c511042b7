//! A temporary `DAYTWO_HOME` with a runner for the real `daytwo` binary. On
//! Drop it stops every env (`daytwo down --all`), then kills the daemon, any
//! replica still alive and the proxy (pid from `proxy.json`) by PID, and
//! removes the directory.

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct DaytwoHome {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// The result of one `daytwo` invocation.
#[derive(Debug)]
pub struct CommandOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the command exited 0.
    pub fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "command failed: {self:#?}");
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self:#?}"))
    }
}

impl DaytwoHome {
    /// A fresh state directory for the `daytwo` binary at `bin`.
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        // Short path: unix socket paths are limited to 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("d2-")
            .tempdir_in("/tmp")
            .expect("create temp DAYTWO_HOME");
        Self {
            dir,
            bin: bin.into(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// A `daytwo` command with `DAYTWO_HOME` set and colour off.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .env("DAYTWO_HOME", self.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    /// Runs `daytwo args…` to completion.
    pub fn run(&self, args: &[&str]) -> CommandOutput {
        let output = self
            .command(args)
            .output()
            .unwrap_or_else(|error| panic!("cannot run daytwo {args:?}: {error}"));
        CommandOutput::from_output(output)
    }

    /// The daemon's pid from its pid file, if any.
    pub fn daemon_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.path().join("daytwo.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }

    /// Pids of every replica the daemon reports (`ps --json`).
    pub fn replica_pids(&self) -> Vec<u32> {
        let output = self.run(&["ps", "--json"]);
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&output.stdout) else {
            return Vec::new();
        };
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|replica| replica["pid"].as_u64())
            .map(|pid| pid as u32)
            .collect()
    }
}

impl Drop for DaytwoHome {
    fn drop(&mut self) {
        self.stop_daemon();
        crate::kill_replicas_in(self.path());
        // The proxy outlives daemons by design; it goes last, after `down`.
        if let Some(proxy) = self.proxy_pid() {
            crate::kill_proxy(proxy);
        }
    }
}

impl DaytwoHome {
    /// The proxy's pid from `proxy.json`, if a proxy wrote one.
    pub fn proxy_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.path().join("proxy.json")).ok()?;
        let info: serde_json::Value = serde_json::from_str(&text).ok()?;
        info["pid"].as_u64().map(|pid| pid as u32)
    }

    fn stop_daemon(&self) {
        let Some(daemon) = self.daemon_pid() else {
            return;
        };
        if !crate::pid_alive(daemon) {
            return;
        }
        let replicas = self.replica_pids();
        // Graceful first, bounded in time.
        if let Ok(mut child) = self
            .command(&["down", "--all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for pid in replicas {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        let _ = kill(Pid::from_raw(daemon as i32), Signal::SIGKILL);
    }
}
