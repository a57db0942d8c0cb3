//! The store report from a fixed `results.json`: medians per column, every run's p99, the
//! historical section marked as such, and regeneration from the file's own bytes (MEAS-13).

use super::*;

fn load_run(offered_per_s: u64, run: u32, p99_ms: f64) -> LoadRun {
    LoadRun {
        senders: if offered_per_s == 0 { 64 } else { 0 },
        offered_per_s,
        max_wait_us: 0,
        flushes_in_flight: 4,
        run,
        acked: 30_000 + u64::from(run) * 1000,
        commits: 1000,
        seconds: 1.0,
        p50_ms: 1.0,
        p99_ms,
        p999_ms: 12.0,
    }
}

fn results() -> StoreResults {
    StoreResults {
        schema: SCHEMA.to_owned(),
        provenance: Provenance::fixed("r", &"b".repeat(40), true),
        profile: "full".to_owned(),
        data_dir: "target/store-bench-data".to_owned(),
        filesystem: "/dev/vda ext4 (rw)".to_owned(),
        flush_seconds: 2.0,
        cell_seconds: 3.0,
        flush: (0..3)
            .map(|run| FlushRun {
                case: "fdatasync, 64 B append".to_owned(),
                run,
                flushes: 600 + u64::from(run) * 100,
                seconds: 2.0,
                p50_ms: 3.0,
                p99_ms: 8.0,
            })
            .collect(),
        closed_loop: vec![load_run(0, 0, 5.0)],
        open_loop: vec![
            load_run(30_000, 0, 9.0),
            load_run(30_000, 1, 5.0),
            load_run(30_000, 2, 7.0),
        ],
        criterion: Some(CriterionRun {
            command: "cargo bench -p saltrelay-relay --bench store".to_owned(),
            results: vec![CriterionResult {
                id: "relay/store_commit/64".to_owned(),
                median_ns: 4e6,
                lower_ns: 3.9e6,
                upper_ns: 4.1e6,
                elements: Some(64),
                bytes: None,
            }],
        }),
    }
}

#[test]
fn the_report_takes_medians_and_lists_every_run() {
    let text = markdown(&results());
    // Flush: 300, 350, 400 flushes/s; the median is 350.
    assert!(
        text.contains("| fdatasync, 64 B append | 350 | 3.00 | 8.00 |"),
        "{text}"
    );
    assert!(
        text.contains("| 64 | 0 | 4 | 30000 | 1000 | 30.0 | 1.00 | 5.00 | 12.00 |"),
        "{text}"
    );
    // Open loop: acked 30000/31000/32000 → 31000; p99 5, 7, 9 → 7; each run in run order.
    assert!(
        text.contains(
            "| 30000 | 0 | 4 | 31000 | 1000 | 31.0 | 1.00 | 7.00 | 12.00 | 9.0, 5.0, 7.0 |"
        ),
        "{text}"
    );
    assert!(text.contains("| `relay/store_commit/64` | 4.00 ms | 3.90 ms – 4.10 ms | 16.0 k/s |"));
    assert!(text.contains("historical: 2026-11-22, commit `96422a0`, not re-measured"));
}

#[test]
fn the_report_regenerates_from_its_own_file() {
    let mut results = results();
    let json = results_json(&results);
    let files = StoreReport.regenerate(&json).unwrap();
    assert_eq!(files, [(REPORT_FILE.to_owned(), markdown(&results))]);
    results.criterion = None;
    assert!(markdown(&results).contains("Not measured in this run (`--no-criterion`)."));
    assert!(
        StoreReport
            .regenerate("{\"schema\": \"saltrelay_store_v1\"}")
            .is_err()
    );
}

#[test]
fn profiles_measure_what_they_say() {
    let full = Plan::full();
    assert_eq!(full.closed.len(), 18);
    assert_eq!(full.open.len(), 8);
    assert!(Plan::smoke().cell_seconds < Plan::quick().cell_seconds);
}
