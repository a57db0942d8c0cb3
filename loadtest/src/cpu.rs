//! CPU time and memory from /proc (Linux): per thread, to tell the relay's threads from the
//! clients' in one process, and per process, for a relay child.

use std::path::Path;

/// Clock ticks per second of /proc's CPU times; 100 on every Linux this runs on.
const TICKS_PER_SEC: f64 = 100.0;

/// Thread-name prefixes of the relay: its runtime, the store committer, the key directory.
const RELAY_THREADS: [&str; 3] = ["relay-rt", "store-", "key-directory"];

/// CPU seconds of this process, split into relay threads and the rest (the clients).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuSplit {
    pub(crate) relay_secs: f64,
    pub(crate) client_secs: f64,
}

/// User plus system seconds from a `stat` file's text.
fn stat_secs(text: &str) -> Option<f64> {
    // Fields after the command name in parentheses, which may itself hold spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// This process's threads' CPU time, split by thread name. Threads that ended are missed:
/// the runtimes' threads live for the whole run.
pub(crate) fn split_self() -> CpuSplit {
    let mut split = CpuSplit::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return split;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let Some(secs) = std::fs::read_to_string(dir.join("stat"))
            .ok()
            .and_then(|t| stat_secs(&t))
        else {
            continue;
        };
        if RELAY_THREADS.iter().any(|p| name.trim().starts_with(p)) {
            split.relay_secs += secs;
        } else {
            split.client_secs += secs;
        }
    }
    split
}

/// A process's CPU seconds (all its threads).
pub(crate) fn process_secs(pid: u32) -> Option<f64> {
    stat_secs(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Resident memory of a process (`VmRSS`), bytes; `None` for this process reads `self`.
pub(crate) fn rss_bytes(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let text = std::fs::read_to_string(Path::new(&path)).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The load average line, as `uptime` shows it.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks() {
        let stat = "12 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0";
        assert_eq!(stat_secs(stat), Some(3.0));
    }
}
