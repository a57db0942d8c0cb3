//! What a process has used, read from Linux's /proc (MEAS-10): CPU seconds in user and kernel
//! mode and the peak resident set. A measuring child reads its own figures just before it
//! exits, so each size of a scale run is one process with its own peak, not the maximum of
//! every child so far (which is all `getrusage(RUSAGE_CHILDREN)` would give a parent).

/// Clock ticks per second of /proc's CPU times (`USER_HZ`): 100 on every Linux this runs on.
pub const TICKS_PER_SEC: f64 = 100.0;

/// CPU time and peak memory of one process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Seconds of CPU in user mode, every thread.
    pub user_s: f64,
    /// Seconds of CPU in kernel mode, every thread.
    pub system_s: f64,
    /// Peak resident set (`VmHWM`), bytes.
    pub peak_rss_bytes: u64,
}

/// User and system seconds from the text of a `/proc/<pid>/stat` file.
#[must_use]
pub fn stat_cpu(text: &str) -> Option<(f64, f64)> {
    // The fields after the command name in parentheses, which may itself hold spaces.
    let rest = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user / TICKS_PER_SEC, system / TICKS_PER_SEC))
}

/// A `kB` line of a `/proc/<pid>/status` file (`VmHWM`, `VmRSS`), in bytes.
#[must_use]
pub fn status_bytes(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.split(':').next() == Some(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// This process's usage so far; `None` where /proc cannot be read (not Linux).
#[must_use]
pub fn self_usage() -> Option<Usage> {
    let (user_s, system_s) = stat_cpu(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let peak_rss_bytes =
        status_bytes(&std::fs::read_to_string("/proc/self/status").ok()?, "VmHWM")?;
    Some(Usage {
        user_s,
        system_s,
        peak_rss_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_past_a_name_with_spaces() {
        let stat = "12 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0";
        assert_eq!(stat_cpu(stat), Some((2.5, 0.5)));
        assert_eq!(stat_cpu("no parenthesis"), None);
    }

    #[test]
    fn reads_a_status_line_in_bytes() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(status_bytes(status, "VmHWM"), Some(2 << 20));
        assert_eq!(status_bytes(status, "VmRSS"), Some(1 << 20));
        assert_eq!(status_bytes(status, "VmPeak"), None);
    }

    #[test]
    fn this_process_has_used_something() {
        if let Some(usage) = self_usage() {
            assert!(usage.peak_rss_bytes > 0);
            assert!(usage.user_s >= 0.0 && usage.system_s >= 0.0);
        }
    }
}
