//! Reading `/proc`: process start times (the guard against pid reuse) and the
//! per-process CPU and RSS counters the sampler sums per process group.

use std::path::Path;

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
pub(crate) const CLOCK_TICKS_PER_SECOND: u64 = 100;
/// Page size used when sysconf cannot tell.
const FALLBACK_PAGE_SIZE: u64 = 4096;

/// The fields of `/proc/<pid>/stat` the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub pid: u32,
    /// One-letter state; `Z` is a zombie (dead, not yet reaped).
    pub state: char,
    pub pgid: u32,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    pub start_ticks: u64,
    pub rss_pages: u64,
}

/// Parses the text of `/proc/<pid>/stat`. The command name (field 2) may
/// contain spaces and parentheses, so fields are counted after its last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    // rest starts at field 3 (state).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).copied();
    Some(ProcStat {
        pid,
        state: field(3)?.chars().next()?,
        pgid: field(5)?.parse().ok()?,
        cpu_ticks: field(14)?.parse::<u64>().ok()? + field(15)?.parse::<u64>().ok()?,
        start_ticks: field(22)?.parse().ok()?,
        rss_pages: field(24)?.parse::<i64>().ok()?.max(0) as u64,
    })
}

pub(crate) fn read_stat(pid: u32) -> Option<ProcStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether `pid` is alive (not a zombie) and is the process that started at
/// `start_ticks`, not a later process that reused the pid.
pub(crate) fn is_same_process(pid: u32, start_ticks: u64) -> bool {
    read_stat(pid).is_some_and(|stat| stat.start_ticks == start_ticks && stat.state != 'Z')
}

/// Every process currently in `/proc`.
pub(crate) fn all_processes() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir(Path::new("/proc")) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            let pid: u32 = name.to_str()?.parse().ok()?;
            read_stat(pid)
        })
        .collect()
}

/// Bytes per memory page.
pub(crate) fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|size| u64::try_from(size).ok())
        .unwrap_or(FALLBACK_PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_and_parens_in_the_name() {
        let text = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    7 3 0 0 20 0 1 0 987654 12345678 2560 18446744073709551615 \
                    1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let stat = parse_stat(text).unwrap();
        assert_eq!(stat.pid, 4242);
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.pgid, 4242);
        assert_eq!(stat.cpu_ticks, 10);
        assert_eq!(stat.start_ticks, 987654);
        assert_eq!(stat.rss_pages, 2560);
    }

    #[test]
    fn own_process_is_alive_and_guarded_by_start_time() {
        let me = std::process::id();
        let stat = read_stat(me).unwrap();
        assert!(is_same_process(me, stat.start_ticks));
        assert!(!is_same_process(me, stat.start_ticks + 1));
        assert!(all_processes().iter().any(|p| p.pid == me));
    }
}
