//! A concrete log line, reduced to its message: JSON lines give their
//! `msg`/`message` field (other string fields are kept as extra text); text
//! lines lose their timestamp, level and `[module]` prefixes.

use serde_json::Value;

const MESSAGE_KEYS: &[&str] = &["msg", "message", "MESSAGE", "Message", "event", "text"];
const LEVELS: &[&str] = &[
    "trace",
    "debug",
    "info",
    "information",
    "notice",
    "warn",
    "warning",
    "error",
    "err",
    "fatal",
    "critical",
    "crit",
    "panic",
];
const META_KEYS: &[&str] = &[
    "ts",
    "time",
    "timestamp",
    "level",
    "lvl",
    "severity",
    "target",
    "logger",
    "caller",
    "replica",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The message to match against templates.
    pub message: String,
    /// Other string values of a JSON line (fields a template may print).
    pub extra: Vec<String>,
}

/// Parses a raw log line.
pub fn parse(raw: &str) -> LogLine {
    let trimmed = raw.trim();
    if trimmed.starts_with('{')
        && let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(trimmed)
    {
        let message = MESSAGE_KEYS
            .iter()
            .find_map(|key| fields.get(*key).and_then(Value::as_str))
            .map(str::to_string);
        let extra: Vec<String> = fields
            .iter()
            .filter(|(key, _)| {
                !MESSAGE_KEYS.contains(&key.as_str()) && !META_KEYS.contains(&key.as_str())
            })
            .filter_map(|(_, value)| value.as_str().map(str::to_string))
            .collect();
        if let Some(message) = message {
            return LogLine { message, extra };
        }
        return LogLine {
            message: extra.join(" "),
            extra: Vec::new(),
        };
    }
    LogLine {
        message: strip_prefixes(trimmed).to_string(),
        extra: Vec::new(),
    }
}

/// Drops leading timestamps, levels, `[bracketed]` tags and `module::path:`
/// targets, one whitespace-separated token at a time.
pub fn strip_prefixes(line: &str) -> &str {
    let mut rest = line.trim_start();
    loop {
        let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..token_end];
        if token.is_empty() || token_end == rest.len() {
            return rest;
        }
        if is_prefix_token(token) {
            rest = rest[token_end..].trim_start();
        } else {
            return rest;
        }
    }
}

fn is_prefix_token(token: &str) -> bool {
    let bare = token
        .trim_start_matches(['[', '(', '<'])
        .trim_end_matches([']', ')', '>', ':', ',', '|']);
    let bracketed = token.starts_with('[') && token.ends_with([']', ':']);
    let timestamp = bare.starts_with(|c: char| c.is_ascii_digit())
        && bare.chars().any(|c| matches!(c, '-' | ':' | '/' | '.'))
        && bare
            .chars()
            .all(|c| c.is_ascii_digit() || "-:/.,TZ+".contains(c));
    let level = LEVELS.contains(&bare.to_ascii_lowercase().as_str())
        || bare.to_ascii_lowercase().starts_with("level=");
    let target = bare.contains("::") && token.ends_with(':');
    let key_value_time = bare.starts_with("ts=") || bare.starts_with("time=");
    bracketed || timestamp || level || target || key_value_time
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_give_their_message_and_other_string_fields() {
        let line = parse(
            r#"{"ts":"2026-01-01T00:00:00Z","level":"info","msg":"analytics buckets","entries":3,"path":"/cart"}"#,
        );
        assert_eq!(line.message, "analytics buckets");
        assert_eq!(line.extra, vec!["/cart".to_string()]);
    }

    #[test]
    fn text_lines_lose_timestamp_level_and_module_prefixes() {
        assert_eq!(
            parse("2026-11-27T04:00:00.123Z  INFO shop::web: order 42 paid").message,
            "order 42 paid"
        );
        assert_eq!(
            parse("[2026-11-27 04:00:00,123] [worker] WARNING: retry 3 of 5").message,
            "retry 3 of 5"
        );
        assert_eq!(
            parse("2026/11/27 04:00:00 worker 7 started").message,
            "worker 7 started"
        );
        assert_eq!(parse("info").message, "info");
    }
}
