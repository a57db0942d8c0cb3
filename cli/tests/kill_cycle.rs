//! `saltrelay loadtest --relay-process --kill-cycles N`: real SIGKILLs of a real relay process
//! under load; the run counts every message and exits 0 only if no acked message was lost
//! (RELAY-13, RELAY-22).

mod relay_process;

use relay_process::kill_cycles;

#[test]
fn kill_cycles_lose_no_acked_message() {
    let run = kill_cycles::run(&["--relay-process"], 3, "kill-cycle");
    let counts = &run.results["counts"];
    assert!(
        counts["delivered"].as_u64() >= counts["acked"].as_u64(),
        "every acked message arrived: {counts}"
    );
    assert!(
        std::fs::read_to_string(run.report.join("summary.md"))
            .expect("summary")
            .contains("| **0** |")
    );
}
