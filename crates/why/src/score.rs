//! How well a template explains a message: its fixed fragments are aligned
//! in order against the message (greedy, left to right); the score is the
//! share of the template's fixed text found (coverage) times a mix of the
//! share of the message accounted for by fragments or placeholder gaps (fit)
//! and the share of the message that is fixed text (specificity). A short
//! template found inside a long line explains little of it and scores low.

use crate::template::Template;

const COVERAGE_BASE: f64 = 0.2;
const FIT_WEIGHT: f64 = 0.5;
const SPECIFICITY_WEIGHT: f64 = 0.3;

/// A score in `0.0..=1.0`; 1.0 means every byte of the message is the
/// template's fixed text.
pub fn score(template: &Template, message: &str) -> f64 {
    let message = message.to_lowercase();
    // A log line is trimmed: whitespace at the template's ends (an indent,
    // a `\n`) is not in it.
    let last = template.fragments.len().saturating_sub(1);
    let fragments: Vec<String> = template
        .fragments
        .iter()
        .enumerate()
        .map(|(index, fragment)| {
            let mut fragment = fragment.as_str();
            if index == 0 && !template.leading_placeholder {
                fragment = fragment.trim_start();
            }
            if index == last && !template.trailing_placeholder {
                fragment = fragment.trim_end();
            }
            fragment.to_lowercase()
        })
        .collect();
    // A fragment that was only whitespace (`{}\n`) leaves its placeholder at
    // the end (or start) of what the line can hold.
    let leading = template.leading_placeholder
        || (fragments.len() > 1 && fragments.first().is_some_and(String::is_empty));
    let trailing = template.trailing_placeholder
        || (fragments.len() > 1 && fragments.last().is_some_and(String::is_empty));
    let fragments: Vec<String> = fragments.into_iter().filter(|f| !f.is_empty()).collect();
    let total_fixed: usize = fragments.iter().map(String::len).sum();
    if total_fixed == 0 || message.is_empty() {
        return 0.0;
    }
    let mut pos = 0;
    let mut matched = 0;
    let mut unexplained = 0;
    let mut first_found: Option<usize> = None;
    let mut last_matched_is_last = false;
    for (index, fragment) in fragments.iter().enumerate() {
        let found = if index == 0 && !leading && message.starts_with(fragment.as_str()) {
            Some(0)
        } else {
            message[pos..]
                .find(fragment.as_str())
                .map(|offset| pos + offset)
        };
        if let Some(at) = found {
            first_found.get_or_insert(at);
            matched += fragment.len();
            pos = at + fragment.len();
            last_matched_is_last = index + 1 == fragments.len();
        } else {
            last_matched_is_last = false;
        }
    }
    if matched == 0 {
        return 0.0;
    }
    if !leading {
        unexplained += first_found.unwrap_or(0);
    }
    if !trailing && last_matched_is_last {
        unexplained += message.len() - pos;
    }
    let coverage = matched as f64 / total_fixed as f64;
    let fit = 1.0 - unexplained as f64 / message.len() as f64;
    let specificity = (total_fixed as f64 / message.len() as f64).min(1.0);
    (coverage * (COVERAGE_BASE + FIT_WEIGHT * fit + SPECIFICITY_WEIGHT * specificity))
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;
    use crate::literal::LiteralKind;
    use crate::placeholder::shape;

    fn template(text: &str) -> Template {
        let shape = shape(Language::Rust, LiteralKind::Plain, text);
        Template {
            file: "x.rs".into(),
            line: 1,
            function: None,
            language: Language::Rust,
            text: text.to_string(),
            fragments: shape.fragments,
            leading_placeholder: shape.leading_placeholder,
            trailing_placeholder: shape.trailing_placeholder,
            flags: Vec::new(),
            commit: None,
            author: None,
        }
    }

    #[test]
    fn exact_template_scores_one_and_beats_a_vaguer_one() {
        let exact = score(&template("analytics buckets"), "analytics buckets");
        let vague = score(&template("{} buckets"), "analytics buckets");
        assert!((exact - 1.0).abs() < 1e-9);
        assert!(vague < exact);
    }

    #[test]
    fn placeholders_absorb_values_and_missing_fragments_cost() {
        let good = score(&template("order {} paid by {}"), "order 42 paid by alice");
        let partial = score(
            &template("order {} refunded to {}"),
            "order 42 paid by alice",
        );
        assert!(good > 0.8, "{good}");
        assert!(partial < good, "{partial} vs {good}");
        assert_eq!(score(&template("cache warm"), "order 42 paid"), 0.0);
    }

    #[test]
    fn whitespace_at_the_template_ends_is_not_required() {
        let indented = score(
            &template("    Diagnostic severity: {}\n"),
            "Diagnostic severity: high",
        );
        assert!(indented > 0.9, "{indented}");
        let trailing = score(&template("MATCH({:?}): "), "MATCH(7):");
        assert!(trailing > 0.9, "{trailing}");
    }

    #[test]
    fn a_word_inside_a_long_line_is_noise() {
        let word = score(&template("jobs"), "draining queue emails with 12 jobs left");
        assert!(word < crate::index::MIN_SCORE, "{word}");
    }
}
