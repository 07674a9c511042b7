//! The demo drives the real `daytwo` binary, command by command, the way
//! an operator would: every step is a CLI call with `--json`, against the
//! demo's own `DAYTWO_HOME`. Nothing is called behind the CLI's back.

use crate::DemoError;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// The `daytwo` executable, a state directory and the spec to use.
#[derive(Debug, Clone)]
pub struct DaytwoCli {
    pub exe: PathBuf,
    pub home: PathBuf,
    pub spec: PathBuf,
    /// Extra environment for every command (e.g. what the build reads).
    pub envs: Vec<(String, String)>,
}

/// One finished command.
#[derive(Debug)]
pub struct CommandOutput {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    /// The first JSON value of stdout (NDJSON commands: the last line).
    pub fn json(&self, command: &str) -> Result<Value, DemoError> {
        let text = self.stdout.trim();
        serde_json::from_str(text)
            .or_else(|_| {
                let last = text.lines().last().unwrap_or_default();
                serde_json::from_str(last)
            })
            .map_err(|error| DemoError::Step {
                step: command.to_string(),
                detail: format!("its output is not JSON ({error}): {}", excerpt(text)),
            })
    }
}

impl DaytwoCli {
    /// `daytwo --home HOME ARGS` with piped output, killed when dropped.
    fn spawn(&self, args: &[&str]) -> Result<tokio::process::Child, DemoError> {
        tokio::process::Command::new(&self.exe)
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("DAYTWO_HOME")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| DemoError::Step {
                step: display(args),
                detail: format!("cannot start {}: {error}", self.exe.display()),
            })
    }

    /// Runs `daytwo ARGS` (with `--home`), at most `limit`.
    pub async fn run(&self, args: &[&str], limit: Duration) -> Result<CommandOutput, DemoError> {
        let child = self.spawn(args)?;
        let output = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .map_err(|_| DemoError::Step {
                step: display(args),
                detail: format!("did not finish within {}s", limit.as_secs()),
            })?
            .map_err(|error| DemoError::Step {
                step: display(args),
                detail: error.to_string(),
            })?;
        Ok(CommandOutput {
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs a command that must succeed; its output.
    pub async fn ok(&self, args: &[&str], limit: Duration) -> Result<CommandOutput, DemoError> {
        let output = self.run(args, limit).await?;
        if output.status == Some(0) {
            Ok(output)
        } else {
            Err(DemoError::Step {
                step: display(args),
                detail: format!(
                    "exited with {:?}: {}",
                    output.status,
                    excerpt(&format!("{}\n{}", output.stderr, output.stdout))
                ),
            })
        }
    }

    /// Runs a command that must succeed with `--json`; its JSON.
    pub async fn json(&self, args: &[&str], limit: Duration) -> Result<Value, DemoError> {
        let mut with_json: Vec<&str> = args.to_vec();
        with_json.push("--json");
        self.ok(&with_json, limit).await?.json(&display(args))
    }

    /// Runs an NDJSON command (`deploy`, `promote` with `--json`), calling
    /// `on_line` with each JSON line as it arrives; the last line that
    /// carries a `record` is returned with the exit status.
    pub async fn stream(
        &self,
        args: &[&str],
        limit: Duration,
        mut on_line: impl FnMut(&Value),
    ) -> Result<(Option<i32>, Value), DemoError> {
        use tokio::io::AsyncBufReadExt;
        let step = display(args);
        let mut with_json: Vec<&str> = args.to_vec();
        with_json.push("--json");
        let mut child = self.spawn(&with_json)?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_task = tokio::spawn(async move {
            let mut text = String::new();
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let mut record = None;
        let read = async {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    on_line(&value);
                    if let Some(found) = value.get("record") {
                        record = Some(found.clone());
                    }
                }
            }
            child.wait().await
        };
        let status = tokio::time::timeout(limit, read)
            .await
            .map_err(|_| DemoError::Step {
                step: step.clone(),
                detail: format!("did not finish within {}s", limit.as_secs()),
            })?
            .map_err(|error| DemoError::Step {
                step: step.clone(),
                detail: error.to_string(),
            })?;
        let stderr = stderr_task.await.unwrap_or_default();
        let record = record.ok_or_else(|| DemoError::Step {
            step: step.clone(),
            detail: format!(
                "printed no result (exit {:?}): {}",
                status.code(),
                excerpt(&stderr)
            ),
        })?;
        Ok((status.code(), record))
    }

    /// `--spec <the demo's spec>` for commands that read it.
    pub fn spec_arg(&self) -> String {
        self.spec.display().to_string()
    }
}

/// `daytwo a b c` for messages.
pub fn display(args: &[&str]) -> String {
    format!("daytwo {}", args.join(" "))
}

/// The last lines of a command's output, for an error message.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    let start = lines.len().saturating_sub(12);
    lines[start..].join("\n")
}
