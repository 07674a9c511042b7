//! Semantic versions as targeting rules compare them.

/// Parses a semantic version as rules use it: `2.1.0`, `v2.1.0`,
/// `2.1.0-beta.1`.
pub fn parse_semver(text: &str) -> Option<semver::Version> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    semver::Version::parse(text).ok()
}
