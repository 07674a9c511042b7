//! `GET /metrics` on the control socket: the same Prometheus text the
//! metrics TCP listener serves (`curl --unix-socket $DAYTWO_HOME/daytwo.sock
//! http://daytwo/metrics`).

use super::AppState;
use crate::telemetry::metrics_server::{self, MetricsSource};
use axum::extract::State;
use axum::response::IntoResponse;

pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    metrics_server::metrics(State(MetricsSource {
        engine: state.engine,
        store: state.store,
        telemetry: state.telemetry,
    }))
    .await
}
