//! Tests of the cost derivation: estimates from primitives, and measurements preferred once a
//! layer provides them.

// The inputs are exact medians on straight lines, so the derived costs are exact too.
#![allow(clippy::float_cmp)]

use super::*;
use crate::testing::results_of;

fn env() -> Provenance {
    crate::testing::measured()
}

/// Primitive and system medians on exact lines: seal 1000 + 2/B, open 1200 + 2/B, commit
/// 50 000 + 3 000/record.
fn primitives() -> Vec<(&'static str, f64)> {
    vec![
        ("x25519/keygen", 30_000.0),
        ("x25519/dh", 100_000.0),
        ("box/beforenm", 110_000.0),
        ("kdf/derive_key/32", 400.0),
        ("blake2b/mac/64", 500.0),
        ("secretbox/seal/100", 1200.0),
        ("secretbox/seal/1024", 3048.0),
        ("secretbox/seal/8192", 17_384.0),
        ("secretbox/open/100", 1400.0),
        ("secretbox/open/1024", 3248.0),
        ("secretbox/open/8192", 17_584.0),
        ("libsodium/secretbox/seal/100", 900.0),
        ("libsodium/secretbox/seal/8192", 9000.0),
        ("fs/fsync/4096", 900_000.0),
        ("fs/commit/1", 53_000.0),
        ("fs/commit/16", 98_000.0),
        ("fs/commit/128", 434_000.0),
    ]
}

#[test]
fn estimates_every_cost_from_primitives_and_says_how() {
    let file = derive(&results_of(&primitives()), &env()).unwrap();
    assert_eq!(file.schema, "saltrelay_costs_v2");
    assert_eq!(file.measured.as_ref().unwrap().run_id, "run-1");
    let c = &file.costs;
    assert_eq!(
        (c.frame_seal_ns.base, c.frame_seal_ns.per_byte),
        (1000.0, 2.0)
    );
    assert_eq!(
        (c.frame_open_ns.base, c.frame_open_ns.per_byte),
        (1200.0, 2.0)
    );
    assert!(
        c.frame_seal_ns
            .from
            .contains("secretbox/seal/{100,1024,8192}")
    );
    assert!(c.frame_seal_ns.from.contains("estimate"));
    // 30 000 + 2·110 000 + 2·100 000 + 400 + 500 + 2·1200 + 1400
    assert_eq!(c.relay_handshake_ns.value, 454_700.0);
    assert!(c.relay_handshake_ns.from.contains("2 × box/beforenm"));
    assert_eq!(
        (c.store_commit_ns.base, c.store_commit_ns.per_record),
        (50_000.0, 3000.0)
    );
    assert_eq!(c.fsync_ns.value, 900_000.0);
}

#[test]
fn prefers_a_layer_measurement_over_the_estimate() {
    let mut rows = primitives();
    rows.extend([
        ("frame/seal/100", 1500.0),
        ("frame/seal/1024", 3348.0),
        ("handshake/relay", 321_000.0),
    ]);
    let file = derive(&results_of(&rows), &env()).unwrap();
    assert_eq!(file.costs.frame_seal_ns.base, 1300.0);
    assert!(!file.costs.frame_seal_ns.from.contains("estimate"));
    assert_eq!(file.costs.relay_handshake_ns.value, 321_000.0);
    assert_eq!(
        file.costs.relay_handshake_ns.from,
        "median of handshake/relay"
    );
}

#[test]
fn lists_the_costs_it_cannot_derive() {
    let rows: Vec<_> = primitives()
        .into_iter()
        .filter(|(id, _)| !id.starts_with("fs/"))
        .collect();
    assert_eq!(
        derive(&results_of(&rows), &env()).unwrap_err(),
        ["store_commit_ns", "fsync_ns"]
    );
}

#[test]
fn serialises_in_the_agreed_schema() {
    let file = derive(&results_of(&primitives()), &env()).unwrap();
    let json: serde_json::Value = serde_json::to_value(&file).unwrap();
    let costs = json["costs"].as_object().unwrap();
    let keys: Vec<&str> = costs.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "relay_handshake_ns",
            "frame_open_ns",
            "frame_seal_ns",
            "store_commit_ns",
            "fsync_ns"
        ]
    );
    assert!(json["costs"]["frame_seal_ns"]["per_byte"].is_f64());
    assert!(json["costs"]["store_commit_ns"]["per_record"].is_number());
    for key in ["run_id", "command", "commit", "date"] {
        assert!(json["measured"][key].is_string(), "{key}");
    }
    assert!(json["measured"]["clean"].is_boolean());
}
