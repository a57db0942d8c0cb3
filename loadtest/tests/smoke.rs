//! A small in-process load test end to end: 20 real clients against an embedded relay, some
//! offline that come back, groups of three; the accounting must be exact and the report's
//! files must be written and linked. No timing assertions.

use std::path::Path;

use saltrelay_loadtest::{LoadConfig, Preset, report};

#[test]
fn smoke_run_accounts_for_every_message_and_writes_a_linked_report() {
    let out = tempfile::tempdir().expect("temp dir");
    let mut config = LoadConfig::preset(Preset::Smoke, out.path().to_path_buf());
    config.progress = false;
    config.command = "saltrelay loadtest --preset smoke (test)".into();
    let results =
        saltrelay_loadtest::run(&config, Path::new(env!("CARGO_MANIFEST_DIR"))).expect("ran");

    let n = results.counts;
    assert!(n.sent > 0, "something was sent");
    assert_eq!(n.acked, n.sent, "every message acked: {n:?}");
    assert_eq!(n.delivered, n.sent, "every message delivered: {n:?}");
    assert_eq!((n.lost, n.duplicated, n.unknown), (0, 0, 0), "{n:?}");
    assert_eq!((n.refused, n.failed, n.unacked), (0, 0, 0), "{n:?}");
    assert!(!results.lost_messages());
    assert_eq!(results.reconnects, 6, "the six offline clients came back");
    assert!(results.ack_latency.count > 0);

    let dir = report::write(&results).expect("report written");
    assert_eq!(dir, out.path().join("smoke"));
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary");
    for file in report::FILES {
        let bytes = std::fs::metadata(dir.join(file)).expect(file).len();
        assert!(bytes > 0, "{file} is empty");
        if file != "summary.md" {
            assert!(
                summary.contains(&format!("({file})")),
                "summary links {file}"
            );
        }
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("json"))
            .expect("valid JSON");
    assert_eq!(json["counts"]["lost"], 0);
    assert_eq!(json["schema"], "saltrelay_loadtest_v2");
}
