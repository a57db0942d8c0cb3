//! What the group and poll scenario generators share: the cast, the clock, message builders and
//! a helper that drives the other parties' clients (GRP-28).

use std::collections::BTreeSet;

use rand_chacha::ChaCha20Rng;
use saltrelay_protocol::e2e::{
    GroupContent, GroupControl, GroupControlMessage, GroupId, GroupIdentity, GroupMessage, Message,
    MessageId,
};
use saltrelay_protocol::group::{GroupClient, Outcome};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::group_runner::{Scenario, group_json, id_json, receive, receive_entry};
use crate::rng::RecordingRng;

/// The scenarios' start: 2026-01-01T00:00:00Z in ms.
pub(super) const T: u64 = 1_767_225_600_000;
pub(super) const MINUTE: u64 = 60_000;
pub(super) const HOUR: u64 = 3_600_000;
pub(super) const DAY: u64 = 86_400_000;

pub(super) fn who(name: &str) -> Identity {
    name.parse().expect("cast identities are valid")
}

/// The cast: Alice usually creates, Bob, Carol and Dave are members, Eve is outside.
pub(super) struct Cast {
    pub(super) alice: Identity,
    pub(super) bob: Identity,
    pub(super) carol: Identity,
    pub(super) dave: Identity,
    pub(super) eve: Identity,
}

pub(super) fn cast() -> Cast {
    Cast {
        alice: who("ALICE000"),
        bob: who("BOB00000"),
        carol: who("CAROL000"),
        dave: who("DAVE0000"),
        eve: who("EVE00000"),
    }
}

pub(super) fn set(ids: &[Identity]) -> BTreeSet<Identity> {
    ids.iter().copied().collect()
}

pub(super) fn ids(ids: &[Identity]) -> Value {
    ids.iter().map(|id| id_json(*id)).collect()
}

pub(super) fn group(creator: Identity, id: u8) -> GroupIdentity {
    GroupIdentity {
        creator,
        group_id: GroupId([id; 8]),
    }
}

pub(super) fn member_msg(group: GroupIdentity, content: GroupContent) -> Message {
    Message::Group(GroupMessage { group, content })
}

pub(super) fn control_msg(group: GroupIdentity, content: GroupControl) -> Message {
    Message::GroupControl(GroupControlMessage {
        group_id: group.group_id,
        content,
    })
}

pub(super) fn text(group: GroupIdentity, body: &str) -> Message {
    member_msg(group, GroupContent::Text(body.into()))
}

pub(super) fn mid(n: u8) -> MessageId {
    MessageId([0xa0, 0, 0, 0, 0, 0, 0, n])
}

/// `receive` input: `from` sends `message` with message ID `mid(n)`.
pub(super) fn recv(from: Identity, n: u8, message: &Message) -> Value {
    receive(from, mid(n), message)
}

/// A local `send` input: the inner body after creator and group ID (GRP-28).
pub(super) fn send_input(group: GroupIdentity, content: GroupContent) -> Value {
    let message = member_msg(group, content);
    let body = message.encode_body().expect("scenario messages encode");
    json!({"action": "send", "group": group_json(group), "type": message.type_code(),
           "body": hex::encode(body.get(16..).unwrap_or_default())})
}

pub(super) fn action(name: &str, group: GroupIdentity) -> Value {
    json!({"action": name, "group": group_json(group)})
}

/// Another party's client, driven without recording: its draws never enter a vector's
/// `random`, only the messages it sends do.
pub(super) struct Party {
    pub(super) client: GroupClient,
}

impl Party {
    pub(super) fn new(me: Identity) -> Self {
        Self {
            client: GroupClient::new(me),
        }
    }

    /// Feeds every entry of `out` addressed to this party, sent by `from`, at `at`.
    pub(super) fn take(&mut self, rng: &mut ChaCha20Rng, from: Identity, out: &Outcome, at: u64) {
        let me = self.client.me();
        for entry in out.sent.iter().filter(|e| e.recipients.contains(&me)) {
            let _ = self.client.handle_message(
                Timestamp::from_millis(at),
                rng,
                from,
                entry.message_id,
                &entry.message,
            );
        }
    }
}

/// Delivers every entry of `out` addressed to the scenario's client, one step each, at
/// `at`, `at + 1`, ... Returns what the client sent back.
pub(super) fn deliver(
    scenario: &mut Scenario,
    rng: &mut RecordingRng<ChaCha20Rng>,
    from: Identity,
    out: &Outcome,
    at: u64,
) -> Outcome {
    let me = scenario.client.me();
    let mut replies = Outcome::default();
    let mine = out.sent.iter().filter(|e| e.recipients.contains(&me));
    for (now, entry) in (at..).zip(mine) {
        let reply = scenario.step(rng, now, receive_entry(from, entry));
        replies.sent.extend(reply.sent);
        replies.events.extend(reply.events);
    }
    replies
}
