//! The `[checks] smoke` command of a deploy: `sh -c "<command>"` in the
//! release's directory, in its own process group, against one healthy,
//! unroutable candidate. It gets the daemon's environment plus:
//!
//! | variable | example |
//! |---|---|
//! | `DAYTWO_SMOKE_URL` | `http://127.0.0.1:41873` |
//! | `PORT` | `41873` |
//! | `DAYTWO_APP`, `DAYTWO_ENV` | `shop`, `prod` |
//! | `DAYTWO_RELEASE` | `1.4.0` (the version) |
//! | `DAYTWO_RELEASE_DIGEST` | `sha256:…` |
//!
//! Exit 0 within the timeout passes; anything else fails with the tail of
//! its combined output. On timeout the whole group is killed.

use daytwo_rollout::{ReleaseRef, SmokeCheck, SmokeResult};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::AsyncReadExt;

/// The most output kept for the failure report (its tail).
const SMOKE_OUTPUT_TAIL_BYTES: usize = 4096;

pub(crate) struct SmokeContext {
    pub(crate) port: u16,
    pub(crate) app: String,
    pub(crate) env: String,
    pub(crate) release: ReleaseRef,
    /// The release's working directory.
    pub(crate) dir: PathBuf,
}

pub(crate) async fn run_smoke(
    check: &SmokeCheck,
    context: &SmokeContext,
) -> std::io::Result<SmokeResult> {
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(&check.command)
        .current_dir(&context.dir)
        .env(
            "DAYTWO_SMOKE_URL",
            format!("http://127.0.0.1:{}", context.port),
        )
        .env("PORT", context.port.to_string())
        .env("DAYTWO_APP", &context.app)
        .env("DAYTWO_ENV", &context.env)
        .env("DAYTWO_RELEASE", &context.release.version)
        .env("DAYTWO_RELEASE_DIGEST", &context.release.digest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let run = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let (_, _, status) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
            child.wait()
        );
        out.extend_from_slice(&err);
        (status, out)
    };
    match tokio::time::timeout(check.timeout, run).await {
        Ok((status, output)) => {
            let status = status?;
            Ok(SmokeResult {
                passed: status.success(),
                output: tail(&output, &format!("exited with {status}")),
            })
        }
        Err(_) => {
            if let Some(pid) = pid {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            Ok(SmokeResult {
                passed: false,
                output: format!("timed out after {:?}", check.timeout),
            })
        }
    }
}

/// The output's last bytes (trimmed), or `fallback` when it printed nothing.
fn tail(output: &[u8], fallback: &str) -> String {
    let start = output.len().saturating_sub(SMOKE_OUTPUT_TAIL_BYTES);
    let text = String::from_utf8_lossy(&output[start..]).trim().to_string();
    if text.is_empty() {
        fallback.to_string()
    } else {
        format!("{text} ({fallback})")
    }
}
