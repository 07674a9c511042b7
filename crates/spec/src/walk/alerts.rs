//! `[alerts]` / `[env.NAME.alerts]`: the webhook URLs that receive
//! Alertmanager-compatible alerts.

use super::{Expected, Value, Walker, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::Context;
use crate::raw::{Located, RawAlerts};
use std::net::Ipv6Addr;
use toml::de::DeValue;

pub(crate) const ALERTS_KEYS: &[&str] = &["webhooks"];

const WEBHOOK_HINT: &str = "write an http:// or https:// URL, e.g. \"http://127.0.0.1:9093/hook\" or \"https://alerts.example.com/daytwo\"";

impl Walker<'_> {
    pub(super) fn alerts(&mut self, value: &Value<'_>, field: &str) -> RawAlerts {
        let mut alerts = RawAlerts::default();
        let Some(table) = self.table(value, field) else {
            return alerts;
        };
        self.unknown_keys(table, ALERTS_KEYS, field);
        if let Some(webhooks) = table.get("webhooks") {
            alerts.webhooks = self.webhooks(webhooks, &join(field, "webhooks"));
        }
        alerts
    }

    /// The URL list, every entry checked; any bad entry makes it `None`
    /// (reported already). An empty list is valid: no alerts for the env.
    fn webhooks(&mut self, value: &Value<'_>, field: &str) -> Option<Located<Vec<String>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, field, Expected::UrlList);
            return None;
        };
        let mut urls = Vec::new();
        let mut valid = true;
        for (index, item) in items.iter().enumerate() {
            let item_field = format!("{field}[{index}]");
            let Some(url) = self.string(item, &item_field, Context::Value) else {
                valid = false;
                continue;
            };
            let trimmed = url.value.trim();
            match check_webhook_url(trimmed) {
                Ok(()) => {
                    if !urls.iter().any(|known| known == trimmed) {
                        urls.push(trimmed.to_string());
                    }
                }
                Err(reason) => {
                    valid = false;
                    self.problems.push(
                        SpecProblem::error(
                            code::INVALID_WEBHOOK_URL,
                            format!("`{}` is not a webhook URL: {reason}", url.value),
                        )
                        .field(&item_field)
                        .span(url.span)
                        .label("bad URL")
                        .hint(WEBHOOK_HINT),
                    );
                }
            }
        }
        valid.then(|| Located {
            value: urls,
            span: value.span(),
            field: field.to_string(),
        })
    }
}

/// An absolute `http://` or `https://` URL with a host and an optional
/// port; why not otherwise.
pub(crate) fn check_webhook_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace".to_string());
    }
    let scheme_end = url.find("://");
    let scheme = scheme_end.map(|end| url[..end].to_ascii_lowercase());
    let rest = match (scheme.as_deref(), scheme_end) {
        (Some("http" | "https"), Some(end)) => &url[end + 3..],
        (Some(other), _) => return Err(format!("the scheme `{other}` is not http or https")),
        _ => return Err("it does not start with http:// or https://".to_string()),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let bracketed_ipv6 = host_port.starts_with('[');
    let (host, port) = match host_port.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("its IPv6 host has no closing `]`")?;
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(format!("`[{host}]` is not an IPv6 address"));
            }
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("unexpected `{after}` after the host")),
                },
            }
        }
        None => match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return Err("it has no host".to_string());
    }
    let host_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if !bracketed_ipv6 && !host.chars().all(host_chars) {
        return Err(format!("`{host}` is not a host name"));
    }
    if let Some(port) = port
        && !matches!(port.parse::<u16>(), Ok(port) if port > 0)
    {
        return Err(format!("`{port}` is not a port (1–65535)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_webhook_url;

    #[test]
    fn accepts_http_and_https_urls_with_hosts_and_ports() {
        for url in [
            "http://127.0.0.1:9093/hook",
            "https://alerts.example.com/daytwo?token=x",
            "HTTP://host",
            "http://user:pw@host:8080/",
            "http://[::1]:9093/",
        ] {
            assert_eq!(check_webhook_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_other_schemes_missing_hosts_and_bad_ports() {
        for (url, reason) in [
            ("ftp://host/x", "the scheme `ftp` is not http or https"),
            ("alerts.example.com/hook", "it does not start with"),
            ("http:///hook", "it has no host"),
            ("http://host:0/", "is not a port"),
            ("http://host:99999/", "is not a port"),
            ("http://host:/", "is not a port"),
            ("http://ho st/", "whitespace"),
            ("http://[::1/", "no closing"),
            ("http://a/b c", "whitespace"),
            ("http://exa$mple/", "is not a host name"),
        ] {
            let error = check_webhook_url(url).expect_err(url);
            assert!(error.contains(reason), "{url}: {error}");
        }
    }
}
