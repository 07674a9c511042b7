//! Where one replica's files live under `DAYTWO_HOME`:
//!
//! ```text
//! home/run/<env>/<process>.<n>/shim.json   the shim's configuration
//!                              pid         "<pid> <start_ticks>", written by the shim once the command runs
//!                              exit        exit code (or 128+signal), written by the shim when it ends
//!                              error       why the shim could not start the command
//! home/logs/<env>/<process>.<n>.log        captured stdout/stderr (rotated to .log.1 … .log.N)
//! home/data/<env>/                         the env's persistent data (`DAYTWO_DATA_DIR`), shared by
//!                                          its replicas and kept across releases and restarts
//! ```

use daytwo_types::ReplicaKey;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicaPaths {
    pub run_dir: PathBuf,
    pub log_path: PathBuf,
}

impl ReplicaPaths {
    pub fn new(home: &Path, key: &ReplicaKey) -> Self {
        let name = format!("{}.{}", key.process, key.replica);
        Self {
            run_dir: home.join("run").join(&key.env).join(&name),
            log_path: log_dir(home, &key.env).join(format!("{name}.log")),
        }
    }

    pub fn shim_config(&self) -> PathBuf {
        self.run_dir.join("shim.json")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.run_dir.join("pid")
    }

    pub fn exit_file(&self) -> PathBuf {
        self.run_dir.join("exit")
    }

    pub fn error_file(&self) -> PathBuf {
        self.run_dir.join("error")
    }
}

/// The env's persistent data directory (`DAYTWO_DATA_DIR`).
pub(crate) fn data_dir(home: &Path, env: &str) -> PathBuf {
    home.join("data").join(env)
}

/// The directory holding an env's replica logs.
pub(crate) fn log_dir(home: &Path, env: &str) -> PathBuf {
    home.join("logs").join(env)
}

/// Parses a pid file's `"<pid> <start_ticks>"`.
pub(crate) fn parse_pid_file(text: &str) -> Option<(u32, u64)> {
    let mut words = text.split_whitespace();
    let pid = words.next()?.parse().ok()?;
    let ticks = words.next()?.parse().ok()?;
    Some((pid, ticks))
}

/// Reads the exit file; `None` when absent or not yet written.
pub(crate) fn read_exit_file(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Writes `contents` to `path` so that readers see all or nothing.
pub(crate) fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_files_are_laid_out_per_env_and_replica() {
        let paths = ReplicaPaths::new(Path::new("/h"), &ReplicaKey::new("dev", "web", 2));
        assert_eq!(paths.run_dir, Path::new("/h/run/dev/web.2"));
        assert_eq!(paths.log_path, Path::new("/h/logs/dev/web.2.log"));
        assert_eq!(paths.pid_file(), Path::new("/h/run/dev/web.2/pid"));
    }

    #[test]
    fn pid_file_holds_pid_and_start_ticks() {
        assert_eq!(parse_pid_file("123 456\n"), Some((123, 456)));
        assert_eq!(parse_pid_file("123"), None);
    }
}
