//! Feature flags a function refers to, found in its body:
//!
//! - the first string argument of a flag lookup: a call (or index) whose
//!   callee path mentions a flag (`flag("x")`, `flags.get("x")`,
//!   `is_enabled("x")`, `isFeatureEnabled("x")`, `ld.boolVariation("x", …)`,
//!   OpenFeature's `getBooleanValue("x", …)` / `get_boolean_value` /
//!   Go's `BooleanValue(ctx, "x", …)`, `flags["x"]`);
//! - `DAYTWO_FLAG_<NAME>`, the variable daytwo sets for each flag, as an
//!   identifier or in a string;
//! - any string literal equal to a flag declared in the spec's `[flags]`
//!   (`"analytics"`).

use crate::literal::Literal;
use std::collections::BTreeSet;

/// daytwo's per-flag environment variable prefix (docs/flags.md).
pub const FLAG_VAR_PREFIX: &str = "DAYTWO_FLAG_";

/// Words in a callee path (lowercased, `_` removed) that make it a flag
/// lookup.
const LOOKUP_WORDS: &[&str] = &["flag", "feature", "toggle", "variation", "enabled"];
/// OpenFeature-style typed getters: `getBooleanValue`, `BooleanValue`,
/// `get_string_details`…
const TYPED_GETTER_TYPES: &[&str] = &[
    "bool", "string", "number", "int", "float", "double", "object",
];
/// Longest flag name taken from a literal.
const MAX_FLAG_NAME: usize = 64;

/// The flags referenced between byte offsets `start..end` of a file.
/// `literals` are the file's literals, `masked` its masked code (see
/// [`crate::literal::lex`]), `source` the raw text and `declared` the
/// spec's flag names.
pub fn referenced(
    source: &str,
    masked: &str,
    literals: &[Literal],
    declared: &[String],
    start: usize,
    end: usize,
) -> Vec<String> {
    let mut found = BTreeSet::new();
    let first = literals.partition_point(|literal| literal.start < start);
    for literal in literals[first..].iter().take_while(|l| l.start < end) {
        let text = literal.text.as_str();
        if !is_flag_name(text) {
            continue;
        }
        if declared.iter().any(|name| name == text) || is_lookup_argument(masked, literal.start) {
            found.insert(text.to_string());
        }
    }
    let body = &source[start.min(source.len())..end.min(source.len())];
    let mut search = 0;
    while let Some(at) = body[search..].find(FLAG_VAR_PREFIX) {
        let name_start = search + at + FLAG_VAR_PREFIX.len();
        let name: String = body[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        search = name_start;
        if !name.is_empty() {
            found.insert(flag_of_variable(&name, declared));
        }
    }
    found.into_iter().collect()
}

/// The flag behind `DAYTWO_FLAG_<name>`: the declared flag whose variable
/// name it is (upper-cased, `-` → `_`), else the name lower-cased.
fn flag_of_variable(name: &str, declared: &[String]) -> String {
    declared
        .iter()
        .find(|flag| flag.to_uppercase().replace('-', "_") == name)
        .cloned()
        .unwrap_or_else(|| name.to_lowercase())
}

fn is_flag_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_FLAG_NAME
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'))
}

/// The literal at `at` is the first string argument of a flag lookup: the
/// masked code before it reads `callee(`, `callee(ctx, ` or `callee[`.
fn is_lookup_argument(masked: &str, at: usize) -> bool {
    let before = masked[..at].trim_end();
    let before = match before.strip_suffix(',') {
        // One leading argument, like Go's `ctx`: a plain expression.
        Some(rest) => {
            let rest = rest.trim_end();
            let argument = rest
                .rfind(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '&' | '*')))
                .map_or(0, |index| index + 1);
            if argument == rest.len() {
                return false;
            }
            rest[..argument].trim_end()
        }
        None => before,
    };
    let Some(callee) = before
        .strip_suffix('(')
        .or_else(|| before.strip_suffix('['))
    else {
        return false;
    };
    let callee = callee.trim_end();
    // `flag!(`, `get::<bool>(`: skip a macro bang and a turbofish.
    let callee = callee.strip_suffix('!').unwrap_or(callee);
    let callee = match callee.strip_suffix('>') {
        Some(rest) => rest.rfind("::<").map_or(callee, |index| &callee[..index]),
        None => callee,
    };
    let path_start = callee
        .rfind(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '$')))
        .map_or(0, |index| index + 1);
    let path: String = callee[path_start..]
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    let method = path.rsplit(['.', ':']).next().unwrap_or_default();
    LOOKUP_WORDS.iter().any(|word| path.contains(word))
        || (TYPED_GETTER_TYPES.iter().any(|kind| method.contains(kind))
            && (method.ends_with("value") || method.ends_with("details")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;
    use crate::literal::lex;

    fn flags(language: Language, source: &str, declared: &[&str]) -> Vec<String> {
        let lexed = lex(language, source);
        let declared: Vec<String> = declared.iter().map(|name| name.to_string()).collect();
        referenced(
            source,
            &lexed.masked,
            &lexed.literals,
            &declared,
            0,
            source.len(),
        )
    }

    #[test]
    fn lookup_calls_in_every_style() {
        for (language, source, expected) in [
            (
                Language::Rust,
                "if flags.is_enabled(\"fast-path\") {}",
                "fast-path",
            ),
            (Language::Rust, "let on = flag!(\"beta\");", "beta"),
            (
                Language::Python,
                "if client.get_boolean_value('new_ui', False):",
                "new_ui",
            ),
            (
                Language::Go,
                "on, _ := client.BooleanValue(ctx, \"v2\", false, ec)",
                "v2",
            ),
            (
                Language::JavaScript,
                "if (await client.getBooleanValue('dark', false)) {}",
                "dark",
            ),
            (
                Language::JavaScript,
                "const on = ld.boolVariation(\"promo\", user, false)",
                "promo",
            ),
            (
                Language::Java,
                "if (features.isActive(\"checkout\")) {",
                "checkout",
            ),
            (Language::Python, "if FLAGS[\"analytics\"]:", "analytics"),
        ] {
            assert_eq!(
                flags(language, source, &[]),
                vec![expected.to_string()],
                "{source}"
            );
        }
    }

    #[test]
    fn other_calls_and_comments_are_not_lookups() {
        assert!(
            flags(
                Language::Rust,
                "map.get(\"analytics\"); // flag(\"x\")",
                &[]
            )
            .is_empty()
        );
        assert!(flags(Language::Python, "log.info('enabled %s', 'x')", &[]).is_empty());
    }

    #[test]
    fn declared_names_and_daytwo_variables() {
        assert_eq!(
            flags(Language::Rust, "let key = \"analytics\";", &["analytics"]),
            vec!["analytics".to_string()]
        );
        assert_eq!(
            flags(
                Language::Python,
                "on = os.environ.get('DAYTWO_FLAG_FAST_PATH') == 'true'",
                &["fast-path"]
            ),
            vec!["fast-path".to_string()]
        );
        assert_eq!(
            flags(
                Language::JavaScript,
                "if (process.env.DAYTWO_FLAG_BETA) {}",
                &[]
            ),
            vec!["beta".to_string()]
        );
    }
}
