//! `saltrelay loadtest --nodes 3 --store URL --kill-cycles 2`: three real relay processes on
//! one real PostgreSQL server (saltrelay-pgtest), a SIGKILL of a node and a SIGSTOP past its
//! presence lease under load; no acked message may be lost, and messages cross nodes
//! (spec/09-relay-cluster.md; issue 17).

mod relay_process;

use std::time::Duration;

use relay_process::{output_within, saltrelay};
use saltrelay_pgtest::PgServer;

/// The whole run, start to stop of every process, on a loaded machine.
const LIMIT: Duration = Duration::from_secs(240);

#[test]
fn cluster_faults_lose_no_acked_message() {
    let Some(server) = PgServer::for_test("cluster_faults_lose_no_acked_message") else {
        return;
    };
    let store = server
        .create_database("cli_cluster_faults")
        .expect("database");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loadtest = saltrelay();
    loadtest
        .args(["loadtest", "--nodes", "3", "--store", &store])
        .args([
            "--kill-cycles",
            "2",
            "--faults",
            "kill,pause",
            "--pause-ms",
            "3000",
        ])
        .args([
            "--relay-arg=--lease-ms=1500",
            "--settle",
            "30",
            "--drain",
            "60",
        ])
        .args(["--quiet", "--name", "faults", "--out"])
        .arg(dir.path());
    // Two cycles, each at most 1.5 s of load, a 0.5 s kill or a 3 s pause and a 30 s settle,
    // then at most a 60 s drain: far less than this unless something hangs.
    let output = output_within(loadtest, LIMIT);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("faults/results.json")).expect("results.json"),
    )
    .expect("JSON");
    let counts = &results["counts"];
    assert_eq!(results["cycles"], 2);
    assert_eq!(counts["lost"], 0, "{stdout}");
    assert!(
        counts["acked"].as_u64().expect("acked") > 0,
        "there was load"
    );
    let log = results["cycle_log"].as_array().expect("cycle log");
    assert_eq!(log[0]["fault"], "kill");
    assert_eq!(log[1]["fault"], "pause");
    assert!(
        results["cross_node_latency"]["count"]
            .as_u64()
            .expect("count")
            > 0,
        "no message crossed nodes: {stdout}"
    );
}
