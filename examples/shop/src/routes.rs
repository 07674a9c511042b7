//! The HTTP API of the web process.
//!
//! | route | answer |
//! |---|---|
//! | `GET /healthz` | `200 ok` once the database answers (what daytwo's health check asks) |
//! | `GET /whoami` | env, release, replica, pid and port of this replica |
//! | `GET /products`, `GET /products/{id}` | the catalogue |
//! | `POST /orders` | `{"product_id", "quantity"}` → `201` with the pending order |
//! | `GET /orders/{id}` | one order |
//! | `GET /slow?ms=N` | answers after N ms (at most [`MAX_SLOW_MS`]); for drain tests |
//! | `GET /analytics` | the analytics map's summary (`analytics`) |
//!
//! Errors are JSON (see `error`); every request but `/healthz` is logged,
//! and recorded by the analytics feature while its flag is on.

use crate::analytics::{Analytics, Summary};
use crate::config::Identity;
use crate::db::Db;
use crate::error::ApiError;
use crate::orders::{self, NewOrder, Order};
use crate::products::{self, Product};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The largest quantity one order may ask for.
pub const MAX_ORDER_QUANTITY: i64 = 100;
/// The longest `GET /slow` will wait.
pub const MAX_SLOW_MS: u64 = 30_000;
const HEALTH_PATH: &str = "/healthz";
const ANALYTICS_PATH: &str = "/analytics";

/// What every handler can see.
pub struct AppState {
    pub db: Db,
    pub identity: Identity,
    /// The port actually bound (differs from `PORT` when that is 0).
    pub port: u16,
    pub analytics: Arc<Analytics>,
}

pub fn router(state: AppState) -> Router {
    let analytics = Arc::clone(&state.analytics);
    Router::new()
        .route(HEALTH_PATH, get(healthz))
        .route("/whoami", get(whoami))
        .route("/products", get(list_products))
        .route("/products/{id}", get(get_product))
        .route("/orders", post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/slow", get(slow))
        .route(ANALYTICS_PATH, get(analytics_summary))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(analytics, record_analytics))
        .layer(middleware::from_fn(log_request))
        .with_state(Arc::new(state))
}

type Shared = State<Arc<AppState>>;

async fn healthz(State(state): Shared) -> Result<&'static str, ApiError> {
    state
        .db
        .call(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
        .await?;
    Ok("ok")
}

#[derive(Debug, Serialize)]
struct Whoami<'a> {
    app: &'static str,
    env: Option<&'a str>,
    release: Option<&'a str>,
    replica: Option<&'a str>,
    pid: u32,
    port: u16,
}

async fn whoami(State(state): Shared) -> Response {
    Json(Whoami {
        app: crate::APP_NAME,
        env: state.identity.env.as_deref(),
        release: state.identity.release.as_deref(),
        replica: state.identity.replica.as_deref(),
        pid: std::process::id(),
        port: state.port,
    })
    .into_response()
}

async fn list_products(State(state): Shared) -> Result<Json<Vec<Product>>, ApiError> {
    Ok(Json(state.db.call(|conn| products::list(conn)).await?))
}

async fn get_product(
    State(state): Shared,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Product>, ApiError> {
    let id = path_id(id)?;
    state
        .db
        .call(move |conn| products::get(conn, id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("product {id} does not exist")))
}

#[derive(Debug, Deserialize)]
struct OrderRequest {
    product_id: i64,
    quantity: i64,
}

async fn create_order(
    State(state): Shared,
    body: Result<Json<OrderRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let Json(request) = body.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "{}; send a JSON body like {{\"product_id\": 1, \"quantity\": 2}}",
            rejection.body_text()
        ))
    })?;
    if request.product_id < 1 {
        return Err(ApiError::BadRequest(format!(
            "product_id must be a positive product id, got {}",
            request.product_id
        )));
    }
    if !(1..=MAX_ORDER_QUANTITY).contains(&request.quantity) {
        return Err(ApiError::BadRequest(format!(
            "quantity must be between 1 and {MAX_ORDER_QUANTITY}, got {}",
            request.quantity
        )));
    }
    let new = NewOrder {
        product_id: request.product_id,
        quantity: request.quantity,
    };
    let replica = state.identity.replica.clone();
    let order = state
        .db
        .call(move |conn| orders::create(conn, new, replica.as_deref()))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "product {} does not exist; GET /products lists them",
                new.product_id
            ))
        })?;
    tracing::info!(
        order_id = order.id,
        product_id = order.product_id,
        quantity = order.quantity,
        total_cents = order.total_cents,
        "order created"
    );
    Ok((StatusCode::CREATED, Json(order)))
}

async fn get_order(
    State(state): Shared,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Order>, ApiError> {
    let id = path_id(id)?;
    state
        .db
        .call(move |conn| orders::get(conn, id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("order {id} does not exist")))
}

#[derive(Debug, Deserialize)]
struct SlowQuery {
    ms: u64,
}

async fn slow(query: Result<Query<SlowQuery>, QueryRejection>) -> Result<Response, ApiError> {
    let Query(SlowQuery { ms }) = query.map_err(|rejection| {
        ApiError::BadRequest(format!("{}; use /slow?ms=500", rejection.body_text()))
    })?;
    let ms = ms.min(MAX_SLOW_MS);
    // Logged at the start so a test knows the request is in flight.
    tracing::info!(ms, "slow request started");
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(Json(serde_json::json!({ "slept_ms": ms })).into_response())
}

async fn analytics_summary(State(state): Shared) -> Json<Summary> {
    Json(state.analytics.summary())
}

/// The analytics feature's hook: every request but `/healthz` and
/// `/analytics` is recorded while the `analytics` flag is on. Reads one
/// atomic when it is off; never waits on the network.
async fn record_analytics(
    State(analytics): State<Arc<Analytics>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path != HEALTH_PATH && path != ANALYTICS_PATH {
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("-");
        analytics.record(path, user_agent, SystemTime::now());
    }
    next.run(request).await
}

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {} {}",
        request.method(),
        request.uri().path()
    ))
}

fn path_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    id.map(|Path(id)| id).map_err(|rejection| {
        ApiError::BadRequest(format!("{}; ids are integers", rejection.body_text()))
    })
}

/// Logs one line per request (`/healthz` excepted: health checks would drown
/// everything else).
async fn log_request(request: Request, next: Next) -> Response {
    if request.uri().path() == HEALTH_PATH {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    tracing::info!(
        method = method.as_str(),
        path,
        status = response.status().as_u16(),
        duration_ms,
        "request"
    );
    response
}
