//! A fixture repository with real history, and the checks every language
//! shares: rank 1 at the right file:line, the enclosing function, blame
//! from the index (commit and author), the flags the function refers to,
//! and no match from vendored or generated copies.

use daytwo_why::{DEFAULT_LIMIT, Index, IndexOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ADA: &str = "Ada Lovelace";
pub const BOB: &str = "Bob Barker";

/// A temporary git repository.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(ADA, &["init", "-q"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, text: &str) -> &Repo {
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Commits everything as `author`; the new commit's sha.
    pub fn commit(&self, author: &str, message: &str) -> String {
        self.git(author, &["add", "-A"]);
        self.git(author, &["commit", "-q", "-m", message]);
        let output = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    fn git(&self, author: &str, args: &[&str]) {
        let email = format!("{}@example.com", author.split(' ').next().unwrap());
        let output = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(["-c", &format!("user.name={author}")])
            .args(["-c", &format!("user.email={email}")])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
    }

    /// The index as `daytwo build` makes it: declared flags, blame.
    pub fn index(&self, flags: &[&str]) -> Index {
        Index::build_with(
            self.path(),
            &IndexOptions {
                flags: flags.iter().map(|flag| flag.to_string()).collect(),
                blame: true,
                threads: 0,
            },
        )
        .unwrap()
    }

    /// The 1-based line of `file` holding `needle` (exactly one must).
    pub fn line_of(&self, file: &str, needle: &str) -> u32 {
        let text = std::fs::read_to_string(self.path().join(file)).unwrap();
        let found: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains(needle))
            .map(|(index, _)| index + 1)
            .collect();
        assert_eq!(found.len(), 1, "{needle:?} in {file}: lines {found:?}");
        found[0] as u32
    }
}

/// One log line and where it must lead.
pub struct Case {
    /// The concrete line, as a process printed it.
    pub line: &'static str,
    pub file: &'static str,
    /// Text that marks the source line in `file`.
    pub needle: &'static str,
    pub function: Option<&'static str>,
    /// The commit that last changed the line, and its author.
    pub commit: &'static str,
    pub flags: &'static [&'static str],
}

/// Paths that must never be reported: vendored, generated, build output.
pub const SKIPPED: &[&str] = &[
    "vendor/",
    "node_modules/",
    "third_party/",
    "target/",
    "dist/",
    "build/",
    ".venv/",
    "generated",
    "_gen",
    ".min.js",
    "_pb2",
];

/// Every case maps to its file:line at rank 1 with its function, blame and
/// flags; no match at any rank comes from a skipped path. `commits` names
/// the fixture's commits (`"ada"`, `"bob"`) → (sha, author).
pub fn check(repo: &Repo, index: &Index, cases: &[Case], commits: &[(&str, &str, &str)]) {
    for case in cases {
        let matches = index.lookup(case.line, DEFAULT_LIMIT);
        let first = matches
            .first()
            .unwrap_or_else(|| panic!("no match for {:?}", case.line));
        let file: PathBuf = first.file.strip_prefix(repo.path()).unwrap().to_path_buf();
        let expected_line = repo.line_of(case.file, case.needle);
        assert_eq!(
            (file.as_path(), first.line),
            (Path::new(case.file), expected_line),
            "rank 1 for {:?}; all matches: {matches:#?}",
            case.line
        );
        assert_eq!(
            first.function.as_deref(),
            case.function,
            "function for {:?}",
            case.line
        );
        let (_, sha, author) = commits
            .iter()
            .find(|(name, _, _)| *name == case.commit)
            .expect("a known commit");
        assert_eq!(
            (first.commit.as_deref(), first.author.as_deref()),
            (Some(*sha), Some(*author)),
            "blame for {:?}",
            case.line
        );
        let flags: Vec<&str> = first.flags.iter().map(String::as_str).collect();
        assert_eq!(flags, case.flags, "flags for {:?}", case.line);
        for found in &matches {
            let path = found.relative_file.to_string_lossy();
            assert!(
                !SKIPPED.iter().any(|skipped| path.contains(skipped)),
                "{:?} matched skipped code {path}",
                case.line
            );
        }
    }
}
