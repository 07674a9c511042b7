//! Memory limits with cgroups. At start the engine looks for a memory cgroup
//! it may create children in: cgroup v2 (its own cgroup on the unified
//! hierarchy, with the memory controller delegated) or v1 (the `memory`
//! hierarchy). It makes `<its cgroup>/daytwo/` and one leaf per replica
//! there, named after `DAYTWO_HOME` and the replica so several engines can
//! share a host. The shim joins the leaf before starting the command.
//! Without such a cgroup the sampler's RSS watchdog enforces limits instead.

use daytwo_types::ReplicaKey;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of the directory under the engine's own cgroup holding replica leaves.
const CGROUP_DIR_NAME: &str = "daytwo";
/// Attempts to remove a leaf whose last process is still exiting.
const REMOVE_ATTEMPTS: u32 = 20;
const REMOVE_RETRY_DELAY: Duration = Duration::from_millis(25);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CgroupVersion {
    V1,
    V2,
}

/// How `memory_limit` is enforced by this engine.
#[derive(Debug, Clone)]
pub(crate) enum MemoryEnforcement {
    Cgroup {
        version: CgroupVersion,
        /// `<engine's cgroup>/daytwo`
        dir: PathBuf,
        /// Distinguishes engines with different homes on one host.
        home_tag: String,
    },
    Watchdog {
        reason: String,
    },
}

impl MemoryEnforcement {
    /// Finds a writable memory cgroup (v2 first, then v1).
    pub fn detect(home: &Path) -> Self {
        let home_tag = home_tag(home);
        let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let mut reasons = Vec::new();
        match detect_v2(&mountinfo, &own) {
            Ok(dir) => {
                return Self::Cgroup {
                    version: CgroupVersion::V2,
                    dir,
                    home_tag,
                };
            }
            Err(reason) => reasons.push(format!("v2: {reason}")),
        }
        match detect_v1(&mountinfo, &own) {
            Ok(dir) => {
                return Self::Cgroup {
                    version: CgroupVersion::V1,
                    dir,
                    home_tag,
                };
            }
            Err(reason) => reasons.push(format!("v1: {reason}")),
        }
        Self::Watchdog {
            reason: reasons.join("; "),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Cgroup {
                version: CgroupVersion::V1,
                dir,
                ..
            } => format!("cgroup v1 memory ({})", dir.display()),
            Self::Cgroup {
                version: CgroupVersion::V2,
                dir,
                ..
            } => format!("cgroup v2 memory.max ({})", dir.display()),
            Self::Watchdog { reason } => {
                format!("rss watchdog: no writable cgroup ({reason})")
            }
        }
    }

    /// The leaf of `key`, whether or not it exists yet; `None` without cgroups.
    pub fn leaf(&self, key: &ReplicaKey) -> Option<ReplicaCgroup> {
        match self {
            Self::Cgroup {
                version,
                dir,
                home_tag,
            } => Some(ReplicaCgroup {
                version: *version,
                path: dir.join(sanitize(&format!(
                    "{home_tag}-{}.{}.{}",
                    key.env, key.process, key.replica
                ))),
            }),
            Self::Watchdog { .. } => None,
        }
    }
}

/// The memory cgroup of one replica.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicaCgroup {
    pub version: CgroupVersion,
    pub path: PathBuf,
}

impl ReplicaCgroup {
    /// Creates the leaf (if needed) and sets its limit; swap is limited too
    /// where the kernel allows, so the limit cannot be dodged by swapping.
    pub fn create(&self, limit: u64) -> io::Result<()> {
        fs::create_dir_all(&self.path)?;
        let limit = limit.to_string();
        match self.version {
            CgroupVersion::V2 => {
                fs::write(self.path.join("memory.max"), &limit)?;
                let _ = fs::write(self.path.join("memory.swap.max"), "0");
            }
            CgroupVersion::V1 => {
                // memsw must stay >= limit: widen it first, then set both.
                let memsw = self.path.join("memory.memsw.limit_in_bytes");
                let _ = fs::write(&memsw, "-1");
                fs::write(self.path.join("memory.limit_in_bytes"), &limit)?;
                let _ = fs::write(&memsw, &limit);
            }
        }
        Ok(())
    }

    /// Whether the kernel OOM-killed something in this cgroup (or, on old v1
    /// kernels without `oom_kill`, the limit was hit).
    pub fn hit_limit(&self) -> bool {
        let (file, key) = match self.version {
            CgroupVersion::V2 => ("memory.events", "oom_kill"),
            CgroupVersion::V1 => ("memory.oom_control", "oom_kill"),
        };
        let text = fs::read_to_string(self.path.join(file)).unwrap_or_default();
        let counter = text.lines().find_map(|line| {
            let (name, value) = line.split_once(' ')?;
            (name == key)
                .then(|| value.trim().parse::<u64>().ok())
                .flatten()
        });
        match counter {
            Some(count) => count > 0,
            None => fs::read_to_string(self.path.join("memory.failcnt"))
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .is_some_and(|count| count > 0),
        }
    }

    /// Removes the leaf, waiting briefly for exiting processes to leave it.
    pub async fn remove(&self) {
        for _ in 0..REMOVE_ATTEMPTS {
            match fs::remove_dir(&self.path) {
                Ok(()) => return,
                Err(error) if error.kind() == io::ErrorKind::NotFound => return,
                Err(_) => tokio::time::sleep(REMOVE_RETRY_DELAY).await,
            }
        }
        tracing::warn!(path = %self.path.display(), "cannot remove replica cgroup");
    }
}

fn detect_v2(mountinfo: &str, own: &str) -> Result<PathBuf, String> {
    let mount = mounts(mountinfo)
        .find(|m| m.fstype == "cgroup2")
        .ok_or("no cgroup2 mount")?;
    let path = own
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or("no unified cgroup in /proc/self/cgroup")?;
    let base = join_cgroup(&mount.point, &mount.root, path);
    let controllers = fs::read_to_string(base.join("cgroup.controllers"))
        .map_err(|error| format!("{}: {error}", base.display()))?;
    if !controllers.split_whitespace().any(|c| c == "memory") {
        return Err(format!(
            "memory controller not available in {}",
            base.display()
        ));
    }
    let dir = base.join(CGROUP_DIR_NAME);
    fs::create_dir_all(&dir).map_err(|error| format!("mkdir {}: {error}", dir.display()))?;
    // Children of `dir` need the memory controller enabled on the way down.
    for parent in [&base, &dir] {
        let control = parent.join("cgroup.subtree_control");
        fs::write(&control, "+memory")
            .map_err(|error| format!("enable memory in {}: {error}", control.display()))?;
    }
    Ok(dir)
}

fn detect_v1(mountinfo: &str, own: &str) -> Result<PathBuf, String> {
    let mount = mounts(mountinfo)
        .find(|m| m.fstype == "cgroup" && m.super_options.split(',').any(|o| o == "memory"))
        .ok_or("no memory cgroup mount")?;
    let path = own
        .lines()
        .find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let _id = parts.next()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            controllers
                .split(',')
                .any(|c| c == "memory")
                .then_some(path)
        })
        .ok_or("no memory cgroup in /proc/self/cgroup")?;
    let base = join_cgroup(&mount.point, &mount.root, path);
    if !base.join("memory.limit_in_bytes").exists() {
        return Err(format!("{} has no memory.limit_in_bytes", base.display()));
    }
    let dir = base.join(CGROUP_DIR_NAME);
    fs::create_dir_all(&dir).map_err(|error| format!("mkdir {}: {error}", dir.display()))?;
    Ok(dir)
}

struct Mount {
    root: String,
    point: PathBuf,
    fstype: String,
    super_options: String,
}

/// Lines of `/proc/self/mountinfo`: `id parent dev root point opts [tags] - fstype source superopts`.
fn mounts(mountinfo: &str) -> impl Iterator<Item = Mount> + '_ {
    mountinfo.lines().filter_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let left: Vec<&str> = left.split_whitespace().collect();
        let right: Vec<&str> = right.split_whitespace().collect();
        Some(Mount {
            root: (*left.get(3)?).to_owned(),
            point: PathBuf::from(left.get(4)?),
            fstype: (*right.first()?).to_owned(),
            super_options: right.get(2).copied().unwrap_or_default().to_owned(),
        })
    })
}

/// The directory of cgroup `path` under a mount of hierarchy root `root`.
fn join_cgroup(point: &Path, root: &str, path: &str) -> PathBuf {
    let relative = path
        .strip_prefix(root)
        .filter(|_| root != "/")
        .unwrap_or(path)
        .trim_start_matches('/');
    if relative.is_empty() {
        point.to_path_buf()
    } else {
        point.join(relative)
    }
}

/// A short stable tag of the engine's home directory (FNV-1a).
fn home_tag(home: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in home.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash as u32)
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn finds_the_v1_memory_mount_and_the_v2_mount() {
        let all: Vec<Mount> = mounts(MOUNTINFO).collect();
        let memory = all
            .iter()
            .find(|m| m.super_options.contains("memory"))
            .unwrap();
        assert_eq!(memory.point, Path::new("/sys/fs/cgroup/memory"));
        assert!(all.iter().any(|m| m.fstype == "cgroup2"));
    }

    #[test]
    fn cgroup_paths_are_joined_relative_to_the_mount_root() {
        assert_eq!(
            join_cgroup(Path::new("/sys/fs/cgroup/memory"), "/", "/a/b"),
            Path::new("/sys/fs/cgroup/memory/a/b")
        );
        assert_eq!(
            join_cgroup(Path::new("/sys/fs/cgroup"), "/a", "/a/b"),
            Path::new("/sys/fs/cgroup/b")
        );
        assert_eq!(
            join_cgroup(Path::new("/sys/fs/cgroup"), "/", "/"),
            Path::new("/sys/fs/cgroup")
        );
    }

    #[test]
    fn replica_leaves_differ_by_home_and_replica() {
        let enforcement = |home: &str| MemoryEnforcement::Cgroup {
            version: CgroupVersion::V1,
            dir: PathBuf::from("/cg/daytwo"),
            home_tag: home_tag(Path::new(home)),
        };
        let key = ReplicaKey::new("dev", "web", 1);
        let a = enforcement("/home/a").leaf(&key).unwrap();
        let b = enforcement("/home/b").leaf(&key).unwrap();
        assert_ne!(a.path, b.path);
        assert!(a.path.to_string_lossy().ends_with("-dev.web.1"));
    }
}
