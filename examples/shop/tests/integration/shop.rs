//! Starting the real `shop` binary: a clean environment, a temp directory
//! for its database (with the shop's migrations applied by the real
//! runner, `daytwo_migrate`), stdout collected line by line (the JSON
//! logs), and a Drop guard that kills the process by PID if a test did not
//! stop it.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for a log line or an exit before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// The shop's migrations (its whole schema).
pub const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");

/// Applies the migrations in `dir` to the SQLite file `db`, as `daytwo
/// migrate up` (and `daytwo up`, and a deploy) does.
pub fn migrate_with(db: &Path, dir: &Path) {
    let url = format!("sqlite://{}", db.display());
    daytwo_migrate::up(&url, dir, None)
        .unwrap_or_else(|error| panic!("migrations of {} fail: {error}", dir.display()));
}

/// Applies the shop's migrations to the SQLite file `db`.
pub fn migrate(db: &Path) {
    migrate_with(db, Path::new(MIGRATIONS));
}

/// A temp directory to run shops in; holds their database files.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    /// A directory whose [`Workdir::db`] has the shop's schema (the
    /// migrations applied, as daytwo does before starting the shop).
    pub fn new() -> Self {
        let workdir = Self::unmigrated();
        migrate(&workdir.db());
        workdir
    }

    /// A directory without any database file.
    pub fn unmigrated() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.path().join("shop.db")
    }

    /// `shop args…` in this directory with `PORT=0`, `SHOP_DB=<dir>/shop.db`
    /// and nothing inherited from the test's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shop"));
        command
            .args(args)
            .env_clear()
            .env("PORT", "0")
            .env("SHOP_DB", self.db())
            .current_dir(self.path())
            .stdin(Stdio::null());
        command
    }
}

/// Lines a reader thread collected, with a condvar to wait for more.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

impl Lines {
    fn collect(self: &Arc<Self>, stream: impl Read + Send + 'static) {
        let lines = Arc::clone(self);
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                lines.lines.lock().unwrap().push(line);
                lines.changed.notify_all();
            }
        });
    }

    fn snapshot(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

/// A running `shop` process.
pub struct Shop {
    child: Option<Child>,
    stdout: Arc<Lines>,
    stderr: Arc<Lines>,
    /// Where a web process listens (from its "listening" line).
    addr: Option<SocketAddr>,
}

impl Shop {
    /// Spawns `command` without waiting for anything.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn shop");
        let stdout = Arc::new(Lines::default());
        let stderr = Arc::new(Lines::default());
        stdout.collect(child.stdout.take().unwrap());
        stderr.collect(child.stderr.take().unwrap());
        Self {
            child: Some(child),
            stdout,
            stderr,
            addr: None,
        }
    }

    /// Spawns a web process and waits until it listens.
    pub fn web(command: Command) -> Self {
        let mut shop = Self::spawn(command);
        let line = shop.wait_for_log("listening");
        let addr = line["addr"].as_str().expect("addr on the listening line");
        shop.addr = Some(addr.parse().expect("addr is a socket address"));
        shop
    }

    /// Spawns a worker and waits until it has started.
    pub fn worker(command: Command) -> Self {
        let shop = Self::spawn(command);
        shop.wait_for_log("worker started");
        shop
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr.expect("a web process")
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.pid()), signal).expect("send signal");
    }

    /// Stdout lines parsed as JSON; panics on a line that is not JSON.
    pub fn logs(&self) -> Vec<Value> {
        self.stdout
            .snapshot()
            .iter()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("log line is not JSON ({error}): {line}"))
            })
            .collect()
    }

    /// The first log line whose `msg` is `msg`, waiting for it up to [`WAIT`].
    pub fn wait_for_log(&self, msg: &str) -> Value {
        self.wait_for_log_where(msg, |_| true)
    }

    /// The first log line with `msg` that satisfies `matches`.
    pub fn wait_for_log_where(&self, msg: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_log_within(WAIT, msg, matches)
    }

    /// The first log line with `msg` that satisfies `matches`, waiting for
    /// it up to `wait`.
    pub fn wait_for_log_within(
        &self,
        wait: Duration,
        msg: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + wait;
        let mut lines = self.stdout.lines.lock().unwrap();
        loop {
            let found = lines
                .iter()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .find(|line| line["msg"] == msg && matches(line));
            if let Some(line) = found {
                return line;
            }
            let now = Instant::now();
            if now >= deadline {
                let stdout = lines.join("\n");
                drop(lines);
                panic!(
                    "no log line {msg:?} within {wait:?}\nstdout:\n{stdout}\nstderr:\n{}",
                    self.stderr.snapshot().join("\n")
                );
            }
            lines = self
                .stdout
                .changed
                .wait_timeout(lines, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Waits up to [`WAIT`] for the process to exit; it is then reaped.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        let child = self.child.as_mut().expect("running");
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "shop did not exit within {WAIT:?}\nstdout:\n{}",
                self.stdout.snapshot().join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.snapshot().join("\n")
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

/// Runs `command` to completion (for invocations that must fail fast).
pub fn run_to_exit(command: Command) -> (ExitStatus, String) {
    let mut shop = Shop::spawn(command);
    let status = shop.wait_exit();
    // The reader thread may still be draining the pipe; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(1);
    while shop.stderr().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    (status, shop.stderr())
}
