//! The JSON form of opened messages and received payloads (E2E-43), as `saltrelay message
//! open` and `decode-payload` print them and the vectors compare them.

use serde_json::{Map, Value};

use super::container::OpenedMessage;
use super::envelope::ReceivedMessage;
use super::json_form::message_to_json;
use super::payload::PayloadVersion;

/// The message's JSON form plus `type_code` and `padding_length` (E2E-43).
#[must_use]
pub fn opened_to_json(opened: &OpenedMessage) -> Value {
    let mut out = match message_to_json(&opened.message) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    out.insert("type_code".into(), opened.message.type_code().into());
    out.insert("padding_length".into(), opened.padding_length.into());
    Value::Object(out)
}

/// Header fields, metadata (or `null`), effective values and the message (E2E-28, E2E-43).
#[must_use]
pub fn received_to_json(received: &ReceivedMessage) -> Value {
    let payload = &received.payload;
    let mut out = Map::new();
    let version = match payload.version() {
        PayloadVersion::Legacy => 0,
        PayloadVersion::MetadataBox => 1,
    };
    out.insert("payload_version".into(), version.into());
    out.insert("sender".into(), payload.sender.as_str().into());
    out.insert("receiver".into(), payload.receiver.as_str().into());
    out.insert(
        "message_id".into(),
        hex::encode(payload.message_id.0).into(),
    );
    out.insert("created_at".into(), payload.created_at.into());
    out.insert("flags".into(), payload.flags.0.into());
    out.insert("nickname".into(), payload.legacy_nickname_text().into());
    out.insert("nonce".into(), hex::encode(payload.nonce.as_bytes()).into());
    let metadata = received.metadata.as_ref().map_or(Value::Null, |m| {
        let mut meta = Map::new();
        meta.insert(
            "nickname".into(),
            m.nickname.clone().map_or(Value::Null, Value::from),
        );
        meta.insert("message_id".into(), hex::encode(m.message_id.0).into());
        meta.insert("created_at_ms".into(), m.created_at.as_millis().into());
        meta.insert("padding".into(), hex::encode(&m.padding).into());
        meta.insert(
            "expire_after_seconds".into(),
            m.expire_after_seconds.map_or(Value::Null, Value::from),
        );
        Value::Object(meta)
    });
    out.insert("metadata".into(), metadata);
    out.insert(
        "effective_created_at_ms".into(),
        received.created_at().as_millis().into(),
    );
    out.insert(
        "effective_nickname".into(),
        received.nickname().map_or(Value::Null, Value::from),
    );
    out.insert(
        "expires_at_ms".into(),
        received
            .expires_at()
            .map_or(Value::Null, |t| t.as_millis().into()),
    );
    out.insert("message".into(), opened_to_json(&received.opened));
    Value::Object(out)
}
