//! One OFREP server per env that declares flags (docs/flags.md), on
//! `127.0.0.1` with the port kept in the store so a restarted daemon serves
//! the URL its replicas were given, and a per-home bearer token
//! (`$DAYTWO_HOME/flags.token`).
//!
//! ```text
//! EnvSpec.flags ─fold run-time changes (store)─> FlagsHandle ─> daytwo_flags::serve (127.0.0.1:PORT)
//!      └─> DAYTWO_FLAGS_URL, OFREP_ENDPOINT, DAYTWO_FLAGS_TOKEN, DAYTWO_FLAG_<NAME> in every process's environment
//! ```
//!
//! Values set at run time (`daytwo flags set`) win over the spec's env
//! value for as long as the flag is declared: they are folded back in on
//! every `up`, deploy and daemon start, so a kill switch stays off across a
//! redeploy. The engine knows nothing of flags: the variables are added to
//! the process environment of the spec handed to it.

use crate::DaemonError;
use crate::api_error::ApiError;
use crate::store_handle::StoreHandle;
use axum::http::StatusCode;
use daytwo_flags::{FlagsError, FlagsHandle, OfrepOptions};
use daytwo_spec::{EnvFlag, EnvSpec};
use daytwo_store::{FlagChangeRecord, NewEvent, NewFlagChange};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// File in `DAYTWO_HOME` holding the OFREP bearer token (mode 0600).
pub const FLAGS_TOKEN_FILE: &str = "flags.token";
/// Only the user may read the token.
const TOKEN_FILE_MODE: u32 = 0o600;
/// Random bytes in a token (hex-encoded in the file).
const TOKEN_BYTES: usize = 24;
/// The env's OFREP base URL.
pub const FLAGS_URL_VAR: &str = "DAYTWO_FLAGS_URL";
/// The OpenFeature OFREP providers' standard variable, the same URL.
pub const OFREP_ENDPOINT_VAR: &str = "OFREP_ENDPOINT";
/// The bearer token the OFREP server requires.
pub const FLAGS_TOKEN_VAR: &str = "DAYTWO_FLAGS_TOKEN";
/// Prefix of each flag's initial value (`DAYTWO_FLAG_ANALYTICS=true`).
pub const FLAG_VAR_PREFIX: &str = "DAYTWO_FLAG_";

struct FlagServer {
    handle: FlagsHandle,
    url: String,
    stop: CancellationToken,
}

/// The env → OFREP server map. Cheap to clone.
#[derive(Clone)]
pub(crate) struct FlagServers {
    store: StoreHandle,
    token: Arc<str>,
    servers: Arc<Mutex<BTreeMap<String, FlagServer>>>,
    shutdown: CancellationToken,
}

impl FlagServers {
    /// Reads (or creates) the home's token. Servers end with `shutdown`.
    pub(crate) fn open(
        home: &Path,
        store: StoreHandle,
        shutdown: CancellationToken,
    ) -> Result<Self, DaemonError> {
        let token = read_or_create_token(&home.join(FLAGS_TOKEN_FILE))?;
        Ok(Self {
            store,
            token: token.into(),
            servers: Arc::default(),
            shutdown,
        })
    }

    /// Serves `spec`'s flags (starting the env's server, or replacing what
    /// it serves), with the run-time values recorded in the store folded
    /// in, and adds the flag variables to every process of `spec`. An env
    /// without flags has its server stopped and gets no variables.
    pub(crate) async fn serve(&self, spec: &mut EnvSpec) -> Result<(), DaemonError> {
        let env = spec.env.clone();
        if spec.flags.is_empty() {
            self.stop(&env).await;
            return Ok(());
        }
        let flags = self.with_runtime_values(&env, spec.flags.clone()).await?;
        let mut servers = self.servers.lock().await;
        let url = match servers.get(&env) {
            Some(server) => {
                server.handle.replace(flags.values().cloned());
                server.url.clone()
            }
            None => {
                let handle = FlagsHandle::new(env.clone(), flags.values().cloned());
                let server = self.start(&env, handle).await?;
                let url = server.url.clone();
                servers.insert(env.clone(), server);
                url
            }
        };
        drop(servers);
        let vars = replica_variables(&url, &self.token, &flags);
        for process in spec.processes.values_mut() {
            process.environment.extend(vars.clone());
        }
        Ok(())
    }

    /// Stops env `env`'s server (after `down`). Its port stays recorded.
    pub(crate) async fn stop(&self, env: &str) {
        if let Some(server) = self.servers.lock().await.remove(env) {
            server.stop.cancel();
        }
    }

    pub(crate) async fn handle(&self, env: &str) -> Option<FlagsHandle> {
        let servers = self.servers.lock().await;
        servers.get(env).map(|server| server.handle.clone())
    }

    pub(crate) async fn url(&self, env: &str) -> Option<String> {
        let servers = self.servers.lock().await;
        servers.get(env).map(|server| server.url.clone())
    }

    /// Every served env's handle, by env name.
    pub(crate) async fn handles(&self) -> BTreeMap<String, FlagsHandle> {
        let servers = self.servers.lock().await;
        servers
            .iter()
            .map(|(env, server)| (env.clone(), server.handle.clone()))
            .collect()
    }

    /// Sets flag `name` of `env` to `value` at run time, as `daytwo flags
    /// set` does (and the steady-state watch's `flag-off` remediation, as
    /// user `daytwo`): checked against the flag's type, served at once
    /// (the OFREP server answers with it when this returns), recorded in
    /// the flag history with `user` and `reason`, and written to the
    /// env's event log (`flag.set`). Returns the flag as now served and
    /// the recorded change.
    pub(crate) async fn set_at_run_time(
        &self,
        env: &str,
        name: &str,
        value: Value,
        user: &str,
        reason: &str,
    ) -> Result<(EnvFlag, FlagChangeRecord), ApiError> {
        let Some(handle) = self.handle(env).await else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "flags_not_served",
                format!("env `{env}` serves no flags"),
            )
            .with_hint(
                "bring the env up (`daytwo up --env ENV`) with [flags.NAME] declared in its spec",
            ));
        };
        if reason.trim().is_empty() {
            return Err(ApiError::bad_request("a flag change needs a reason")
                .with_hint("say why, e.g. --reason \"analytics overloads the db\""));
        }
        // The new snapshot is published (served) when `set_value` returns.
        let change = handle.set_value(name, value).map_err(|error| match error {
            FlagsError::UnknownFlag { .. } => {
                let declared: Vec<String> = handle.snapshot().flags.keys().cloned().collect();
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "flag_not_found",
                    format!("env `{env}` has no flag `{name}`"),
                )
                .with_hint(format!("declared flags: {}", declared.join(", ")))
            }
            other => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_flag_value",
                other.to_string(),
            ),
        })?;
        let at = jiff::Timestamp::now();
        let record = NewFlagChange {
            env: env.to_string(),
            flag: name.to_string(),
            old_json: change.old.value.to_string(),
            new_json: change.new.value.to_string(),
            user: user.to_string(),
            reason: reason.to_string(),
            at,
        };
        let id = self
            .store
            .call(move |store| store.append_flag_change(&record))
            .await?;
        let event = NewEvent {
            env: Some(env.to_string()),
            ..NewEvent::new(
                "flag.set",
                format!(
                    "flag {name} in env {env}: {} → {} by {user} ({reason})",
                    change.old.value, change.new.value
                ),
            )
        };
        self.store
            .call(move |store| store.append_event(event))
            .await?;
        let last = FlagChangeRecord {
            id,
            env: env.to_string(),
            flag: name.to_string(),
            old_json: change.old.value.to_string(),
            new_json: change.new.value.to_string(),
            user: user.to_string(),
            reason: reason.to_string(),
            at,
        };
        Ok((change.new, last))
    }

    /// `flags` with the latest run-time value of each flag applied, when
    /// it still fits the flag's type.
    async fn with_runtime_values(
        &self,
        env: &str,
        mut flags: BTreeMap<String, EnvFlag>,
    ) -> Result<BTreeMap<String, EnvFlag>, DaemonError> {
        let name = env.to_string();
        let changes = self
            .store
            .call(move |store| store.flag_changes(Some(&name), None))
            .await?;
        for change in changes {
            let Some(flag) = flags.get_mut(&change.flag) else {
                continue;
            };
            match serde_json::from_str::<Value>(&change.new_json) {
                Ok(value) if flag.check_value(&value).is_ok() => flag.value = value,
                _ => tracing::warn!(
                    "env `{env}`: the recorded value of flag `{}` no longer fits it; serving the spec's",
                    change.flag
                ),
            }
        }
        Ok(flags)
    }

    /// Binds the env's recorded port (else any free one, saying so when
    /// the recorded one is taken), records it and spawns the server.
    async fn start(&self, env: &str, handle: FlagsHandle) -> Result<FlagServer, DaemonError> {
        let name = env.to_string();
        let recorded = self.store.call(move |store| store.flag_port(&name)).await?;
        let bind = |port: u16| {
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        };
        let listener = match recorded {
            Some(port) => match bind(port).await {
                Ok(listener) => listener,
                Err(error) => {
                    let listener = bind(0).await.map_err(|source| DaemonError::BindFlags {
                        env: env.to_string(),
                        source,
                    })?;
                    let event = NewEvent {
                        env: Some(env.to_string()),
                        ..NewEvent::new(
                            "flags.port_changed",
                            format!(
                                "env {env}: flags port {port} is taken ({error}); serving on {} instead. Replicas started before keep the old DAYTWO_FLAGS_URL until they restart",
                                listener.local_addr().map(|a| a.port()).unwrap_or_default()
                            ),
                        )
                    };
                    self.store
                        .call(move |store| store.append_event(event))
                        .await?;
                    listener
                }
            },
            None => bind(0).await.map_err(|source| DaemonError::BindFlags {
                env: env.to_string(),
                source,
            })?,
        };
        let port = listener
            .local_addr()
            .map_err(|source| DaemonError::BindFlags {
                env: env.to_string(),
                source,
            })?
            .port();
        let name = env.to_string();
        self.store
            .call(move |store| store.set_flag_port(&name, port))
            .await?;
        let url = format!("http://127.0.0.1:{port}");
        let stop = self.shutdown.child_token();
        let options = OfrepOptions {
            token: Some(self.token.to_string()),
            base_url: Some(url.clone()),
            ..OfrepOptions::default()
        };
        let task_handle = handle.clone();
        let task_stop = stop.clone();
        let task_env = env.to_string();
        tokio::spawn(async move {
            if let Err(error) = daytwo_flags::serve(listener, task_handle, options, task_stop).await
            {
                tracing::error!("env `{task_env}`: {error}");
            }
        });
        tracing::info!("env `{env}` serves its flags at {url}");
        Ok(FlagServer { handle, url, stop })
    }
}

/// The variables every replica of an env with flags gets.
pub(crate) fn replica_variables(
    url: &str,
    token: &str,
    flags: &BTreeMap<String, EnvFlag>,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::from([
        (FLAGS_URL_VAR.to_string(), url.to_string()),
        (OFREP_ENDPOINT_VAR.to_string(), url.to_string()),
        (FLAGS_TOKEN_VAR.to_string(), token.to_string()),
    ]);
    for flag in flags.values() {
        let served = if flag.enabled {
            &flag.value
        } else {
            &flag.default
        };
        vars.insert(flag_variable(&flag.name), value_text(served));
    }
    vars
}

/// `DAYTWO_FLAG_` + the name upper-cased, `-` as `_` (`new-ui` →
/// `DAYTWO_FLAG_NEW_UI`).
pub(crate) fn flag_variable(name: &str) -> String {
    format!(
        "{FLAG_VAR_PREFIX}{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

/// A string as is, anything else as JSON text.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn read_or_create_token(path: &Path) -> Result<String, DaemonError> {
    let error = |source| DaemonError::FlagsToken {
        path: PathBuf::from(path),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(error(e)),
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(error)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(TOKEN_FILE_MODE)
        .open(path)
        .map_err(error)?;
    std::io::Write::write_all(&mut file, token.as_bytes()).map_err(error)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(TOKEN_FILE_MODE))
        .map_err(error)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_spec::FlagType;
    use serde_json::json;

    fn flag(name: &str, value: Value) -> EnvFlag {
        EnvFlag {
            name: name.into(),
            description: "d".into(),
            kind: FlagType::String,
            enabled: true,
            value: value.clone(),
            default: value,
            variants: BTreeMap::new(),
            targeting: None,
            owner: None,
            expires: None,
        }
    }

    #[test]
    fn replicas_get_the_url_the_token_and_each_flags_value() {
        let flags = BTreeMap::from([
            ("new-ui".to_string(), flag("new-ui", json!("blue"))),
            ("limits".to_string(), flag("limits", json!({"rpm": 60}))),
        ]);
        let vars = replica_variables("http://127.0.0.1:7001", "t0k", &flags);
        assert_eq!(vars[FLAGS_URL_VAR], "http://127.0.0.1:7001");
        assert_eq!(vars[OFREP_ENDPOINT_VAR], "http://127.0.0.1:7001");
        assert_eq!(vars[FLAGS_TOKEN_VAR], "t0k");
        assert_eq!(vars["DAYTWO_FLAG_NEW_UI"], "blue");
        assert_eq!(vars["DAYTWO_FLAG_LIMITS"], r#"{"rpm":60}"#);
    }

    #[test]
    fn the_token_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FLAGS_TOKEN_FILE);
        let token = read_or_create_token(&path).unwrap();
        assert_eq!(token.len(), TOKEN_BYTES * 2);
        assert_eq!(read_or_create_token(&path).unwrap(), token);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
