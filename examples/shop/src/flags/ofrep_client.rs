//! The HTTP side of OFREP, over a pooled hyper client: bulk evaluation
//! (`POST /ofrep/v1/evaluate/flags`) with `If-None-Match`, and opening the
//! SSE event stream the bulk answer advertises. Plain HTTP only: daytwo
//! serves each env's flags on 127.0.0.1.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// The longest one evaluation request (or opening the event stream) may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(2);
/// Bulk evaluation, relative to the base URL.
const BULK_PATH: &str = "/ofrep/v1/evaluate/flags";
/// How much of an unexpected error body is kept for the log.
const MAX_ERROR_DETAILS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot build a request to {url}: {reason}")]
    BadRequest { url: String, reason: String },
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} did not answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error(
        "{url} wants a bearer token (401); set DAYTWO_FLAGS_TOKEN (daytwo passes the home's flags.token)"
    )]
    MissingToken { url: String },
    #[error(
        "{url} refused DAYTWO_FLAGS_TOKEN (403); it must be the daemon's $DAYTWO_HOME/flags.token"
    )]
    WrongToken { url: String },
    #[error("{url} answered {status}: {details}")]
    Status {
        url: String,
        status: u16,
        details: String,
    },
    #[error("cannot read the answer of {url}: {source}")]
    Body { url: String, source: hyper::Error },
    #[error("the answer of {url} is not an OFREP bulk evaluation: {reason}")]
    Parse { url: String, reason: String },
}

impl FetchError {
    /// The HTTP status the server answered, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::MissingToken { .. } => Some(401),
            Self::WrongToken { .. } => Some(403),
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The answer to a bulk evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkAnswer {
    /// `304`: nothing changed since the tag that was sent.
    NotModified,
    Evaluated(BulkEvaluation),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkEvaluation {
    /// The `ETag` to send as `If-None-Match` next time.
    pub etag: Option<String>,
    pub flags: HashMap<String, FlagResult>,
    /// The advertised SSE stream (`eventStreams[type=sse].url`), if any.
    pub event_stream: Option<String>,
}

/// One flag's item of a bulk answer.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagResult {
    Value {
        value: Value,
        reason: Option<String>,
    },
    Error {
        code: String,
        details: String,
    },
}

/// An OFREP client for one base URL. Cloning shares the connection pool.
#[derive(Debug, Clone)]
pub struct OfrepClient {
    http: Client<HttpConnector, Full<Bytes>>,
    bulk_url: String,
    token: Option<String>,
    /// The request body: `{"context": {…}}`.
    body: Bytes,
}

impl OfrepClient {
    /// Whether `url` can be a base URL: `http://HOST[:PORT][/prefix]`.
    pub fn check_base_url(url: &str) -> Result<(), String> {
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|error| format!("not a URL ({error})"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(format!(
                    "`{other}` is not supported; daytwo serves flags over http:// on 127.0.0.1"
                ));
            }
            None => return Err("no scheme; write it as http://HOST:PORT".to_string()),
        }
        if uri.authority().is_none() {
            return Err("no host; write it as http://HOST:PORT".to_string());
        }
        Ok(())
    }

    /// A client for `base_url` (checked with [`Self::check_base_url`]) that
    /// evaluates with `context` (the OFREP evaluation context object).
    pub fn new(base_url: &str, token: Option<String>, context: Value) -> Self {
        let body = serde_json::json!({ "context": context }).to_string();
        Self {
            http: Client::builder(TokioExecutor::new()).build_http(),
            bulk_url: format!("{}{BULK_PATH}", base_url.trim_end_matches('/')),
            token,
            body: Bytes::from(body),
        }
    }

    /// Evaluates every flag; `etag` is the last answer's tag.
    pub async fn bulk(&self, etag: Option<&str>) -> Result<BulkAnswer, FetchError> {
        let url = self.bulk_url.as_str();
        let mut request = self
            .request(Method::POST, url)
            .header(CONTENT_TYPE, "application/json");
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let request = request
            .body(Full::new(self.body.clone()))
            .map_err(|error| bad_request(url, &error))?;
        let exchange = async {
            let response = self.send(url, request).await?;
            if response.status() == StatusCode::NOT_MODIFIED {
                return Ok(BulkAnswer::NotModified);
            }
            let etag = response
                .headers()
                .get(ETAG)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|source| FetchError::Body {
                    url: url.to_string(),
                    source,
                })?
                .to_bytes();
            parse_bulk(&body, etag).map_err(|reason| FetchError::Parse {
                url: url.to_string(),
                reason,
            })
        };
        tokio::time::timeout(FETCH_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| Err(timeout(url)))
    }

    /// Opens the SSE stream at `url`; the body is the stream of events.
    pub async fn events(&self, url: &str) -> Result<Incoming, FetchError> {
        let request = self
            .request(Method::GET, url)
            .header(ACCEPT, "text/event-stream")
            .body(Full::new(Bytes::new()))
            .map_err(|error| bad_request(url, &error))?;
        let response = tokio::time::timeout(FETCH_TIMEOUT, self.send(url, request))
            .await
            .unwrap_or_else(|_| Err(timeout(url)))?;
        Ok(response.into_body())
    }

    fn request(&self, method: Method, url: &str) -> hyper::http::request::Builder {
        let request = Request::builder().method(method).uri(url);
        match &self.token {
            Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            None => request,
        }
    }

    /// Sends `request`; any status but 2xx and 304 becomes an error.
    async fn send(
        &self,
        url: &str,
        request: Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Incoming>, FetchError> {
        let response = self
            .http
            .request(request)
            .await
            .map_err(|error| FetchError::Connect {
                url: url.to_string(),
                reason: error_chain(&error),
            })?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        let url = url.to_string();
        Err(match status {
            StatusCode::UNAUTHORIZED => FetchError::MissingToken { url },
            StatusCode::FORBIDDEN => FetchError::WrongToken { url },
            _ => {
                let body = tokio::time::timeout(FETCH_TIMEOUT, response.into_body().collect())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|body| body.to_bytes())
                    .unwrap_or_default();
                let mut details = String::from_utf8_lossy(&body).into_owned();
                details.truncate(details.floor_char_boundary(MAX_ERROR_DETAILS));
                FetchError::Status {
                    url,
                    status: status.as_u16(),
                    details,
                }
            }
        })
    }
}

/// `error` and its sources, `: `-separated (hyper's client error alone
/// says only "client error (Connect)").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn bad_request(url: &str, error: &hyper::http::Error) -> FetchError {
    FetchError::BadRequest {
        url: url.to_string(),
        reason: error.to_string(),
    }
}

fn timeout(url: &str) -> FetchError {
    FetchError::Timeout {
        url: url.to_string(),
        timeout: FETCH_TIMEOUT,
    }
}

/// Reads a `bulkEvaluationSuccess` body.
fn parse_bulk(body: &[u8], etag: Option<String>) -> Result<BulkAnswer, String> {
    let answer: Value = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    let items = answer
        .get("flags")
        .and_then(Value::as_array)
        .ok_or("no `flags` array")?;
    let mut flags = HashMap::new();
    for item in items {
        let key = item
            .get("key")
            .and_then(Value::as_str)
            .ok_or("a flag without `key`")?;
        let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
        let result = match item.get("value") {
            Some(value) => FlagResult::Value {
                value: value.clone(),
                reason: text("reason"),
            },
            None => FlagResult::Error {
                code: text("errorCode").unwrap_or_else(|| "GENERAL".to_string()),
                details: text("errorDetails").unwrap_or_default(),
            },
        };
        flags.insert(key.to_string(), result);
    }
    let event_stream = answer
        .get("eventStreams")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|stream| stream.get("type").and_then(Value::as_str) == Some("sse"))
        .and_then(|stream| stream.get("url").and_then(Value::as_str))
        .map(str::to_string);
    Ok(BulkAnswer::Evaluated(BulkEvaluation {
        etag,
        flags,
        event_stream,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_values_failures_and_the_sse_stream_of_a_bulk_answer() {
        let body = json!({
            "flags": [
                {"key": "analytics", "value": true, "reason": "STATIC", "variant": "on"},
                {"key": "checkout", "errorCode": "TARGETING_KEY_MISSING", "errorDetails": "needs a key"},
            ],
            "eventStreams": [{"type": "sse", "url": "http://127.0.0.1:7001/ofrep/v1/events", "inactivityDelaySec": 120}],
        });
        let answer = parse_bulk(body.to_string().as_bytes(), Some("\"t1\"".into())).unwrap();
        let BulkAnswer::Evaluated(evaluation) = answer else {
            panic!("evaluated")
        };
        assert_eq!(evaluation.etag.as_deref(), Some("\"t1\""));
        assert_eq!(
            evaluation.flags["analytics"],
            FlagResult::Value {
                value: json!(true),
                reason: Some("STATIC".into())
            }
        );
        assert_eq!(
            evaluation.flags["checkout"],
            FlagResult::Error {
                code: "TARGETING_KEY_MISSING".into(),
                details: "needs a key".into()
            }
        );
        assert_eq!(
            evaluation.event_stream.as_deref(),
            Some("http://127.0.0.1:7001/ofrep/v1/events")
        );
    }

    #[test]
    fn a_body_without_flags_is_a_parse_error() {
        assert!(parse_bulk(b"{}", None).is_err());
        assert!(parse_bulk(b"<html>", None).is_err());
    }

    #[test]
    fn base_url_must_be_plain_http_with_a_host() {
        assert!(OfrepClient::check_base_url("http://127.0.0.1:7001").is_ok());
        assert!(OfrepClient::check_base_url("http://127.0.0.1:7001/flags/prod").is_ok());
        assert!(OfrepClient::check_base_url("https://flags.example").is_err());
        assert!(OfrepClient::check_base_url("/ofrep").is_err());
        assert!(OfrepClient::check_base_url("not a url").is_err());
    }
}
