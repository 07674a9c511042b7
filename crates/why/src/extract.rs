//! Extraction: the log-message templates of one source file.
//!
//! A string literal is a template when it has format placeholders, or when it
//! is an argument of a logging call (`info!(…)`, `log.Printf(…)`,
//! `logger.info(…)`, `console.log(…)`) or the value of a structured-log
//! message field (`"msg": …`, `message=…`).

use crate::flags::referenced;
use crate::function::{function_spans, innermost_per_line};
use crate::language::Language;
use crate::literal::{Literal, lex};
use crate::placeholder::shape;
use crate::template::Template;
use std::path::Path;

/// Literals longer than this are help texts or embedded documents, not log
/// messages.
pub const MAX_TEMPLATE_LEN: usize = 400;
/// How far before a literal we look for the logging call it belongs to.
const CALL_CONTEXT_BYTES: usize = 240;

const LOG_CALLS: &[&str] = &[
    "info!(",
    "warn!(",
    "error!(",
    "debug!(",
    "trace!(",
    "event!(",
    "println!(",
    "eprintln!(",
    "print!(",
    "eprint!(",
    "panic!(",
    "bail!(",
    "anyhow!(",
    "log::",
    "log.",
    "logger.",
    "logging.",
    "console.",
    "slog.",
    "zap.",
    "klog.",
    "fmt.print",
    "fmt.errorf(",
    "errors.new(",
    "print(",
    "printf(",
    "println(",
    ".info(",
    ".warn(",
    ".warning(",
    ".error(",
    ".debug(",
    ".trace(",
    ".fatal(",
    ".critical(",
    ".exception(",
    ".msg(",
    ".msgf(",
    ".infof(",
    ".errorf(",
    ".warnf(",
    ".debugf(",
    ".infow(",
    ".errorw(",
    ".warnw(",
];

const MESSAGE_FIELDS: &[&str] = &[
    "\"msg\":",
    "\"message\":",
    "'msg':",
    "'message':",
    "msg=",
    "message=",
    "msg:",
    "message:",
    "\"msg\",",
    "\"message\",",
];

/// The templates of one file; `display_path` is what matches report and
/// `declared_flags` are the spec's flag names (see [`crate::flags`]).
pub fn templates(
    language: Language,
    display_path: &Path,
    source: &str,
    declared_flags: &[String],
) -> Vec<Template> {
    let lexed = lex(language, source);
    let spans = function_spans(language, &lexed.masked);
    let line_count = source.lines().count();
    let innermost = innermost_per_line(&spans, line_count);
    let mut span_flags: Vec<Option<Vec<String>>> = vec![None; spans.len()];
    let mut found = Vec::new();
    for (number, literal) in lexed.literals.iter().enumerate() {
        if literal.text.len() > MAX_TEMPLATE_LEN {
            continue;
        }
        let shape = shape(language, literal.kind, &literal.text);
        let has_words = shape
            .fragments
            .iter()
            .any(|fragment| fragment.chars().filter(|c| c.is_alphabetic()).count() >= 3);
        if !has_words {
            continue;
        }
        let message_field = is_message_field(source, literal);
        let is_template = message_field
            || shape.placeholders > 0
            || (in_log_call(&lexed.masked, literal)
                && !is_named_argument(&lexed.masked, literal)
                && first_positional(&lexed.masked, &lexed.literals, number));
        if !is_template {
            continue;
        }
        let function = innermost.get(literal.line as usize).copied().flatten();
        let flags = match function {
            Some(id) => span_flags[id]
                .get_or_insert_with(|| {
                    let span = &spans[id];
                    referenced(
                        source,
                        &lexed.masked,
                        &lexed.literals,
                        declared_flags,
                        span.start,
                        span.end,
                    )
                })
                .clone(),
            None => Vec::new(),
        };
        found.push(Template {
            file: display_path.to_path_buf(),
            line: literal.line,
            function: function.map(|id| spans[id].name.clone()),
            language,
            text: literal.text.clone(),
            fragments: shape.fragments,
            leading_placeholder: shape.leading_placeholder,
            trailing_placeholder: shape.trailing_placeholder,
            flags,
            commit: None,
            author: None,
        });
    }
    found
}

fn context_before(source: &str, literal: &Literal) -> String {
    let mut from = literal.start.saturating_sub(CALL_CONTEXT_BYTES);
    while !source.is_char_boundary(from) {
        from += 1;
    }
    let window = &source[from..literal.start];
    let statement = window.rfind(';').map_or(window, |at| &window[at + 1..]);
    statement.to_lowercase()
}

/// The literal sits inside the argument list of a logging call (`masked`:
/// other literals and comments do not count).
fn in_log_call(masked: &str, literal: &Literal) -> bool {
    let context = context_before(masked, literal);
    let last_call = LOG_CALLS
        .iter()
        .filter_map(|call| context.rfind(call))
        .max();
    let Some(at) = last_call else {
        return false;
    };
    let mut depth = 0i32;
    for byte in context[at..].bytes() {
        match byte {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ => {}
        }
    }
    depth > 0 && !in_logger_factory(&context)
}

/// The literal is the value of a named argument or field (`target:
/// "db"`, `user = "x"`, `name="mog"`, `{ error: 'x' }`): data, not the
/// message (message fields are recognised before this).
fn is_named_argument(masked: &str, literal: &Literal) -> bool {
    let before = masked[..literal.start].trim_end();
    let Some(before) = before
        .strip_suffix(':')
        .filter(|rest| !rest.ends_with(':'))
        .or_else(|| {
            before
                .strip_suffix('=')
                .filter(|rest| !rest.ends_with(['=', '!', '<', '>']))
        })
    else {
        return false;
    };
    before
        .trim_end()
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Byte offset of the innermost `(` still open at `at` (within the call
/// context window), in masked code.
fn open_paren(masked: &str, at: usize) -> Option<usize> {
    let from = at.saturating_sub(CALL_CONTEXT_BYTES);
    let mut depth = 0i32;
    for (offset, byte) in masked.as_bytes()[from..at].iter().enumerate().rev() {
        match byte {
            b')' => depth += 1,
            b'(' if depth == 0 => return Some(from + offset),
            b'(' => depth -= 1,
            b';' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// Literal `number` is the first positional string argument of the call it
/// sits in: no earlier literal (other than a named argument's value) is an
/// argument of the same call. Later ones are keys and values
/// (`slog.Info("cache warmed", "keys", n)`), not the message.
fn first_positional(masked: &str, literals: &[Literal], number: usize) -> bool {
    let literal = &literals[number];
    let Some(paren) = open_paren(masked, literal.start) else {
        return true;
    };
    !literals[..number]
        .iter()
        .rev()
        .take_while(|earlier| earlier.start > paren)
        .any(|earlier| {
            open_paren(masked, earlier.start) == Some(paren) && !is_named_argument(masked, earlier)
        })
}

/// Calls that name a logger rather than log a message.
const LOGGER_FACTORIES: &[&str] = &[
    "getlogger",
    "get_logger",
    "getchild",
    "getlog",
    "new_logger",
    "newlogger",
];

/// The innermost call still open at the end of `context` (lowercased) is
/// a logger factory: `logging.getLogger("jobs")`, `log.getChild("db")`.
fn in_logger_factory(context: &str) -> bool {
    let bytes = context.as_bytes();
    let mut depth = 0i32;
    let mut open = None;
    for (index, byte) in bytes.iter().enumerate().rev() {
        match byte {
            b')' => depth += 1,
            b'(' if depth == 0 => {
                open = Some(index);
                break;
            }
            b'(' => depth -= 1,
            _ => {}
        }
    }
    let Some(open) = open else {
        return false;
    };
    let before = context[..open].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |index| index + 1);
    LOGGER_FACTORIES.contains(&&before[start..])
}

fn is_message_field(source: &str, literal: &Literal) -> bool {
    let context = context_before(source, literal);
    let compact: String = context.chars().filter(|c| !c.is_whitespace()).collect();
    MESSAGE_FIELDS.iter().any(|field| compact.ends_with(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(language: Language, source: &str) -> Vec<(u32, String, Option<String>)> {
        templates(language, Path::new("x"), source, &[])
            .into_iter()
            .map(|template| (template.line, template.text, template.function))
            .collect()
    }

    #[test]
    fn rust_tracing_message_without_placeholders_and_format_strings() {
        let source = "fn record(&self) {\n    tracing::info!(entries, bytes, \"analytics buckets\");\n    let name = \"plain\";\n    let s = format!(\"order {id} paid\");\n}\n";
        assert_eq!(
            found(Language::Rust, source),
            vec![
                (2, "analytics buckets".into(), Some("record".into())),
                (4, "order {id} paid".into(), Some("record".into())),
            ]
        );
    }

    #[test]
    fn named_arguments_and_later_key_strings_are_not_messages() {
        let source = "fn f() {\n    info!(target: \"my::module\", name: \"mog\", \"msg without args\");\n    info!(user = \"root\", \"signed in\");\n}\n";
        let texts: Vec<String> = found(Language::Rust, source)
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(
            texts,
            vec!["msg without args".to_string(), "signed in".to_string()]
        );
        let go = "func f() {\n\tslog.Info(\"cache warmed\", \"keys\", n, \"took\", d)\n\tlog.Printf(\"took %s for %s\", d, \"warmup\")\n}\n";
        let texts: Vec<String> = found(Language::Go, go).into_iter().map(|t| t.1).collect();
        assert_eq!(
            texts,
            vec!["cache warmed".to_string(), "took %s for %s".to_string()]
        );
    }

    #[test]
    fn logger_names_are_not_templates() {
        let source = "log = logging.getLogger(\"jobs\")\ndb = log.getChild('database')\nlogging.info('worker ready')\n";
        let lines: Vec<u32> = found(Language::Python, source)
            .iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(lines, vec![3]);
    }

    #[test]
    fn python_logging_fstrings_and_format() {
        let source = "def sync(n):\n    logger.info(\"synced %d rows\", n)\n    print(f\"done in {t}s\")\n    x = \"table\"\n    m = \"{} left\".format(n)\n";
        let lines: Vec<u32> = found(Language::Python, source)
            .iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn go_printf_and_slog_message() {
        let source = "func (s *S) Run() {\n\tlog.Printf(\"worker %d started\", id)\n\tslog.Info(\"queue drained\", \"n\", n)\n\tname := \"plain\"\n}\n";
        assert_eq!(
            found(Language::Go, source),
            vec![
                (2, "worker %d started".into(), Some("Run".into())),
                (3, "queue drained".into(), Some("Run".into())),
            ]
        );
    }

    #[test]
    fn javascript_template_literals_and_console_calls() {
        let source = "function ship(order) {\n  console.log(`shipping order ${order.id}`);\n  logger.warn('carrier slow');\n  const k = 'key';\n}\n";
        let lines: Vec<u32> = found(Language::JavaScript, source)
            .iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(lines, vec![2, 3]);
    }

    #[test]
    fn java_slf4j_and_structured_message_field() {
        let source = "class C {\n  public void charge(Order o) {\n    log.info(\"charging card for order {}\", o.id());\n    Map.of(\"message\", \"payment declined\");\n    String s = \"plain\";\n  }\n}\n";
        assert_eq!(
            found(Language::Java, source),
            vec![
                (
                    3,
                    "charging card for order {}".into(),
                    Some("charge".into())
                ),
                (4, "payment declined".into(), Some("charge".into())),
            ]
        );
    }
}
