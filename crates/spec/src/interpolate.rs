//! `${VAR}` interpolation of string values.
//!
//! - `${VAR}` is replaced by the variable's value; unset is an error.
//! - `${VAR:-default}` uses `default` when `VAR` is unset or empty (as `sh`).
//!   The default is literal text up to the first `}`.
//! - `$${` is a literal `${` (so `$${HOME}` reaches the shell as `${HOME}`).
//! - A bare `$VAR` (no braces) is never touched.
//! - In commands, the variables the engine sets when it starts a replica
//!   (`PORT` and every `DAYTWO_*`) are left as written, with their braces
//!   and default, for the shell to expand at run time.

use std::ops::Range;

/// A `${...}` that could not be expanded; `range` is in bytes of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InterpolationError {
    Unset { name: String, range: Range<usize> },
    Unterminated { range: Range<usize> },
    InvalidName { name: String, range: Range<usize> },
}

/// Where a value is used, which decides whether run-time variables stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// A shell command: `PORT` and `DAYTWO_*` are expanded by the shell later.
    Command,
    /// Any other string value.
    Value,
}

/// True for the variables the engine sets in every replica's environment.
pub(crate) fn is_runtime_variable(name: &str) -> bool {
    name == "PORT" || name.starts_with("DAYTWO_")
}

pub(crate) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Expands `text`, reporting every bad `${...}` in it.
pub(crate) fn interpolate(
    text: &str,
    context: Context,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<InterpolationError>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("$${") {
            out.push_str("${");
            i += 3;
            continue;
        }
        if !rest.starts_with("${") {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let Some(close) = rest.find('}') else {
            errors.push(InterpolationError::Unterminated {
                range: i..text.len(),
            });
            break;
        };
        let range = i..i + close + 1;
        let inner = &rest[2..close];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        if !is_variable_name(name) {
            errors.push(InterpolationError::InvalidName {
                name: name.to_string(),
                range: range.clone(),
            });
        } else if context == Context::Command && is_runtime_variable(name) {
            out.push_str(&text[range.clone()]);
        } else {
            match (lookup(name), default) {
                (Some(value), Some(default)) if value.is_empty() => out.push_str(default),
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => errors.push(InterpolationError::Unset {
                    name: name.to_string(),
                    range: range.clone(),
                }),
            }
        }
        i = range.end;
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "USER" => Some("ada".to_string()),
            "EMPTY" => Some(String::new()),
            "PORT" => Some("9999".to_string()),
            _ => None,
        }
    }

    fn expand(text: &str) -> Result<String, Vec<InterpolationError>> {
        interpolate(text, Context::Value, &env)
    }

    #[test]
    fn replaces_set_variables() {
        assert_eq!(expand("hi ${USER}!").unwrap(), "hi ada!");
    }

    #[test]
    fn default_applies_when_unset_or_empty() {
        assert_eq!(expand("${NOPE:-x y}").unwrap(), "x y");
        assert_eq!(expand("${EMPTY:-fallback}").unwrap(), "fallback");
        assert_eq!(expand("${USER:-fallback}").unwrap(), "ada");
        assert_eq!(expand("${NOPE:-}").unwrap(), "");
    }

    #[test]
    fn double_dollar_escapes_a_literal_interpolation() {
        assert_eq!(expand("echo $${HOME} ${USER}").unwrap(), "echo ${HOME} ada");
    }

    #[test]
    fn bare_dollar_variables_are_left_alone() {
        assert_eq!(
            expand("serve --port $PORT $ 5$").unwrap(),
            "serve --port $PORT $ 5$"
        );
    }

    #[test]
    fn runtime_variables_stay_in_commands_only() {
        let command = interpolate(
            "run -p ${PORT} -r ${DAYTWO_REPLICA:-1} -u ${USER}",
            Context::Command,
            &env,
        );
        assert_eq!(
            command.unwrap(),
            "run -p ${PORT} -r ${DAYTWO_REPLICA:-1} -u ada"
        );
        assert_eq!(expand("${PORT}").unwrap(), "9999");
    }

    #[test]
    fn reports_every_unset_variable_with_its_range() {
        let errors = expand("${A} and ${B}").unwrap_err();
        assert_eq!(
            errors,
            vec![
                InterpolationError::Unset {
                    name: "A".into(),
                    range: 0..4
                },
                InterpolationError::Unset {
                    name: "B".into(),
                    range: 9..13
                },
            ]
        );
    }

    #[test]
    fn reports_malformed_interpolations() {
        assert_eq!(
            expand("x ${1BAD} ${OPEN").unwrap_err(),
            vec![
                InterpolationError::InvalidName {
                    name: "1BAD".into(),
                    range: 2..9
                },
                InterpolationError::Unterminated { range: 10..16 },
            ]
        );
    }
}
