//! The state directory (`DAYTWO_HOME`) and the daemon's claim on it: an
//! exclusive `flock` on `daytwo.lock` held for the daemon's lifetime (so two
//! daemons can never serve one home, whoever started them), and the pid file
//! written once the lock is held.
//!
//! It also owns where an env's persistent data lives (`data/<env>/`, the
//! replicas' `DAYTWO_DATA_DIR`) and the one rule for the database an env's
//! migrations target: a relative `sqlite://PATH` lives in that directory,
//! so the app, `daytwo migrate status|up --env ENV`, `daytwo up` and the
//! deploy phase all open the same file.

use crate::DaemonError;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::ffi::OsString;
use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// File name of the lock inside `DAYTWO_HOME`.
pub const LOCK_FILE: &str = "daytwo.lock";
/// The directory inside `DAYTWO_HOME` that holds one data directory per env.
pub const DATA_DIR: &str = "data";
/// Mode of a state directory daytwo creates: only its user may enter.
const HOME_MODE: u32 = 0o700;

/// `$DAYTWO_HOME`, else `$XDG_STATE_HOME/daytwo`, else `$HOME/.local/state/daytwo`.
pub fn default_home() -> PathBuf {
    home_from(|name| std::env::var_os(name))
}

/// [`default_home`] over an environment lookup (empty values count as unset).
fn home_from(var: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    let var = |name| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(home) = var("DAYTWO_HOME") {
        return home;
    }
    // The XDG spec says relative values are invalid and must be ignored.
    if let Some(state) = var("XDG_STATE_HOME")
        && state.is_absolute()
    {
        return state.join("daytwo");
    }
    let user_home = var("HOME").unwrap_or_else(|| {
        nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|user| user.dir)
            .unwrap_or_else(|| PathBuf::from("/"))
    });
    user_home.join(".local/state/daytwo")
}

/// The persistent data directory of `env`: `$DAYTWO_HOME/data/<env>`, the
/// `DAYTWO_DATA_DIR` the engine gives the env's replicas (kept across
/// releases, restarts and deploys).
pub fn env_data_dir(home: &Path, env: &str) -> PathBuf {
    home.join(DATA_DIR).join(env)
}

/// Creates `env`'s data directory (and `home`, mode 0700, when missing);
/// returns its path.
pub fn create_env_data_dir(home: &Path, env: &str) -> Result<PathBuf, DaemonError> {
    create_home(home)?;
    let dir = env_data_dir(home, env);
    std::fs::create_dir_all(&dir).map_err(|source| DaemonError::CreateHome {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// The database URL `env`'s migrations run against: `database` from the
/// env's `[migrations]`, with a relative SQLite path (`sqlite://shop.db`)
/// resolved into [`env_data_dir`]. Absolute SQLite paths and `postgres://`
/// URLs are unchanged.
pub fn env_database_url(home: &Path, env: &str, database: &str) -> String {
    daytwo_migrate::resolve_sqlite_path(database, &env_data_dir(home, env))
}

/// Creates `home` (and parents) with mode 0700 if it does not exist.
pub(crate) fn create_home(home: &Path) -> Result<(), DaemonError> {
    DirBuilder::new()
        .recursive(true)
        .mode(HOME_MODE)
        .create(home)
        .map_err(|source| DaemonError::CreateHome {
            path: home.to_path_buf(),
            source,
        })
}

/// The pid in `home`'s pid file, if it holds one.
pub(crate) fn read_pid(home: &Path) -> Option<u32> {
    std::fs::read_to_string(home.join(daytwo_api::PID_FILE))
        .ok()
        .and_then(|text| text.trim().parse().ok())
}

/// Holds the home's lock; releases it (and removes the pid file) on Drop.
pub(crate) struct HomeLock {
    _lock: Flock<File>,
    pid_file: PathBuf,
}

impl HomeLock {
    /// Takes the lock without waiting, then writes our pid.
    pub(crate) fn acquire(home: &Path) -> Result<HomeLock, DaemonError> {
        let path = home.join(LOCK_FILE);
        let file = open_lock_file(&path)?;
        let lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err((_, Errno::EWOULDBLOCK)) => {
                return Err(DaemonError::AlreadyRunning {
                    home: home.to_path_buf(),
                    pid: read_pid(home),
                });
            }
            Err((_, errno)) => {
                return Err(DaemonError::Lock {
                    path,
                    source: errno.into(),
                });
            }
        };
        let pid_file = home.join(daytwo_api::PID_FILE);
        std::fs::write(&pid_file, format!("{}\n", std::process::id())).map_err(|source| {
            DaemonError::WritePidFile {
                path: pid_file.clone(),
                source,
            }
        })?;
        Ok(HomeLock {
            _lock: lock,
            pid_file,
        })
    }
}

impl Drop for HomeLock {
    fn drop(&mut self) {
        // Only our own pid: the file is rewritten by whoever holds the lock next.
        if read_pid(self.pid_file.parent().unwrap_or(Path::new("."))) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.pid_file);
        }
    }
}

/// Whether some process holds `home`'s lock right now (a daemon is running or starting).
pub(crate) fn is_locked(home: &Path) -> bool {
    let Ok(file) = open_lock_file(&home.join(LOCK_FILE)) else {
        return false;
    };
    matches!(
        Flock::lock(file, FlockArg::LockSharedNonblock),
        Err((_, Errno::EWOULDBLOCK))
    )
}

fn open_lock_file(path: &Path) -> Result<File, DaemonError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| DaemonError::Lock {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_home_reports_the_running_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = HomeLock::acquire(dir.path()).unwrap();
        assert!(is_locked(dir.path()));
        let error = HomeLock::acquire(dir.path())
            .err()
            .expect("second lock fails");
        match error {
            DaemonError::AlreadyRunning { pid, .. } => assert_eq!(pid, Some(std::process::id())),
            other => panic!("unexpected error: {other}"),
        }
        drop(first);
        assert!(!is_locked(dir.path()));
        assert_eq!(read_pid(dir.path()), None, "pid file removed with the lock");
        HomeLock::acquire(dir.path()).expect("lock is free again");
    }

    fn home_with(vars: &[(&str, &str)]) -> PathBuf {
        home_from(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        })
    }

    #[test]
    fn default_home_prefers_daytwo_home_then_xdg_state_then_home() {
        let all = [
            ("DAYTWO_HOME", "/srv/d2"),
            ("XDG_STATE_HOME", "/x/state"),
            ("HOME", "/home/ann"),
        ];
        assert_eq!(home_with(&all), PathBuf::from("/srv/d2"));
        assert_eq!(home_with(&all[1..]), PathBuf::from("/x/state/daytwo"));
        assert_eq!(
            home_with(&all[2..]),
            PathBuf::from("/home/ann/.local/state/daytwo")
        );
    }

    #[test]
    fn default_home_ignores_empty_and_relative_values() {
        let vars = [
            ("DAYTWO_HOME", ""),
            ("XDG_STATE_HOME", "relative/state"),
            ("HOME", "/home/ann"),
        ];
        assert_eq!(
            home_with(&vars),
            PathBuf::from("/home/ann/.local/state/daytwo")
        );
    }

    #[test]
    fn a_relative_sqlite_database_lives_in_the_env_data_dir() {
        let home = Path::new("/srv/d2");
        assert_eq!(env_data_dir(home, "qa"), PathBuf::from("/srv/d2/data/qa"));
        assert_eq!(
            env_database_url(home, "qa", "sqlite://shop.db"),
            "sqlite:///srv/d2/data/qa/shop.db"
        );
        assert_eq!(
            env_database_url(home, "qa", "sqlite:///var/shop.db"),
            "sqlite:///var/shop.db"
        );
        assert_eq!(
            env_database_url(home, "qa", "postgres://app@db/shop"),
            "postgres://app@db/shop"
        );
    }

    #[test]
    fn creating_the_data_dir_creates_a_private_home() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let data = create_env_data_dir(&home, "dev").unwrap();
        assert_eq!(data, home.join("data/dev"));
        assert!(data.is_dir());
        let mode = std::fs::metadata(&home).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn creates_the_home_private_to_its_user() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("a/b");
        create_home(&home).unwrap();
        let mode = std::fs::metadata(&home).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
