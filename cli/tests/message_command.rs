//! `saltrelay message` as an implementer drives it: JSON in, JSON out, stable error codes.

mod json_tool;

use serde_json::{Value, json};

fn message(command: &str, input: &Value) -> (bool, Value) {
    json_tool::run("message", command, input)
}

const ALICE_SK: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const ALICE_PK: &str = "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13";
const BOB_SK: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const BOB_PK: &str = "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20";

#[test]
fn encode_payload_then_decode_payload_round_trips() {
    let (ok, encoded) = message(
        "encode-payload",
        &json!({"sender_secret_key": ALICE_SK, "recipient_public_key": BOB_PK,
                "sender": "ALICE123", "receiver": "BOB45678", "created_at_ms": 1_700_000_000_123_u64,
                "nickname": "Alice", "expire_after_seconds": 60,
                "message": {"type": "text", "text": "hello"}}),
    );
    assert!(ok, "{encoded}");
    let (ok, decoded) = message(
        "decode-payload",
        &json!({"recipient_secret_key": BOB_SK, "sender_public_key": ALICE_PK,
                "payload": encoded["payload"]}),
    );
    assert!(ok, "{decoded}");
    assert_eq!(decoded["message"]["text"], "hello");
    assert_eq!(decoded["metadata"]["nickname"], "Alice");
    assert_eq!(decoded["expires_at_ms"], 1_700_000_060_123_u64);
    assert_eq!(decoded["message_id"], encoded["message_id"]);
    let (ok, replay) = message(
        "decode-payload",
        &json!({"recipient_secret_key": BOB_SK, "sender_public_key": ALICE_PK,
                "payload": encoded["payload"], "seen_nonces": [encoded["nonce"]]}),
    );
    assert!(!ok);
    assert_eq!(replay["error"], "nonce_reused");
}

#[test]
fn errors_are_json_with_stable_codes() {
    let (ok, out) = message(
        "open",
        &json!({"recipient_secret_key": BOB_SK, "sender_public_key": ALICE_PK,
                "nonce": "00".repeat(24), "box": "00".repeat(40)}),
    );
    assert!(!ok);
    assert_eq!(out["error"], "auth_failed");
    let (ok, out) = message("seal", &json!({"message": {"type": "text", "text": "x"}}));
    assert!(!ok);
    assert_eq!(out["error"], "invalid_message_json");
    let (ok, sealed) = message(
        "seal",
        &json!({"sender_secret_key": ALICE_SK, "recipient_public_key": BOB_PK,
                "message": {"type": "typing_indicator", "typing": true}}),
    );
    assert!(ok);
    let (ok, opened) = message(
        "open",
        &json!({"recipient_secret_key": BOB_SK, "sender_public_key": ALICE_PK,
                "nonce": sealed["nonce"], "box": sealed["box"]}),
    );
    assert!(ok);
    assert_eq!(opened["type_code"], 0x90);
    assert_eq!(opened["typing"], true);
}
