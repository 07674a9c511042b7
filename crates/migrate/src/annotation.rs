//! `-- daytwo:allow` annotations: a comment on the line(s) right before a
//! statement that acknowledges one of its findings, with a reason.
//!
//! ```sql
//! -- daytwo:allow drop-column reason="0041 stopped reading users.legacy_id"
//! ALTER TABLE users DROP COLUMN legacy_id;
//! ```
//!
//! The class may be written before the rule id (`-- daytwo:allow contract
//! drop-column reason="…"`); when written it must match. The reason is
//! required and is reported with the finding.

use crate::finding::Class;

/// The comment prefix that marks an annotation.
pub const ALLOW_PREFIX: &str = "daytwo:allow";

/// One parsed `-- daytwo:allow` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Annotation {
    pub line: usize,
    pub class: Option<Class>,
    pub rule: String,
    pub reason: String,
}

/// Parses the comment text after `--` (already trimmed). `None` when it is
/// not an annotation at all; `Some(Err)` when it is a malformed one.
pub(crate) fn parse(line: usize, comment: &str) -> Option<Result<Annotation, String>> {
    let rest = comment.strip_prefix(ALLOW_PREFIX)?;
    Some(parse_body(line, rest.trim()))
}

fn parse_body(line: usize, body: &str) -> Result<Annotation, String> {
    const USAGE: &str = "expected `-- daytwo:allow [contract|unknown] RULE reason=\"WHY\"`";
    let (head, reason) = body
        .split_once("reason=")
        .ok_or_else(|| format!("missing reason=\"…\"; {USAGE}"))?;
    let reason = reason.trim();
    let reason = reason
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| format!("the reason must be in double quotes; {USAGE}"))?
        .trim();
    if reason.is_empty() {
        return Err(format!("the reason is empty; {USAGE}"));
    }
    let words: Vec<&str> = head.split_whitespace().collect();
    let (class, rule) = match words.as_slice() {
        [rule] => (None, *rule),
        [class, rule] => {
            let class = match *class {
                "expand" => Class::Expand,
                "contract" => Class::Contract,
                "unknown" => Class::Unknown,
                other => {
                    return Err(format!(
                        "`{other}` is not a class (expand, contract, unknown); {USAGE}"
                    ));
                }
            };
            (Some(class), *rule)
        }
        _ => return Err(format!("name exactly one rule; {USAGE}")),
    };
    Ok(Annotation {
        line,
        class,
        rule: rule.to_string(),
        reason: reason.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_name_a_rule_and_a_reason() {
        let a = parse(
            3,
            "daytwo:allow contract drop-column reason=\"unused since 0041\"",
        )
        .unwrap()
        .unwrap();
        assert_eq!(a.class, Some(Class::Contract));
        assert_eq!(a.rule, "drop-column");
        assert_eq!(a.reason, "unused since 0041");
        let b = parse(1, "daytwo:allow do-block reason=\"checked by hand\"")
            .unwrap()
            .unwrap();
        assert_eq!((b.class, b.rule.as_str()), (None, "do-block"));
    }

    #[test]
    fn other_comments_are_not_annotations_and_bad_ones_are_errors() {
        assert!(parse(1, "just a note").is_none());
        assert!(parse(1, "daytwo:allow drop-column").unwrap().is_err());
        assert!(
            parse(1, "daytwo:allow drop-column reason=\"\"")
                .unwrap()
                .is_err()
        );
        assert!(
            parse(1, "daytwo:allow sideways drop-column reason=\"x\"")
                .unwrap()
                .is_err()
        );
    }
}
