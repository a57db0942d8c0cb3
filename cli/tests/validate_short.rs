//! `saltrelay validate --short`: one workload on a real relay process and in the model, with
//! the report (simulator/MODEL.md, VAL-1 to VAL-8). Checks the report's content, never speed.

mod relay_process;

use relay_process::saltrelay;

#[test]
fn short_validation_writes_predicted_beside_measured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let costs = concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/bench/costs.json");
    let output = saltrelay()
        .args([
            "validate",
            "--short",
            "--peak",
            "400",
            "--clients",
            "40",
            "--senders",
            "10",
            "--scenarios",
            "group",
            "--costs",
            costs,
            "--out",
        ])
        .arg(dir.path())
        .output()
        .expect("validate runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("results.json")).expect("results.json"),
    )
    .expect("JSON");
    assert_eq!(doc["schema"], "saltrelay_validation_v1");
    assert_eq!(doc["provenance"]["short"], true);
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["id"], "group@30");
    assert_eq!(case["workload"]["group_size"], 3);
    for side in ["measured", "predicted"] {
        let runs = case[side].as_array().expect("runs");
        assert_eq!(runs.len(), 1, "{side}: one seed");
        assert!(
            runs[0]["acked_per_s"].as_f64().expect("acked") > 0.0,
            "{side}"
        );
        assert!(
            !runs[0]["mailbox_series"]
                .as_array()
                .expect("series")
                .is_empty()
        );
    }
    let metrics: Vec<&str> = case["comparisons"]
        .as_array()
        .expect("comparisons")
        .iter()
        .map(|c| c["metric"].as_str().expect("metric"))
        .collect();
    assert_eq!(
        metrics,
        [
            "acked_per_s",
            "delivered_per_s",
            "deliver_p50_ms",
            "deliver_p90_ms",
            "deliver_p99_ms",
            "mailbox_mean",
            "mailbox_end",
            "relay_cpu_cores"
        ]
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary");
    assert!(summary.contains("Short mode"));
    assert!(summary.contains("| group@30 | 1 |"), "{summary}");
    for plot in [
        "group-throughput.svg",
        "group-latency.svg",
        "group-cpu.svg",
        "mailbox-group-30.svg",
    ] {
        let svg = std::fs::read_to_string(dir.path().join(plot)).expect(plot);
        assert!(svg.contains("<svg"), "{plot}");
    }
}
