//! Log capture by the shim: timestamped stdout/stderr lines, size-based
//! rotation, and reading them back (tail, follow across rotations).

use crate::support::*;
use daytwo_engine::{LogFilter, LogStreamKind};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_and_stderr_lines_are_captured_with_timestamps() {
    let h = Harness::new();
    let worker = process(
        "worker",
        "echo to-stdout; echo to-stderr >&2; exec sleep 600",
    );
    let started = h
        .engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    let records = h.wait_log_line(&k, "to-stderr").await;
    let records = if records.iter().any(|r| r.line == "to-stdout") {
        records
    } else {
        h.wait_log_line(&k, "to-stdout").await
    };

    let out = records.iter().find(|r| r.line == "to-stdout").unwrap();
    let err = records.iter().find(|r| r.line == "to-stderr").unwrap();
    assert_eq!(out.stream, LogStreamKind::Stdout);
    assert_eq!(err.stream, LogStreamKind::Stderr);
    assert_eq!(out.key, k);
    let age = jiff::Timestamp::now().duration_since(out.ts);
    assert!(age.as_secs() < 60, "timestamp is current: {}", out.ts);

    // The file format: `<RFC 3339 UTC with ms> <out|err> <line>`.
    let text = std::fs::read_to_string(&started[0].log_path).unwrap();
    let line = text
        .lines()
        .find(|l| l.ends_with(" out to-stdout"))
        .unwrap();
    let (ts, _) = line.split_once(' ').unwrap();
    assert!(
        ts.ends_with('Z') && ts.len() == "2025-01-01T00:00:00.000Z".len(),
        "{line}"
    );
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_files_rotate_by_size_keeping_the_configured_number() {
    let h = Harness::with_config(|config| {
        config.log_max_bytes = 2000;
        config.log_keep = 2;
    });
    let worker = process(
        "worker",
        "python3 -u -c 'for i in range(300): print(\"line %04d\" % i + \" x\" * 10)'; exec sleep 600",
    );
    let started = h
        .engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    h.wait_log_line(&k, "line 0299").await;

    let log = &started[0].log_path;
    let rotated = |n: u32| log.with_file_name(format!("worker.1.log.{n}"));
    assert!(rotated(1).exists() && rotated(2).exists());
    assert!(!rotated(3).exists(), "only log_keep rotated files are kept");
    for path in [log.clone(), rotated(1), rotated(2)] {
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= 2000, "{} has {size} bytes", path.display());
    }

    // Reading back returns the kept lines in order, newest last.
    let records = h
        .log_records(LogFilter {
            env: Some("test".to_owned()),
            ..LogFilter::default()
        })
        .await;
    let numbers: Vec<u32> = records
        .iter()
        .map(|r| r.line[5..9].parse().unwrap())
        .collect();
    assert_eq!(*numbers.last().unwrap(), 299);
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");

    let tail = h
        .log_records(LogFilter {
            env: Some("test".to_owned()),
            tail: Some(3),
            ..LogFilter::default()
        })
        .await;
    let tail: Vec<&str> = tail.iter().map(|r| &r.line[..9]).collect();
    assert_eq!(tail, ["line 0297", "line 0298", "line 0299"]);
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_streams_new_lines_across_rotations_without_losing_any() {
    let h = Harness::with_config(|config| {
        config.log_max_bytes = 1500;
        config.log_keep = 10;
    });
    let worker = process(
        "worker",
        "python3 -u -c 'import time\nfor i in range(120):\n    print(\"tick %04d\" % i)\n    time.sleep(0.01)'; exec sleep 600",
    );
    let mut follow = h.engine.logs(LogFilter {
        env: Some("test".to_owned()),
        process: Some("worker".to_owned()),
        follow: true,
        ..LogFilter::default()
    });
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();

    let mut numbers = Vec::new();
    while numbers.len() < 120 {
        let record = tokio::time::timeout(Duration::from_secs(10), follow.recv())
            .await
            .expect("a followed line within 10s")
            .unwrap();
        numbers.push(record.line[5..9].parse::<u32>().unwrap());
    }
    assert_eq!(numbers, (0..120).collect::<Vec<u32>>());
    let log = h.replica(&key("worker", 1)).unwrap().log_path;
    assert!(
        log.with_file_name("worker.1.log.1").exists(),
        "the log did rotate"
    );
    drop(follow);
    h.down("test").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_filters_out_older_lines() {
    let h = Harness::new();
    let worker = process("worker", "echo early; sleep 0.5; echo late; exec sleep 600");
    h.engine
        .up(h.spec(vec![worker]), RELEASE.to_owned())
        .await
        .unwrap();
    let k = key("worker", 1);
    let records = h.wait_log_line(&k, "late").await;
    let late = records.iter().find(|r| r.line == "late").unwrap().ts;
    let since = h
        .log_records(LogFilter {
            env: Some("test".to_owned()),
            since: Some(late),
            ..LogFilter::default()
        })
        .await;
    let lines: Vec<&str> = since.iter().map(|r| r.line.as_str()).collect();
    assert_eq!(lines, ["late"]);
    h.down("test").await;
}
