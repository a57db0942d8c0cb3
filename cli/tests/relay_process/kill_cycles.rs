//! `saltrelay loadtest` in kill-cycle mode as a process test: one runner for the single-relay
//! and the cluster runs, with the checks every such run must pass (RELAY-13, RELAY-22;
//! spec/09-relay-cluster.md).

use std::path::PathBuf;
use std::time::Duration;

use super::{output_within, saltrelay};

/// The whole run, start to stop of every process, on a loaded machine. A run of these tests
/// does at most 3 cycles of at most 1.5 s of load, a 0.5 s kill or a 3 s pause and a 30 s
/// settle, then at most a 60 s drain: far less than this unless something hangs.
const LIMIT: Duration = Duration::from_secs(300);

/// A finished run that lost no acked message.
pub struct KillCycleRun {
    /// What the run printed on stdout.
    pub stdout: String,
    /// Its `results.json`.
    pub results: serde_json::Value,
    /// Its report folder, `<out>/<name>`.
    pub report: PathBuf,
    /// Removed on drop.
    _out: tempfile::TempDir,
}

/// Runs `saltrelay loadtest ARGS --kill-cycles CYCLES --drain 60 --quiet --name NAME --out DIR`
/// (killed with every relay it started if it hangs) and checks what every run must show:
/// it exited 0, did `cycles` faults under load, and lost no acked message.
pub fn run(args: &[&str], cycles: u32, name: &str) -> KillCycleRun {
    let out = tempfile::tempdir().expect("temp dir");
    let mut loadtest = saltrelay();
    loadtest
        .arg("loadtest")
        .args(args)
        .args(["--kill-cycles", &cycles.to_string(), "--drain", "60"])
        .args(["--quiet", "--name", name, "--out"])
        .arg(out.path());
    let output = output_within(loadtest, LIMIT);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = out.path().join(name);
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("results.json")).expect("results.json"))
            .expect("JSON");
    let counts = &results["counts"];
    assert_eq!(results["cycles"], cycles);
    assert_eq!(counts["lost"], 0, "{stdout}");
    assert!(
        counts["acked"].as_u64().expect("acked") > 0,
        "there was load"
    );
    KillCycleRun {
        stdout,
        results,
        report,
        _out: out,
    }
}
