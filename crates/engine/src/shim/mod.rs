//! The per-replica shim (`daytwo shim <config.json>`), in the spirit of
//! conmon / containerd-shim. The engine starts one per replica; it
//!
//! 1. leaves the engine's session (`setsid`) and blocks SIGHUP/SIGINT, so a
//!    daemon crash or a Ctrl-C in the daemon's terminal does not reach it;
//! 2. joins the replica's memory cgroup, if any;
//! 3. starts `sh -c "<command>"` (`exec`-prefixed when it is one simple
//!    command, see `shell_line`) in its own process group with the given
//!    environment, its stdout/stderr on pipes;
//! 4. writes `pid` (`"<pid> <start_ticks>"`, atomically) to the run dir;
//! 5. copies every output line, timestamped, into the rotating log file;
//! 6. waits for the command and writes `exit` (code, or 128+signal).
//!
//! It never writes to the engine after it started (no pipe to it), so it
//! outlives a dead daemon. Plain std threads, no async runtime: it stays small.

pub(crate) mod config;
mod shell_line;

use crate::log_file::RotatingLog;
use crate::log_line::{LogStreamKind, format_line};
use crate::proc_stat;
use crate::replica_dir::{ReplicaPaths, write_atomically};
use config::ShimConfig;
use nix::sys::signal::{SigSet, Signal};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Longest line written as one log line; longer output is split.
const MAX_LINE_BYTES: u64 = 64 * 1024;
/// After the command exits, how long to keep copying output that its
/// leftover children may still be writing.
const PIPE_DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
/// Stack size of the two pipe-reading threads.
const PUMP_STACK_BYTES: usize = 64 * 1024;

/// Entry point of `daytwo shim`. `args` are the arguments after the `shim`
/// word: the path of the replica's `shim.json`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let [config_path] = args.as_slice() else {
        eprintln!("usage: daytwo shim <shim.json>");
        return ExitCode::from(2);
    };
    let config: ShimConfig = match std::fs::read(config_path)
        .map_err(|error| error.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|error| error.to_string()))
    {
        Ok(config) => config,
        Err(error) => {
            eprintln!(
                "daytwo shim: cannot read {}: {error}",
                config_path.to_string_lossy()
            );
            return ExitCode::from(2);
        }
    };
    let paths = ReplicaPaths {
        run_dir: config.run_dir.clone(),
        log_path: config.log_path.clone(),
    };
    match run(&config, &paths) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX)),
        Err(message) => {
            let _ = write_atomically(&paths.error_file(), &message);
            if let Ok(mut log) =
                RotatingLog::open(&config.log_path, config.log_max_bytes, config.log_keep)
            {
                let line = format!("daytwo shim: {message}");
                let _ = log.write_line(&format_line(
                    jiff::Timestamp::now(),
                    LogStreamKind::Stderr,
                    &line,
                ));
            }
            ExitCode::FAILURE
        }
    }
}

fn run(config: &ShimConfig, paths: &ReplicaPaths) -> Result<i32, String> {
    // Detach from the engine: own session, no terminal signals.
    let _ = nix::unistd::setsid();
    let mut blocked = SigSet::empty();
    blocked.add(Signal::SIGHUP);
    blocked.add(Signal::SIGINT);
    let _ = blocked.thread_block();

    if let Some(cgroup) = &config.cgroup {
        let procs = cgroup.join("cgroup.procs");
        std::fs::write(&procs, std::process::id().to_string())
            .map_err(|error| format!("cannot join cgroup {}: {error}", procs.display()))?;
    }
    let log = RotatingLog::open(&config.log_path, config.log_max_bytes, config.log_keep)
        .map_err(|error| format!("cannot open log {}: {error}", config.log_path.display()))?;
    let log = Arc::new(Mutex::new(log));

    // std resets the signal mask and dispositions in the child.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(shell_line::shell_line(&config.command))
        .current_dir(&config.dir)
        .env_clear()
        .envs(&config.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|error| {
            format!(
                "cannot start `sh -c {:?}` in {}: {error}",
                config.command,
                config.dir.display()
            )
        })?;
    let pid = child.id();
    // Not reaped yet, so its stat is readable even if it already exited.
    let start_ticks = proc_stat::read_stat(pid).map_or(0, |stat| stat.start_ticks);
    write_atomically(&paths.pid_file(), &format!("{pid} {start_ticks}\n"))
        .map_err(|error| format!("cannot write {}: {error}", paths.pid_file().display()))?;

    let (done_tx, done_rx) = mpsc::channel();
    let mut pumps = 0;
    if let Some(stdout) = child.stdout.take() {
        spawn_pump(stdout, LogStreamKind::Stdout, log.clone(), done_tx.clone());
        pumps += 1;
    }
    if let Some(stderr) = child.stderr.take() {
        spawn_pump(stderr, LogStreamKind::Stderr, log.clone(), done_tx.clone());
        pumps += 1;
    }
    drop(done_tx);

    let status = child
        .wait()
        .map_err(|error| format!("cannot wait for pid {pid}: {error}"))?;
    // Give the pipes a moment to drain; leftover children holding them open
    // must not keep the shim (and the engine waiting for it) alive.
    let deadline = Instant::now() + PIPE_DRAIN_TIMEOUT;
    for _ in 0..pumps {
        let left = deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let code = exit_code(status);
    write_atomically(&paths.exit_file(), &format!("{code}\n"))
        .map_err(|error| format!("cannot write {}: {error}", paths.exit_file().display()))?;
    Ok(code)
}

/// Copies one pipe into the log, line by line, until EOF.
fn spawn_pump(
    pipe: impl Read + Send + 'static,
    stream: LogStreamKind,
    log: Arc<Mutex<RotatingLog>>,
    done: mpsc::Sender<()>,
) {
    let pump = move || {
        let mut reader = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match (&mut reader)
                .take(MAX_LINE_BYTES)
                .read_until(b'\n', &mut buf)
            {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            let line = String::from_utf8_lossy(&buf);
            let text = format_line(jiff::Timestamp::now(), stream, &line);
            let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A full disk must not block the replica: drop the line, keep reading.
            let _ = log.write_line(&text);
        }
        let _ = done.send(());
    };
    // Small stacks keep the shim small. Should the thread not start, the
    // closure (and with it the pipe) is dropped: the replica's writes then
    // fail instead of blocking on a full pipe.
    let _ = thread::Builder::new()
        .stack_size(PUMP_STACK_BYTES)
        .spawn(pump);
}

/// The exit code, or `128 + signal` for a process killed by a signal.
pub(crate) fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => -1,
    }
}
