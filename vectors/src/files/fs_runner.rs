//! Runs `fs_transcripts.json` steps: two `PeerSessions` with replayed randomness, one step
//! at a time, reporting outputs, events, errors and checkpoints (FS-35, FS-36).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::e2e::{Message, MessageId};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::session::{
    ChainCheckpoint, Event, Output, PeerSessions, SessionCheckpoint, TerminateCause,
};
use saltrelay_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use super::common::hex_value;
use super::fs_common::replay;
use crate::case::{Case, Malformed};
use crate::rng::ReplayRng;

/// One side of a transcript.
pub(crate) struct Party {
    identity: Identity,
    secret: [u8; 32],
    peer: Identity,
    peer_public: PublicKey,
    pub(super) machine: PeerSessions,
    pub(crate) rng: ReplayRng,
}

impl Party {
    pub(crate) fn new(
        identity: Identity,
        secret: [u8; 32],
        peer: Identity,
        peer_public: PublicKey,
        random: &[u8],
    ) -> Result<Self, Malformed> {
        let machine = Self::fresh(identity, secret, peer, peer_public)?;
        Ok(Self {
            identity,
            secret,
            peer,
            peer_public,
            machine,
            rng: replay(random),
        })
    }

    fn fresh(
        identity: Identity,
        secret: [u8; 32],
        peer: Identity,
        peer_public: PublicKey,
    ) -> Result<PeerSessions, Malformed> {
        PeerSessions::new(identity, SecretKey::from_bytes(secret), peer, peer_public)
            .map_err(|_| Malformed::new("publicKey", "small order"))
    }

    /// Runs one step's inputs and returns what it produced.
    pub(crate) fn apply(&mut self, step: Case<'_>) -> Result<Map<String, Value>, Malformed> {
        let now = Timestamp::from_millis(step.u64("now")?);
        let message_id = || -> Result<MessageId, Malformed> {
            let bytes: [u8; 8] = step
                .hex("messageId")?
                .try_into()
                .map_err(|_| Malformed::new("messageId", "not 8 bytes"))?;
            Ok(MessageId(bytes))
        };
        let result = match step.str("action")? {
            "send" => {
                let type_code = u8::try_from(step.u64("innerType")?)
                    .map_err(|_| Malformed::new("innerType", "not a byte"))?;
                let message = Message::decode(type_code, &step.hex("innerBody")?)
                    .map_err(|_| Malformed::new("innerBody", "does not decode"))?;
                self.machine
                    .send(now, &mut self.rng, message_id()?, &message)
            }
            "receive" => self.machine.handle_envelope(
                now,
                &mut self.rng,
                message_id()?,
                &step.hex("envelope")?,
            ),
            "terminate" => {
                let cause = u32::try_from(step.u64("cause")?)
                    .map_err(|_| Malformed::new("cause", "not u32"))?;
                self.machine.terminate(TerminateCause::from_value(cause));
                Ok(())
            }
            "lose_state" => {
                self.machine =
                    Self::fresh(self.identity, self.secret, self.peer, self.peer_public)?;
                Ok(())
            }
            _ => {
                return Err(Malformed::new(
                    "action",
                    "send, receive, terminate, lose_state",
                ));
            }
        };
        let mut outputs = Vec::new();
        let mut events = Vec::new();
        while let Some(output) = self.machine.poll_output() {
            match output {
                Output::Control(envelope) => {
                    outputs.push(json!({ "kind": "control", "envelope": hex_value(envelope) }));
                }
                Output::Encapsulated {
                    message_id,
                    envelope,
                } => outputs.push(json!({
                    "kind": "encapsulated",
                    "messageId": hex_value(message_id.0),
                    "envelope": hex_value(envelope),
                })),
                Output::Plain { message_id } => {
                    outputs.push(json!({ "kind": "plain", "messageId": hex_value(message_id.0) }));
                }
                Output::Event(event) => events.push(event_json(&event)),
                _ => {
                    return Err(Malformed::new(
                        "outputs",
                        "an output this runner does not know",
                    ));
                }
            }
        }
        let mut map = Map::new();
        map.insert("outputs".into(), outputs.into());
        map.insert("events".into(), events.into());
        if let Err(error) = result {
            map.insert("error".into(), error.code().into());
        }
        map.insert(
            "checkpoint".into(),
            self.machine
                .checkpoint()
                .iter()
                .map(checkpoint_json)
                .collect(),
        );
        Ok(map)
    }
}

fn event_json(event: &Event) -> Value {
    match event {
        Event::SessionCreated { session_id, state } => json!({
            "event": "session_created", "sessionId": session_id.to_hex(), "state": state.name(),
        }),
        Event::StateChanged {
            session_id,
            from,
            to,
        } => json!({
            "event": "state_changed", "sessionId": session_id.to_hex(),
            "from": from.name(), "to": to.name(),
        }),
        Event::Received {
            session_id,
            message_id,
            dh_type,
            counter,
            applied_version,
            message,
        } => json!({
            "event": "received", "sessionId": session_id.to_hex(),
            "messageId": hex_value(message_id.0), "dhType": dh_type.name(), "counter": counter,
            "appliedVersion": applied_version, "innerType": message.type_code(),
            "innerBody": hex_value(message.encode_body().unwrap_or_default()),
        }),
        Event::MessagesSkipped { session_id, count } => json!({
            "event": "messages_skipped", "sessionId": session_id.to_hex(), "count": count,
        }),
        Event::MessageRejected {
            session_id,
            message_id,
            group_identity,
            cause,
        } => {
            let mut value = json!({
                "event": "message_rejected", "sessionId": session_id.to_hex(),
                "messageId": hex_value(message_id.0), "cause": cause.value(),
            });
            if let (Some(g), Some(map)) = (group_identity, value.as_object_mut()) {
                map.insert(
                    "groupIdentity".into(),
                    json!({ "creator": g.creator.as_str(), "groupId": hex_value(g.group_id.0) }),
                );
            }
            value
        }
        Event::SessionRemoved { session_id, reason } => json!({
            "event": "session_removed", "sessionId": session_id.to_hex(), "reason": reason.name(),
        }),
        _ => json!({ "event": "unknown" }),
    }
}

fn chain_json(map: &mut Map<String, Value>, name: &str, chain: Option<&ChainCheckpoint>) {
    if let Some(c) = chain {
        map.insert(
            name.into(),
            json!({ "counter": c.counter, "keyHash": hex_value(c.key_hash) }),
        );
    }
}

fn checkpoint_json(checkpoint: &SessionCheckpoint) -> Value {
    let mut map = Map::new();
    map.insert("sessionId".into(), checkpoint.session_id.to_hex().into());
    map.insert("state".into(), checkpoint.state.name().into());
    chain_json(&mut map, "local2dh", checkpoint.local_2dh.as_ref());
    chain_json(&mut map, "remote2dh", checkpoint.remote_2dh.as_ref());
    chain_json(&mut map, "local4dh", checkpoint.local_4dh.as_ref());
    chain_json(&mut map, "remote4dh", checkpoint.remote_4dh.as_ref());
    if let Some(v) = checkpoint.local_4dhv {
        map.insert("local4dhVersion".into(), v.into());
    }
    if let Some(v) = checkpoint.remote_4dhv {
        map.insert("remote4dhVersion".into(), v.into());
    }
    Value::Object(map)
}

/// The step fields that are inputs; everything else is an expectation.
pub(super) const INPUTS: &[&str] = &[
    "actor",
    "action",
    "now",
    "messageId",
    "innerType",
    "innerBody",
    "envelope",
    "cause",
];
