//! `receive` applies group messages itself (spec/07-groups.md, GRP-31): the group state file
//! is updated and flushed before the message is acked, and what the rules answer (sync
//! requests, setups, leaves) is sent from the same login, in forward-secret sessions unless
//! `--no-fs` (FS-16, FS-43).

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::{Message, MessageId};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::runtime::clock::Clock;
use serde_json::{Value, json};

use super::receipts::Due;
use super::{Done, Receiver};
use crate::cmd::group::{event_json, load_state, save_state};
use crate::cmd::send::encode_at;
use crate::os_rng::os_rng;

/// A message the rules produced for a recipient whose key is being looked up.
pub(super) struct Unsent {
    message_id: MessageId,
    message: Message,
    flags: u8,
    created_at: Timestamp,
}

impl Receiver {
    /// Applies `message` if it is a group message: returns the events as JSON, or `None` for
    /// any other message.
    ///
    /// # Errors
    /// The state file cannot be read or written: the message then stays unacked.
    pub(super) fn apply_group(
        &mut self,
        from: Identity,
        message_id: MessageId,
        message: &Message,
    ) -> anyhow::Result<Option<Vec<Value>>> {
        if !matches!(message, Message::Group(_) | Message::GroupControl(_)) {
            return Ok(None);
        }
        let id_path = self.args.relay.id_path().to_owned();
        if self.groups.is_none() {
            self.groups = Some(load_state(&id_path, self.keys.identity())?);
        }
        let groups = self.groups.as_mut().expect("loaded above");
        let now = Clock::new().now();
        let outcome = match groups.handle_message(now, &mut os_rng()?, from, message_id, message) {
            Ok(outcome) => outcome,
            Err(error) => return Ok(Some(vec![json!({"event": "error", "code": error.code()})])),
        };
        save_state(&id_path, groups)?;
        let events = outcome.events.iter().map(event_json).collect();
        for entry in outcome.sent {
            let flags = entry.flags();
            for to in entry.recipients {
                self.send_to(
                    to,
                    Unsent {
                        message_id: entry.message_id,
                        message: entry.message.clone(),
                        flags,
                        created_at: entry.created_at,
                    },
                )?;
            }
        }
        Ok(Some(events))
    }

    /// Seals and queues a message for `to`, looking its key up first if needed (CLIENT-1: the
    /// lookup runs beside the loop).
    fn send_to(&mut self, to: Identity, unsent: Unsent) -> anyhow::Result<()> {
        let public = match self.known.get(&to) {
            Some(Some(known)) => known.public,
            Some(None) => {
                eprintln!("{to} is not known at the relay: a group message to it was not sent");
                return Ok(());
            }
            None => {
                let first = !self.blocked.contains_key(&to) && !self.unsent.contains_key(&to);
                self.unsent.entry(to).or_default().push(unsent);
                if first {
                    let handle = self.handle.clone();
                    self.requests
                        .spawn(async move { Done::Lookup(to, handle.lookup_key(to).await) });
                }
                return Ok(());
            }
        };
        self.seal_and_queue(
            to,
            &public,
            unsent.message_id,
            &unsent.message,
            unsent.flags,
            unsent.created_at,
        )
    }

    /// Seals one message for `to` (in its session unless `--no-fs`) and queues it.
    fn seal_and_queue(
        &mut self,
        to: Identity,
        public: &PublicKey,
        message_id: MessageId,
        message: &Message,
        flags: u8,
        created_at: Timestamp,
    ) -> anyhow::Result<()> {
        let outer = if self.args.relay.no_fs {
            vec![encode_at(
                &self.keys,
                to,
                public,
                message_id,
                message.clone(),
                flags,
                created_at,
            )?]
        } else {
            let outer = self.sessions.seal(
                &self.keys, to, public, message_id, message, flags, created_at,
            )?;
            // FS-42: durable before the message leaves.
            self.sessions.save()?;
            outer
        };
        for bytes in outer {
            self.outbox.send(to, bytes);
        }
        Ok(())
    }

    /// Seals and queues delivery receipts (CLIENT-4): in the sender's session unless
    /// `--no-fs`, after every message queued before (FS-43).
    pub(super) fn send_receipts(&mut self, due: Vec<Due>) -> anyhow::Result<()> {
        for Due { to, key, receipt } in due {
            let id = MessageId::random(&mut os_rng()?);
            self.seal_and_queue(to, &key, id, &receipt, 0, Clock::new().now())?;
        }
        Ok(())
    }

    /// Sends what waited for `to`'s key.
    pub(super) fn send_unsent(&mut self, to: Identity) -> anyhow::Result<()> {
        for unsent in self.unsent.remove(&to).unwrap_or_default() {
            self.send_to(to, unsent)?;
        }
        Ok(())
    }
}
