//! Persists what the engine reports: a task drains the engine's event channel
//! and writes each change to the store on a blocking thread —
//! `ReplicaChanged` → replica row, `ReplicaRemoved` → row deleted,
//! `Event` → event log.
//! (The engine sends no `ReplicaChanged` for mere RSS/CPU samples, so an idle
//! daemon does not write to disk.)
//!
//! It also pokes `replicas_changed` after each burst that changed or removed
//! a replica, so that the proxy's routes follow (`route_sync`).
//!
//! [`PersistHandle::flush`] returns once every event the engine had sent
//! before the call is written; the API handlers use it to make `up` and `down`
//! durable before they answer.

use crate::store_handle::StoreHandle;
use daytwo_engine::EngineEvent;
use daytwo_store::{NewEvent, Store, StoreError};
use daytwo_types::ReplicaKey;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};

#[derive(Clone)]
pub(crate) struct PersistHandle {
    flush: mpsc::Sender<oneshot::Sender<()>>,
}

impl PersistHandle {
    /// Waits until every engine event sent before this call is stored.
    pub(crate) async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.flush.send(done).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Starts the persisting task. It ends once the engine's channel is closed
/// and every handle is dropped (or when aborted after a final `flush`).
pub(crate) fn spawn(
    store: StoreHandle,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    replicas_changed: Arc<Notify>,
) -> (PersistHandle, tokio::task::JoinHandle<()>) {
    let (flush, flush_requests) = mpsc::channel(16);
    let task = tokio::spawn(run(store, events, flush_requests, replicas_changed));
    (PersistHandle { flush }, task)
}

async fn run(
    store: StoreHandle,
    mut events: mpsc::UnboundedReceiver<EngineEvent>,
    mut flush_requests: mpsc::Receiver<oneshot::Sender<()>>,
    replicas_changed: Arc<Notify>,
) {
    let mut events_open = true;
    let mut flush_open = true;
    while events_open || flush_open {
        let mut batch = Vec::new();
        let mut waiting = Vec::new();
        tokio::select! {
            event = events.recv(), if events_open => match event {
                Some(event) => batch.push(event),
                None => events_open = false,
            },
            request = flush_requests.recv(), if flush_open => match request {
                Some(done) => waiting.push(done),
                None => flush_open = false,
            },
        }
        // Take everything already queued: one blocking call per burst.
        while let Ok(event) = events.try_recv() {
            batch.push(event);
        }
        let replica_change = batch.iter().any(|event| {
            matches!(
                event,
                EngineEvent::ReplicaChanged(_) | EngineEvent::ReplicaRemoved(_)
            )
        });
        if replica_change {
            replicas_changed.notify_one();
        }
        let writes = plan(batch);
        if !writes.is_empty() {
            let result = store
                .call(move |store| {
                    // One failed write must not cost the others.
                    for write in writes {
                        if let Err(error) = write.apply(store) {
                            tracing::error!("cannot persist engine state: {error}");
                        }
                    }
                    Ok(())
                })
                .await;
            if let Err(error) = result {
                tracing::error!("cannot persist engine state: {error}");
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// One store write derived from an engine event.
enum Write {
    Replica(ReplicaKey, String),
    RemoveReplica(ReplicaKey),
    Event(NewEvent),
}

impl Write {
    fn apply(self, store: &Store) -> Result<(), StoreError> {
        match self {
            Write::Replica(key, json) => store.put_replica(&key, &json).map(drop),
            Write::RemoveReplica(key) => store.delete_replica(&key).map(drop),
            Write::Event(event) => store.append_event(event).map(drop),
        }
    }
}

fn plan(batch: Vec<EngineEvent>) -> Vec<Write> {
    let mut writes = Vec::new();
    for event in batch {
        match event {
            EngineEvent::ReplicaChanged(status) => match serde_json::to_string(&status) {
                Ok(json) => writes.push(Write::Replica(status.key, json)),
                Err(error) => {
                    tracing::error!("cannot serialize the status of {}: {error}", status.key)
                }
            },
            EngineEvent::ReplicaRemoved(key) => writes.push(Write::RemoveReplica(key)),
            EngineEvent::Event {
                env,
                replica,
                kind,
                message,
            } => writes.push(Write::Event(NewEvent {
                ts: jiff::Timestamp::now(),
                env: Some(env),
                replica,
                kind,
                message,
            })),
        }
    }
    writes
}
