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

use relay_process::kill_cycles;

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
    let run = kill_cycles::run(
        &[
            "--nodes",
            "3",
            "--store",
            "temp",
            "--faults",
            "kill,store-restart,pause",
            "--pause-ms",
            "3000",
            "--relay-arg=--lease-ms=1500",
            "--relay-arg=--page-rows=64",
            "--relay-arg=--catch-up-interval-ms=600000",
            "--settle",
            "30",
        ],
        3,
        "faults",
    );
    let log = run.results["cycle_log"].as_array().expect("cycle log");
    let faults: Vec<&str> = log
        .iter()
        .map(|cycle| cycle["fault"].as_str().expect("fault"))
        .collect();
    assert_eq!(faults, ["kill", "store-restart", "pause"]);
    for cycle in log {
        assert_eq!(
            cycle["undelivered_after_settle"], 0,
            "messages acked before the fault's end were still undelivered after the settle \
             time: {cycle}\n{}",
            run.stdout
        );
    }
    assert!(
        run.results["cross_node_latency"]["count"]
            .as_u64()
            .expect("count")
            > 0,
        "no message crossed nodes: {}",
        run.stdout
    );
}
