//! `saltrelay simulate --scale` and `saltrelay bench store` end to end at tiny sizes, in a
//! scratch repository (MEAS-10, MEAS-11, MEAS-13): each writes `results.json` with the
//! provenance of a clean commit and a report; `saltrelay reports check` accepts them once
//! committed and refuses them after a figure is edited by hand. Checks content, never speed.

use std::path::Path;
use std::process::{Command, Output};

use saltrelay_measure::testing::{self, commit_all};

fn saltrelay(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_saltrelay"));
    command.current_dir(dir);
    command
}

/// A repository with one commit holding the index file of `reports/`; returns its `HEAD`.
fn scratch_repository(dir: &Path) -> String {
    testing::scratch_repository(dir, &[("reports/README.md", "# Reports\n")])
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("results.json")).expect("JSON")
}

/// Commits everything, checks that `reports check` passes with `folder` ok, then edits one
/// figure of `report` and checks that it fails naming the file.
fn accepted_then_refused_after_editing(
    dir: &Path,
    folder: &str,
    report: &str,
    from: &str,
    to: &str,
) {
    commit_all(dir, "measured");
    let output = saltrelay(dir)
        .args(["reports", "check", "--repo", "."])
        .output()
        .expect("reports check runs");
    let stdout = succeeded(&output);
    assert!(stdout.contains(&format!("ok       {folder}")), "{stdout}");

    let path = dir.join(folder).join(report);
    let text = std::fs::read_to_string(&path).expect("report");
    assert!(text.contains(from), "{from:?} not in {text}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("edit");
    let output = saltrelay(dir)
        .args(["reports", "check", "--repo", "."])
        .output()
        .expect("reports check runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "FAIL     {folder}: {report}: differs from what results.json regenerates"
        )),
        "{stdout}"
    );
}

#[test]
fn scale_run_writes_a_checked_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    scratch_repository(dir.path());
    // The default cost file is found in the checkout around the working directory, never at
    // a path compiled into the binary: this scratch checkout gets a copy of ours.
    std::fs::create_dir_all(dir.path().join("reports/bench")).expect("reports/bench");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/bench/costs.json"),
        dir.path().join("reports/bench/costs.json"),
    )
    .expect("costs.json");
    let head = commit_all(dir.path(), "costs");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../simulator/scenarios/default.toml"
    );
    let output = saltrelay(dir.path())
        .args(["simulate", scenario, "--scale", "--sizes", "200,300@30m"])
        .args(["--set", "duration=1h", "--set", "warmup=0s"])
        .args(["--out", "reports/simulation/scale"])
        .output()
        .expect("simulate --scale runs");
    let stdout = succeeded(&output);
    assert!(stdout.contains("scale: 200 clients, 1h:"), "{stdout}");

    let doc = read_json(&dir.path().join("reports/simulation/scale/results.json"));
    assert_eq!(doc["schema"], "saltrelay_scale_v1");
    assert_eq!(doc["provenance"]["commit"], head.as_str());
    assert_eq!(doc["provenance"]["clean"], true);
    assert_eq!(doc["sets"], serde_json::json!(["duration=1h", "warmup=0s"]));
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    for (row, (clients, duration)) in rows.iter().zip([(200, "1h"), (300, "30m")]) {
        assert_eq!(row["clients"], clients);
        assert_eq!(row["duration"], duration);
        assert_eq!(row["conservation_holds"], true);
        assert!(row["events"].as_u64().expect("events") > 0);
        assert!(row["peak_rss_bytes"].as_u64().expect("RSS") > 1 << 20);
        assert!(row["wall_s"].as_f64().expect("wall") > 0.0);
        assert!(
            row["command"].as_str().expect("command").contains(&format!(
                "--scale-child --set duration=1h --set warmup=0s --set clients={clients}"
            )),
            "{row}"
        );
    }
    let events = rows[0]["events"].as_u64().expect("events").to_string();
    accepted_then_refused_after_editing(
        dir.path(),
        "reports/simulation/scale",
        "summary.md",
        &format!(" | {events} | "),
        &format!(" | {events}0 | "),
    );
}

#[test]
fn scale_run_refuses_keys_it_sets_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../simulator/scenarios/default.toml"
    );
    let output = saltrelay(dir.path())
        .args(["simulate", scenario, "--scale", "--set", "clients=5"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("use --sizes"));
}

#[test]
fn store_bench_writes_a_checked_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("data dir");
    let head = scratch_repository(dir.path());
    let output = saltrelay(dir.path())
        .args(["bench", "store", "--profile", "smoke", "--no-criterion"])
        .arg("--data-dir")
        .arg(data.path().join("store"))
        .args(["--out", "reports/store"])
        .output()
        .expect("bench store runs");
    succeeded(&output);

    let doc = read_json(&dir.path().join("reports/store/results.json"));
    assert_eq!(doc["schema"], "saltrelay_store_v1");
    assert_eq!(doc["provenance"]["commit"], head.as_str());
    assert_eq!(doc["provenance"]["clean"], true);
    assert_eq!(doc["profile"], "smoke");
    assert_eq!(doc["criterion"], serde_json::Value::Null);
    assert_eq!(doc["flush"].as_array().expect("flush").len(), 3);
    let closed = doc["closed_loop"].as_array().expect("closed");
    assert_eq!(closed.len(), 4);
    for run in closed
        .iter()
        .chain(doc["open_loop"].as_array().expect("open"))
    {
        assert!(run["acked"].as_u64().expect("acked") > 0, "{run}");
        assert!(run["commits"].as_u64().expect("commits") > 0, "{run}");
    }
    assert!(
        !data.path().join("store").exists(),
        "the data directory is removed"
    );
    let report =
        std::fs::read_to_string(dir.path().join("reports/store/README.md")).expect("report");
    assert!(report.contains("Not measured in this run (`--no-criterion`)."));
    assert!(report.contains("historical: 2026-11-22, commit `96422a0`, not re-measured"));
    accepted_then_refused_after_editing(
        dir.path(),
        "reports/store",
        "README.md",
        "| fdatasync, 64 B append | ",
        "| fdatasync, 64 B append | 1",
    );
}
