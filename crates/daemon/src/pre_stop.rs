//! The engine's pre-stop hook: before any replica gets its stop signal
//! (scale down, replacement, `down`, a deploy retiring the old release), it
//! leaves routing and its in-flight requests finish. The engine marks it
//! `stopping` first, so the next route table already excludes it; the hook
//! sends that table at once and waits until the proxy counts no request in
//! flight on the replica's upstream, at most the replica's stop timeout.

use crate::route_sync::RouteSync;
use daytwo_engine::PreStop;
use daytwo_proxy::ProxyClient;
use daytwo_types::ReplicaKey;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub(crate) struct DrainBeforeStop {
    /// Set once the route-sync actor exists (it needs the engine first).
    pub(crate) route_sync: Arc<OnceLock<RouteSync>>,
    pub(crate) proxy: ProxyClient,
}

impl PreStop for DrainBeforeStop {
    fn before_stop(
        &self,
        key: ReplicaKey,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let route_sync = self.route_sync.get().cloned();
        let proxy = self.proxy.clone();
        Box::pin(async move {
            let Some(route_sync) = route_sync else {
                return;
            };
            if let Err(error) = route_sync.flush().await {
                tracing::warn!(replica = %key, %error, "could not take the replica out of routing before stopping it");
                return;
            }
            // Upstream ids are `env/process.N`, the replica key's display.
            if let Err(error) = proxy.wait_drained(&key.to_string(), timeout).await {
                tracing::debug!(replica = %key, %error, "no drain count from the proxy");
            }
        })
    }
}
