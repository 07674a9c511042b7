//! A served env on 127.0.0.1:0 that stops on Drop, a small HTTP client and
//! the test flags.

use bytes::Bytes;
use daytwo_flags::{FlagsHandle, OfrepOptions, serve};
use daytwo_spec::{Condition, EnvFlag, FlagType, Rollout, Serve, Targeting, TargetingRule};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "s3cret-token";

/// An OFREP server for one env; cancelled and awaited-for on Drop.
pub struct Server {
    pub addr: SocketAddr,
    pub handle: FlagsHandle,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Server {
    pub async fn start(token: Option<&str>) -> Self {
        Self::start_with(test_flags(), token).await
    }

    pub async fn start_with(flags: Vec<EnvFlag>, token: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = FlagsHandle::new("prod", flags);
        let shutdown = CancellationToken::new();
        let options = OfrepOptions {
            token: token.map(str::to_string),
            ..OfrepOptions::default()
        };
        let task = tokio::spawn({
            let (handle, shutdown) = (handle.clone(), shutdown.clone());
            async move { serve(listener, handle, options, shutdown).await.unwrap() }
        });
        Self {
            addr,
            handle,
            shutdown,
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits until the listener is closed.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn request(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let mut builder = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(Full::new(body.into())).unwrap();
    let response = client().request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// `POST url` with a JSON body and optional bearer token.
pub async fn post(url: &str, body: &str, token: Option<&str>) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    request(Method::POST, url, &headers, body.to_string()).await
}

fn flag(name: &str, kind: FlagType, value: Value) -> EnvFlag {
    EnvFlag {
        name: name.into(),
        description: format!("the {name} flag"),
        kind,
        enabled: true,
        value: value.clone(),
        default: value,
        variants: BTreeMap::new(),
        targeting: None,
        owner: None,
        expires: None,
    }
}

/// `analytics` (boolean kill switch), `banner` (string with a rule),
/// `page-size` (integer), `ratio` (float), `limits` (object) and `new-search`
/// (boolean 50 % rollout, needs a targeting key).
pub fn test_flags() -> Vec<EnvFlag> {
    let mut analytics = flag("analytics", FlagType::Boolean, json!(true));
    analytics.owner = Some("data-team".into());
    analytics.variants = BTreeMap::from([("on".into(), json!(true)), ("off".into(), json!(false))]);
    let mut banner = flag("banner", FlagType::String, json!("blue"));
    banner.targeting = Some(Targeting {
        rules: vec![TargetingRule {
            attribute: "email".into(),
            condition: Condition::StartsWith("qa-".into()),
            serve: Serve::Value(json!("red")),
        }],
        rollout: None,
    });
    let mut search = flag("new-search", FlagType::Boolean, json!(false));
    search.targeting = Some(Targeting {
        rules: vec![],
        rollout: Some(Rollout {
            percentage: 50.0,
            serve: Serve::Value(json!(true)),
        }),
    });
    vec![
        analytics,
        banner,
        flag("page-size", FlagType::Integer, json!(20)),
        flag("ratio", FlagType::Float, json!(0.25)),
        flag("limits", FlagType::Object, json!({"burst": 10})),
        search,
    ]
}
