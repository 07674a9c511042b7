//! A concrete log line, reduced to its message: JSON lines give their
//! `msg`/`message` field (other string fields are kept as extra text);
//! logfmt lines (`level=info msg="…"`) their `msg`; text lines lose their
//! timestamp, level, `[module]` and `daytwo logs` prefixes
//! (`04:00:00.123 prod/web.1 | …`, `<RFC 3339> out …`), after which a JSON
//! or logfmt rest is parsed as such.

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

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogLine {
    /// The message to match against templates.
    pub message: String,
    /// Other string values of a JSON line (fields a template may print).
    pub extra: Vec<String>,
    /// For a text line whose prefix stripping removed words (a level, a
    /// `path::like:` module target, a span): the message with some or all
    /// of them kept, longest first, since they may be the message's own
    /// start (`error = {:?}`, `Parser::parse: negative number`). Timestamps
    /// and brackets always go.
    pub alternatives: Vec<String>,
}

/// At most this many alternatives are kept.
const MAX_ALTERNATIVES: usize = 6;

impl LogLine {
    /// The message and its alternatives.
    pub fn messages(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.message.as_str()).chain(self.alternatives.iter().map(String::as_str))
    }

    /// The longest text to take tokens from (it holds every other).
    pub fn widest(&self) -> &str {
        self.alternatives.first().unwrap_or(&self.message)
    }
}

/// Parses a raw log line.
pub fn parse(raw: &str) -> LogLine {
    let trimmed = raw.trim();
    if let Some(line) = parse_json(trimmed) {
        return line;
    }
    let rest = strip_prefixes(trimmed);
    // daytwo's log files: `<RFC 3339> out|err <line>`; a plain-text rest
    // keeps the word (it may be the message's first word, and a
    // non-matching prefix costs little in the score).
    let json_rest = ["out ", "err "]
        .iter()
        .find_map(|stream| rest.strip_prefix(stream))
        .unwrap_or(rest);
    if let Some(line) = parse_json(json_rest.trim_start()) {
        return line;
    }
    if let Some(message) = logfmt_message(rest) {
        return LogLine {
            message,
            ..LogLine::default()
        };
    }
    LogLine {
        message: rest.to_string(),
        extra: Vec::new(),
        alternatives: alternatives(strip(trimmed, false), rest),
    }
}

/// The suffixes of `kept` (the line without timestamps and brackets) that
/// start at a word and are longer than `message` (its fully stripped end).
fn alternatives(kept: &str, message: &str) -> Vec<String> {
    let Some(cut) = kept.len().checked_sub(message.len()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < cut && out.len() < MAX_ALTERNATIVES {
        out.push(kept[start..].to_string());
        let Some(space) = kept[start..].find(char::is_whitespace) else {
            break;
        };
        let next = start + space;
        start = next + (kept[next..].len() - kept[next..].trim_start().len());
    }
    out
}

/// A JSON object line: its message field, else its other string fields.
/// `daytwo logs --json` wraps the app's line in `line`: that is parsed in
/// turn.
fn parse_json(text: &str) -> Option<LogLine> {
    if !text.starts_with('{') {
        return None;
    }
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    if let Some(inner) = fields.get("line").and_then(Value::as_str)
        && fields.contains_key("replica")
    {
        return Some(parse(inner));
    }
    // tracing-subscriber's JSON puts the message in `fields`.
    let nested = fields.get("fields").and_then(Value::as_object);
    let message = MESSAGE_KEYS
        .iter()
        .find_map(|key| {
            fields
                .get(*key)
                .or_else(|| nested.and_then(|nested| nested.get(*key)))
                .and_then(Value::as_str)
        })
        .map(str::to_string);
    let extra: Vec<String> = fields
        .iter()
        .filter(|(key, _)| {
            !MESSAGE_KEYS.contains(&key.as_str()) && !META_KEYS.contains(&key.as_str())
        })
        .filter_map(|(_, value)| value.as_str().map(str::to_string))
        .collect();
    Some(match message {
        Some(message) => LogLine {
            message,
            extra,
            alternatives: Vec::new(),
        },
        None => LogLine {
            message: extra.join(" "),
            ..LogLine::default()
        },
    })
}

/// `msg="order 42 paid" id=42` or `msg=started`: the `msg`/`message` value
/// of a logfmt line (Go's slog text handler, logrus, zap's logfmt).
fn logfmt_message(text: &str) -> Option<String> {
    for key in ["msg=", "message="] {
        let mut search = 0;
        while let Some(found) = text[search..].find(key) {
            let at = search + found;
            search = at + key.len();
            if at > 0 && !text[..at].ends_with(' ') {
                continue;
            }
            let value = &text[at + key.len()..];
            if let Some(quoted) = value.strip_prefix('"') {
                let mut out = String::new();
                let mut chars = quoted.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => return Some(out),
                        c => out.push(c),
                    }
                }
                return Some(out);
            }
            return Some(value.split(' ').next().unwrap_or_default().to_string());
        }
    }
    None
}

/// Drops leading timestamps, levels, `[bracketed]` tags, `module::path:`
/// targets and the `env/process.N |` of `daytwo logs`, one
/// whitespace-separated token at a time.
pub fn strip_prefixes(line: &str) -> &str {
    strip(line, true)
}

/// [`strip_prefixes`]; `words`: also levels, `module::path:` and span
/// tokens (else only timestamps, brackets and `daytwo logs` prefixes).
fn strip(line: &str, words: bool) -> &str {
    let mut rest = line.trim_start();
    loop {
        let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..token_end];
        if token.is_empty() || token_end == rest.len() {
            return rest;
        }
        let after = rest[token_end..].trim_start();
        // `prod/web.1 | text` (daytwo logs) or `web.1 | text`; logback's
        // `shop.Checkout - text`.
        let dotted_logger = token.contains('.') && !token.ends_with('.');
        if let Some(text) = after
            .strip_prefix("| ")
            .or_else(|| after.strip_prefix("- ").filter(|_| dotted_logger))
        {
            rest = text.trim_start();
            continue;
        }
        // Python's default format: `INFO:billing.api:charging card …`.
        if words
            && let Some((level, tail)) = rest.split_once(':')
            && LEVELS.contains(&level.to_ascii_lowercase().as_str())
            && level.chars().all(|c| c.is_ascii_uppercase())
            && let Some((logger, message)) = tail.split_once(':')
            && !logger.is_empty()
            && logger
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_'))
        {
            rest = message.trim_start();
            continue;
        }
        if token == "|" || is_prefix_token(token, words) {
            rest = after;
        } else {
            return rest;
        }
    }
}

/// A date or time: digits with `-`, `:` or `/` (`2026-11-27T04:00:00Z`,
/// `04:00:00.123`, `2026/11/27`), at least 8 characters; `3.14` is a value.
fn is_timestamp(token: &str) -> bool {
    let bare = token
        .trim_start_matches(['[', '(', '<'])
        .trim_end_matches([']', ')', '>', ':', ',', '|']);
    bare.len() >= 8
        && bare.starts_with(|c: char| c.is_ascii_digit())
        && bare.chars().any(|c| matches!(c, '-' | ':' | '/'))
        && bare
            .chars()
            .all(|c| c.is_ascii_digit() || "-:/.,TZ+".contains(c))
}

fn is_prefix_token(token: &str, words: bool) -> bool {
    let bare = token
        .trim_start_matches(['[', '(', '<'])
        .trim_end_matches([']', ')', '>', ':', ',', '|']);
    let bracketed = token.starts_with('[') && token.ends_with([']', ':']);
    let timestamp = is_timestamp(token);
    let level = words
        && (LEVELS.contains(&bare.to_ascii_lowercase().as_str())
            || bare.to_ascii_lowercase().starts_with("level="));
    let target = words && bare.contains("::") && token.ends_with(':');
    // A tracing span: `run_job{job=17}:`.
    let span = words && token.contains('{') && token.ends_with("}:");
    let key_value_time = bare.starts_with("ts=") || bare.starts_with("time=");
    bracketed || timestamp || level || target || span || key_value_time
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

    #[test]
    fn stripped_words_are_kept_in_the_alternatives() {
        let line = parse("2026-11-27T04:00:00Z DEBUG Parser::parse_short_arg: negative number");
        assert_eq!(line.message, "negative number");
        assert_eq!(
            line.alternatives,
            vec![
                "DEBUG Parser::parse_short_arg: negative number".to_string(),
                "Parser::parse_short_arg: negative number".to_string()
            ]
        );
        assert_eq!(
            parse("2026-11-27T04:00:00Z INFO app::db: error = timeout").alternatives,
            vec![
                "INFO app::db: error = timeout".to_string(),
                "app::db: error = timeout".to_string(),
                "error = timeout".to_string()
            ]
        );
        assert!(parse("[worker] order 42 paid").alternatives.is_empty());
        assert_eq!(parse("3.14 already exists").message, "3.14 already exists");
    }

    #[test]
    fn daytwo_logs_prefixes_and_json_or_logfmt_after_them() {
        assert_eq!(
            parse("04:00:00.123 prod/web.1 | worker 7 started").message,
            "worker 7 started"
        );
        assert_eq!(
            parse(r#"2026-11-27T04:00:00.123Z out {"level":"info","msg":"cache warmed"}"#).message,
            "cache warmed"
        );
        assert_eq!(
            parse(r#"04:00:00.123 dev/web.2 | {"msg":"analytics buckets","entries":3}"#).message,
            "analytics buckets"
        );
        assert_eq!(
            parse(r#"{"ts":"…","env":"dev","replica":1,"stream":"stdout","line":"{\"msg\":\"queue drained\"}"}"#)
                .message,
            "queue drained"
        );
        assert_eq!(
            parse("2026-11-27T04:00:00Z out of memory while sorting").message,
            "out of memory while sorting"
        );
    }

    #[test]
    fn library_formats_python_logback_and_tracing_json() {
        assert_eq!(
            parse("WARNING:billing.api:charge of 120 over limit 100").message,
            "charge of 120 over limit 100"
        );
        assert_eq!(
            parse("04:00:00.123 [main] INFO  shop.Checkout - charging card ending 4242").message,
            "charging card ending 4242"
        );
        assert_eq!(
            parse("build - done in 3s").message,
            "build - done in 3s",
            "only a dotted logger name before ` - ` is a prefix"
        );
        assert_eq!(
            parse(r#"{"timestamp":"2026-11-27T04:00:00Z","level":"INFO","fields":{"message":"analytics buckets","entries":3},"target":"shop::analytics"}"#)
                .message,
            "analytics buckets"
        );
    }

    #[test]
    fn logfmt_lines_give_their_msg() {
        assert_eq!(
            parse(r#"time=2026-11-27T04:00:00Z level=INFO msg="order 42 paid" id=42"#).message,
            "order 42 paid"
        );
        assert_eq!(parse("level=warn msg=draining").message, "draining");
        assert_eq!(
            parse(r#"ts=1 msg="say \"hi\" now""#).message,
            r#"say "hi" now"#
        );
    }
}
