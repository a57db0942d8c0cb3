//! Where and how a report was measured: machine, CPU model and flags, toolchain, commit, date
//! and the exact command (STYLE.md: reports record commit, toolchain, machine and command).

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// CPU flags that decide which code paths the ciphers and hashes take.
pub const SIMD_FLAGS: &[&str] = &[
    "sse2",
    "ssse3",
    "sse4_1",
    "sse4_2",
    "avx",
    "avx2",
    "bmi2",
    "adx",
    "avx512f",
    "avx512vl",
    "sha_ni",
    "aes",
    "vaes",
    "pclmulqdq",
];

/// Facts about the run a report describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    /// The commands that produced the results, in order.
    pub commands: Vec<String>,
    /// `git rev-parse HEAD`, with `-dirty` when the work tree had changes.
    pub commit: String,
    /// UTC date and time, ISO 8601.
    pub date: String,
    /// The machine.
    pub machine: Machine,
    /// `rustc -V`.
    pub rustc: String,
    /// `RUSTFLAGS` of the run, if set.
    pub rustflags: Option<String>,
}

/// The measuring machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Logical CPUs available to the process.
    pub logical_cpus: usize,
    /// Total memory in gibibytes (rounded).
    pub memory_gib: u64,
    /// Operating system and kernel release.
    pub os: String,
    /// Every CPU flag the kernel reports.
    pub cpu_flags: Vec<String>,
}

impl Machine {
    /// The flags of [`SIMD_FLAGS`] this CPU has.
    #[must_use]
    pub fn simd_flags(&self) -> Vec<&str> {
        SIMD_FLAGS
            .iter()
            .copied()
            .filter(|f| self.cpu_flags.iter().any(|c| c == f))
            .collect()
    }

    /// One line: model, logical CPUs, memory and operating system.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{}, {} logical CPUs, {} GiB, {}",
            self.cpu_model, self.logical_cpus, self.memory_gib, self.os
        )
    }
}

impl Environment {
    /// Collects the facts of this machine and of the repository at `repo`.
    #[must_use]
    pub fn collect(commands: Vec<String>, repo: &Path) -> Self {
        Self {
            commands,
            commit: git_commit(repo),
            date: utc_now(),
            machine: Machine::collect(),
            rustc: output_line("rustc", &["-V"], repo).unwrap_or_else(|| "unknown".to_owned()),
            rustflags: std::env::var("RUSTFLAGS").ok().filter(|s| !s.is_empty()),
        }
    }
}

impl Machine {
    /// Reads `/proc/cpuinfo`, `/proc/meminfo` and the kernel release; "unknown" where absent.
    #[must_use]
    pub fn collect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        };
        let cpu_model = field("model name").unwrap_or_else(|| "unknown".to_owned());
        let cpu_flags = field("flags")
            .map(|f| f.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let memory_kib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or(0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Self {
            cpu_model,
            logical_cpus: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: (memory_kib + 512 * 1024) / (1024 * 1024),
            os: format!("{} {kernel}", std::env::consts::OS)
                .trim()
                .to_owned(),
            cpu_flags,
        }
    }
}

fn git_commit(repo: &Path) -> String {
    let Some(head) = output_line("git", &["rev-parse", "HEAD"], repo) else {
        return "unknown (not a git checkout)".to_owned();
    };
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(repo)
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    if dirty { format!("{head}-dirty") } else { head }
}

fn output_line(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    Some(text.lines().next()?.trim().to_owned())
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_from_unix(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian).
#[must_use]
pub fn utc_from_unix(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc_from_unix(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn simd_flags_keep_only_known_ones_in_order() {
        let machine = Machine {
            cpu_model: "test".into(),
            logical_cpus: 2,
            memory_gib: 24,
            os: "linux 6".into(),
            cpu_flags: vec!["fpu".into(), "avx2".into(), "sse2".into()],
        };
        assert_eq!(machine.simd_flags(), ["sse2", "avx2"]);
        assert_eq!(machine.summary(), "test, 2 logical CPUs, 24 GiB, linux 6");
    }
}
