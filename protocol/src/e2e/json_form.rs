//! The JSON form of messages (E2E-43): one object per message, `"type"` the `snake_case` name,
//! bytes as lowercase hex. The CLI and the test vectors use it.

use serde_json::{Map, Value, json};

use super::bodies::{BlobReference, DeliveryReceipt, DeprecatedImage, MessageId, ReceiptStatus};
use super::file::FileMessage;
use super::group::{
    GroupContent, GroupControl, GroupControlMessage, GroupId, GroupIdentity, GroupMessage,
};
use super::location::Location;
use super::poll::{CallKind, CallSignal, PollSetup, PollVote};
use super::proto::{DeleteMessage, EditMessage, GroupCallStart, Reaction, ReactionAction};
use super::{E2eError, Message};
use crate::crypto::Nonce;
use crate::identity::Identity;

const CALL_NAMES: [(CallKind, &str); 5] = [
    (CallKind::Offer, "call_offer"),
    (CallKind::Answer, "call_answer"),
    (CallKind::IceCandidate, "call_ice_candidate"),
    (CallKind::Hangup, "call_hangup"),
    (CallKind::Ringing, "call_ringing"),
];

/// Reads fields of a JSON object, naming the field in every error (E2E-43).
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Result<&Value, E2eError> {
        self.0
            .get(key)
            .ok_or_else(|| E2eError::json_field(key, "missing"))
    }
    fn str(&self, key: &str) -> Result<String, E2eError> {
        self.get(key)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| E2eError::json_field(key, "not a string"))
    }
    fn opt_str(&self, key: &str) -> Result<Option<String>, E2eError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.str(key).map(Some),
        }
    }
    fn u64(&self, key: &str) -> Result<u64, E2eError> {
        self.get(key)?
            .as_u64()
            .ok_or_else(|| E2eError::json_field(key, "not an unsigned integer"))
    }
    fn u32(&self, key: &str) -> Result<u32, E2eError> {
        u32::try_from(self.u64(key)?).map_err(|_| E2eError::json_field(key, "out of range"))
    }
    fn f64(&self, key: &str) -> Result<f64, E2eError> {
        self.get(key)?
            .as_f64()
            .ok_or_else(|| E2eError::json_field(key, "not a number"))
    }
    fn hex<const N: usize>(&self, key: &str) -> Result<[u8; N], E2eError> {
        let text = self.str(key)?;
        let bytes = hex::decode(&text).map_err(|_| E2eError::json_field(key, "not hex"))?;
        bytes
            .try_into()
            .map_err(|_| E2eError::json_field(key, "wrong length"))
    }
    fn hex_vec(&self, key: &str) -> Result<Vec<u8>, E2eError> {
        hex::decode(self.str(key)?).map_err(|_| E2eError::json_field(key, "not hex"))
    }
    fn identity(&self, key: &str) -> Result<Identity, E2eError> {
        self.str(key)?
            .parse()
            .map_err(|_| E2eError::json_field(key, "not an identity"))
    }
    fn object(&self, key: &str) -> Result<Map<String, Value>, E2eError> {
        self.get(key)?
            .as_object()
            .cloned()
            .ok_or_else(|| E2eError::json_field(key, "not an object"))
    }
    fn message_id(&self, key: &str) -> Result<MessageId, E2eError> {
        self.hex(key).map(MessageId)
    }
}

fn hex_value(bytes: impl AsRef<[u8]>) -> Value {
    Value::from(hex::encode(bytes))
}

/// The JSON form of `message` (E2E-43).
#[must_use]
pub fn message_to_json(message: &Message) -> Value {
    let mut out = Map::new();
    let (name, fields) = match message {
        Message::Text(text) => ("text", json!({ "text": text })),
        Message::DeprecatedImage(i) => (
            "deprecated_image",
            json!({ "blob_id": hex::encode(i.blob_id), "size": i.size, "nonce": hex::encode(i.nonce.as_bytes()) }),
        ),
        Message::Location(l) => ("location", location_json(l)),
        Message::PollSetup(p) => ("poll_setup", poll_setup_json(p)),
        Message::PollVote(v) => ("poll_vote", poll_vote_json(v, "creator")),
        Message::File(f) => ("file", json!({ "file": f.fields() })),
        Message::ContactSetProfilePicture(b) => ("contact_set_profile_picture", blob_json(b)),
        Message::ContactDeleteProfilePicture => ("contact_delete_profile_picture", json!({})),
        Message::ContactRequestProfilePicture => ("contact_request_profile_picture", json!({})),
        Message::Call(c) => {
            let name = CALL_NAMES
                .iter()
                .find(|(k, _)| *k == c.kind)
                .map_or("call_offer", |(_, n)| n);
            (name, json!({ "call": c.json }))
        }
        Message::DeliveryReceipt(r) => ("delivery_receipt", receipt_json(r)),
        Message::Reaction(r) => ("reaction", reaction_json(r)),
        Message::TypingIndicator(t) => ("typing_indicator", json!({ "typing": t })),
        Message::Edit(e) => (
            "edit_message",
            json!({ "message_id": hex::encode(e.message_id.0), "text": e.text }),
        ),
        Message::Delete(d) => (
            "delete_message",
            json!({ "message_id": hex::encode(d.message_id.0) }),
        ),
        Message::Group(g) => return group_json(g),
        Message::GroupControl(c) => return group_control_json(c),
        Message::Unknown { type_code, body } => (
            "unknown",
            json!({ "type_code": type_code, "body": hex::encode(body) }),
        ),
    };
    out.insert("type".into(), name.into());
    if let Value::Object(fields) = fields {
        out.extend(fields);
    }
    Value::Object(out)
}

fn location_json(l: &Location) -> Value {
    let mut map = Map::new();
    map.insert("latitude".into(), l.latitude.into());
    map.insert("longitude".into(), l.longitude.into());
    if let Some(a) = l.accuracy {
        map.insert("accuracy".into(), a.into());
    }
    if let Some(n) = &l.name {
        map.insert("name".into(), n.clone().into());
    }
    if let Some(a) = &l.address {
        map.insert("address".into(), a.clone().into());
    }
    Value::Object(map)
}

fn poll_setup_json(p: &PollSetup) -> Value {
    json!({ "poll_id": hex::encode(p.poll_id), "poll": p.poll() })
}

/// A vote's fields; `creator_key` names the poll's creator: `creator` in 1:1, `poll_creator` in
/// a group, where `creator` is the group's (E2E-21).
fn poll_vote_json(v: &PollVote, creator_key: &str) -> Value {
    let votes: Vec<Value> = v
        .votes
        .iter()
        .map(|(i, c)| json!([i, u8::from(*c)]))
        .collect();
    let mut map = Map::new();
    map.insert(creator_key.into(), v.creator.as_str().into());
    map.insert("poll_id".into(), hex::encode(v.poll_id).into());
    map.insert("votes".into(), votes.into());
    Value::Object(map)
}

fn blob_json(b: &BlobReference) -> Value {
    json!({ "blob_id": hex::encode(b.blob_id), "size": b.size, "key": hex::encode(b.key) })
}

fn receipt_json(r: &DeliveryReceipt) -> Value {
    let ids: Vec<Value> = r.message_ids.iter().map(|id| hex_value(id.0)).collect();
    json!({ "status": r.status.name(), "message_ids": ids })
}

fn reaction_json(r: &Reaction) -> Value {
    let (key, emoji) = match &r.action {
        ReactionAction::Apply(e) => ("apply", e),
        ReactionAction::Withdraw(e) => ("withdraw", e),
    };
    let mut map = Map::new();
    map.insert("message_id".into(), hex_value(r.message_id.0));
    map.insert(key.into(), emoji.clone().into());
    Value::Object(map)
}

fn group_json(g: &GroupMessage) -> Value {
    let (name, fields) = match &g.content {
        GroupContent::Text(t) => ("group_text", json!({ "text": t })),
        GroupContent::Location(l) => ("group_location", location_json(l)),
        GroupContent::File(f) => ("group_file", json!({ "file": f.fields() })),
        GroupContent::Leave => ("group_leave", json!({})),
        GroupContent::CallStart(c) => (
            "group_call_start",
            json!({ "protocol_version": c.protocol_version, "gck": hex::encode(c.gck), "sfu_base_url": c.sfu_base_url }),
        ),
        GroupContent::PollSetup(p) => ("group_poll_setup", poll_setup_json(p)),
        GroupContent::PollVote(v) => ("group_poll_vote", poll_vote_json(v, "poll_creator")),
        GroupContent::DeliveryReceipt(r) => ("group_delivery_receipt", receipt_json(r)),
        GroupContent::Reaction(r) => ("group_reaction", reaction_json(r)),
        GroupContent::Edit(e) => (
            "group_edit_message",
            json!({ "message_id": hex::encode(e.message_id.0), "text": e.text }),
        ),
        GroupContent::Delete(d) => (
            "group_delete_message",
            json!({ "message_id": hex::encode(d.message_id.0) }),
        ),
    };
    let mut out = Map::new();
    out.insert("type".into(), name.into());
    out.insert("creator".into(), g.group.creator.as_str().into());
    out.insert("group_id".into(), hex_value(g.group.group_id.0));
    if let Value::Object(fields) = fields {
        out.extend(fields);
    }
    Value::Object(out)
}

fn group_control_json(c: &GroupControlMessage) -> Value {
    let (name, fields) = match &c.content {
        GroupControl::Setup(members) => {
            let members: Vec<&str> = members.iter().map(Identity::as_str).collect();
            ("group_setup", json!({ "members": members }))
        }
        GroupControl::Name(n) => ("group_name", json!({ "name": n })),
        GroupControl::SetProfilePicture(b) => ("group_set_profile_picture", blob_json(b)),
        GroupControl::SyncRequest => ("group_sync_request", json!({})),
        GroupControl::DeleteProfilePicture => ("group_delete_profile_picture", json!({})),
    };
    let mut out = Map::new();
    out.insert("type".into(), name.into());
    out.insert("group_id".into(), hex_value(c.group_id.0));
    if let Value::Object(fields) = fields {
        out.extend(fields);
    }
    Value::Object(out)
}

/// Reads the JSON form of a message (E2E-43). Fields that a type does not use are ignored.
///
/// # Errors
/// [`E2eError::InvalidMessageJson`] naming the field, or the body rules of the type (for
/// example `invalid_file_message`).
pub fn message_from_json(value: &Value) -> Result<Message, E2eError> {
    let map = value
        .as_object()
        .ok_or_else(|| E2eError::json_field("message", "not an object"))?;
    let f = Fields(map);
    let name = f.str("type")?;
    if let Some(stripped) = name.strip_prefix("group_") {
        if let Some(control) = group_control_from_json(stripped, &f)? {
            return Ok(Message::GroupControl(control));
        }
        let group = GroupIdentity {
            creator: f.identity("creator")?,
            group_id: GroupId(f.hex("group_id")?),
        };
        let content = match stripped {
            "text" => GroupContent::Text(f.str("text")?),
            "location" => GroupContent::Location(location_from(&f)?),
            "file" => GroupContent::File(FileMessage::from_fields(f.object("file")?)?),
            "leave" => GroupContent::Leave,
            "call_start" => GroupContent::CallStart(GroupCallStart {
                protocol_version: f.u32("protocol_version")?,
                gck: f.hex("gck")?,
                sfu_base_url: f.str("sfu_base_url")?,
            }),
            "poll_setup" => {
                GroupContent::PollSetup(PollSetup::new(f.hex("poll_id")?, f.object("poll")?)?)
            }
            "poll_vote" => GroupContent::PollVote(poll_vote_from(&f, "poll_creator")?),
            "delivery_receipt" => GroupContent::DeliveryReceipt(receipt_from(&f)?),
            "reaction" => GroupContent::Reaction(reaction_from(&f)?),
            "edit_message" => GroupContent::Edit(EditMessage {
                message_id: f.message_id("message_id")?,
                text: f.str("text")?,
            }),
            "delete_message" => GroupContent::Delete(DeleteMessage {
                message_id: f.message_id("message_id")?,
            }),
            _ => return Err(E2eError::json_field("type", "unknown message type")),
        };
        return Ok(Message::Group(GroupMessage { group, content }));
    }
    if let Some((kind, _)) = CALL_NAMES.iter().find(|(_, n)| *n == name) {
        return Ok(Message::Call(CallSignal {
            kind: *kind,
            json: f.object("call")?,
        }));
    }
    Ok(match name.as_str() {
        "text" => Message::Text(f.str("text")?),
        "deprecated_image" => Message::DeprecatedImage(DeprecatedImage {
            blob_id: f.hex("blob_id")?,
            size: f.u32("size")?,
            nonce: Nonce::from_bytes(f.hex("nonce")?),
        }),
        "location" => Message::Location(location_from(&f)?),
        "poll_setup" => Message::PollSetup(PollSetup::new(f.hex("poll_id")?, f.object("poll")?)?),
        "poll_vote" => Message::PollVote(poll_vote_from(&f, "creator")?),
        "file" => Message::File(FileMessage::from_fields(f.object("file")?)?),
        "contact_set_profile_picture" => Message::ContactSetProfilePicture(blob_from(&f)?),
        "contact_delete_profile_picture" => Message::ContactDeleteProfilePicture,
        "contact_request_profile_picture" => Message::ContactRequestProfilePicture,
        "delivery_receipt" => Message::DeliveryReceipt(receipt_from(&f)?),
        "reaction" => Message::Reaction(reaction_from(&f)?),
        "typing_indicator" => Message::TypingIndicator(
            f.get("typing")?
                .as_bool()
                .ok_or_else(|| E2eError::json_field("typing", "not a boolean"))?,
        ),
        "edit_message" => Message::Edit(EditMessage {
            message_id: f.message_id("message_id")?,
            text: f.str("text")?,
        }),
        "delete_message" => Message::Delete(DeleteMessage {
            message_id: f.message_id("message_id")?,
        }),
        "unknown" => Message::Unknown {
            type_code: u8::try_from(f.u64("type_code")?)
                .map_err(|_| E2eError::json_field("type_code", "out of range"))?,
            body: f.hex_vec("body")?,
        },
        _ => return Err(E2eError::json_field("type", "unknown message type")),
    })
}

fn group_control_from_json(
    name: &str,
    f: &Fields<'_>,
) -> Result<Option<GroupControlMessage>, E2eError> {
    let content = match name {
        "setup" => {
            let members = f
                .get("members")?
                .as_array()
                .ok_or_else(|| E2eError::json_field("members", "not a list"))?;
            let members = members
                .iter()
                .map(|m| {
                    m.as_str()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| E2eError::json_field("members", "not an identity"))
                })
                .collect::<Result<_, _>>()?;
            GroupControl::Setup(members)
        }
        "name" => GroupControl::Name(f.str("name")?),
        "set_profile_picture" => GroupControl::SetProfilePicture(blob_from(f)?),
        "sync_request" => GroupControl::SyncRequest,
        "delete_profile_picture" => GroupControl::DeleteProfilePicture,
        _ => return Ok(None),
    };
    Ok(Some(GroupControlMessage {
        group_id: GroupId(f.hex("group_id")?),
        content,
    }))
}

fn location_from(f: &Fields<'_>) -> Result<Location, E2eError> {
    Ok(Location {
        latitude: f.f64("latitude")?,
        longitude: f.f64("longitude")?,
        accuracy: if f.0.get("accuracy").is_some_and(|v| !v.is_null()) {
            Some(f.f64("accuracy")?)
        } else {
            None
        },
        name: f.opt_str("name")?,
        address: f.opt_str("address")?,
    })
}

fn poll_vote_from(f: &Fields<'_>, creator_key: &str) -> Result<PollVote, E2eError> {
    let bad = || E2eError::json_field("votes", "not a list of [choice, 0 or 1]");
    let votes = f.get("votes")?.as_array().ok_or_else(bad)?;
    let votes = votes
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([id, chosen]) => match (id.as_u64(), chosen.as_u64()) {
                (Some(id), Some(c @ (0 | 1))) => Ok((id, c == 1)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    Ok(PollVote {
        creator: f.identity(creator_key)?,
        poll_id: f.hex("poll_id")?,
        votes,
    })
}

fn blob_from(f: &Fields<'_>) -> Result<BlobReference, E2eError> {
    Ok(BlobReference {
        blob_id: f.hex("blob_id")?,
        size: f.u32("size")?,
        key: f.hex("key")?,
    })
}

fn receipt_from(f: &Fields<'_>) -> Result<DeliveryReceipt, E2eError> {
    let status = match f.get("status")? {
        Value::String(name) => ReceiptStatus::ALL.into_iter().find(|s| s.name() == name),
        other => other
            .as_u64()
            .and_then(|c| u8::try_from(c).ok())
            .and_then(|c| ReceiptStatus::from_code(c).ok()),
    }
    .ok_or_else(|| E2eError::json_field("status", "not a receipt status"))?;
    let ids = f
        .get("message_ids")?
        .as_array()
        .ok_or_else(|| E2eError::json_field("message_ids", "not a list"))?;
    let message_ids = ids
        .iter()
        .map(|id| {
            id.as_str()
                .and_then(|s| hex::decode(s).ok())
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(MessageId)
                .ok_or_else(|| E2eError::json_field("message_ids", "not 8 bytes of hex"))
        })
        .collect::<Result<_, _>>()?;
    Ok(DeliveryReceipt {
        status,
        message_ids,
    })
}

fn reaction_from(f: &Fields<'_>) -> Result<Reaction, E2eError> {
    let action = match (f.opt_str("apply")?, f.opt_str("withdraw")?) {
        (Some(e), None) => ReactionAction::Apply(e),
        (None, Some(e)) => ReactionAction::Withdraw(e),
        _ => {
            return Err(E2eError::json_field(
                "apply",
                "exactly one of apply and withdraw",
            ));
        }
    };
    Ok(Reaction {
        message_id: f.message_id("message_id")?,
        action,
    })
}
