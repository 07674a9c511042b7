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
