//! Reading replica logs back for [`crate::Engine::logs`]: the existing lines
//! of the matching replicas (rotated files first, `since`/`tail` applied),
//! merged by time, then with `follow` the new lines as the shims write them.
//! A followed file is read through its open handle, so lines written just
//! before a rotation are not lost; then the new file is opened.

use crate::log_file::rotated;
use crate::log_line::{LogFilter, LogRecord, parse_line};
use crate::replica_dir::log_dir;
use daytwo_types::ReplicaKey;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// Records buffered between the reader and the consumer.
const CHANNEL_CAPACITY: usize = 1024;
/// How often followed files are checked for new lines.
const FOLLOW_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Starts the reader on a blocking thread.
pub(crate) fn spawn(home: PathBuf, filter: LogFilter) -> mpsc::Receiver<LogRecord> {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::task::spawn_blocking(move || read(&home, &filter, &tx));
    rx
}

/// A followed log file: its open handle and the partial last line.
struct Followed {
    key: ReplicaKey,
    path: PathBuf,
    file: File,
    partial: Vec<u8>,
}

fn read(home: &Path, filter: &LogFilter, tx: &mpsc::Sender<LogRecord>) {
    let mut followed: BTreeMap<PathBuf, Followed> = BTreeMap::new();
    let mut existing = Vec::new();
    for (key, path) in log_files(home, filter) {
        let mut records = Vec::new();
        for old in rotated_files(&path) {
            if let Ok(mut file) = File::open(&old) {
                read_records(&key, &mut file, &mut Vec::new(), &mut records);
            }
        }
        if let Ok(mut file) = File::open(&path) {
            let mut partial = Vec::new();
            read_records(&key, &mut file, &mut partial, &mut records);
            followed.insert(
                path.clone(),
                Followed {
                    key: key.clone(),
                    path,
                    file,
                    partial,
                },
            );
        }
        if let Some(since) = filter.since {
            records.retain(|record| record.ts >= since);
        }
        if let Some(tail) = filter.tail {
            let skip = records.len().saturating_sub(tail);
            records.drain(..skip);
        }
        existing.extend(records);
    }
    existing.sort_by_key(|record| record.ts);
    for record in existing {
        if tx.blocking_send(record).is_err() {
            return;
        }
    }
    if !filter.follow {
        return;
    }
    loop {
        std::thread::sleep(FOLLOW_POLL_INTERVAL);
        if tx.is_closed() {
            return;
        }
        // New replicas (scale up, first start) get followed from their start.
        for (key, path) in log_files(home, filter) {
            if !followed.contains_key(&path)
                && let Ok(file) = File::open(&path)
            {
                followed.insert(
                    path.clone(),
                    Followed {
                        key,
                        path,
                        file,
                        partial: Vec::new(),
                    },
                );
            }
        }
        let mut records = Vec::new();
        for follow in followed.values_mut() {
            read_records(
                &follow.key,
                &mut follow.file,
                &mut follow.partial,
                &mut records,
            );
            // Rotated: the path now names a new file. Our handle is drained.
            let rotated_away = match (std::fs::metadata(&follow.path), follow.file.metadata()) {
                (Ok(on_disk), Ok(ours)) => {
                    on_disk.ino() != ours.ino() || on_disk.dev() != ours.dev()
                }
                _ => false,
            };
            if rotated_away && let Ok(file) = File::open(&follow.path) {
                follow.file = file;
                follow.partial.clear();
                read_records(
                    &follow.key,
                    &mut follow.file,
                    &mut follow.partial,
                    &mut records,
                );
            }
        }
        records.sort_by_key(|record| record.ts);
        for record in records {
            if tx.blocking_send(record).is_err() {
                return;
            }
        }
    }
}

/// Reads from the current position to EOF, appending complete lines as
/// records; an incomplete last line stays in `partial`.
fn read_records(
    key: &ReplicaKey,
    file: &mut File,
    partial: &mut Vec<u8>,
    out: &mut Vec<LogRecord>,
) {
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return;
    }
    partial.extend_from_slice(&bytes);
    let Some(last_newline) = partial.iter().rposition(|b| *b == b'\n') else {
        return;
    };
    let complete: Vec<u8> = partial.drain(..=last_newline).collect();
    for line in String::from_utf8_lossy(&complete).lines() {
        if let Some((ts, stream, text)) = parse_line(line) {
            out.push(LogRecord {
                ts,
                key: key.clone(),
                stream,
                line: text.to_owned(),
            });
        }
    }
}

/// Current log files (`<process>.<n>.log`) of the replicas matching `filter`.
fn log_files(home: &Path, filter: &LogFilter) -> Vec<(ReplicaKey, PathBuf)> {
    let envs: Vec<String> = match &filter.env {
        Some(env) => vec![env.clone()],
        None => std::fs::read_dir(home.join("logs"))
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut files = Vec::new();
    for env in envs {
        let dir = log_dir(home, &env);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Some((process, index)) = name
                .strip_suffix(".log")
                .and_then(|stem| stem.rsplit_once('.'))
            else {
                continue;
            };
            let Ok(index) = index.parse::<u32>() else {
                continue;
            };
            if filter.process.as_deref().is_some_and(|p| p != process)
                || filter.replica.is_some_and(|r| r != index)
            {
                continue;
            }
            files.push((ReplicaKey::new(&env, process, index), entry.path()));
        }
    }
    files.sort();
    files
}

/// `x.log.N` … `x.log.1` that exist, oldest first.
fn rotated_files(path: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut n = 1;
    loop {
        let candidate = rotated(path, n);
        if !candidate.exists() {
            break;
        }
        files.push(candidate);
        n += 1;
    }
    files.reverse();
    files
}
