//! The one provenance recorder (MEAS-1): commit, clean tree, date, machine, toolchain and the
//! exact command, taken when a measurement runs, and stored in the JSON of its result. Bench
//! layers, load-test runs, simulations, store benches and scale runs all record it here, so a
//! figure names the code and machine that produced it, not the ones that formatted it.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

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

/// Where, when and how one measurement ran (MEAS-1), recorded by [`Provenance::record`] when
/// the measurement starts, never when a report is written from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Names one measurement run (MEAS-2): `$SALTRELAY_RUN_ID` when a driver set it for
    /// several processes (every bench target of one `saltrelay bench run`), else
    /// `<UTC date>-<process id>`. Two numbers may be shown as a ratio only when their run ids
    /// are equal.
    pub run_id: String,
    /// `git rev-parse HEAD` of the repository measured (40 hex digits), or `unknown`.
    pub commit: String,
    /// Whether `git status --porcelain` printed nothing: the code measured is exactly `commit`.
    pub clean: bool,
    /// UTC date and time the measurement started, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// The exact command line that ran the measurement.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// How the measuring code was built.
    pub toolchain: Toolchain,
    /// `/proc/loadavg`'s 1, 5 and 15 minute load averages when the run started: other work
    /// on the machine shows here.
    pub load_average: Option<String>,
}

/// How the measuring code was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toolchain {
    /// `rustc -V`.
    pub rustc: String,
    /// `release` (no debug assertions) or `debug`: the profile of the binary that measured.
    pub profile: String,
    /// `RUSTFLAGS` of the run, if set.
    pub rustflags: Option<String>,
}

/// The variable a driver sets so that every process of one run shares its run id.
pub const RUN_ID_VAR: &str = "SALTRELAY_RUN_ID";

/// The variable a driver sets so that child processes record the command the user typed
/// (`saltrelay bench run`) rather than their own argv (`target/release/deps/primitives-…`).
pub const COMMAND_VAR: &str = "SALTRELAY_COMMAND";

impl Provenance {
    /// Records the facts of this run: `command` as typed, the repository at `repo`.
    #[must_use]
    pub fn record(command: &str, repo: &Path) -> Self {
        let date = utc_now();
        let run_id = std::env::var(RUN_ID_VAR)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| new_run_id(&date));
        let (commit, clean) = git_state(repo);
        Self {
            run_id,
            commit,
            clean,
            date,
            command: command.to_owned(),
            machine: Machine::collect(),
            toolchain: Toolchain {
                rustc: output_line("rustc", &["-V"], repo).unwrap_or_else(|| "unknown".to_owned()),
                profile: if cfg!(debug_assertions) {
                    "debug"
                } else {
                    "release"
                }
                .to_owned(),
                rustflags: std::env::var("RUSTFLAGS").ok().filter(|s| !s.is_empty()),
            },
            load_average: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
        }
    }

    /// Records this process's run: the command is `$SALTRELAY_COMMAND` when a driver set it,
    /// else this process's own command line.
    #[must_use]
    pub fn record_here(repo: &Path) -> Self {
        let command = std::env::var(COMMAND_VAR)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(command_line);
        Self::record(&command, repo)
    }

    /// A fixed record that reads nothing from the machine, for tests and examples.
    #[must_use]
    pub fn fixed(run_id: &str, commit: &str, clean: bool) -> Self {
        Self {
            run_id: run_id.to_owned(),
            commit: commit.to_owned(),
            clean,
            date: "2025-01-01T00:00:00Z".to_owned(),
            command: "saltrelay test".to_owned(),
            machine: Machine {
                cpu_model: "cpu".to_owned(),
                logical_cpus: 2,
                memory_gib: 24,
                os: "linux".to_owned(),
                cpu_flags: vec!["sse2".to_owned(), "avx2".to_owned()],
            },
            toolchain: Toolchain {
                rustc: "rustc 1.95.0".to_owned(),
                profile: "release".to_owned(),
                rustflags: None,
            },
            load_average: None,
        }
    }

    /// The commit as a report shows it: 12 hex digits, `-dirty` when the tree was not clean.
    #[must_use]
    pub fn commit_label(&self) -> String {
        let short: String = self.commit.chars().take(12).collect();
        if self.clean {
            short
        } else {
            format!("{short}-dirty")
        }
    }

    /// One line for a report header: commit, date, machine, profile, command.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "commit `{}`, {} UTC, {}, {} build, `{}`",
            self.commit_label(),
            self.date,
            self.machine.summary(),
            self.toolchain.profile,
            self.command
        )
    }

    /// The two-column table that opens a report written from its record (the scale run's
    /// `summary.md`, MEAS-10; the store bench's `README.md`, MEAS-11): an empty header row,
    /// `measured` ([`Self::summary`]) and `load average at start`, then `rows` as
    /// `| name | value |` (values are markdown as given), then a blank line. Shared so that
    /// every such report states where its figures come from in the same words.
    #[must_use]
    pub fn header_table(&self, rows: &[(&str, String)]) -> String {
        let mut out = String::from("| | |\n| --- | --- |\n");
        let load_average = self.load_average.as_deref().unwrap_or("unknown");
        let _ = writeln!(out, "| measured | {} |", self.summary());
        let _ = writeln!(out, "| load average at start | {load_average} |");
        for (name, value) in rows {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        out.push('\n');
        out
    }
}

/// A fresh run id: the date without separators and this process's id.
fn new_run_id(date: &str) -> String {
    let compact: String = date.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{compact}-{}", std::process::id())
}

/// This process's command line, the program shown by its file name (`saltrelay simulate …`),
/// arguments with spaces quoted.
#[must_use]
pub fn command_line() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .map(|p| {
            Path::new(&p)
                .file_name()
                .map_or(p.clone(), |n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    std::iter::once(program)
        .chain(args.map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The measuring machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// `HEAD` and whether `git status --porcelain` (untracked files included) is empty.
fn git_state(repo: &Path) -> (String, bool) {
    let Some(head) = output_line("git", &["rev-parse", "HEAD"], repo) else {
        return ("unknown".to_owned(), false);
    };
    let clean = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(repo)
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.is_empty());
    (head, clean)
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

    #[test]
    fn records_this_repository_and_a_shared_run_id() {
        let here = Provenance::record("saltrelay test", Path::new(env!("CARGO_MANIFEST_DIR")));
        assert_eq!(here.command, "saltrelay test");
        assert!(here.date.ends_with('Z'));
        assert!(!here.run_id.is_empty());
        // Inside a git checkout HEAD is 40 hex digits; a tarball says "unknown".
        assert!(here.commit == "unknown" || here.commit.len() == 40);
        let fixed = Provenance::fixed("r1", "0123456789abcdef0123", false);
        assert_eq!(fixed.commit_label(), "0123456789ab-dirty");
        let back: Provenance =
            serde_json::from_str(&serde_json::to_string(&fixed).unwrap()).unwrap();
        assert_eq!(back, fixed);
    }

    #[test]
    fn the_header_table_names_the_run_then_the_given_rows() {
        let mut provenance = Provenance::fixed("r1", &"a".repeat(40), true);
        provenance.load_average = Some("0.50 0.40 0.30".to_owned());
        assert_eq!(
            provenance.header_table(&[("scenario", "`x.toml`".to_owned())]),
            "| | |\n| --- | --- |\n\
             | measured | commit `aaaaaaaaaaaa`, 2025-01-01T00:00:00Z UTC, cpu, 2 logical CPUs, \
             24 GiB, linux, release build, `saltrelay test` |\n\
             | load average at start | 0.50 0.40 0.30 |\n\
             | scenario | `x.toml` |\n\n"
        );
        provenance.load_average = None;
        assert!(
            provenance
                .header_table(&[])
                .ends_with("| load average at start | unknown |\n\n")
        );
    }
}
