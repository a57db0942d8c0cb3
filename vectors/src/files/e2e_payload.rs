//! `e2e_payload.json`: the outer message in both payload versions, the metadata box, the
//! receiver's checks and replay protection (E2E-23 to E2E-31, E2E-39 to E2E-42).
#![allow(
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    reason = "vector tables read best as one table, one case per row"
)]

use prost::Message as _;
use saltrelay_protocol::crypto::{Nonce, SecretBoxKey};
use saltrelay_protocol::e2e::{
    self, E2eError, InMemoryNonceStore, MessageFlags, MessageId, MessageMetadata, MessagePayload,
    MetadataKey, NonceStore, OutgoingMessage, PayloadVersion, pb,
};
use saltrelay_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use super::FileBuilder;
use super::common::{flip_bit, hex_value};
use super::e2e_common::{Parties, case_keys, e2e_outcome};
use crate::KatFile;
use crate::case::{Case, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "e2e_payload.json",
    generate,
    compute,
};

const SEED: u64 = 0x6532_6500_0004;

fn field_error(field: &str) -> E2eError {
    E2eError::InvalidMessageJson {
        field: field.to_owned(),
        reason: "missing or malformed",
    }
}

/// Reads the `outgoing` object: the fields `saltrelay message encode-payload` takes.
fn outgoing_from(value: &Map<String, Value>) -> Result<(OutgoingMessage, Nonce, u8), E2eError> {
    let text = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| field_error(k))
    };
    let number = |k: &str| value.get(k).and_then(Value::as_u64);
    let bytes = |k: &str| hex::decode(text(k)?).map_err(|_| field_error(k));
    let identity = |k: &str| text(k)?.parse().map_err(|_| field_error(k));
    let outgoing = OutgoingMessage {
        sender: identity("sender")?,
        receiver: identity("receiver")?,
        message_id: MessageId(
            bytes("message_id")?
                .try_into()
                .map_err(|_| field_error("message_id"))?,
        ),
        created_at: Timestamp::from_millis(
            number("created_at_ms").ok_or_else(|| field_error("created_at_ms"))?,
        ),
        flags: MessageFlags(
            number("flags")
                .and_then(|f| u8::try_from(f).ok())
                .ok_or_else(|| field_error("flags"))?,
        ),
        nickname: value
            .get("nickname")
            .and_then(Value::as_str)
            .map(str::to_owned),
        version: match number("payload_version") {
            Some(0) => PayloadVersion::Legacy,
            Some(1) => PayloadVersion::MetadataBox,
            _ => return Err(field_error("payload_version")),
        },
        expire_after_seconds: number("expire_after_seconds")
            .map(|s| u32::try_from(s).map_err(|_| E2eError::InvalidExpiry { seconds: s }))
            .transpose()?,
        message: e2e::message_from_json(
            value.get("message").ok_or_else(|| field_error("message"))?,
        )?,
    };
    let nonce = Nonce::from_slice(&bytes("nonce")?)?;
    let pad = number("padding_length")
        .and_then(|p| u8::try_from(p).ok())
        .ok_or_else(|| field_error("padding_length"))?;
    Ok((outgoing, nonce, pad))
}

/// With `outgoing`: encodes it → `payload`. With `payload`: decodes it as the recipient, with
/// `seenNonces` in the store → `decoded`, `nonceStored`, and the `metadataKey`.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let keys = case_keys(case)?;
    let outgoing = case
        .has("outgoing")
        .then(|| case.value("outgoing"))
        .transpose()?;
    let payload = if case.has("payload") {
        Some(case.hex("payload")?)
    } else {
        None
    };
    let seen: Vec<Vec<u8>> = case
        .value("seenNonces")?
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter_map(|s| hex::decode(s).ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(e2e_outcome((|| {
        let (sealer, opener) = keys?;
        let mut outputs = Vec::new();
        if let Some(outgoing) = outgoing {
            let map = outgoing
                .as_object()
                .ok_or_else(|| field_error("outgoing"))?;
            let (outgoing, nonce, pad) = outgoing_from(map)?;
            outputs.push((
                "payload",
                hex_value(e2e::encode_payload(&sealer, &outgoing, &nonce, pad)?),
            ));
        }
        if let Some(payload) = payload {
            let mut store = InMemoryNonceStore::new();
            for nonce in &seen {
                store.insert(Nonce::from_slice(nonce)?);
            }
            let received = e2e::decode_payload(&opener, &payload, &mut store)?;
            let stored = store.contains(&received.payload.nonce);
            outputs.push((
                "metadataKey",
                hex_value(MetadataKey::derive(&opener).expose_secret()),
            ));
            outputs.push(("decoded", e2e::received_to_json(&received)));
            outputs.push(("nonceStored", stored.into()));
        }
        Ok(outputs)
    })()))
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let parties = Parties::generate(&mut rng);
    let key = parties.key();
    let mmk = MetadataKey::derive(&key);
    let mut file = FileBuilder::new(
        "E2E outer message: legacy and metadata-box payloads, metadata key and box, receiver checks",
        SEED,
    )
    .note("Legacy", "payload version 0: the 88-byte header, no metadata")
    .note("Metadata", "payload version 1 with a metadata box")
    .note("Gateway", "the receiver is a gateway identity: the legacy nickname field is filled")
    .note("Nickname", "the sender's nickname travels in the message")
    .note("DisappearingExtension", "Extension (saltrelay): the metadata carries an expiry (E2E-39)")
    .note("NoReplayProtection", "a type whose nonce is not stored (E2E-31)")
    .note("RelayReplacedTime", "the relay replaced the header's created-at; the metadata's wins")
    .note("ReusedNonce", "the nonce is already in the receiver's nonce store")
    .note("BadHeader", "the outer message breaks E2E-23")
    .note("BadMetadata", "the metadata box does not open, decode or match the header");
    let sender = "ALICE123";
    let text = json!({"type": "text", "text": "Hi Bob"});
    let base = |nonce: &Nonce, version: u8, receiver: &str| {
        json!({
            "sender": sender, "receiver": receiver, "message_id": "c0c1c2c3c4c5c6c7",
            "created_at_ms": 1_700_000_000_123_u64, "flags": 1, "payload_version": version,
            "nonce": hex::encode(nonce.as_bytes()), "padding_length": 31, "message": text,
        })
    };
    let mut valid: Vec<(&str, Vec<&str>, Vec<&str>, Value)> = Vec::new();
    let mut with = |comment,
                    flags: &[&'static str],
                    refs: &[&'static str],
                    extra: Value,
                    version,
                    receiver| {
        let nonce = Nonce::random(&mut rng);
        let mut outgoing = base(&nonce, version, receiver);
        if let (Value::Object(o), Value::Object(e)) = (&mut outgoing, extra) {
            o.extend(e);
        }
        valid.push((comment, flags.to_vec(), refs.to_vec(), outgoing));
    };
    with(
        "version 1, no nickname",
        &["Metadata"],
        &["E2E-23", "E2E-25", "E2E-26"],
        json!({}),
        1,
        "BOB45678",
    );
    with(
        "version 1 with nickname",
        &["Metadata", "Nickname"],
        &["E2E-25", "E2E-26", "E2E-30"],
        json!({"nickname": "Alice"}),
        1,
        "BOB45678",
    );
    with(
        "version 1 with a nickname of 20 bytes (no padding)",
        &["Metadata", "Nickname"],
        &["E2E-26"],
        json!({"nickname": "Alice in Wonderland!"}),
        1,
        "BOB45678",
    );
    with(
        "version 1 clearing the nickname",
        &["Metadata", "Nickname"],
        &["E2E-25", "E2E-28"],
        json!({"nickname": ""}),
        1,
        "BOB45678",
    );
    with(
        "version 1 to a gateway identity",
        &["Metadata", "Gateway", "Nickname"],
        &["E2E-30"],
        json!({"nickname": "Alice"}),
        1,
        "*SALTRLY",
    );
    with(
        "version 0 with a long nickname cut at 32 bytes",
        &["Legacy", "Nickname"],
        &["E2E-24", "E2E-30"],
        json!({"nickname": "Bartholomäus-Maximilian von Überlingen"}),
        0,
        "BOB45678",
    );
    with(
        "version 0 without nickname",
        &["Legacy"],
        &["E2E-23", "E2E-24"],
        json!({"flags": 0x81}),
        0,
        "BOB45678",
    );
    with(
        "disappearing after one hour",
        &["Metadata", "DisappearingExtension"],
        &["E2E-39", "E2E-40", "E2E-42"],
        json!({"expire_after_seconds": 3600}),
        1,
        "BOB45678",
    );
    with(
        "typing indicator: nonce not stored",
        &["Metadata", "NoReplayProtection"],
        &["E2E-31", "E2E-27"],
        json!({"flags": 6, "message": {"type": "typing_indicator", "typing": true}}),
        1,
        "BOB45678",
    );
    with(
        "group text (all members share the message ID)",
        &["Metadata"],
        &["E2E-29", "E2E-20"],
        json!({"flags": 1, "message": {"type": "group_text", "creator": "ALICE123", "group_id": "0101010101010101", "text": "hello group"}}),
        1,
        "BOB45678",
    );
    for (comment, flags, mut refs, outgoing) in valid {
        let map = outgoing.as_object().expect("object").clone();
        let (message, nonce, pad) = outgoing_from(&map).expect("valid by construction");
        let payload = e2e::encode_payload(&key, &message, &nonce, pad).expect("encodes");
        let received =
            e2e::decode_payload(&parties.key(), &payload, &mut InMemoryNonceStore::new())
                .expect("decodes");
        refs.extend(["E2E-28"]);
        file.push(
            parties
                .case(comment, &flags, &refs)
                .value("seenNonces", json!([]))
                .value("outgoing", outgoing)
                .hex("payload", &payload)
                .hex("metadataKey", mmk.expose_secret())
                .value("decoded", e2e::received_to_json(&received))
                .value("nonceStored", received.opened.message.is_replay_protected())
                .valid(),
        );
    }
    // Hand-built payloads for the receiver's checks.
    let nonce = Nonce::random(&mut rng);
    let message_id = MessageId([0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7]);
    let metadata = MessageMetadata::compose(
        message_id,
        Timestamp::from_millis(1_700_000_000_123),
        None,
        None,
    );
    let message = e2e::Message::Text("Hi Bob".into());
    let good = MessagePayload {
        sender: sender.parse().expect("identity"),
        receiver: "BOB45678".parse().expect("identity"),
        message_id,
        created_at: 1_700_000_000,
        flags: MessageFlags(1),
        legacy_nickname: [0; 32],
        metadata_box: metadata.seal(&mmk, &nonce).expect("seals"),
        nonce,
        message_box: e2e::seal_message(&key, &nonce, &message, 29).expect("seals"),
    };
    let raw_metadata = |m: pb::MessageMetadata| {
        SecretBoxKey::from_bytes(*mmk.expose_secret()).seal(&nonce, &m.encode_to_vec())
    };
    let with_payload = |f: &dyn Fn(&mut MessagePayload)| {
        let mut p = good.clone();
        f(&mut p);
        p.encode().expect("encodes")
    };
    let good_bytes = good.encode().expect("encodes");
    let mut relay_time = good_bytes.clone();
    relay_time[24..28].copy_from_slice(&1_700_000_100_u32.to_le_bytes());
    let received = e2e::decode_payload(&parties.key(), &relay_time, &mut InMemoryNonceStore::new())
        .expect("decodes");
    file.push(
        parties
            .case(
                "header time replaced by the relay",
                &["Metadata", "RelayReplacedTime"],
                &["E2E-28"],
            )
            .value("seenNonces", json!([]))
            .hex("payload", &relay_time)
            .hex("metadataKey", mmk.expose_secret())
            .value("decoded", e2e::received_to_json(&received))
            .value("nonceStored", true)
            .valid(),
    );
    let mut reserved = good_bytes.clone();
    reserved[29] = 1;
    let mut lowercase = good_bytes.clone();
    lowercase[..8].copy_from_slice(b"alice123");
    let mut long_metadata = good_bytes[..100].to_vec();
    long_metadata[30..32].copy_from_slice(&200u16.to_le_bytes());
    let other_id = pb::MessageMetadata {
        padding: vec![0; 16],
        message_id: 42,
        created_at: 1,
        ..Default::default()
    };
    let zero_expiry = pb::MessageMetadata {
        message_id: message_id.as_u64(),
        saltrelay_expire_after_seconds: Some(0),
        ..Default::default()
    };
    let invalid: Vec<(&str, &str, &[&str], Vec<u8>, Vec<String>, &str)> = vec![
        (
            "nonce already stored",
            "ReusedNonce",
            &["E2E-31", "E2E-28"],
            good_bytes.clone(),
            vec![hex::encode(nonce.as_bytes())],
            "nonce_reused",
        ),
        (
            "87 bytes",
            "BadHeader",
            &["E2E-23"],
            good_bytes[..87].to_vec(),
            vec![],
            "payload_too_short",
        ),
        (
            "metadata length beyond the payload",
            "BadHeader",
            &["E2E-23"],
            long_metadata,
            vec![],
            "payload_too_short",
        ),
        (
            "reserved byte set",
            "BadHeader",
            &["E2E-23"],
            reserved,
            vec![],
            "reserved_not_zero",
        ),
        (
            "sender identity in lowercase",
            "BadHeader",
            &["E2E-23"],
            lowercase,
            vec![],
            "invalid_identity",
        ),
        (
            "metadata box bit flipped",
            "BadMetadata",
            &["E2E-25", "E2E-28"],
            with_payload(&|p| p.metadata_box = flip_bit(&p.metadata_box, 3, 3)),
            vec![],
            "metadata_auth_failed",
        ),
        (
            "metadata for another message ID",
            "BadMetadata",
            &["E2E-28"],
            with_payload(&|p| p.metadata_box = raw_metadata(other_id.clone())),
            vec![],
            "metadata_message_id_mismatch",
        ),
        (
            "metadata not protobuf",
            "BadMetadata",
            &["E2E-25", "E2E-34"],
            with_payload(&|p| {
                p.metadata_box =
                    SecretBoxKey::from_bytes(*mmk.expose_secret()).seal(&nonce, &[0xff, 0xff]);
            }),
            vec![],
            "invalid_protobuf",
        ),
        (
            "metadata expiry of 0 seconds",
            "BadMetadata",
            &["E2E-39", "E2E-28"],
            with_payload(&|p| p.metadata_box = raw_metadata(zero_expiry.clone())),
            vec![],
            "invalid_expiry",
        ),
        (
            "message box bit flipped",
            "ModifiedCiphertext",
            &["E2E-5", "E2E-28"],
            with_payload(&|p| p.message_box = flip_bit(&p.message_box, 30, 2)),
            vec![],
            "auth_failed",
        ),
    ];
    for (comment, flag, refs, payload, seen, error) in invalid {
        file.push(
            parties
                .case(comment, &[flag], refs)
                .value("seenNonces", seen)
                .hex("payload", payload)
                .invalid(error),
        );
    }
    let nonce = Nonce::random(&mut rng);
    for (comment, extra, version, error) in [
        (
            "expiry in a version 0 payload",
            json!({"expire_after_seconds": 60}),
            0,
            "metadata_in_legacy_payload",
        ),
        (
            "expiry of 0 seconds",
            json!({"expire_after_seconds": 0}),
            1,
            "invalid_expiry",
        ),
        (
            "expiry over 365 days",
            json!({"expire_after_seconds": 31_536_001}),
            1,
            "invalid_expiry",
        ),
    ] {
        let mut outgoing = base(&nonce, version, "BOB45678");
        if let (Value::Object(o), Value::Object(e)) = (&mut outgoing, extra) {
            o.extend(e);
        }
        file.push(
            parties
                .case(comment, &["DisappearingExtension"], &["E2E-24", "E2E-39"])
                .value("seenNonces", json!([]))
                .value("outgoing", outgoing)
                .invalid(error),
        );
    }
    file.finish()
}
