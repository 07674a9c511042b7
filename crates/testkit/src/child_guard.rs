//! A child process that is killed (with its process group) when dropped.

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::process::Child;

pub struct ChildGuard {
    child: Option<Child>,
    /// Whether the child leads its own process group (then the group is killed).
    group: bool,
}

impl ChildGuard {
    pub fn new(child: Child) -> Self {
        Self {
            child: Some(child),
            group: false,
        }
    }

    /// For a child spawned with `process_group(0)`: kill the whole group.
    pub fn group(child: Child) -> Self {
        Self {
            child: Some(child),
            group: true,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("child present").id()
    }

    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("child present")
    }

    /// Sends `signal` to the child (or its group).
    pub fn signal(&self, signal: Signal) {
        let pid = Pid::from_raw(self.pid() as i32);
        let _ = if self.group {
            killpg(pid, signal)
        } else {
            kill(pid, signal)
        };
    }

    /// Gives up ownership without killing.
    pub fn into_inner(mut self) -> Child {
        self.child.take().expect("child present")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = Pid::from_raw(child.id() as i32);
            if self.group {
                let _ = killpg(pid, Signal::SIGKILL);
            }
            let _ = kill(pid, Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}
