//! `git blame` of one line (the git binary, porcelain format): the commit and
//! author that last changed it. Outside a repository, or for uncommitted
//! lines, there is no blame.

use std::path::Path;
use std::process::Command;

const UNCOMMITTED: &str = "0000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blame {
    pub commit: String,
    pub author: String,
}

/// Blames line `line` of `file` with the repository that contains it.
pub fn blame_line(file: &Path, line: u32) -> Option<Blame> {
    let dir = file.parent().filter(|dir| !dir.as_os_str().is_empty())?;
    let name = file.file_name()?;
    let range = format!("{line},{line}");
    let output = Command::new("git")
        .current_dir(dir)
        .args(["blame", "--porcelain", "-L", &range, "--"])
        .arg(name)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    parse_porcelain(&String::from_utf8_lossy(&output.stdout))
}

fn parse_porcelain(text: &str) -> Option<Blame> {
    let mut lines = text.lines();
    let commit = lines.next()?.split_whitespace().next()?.to_string();
    if commit == UNCOMMITTED {
        return None;
    }
    let author = lines
        .find_map(|line| line.strip_prefix("author "))
        .unwrap_or_default()
        .to_string();
    Some(Blame { commit, author })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_gives_commit_and_author_and_uncommitted_gives_none() {
        let text = "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b 3 3 1\nauthor Ada Lovelace\nauthor-mail <ada@example.com>\n\tinfo!(\"x\");\n";
        assert_eq!(
            parse_porcelain(text),
            Some(Blame {
                commit: "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b".into(),
                author: "Ada Lovelace".into()
            })
        );
        assert_eq!(
            parse_porcelain(&format!("{UNCOMMITTED} 1 1 1\nauthor Not Committed Yet\n")),
            None
        );
    }
}
