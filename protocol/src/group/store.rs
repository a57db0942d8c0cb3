//! The group state file: a client's whole group state as JSON, so a tool can keep it between
//! runs (GRP-31). Reading checks every field; a file that does not parse is refused whole.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::GroupError;
use super::client::GroupClient;
use super::poll::{Poll, PollKey, PollStatus};
use super::state::{GroupState, GroupStatus, LogEntry, MessageState};
use crate::e2e::{BlobReference, GroupId, GroupIdentity, MessageId};
use crate::identity::Identity;
use crate::time::Timestamp;

/// The file's format name (GRP-31).
const FORMAT: &str = "saltrelay-groups-v1";

fn bad() -> GroupError {
    GroupError::InvalidState
}

fn ids(set: &BTreeSet<Identity>) -> Value {
    set.iter().map(|id| Value::from(id.as_str())).collect()
}

fn group_json(group: GroupIdentity) -> Value {
    json!({"creator": group.creator.as_str(), "groupId": hex::encode(group.group_id.0)})
}

fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a Value, GroupError> {
    map.get(key).ok_or_else(bad)
}

fn text(map: &Map<String, Value>, key: &str) -> Result<String, GroupError> {
    get(map, key)?.as_str().map(str::to_owned).ok_or_else(bad)
}

fn number(map: &Map<String, Value>, key: &str) -> Result<u64, GroupError> {
    get(map, key)?.as_u64().ok_or_else(bad)
}

fn bytes<const N: usize>(map: &Map<String, Value>, key: &str) -> Result<[u8; N], GroupError> {
    let raw = hex::decode(get(map, key)?.as_str().ok_or_else(bad)?).map_err(|_| bad())?;
    raw.try_into().map_err(|_| bad())
}

fn identity(value: &Value) -> Result<Identity, GroupError> {
    value.as_str().and_then(|s| s.parse().ok()).ok_or_else(bad)
}

fn object(value: &Value) -> Result<&Map<String, Value>, GroupError> {
    value.as_object().ok_or_else(bad)
}

fn list(value: &Value) -> Result<&Vec<Value>, GroupError> {
    value.as_array().ok_or_else(bad)
}

fn group_of(value: &Value) -> Result<GroupIdentity, GroupError> {
    let map = object(value)?;
    Ok(GroupIdentity {
        creator: identity(get(map, "creator")?)?,
        group_id: GroupId(bytes(map, "groupId")?),
    })
}

fn status_of(name: &str) -> Result<GroupStatus, GroupError> {
    [
        GroupStatus::Active,
        GroupStatus::Left,
        GroupStatus::Kicked,
        GroupStatus::Disbanded,
    ]
    .into_iter()
    .find(|s| s.name() == name)
    .ok_or_else(bad)
}

fn message_state_name(state: MessageState) -> &'static str {
    match state {
        MessageState::Sent => "sent",
        MessageState::Edited => "edited",
        MessageState::Deleted => "deleted",
    }
}

fn poll_to_json(key: PollKey, poll: &Poll) -> Value {
    let votes: Map<String, Value> = poll
        .votes
        .iter()
        .map(|(voter, chosen)| (voter.as_str().to_owned(), chosen.iter().copied().collect()))
        .collect();
    json!({
        "creator": key.creator.as_str(),
        "pollId": hex::encode(key.poll_id),
        "closed": poll.status == PollStatus::Closed,
        "description": poll.description,
        "multiple": poll.multiple,
        "announce": poll.announce,
        "choices": poll.choices.iter().map(|(id, t)| json!([id, t])).collect::<Vec<_>>(),
        "votes": votes,
    })
}

fn poll_from_json(value: &Value) -> Result<(PollKey, Poll), GroupError> {
    let map = object(value)?;
    let key = PollKey {
        creator: identity(get(map, "creator")?)?,
        poll_id: bytes(map, "pollId")?,
    };
    let choices = list(get(map, "choices")?)?
        .iter()
        .map(|c| match c.as_array().map(Vec::as_slice) {
            Some([id, text]) => Some((id.as_u64()?, text.as_str()?.to_owned())),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    let mut poll = Poll::new(
        text(map, "description")?,
        get(map, "multiple")?.as_bool().ok_or_else(bad)?,
        number(map, "announce")?,
        choices,
    );
    if get(map, "closed")?.as_bool().ok_or_else(bad)? {
        poll.status = PollStatus::Closed;
    }
    for (voter, chosen) in object(get(map, "votes")?)? {
        let voter: Identity = voter.parse().map_err(|_| bad())?;
        let chosen = list(chosen)?
            .iter()
            .map(|c| c.as_u64().ok_or_else(bad))
            .collect::<Result<BTreeSet<_>, _>>()?;
        poll.votes.insert(voter, chosen);
    }
    Ok((key, poll))
}

fn group_to_json(group: GroupIdentity, state: &GroupState) -> Value {
    let messages: Vec<Value> = state
        .messages
        .iter()
        .map(|(id, entry)| {
            json!({"messageId": hex::encode(id.0), "sender": entry.sender.as_str(),
                   "state": message_state_name(entry.state)})
        })
        .collect();
    json!({
        "group": group_json(group),
        "status": state.status.name(),
        "name": state.name,
        "members": ids(&state.members),
        "picture": state.picture.as_ref().map(|p| json!({
            "blobId": hex::encode(p.blob_id), "size": p.size, "key": hex::encode(p.key)})),
        "lastSync": state.last_sync.as_millis(),
        "messages": messages,
        "polls": state.polls.iter().map(|(k, p)| poll_to_json(*k, p)).collect::<Vec<_>>(),
    })
}

fn group_from_json(value: &Value) -> Result<(GroupIdentity, GroupState), GroupError> {
    let map = object(value)?;
    let members = list(get(map, "members")?)?
        .iter()
        .map(identity)
        .collect::<Result<_, _>>()?;
    let mut state = GroupState::new(members, text(map, "name")?);
    state.status = status_of(get(map, "status")?.as_str().ok_or_else(bad)?)?;
    state.picture = match get(map, "picture")? {
        Value::Null => None,
        p => {
            let p = object(p)?;
            Some(BlobReference {
                blob_id: bytes(p, "blobId")?,
                size: u32::try_from(number(p, "size")?).map_err(|_| bad())?,
                key: bytes(p, "key")?,
            })
        }
    };
    state.last_sync = Timestamp::from_millis(number(map, "lastSync")?);
    for entry in list(get(map, "messages")?)? {
        let entry = object(entry)?;
        let state_name = text(entry, "state")?;
        let message_state = [
            MessageState::Sent,
            MessageState::Edited,
            MessageState::Deleted,
        ]
        .into_iter()
        .find(|s| message_state_name(*s) == state_name)
        .ok_or_else(bad)?;
        state.messages.insert(
            MessageId(bytes(entry, "messageId")?),
            LogEntry {
                sender: identity(get(entry, "sender")?)?,
                state: message_state,
            },
        );
    }
    for poll in list(get(map, "polls")?)? {
        let (key, poll) = poll_from_json(poll)?;
        state.polls.insert(key, poll);
    }
    Ok((group_of(get(map, "group")?)?, state))
}

impl GroupClient {
    /// The whole state as the group state file holds it (GRP-31).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let marks: Vec<Value> = self
            .sync_marks
            .iter()
            .map(|((group, peer), at)| {
                json!({"group": group_json(*group), "peer": peer.as_str(), "at": at.as_millis()})
            })
            .collect();
        json!({
            "format": FORMAT,
            "me": self.me().as_str(),
            "groups": self.groups.iter().map(|(g, s)| group_to_json(*g, s)).collect::<Vec<_>>(),
            "syncMarks": marks,
        })
    }

    /// Reads a group state file (GRP-31).
    ///
    /// # Errors
    /// [`GroupError::InvalidState`] if any field is missing or malformed.
    pub fn from_json(value: &Value) -> Result<Self, GroupError> {
        let map = object(value)?;
        if get(map, "format")?.as_str() != Some(FORMAT) {
            return Err(bad());
        }
        let mut client = Self::new(identity(get(map, "me")?)?);
        let mut groups = BTreeMap::new();
        for group in list(get(map, "groups")?)? {
            let (id, state) = group_from_json(group)?;
            groups.insert(id, state);
        }
        client.groups = groups;
        for mark in list(get(map, "syncMarks")?)? {
            let mark = object(mark)?;
            client.sync_marks.insert(
                (
                    group_of(get(mark, "group")?)?,
                    identity(get(mark, "peer")?)?,
                ),
                Timestamp::from_millis(number(mark, "at")?),
            );
        }
        Ok(client)
    }
}
