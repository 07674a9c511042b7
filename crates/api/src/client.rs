//! A typed client of the control API over the daemon's unix socket. One
//! connection per request: the socket is local and requests are rare.

use crate::types::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use tokio::net::UnixStream;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to the daemon at {socket}: {source}")]
    Connect {
        socket: PathBuf,
        source: std::io::Error,
    },
    #[error("control-API request {path} failed: {source}")]
    Http { path: String, source: hyper::Error },
    #[error("{}", .body.message)]
    Api { status: u16, body: ApiErrorBody },
    #[error("the daemon's answer to {path} is not valid JSON: {source}")]
    Decode {
        path: String,
        source: serde_json::Error,
    },
}

impl ClientError {
    /// The hint the daemon gave with an API error, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => body.hint.as_deref(),
            Self::Connect { .. } => Some("is the daemon running? `daytwo serve` starts it"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    socket: PathBuf,
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
        }
    }

    /// A client of the daemon whose state directory is `home`.
    pub fn for_home(home: &Path) -> Self {
        Self::new(home.join(crate::SOCKET_FILE))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        self.call(Method::GET, "/v1/status", None::<&()>).await
    }

    pub async fn ps(&self, env: Option<&str>) -> Result<Vec<ReplicaInfo>, ClientError> {
        let path = match env {
            Some(env) => format!("/v1/ps?env={}", encode(env)),
            None => "/v1/ps".to_string(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    pub async fn up(&self, request: &UpRequest) -> Result<EnvReplicas, ClientError> {
        let path = format!("/v1/envs/{}/up", encode(&request.spec.env));
        self.call(Method::POST, &path, Some(request)).await
    }

    pub async fn down(&self, env: &str) -> Result<EnvReplicas, ClientError> {
        let path = format!("/v1/envs/{}/down", encode(env));
        self.call(Method::POST, &path, None::<&()>).await
    }

    pub async fn events(
        &self,
        env: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<Event>, ClientError> {
        let mut query = Vec::new();
        if let Some(env) = env {
            query.push(format!("env={}", encode(env)));
        }
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        let path = format!("/v1/events?{}", query.join("&"));
        self.call(Method::GET, &path, None::<&()>).await
    }

    pub async fn shutdown(&self) -> Result<(), ClientError> {
        let _: serde_json::Value = self.call(Method::POST, "/v1/shutdown", None::<&()>).await?;
        Ok(())
    }

    /// `POST /v1/releases`: verifies and imports a bundle file.
    pub async fn import(&self, request: &ImportRequest) -> Result<ReleaseInfo, ClientError> {
        self.call(Method::POST, "/v1/releases", Some(request)).await
    }

    /// `GET /v1/releases`: every stored release, newest import first.
    pub async fn releases(&self) -> Result<Vec<ReleaseInfo>, ClientError> {
        self.call(Method::GET, "/v1/releases", None::<&()>).await
    }

    /// `POST /v1/envs/{env}/deploy`; read progress with [`DeployStream::next`].
    pub async fn deploy(
        &self,
        env: &str,
        request: &DeployRequest,
    ) -> Result<DeployStream, ClientError> {
        let path = format!("/v1/envs/{}/deploy", encode(env));
        self.stream(Method::POST, &path, Some(request)).await
    }

    /// `POST /v1/envs/{env}/promote`: deploys the digest running in `request.from`.
    pub async fn promote(
        &self,
        env: &str,
        request: &PromoteRequest,
    ) -> Result<DeployStream, ClientError> {
        let path = format!("/v1/envs/{}/promote", encode(env));
        self.stream(Method::POST, &path, Some(request)).await
    }

    /// `POST /v1/envs/{env}/rollback`.
    pub async fn rollback(
        &self,
        env: &str,
        request: &RollbackRequest,
    ) -> Result<DeployStream, ClientError> {
        let path = format!("/v1/envs/{}/rollback", encode(env));
        self.stream(Method::POST, &path, Some(request)).await
    }

    /// `GET /v1/history?env=`: deploys, promotes and rollbacks, newest first.
    pub async fn history(&self, env: Option<&str>) -> Result<Vec<DeployRecord>, ClientError> {
        let path = match env {
            Some(env) => format!("/v1/history?env={}", encode(env)),
            None => "/v1/history".to_string(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `GET /v1/flags?env=`: every flag of every env that is up (or of `env`).
    pub async fn flags(&self, env: Option<&str>) -> Result<Vec<FlagInfo>, ClientError> {
        let path = match env {
            Some(env) => format!("/v1/flags?env={}", encode(env)),
            None => "/v1/flags".to_string(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `POST /v1/envs/{env}/flags/{name}`: answers once the new value is served.
    pub async fn set_flag(
        &self,
        env: &str,
        name: &str,
        request: &SetFlagRequest,
    ) -> Result<FlagInfo, ClientError> {
        let path = format!("/v1/envs/{}/flags/{}", encode(env), encode(name));
        self.call(Method::POST, &path, Some(request)).await
    }

    /// `GET /v1/flags/history?env=&name=`: run-time changes, oldest first.
    pub async fn flag_history(
        &self,
        env: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<FlagChangeInfo>, ClientError> {
        let mut query = Vec::new();
        if let Some(env) = env {
            query.push(format!("env={}", encode(env)));
        }
        if let Some(name) = name {
            query.push(format!("name={}", encode(name)));
        }
        let path = format!("/v1/flags/history?{}", query.join("&"));
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// Opens `GET /v1/logs`; read lines with [`LogStream::next`].
    pub async fn logs(&self, query: &LogQuery) -> Result<LogStream, ClientError> {
        let mut params = Vec::new();
        if let Some(env) = &query.env {
            params.push(format!("env={}", encode(env)));
        }
        if let Some(process) = &query.process {
            params.push(format!("process={}", encode(process)));
        }
        if let Some(replica) = query.replica {
            params.push(format!("replica={replica}"));
        }
        if let Some(since) = query.since_ms {
            params.push(format!("since_ms={since}"));
        }
        if let Some(tail) = query.tail {
            params.push(format!("tail={tail}"));
        }
        params.push(format!("follow={}", query.follow));
        let path = format!("/v1/logs?{}", params.join("&"));
        Ok(LogStream {
            lines: self.ndjson(Method::GET, &path, None::<&()>).await?,
        })
    }

    async fn stream(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<DeployStream, ClientError> {
        Ok(DeployStream {
            lines: self.ndjson(method, path, body).await?,
        })
    }

    /// Sends a request answered by an NDJSON stream; a non-2xx answer is an error.
    async fn ndjson(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<NdjsonBody, ClientError> {
        let response = self.send(method, path, body).await?;
        let status = response.status();
        if !status.is_success() {
            let bytes = collect(path, response.into_body()).await?;
            return Err(api_error(path, status, &bytes));
        }
        Ok(NdjsonBody {
            path: path.to_string(),
            body: response.into_body(),
            buffer: Vec::new(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        let response = self.send(method, path, body).await?;
        let status = response.status();
        let bytes = collect(path, response.into_body()).await?;
        if !status.is_success() {
            return Err(api_error(path, status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode {
            path: path.to_string(),
            source,
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<hyper::Response<Incoming>, ClientError> {
        let stream =
            UnixStream::connect(&self.socket)
                .await
                .map_err(|source| ClientError::Connect {
                    socket: self.socket.clone(),
                    source,
                })?;
        let http_err = |source| ClientError::Http {
            path: path.to_string(),
            source,
        };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(http_err)?;
        tokio::spawn(async move {
            // The connection ends with the response; its errors surface on the request.
            let _ = connection.await;
        });
        let body = match body {
            Some(body) => Bytes::from(serde_json::to_vec(body).expect("API bodies serialize")),
            None => Bytes::new(),
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, "daytwo")
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .expect("request parts are valid");
        sender.send_request(request).await.map_err(http_err)
    }
}

/// The NDJSON body of `GET /v1/logs`, one [`LogLine`] at a time.
pub struct LogStream {
    lines: NdjsonBody,
}

impl LogStream {
    /// The next line, or `None` when the daemon closed the stream.
    pub async fn next(&mut self) -> Result<Option<LogLine>, ClientError> {
        self.lines.next().await
    }
}

/// The NDJSON answer of deploy, promote and rollback: [`DeployProgress`]
/// steps, then one `Result` with the record.
pub struct DeployStream {
    lines: NdjsonBody,
}

impl DeployStream {
    /// The next progress item, or `None` when the daemon closed the stream.
    pub async fn next(&mut self) -> Result<Option<DeployProgress>, ClientError> {
        self.lines.next().await
    }
}

/// A response body of newline-delimited JSON values.
struct NdjsonBody {
    path: String,
    body: Incoming,
    buffer: Vec<u8>,
}

impl NdjsonBody {
    async fn next<T: DeserializeOwned>(&mut self) -> Result<Option<T>, ClientError> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                if line.len() <= 1 {
                    continue;
                }
                return serde_json::from_slice(&line[..line.len() - 1])
                    .map(Some)
                    .map_err(|source| ClientError::Decode {
                        path: self.path.clone(),
                        source,
                    });
            }
            match self.body.frame().await {
                None => return Ok(None),
                Some(Err(source)) => {
                    return Err(ClientError::Http {
                        path: self.path.clone(),
                        source,
                    });
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

async fn collect(path: &str, body: Incoming) -> Result<Bytes, ClientError> {
    body.collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|source| ClientError::Http {
            path: path.to_string(),
            source,
        })
}

fn api_error(path: &str, status: StatusCode, bytes: &[u8]) -> ClientError {
    let body = serde_json::from_slice(bytes).unwrap_or_else(|_| ApiErrorBody {
        code: "http_error".to_string(),
        message: format!(
            "{path} answered {status}: {}",
            String::from_utf8_lossy(bytes).trim()
        ),
        hint: None,
    });
    ClientError::Api {
        status: status.as_u16(),
        body,
    }
}

/// Characters kept as they are in a path segment or query value: RFC 3986's
/// unreserved set.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a path segment or query value.
fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encode_keeps_unreserved_characters_and_escapes_the_rest() {
        assert_eq!(super::encode("web-1_a.b~"), "web-1_a.b~");
        assert_eq!(super::encode("a b/é?&"), "a%20b%2F%C3%A9%3F%26");
    }
}
