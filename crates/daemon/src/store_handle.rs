//! Access to the SQLite store from async code: every call runs on a blocking
//! thread and takes the store's mutex there, so no std mutex is ever held
//! across an `.await` and the runtime's workers never wait on disk.

use crate::DaemonError;
use daytwo_store::{Store, StoreError};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Clone)]
pub(crate) struct StoreHandle {
    store: Arc<Mutex<Store>>,
}

impl StoreHandle {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            store: Arc::new(Mutex::new(store)),
        }
    }

    /// Runs `work` with the store on a blocking thread.
    pub(crate) async fn call<T, F>(&self, work: F) -> Result<T, DaemonError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let joined = tokio::task::spawn_blocking(move || {
            // A panic in an earlier call cannot leave SQLite half-written:
            // each statement is atomic, so a poisoned lock is still usable.
            let store = store.lock().unwrap_or_else(PoisonError::into_inner);
            work(&store)
        })
        .await;
        match joined {
            Ok(result) => result.map_err(DaemonError::from),
            Err(error) => Err(DaemonError::StoreTask(error.to_string())),
        }
    }
}
