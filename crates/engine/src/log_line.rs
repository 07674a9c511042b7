//! The line format of replica log files, shared by the shim (writer) and the
//! log reader: `<RFC 3339 UTC with milliseconds> <out|err> <line>`, e.g.
//! `2025-01-31T12:00:00.123Z out listening on 127.0.0.1:40123`.

use daytwo_types::ReplicaKey;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Which pipe of the replica a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStreamKind {
    Stdout,
    Stderr,
}

impl LogStreamKind {
    /// The word used in log files.
    pub fn file_tag(self) -> &'static str {
        match self {
            Self::Stdout => "out",
            Self::Stderr => "err",
        }
    }

    /// The name used in the API (`stdout` / `stderr`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

/// Which lines [`crate::Engine::logs`] returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    pub env: Option<String>,
    pub process: Option<String>,
    pub replica: Option<u32>,
    /// Only lines captured at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many of the newest existing lines per replica.
    pub tail: Option<usize>,
    /// After the existing lines, stream new ones until the receiver is dropped.
    pub follow: bool,
}

/// One captured line of one replica.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    pub ts: Timestamp,
    pub key: ReplicaKey,
    pub stream: LogStreamKind,
    pub line: String,
}

/// Formats one log file line, without the trailing newline.
pub(crate) fn format_line(ts: Timestamp, stream: LogStreamKind, line: &str) -> String {
    format!("{:.3} {} {line}", ts, stream.file_tag())
}

/// Parses one log file line (without newline); `None` for a malformed line.
pub(crate) fn parse_line(text: &str) -> Option<(Timestamp, LogStreamKind, &str)> {
    let (ts, rest) = text.split_once(' ')?;
    let ts: Timestamp = ts.parse().ok()?;
    let (tag, line) = match rest.split_once(' ') {
        Some((tag, line)) => (tag, line),
        None => (rest, ""),
    };
    let stream = match tag {
        "out" => LogStreamKind::Stdout,
        "err" => LogStreamKind::Stderr,
        _ => return None,
    };
    Some((ts, stream, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_milliseconds_and_parses_back() {
        let ts: Timestamp = "2025-01-31T12:00:00.123456Z".parse().unwrap();
        let text = format_line(ts, LogStreamKind::Stderr, "boom  here");
        assert_eq!(text, "2025-01-31T12:00:00.123Z err boom  here");
        let (parsed, stream, line) = parse_line(&text).unwrap();
        assert_eq!(parsed.to_string(), "2025-01-31T12:00:00.123Z");
        assert_eq!(stream, LogStreamKind::Stderr);
        assert_eq!(line, "boom  here");
    }

    #[test]
    fn empty_lines_survive_and_garbage_is_rejected() {
        let ts: Timestamp = "2025-01-31T12:00:00Z".parse().unwrap();
        let text = format_line(ts, LogStreamKind::Stdout, "");
        assert_eq!(parse_line(&text).unwrap().2, "");
        assert!(parse_line("not a log line").is_none());
        assert!(parse_line("2025-01-31T12:00:00Z xyz line").is_none());
    }
}
