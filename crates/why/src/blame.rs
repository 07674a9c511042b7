//! `git blame` (the git binary, porcelain format): the commit and author
//! that last changed a line. Outside a repository, or for uncommitted
//! lines, there is no blame.

use std::collections::HashMap;
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

/// `dir` is inside a git work tree.
pub fn in_work_tree(dir: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|output| output.status.success() && output.stdout.starts_with(b"true"))
}

/// Blames `lines` of `file` (relative to `root`) with one `git blame`: line
/// number → blame, without the uncommitted ones. An untracked file or any
/// git failure gives an empty map.
pub fn blame_lines(root: &Path, file: &Path, lines: &[u32]) -> HashMap<u32, Blame> {
    let mut sorted: Vec<u32> = lines.iter().copied().filter(|line| *line > 0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(root)
        .args(["blame", "--line-porcelain"]);
    for (first, last) in ranges(&sorted) {
        command.arg("-L").arg(format!("{first},{last}"));
    }
    let Ok(output) = command.arg("--").arg(file).output() else {
        return HashMap::new();
    };
    if !output.status.success() {
        return HashMap::new();
    }
    parse_line_porcelain(&String::from_utf8_lossy(&output.stdout))
}

/// Consecutive lines merged into `(first, last)` ranges.
fn ranges(sorted: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &line in sorted {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == line => *last = line,
            _ => out.push((line, line)),
        }
    }
    out
}

/// `--line-porcelain`: every line's block starts with `<sha> <orig> <final>
/// [<count>]` and repeats the commit's headers.
fn parse_line_porcelain(text: &str) -> HashMap<u32, Blame> {
    let mut out = HashMap::new();
    let mut current: Option<(String, u32)> = None;
    for line in text.lines() {
        if line.starts_with('\t') {
            current = None;
            continue;
        }
        let mut words = line.split(' ');
        let first = words.next().unwrap_or_default();
        if first.len() == 40 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
            let final_line = words.nth(1).and_then(|n| n.parse().ok());
            current = final_line.map(|n| (first.to_string(), n));
        } else if let (Some(author), Some((commit, number))) =
            (line.strip_prefix("author "), &current)
            && commit != UNCOMMITTED
        {
            out.insert(
                *number,
                Blame {
                    commit: commit.clone(),
                    author: author.to_string(),
                },
            );
        }
    }
    out
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
    fn line_porcelain_gives_each_line_its_commit_and_author() {
        let a = "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b";
        let text = format!(
            "{a} 3 3 2\nauthor Ada Lovelace\nauthor-mail <ada@example.com>\nsummary x\n\tinfo!(\"x\");\n{a} 4 4\nauthor Ada Lovelace\n\tinfo!(\"y\");\n{UNCOMMITTED} 9 9 1\nauthor Not Committed Yet\n\tinfo!(\"z\");\n"
        );
        let blamed = parse_line_porcelain(&text);
        assert_eq!(blamed.len(), 2);
        assert_eq!(blamed[&4].commit, a);
        assert_eq!(blamed[&3].author, "Ada Lovelace");
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), vec![(1, 3), (7, 7), (9, 10)]);
    }

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
