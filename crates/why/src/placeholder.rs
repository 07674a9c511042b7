//! Splits a literal into fixed fragments and placeholders, by the format
//! conventions of its language: `{}`/`{name}`/`{:?}` (Rust, Python
//! `.format` and f-strings), `{}` (Java SLF4J), `%s`/`%d`/`%v`/`%(name)s`
//! (printf family; Java's `%n` is a line end and dropped), `${x}`
//! (JavaScript template literals; Kotlin string templates, also `$name`).

use crate::language::Language;
use crate::literal::LiteralKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub fragments: Vec<String>,
    pub placeholders: usize,
    pub leading_placeholder: bool,
    pub trailing_placeholder: bool,
}

#[derive(Clone, Copy)]
struct Styles {
    braces: bool,
    empty_braces_only: bool,
    percent: bool,
    dollar: bool,
    /// `$name` (Kotlin string templates).
    dollar_ident: bool,
}

fn styles(language: Language, kind: LiteralKind) -> Styles {
    let none = Styles {
        braces: false,
        empty_braces_only: false,
        percent: false,
        dollar: false,
        dollar_ident: false,
    };
    match language {
        Language::Rust => Styles {
            braces: true,
            ..none
        },
        Language::Python => Styles {
            braces: true,
            percent: kind != LiteralKind::FString,
            ..none
        },
        Language::Go => Styles {
            percent: true,
            ..none
        },
        Language::JavaScript => Styles {
            dollar: kind == LiteralKind::TemplateLiteral,
            percent: kind != LiteralKind::TemplateLiteral,
            ..none
        },
        // Java and Kotlin (`.kt` files are read as Java).
        Language::Java => Styles {
            braces: true,
            empty_braces_only: true,
            percent: true,
            dollar: true,
            dollar_ident: true,
        },
    }
}

const PRINTF_CONVERSIONS: &[u8] = b"sdvqxXfFeEgGiuocbTtrpw";

/// The fixed fragments and placeholders of `text`.
pub fn shape(language: Language, kind: LiteralKind, text: &str) -> Shape {
    let styles = styles(language, kind);
    let bytes = text.as_bytes();
    let mut fragments: Vec<String> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut placeholders = 0;
    let mut leading_placeholder = false;
    let mut last_was_placeholder = false;
    let mut pos = 0;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let placeholder_len = if styles.dollar && rest.starts_with(b"${") {
            closing_brace(rest, 1).map(|end| end + 1)
        } else if styles.dollar_ident
            && rest[0] == b'$'
            && rest
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            Some(
                1 + rest[1..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count(),
            )
        } else if styles.percent && rest.starts_with(b"%n") {
            pos += 2;
            continue;
        } else if styles.braces && (rest.starts_with(b"{{") || rest.starts_with(b"}}")) {
            current.push(rest[0]);
            pos += 2;
            last_was_placeholder = false;
            continue;
        } else if styles.braces && rest[0] == b'{' {
            if styles.empty_braces_only {
                rest.starts_with(b"{}").then_some(2)
            } else {
                brace_placeholder(rest)
            }
        } else if styles.percent && rest[0] == b'%' {
            if rest.get(1) == Some(&b'%') {
                current.push(b'%');
                pos += 2;
                last_was_placeholder = false;
                continue;
            }
            printf_placeholder(rest)
        } else {
            None
        };
        match placeholder_len {
            Some(len) => {
                if current.is_empty() && fragments.is_empty() {
                    leading_placeholder = true;
                }
                if !current.is_empty() {
                    fragments.push(String::from_utf8_lossy(&current).into_owned());
                    current.clear();
                }
                placeholders += 1;
                last_was_placeholder = true;
                pos += len;
            }
            None => {
                current.push(rest[0]);
                last_was_placeholder = false;
                pos += 1;
            }
        }
    }
    if !current.is_empty() {
        fragments.push(String::from_utf8_lossy(&current).into_owned());
    }
    Shape {
        fragments,
        placeholders,
        leading_placeholder,
        trailing_placeholder: last_was_placeholder,
    }
}

/// Index of the `}` closing the `{` at `open`, counting nesting.
fn closing_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in bytes.iter().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// `{}`, `{0}`, `{name}`, `{:?}`, `{name:>8.2}`, `{x!r}`, `{obj.field}`: a
/// short run without spaces or quotes.
fn brace_placeholder(bytes: &[u8]) -> Option<usize> {
    let end = bytes.iter().take(48).position(|&b| b == b'}')?;
    let inside = &bytes[1..end];
    let plausible = inside
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"_:?#<>^.+-!=[]()*, $".contains(&b))
        && !inside.contains(&b'{');
    plausible.then_some(end + 1)
}

/// `%s`, `%5.2f`, `%-10s`, `%+v`, `%#v`, `%(name)s`, `%[1]d`.
fn printf_placeholder(bytes: &[u8]) -> Option<usize> {
    let mut pos = 1;
    if bytes.get(pos) == Some(&b'(') {
        pos += bytes[pos..].iter().take(40).position(|&b| b == b')')? + 1;
    }
    while let Some(byte) = bytes.get(pos) {
        if b"-+#0 .*[]".contains(byte) || byte.is_ascii_digit() {
            pos += 1;
        } else {
            break;
        }
    }
    if bytes.get(pos) == Some(&b'l') {
        pos += 1;
    }
    let conversion = bytes.get(pos)?;
    PRINTF_CONVERSIONS.contains(conversion).then_some(pos + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragments(language: Language, kind: LiteralKind, text: &str) -> (Vec<String>, usize) {
        let shape = shape(language, kind, text);
        (shape.fragments, shape.placeholders)
    }

    fn owned(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|part| part.to_string()).collect()
    }

    #[test]
    fn rust_braces_named_debug_and_escaped() {
        assert_eq!(
            fragments(
                Language::Rust,
                LiteralKind::Plain,
                "user {id} took {:?} ({{raw}}) {0:>4}"
            ),
            (owned(&["user ", " took ", " ({raw}) "]), 3)
        );
    }

    #[test]
    fn python_percent_named_and_fstring_braces() {
        assert_eq!(
            fragments(
                Language::Python,
                LiteralKind::Plain,
                "saved %d rows for %(user)s in 100%%"
            ),
            (owned(&["saved ", " rows for ", " in 100%"]), 2)
        );
        assert_eq!(
            fragments(
                Language::Python,
                LiteralKind::FString,
                "job {job.id!r} failed after {n} tries"
            ),
            (owned(&["job ", " failed after ", " tries"]), 2)
        );
    }

    #[test]
    fn go_verbs_with_flags() {
        let shape = shape(Language::Go, LiteralKind::Plain, "%+v: retry %d of %5.2f%%");
        assert_eq!(shape.fragments, owned(&[": retry ", " of ", "%"]));
        assert!(shape.leading_placeholder);
        assert!(!shape.trailing_placeholder);
    }

    #[test]
    fn javascript_template_literals_and_console_format() {
        let shape = shape(
            Language::JavaScript,
            LiteralKind::TemplateLiteral,
            "order ${order.id} shipped to ${user}",
        );
        assert_eq!(shape.fragments, owned(&["order ", " shipped to "]));
        assert!(shape.trailing_placeholder);
        assert_eq!(
            fragments(Language::JavaScript, LiteralKind::Plain, "cache miss %s"),
            (owned(&["cache miss "]), 1)
        );
    }

    #[test]
    fn java_line_ends_and_kotlin_string_templates() {
        assert_eq!(
            fragments(Language::Java, LiteralKind::Plain, "reserved %d of %s%n"),
            (owned(&["reserved ", " of "]), 2)
        );
        assert_eq!(
            fragments(
                Language::Java,
                LiteralKind::Plain,
                "sending ${user.email} a receipt for $orderId"
            ),
            (owned(&["sending ", " a receipt for "]), 2)
        );
    }

    #[test]
    fn java_empty_braces_and_string_format() {
        assert_eq!(
            fragments(
                Language::Java,
                LiteralKind::Plain,
                "cart {} has %d items {name}"
            ),
            (owned(&["cart ", " has ", " items {name}"]), 2)
        );
    }
}
