//! "Did you mean …?": the closest known name to a misspelt one.

/// Jaro-Winkler similarity above which a name is offered as a suggestion.
const SUGGESTION_THRESHOLD: f64 = 0.8;

/// The known name most similar to `given`, if any is similar enough.
pub(crate) fn closest<'a>(
    given: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    known
        .into_iter()
        .map(|candidate| (score(given, candidate), candidate))
        .filter(|(score, _)| *score >= SUGGESTION_THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Jaro-Winkler similarity, with one typo (edit or transposition) always
/// counting as similar: Jaro-Winkler alone misses `wbe` for `web`.
fn score(given: &str, candidate: &str) -> f64 {
    let similarity = strsim::jaro_winkler(given, candidate);
    if given.len() > 1 && strsim::damerau_levenshtein(given, candidate) <= 1 {
        1.0 + similarity
    } else {
        similarity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_similar_name() {
        let known = ["replicas", "command", "health"];
        assert_eq!(closest("replica", known), Some("replicas"));
        assert_eq!(closest("comand", known), Some("command"));
        assert_eq!(closest("zzz", known), None);
        assert_eq!(closest("wbe", ["web", "worker"]), Some("web"));
    }
}
