//! CPU time and memory from /proc (Linux): per thread, to tell the relay's threads from the
//! clients' in one process, and per process, for a relay child.

use std::path::Path;

use saltrelay_measure::process::{TICKS_PER_SEC, stat_cpu, status_bytes};

/// Thread-name prefix of the load generator's runtime.
pub(crate) const CLIENT_THREADS: &str = "load-rt";

/// CPU seconds of this process, split into relay threads and the rest (the clients).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuSplit {
    pub(crate) relay_secs: f64,
    pub(crate) client_secs: f64,
}

/// User plus system seconds from a `stat` file's text.
fn stat_secs(text: &str) -> Option<f64> {
    stat_cpu(text).map(|(user, system)| user + system)
}

/// This process's CPU time, split: the clients are the load runtime's threads and the main
/// thread, which live for the whole run; the relay is the rest of the process's total, so
/// the store's short-lived flush threads count even after they ended.
pub(crate) fn split_self() -> CpuSplit {
    let total = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|t| stat_secs(&t))
        .unwrap_or(0.0);
    let main = std::process::id().to_string();
    let mut client_secs = 0.0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let dir = task.path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            let is_main = task.file_name().to_str() == Some(main.as_str());
            if !(is_main || name.trim().starts_with(CLIENT_THREADS)) {
                continue;
            }
            if let Some(secs) = std::fs::read_to_string(dir.join("stat"))
                .ok()
                .and_then(|t| stat_secs(&t))
            {
                client_secs += secs;
            }
        }
    }
    CpuSplit {
        relay_secs: (total - client_secs).max(0.0),
        client_secs,
    }
}

/// This process's CPU seconds (every thread, user and system).
pub(crate) fn self_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|t| stat_secs(&t))
        .unwrap_or(0.0)
}

/// CPU seconds the whole machine spent busy (every process, all CPUs), from /proc/stat.
pub(crate) fn machine_busy_secs() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    let busy: f64 = fields
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    Some(busy / TICKS_PER_SEC)
}

/// Cores the whole machine kept busy over `window`, sampled from /proc/stat at its two ends
/// (VAL-7: what other work runs now, unlike the load average, which still carries the tail of
/// earlier minutes).
#[must_use]
pub fn machine_busy_cores(window: std::time::Duration) -> Option<f64> {
    let before = machine_busy_secs()?;
    std::thread::sleep(window);
    let after = machine_busy_secs()?;
    Some((after - before).max(0.0) / window.as_secs_f64().max(1e-9))
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
    status_bytes(&std::fs::read_to_string(Path::new(&path)).ok()?, "VmRSS")
}

/// The load average line, as `uptime` shows it.
#[must_use]
pub fn load_average() -> String {
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
