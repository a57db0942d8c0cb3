//! Property tests of the message layer: seal/open round trips for every type, JSON-form round
//! trips, and no panic on arbitrary bytes (E2E-4, E2E-7, E2E-23, E2E-43).

use proptest::prelude::*;
use saltrelay_protocol::crypto::{BoxKey, Nonce, SecretKey};
use saltrelay_protocol::e2e::{self, InMemoryNonceStore, Message, MessagePayload};
use serde_json::json;

fn identity() -> impl Strategy<Value = String> {
    "[0-9A-Z*][0-9A-Z]{7}"
}

/// A JSON-form message of every interpreted type and unknown ones.
fn message_json() -> impl Strategy<Value = serde_json::Value> {
    let text = ".{0,200}";
    let id = "[0-9a-f]{16}";
    prop_oneof![
        text.prop_map(|t| json!({"type": "text", "text": t})),
        (any::<[u8; 16]>(), any::<u32>(), any::<[u8; 24]>()).prop_map(|(b, s, n)| json!({"type": "deprecated_image", "blob_id": hex::encode(b), "size": s, "nonce": hex::encode(n)})),
        (-90.0f64..90.0, -180.0f64..180.0, proptest::option::of(0.0f64..1e6), proptest::option::of("[^\n]{0,20}"), "(.|\n){0,40}").prop_map(|(la, lo, acc, name, addr)| {
            let mut v = json!({"type": "location", "latitude": la, "longitude": lo, "address": addr});
            if let Some(a) = acc { v["accuracy"] = a.into(); }
            if let Some(n) = name { v["name"] = n.into(); }
            v
        }),
        (id, text).prop_map(|(p, d)| json!({"type": "poll_setup", "poll_id": p, "poll": {"d": d, "s": 0, "a": 1, "t": 0, "c": [{"i": 1, "n": "x", "o": 0}]}})),
        (identity(), id, proptest::collection::vec((any::<u64>(), any::<bool>()), 0..5)).prop_map(|(c, p, v)| {
            let votes: Vec<_> = v.into_iter().map(|(i, b)| json!([i, u8::from(b)])).collect();
            json!({"type": "poll_vote", "creator": c, "poll_id": p, "votes": votes})
        }),
        (any::<[u8; 16]>(), any::<[u8; 32]>(), text, 0u64..1000).prop_map(|(b, k, n, s)| json!({"type": "file", "file": {"b": hex::encode(b), "k": hex::encode(k), "m": "a/b", "n": n, "s": s, "zz": [1]}})),
        (0u8..4, proptest::collection::vec(id, 1..4)).prop_map(|(s, ids)| json!({"type": "delivery_receipt", "status": s + 1, "message_ids": ids})),
        (id, ".{1,4}", any::<bool>()).prop_map(|(m, e, apply)| json!({"type": "reaction", "message_id": m, if apply { "apply" } else { "withdraw" }: e})),
        any::<bool>().prop_map(|t| json!({"type": "typing_indicator", "typing": t})),
        (id, text).prop_map(|(m, t)| json!({"type": "edit_message", "message_id": m, "text": t})),
        id.prop_map(|m| json!({"type": "delete_message", "message_id": m})),
        (identity(), id, text).prop_map(|(c, g, t)| json!({"type": "group_text", "creator": c, "group_id": g, "text": t})),
        (identity(), id, any::<[u8; 32]>(), text).prop_map(|(c, g, k, u)| json!({"type": "group_call_start", "creator": c, "group_id": g, "protocol_version": 1, "gck": hex::encode(k), "sfu_base_url": u})),
        (id, proptest::collection::vec(identity(), 0..5)).prop_map(|(g, m)| json!({"type": "group_setup", "group_id": g, "members": m})),
        (id, text).prop_map(|(g, n)| json!({"type": "group_name", "group_id": g, "name": n})),
        id.prop_map(|g| json!({"type": "group_sync_request", "group_id": g})),
        (0x60u8..0x65, text).prop_map(|(c, s)| {
            let names = ["call_offer", "call_answer", "call_ice_candidate", "call_hangup", "call_ringing"];
            json!({"type": names[usize::from(c - 0x60)], "call": {"callId": 1, "sdp": s}})
        }),
        (any::<u8>().prop_filter("not interpreted", |c| !e2e::is_interpreted(*c)), proptest::collection::vec(any::<u8>(), 0..100))
            .prop_map(|(c, b)| json!({"type": "unknown", "type_code": c, "body": hex::encode(b)})),
    ]
}

proptest! {
    #[test]
    fn every_type_round_trips_through_seal_and_open(value in message_json(), a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), n in any::<[u8; 24]>(), draw in any::<u8>()) {
        let message = e2e::message_from_json(&value).unwrap();
        let sender = SecretKey::from_bytes(a);
        let recipient = SecretKey::from_bytes(b);
        let key = BoxKey::derive(&sender, &recipient.public_key()).unwrap();
        let nonce = Nonce::from_bytes(n);
        let pad = draw.max(1).max(u8::try_from(32usize.saturating_sub(message.body_len().unwrap())).unwrap());
        let sealed = e2e::seal_message(&key, &nonce, &message, pad).unwrap();
        let back = BoxKey::derive(&recipient, &sender.public_key()).unwrap();
        let opened = e2e::open_message(&back, &nonce, &sealed).unwrap();
        prop_assert_eq!(&opened.message, &message);
        prop_assert_eq!(opened.padding_length, pad);
        prop_assert_eq!(e2e::message_from_json(&e2e::message_to_json(&message)).unwrap(), message);
    }

    #[test]
    fn decoding_arbitrary_containers_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = e2e::decode_container(&bytes);
    }

    #[test]
    fn decoding_arbitrary_bodies_never_panics(code in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(message) = Message::decode(code, &body) {
            prop_assert_eq!(message.type_code(), code);
        }
    }

    #[test]
    fn decoding_arbitrary_payloads_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(payload) = MessagePayload::decode(&bytes) {
            prop_assert_eq!(payload.encode().unwrap(), bytes.clone());
        }
        let key = BoxKey::derive(&SecretKey::from_bytes([1; 32]), &SecretKey::from_bytes([2; 32]).public_key()).unwrap();
        let _ = e2e::decode_payload(&key, &bytes, &mut InMemoryNonceStore::new());
    }
}
