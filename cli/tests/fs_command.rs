//! `saltrelay fs` as an implementer drives it: the fs_* vectors' values through the tool.

mod json_tool;

use serde_json::{Value, json};

fn fs(command: &str, input: &Value) -> (bool, Value) {
    json_tool::run("fs", command, input)
}

fn vectors(name: &str) -> Value {
    let path = format!("{}/../vectors/saltrelay/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn derive_matches_fs_kdf_roots_and_refuses_beyond_the_limit() {
    let file = vectors("fs_kdf.json");
    let case = &file["tests"][0];
    assert_eq!(case["kind"], "roots");
    let mut input = json!({
        "initiator": {"identity": case["initiator"], "secretKey": case["initiatorSecret"],
                      "fsskSecret": case["initiatorFssk"]},
        "responder": {"identity": case["responder"], "secretKey": case["responderSecret"],
                      "fsskSecret": case["responderFssk"]},
    });
    let (ok, out) = fs("derive", &input);
    assert!(ok, "{out}");
    for field in [
        "root2dh",
        "root4dhInitiator",
        "root4dhResponder",
        "dhEphemeralEphemeral",
    ] {
        assert_eq!(out[field], case[field], "{field}");
    }
    input["counter"] = json!(25_002);
    let (ok, out) = fs("derive", &input);
    assert!(!ok);
    assert_eq!(out["error"], "counter_too_far");
}

#[test]
fn encode_and_decode_agree_with_fs_envelope() {
    let file = vectors("fs_envelope.json");
    for case in file["tests"].as_array().unwrap() {
        let (ok, out) = fs("decode", &json!({ "envelope": case["envelope"] }));
        if case["result"] == "valid" {
            assert!(ok, "tcId {}: {out}", case["tcId"]);
            assert_eq!(out, case["decoded"]);
            let (ok, encoded) = fs("encode", &out);
            assert!(ok);
            assert_eq!(encoded["envelope"], case["reencoded"]);
        } else {
            assert!(!ok);
            assert_eq!(out["error"], case["error"], "tcId {}", case["tcId"]);
        }
    }
    let (ok, out) = fs("encode", &json!({"sessionId": "00"}));
    assert!(!ok);
    assert_eq!(out["error"], "invalid_json");
}
