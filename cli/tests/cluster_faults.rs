//! `saltrelay loadtest --nodes 3 --store URL --kill-cycles 2`: three real relay processes on
//! one real PostgreSQL server (saltrelay-pgtest), a SIGKILL of a node and a SIGSTOP past its
//! presence lease under load; no acked message may be lost, and messages cross nodes
//! (spec/09-relay-cluster.md; issue 17).

mod relay_process;

use relay_process::kill_cycles;
use saltrelay_pgtest::PgServer;

#[test]
fn cluster_faults_lose_no_acked_message() {
    let Some(server) = PgServer::for_test("cluster_faults_lose_no_acked_message") else {
        return;
    };
    let store = server
        .create_database("cli_cluster_faults")
        .expect("database");
    let run = kill_cycles::run(
        &[
            "--nodes",
            "3",
            "--store",
            &store,
            "--faults",
            "kill,pause",
            "--pause-ms",
            "3000",
            "--relay-arg=--lease-ms=1500",
            "--settle",
            "30",
        ],
        2,
        "faults",
    );
    let log = run.results["cycle_log"].as_array().expect("cycle log");
    assert_eq!(log[0]["fault"], "kill");
    assert_eq!(log[1]["fault"], "pause");
    assert!(
        run.results["cross_node_latency"]["count"]
            .as_u64()
            .expect("count")
            > 0,
        "no message crossed nodes: {}",
        run.stdout
    );
}
