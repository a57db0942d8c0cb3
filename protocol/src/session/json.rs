//! The JSON form of an envelope, for vectors and the `saltrelay fs` tools (FS-40).

use serde_json::{Map, Value, json};

use super::SessionError;
use super::envelope::{
    Content, DhType, Encapsulated, Envelope, RejectCause, SessionId, TerminateCause, VersionRange,
};
use crate::crypto::PublicKey;
use crate::e2e::{GroupId, GroupIdentity, MessageId};

fn group_json(group: Option<&GroupIdentity>, into: &mut Map<String, Value>) {
    if let Some(g) = group {
        into.insert(
            "groupIdentity".into(),
            json!({ "creator": g.creator.as_str(), "groupId": hex::encode(g.group_id.0) }),
        );
    }
}

fn range_json(range: VersionRange) -> Value {
    json!({ "min": range.min, "max": range.max })
}

/// The FS-40 JSON form of `envelope`.
#[must_use]
pub fn envelope_to_json(envelope: &Envelope) -> Value {
    let (name, body) = match &envelope.content {
        Content::Init {
            fssk,
            supported_version,
        } => (
            "init",
            json!({ "fssk": fssk.to_hex(), "supportedVersion": range_json(*supported_version) }),
        ),
        Content::Accept {
            fssk,
            supported_version,
        } => (
            "accept",
            json!({ "fssk": fssk.to_hex(), "supportedVersion": range_json(*supported_version) }),
        ),
        Content::Reject {
            message_id,
            cause,
            group_identity,
        } => {
            let mut map = Map::new();
            map.insert("messageId".into(), hex::encode(message_id.0).into());
            map.insert("cause".into(), cause.value().into());
            group_json(group_identity.as_ref(), &mut map);
            ("reject", Value::Object(map))
        }
        Content::Terminate { cause } => ("terminate", json!({ "cause": cause.value() })),
        Content::Encapsulated(e) => {
            let mut map = Map::new();
            map.insert("dhType".into(), e.dh_type.value().into());
            map.insert("counter".into(), e.counter.into());
            map.insert("offeredVersion".into(), e.offered_version.into());
            map.insert("appliedVersion".into(), e.applied_version.into());
            group_json(e.group_identity.as_ref(), &mut map);
            map.insert(
                "encryptedInner".into(),
                hex::encode(&e.encrypted_inner).into(),
            );
            ("encapsulated", Value::Object(map))
        }
    };
    json!({ "sessionId": envelope.session_id.to_hex(), name: body })
}

fn bad(field: &'static str) -> SessionError {
    SessionError::InvalidJson { field }
}

fn hex_field(map: &Map<String, Value>, field: &'static str) -> Result<Vec<u8>, SessionError> {
    map.get(field)
        .and_then(Value::as_str)
        .and_then(|s| hex::decode(s).ok())
        .ok_or(bad(field))
}

fn u64_field(map: &Map<String, Value>, field: &'static str) -> Result<u64, SessionError> {
    map.get(field).and_then(Value::as_u64).ok_or(bad(field))
}

fn u32_field(map: &Map<String, Value>, field: &'static str) -> Result<u32, SessionError> {
    u64_field(map, field).and_then(|v| u32::try_from(v).map_err(|_| bad(field)))
}

fn group_from(map: &Map<String, Value>) -> Result<Option<GroupIdentity>, SessionError> {
    let Some(group) = map.get("groupIdentity") else {
        return Ok(None);
    };
    let group = group.as_object().ok_or(bad("groupIdentity"))?;
    let creator = group
        .get("creator")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or(bad("groupIdentity.creator"))?;
    let group_id: [u8; 8] = hex_field(group, "groupId")?
        .try_into()
        .map_err(|_| bad("groupId"))?;
    Ok(Some(GroupIdentity {
        creator,
        group_id: GroupId(group_id),
    }))
}

fn keyed(map: &Map<String, Value>) -> Result<(PublicKey, VersionRange), SessionError> {
    let fssk = PublicKey::from_slice(&hex_field(map, "fssk")?).map_err(|_| bad("fssk"))?;
    let range = map
        .get("supportedVersion")
        .and_then(Value::as_object)
        .ok_or(bad("supportedVersion"))?;
    Ok((
        fssk,
        VersionRange {
            min: u32_field(range, "min")?,
            max: u32_field(range, "max")?,
        },
    ))
}

/// An envelope from its FS-40 JSON form.
///
/// # Errors
/// [`SessionError::InvalidJson`] naming the first field that is missing or malformed.
pub fn envelope_from_json(value: &Value) -> Result<Envelope, SessionError> {
    let map = value.as_object().ok_or(bad("envelope"))?;
    let session_id = SessionId(
        hex_field(map, "sessionId")?
            .try_into()
            .map_err(|_| bad("sessionId"))?,
    );
    let variant = |name| map.get(name).and_then(Value::as_object);
    let content = if let Some(m) = variant("init") {
        let (fssk, supported_version) = keyed(m)?;
        Content::Init {
            fssk,
            supported_version,
        }
    } else if let Some(m) = variant("accept") {
        let (fssk, supported_version) = keyed(m)?;
        Content::Accept {
            fssk,
            supported_version,
        }
    } else if let Some(m) = variant("reject") {
        let id: [u8; 8] = hex_field(m, "messageId")?
            .try_into()
            .map_err(|_| bad("messageId"))?;
        Content::Reject {
            message_id: MessageId(id),
            cause: RejectCause::from_value(u32_field(m, "cause")?),
            group_identity: group_from(m)?,
        }
    } else if let Some(m) = variant("terminate") {
        Content::Terminate {
            cause: TerminateCause::from_value(u32_field(m, "cause")?),
        }
    } else if let Some(m) = variant("encapsulated") {
        Content::Encapsulated(Encapsulated {
            dh_type: match u32_field(m, "dhType")? {
                0 => DhType::TwoDh,
                1 => DhType::FourDh,
                _ => return Err(bad("dhType")),
            },
            counter: u64_field(m, "counter")?,
            offered_version: u32_field(m, "offeredVersion")?,
            applied_version: u32_field(m, "appliedVersion")?,
            group_identity: group_from(m)?,
            encrypted_inner: hex_field(m, "encryptedInner")?,
        })
    } else {
        return Err(bad("content"));
    };
    Ok(Envelope {
        session_id,
        content,
    })
}
