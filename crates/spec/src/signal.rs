//! Stop signals: the names `stop_signal` accepts and their normal form.

/// Signals a replica may be asked to stop with, in normal (`SIG…`) form.
pub const STOP_SIGNALS: [&str; 7] = [
    "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGKILL",
];

/// `"term"`, `"TERM"` and `"SIGTERM"` all become `"SIGTERM"`.
pub(crate) fn normalize_signal(name: &str) -> Option<&'static str> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    STOP_SIGNALS.into_iter().find(|signal| &signal[3..] == bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_with_or_without_prefix_in_any_case() {
        assert_eq!(normalize_signal("SIGTERM"), Some("SIGTERM"));
        assert_eq!(normalize_signal("INT"), Some("SIGINT"));
        assert_eq!(normalize_signal("usr2"), Some("SIGUSR2"));
        assert_eq!(normalize_signal("sigquit"), Some("SIGQUIT"));
    }

    #[test]
    fn rejects_other_signals() {
        assert_eq!(normalize_signal("SIGSTOP"), None);
        assert_eq!(normalize_signal("15"), None);
        assert_eq!(normalize_signal(""), None);
    }
}
