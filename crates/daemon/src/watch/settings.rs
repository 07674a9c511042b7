//! The watch's daemon-wide settings: the sliding window, overridable from
//! the daemon's environment (tests shorten it). Everything else comes from
//! each env's `[rollout.guards]` (`WatchConfig::from_spec`).

use daytwo_rollout::analysis::steady_watch::DEFAULT_WATCH_WINDOW;
use std::time::Duration;

/// Overrides the sliding window every look reads (`8s`, `500ms`, `2m`, or
/// plain seconds); default [`DEFAULT_WATCH_WINDOW`] (120 s).
pub const WATCH_WINDOW_VAR: &str = "DAYTWO_WATCH_WINDOW";
/// The window never reaches further back than the telemetry ring keeps.
const MAX_WINDOW: Duration = crate::telemetry::DEFAULT_TELEMETRY_RETENTION;
/// Nor is it shorter than this.
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// Looks are never more frequent than this, whatever `analysis_interval` says.
pub(super) const MIN_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WatchSettings {
    /// How far back each look reads.
    pub(crate) window: Duration,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            window: DEFAULT_WATCH_WINDOW,
        }
    }
}

impl WatchSettings {
    /// The defaults, with the window from [`WATCH_WINDOW_VAR`] (an
    /// unreadable value is logged and ignored).
    pub(crate) fn from_env() -> Self {
        let mut settings = Self::default();
        if let Ok(text) = std::env::var(WATCH_WINDOW_VAR) {
            match parse_duration(&text) {
                Some(window) => settings.window = window.clamp(MIN_WINDOW, MAX_WINDOW),
                None => tracing::warn!(
                    "{WATCH_WINDOW_VAR}={text:?} is not a duration like `2m`, `30s` or `500ms`; using {:?}",
                    settings.window
                ),
            }
        }
        settings
    }

    /// How long a release serves before its first look counts: its
    /// replicas' start-up growth (imports, caches warming) is no leak.
    /// A quarter of the window (30 s by default).
    pub(crate) fn warm_up(&self) -> Duration {
        self.window / 4
    }
}

/// `500ms`, `8s`, `1.5s`, `2m`, or plain seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let seconds = if let Some(ms) = text.strip_suffix("ms") {
        ms.trim().parse::<f64>().ok()? / 1000.0
    } else if let Some(s) = text.strip_suffix('s') {
        s.trim().parse::<f64>().ok()?
    } else if let Some(m) = text.strip_suffix('m') {
        m.trim().parse::<f64>().ok()? * 60.0
    } else {
        text.parse::<f64>().ok()?
    };
    (seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_variable_takes_common_duration_forms() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("8s"), Some(Duration::from_secs(8)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(
            WatchSettings::default().warm_up(),
            Duration::from_secs(30),
            "a quarter of the default window"
        );
    }
}
