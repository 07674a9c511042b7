//! Deploys are serialised per env: [`DeployLocks::try_acquire`] either
//! hands out the env's guard or names the deploy holding it (for the 409
//! `deploy_in_progress` answer). The guard frees the env when dropped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// What holds an env's lock, as the refusal names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunningDeploy {
    /// The history id, once recorded.
    pub(crate) id: Option<i64>,
    /// `deploy`, `promote`, `rollback`, or `warm-expiry` (stopping a warm release).
    pub(crate) kind: String,
    pub(crate) release: String,
    pub(crate) user: String,
    pub(crate) started_at: jiff::Timestamp,
}

impl std::fmt::Display for RunningDeploy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "{} #{id}", self.kind)?,
            None => write!(f, "{}", self.kind)?,
        }
        write!(
            f,
            " of {} by {} started at {}",
            self.release, self.user, self.started_at
        )
    }
}

#[derive(Clone, Default)]
pub(crate) struct DeployLocks {
    held: Arc<Mutex<BTreeMap<String, RunningDeploy>>>,
}

impl DeployLocks {
    /// What holds `env`'s lock right now, if anything (the steady-state
    /// watch does not look while a deploy runs).
    pub(crate) fn holder(&self, env: &str) -> Option<RunningDeploy> {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(env).cloned()
    }

    /// Takes `env`'s lock for `deploy`, or answers who holds it.
    pub(crate) fn try_acquire(
        &self,
        env: &str,
        deploy: RunningDeploy,
    ) -> Result<DeployLockGuard, RunningDeploy> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = held.get(env) {
            return Err(running.clone());
        }
        held.insert(env.to_string(), deploy);
        Ok(DeployLockGuard {
            locks: self.clone(),
            env: env.to_string(),
        })
    }
}

/// An env's deploy lock; released on drop.
pub(crate) struct DeployLockGuard {
    locks: DeployLocks,
    env: String,
}

impl DeployLockGuard {
    /// Names the history id of the deploy holding the lock.
    pub(crate) fn set_id(&self, id: i64) {
        let mut held = self
            .locks
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = held.get_mut(&self.env) {
            running.id = Some(id);
        }
    }
}

impl Drop for DeployLockGuard {
    fn drop(&mut self) {
        self.locks
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.env);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(user: &str) -> RunningDeploy {
        RunningDeploy {
            id: None,
            kind: "deploy".into(),
            release: "2.0.0".into(),
            user: user.into(),
            started_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_second_deploy_of_the_same_env_is_refused_until_the_first_ends() {
        let locks = DeployLocks::default();
        let guard = locks.try_acquire("prod", deploy("ana")).unwrap();
        guard.set_id(7);
        let running = locks.try_acquire("prod", deploy("bo")).err().unwrap();
        assert_eq!((running.id, running.user.as_str()), (Some(7), "ana"));
        assert!(
            locks.try_acquire("qa", deploy("bo")).is_ok(),
            "other envs are free"
        );
        drop(guard);
        assert!(locks.try_acquire("prod", deploy("bo")).is_ok());
    }
}
