//! The daemon's life, top to bottom: claim the home, open the store, start the
//! engine and re-adopt, resync the proxy's routes, bind the socket, serve
//! until shut down, clean up. Replicas and the proxy are left running at
//! shutdown: the next daemon re-adopts them.

use crate::deploy_lock::DeployLocks;
use crate::deployer::Deployer;
use crate::flag_servers::FlagServers;
use crate::home::{HomeLock, create_home};
use crate::pre_stop::DrainBeforeStop;
use crate::reconcile_at_start::reconcile_at_start;
use crate::route_sync::{RouteSync, RouteSyncConfig};
use crate::routes::{AppState, router};
use crate::store_handle::StoreHandle;
use crate::telemetry::metrics_server::{self, MetricsSource};
use crate::telemetry::{Telemetry, TelemetryConfig, spawn_sampler};
use crate::warm::WarmReleases;
use crate::{DaemonError, adopt, persist};
use daytwo_engine::{Engine, EngineConfig, PreStopHook};
use daytwo_proxy::ProxyClient;
use daytwo_store::{NewEvent, Store};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::UnixListener;
use tokio::sync::Notify;
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
    /// The `daytwo` executable: the engine runs `<exe> shim` as each
    /// replica's shim (`daytwo_engine::shim::main`), and the daemon starts
    /// `<exe> proxy` (`crate::run_proxy`) when no proxy serves the home.
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
    // Every graceful stop first leaves routing and drains (see `pre_stop`).
    let route_sync_cell = Arc::new(OnceLock::new());
    let telemetry = Telemetry::new(TelemetryConfig::from_env());
    let mut engine_config = EngineConfig::new(home.clone(), config.shim_exe.clone());
    // RSS and CPU are read at the pace the telemetry samples them.
    engine_config.sample_interval = telemetry.config().interval;
    engine_config.pre_stop = Some(PreStopHook(Arc::new(DrainBeforeStop {
        route_sync: Arc::clone(&route_sync_cell),
        proxy: ProxyClient::for_home(&home),
    })));
    let (engine, engine_events) = Engine::start(engine_config, shutdown.clone());
    let replicas_changed = Arc::new(Notify::new());
    let (persist, persist_task) =
        persist::spawn(store.clone(), engine_events, Arc::clone(&replicas_changed));
    let adopted_routes = adopt::readopt(&engine, &store).await?;
    // Only now, with every env re-adopted, is the first table sent: until
    // then the proxy keeps serving the previous daemon's table.
    let routes = RouteSync::spawn(
        RouteSyncConfig {
            home: home.clone(),
            exe: config.shim_exe,
            engine: engine.clone(),
            routes: adopted_routes,
            replicas_changed,
        },
        shutdown.clone(),
    );
    let _ = route_sync_cell.set(routes.clone());
    let flags = FlagServers::open(&home, store.clone(), shutdown.clone())?;
    serve_adopted_flags(&flags, &store).await?;
    let deployer = Deployer {
        engine: engine.clone(),
        routes: routes.clone(),
        store: store.clone(),
        persist: persist.clone(),
        home: home.clone(),
        locks: DeployLocks::default(),
        warm: WarmReleases::default(),
        warm_window: Deployer::warm_window_from_env(),
        flags: flags.clone(),
        telemetry: telemetry.clone(),
        alerts: crate::alerts::AlertSender::default(),
    };
    // Deploys the previous daemon left half-done end on one release before
    // anyone can start another.
    reconcile_at_start(&deployer).await?;
    let event = NewEvent::new(
        "daemon.started",
        format!("daemon {} started", std::process::id()),
    );
    store.call(move |store| store.append_event(event)).await?;

    // Per-env request, latency, RSS and CPU history for canary analysis,
    // metrics and release notes.
    let _sampler = spawn_sampler(
        telemetry.clone(),
        engine.clone(),
        ProxyClient::for_home(&home),
        store.clone(),
        shutdown.clone(),
    );
    // After promotion the guards keep watching every env (crate::watch).
    let _watch = crate::watch::spawn(
        deployer.clone(),
        crate::watch::WatchSettings::from_env(),
        shutdown.clone(),
    );
    let metrics_source = MetricsSource {
        engine: engine.clone(),
        store: store.clone(),
        telemetry: telemetry.clone(),
    };
    let metrics_url = match metrics_server::addr_from_env() {
        Ok(Some(addr)) => {
            match metrics_server::serve(addr, metrics_source, shutdown.clone()).await {
                Ok(url) => Some(url),
                Err(problem) => {
                    tracing::warn!("{problem}; metrics stay on the control socket only");
                    None
                }
            }
        }
        Ok(None) => None,
        Err(problem) => {
            tracing::warn!("{problem}; metrics stay on the control socket only");
            None
        }
    };

    let socket = home.join(daytwo_api::SOCKET_FILE);
    let listener = bind_socket(&socket)?;
    let state = AppState {
        engine,
        routes,
        store: store.clone(),
        persist: persist.clone(),
        deployer,
        flags,
        home,
        started_at,
        shutdown: shutdown.clone(),
        telemetry,
        metrics_url,
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

/// Serves the flags of every env a previous daemon left up, on the ports
/// their replicas were given.
async fn serve_adopted_flags(flags: &FlagServers, store: &StoreHandle) -> Result<(), DaemonError> {
    for record in store.call(|store| store.envs()).await? {
        match serde_json::from_str::<daytwo_spec::EnvSpec>(&record.spec_json) {
            Ok(mut spec) => flags.serve(&mut spec).await?,
            Err(error) => tracing::warn!(
                "stored spec of env `{}` is unreadable, its flags are not served: {error}",
                record.name
            ),
        }
    }
    Ok(())
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
