//! The spec directory's git state: the default version (`git describe`),
//! the commit and whether tracked files were modified. No git, or no
//! repository, simply means "unknown".

use crate::manifest::GitInfo;
use std::path::Path;
use std::process::{Command, Stdio};

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// `git describe --tags --always --dirty`, when `dir` is in a repository
/// with at least one commit.
pub(crate) fn describe(dir: &Path) -> Option<String> {
    git(dir, &["describe", "--tags", "--always", "--dirty"]).filter(|v| !v.is_empty())
}

/// The commit checked out in `dir` and whether tracked files differ from it.
pub(crate) fn info(dir: &Path) -> Option<GitInfo> {
    let commit = git(dir, &["rev-parse", "HEAD"])?;
    let status = git(dir, &["status", "--porcelain", "--untracked-files=no"])?;
    Some(GitInfo {
        commit,
        dirty: !status.is_empty(),
    })
}
