//! `e2e_messages.json`: every message type sealed from its JSON form and opened again
//! (E2E-5 to E2E-22, E2E-34 to E2E-37, E2E-43).
#![allow(
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    reason = "vector tables read best as one table, one case per row"
)]

use saltrelay_protocol::crypto::Nonce;
use saltrelay_protocol::e2e;
use serde_json::{Value, json};

use super::FileBuilder;
use super::common::hex_value;
use super::e2e_common::{Parties, case_keys, case_nonce, e2e_outcome};
use crate::KatFile;
use crate::case::{Case, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "e2e_messages.json",
    generate,
    compute,
};

const SEED: u64 = 0x6532_6500_0002;

/// Encodes `message` with `paddingLength`, seals it with `nonce` → `plaintext`, `box`; opens
/// `box` as the recipient → `opened`.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let keys = case_keys(case)?;
    let nonce = case_nonce(case, "nonce")?;
    let message = case.value("message")?;
    let pad = u8::try_from(case.u64("paddingLength")?).unwrap_or(0);
    let sealed = if case.has("box") {
        case.hex("box")?
    } else {
        Vec::new()
    };
    Ok(e2e_outcome((|| {
        let (sealer, opener) = keys?;
        let nonce = nonce?;
        let message = e2e::message_from_json(message)?;
        let plaintext = e2e::encode_container(&message, pad)?;
        let ours = e2e::seal_message(&sealer, &nonce, &message, pad)?;
        let opened = e2e::open_message(&opener, &nonce, &sealed)?;
        Ok(vec![
            ("plaintext", hex_value(plaintext)),
            ("box", hex_value(ours)),
            ("opened", e2e::opened_to_json(&opened)),
        ])
    })()))
}

fn file_json(key: &str, extra: &[(&str, Value)]) -> Value {
    let mut file = json!({
        "b": "00112233445566778899aabbccddeeff", "k": key, "m": "image/jpeg",
        "n": "Grüße.jpg", "s": 123_456,
    });
    for (k, v) in extra {
        file[*k] = v.clone();
    }
    file
}

#[expect(clippy::too_many_lines, reason = "one table of every message type")]
fn cases(
    key: &str,
) -> Vec<(
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Value,
)> {
    let id = "0102030405060708";
    let group = |v: Value| {
        let mut v = v;
        v["creator"] = "CREATOR1".into();
        v["group_id"] = "a1a2a3a4a5a6a7a8".into();
        v
    };
    let poll = json!({"d": "Lunch?", "s": 0, "a": 1, "t": 0, "o": 0, "u": 0,
        "c": [{"i": 1, "n": "Pizza 🍕", "o": 0, "r": [], "t": 0}, {"i": 2, "n": "Salad", "o": 1}]});
    let max_choices: Vec<Value> = (0..95)
        .map(|i| json!({"i": i, "n": format!("choice number {i:03} with some text"), "o": i, "r": [], "t": 0}))
        .collect();
    let max_poll = json!({"d": "maximal poll", "s": 0, "a": 1, "t": 0, "c": max_choices});
    vec![
        (
            "empty text",
            &["EmptyMessage"],
            &["E2E-8"],
            json!({"type": "text", "text": ""}),
        ),
        (
            "ASCII text",
            &["Normal"],
            &["E2E-8"],
            json!({"type": "text", "text": "Hello, Bob!"}),
        ),
        (
            "Unicode text",
            &["Unicode"],
            &["E2E-8"],
            json!({"type": "text", "text": "Grüezi 👋 — ünïcödé ✓"}),
        ),
        (
            "text of exactly 6000 bytes",
            &["MaximumLength"],
            &["E2E-8"],
            json!({"type": "text", "text": "€".repeat(2000)}),
        ),
        (
            "deprecated image",
            &["Deprecated"],
            &["E2E-9"],
            json!({"type": "deprecated_image", "blob_id": "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "size": 48_213, "nonce": "11".repeat(24)}),
        ),
        (
            "location, coordinates only",
            &["Normal"],
            &["E2E-10"],
            json!({"type": "location", "latitude": 47.3769, "longitude": 8.5417}),
        ),
        (
            "location with accuracy, name and two-line address",
            &["Unicode"],
            &["E2E-10"],
            json!({"type": "location", "latitude": -33.8568, "longitude": 151.2153, "accuracy": 12.5, "name": "Opera House", "address": "Bennelong Point\nSydney NSW 2000"}),
        ),
        (
            "location with address only",
            &["Normal"],
            &["E2E-10"],
            json!({"type": "location", "latitude": 0.0, "longitude": -180.0, "address": "Null Island"}),
        ),
        (
            "poll setup",
            &["Unicode"],
            &["E2E-11", "E2E-14"],
            json!({"type": "poll_setup", "poll_id": "0011223344556677", "poll": poll}),
        ),
        (
            "maximal poll setup (95 choices)",
            &["MaximumLength"],
            &["E2E-11", "E2E-6"],
            json!({"type": "poll_setup", "poll_id": "8899aabbccddeeff", "poll": max_poll}),
        ),
        (
            "poll vote",
            &["Normal"],
            &["E2E-12"],
            json!({"type": "poll_vote", "creator": "ECHOECHO", "poll_id": "0011223344556677", "votes": [[1, 0], [2, 1]]}),
        ),
        (
            "file, SDK field order",
            &["Unicode"],
            &["E2E-13", "E2E-14"],
            json!({"type": "file", "file": file_json(key, &[("i", 0.into())])}),
        ),
        (
            "file with every field and an unknown one",
            &["UnknownField"],
            &["E2E-13", "E2E-14", "E2E-15"],
            json!({"type": "file", "file": file_json(key, &[
            ("j", 1.into()), ("i", 1.into()), ("t", "ffeeddccbbaa99887766554433221100".into()), ("p", "image/png".into()),
            ("d", "a \"caption\"\nwith\ttabs".into()), ("c", "0123456789abcdef0123456789abcdef".into()),
            ("x", json!({"w": 640, "h": 480, "a": false, "d": 2.5})), ("future", json!({"z": [1, null]}))])}),
        ),
        (
            "sticker: j decides over i",
            &["Normal"],
            &["E2E-15"],
            json!({"type": "file", "file": file_json(key, &[("j", 2.into()), ("i", 0.into())])}),
        ),
        (
            "contact set profile picture",
            &["Normal"],
            &["E2E-16"],
            json!({"type": "contact_set_profile_picture", "blob_id": "0f".repeat(16), "size": 9000, "key": "42".repeat(32)}),
        ),
        (
            "contact delete profile picture",
            &["EmptyBody"],
            &["E2E-16"],
            json!({"type": "contact_delete_profile_picture"}),
        ),
        (
            "contact request profile picture",
            &["EmptyBody"],
            &["E2E-16"],
            json!({"type": "contact_request_profile_picture"}),
        ),
        (
            "call offer",
            &["Normal"],
            &["E2E-17"],
            json!({"type": "call_offer", "call": {"callId": 1_234_567, "offer": {"sdpType": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}}),
        ),
        (
            "call answer",
            &["Normal"],
            &["E2E-17"],
            json!({"type": "call_answer", "call": {"callId": 1_234_567, "action": 1, "answer": {"sdpType": "answer", "sdp": "v=0\r\n"}}}),
        ),
        (
            "call ICE candidates",
            &["Normal"],
            &["E2E-17"],
            json!({"type": "call_ice_candidate", "call": {"callId": 1_234_567, "removed": false, "candidates": [{"candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}]}}),
        ),
        (
            "call hang-up",
            &["Normal"],
            &["E2E-17"],
            json!({"type": "call_hangup", "call": {"callId": 1_234_567}}),
        ),
        (
            "call ringing",
            &["Normal"],
            &["E2E-17"],
            json!({"type": "call_ringing", "call": {"callId": 1_234_567}}),
        ),
        (
            "receipt: received",
            &["ReceiptStatus"],
            &["E2E-18"],
            json!({"type": "delivery_receipt", "status": "received", "message_ids": [id]}),
        ),
        (
            "receipt: read, three IDs",
            &["ReceiptStatus"],
            &["E2E-18"],
            json!({"type": "delivery_receipt", "status": "read", "message_ids": [id, "1111111111111111", "2222222222222222"]}),
        ),
        (
            "receipt: acknowledged",
            &["ReceiptStatus"],
            &["E2E-18"],
            json!({"type": "delivery_receipt", "status": "acknowledged", "message_ids": [id]}),
        ),
        (
            "receipt: declined",
            &["ReceiptStatus"],
            &["E2E-18"],
            json!({"type": "delivery_receipt", "status": "declined", "message_ids": [id]}),
        ),
        (
            "reaction apply",
            &["Normal"],
            &["E2E-35"],
            json!({"type": "reaction", "message_id": id, "apply": "👍"}),
        ),
        (
            "reaction withdraw",
            &["Normal"],
            &["E2E-35"],
            json!({"type": "reaction", "message_id": id, "withdraw": "❤️"}),
        ),
        (
            "typing",
            &["Normal"],
            &["E2E-19"],
            json!({"type": "typing_indicator", "typing": true}),
        ),
        (
            "stopped typing",
            &["Normal"],
            &["E2E-19"],
            json!({"type": "typing_indicator", "typing": false}),
        ),
        (
            "edit",
            &["Unicode"],
            &["E2E-36"],
            json!({"type": "edit_message", "message_id": id, "text": "corrected ✓"}),
        ),
        (
            "delete",
            &["Normal"],
            &["E2E-36"],
            json!({"type": "delete_message", "message_id": id}),
        ),
        (
            "group text",
            &["Group"],
            &["E2E-20", "E2E-21"],
            group(json!({"type": "group_text", "text": "hi all"})),
        ),
        (
            "group location",
            &["Group"],
            &["E2E-21"],
            group(json!({"type": "group_location", "latitude": 1.5, "longitude": 2.25})),
        ),
        (
            "group file",
            &["Group"],
            &["E2E-21"],
            group(json!({"type": "group_file", "file": file_json(key, &[])})),
        ),
        (
            "group leave",
            &["Group", "EmptyBody"],
            &["E2E-21"],
            group(json!({"type": "group_leave"})),
        ),
        (
            "group call start",
            &["Group"],
            &["E2E-21", "E2E-37"],
            group(
                json!({"type": "group_call_start", "protocol_version": 1, "gck": "5a".repeat(32), "sfu_base_url": "https://sfu.example.invalid"}),
            ),
        ),
        (
            "group poll setup",
            &["Group"],
            &["E2E-21"],
            group(json!({"type": "group_poll_setup", "poll_id": "0011223344556677", "poll": poll})),
        ),
        (
            "group poll vote: the poll's creator (poll_creator) differs from the group's",
            &["Group"],
            &["E2E-21"],
            group(
                json!({"type": "group_poll_vote", "poll_creator": "POLLER01", "poll_id": "0011223344556677", "votes": [[1, 1]]}),
            ),
        ),
        (
            "group delivery receipt",
            &["Group"],
            &["E2E-21"],
            group(
                json!({"type": "group_delivery_receipt", "status": "acknowledged", "message_ids": [id]}),
            ),
        ),
        (
            "group reaction",
            &["Group"],
            &["E2E-21"],
            group(json!({"type": "group_reaction", "message_id": id, "apply": "🎉"})),
        ),
        (
            "group edit",
            &["Group"],
            &["E2E-21"],
            group(json!({"type": "group_edit_message", "message_id": id, "text": "edited"})),
        ),
        (
            "group delete",
            &["Group"],
            &["E2E-21"],
            group(json!({"type": "group_delete_message", "message_id": id})),
        ),
        (
            "group setup, three members",
            &["Group"],
            &["E2E-22"],
            json!({"type": "group_setup", "group_id": "a1a2a3a4a5a6a7a8", "members": ["ECHOECHO", "*THREEMA", "0123ABCD"]}),
        ),
        (
            "group setup, empty (disband)",
            &["Group"],
            &["E2E-22"],
            json!({"type": "group_setup", "group_id": "a1a2a3a4a5a6a7a8", "members": []}),
        ),
        (
            "group name",
            &["Group", "Unicode"],
            &["E2E-22"],
            json!({"type": "group_name", "group_id": "a1a2a3a4a5a6a7a8", "name": "Wanderfreunde ⛰"}),
        ),
        (
            "group set profile picture",
            &["Group"],
            &["E2E-22"],
            json!({"type": "group_set_profile_picture", "group_id": "a1a2a3a4a5a6a7a8", "blob_id": "0e".repeat(16), "size": 1, "key": "43".repeat(32)}),
        ),
        (
            "group sync request (creator container)",
            &["Group", "EmptyBody"],
            &["E2E-22"],
            json!({"type": "group_sync_request", "group_id": "a1a2a3a4a5a6a7a8"}),
        ),
        (
            "group delete profile picture",
            &["Group", "EmptyBody"],
            &["E2E-22"],
            json!({"type": "group_delete_profile_picture", "group_id": "a1a2a3a4a5a6a7a8"}),
        ),
        (
            "unknown type 0xa0 kept as it is",
            &["UnknownType"],
            &["E2E-7"],
            json!({"type": "unknown", "type_code": 160, "body": "0a10deadbeef"}),
        ),
        (
            "deprecated audio 0x14 decodes as unknown",
            &["UnknownType", "Deprecated"],
            &["E2E-7"],
            json!({"type": "unknown", "type_code": 20, "body": "0500".to_owned() + &"ab".repeat(52)}),
        ),
    ]
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let parties = Parties::generate(&mut rng);
    let key = parties.key();
    let mut file = FileBuilder::new(
        "E2E messages: JSON form, container, message box (NaCl box), both directions",
        SEED,
    )
    .note("Unicode", "text fields hold non-ASCII characters")
    .note(
        "MaximumLength",
        "a body at a length limit: 6000-byte text, or a poll near 7812 bytes",
    )
    .note("Deprecated", "a deprecated type Threema still delivers")
    .note(
        "UnknownField",
        "a JSON body has a field this layer does not know; it is kept",
    )
    .note("EmptyBody", "the type's body is empty")
    .note("ReceiptStatus", "a delivery receipt status")
    .note(
        "Group",
        "a group message in its member or creator container",
    )
    .note(
        "UnknownType",
        "a type code this layer does not interpret: kept as type and body",
    )
    .note("MinimumPadding", "padding of the smallest allowed length")
    .note("MaximumPadding", "padding of 255 bytes")
    .note(
        "BadPadding",
        "an encoder is asked for a padding length the rule forbids",
    )
    .note("Oversize", "a body over its limit")
    .note("BadJson", "the JSON form or a JSON body is malformed");
    let key_hex = hex::encode([0x33u8; 32]);
    for (index, (comment, flags, refs, message)) in cases(&key_hex).into_iter().enumerate() {
        let nonce = Nonce::random(&mut rng);
        let parsed = e2e::message_from_json(&message).expect("generator message is valid");
        let body_len = parsed.body_len().expect("encodable");
        let mut flags = flags.to_vec();
        let pad = match index {
            0 => {
                flags.push("MinimumPadding");
                32
            }
            1 => {
                flags.push("MaximumPadding");
                255
            }
            _ => e2e::draw_padding_length(&mut rng, body_len),
        };
        let sealed = e2e::seal_message(&key, &nonce, &parsed, pad).expect("encodable");
        let opened = e2e::open_message(&parties.key(), &nonce, &sealed).expect("opens");
        let mut refs = refs.to_vec();
        refs.extend(["E2E-2", "E2E-3", "E2E-5", "E2E-43"]);
        file.push(
            parties
                .case(comment, &flags, &refs)
                .hex("nonce", nonce.as_bytes())
                .value("paddingLength", pad)
                .value("message", message)
                .hex(
                    "plaintext",
                    e2e::encode_container(&parsed, pad).expect("encodable"),
                )
                .hex("box", sealed)
                .value("opened", e2e::opened_to_json(&opened))
                .valid(),
        );
    }
    let invalid: Vec<(&str, &[&str], &[&str], Value, u8)> = vec![
        (
            "text of 6001 bytes",
            &["Oversize"],
            &["E2E-8"],
            json!({"type": "text", "text": "x".repeat(6001)}),
            1,
        ),
        (
            "edit text of 6001 bytes",
            &["Oversize"],
            &["E2E-36"],
            json!({"type": "edit_message", "message_id": "0102030405060708", "text": "x".repeat(6001)}),
            1,
        ),
        (
            "padding length 0",
            &["BadPadding"],
            &["E2E-3"],
            json!({"type": "text", "text": "x".repeat(40)}),
            0,
        ),
        (
            "padding below the 32-byte minimum",
            &["BadPadding"],
            &["E2E-3"],
            json!({"type": "text", "text": "short"}),
            26,
        ),
        (
            "body over 7812 bytes",
            &["Oversize"],
            &["E2E-6"],
            json!({"type": "unknown", "type_code": 160, "body": "00".repeat(7813)}),
            1,
        ),
        (
            "location latitude out of range",
            &["BadJson"],
            &["E2E-10"],
            json!({"type": "location", "latitude": 90.5, "longitude": 0}),
            32,
        ),
        (
            "file without a key",
            &["BadJson"],
            &["E2E-13"],
            json!({"type": "file", "file": {"b": "00112233445566778899aabbccddeeff", "m": "a/b", "s": 1}}),
            32,
        ),
        (
            "file larger than 100 MiB",
            &["Oversize"],
            &["E2E-13", "E2E-33"],
            json!({"type": "file", "file": file_json(&key_hex, &[("s", 104_857_601.into())])}),
            32,
        ),
        (
            "poll with state 2",
            &["BadJson"],
            &["E2E-11"],
            json!({"type": "poll_setup", "poll_id": "0011223344556677", "poll": {"d": "x", "s": 2, "a": 0, "t": 0, "c": []}}),
            32,
        ),
        (
            "unknown JSON type name",
            &["BadJson"],
            &["E2E-43"],
            json!({"type": "postcard", "text": "x"}),
            32,
        ),
        (
            "receipt with an unknown status name",
            &["BadJson"],
            &["E2E-43"],
            json!({"type": "delivery_receipt", "status": "seen", "message_ids": ["0102030405060708"]}),
            32,
        ),
    ];
    for (comment, flags, refs, message, pad) in invalid {
        let nonce = Nonce::random(&mut rng);
        let error = e2e::message_from_json(&message)
            .and_then(|m| e2e::encode_container(&m, pad))
            .expect_err("invalid by construction");
        file.push(
            parties
                .case(comment, flags, refs)
                .hex("nonce", nonce.as_bytes())
                .value("paddingLength", pad)
                .value("message", message)
                .invalid(error.code()),
        );
    }
    file.finish()
}
