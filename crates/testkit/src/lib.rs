//! Test helpers shared by the integration tests: a temporary `DAYTWO_HOME`
//! that stops its daemon and replicas on Drop, free loopback ports, guards
//! that kill child processes by PID, and `eventually()` for polling.
//!
//! Everything here cleans up after itself, also when a test panics.

mod child_guard;
mod daytwo_home;
mod eventually;

pub use child_guard::ChildGuard;
pub use daytwo_home::{CommandOutput, DaytwoHome};
pub use eventually::eventually;

use std::net::TcpListener;

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind 127.0.0.1:0")
}

/// Whether a process with this pid exists (and is not a zombie).
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// SIGKILLs `pid` if it still is a proxy process (its command line names
/// `proxy`), so a stale `proxy.json` never makes a test kill a reused pid.
pub fn kill_proxy(pid: u32) {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if String::from_utf8_lossy(&cmdline).contains("proxy") {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// SIGKILLs the process group of every replica whose shim wrote a pid file
/// under `home/run/<env>/<replica>/pid` (`"<pid> <start ticks>"`), if that
/// pid is still the same process (its start time matches). The last line of
/// defence when a test fails before its replicas were recorded anywhere else.
pub fn kill_replicas_in(home: &std::path::Path) {
    let Ok(envs) = std::fs::read_dir(home.join("run")) else {
        return;
    };
    for replica in envs
        .flatten()
        .filter_map(|env| std::fs::read_dir(env.path()).ok())
        .flatten()
        .flatten()
    {
        let Ok(text) = std::fs::read_to_string(replica.path().join("pid")) else {
            continue;
        };
        let mut fields = text.split_whitespace();
        let (Some(Ok(pid)), Some(Ok(ticks))) = (
            fields.next().map(str::parse::<i32>),
            fields.next().map(str::parse::<u64>),
        ) else {
            continue;
        };
        if start_ticks(pid as u32) == Some(ticks) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    fn sleeper() -> ChildGuard {
        ChildGuard::group(
            std::process::Command::new("sleep")
                .arg("60")
                .process_group(0)
                .spawn()
                .unwrap(),
        )
    }

    #[test]
    fn kills_replicas_from_pid_files_only_when_the_start_time_matches() {
        let home = tempfile::tempdir().unwrap();
        let mut live = sleeper();
        let other = sleeper();
        for (name, pid, ticks) in [
            ("web.1", live.pid(), start_ticks(live.pid()).unwrap()),
            // A reused pid: same number, another start time.
            ("web.2", other.pid(), start_ticks(other.pid()).unwrap() + 1),
        ] {
            let dir = home.path().join("run/dev").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("pid"), format!("{pid} {ticks}\n")).unwrap();
        }
        kill_replicas_in(home.path());
        let status = live.child().wait().unwrap();
        assert!(!status.success(), "the recorded replica was killed");
        assert!(
            pid_alive(other.pid()),
            "a pid with another start time is left alone"
        );
    }
}
