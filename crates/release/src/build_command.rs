//! Runs `[build] command` with `sh -c` in the spec's directory, capturing its
//! stdout and stderr together (one pipe, so lines keep their order).

use crate::error::ReleaseError;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

/// Lines of output kept in a failed build's error.
pub const FAILED_BUILD_LINES: usize = 20;

/// Runs `command`; returns its combined output on success.
pub(crate) fn run(command: &str, dir: &Path) -> Result<String, ReleaseError> {
    let start_error = |source| ReleaseError::BuildCommandStart {
        command: command.to_string(),
        source,
    };
    let (mut reader, writer) = std::io::pipe().map_err(start_error)?;
    let mut child = {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(writer.try_clone().map_err(start_error)?)
            .stderr(writer);
        cmd.spawn().map_err(start_error)?
        // `cmd` and its copies of the pipe's write end are dropped here, so
        // reading ends when the command (and its children) close theirs.
    };
    let mut bytes = Vec::new();
    let read = reader.read_to_end(&mut bytes);
    let status = child.wait().map_err(start_error)?;
    read.map_err(start_error)?;
    let output = String::from_utf8_lossy(&bytes).into_owned();
    if status.success() {
        return Ok(output);
    }
    let lines: Vec<&str> = output.lines().collect();
    let last_lines = lines[lines.len().saturating_sub(FAILED_BUILD_LINES)..]
        .iter()
        .map(|l| l.to_string())
        .collect();
    let status_text = match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => {
            use std::os::unix::process::ExitStatusExt;
            format!(
                "was killed by signal {}",
                status.signal().unwrap_or_default()
            )
        }
    };
    Err(ReleaseError::BuildCommandFailed {
        command: command.to_string(),
        code: status.code(),
        status: status_text,
        last_lines,
    })
}
