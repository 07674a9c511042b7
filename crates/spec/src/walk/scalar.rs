//! Single values: commands, thresholds, durations, sizes, signals,
//! addresses, booleans, integers and `${VAR}`-interpolated strings.

use super::{DURATION_HINT, Expected, Value, Walker};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::{self, Context, InterpolationError};
use crate::raw::Located;
use crate::signal::{STOP_SIGNALS, normalize_signal};
use crate::size::parse_size;
use crate::suggest::closest;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;
use toml::de::DeValue;

impl Walker<'_> {
    pub(super) fn command(&mut self, value: &Value<'_>, field: &str) -> Option<Located<String>> {
        let command = self.string(value, field, Context::Command)?;
        if command.value.trim().is_empty() {
            self.problems.push(
                SpecProblem::error(code::EMPTY_COMMAND, format!("`{field}` is empty"))
                    .field(field)
                    .span(command.span.clone())
                    .label("empty command")
                    .hint(
                        "write the shell command that starts the process, e.g. \"python3 app.py\"",
                    ),
            );
        }
        Some(command)
    }

    pub(super) fn threshold(&mut self, value: &Value<'_>, field: &str) -> Option<Located<u32>> {
        let n = self.integer(value, field)?;
        match u32::try_from(n.value) {
            Ok(threshold) if threshold >= 1 => Some(Located {
                value: threshold,
                span: n.span,
                field: n.field,
            }),
            _ => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_THRESHOLD,
                        format!("`{field}` must be at least 1, found {}", n.value),
                    )
                    .field(field)
                    .span(n.span)
                    .label("must be 1 or more")
                    .hint("a threshold counts consecutive events; use 1 or more"),
                );
                None
            }
        }
    }

    pub(super) fn duration(
        &mut self,
        value: &Value<'_>,
        field: &str,
        positive: bool,
    ) -> Option<Located<Duration>> {
        if !matches!(value.get_ref(), DeValue::String(_)) {
            self.wrong_type(value, field, Expected::Duration);
            return None;
        }
        let text = self.string(value, field, Context::Value)?;
        match humantime::parse_duration(text.value.trim()) {
            Ok(duration) if positive && duration.is_zero() => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_DURATION,
                        format!("`{field}` must be greater than zero"),
                    )
                    .field(field)
                    .span(text.span)
                    .label("zero")
                    .hint(DURATION_HINT),
                );
                None
            }
            Ok(duration) => Some(Located {
                value: duration,
                span: text.span,
                field: text.field,
            }),
            Err(error) => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_DURATION,
                        format!("`{}` is not a duration: {error}", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("bad duration")
                    .hint(DURATION_HINT),
                );
                None
            }
        }
    }

    pub(super) fn size(&mut self, value: &Value<'_>, field: &str) -> Option<Located<u64>> {
        let parsed = match value.get_ref() {
            DeValue::Integer(_) => {
                let n = self.integer(value, field)?;
                u64::try_from(n.value)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "a size must be greater than zero".to_string())
                    .map(|bytes| (bytes, n.value.to_string()))
            }
            DeValue::String(_) => {
                let text = self.string(value, field, Context::Value)?;
                parse_size(&text.value).map(|bytes| (bytes, text.value))
            }
            _ => {
                self.wrong_type(value, field, Expected::Size);
                return None;
            }
        };
        match parsed {
            Ok((bytes, _)) => Some(Located {
                value: bytes,
                span: value.span(),
                field: field.to_string(),
            }),
            Err(reason) => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_SIZE,
                        format!("`{field}` is not a valid size: {reason}"),
                    )
                    .field(field)
                    .span(value.span())
                    .label("bad size")
                    .hint(Expected::Size.hint()),
                );
                None
            }
        }
    }

    pub(super) fn signal(
        &mut self,
        value: &Value<'_>,
        field: &str,
    ) -> Option<Located<&'static str>> {
        let text = self.string(value, field, Context::Value)?;
        match normalize_signal(&text.value) {
            Some(signal) => Some(Located {
                value: signal,
                span: text.span,
                field: text.field,
            }),
            None => {
                let bare: Vec<&str> = STOP_SIGNALS.iter().map(|s| &s[3..]).collect();
                let upper = text.value.trim().to_ascii_uppercase();
                let given = upper.strip_prefix("SIG").unwrap_or(&upper);
                let suggestion = closest(given, bare).map(|s| format!("SIG{s}"));
                self.problems.push(
                    SpecProblem::error(
                        code::UNKNOWN_SIGNAL,
                        format!("unknown stop signal `{}`", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("unknown signal")
                    .hint(format!("use one of {}", STOP_SIGNALS.join(", ")))
                    .suggestion(suggestion.as_deref()),
                );
                None
            }
        }
    }

    pub(super) fn listen(&mut self, value: &Value<'_>, field: &str) -> Option<Located<SocketAddr>> {
        let text = self.string(value, field, Context::Value)?;
        match text.value.trim().parse::<SocketAddr>() {
            Ok(addr) => Some(Located {
                value: addr,
                span: text.span,
                field: text.field,
            }),
            Err(_) => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_LISTEN,
                        format!("`{}` is not a socket address (IP:port)", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("not IP:port")
                    .hint(Expected::Address.hint()),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, value: &Value<'_>, field: &str) -> Option<Located<bool>> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Located {
                value: *b,
                span: value.span(),
                field: field.to_string(),
            }),
            _ => {
                self.wrong_type(value, field, Expected::Boolean);
                None
            }
        }
    }

    pub(super) fn integer(&mut self, value: &Value<'_>, field: &str) -> Option<Located<i64>> {
        match value.get_ref() {
            DeValue::Integer(integer) => {
                let n = i64::from_str_radix(integer.as_str(), integer.radix()).ok()?;
                Some(Located {
                    value: n,
                    span: value.span(),
                    field: field.to_string(),
                })
            }
            _ => {
                self.wrong_type(value, field, Expected::Integer);
                None
            }
        }
    }

    /// A string value, `${VAR}`-interpolated.
    pub(super) fn string(
        &mut self,
        value: &Value<'_>,
        field: &str,
        context: Context,
    ) -> Option<Located<String>> {
        let DeValue::String(text) = value.get_ref() else {
            self.wrong_type(value, field, Expected::String);
            return None;
        };
        match interpolate::interpolate(text, context, self.lookup) {
            Ok(expanded) => Some(Located {
                value: expanded,
                span: value.span(),
                field: field.to_string(),
            }),
            Err(errors) => {
                for error in errors {
                    let problem = self.interpolation_problem(error, text, value.span(), field);
                    self.problems.push(problem);
                }
                None
            }
        }
    }

    fn interpolation_problem(
        &self,
        error: InterpolationError,
        text: &str,
        span: Range<usize>,
        field: &str,
    ) -> SpecProblem {
        match error {
            InterpolationError::Unset { name, range } => SpecProblem::error(
                code::UNSET_VARIABLE,
                format!("environment variable `{name}` is not set (used in `{field}`)"),
            )
            .span(self.inner_span(text, span, range))
            .label("not set")
            .hint(format!("set `{name}` in the environment, or give a default: `${{{name}:-default}}`")),
            InterpolationError::Unterminated { range } => SpecProblem::error(
                code::INVALID_INTERPOLATION,
                format!("unterminated `${{` in `{field}`"),
            )
            .span(self.inner_span(text, span, range))
            .label("no closing `}`")
            .hint("close it with `}`, or write `$${` for a literal `${`"),
            InterpolationError::InvalidName { name, range } => SpecProblem::error(
                code::INVALID_INTERPOLATION,
                format!("`${{{name}}}` in `{field}` does not name a variable"),
            )
            .span(self.inner_span(text, span, range))
            .label("not a variable name")
            .hint("variable names are letters, digits and `_`, not starting with a digit; write `$${` for a literal `${`"),
        }
        .field(field)
    }

    /// The span of `range` (bytes of the decoded string) in the source when
    /// the string is written without escapes; else the whole value.
    fn inner_span(&self, text: &str, span: Range<usize>, range: Range<usize>) -> Range<usize> {
        let written = self.source.get(span.clone()).unwrap_or_default();
        let simple_quotes = (written.starts_with('"') && !written.starts_with("\"\"\""))
            || (written.starts_with('\'') && !written.starts_with("'''"));
        if simple_quotes && written.get(1..written.len().saturating_sub(1)) == Some(text) {
            span.start + 1 + range.start..span.start + 1 + range.end
        } else {
            span
        }
    }
}
