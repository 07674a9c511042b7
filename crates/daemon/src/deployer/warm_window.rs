//! The warm window of deploys, overridable from the environment.

use super::Deployer;
use std::time::Duration;

/// Overrides the warm window of every deploy (`500ms`, `2s`, `5m` or plain
/// seconds); used by tests and by operators who want a longer one.
pub const WARM_WINDOW_VAR: &str = "DAYTWO_WARM_WINDOW";

impl Deployer {
    /// Reads `DAYTWO_WARM_WINDOW`, else the rollout's default.
    pub(crate) fn warm_window_from_env() -> Duration {
        std::env::var(WARM_WINDOW_VAR)
            .ok()
            .and_then(|text| parse_duration(&text))
            .unwrap_or(daytwo_rollout::DEFAULT_WARM_WINDOW)
    }
}

/// `500ms`, `2s`, `5m`, or plain seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.trim().parse().ok().map(Duration::from_millis);
    }
    if let Some(s) = text.strip_suffix('s') {
        return s.trim().parse().ok().map(Duration::from_secs_f64);
    }
    if let Some(m) = text.strip_suffix('m') {
        return m
            .trim()
            .parse::<u64>()
            .ok()
            .map(|m| Duration::from_secs(m * 60));
    }
    text.parse().ok().map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_window_variable_takes_common_duration_forms() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("soon"), None);
    }
}
