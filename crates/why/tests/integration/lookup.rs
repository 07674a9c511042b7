//! End to end: a temporary git repository with sources in all five
//! languages; concrete log lines map to the right file:line at rank 1, with
//! the commit and author of the line.

use daytwo_why::{DEFAULT_LIMIT, Index};
use std::path::Path;
use std::process::Command;

const FILES: &[(&str, &str)] = &[
    (
        "src/orders.rs",
        "pub fn pay(id: u64) {\n    tracing::info!(id, \"order {id} paid by {}\", user);\n    tracing::warn!(\"payment retry {} of {}\", n, max);\n}\n",
    ),
    (
        "worker/sync.py",
        "import logging\nlog = logging.getLogger(__name__)\n\ndef sync(rows):\n    log.info(\"synced %d rows from %s\", len(rows), src)\n    print(f\"sync finished in {elapsed:.2f}s\")\n",
    ),
    (
        "cmd/server/main.go",
        "package main\n\nfunc (s *Server) Start() {\n\tlog.Printf(\"listening on %s with %d workers\", addr, n)\n\tslog.Info(\"cache warmed\", \"keys\", k)\n}\n",
    ),
    (
        "web/ship.ts",
        "export async function ship(order) {\n  console.log(`shipping order ${order.id} via ${carrier}`);\n  logger.error('carrier timeout after %d ms', ms);\n}\n",
    ),
    (
        "billing/Charge.java",
        "class Charge {\n  public void charge(Order o) {\n    log.info(\"charging card ending {} for order {}\", last4, o.id());\n    log.error(String.format(\"card declined: %s\", reason));\n  }\n}\n",
    ),
    (
        "node_modules/dep/index.js",
        "console.log(`shipping order ${x} via ${y}`);\n",
    ),
];

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in FILES {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "seed"]);
    dir
}

fn best(index: &Index, root: &Path, line: &str) -> (String, u32) {
    let matches = index.lookup(line, DEFAULT_LIMIT);
    let first = matches
        .first()
        .unwrap_or_else(|| panic!("no match for {line:?}"));
    let file = first.file.strip_prefix(root).unwrap().display().to_string();
    (file, first.line)
}

#[test]
fn concrete_lines_in_every_language_map_to_their_source_line_first() {
    let repo = repository();
    let root = repo.path();
    let index = Index::build(root).unwrap();
    let cases = [
        ("order 42 paid by alice", "src/orders.rs", 2),
        ("payment retry 2 of 5", "src/orders.rs", 3),
        ("synced 120 rows from postgres", "worker/sync.py", 5),
        ("sync finished in 0.42s", "worker/sync.py", 6),
        ("listening on :8080 with 4 workers", "cmd/server/main.go", 4),
        ("cache warmed", "cmd/server/main.go", 5),
        ("shipping order 17 via ups", "web/ship.ts", 2),
        ("carrier timeout after 3000 ms", "web/ship.ts", 3),
        (
            "charging card ending 4242 for order 9",
            "billing/Charge.java",
            3,
        ),
        (
            "card declined: insufficient funds",
            "billing/Charge.java",
            4,
        ),
    ];
    for (line, file, number) in cases {
        assert_eq!(
            best(&index, root, line),
            (file.to_string(), number),
            "{line}"
        );
    }
}

#[test]
fn matches_carry_function_commit_and_author() {
    let repo = repository();
    let index = Index::build(repo.path()).unwrap();
    let found = index.lookup("listening on :80 with 2 workers", 1)[0]
        .clone()
        .with_blame();
    assert_eq!(found.function.as_deref(), Some("Start"));
    assert_eq!(found.author.as_deref(), Some("Ada Lovelace"));
    assert_eq!(found.commit.as_ref().map(String::len), Some(40));
    assert_eq!(found.release, None);
    assert!(found.score > 0.0 && found.score <= 1.0);
}

#[test]
fn prefixed_and_json_lines_match_by_their_message() {
    let repo = repository();
    let root = repo.path();
    let index = Index::build(root).unwrap();
    assert_eq!(
        best(
            &index,
            root,
            "2026-11-27T04:00:00.123Z  WARN app::orders: payment retry 3 of 5"
        ),
        ("src/orders.rs".to_string(), 3)
    );
    assert_eq!(
        best(
            &index,
            root,
            r#"{"time":"2026-11-27T04:00:00Z","level":"INFO","msg":"cache warmed","keys":10}"#
        ),
        ("cmd/server/main.go".to_string(), 5)
    );
}

#[test]
fn shop_json_log_line_finds_the_analytics_source_line() {
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop");
    let index = Index::build(&shop).unwrap();
    let matches = index.lookup(
        r#"{"ts":"2026-11-27T04:00:00Z","level":"info","msg":"analytics buckets","entries":3,"bytes":49152,"minutes":1,"replica":"dev/web.1"}"#,
        DEFAULT_LIMIT,
    );
    let first = &matches[0];
    assert!(first.file.ends_with("src/analytics.rs"), "{matches:#?}");
    let source = std::fs::read_to_string(&first.file).unwrap();
    let line = source.lines().nth(first.line as usize - 1).unwrap();
    assert!(line.contains("\"analytics buckets\""), "{line}");
}

#[test]
fn unrelated_lines_and_vendored_code_do_not_match() {
    let repo = repository();
    let index = Index::build(repo.path()).unwrap();
    assert!(
        index
            .lookup("zebra quantum xylophone", DEFAULT_LIMIT)
            .is_empty()
    );
    let shipping = index.lookup("shipping order 1 via dhl", DEFAULT_LIMIT);
    assert!(
        shipping
            .iter()
            .all(|found| !found.file.to_string_lossy().contains("node_modules"))
    );
}

#[test]
fn outside_a_repository_there_is_no_blame() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.py"),
        "def f():\n    print(f\"hello {name}\")\n",
    )
    .unwrap();
    let index = Index::build(dir.path()).unwrap();
    let found = index.lookup("hello world", 1)[0].clone().with_blame();
    assert_eq!((found.line, found.commit), (2, None));
}
