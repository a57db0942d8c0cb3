//! `saltrelay loadtest --nodes 3 --store temp --kill-cycles 3`: three real relay processes on
//! one real PostgreSQL server (saltrelay-pgtest, fsync on), under load: a SIGKILL of a node, a
//! crash and restart of PostgreSQL, and a SIGSTOP past a node's presence lease. After each
//! fault every message acked by then must be delivered within the settle time, and none may
//! be lost (spec/09-relay-cluster.md, CLU-13, CLU-14; issue 17).
//!
//! The nodes read their mirrors in pages of 64 rows and their safety net is off (ten
//! minutes), so the backlog a fault leaves (the messages to the recipients of a paused or
//! killed node, acked meanwhile by the other nodes) spans many pages and must be delivered
//! by the page reads and wake-ups alone, within the run.

mod relay_process;

use std::time::Duration;

use relay_process::{output_within, saltrelay};

/// The whole run, start to stop of every process, on a loaded machine.
const LIMIT: Duration = Duration::from_secs(300);

#[test]
fn cluster_faults_deliver_every_acked_message_after_each_fault() {
    let test = "cluster_faults_deliver_every_acked_message_after_each_fault";
    if let Err(why) = saltrelay_pgtest::find_bin_dir() {
        assert!(
            !saltrelay_pgtest::required(),
            "{test}: PostgreSQL is needed and unavailable: {why}"
        );
        eprintln!("{test}: SKIPPED, no PostgreSQL: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loadtest = saltrelay();
    loadtest
        .args(["loadtest", "--nodes", "3", "--store", "temp"])
        .args([
            "--kill-cycles",
            "3",
            "--faults",
            "kill,store-restart,pause",
            "--pause-ms",
            "3000",
        ])
        .args([
            "--relay-arg=--lease-ms=1500",
            "--relay-arg=--page-rows=64",
            "--relay-arg=--catch-up-interval-ms=600000",
            "--settle",
            "45",
            "--drain",
            "45",
        ])
        .args(["--quiet", "--name", "faults", "--out"])
        .arg(dir.path());
    // Three cycles, each at most 1.5 s of load, a 0.5 s kill, a database restart or a 3 s
    // pause, and at most a 45 s settle, then at most a 45 s drain: far less than this
    // unless something hangs.
    let output = output_within(loadtest, LIMIT);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let results: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("faults/results.json")).expect("results.json"),
    )
    .expect("JSON");
    let counts = &results["counts"];
    assert_eq!(results["cycles"], 3);
    assert_eq!(counts["lost"], 0, "{stdout}{stderr}");
    assert!(
        counts["acked"].as_u64().expect("acked") > 0,
        "there was load"
    );
    let log = results["cycle_log"].as_array().expect("cycle log");
    let faults: Vec<&str> = log
        .iter()
        .map(|cycle| cycle["fault"].as_str().expect("fault"))
        .collect();
    assert_eq!(faults, ["kill", "store-restart", "pause"]);
    for cycle in log {
        assert_eq!(
            cycle["undelivered_after_settle"], 0,
            "messages acked before the fault end were still undelivered after the settle \
             time: {cycle}\n{stdout}{stderr}"
        );
    }
    assert!(
        results["cross_node_latency"]["count"]
            .as_u64()
            .expect("count")
            > 0,
        "no message crossed nodes: {stdout}"
    );
}
