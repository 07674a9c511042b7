//! The background process (`shop worker`): every interval it fulfils the
//! pending orders and logs how many there were. It serves no HTTP; daytwo
//! runs it as a second process type next to `web`, sharing the database.

use crate::config::WorkerConfig;
use crate::db::{Db, DbError};
use crate::orders;
use crate::shutdown::StopSignals;
use tokio::time::{MissedTickBehavior, interval};

pub async fn run(config: WorkerConfig, signals: StopSignals) -> Result<(), DbError> {
    let db = Db::open_async(config.db_path.clone(), config.identity.env.clone()).await?;
    tracing::info!(
        db = %db.path().display(),
        interval_ms = config.interval.as_millis() as u64,
        env = config.identity.env.as_deref(),
        release = config.identity.release.as_deref(),
        pid = std::process::id(),
        "worker started"
    );
    let mut ticks = interval(config.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let stop = signals.recv();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick() => tick(&db).await,
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// One pass. A failure (say, the file locked past the busy timeout) is
/// logged and retried on the next tick rather than stopping the worker.
async fn tick(db: &Db) {
    match db.call(orders::fulfil_pending).await {
        Ok(pass) => {
            tracing::info!(count = pass.pending, "pending orders");
            if pass.fulfilled > 0 {
                tracing::info!(count = pass.fulfilled, "orders fulfilled");
            }
        }
        Err(error) => tracing::warn!(error = %error, "fulfilment pass failed"),
    }
}
