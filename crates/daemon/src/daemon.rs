//! The daemon's life, top to bottom: claim the home, open the store, start the
//! engine and re-adopt, bind the socket, serve until shut down, clean up.
//! Replicas are left running at shutdown: the next daemon re-adopts them.

use crate::home::{HomeLock, create_home};
use crate::routes::{AppState, router};
use crate::store_handle::StoreHandle;
use crate::{DaemonError, adopt, persist};
use daytwo_engine::{Engine, EngineConfig};
use daytwo_store::{NewEvent, Store};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

/// File name of the state database inside `DAYTWO_HOME`.
pub const STORE_FILE: &str = "state.db";
/// Mode of the control socket: only the user may talk to the daemon.
const SOCKET_MODE: u32 = 0o600;
/// How long shutdown waits for the queued engine events to be stored.
const PERSIST_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The state directory (`DAYTWO_HOME`).
    pub home: PathBuf,
    /// The executable the engine runs as each replica's shim (`daytwo`, whose
    /// hidden `shim` subcommand calls `daytwo_engine::shim::main`).
    pub shim_exe: PathBuf,
}

/// Runs the daemon until `shutdown` is cancelled or a client asks it to stop.
pub async fn run(config: DaemonConfig, shutdown: CancellationToken) -> Result<(), DaemonError> {
    let home = config.home.clone();
    create_home(&home)?;
    let lock = HomeLock::acquire(&home)?;
    let started_at = jiff::Timestamp::now();
    tracing::info!("daemon {} serving {}", std::process::id(), home.display());

    let store_path = home.join(STORE_FILE);
    let store = tokio::task::spawn_blocking(move || Store::open(store_path))
        .await
        .map_err(|error| DaemonError::StoreTask(error.to_string()))??;
    let store = StoreHandle::new(store);

    // Our own token: `POST /v1/shutdown` stops this daemon, not the caller's tree.
    let shutdown = shutdown.child_token();
    // Whichever way `run` ends, the engine's tasks end with it.
    let _stop_engine = shutdown.clone().drop_guard();
    let (engine, engine_events) = Engine::start(
        EngineConfig::new(home.clone(), config.shim_exe),
        shutdown.clone(),
    );
    let (persist, persist_task) = persist::spawn(store.clone(), engine_events);
    adopt::readopt(&engine, &store).await?;
    let event = NewEvent::new(
        "daemon.started",
        format!("daemon {} started", std::process::id()),
    );
    store.call(move |store| store.append_event(event)).await?;

    let socket = home.join(daytwo_api::SOCKET_FILE);
    let listener = bind_socket(&socket)?;
    let state = AppState {
        engine,
        store: store.clone(),
        persist: persist.clone(),
        home,
        started_at,
        shutdown: shutdown.clone(),
    };
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await
        .map_err(DaemonError::Serve);

    // Stop the engine (replicas keep running) and store what it reported last.
    shutdown.cancel();
    let _ = std::fs::remove_file(&socket);
    if tokio::time::timeout(PERSIST_DRAIN_TIMEOUT, persist.flush())
        .await
        .is_err()
    {
        tracing::warn!("the last engine events were not stored within {PERSIST_DRAIN_TIMEOUT:?}");
    }
    persist_task.abort();
    let event = NewEvent::new(
        "daemon.stopped",
        format!("daemon {} stopped", std::process::id()),
    );
    store.call(move |store| store.append_event(event)).await?;
    drop(lock);
    tracing::info!("daemon stopped");
    served
}

/// Binds the control socket. Called with the home's lock held, so a socket
/// file already there is a leftover of a dead daemon and is replaced.
fn bind_socket(path: &Path) -> Result<UnixListener, DaemonError> {
    let bind_err = |source| DaemonError::BindSocket {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::remove_file(path) {
        Ok(()) => tracing::info!("removed the stale socket {}", path.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(bind_err(error)),
    }
    let listener = UnixListener::bind(path).map_err(bind_err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(SOCKET_MODE))
        .map_err(bind_err)?;
    Ok(listener)
}
