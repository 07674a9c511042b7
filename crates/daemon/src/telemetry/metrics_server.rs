//! Where the daemon's metrics are served: `GET /metrics` on a TCP listener
//! on loopback (for Prometheus; `DAYTWO_METRICS_ADDR`, default
//! `127.0.0.1:0`, i.e. a free port shown as `daemon.metrics_url` by
//! `daytwo status --json`; `off` disables it) and on the control socket.

use super::Telemetry;
use super::prometheus::{CONTENT_TYPE, MetricsInput, render};
use crate::store_handle::StoreHandle;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use daytwo_engine::Engine;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The variable that sets the metrics listener's address.
pub const METRICS_ADDR_VAR: &str = "DAYTWO_METRICS_ADDR";
/// Where the metrics listener binds by default: loopback, a free port.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:0";

/// What a scrape reads.
#[derive(Clone)]
pub(crate) struct MetricsSource {
    pub(crate) engine: Engine,
    pub(crate) store: StoreHandle,
    pub(crate) telemetry: Telemetry,
}

impl MetricsSource {
    /// The metrics now, in the Prometheus text format. A store that
    /// cannot be read leaves its families empty (logged), the rest is
    /// still served.
    pub(crate) async fn render(&self) -> String {
        let stored = self
            .store
            .call(|store| {
                let deploys = store.deployment_outcome_counts()?;
                let incidents = store.open_incident_counts()?;
                let versions = store
                    .releases()?
                    .into_iter()
                    .map(|release| (release.digest, release.version))
                    .collect();
                Ok::<_, daytwo_store::StoreError>((deploys, incidents, versions))
            })
            .await;
        let (mut deploys, open_incidents, versions) = match stored {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!("metrics: the store could not be read: {error}");
                Default::default()
            }
        };
        deploys.retain(|(_, _, outcome, _)| outcome != daytwo_store::RUNNING);
        render(&MetricsInput {
            replicas: self.engine.replicas(None),
            cpu_seconds: self.engine.cpu_seconds(None),
            latest: self.telemetry.latest(),
            versions,
            deploys,
            looks: self.telemetry.look_counts(),
            verdicts: self.telemetry.verdict_counts(),
            open_incidents,
        })
    }
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(source): State<MetricsSource>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        source.render().await,
    )
}

/// The metrics listener's address from [`METRICS_ADDR_VAR`]; `Ok(None)`
/// when it is `off`, `Err` with the reason when it is not an address.
pub(crate) fn addr_from_env() -> Result<Option<SocketAddr>, String> {
    let text = std::env::var(METRICS_ADDR_VAR).unwrap_or_else(|_| DEFAULT_METRICS_ADDR.into());
    if text.trim() == "off" {
        return Ok(None);
    }
    text.trim().parse().map(Some).map_err(|_| {
        format!("{METRICS_ADDR_VAR}={text:?} is not an address like 127.0.0.1:9464 (or `off`)")
    })
}

/// Binds the metrics listener and serves `GET /metrics` on it until
/// `shutdown`; returns the URL it serves.
pub(crate) async fn serve(
    addr: SocketAddr,
    source: MetricsSource,
    shutdown: CancellationToken,
) -> Result<String, String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen for metrics on {addr}: {error}"))?;
    let bound = listener
        .local_addr()
        .map_err(|error| format!("the metrics listener on {addr} has no address: {error}"))?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .with_state(source);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
        {
            tracing::warn!("the metrics listener stopped: {error}");
        }
    });
    Ok(format!("http://{bound}/metrics"))
}
