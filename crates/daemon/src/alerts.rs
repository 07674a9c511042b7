//! Alerts as Alertmanager webhooks: a canary rolled back by a guard, a leak
//! the steady-state watch found. Each alert is POSTed, as the JSON message
//! Alertmanager's webhook receiver sends (`"version": "4"`, the same field
//! names), to every URL of the env's `[alerts] webhooks`, so whatever
//! accepts Alertmanager's webhooks accepts daytwo's.
//!
//! ```text
//! Alert ─message()─> WebhookMessage (JSON) ─AlertSender::send─> POST to each URL
//!                                             (timeout per attempt, a few retries, failures logged)
//! ```
//!
//! Delivery never holds a deploy up for long: every attempt has a short
//! timeout, retries are few, the URLs are tried concurrently, and
//! [`AlertSender::spawn`] does it in the background. `https://` URLs are
//! verified against the Mozilla root certificates (webpki-roots).

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_util::task::AbortOnDropHandle;

/// The webhook message version Alertmanager sends.
pub const WEBHOOK_VERSION: &str = "4";
/// `receiver` in every message: the name of the sending integration.
pub const RECEIVER: &str = "daytwo";
/// `alertname` of a canary (or watched release) failing a guard.
pub const GUARD_FAILED: &str = "DaytwoGuardFailed";
/// Go's zero `time.Time`: Alertmanager's `endsAt` of an unresolved alert.
pub const UNRESOLVED_ENDS_AT: &str = "0001-01-01T00:00:00Z";
/// How long one delivery attempt (connect, TLS, request, response) may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per URL: the first and two retries.
pub const ATTEMPTS: u32 = 3;
/// The wait before the first retry; it doubles before each further one.
pub const RETRY_DELAY: Duration = Duration::from_millis(300);
/// The most of a receiver's answer that is read (and logged on failure).
const MAX_RESPONSE_BYTES: usize = 16 * 1024;
/// Alertmanager's label-set fingerprint: FNV-1a 64 …
const FNV_OFFSET: u64 = 14_695_981_039_346_656_037;
const FNV_PRIME: u64 = 1_099_511_628_211;
/// … with this byte after every label name and value.
const SEPARATOR: u8 = 0xff;

/// `firing` or `resolved`, as Alertmanager writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// The `severity` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Acted on automatically (rolled back, flag turned off), or needs a human now.
    Critical,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
        }
    }
}

/// One alert as daytwo raises it: about a release of an app in an env,
/// named by the guard that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The `alertname` label, e.g. [`GUARD_FAILED`].
    pub name: String,
    pub status: AlertStatus,
    pub app: String,
    pub env: String,
    /// The release the alert is about (its version).
    pub release: String,
    /// The guard that fired (`memory_growth`, `error_rate`, …).
    pub guard: String,
    pub severity: Severity,
    /// One line: what happened.
    pub summary: String,
    /// The evidence and what was done about it.
    pub description: String,
    pub starts_at: jiff::Timestamp,
    /// When it was resolved; `None` while firing.
    pub ends_at: Option<jiff::Timestamp>,
    /// A link to more about it, when there is one (Alertmanager:
    /// the alert's source); empty otherwise.
    pub generator_url: String,
}

impl Alert {
    /// A firing [`GUARD_FAILED`] alert of severity critical.
    pub fn guard_failed(
        app: impl Into<String>,
        env: impl Into<String>,
        release: impl Into<String>,
        guard: impl Into<String>,
        summary: impl Into<String>,
        description: impl Into<String>,
        starts_at: jiff::Timestamp,
    ) -> Self {
        Self {
            name: GUARD_FAILED.to_string(),
            status: AlertStatus::Firing,
            app: app.into(),
            env: env.into(),
            release: release.into(),
            guard: guard.into(),
            severity: Severity::Critical,
            summary: summary.into(),
            description: description.into(),
            starts_at,
            ends_at: None,
            generator_url: String::new(),
        }
    }

    /// The same alert, resolved at `at` (same labels, so same fingerprint).
    pub fn resolved(&self, at: jiff::Timestamp) -> Self {
        Self {
            status: AlertStatus::Resolved,
            ends_at: Some(at),
            ..self.clone()
        }
    }

    /// `alertname`, `app`, `env`, `release`, `guard`, `severity`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        [
            ("alertname", self.name.as_str()),
            ("app", &self.app),
            ("env", &self.env),
            ("release", &self.release),
            ("guard", &self.guard),
            ("severity", self.severity.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// `summary` and `description`.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("summary".to_string(), self.summary.clone()),
            ("description".to_string(), self.description.clone()),
        ])
    }

    /// Alertmanager's fingerprint of the label set: 16 hex digits, the same
    /// for the firing and the resolved alert.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", label_set_fingerprint(&self.labels()))
    }

    /// The webhook message of this one alert, as Alertmanager would send it
    /// for a group holding only it (grouped by `alertname`, `app`, `env`).
    pub fn message(&self, external_url: &str) -> WebhookMessage {
        let labels = self.labels();
        let group_labels: BTreeMap<String, String> = labels
            .iter()
            .filter(|(name, _)| matches!(name.as_str(), "alertname" | "app" | "env"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let group_key = format!(
            "{{}}:{{{}}}",
            group_labels
                .iter()
                .map(|(name, value)| format!("{name}={}", quoted(value)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let annotations = self.annotations();
        WebhookMessage {
            version: WEBHOOK_VERSION.to_string(),
            group_key,
            truncated_alerts: 0,
            status: self.status,
            receiver: RECEIVER.to_string(),
            group_labels,
            common_labels: labels.clone(),
            common_annotations: annotations.clone(),
            external_url: external_url.to_string(),
            alerts: vec![WebhookAlert {
                status: self.status,
                labels,
                annotations,
                starts_at: self.starts_at.to_string(),
                ends_at: self
                    .ends_at
                    .map_or_else(|| UNRESOLVED_ENDS_AT.to_string(), |at| at.to_string()),
                generator_url: self.generator_url.clone(),
                fingerprint: self.fingerprint(),
            }],
        }
    }
}

/// Alertmanager's webhook message (version 4), field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookMessage {
    pub version: String,
    pub group_key: String,
    pub truncated_alerts: u64,
    pub status: AlertStatus,
    pub receiver: String,
    pub group_labels: BTreeMap<String, String>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<WebhookAlert>,
}

/// One alert of a [`WebhookMessage`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAlert {
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339; [`UNRESOLVED_ENDS_AT`] while firing.
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: String,
}

/// How delivering one message to one URL ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
    /// The receiver's 2xx status, or why the last attempt failed.
    pub result: Result<u16, String>,
}

impl Delivery {
    pub fn is_delivered(&self) -> bool {
        self.result.is_ok()
    }
}

/// Sends alerts to webhook URLs. Cheap to clone; one per daemon.
#[derive(Clone)]
pub struct AlertSender {
    tls: TlsConnector,
    external_url: String,
    attempt_timeout: Duration,
    attempts: u32,
    retry_delay: Duration,
}

impl fmt::Debug for AlertSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertSender")
            .field("external_url", &self.external_url)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("attempts", &self.attempts)
            .field("retry_delay", &self.retry_delay)
            .finish()
    }
}

impl Default for AlertSender {
    fn default() -> Self {
        Self::new("")
    }
}

impl AlertSender {
    /// A sender whose messages carry `external_url` (Alertmanager puts its
    /// own URL there; receivers link to it), with the default timeout
    /// ([`ATTEMPT_TIMEOUT`]) and retries ([`ATTEMPTS`], [`RETRY_DELAY`]).
    pub fn new(external_url: impl Into<String>) -> Self {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self {
            tls: TlsConnector::from(Arc::new(config)),
            external_url: external_url.into(),
            attempt_timeout: ATTEMPT_TIMEOUT,
            attempts: ATTEMPTS,
            retry_delay: RETRY_DELAY,
        }
    }

    /// The same sender with other timing (at least one attempt).
    pub fn with_timing(
        mut self,
        attempt_timeout: Duration,
        attempts: u32,
        retry_delay: Duration,
    ) -> Self {
        self.attempt_timeout = attempt_timeout;
        self.attempts = attempts.max(1);
        self.retry_delay = retry_delay;
        self
    }

    /// The longest [`AlertSender::send`] can take: every attempt timing out.
    pub fn max_duration(&self) -> Duration {
        let waits: Duration = (0..self.attempts.saturating_sub(1))
            .map(|retry| self.retry_delay * 2u32.saturating_pow(retry))
            .sum();
        self.attempt_timeout * self.attempts + waits
    }

    /// POSTs `alert`'s webhook message to every URL at once; each URL is
    /// retried on a connection error, a timeout, a 5xx, 408 or 429. Failures
    /// are logged (warn), never returned as an error: the result says how
    /// each delivery ended. Returns within [`AlertSender::max_duration`].
    pub async fn send(&self, urls: &[String], alert: &Alert) -> Vec<Delivery> {
        let message = alert.message(&self.external_url);
        let body = Bytes::from(serde_json::to_vec(&message).expect("a webhook message serializes"));
        let deliveries = urls.iter().map(|url| {
            let body = body.clone();
            async move {
                let delivery = self.deliver(url, body).await;
                match &delivery.result {
                    Ok(status) => tracing::info!(
                        url = %redact(url),
                        status,
                        alert = %alert.name,
                        env = %alert.env,
                        guard = %alert.guard,
                        "alert {} delivered",
                        alert.status.as_str()
                    ),
                    Err(error) => tracing::warn!(
                        url = %redact(url),
                        attempts = delivery.attempts,
                        alert = %alert.name,
                        env = %alert.env,
                        guard = %alert.guard,
                        "alert webhook failed: {error}"
                    ),
                }
                delivery
            }
        });
        futures_util::future::join_all(deliveries).await
    }

    /// [`AlertSender::send`] in the background: returns at once.
    pub fn spawn(&self, urls: Vec<String>, alert: Alert) -> tokio::task::JoinHandle<Vec<Delivery>> {
        let sender = self.clone();
        tokio::spawn(async move { sender.send(&urls, &alert).await })
    }

    async fn deliver(&self, url: &str, body: Bytes) -> Delivery {
        let target = match Target::parse(url) {
            Ok(target) => target,
            Err(error) => {
                return Delivery {
                    url: url.to_string(),
                    attempts: 0,
                    result: Err(error),
                };
            }
        };
        let mut delay = self.retry_delay;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result =
                match tokio::time::timeout(self.attempt_timeout, self.post(&target, body.clone()))
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(Failure::retry(format!(
                        "no answer within {}",
                        humanize(self.attempt_timeout)
                    ))),
                };
            match result {
                Ok(status) => {
                    return Delivery {
                        url: url.to_string(),
                        attempts: attempt,
                        result: Ok(status),
                    };
                }
                Err(failure) if failure.retry && attempt < self.attempts => {
                    tracing::debug!(url = %redact(url), attempt, "alert webhook attempt failed: {}", failure.message);
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(failure) => {
                    return Delivery {
                        url: url.to_string(),
                        attempts: attempt,
                        result: Err(failure.message),
                    };
                }
            }
        }
    }

    /// One attempt: connect (TLS for https), POST, read the answer.
    async fn post(&self, target: &Target, body: Bytes) -> Result<u16, Failure> {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|error| {
                Failure::retry(format!(
                    "cannot connect to {}:{}: {error}",
                    target.host, target.port
                ))
            })?;
        let _ = tcp.set_nodelay(true);
        let request = target.request(body);
        if !target.https {
            return exchange(tcp, request).await;
        }
        let name = ServerName::try_from(target.host.clone()).map_err(|error| {
            Failure::fatal(format!(
                "`{}` is not a TLS server name: {error}",
                target.host
            ))
        })?;
        let tls =
            self.tls.connect(name, tcp).await.map_err(|error| {
                Failure::retry(format!("TLS with {} failed: {error}", target.host))
            })?;
        exchange(tls, request).await
    }
}

/// Why an attempt failed, and whether another may succeed.
struct Failure {
    message: String,
    retry: bool,
}

impl Failure {
    fn retry(message: String) -> Self {
        Self {
            message,
            retry: true,
        }
    }

    fn fatal(message: String) -> Self {
        Self {
            message,
            retry: false,
        }
    }
}

/// Sends `request` over `io` with HTTP/1.1: the receiver's status when 2xx.
async fn exchange<I>(io: I, request: Request<Full<Bytes>>) -> Result<u16, Failure>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|error| Failure::retry(format!("HTTP handshake failed: {error}")))?;
    // Drives the connection; aborted when this attempt ends or times out.
    let _connection = AbortOnDropHandle::new(tokio::spawn(connection));
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| Failure::retry(format!("the request failed: {error}")))?;
    let status = response.status();
    let answer = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map(|body| String::from_utf8_lossy(&body.to_bytes()).trim().to_string())
        .unwrap_or_default();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let message = if answer.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {}", first_line(&answer))
    };
    let retry = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
    Err(Failure { message, retry })
}

/// Where a webhook URL points.
#[derive(Debug)]
struct Target {
    https: bool,
    /// Without brackets for IPv6.
    host: String,
    port: u16,
    /// The `Host` header: the URL's authority without user info.
    authority: String,
    path_and_query: String,
    /// `user:password` from the URL, sent as basic auth.
    basic_auth: Option<String>,
}

impl Target {
    fn parse(url: &str) -> Result<Self, String> {
        let uri: hyper::Uri = url
            .trim()
            .parse()
            .map_err(|error| format!("`{}` is not a URL: {error}", redact(url)))?;
        let https = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => false,
            Some("https") => true,
            _ => {
                return Err(format!(
                    "`{}` is not an http:// or https:// URL",
                    redact(url)
                ));
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{}` has no host", redact(url)))?;
        let (basic_auth, host_port) = match authority.as_str().rsplit_once('@') {
            Some((user_info, host_port)) => (Some(user_info.to_string()), host_port.to_string()),
            None => (None, authority.as_str().to_string()),
        };
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        Ok(Self {
            https,
            host: host.to_string(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            authority: host_port,
            path_and_query: uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
            basic_auth,
        })
    }

    fn request(&self, body: Bytes) -> Request<Full<Bytes>> {
        let mut request = Request::post(self.path_and_query.as_str())
            .header(HOST, self.authority.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("daytwo/", env!("CARGO_PKG_VERSION")));
        if let Some(user_info) = &self.basic_auth {
            let encoded = base64::engine::general_purpose::STANDARD.encode(user_info);
            request = request.header(AUTHORIZATION, format!("Basic {encoded}"));
        }
        request
            .body(Full::new(body))
            .expect("a request from a parsed URL is valid")
    }
}

/// A URL as it may be logged: without user info or query (tokens live there).
pub(crate) fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let query = if rest[end..].contains('?') {
        "?…"
    } else {
        ""
    };
    format!("{scheme}://{authority}{path}{query}")
}

/// Prometheus' `LabelSet.Fingerprint()`: FNV-1a 64 over the label names
/// (sorted) and values, each followed by the separator byte 0xff.
pub fn label_set_fingerprint(labels: &BTreeMap<String, String>) -> u64 {
    let add = |hash: u64, bytes: &[u8]| {
        bytes.iter().fold(hash, |h, byte| {
            (h ^ u64::from(*byte)).wrapping_mul(FNV_PRIME)
        })
    };
    labels.iter().fold(FNV_OFFSET, |hash, (name, value)| {
        let hash = add(hash, name.as_bytes());
        let hash = add(hash, &[SEPARATOR]);
        let hash = add(hash, value.as_bytes());
        add(hash, &[SEPARATOR])
    })
}

/// A label value as Go's `%q` writes it (Alertmanager's group keys).
fn quoted(value: &str) -> String {
    serde_json::to_string(value).expect("a string serializes")
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(200) {
        Some((end, _)) => &line[..end],
        None => line,
    }
}

fn humanize(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fingerprints_match_prometheus_test_vectors() {
        // prometheus/common model: TestMetricToFingerprint.
        assert_eq!(
            label_set_fingerprint(&labels(&[])),
            14_695_981_039_346_656_037
        );
        assert_eq!(
            label_set_fingerprint(&labels(&[
                ("name", "garland, briggs"),
                ("fear", "love is not enough")
            ])),
            5_799_056_148_416_392_346
        );
    }

    #[test]
    fn urls_are_logged_without_credentials_or_query() {
        assert_eq!(
            redact("https://user:secret@hooks.example.com/a/b?token=x"),
            "https://hooks.example.com/a/b?…"
        );
        assert_eq!(redact("http://127.0.0.1:9/hook"), "http://127.0.0.1:9/hook");
    }

    #[test]
    fn targets_default_their_ports_and_keep_user_info_for_basic_auth() {
        let target = Target::parse("https://bot:pw@hooks.example.com/in?x=1").unwrap();
        assert!(target.https);
        assert_eq!(
            (target.host.as_str(), target.port),
            ("hooks.example.com", 443)
        );
        assert_eq!(target.authority, "hooks.example.com");
        assert_eq!(target.path_and_query, "/in?x=1");
        assert_eq!(target.basic_auth.as_deref(), Some("bot:pw"));
        let target = Target::parse("http://[::1]:9093").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 9093));
        assert_eq!(target.path_and_query, "/");
        assert!(Target::parse("ftp://host/").is_err());
    }

    #[test]
    fn max_duration_bounds_every_attempt_and_wait() {
        let sender =
            AlertSender::new("").with_timing(Duration::from_secs(1), 3, Duration::from_millis(100));
        assert_eq!(sender.max_duration(), Duration::from_millis(3_300));
    }
}
