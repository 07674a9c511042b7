//! The web process (`shop` or `shop web`): open the database, bind
//! `127.0.0.1:$PORT`, start following the feature flags and flushing the
//! analytics rollups, serve the routes until a stop signal, then stop
//! accepting, let in-flight requests finish, flush once more, and return.

use crate::analytics::{self, Analytics};
use crate::config::WebConfig;
use crate::db::{Db, DbError};
use crate::flags::{self, ANALYTICS, BoolFlag};
use crate::routes::{self, AppState};
use crate::shutdown::StopSignals;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot listen on {addr}: {source}; is another process using the port?")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

pub async fn run(config: WebConfig, signals: StopSignals) -> Result<(), WebError> {
    let db = Db::open_async(config.db_path.clone(), config.identity.env.clone()).await?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| WebError::Bind { addr, source })?;

    tracing::info!(
        addr = %bound,
        db = %db.path().display(),
        env = config.identity.env.as_deref(),
        release = config.identity.release.as_deref(),
        pid = std::process::id(),
        "listening"
    );
    let analytics_flag = BoolFlag::new(ANALYTICS, config.flags.analytics);
    let analytics = Arc::new(Analytics::new(analytics_flag.clone(), config.analytics));
    let flag_refresher = flags::start(&config.flags, &config.identity, vec![analytics_flag]);
    let flusher = analytics::spawn_flusher(Arc::clone(&analytics), db.clone());
    let app = routes::router(AppState {
        db: db.clone(),
        identity: config.identity,
        port: bound.port(),
        analytics: Arc::clone(&analytics),
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            signals.recv().await;
        })
        .await;
    if let Some(refresher) = flag_refresher {
        refresher.abort();
    }
    flusher.abort();
    // What was counted since the last flush is not lost on a clean stop.
    if let Err(error) = analytics.flush(&db).await {
        tracing::warn!(error = %error, "analytics rollups not written");
    }
    served.map_err(WebError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}
