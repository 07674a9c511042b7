//! The warm releases: after a successful deploy the previous release's HTTP
//! replicas keep running, unroutable, until the window ends, so that a
//! rollback is a proxy switch. One per env, in memory (a restarted daemon
//! stops leftovers). A timer task stops them when the window ends, under
//! the env's deploy lock so it never races a deploy or rollback using them.

use crate::deploy_lock::{DeployLocks, RunningDeploy};
use crate::persist::PersistHandle;
use daytwo_engine::Engine;
use daytwo_rollout::WarmRelease;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How often the expiry retries while a deploy holds the env's lock.
const EXPIRY_RETRY: Duration = Duration::from_millis(200);

#[derive(Clone, Default)]
pub(crate) struct WarmReleases {
    by_env: Arc<Mutex<BTreeMap<String, WarmRelease>>>,
}

impl WarmReleases {
    pub(crate) fn get(&self, env: &str) -> Option<WarmRelease> {
        self.lock().get(env).cloned()
    }

    /// Forgets `env`'s warm release (its replicas are someone else's now).
    pub(crate) fn take(&self, env: &str) -> Option<WarmRelease> {
        self.lock().remove(env)
    }

    /// Keeps `warm` for `env` and stops its replicas when its window ends
    /// (unless a rollback took them before).
    pub(crate) fn keep(
        &self,
        env: &str,
        warm: WarmRelease,
        locks: DeployLocks,
        engine: Engine,
        persist: PersistHandle,
    ) {
        self.lock().insert(env.to_string(), warm.clone());
        let this = self.clone();
        let env = env.to_string();
        tokio::spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(warm.until)).await;
            let _guard = loop {
                let holder = RunningDeploy {
                    id: None,
                    kind: "warm-expiry".into(),
                    release: warm.release.to_string(),
                    user: "daytwo".into(),
                    started_at: jiff::Timestamp::now(),
                };
                match locks.try_acquire(&env, holder) {
                    Ok(guard) => break guard,
                    Err(_) => tokio::time::sleep(EXPIRY_RETRY).await,
                }
            };
            let still_ours = {
                let mut by_env = this.lock();
                if by_env.get(&env) == Some(&warm) {
                    by_env.remove(&env);
                    true
                } else {
                    false
                }
            };
            if still_ours {
                tracing::info!("the warm window of {} in env `{env}` ended", warm.release);
                if let Err(error) = engine.stop_replicas(warm.replicas.clone()).await {
                    tracing::error!("cannot stop the warm replicas of env `{env}`: {error}");
                }
                persist.flush().await;
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, WarmRelease>> {
        self.by_env.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
