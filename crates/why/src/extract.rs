//! Extraction: the log-message templates of one source file.
//!
//! A string literal is a template when it has format placeholders, or when it
//! is an argument of a logging call (`info!(…)`, `log.Printf(…)`,
//! `logger.info(…)`, `console.log(…)`) or the value of a structured-log
//! message field (`"msg": …`, `message=…`).

use crate::function::enclosing_functions;
use crate::language::Language;
use crate::literal::{Literal, literals};
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

/// The templates of one file; `display_path` is what matches report.
pub fn templates(language: Language, display_path: &Path, source: &str) -> Vec<Template> {
    let functions = enclosing_functions(language, source);
    literals(language, source)
        .into_iter()
        .filter(|literal| literal.text.len() <= MAX_TEMPLATE_LEN)
        .filter_map(|literal| {
            let shape = shape(language, literal.kind, &literal.text);
            let has_words = shape
                .fragments
                .iter()
                .any(|fragment| fragment.chars().filter(|c| c.is_alphabetic()).count() >= 3);
            let is_template = shape.placeholders > 0
                || in_log_call(source, &literal)
                || is_message_field(source, &literal);
            (is_template && has_words).then(|| Template {
                file: display_path.to_path_buf(),
                line: literal.line,
                function: functions.get(literal.line as usize).cloned().flatten(),
                language,
                text: literal.text,
                fragments: shape.fragments,
                leading_placeholder: shape.leading_placeholder,
                trailing_placeholder: shape.trailing_placeholder,
            })
        })
        .collect()
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

/// The literal sits inside the argument list of a logging call.
fn in_log_call(source: &str, literal: &Literal) -> bool {
    let context = context_before(source, literal);
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
    depth > 0
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
        templates(language, Path::new("x"), source)
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
