//! The commits between two releases' source commits (`git log old..new`).

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, Stdio};

/// Field separator in the `git log` format (ASCII unit separator).
const FIELD_SEPARATOR: char = '\u{1f}';
/// `git log --format` of one commit: hash, author, date, subject.
const LOG_FORMAT: &str = "--format=%H%x1f%an%x1f%aI%x1f%s";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub hash: String,
    pub author: String,
    /// Author date, ISO 8601.
    pub date: String,
    pub subject: String,
}

/// What is known about the commits between two releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CommitLog {
    /// Newest first.
    Listed { commits: Vec<Commit> },
    /// Why the commits cannot be listed (no repository, a release without a
    /// git commit, a commit the repository does not have…).
    Unknown { reason: String },
}

impl CommitLog {
    pub fn commits(&self) -> &[Commit] {
        match self {
            Self::Listed { commits } => commits,
            Self::Unknown { .. } => &[],
        }
    }
}

/// `git log old..new` in `repo` (`old` `None`: the whole history of `new`).
pub fn commits_between(repo: &Path, old: Option<&str>, new: &str) -> CommitLog {
    let range = match old {
        Some(old) => format!("{old}..{new}"),
        None => new.to_string(),
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", LOG_FORMAT, &range, "--"])
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            return CommitLog::Unknown {
                reason: format!("git could not run: {error}"),
            };
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("git log failed").trim();
        return CommitLog::Unknown {
            reason: format!("git log {range} in {}: {first}", repo.display()),
        };
    }
    let commits = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(4, FIELD_SEPARATOR);
            Some(Commit {
                hash: fields.next()?.to_string(),
                author: fields.next()?.to_string(),
                date: fields.next()?.to_string(),
                subject: fields.next()?.to_string(),
            })
        })
        .collect();
    CommitLog::Listed { commits }
}
