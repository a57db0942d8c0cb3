//! `saltrelay loadtest --relay-process --kill-cycles N`: real SIGKILLs of a real relay process
//! under load; the run counts every message and exits 0 only if no acked message was lost
//! (RELAY-13, RELAY-22).

mod relay_process;

use relay_process::saltrelay;

#[test]
fn kill_cycles_lose_no_acked_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = saltrelay()
        .args([
            "loadtest",
            "--relay-process",
            "--kill-cycles",
            "3",
            "--quiet",
            "--drain",
            "60",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .expect("loadtest runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("kill-cycle/results.json")).expect("results.json"),
    )
    .expect("JSON");
    let counts = &results["counts"];
    assert_eq!(results["cycles"], 3);
    assert_eq!(counts["lost"], 0, "{stdout}");
    assert!(
        counts["acked"].as_u64().expect("acked") > 0,
        "there was load"
    );
    assert!(
        counts["delivered"].as_u64() >= counts["acked"].as_u64(),
        "every acked message arrived: {counts}"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("kill-cycle/summary.md"))
            .expect("summary")
            .contains("| **0** |")
    );
}
