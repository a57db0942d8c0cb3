//! `receive`'s side of forward secrecy (spec/06-forward-secrecy.md, FS-42 to FS-44): an `0xa0`
//! message goes through the sender's sessions; the session file is durable before any reply
//! leaves and before the message is acked; what could not be opened, and our messages the
//! peer rejected, are reported, never dropped.

use anyhow::Context as _;
use saltrelay_protocol::e2e::{GroupIdentity, Message};
use saltrelay_protocol::session::{RejectCause, SessionError};
use saltrelay_relay::client::IncomingMessage;
use saltrelay_relay::runtime::clock::Clock;
use serde_json::{Value, json};

use super::Receiver;
use crate::cmd::sessions::Protection;

/// FS-44: the name of a Reject cause in `receive --json`.
fn cause_name(cause: RejectCause) -> String {
    match cause {
        RejectCause::StateMismatch => "state_mismatch".into(),
        RejectCause::UnknownSession => "unknown_session".into(),
        RejectCause::DisabledByLocal => "disabled_by_local".into(),
        RejectCause::Other(value) => format!("cause_{value}"),
    }
}

fn group_name(group: GroupIdentity) -> String {
    format!("{}:{}", group.creator, hex::encode(group.group_id.0))
}

impl Receiver {
    /// Runs an `0xa0` body through the sender's sessions (FS-23). Returns the decapsulated
    /// message to show, or `None` when the envelope carried none; in that case it has been
    /// reported as needed and acked (CLIENT-3).
    pub(super) async fn open_envelope(
        &mut self,
        message: &IncomingMessage,
        body: &[u8],
        out: &mut Value,
    ) -> anyhow::Result<Option<(Message, Protection)>> {
        let sender = message.sender;
        let Some(Some(known)) = self.known.get(&sender) else {
            unreachable!("envelopes are opened only for senders with a key");
        };
        let public = known.public;
        let now = Clock::new().now();
        let opened =
            self.sessions
                .open(&self.keys, sender, &public, message.message_id, body, now)?;
        if let (Ok(()), Some((inner, protection))) = (&opened.result, &opened.message) {
            // FS-42: kept with the advanced chain until shown, so a crash loses nothing.
            self.sessions
                .hold(sender, message.message_id, inner, protection)?;
        }
        // FS-42: the new session state is durable before a reply leaves or the ack is sent.
        self.sessions
            .save()
            .context("cannot write the session file; the message stays unacked")?;
        for reply in opened.replies {
            self.outbox.send(sender, reply);
        }
        for rejected in &opened.rejected {
            // FS-27: one of our messages did not reach the peer's user: say so.
            let mut line = json!({
                "from": sender.as_str(),
                "message_id": out["message_id"],
                "type": "fs_rejected",
                "rejected_message_id": hex::encode(rejected.message_id.0),
                "cause": cause_name(rejected.cause),
                "action": "not_delivered",
            });
            if let Some(group) = rejected.group {
                line["group"] = group_name(group).into();
            }
            self.print(&line)?;
        }
        match opened.result {
            Ok(()) => {
                if opened.message.is_none() {
                    // A control envelope or an empty message (FS-14): nothing to show.
                    self.ack(message).await?;
                }
                Ok(opened.message)
            }
            Err(SessionError::InitForExistingSession | SessionError::UnexpectedAccept) => {
                // FS-44 case 2: an Init or Accept delivered again (its ack was lost in a crash)
                // carries nothing to show and changes nothing.
                self.ack(message).await?;
                Ok(None)
            }
            Err(SessionError::CounterBehind { .. })
                if self.sessions.held(sender, message.message_id).is_some() =>
            {
                // FS-42: opened before but never shown (the last run ended first): show it now.
                Ok(self.sessions.held(sender, message.message_id))
            }
            Err(error @ SessionError::CounterBehind { .. }) => {
                // FS-31: a counter already opened: delivered before (CLIENT-3 case 3).
                out["type"] = "undecryptable".into();
                out["error"] = json!({
                    "code": error.code(),
                    "reason": "duplicate: this message was delivered before",
                });
                out["action"] = "acked_duplicate".into();
                self.print(out)?;
                self.ack(message).await?;
                Ok(None)
            }
            Err(error) => {
                // CLIENT-3 case 2 with an FS-39 code; a Reject, if the spec sends one, is
                // queued above, so the sender learns the message was not delivered.
                out["type"] = "undecryptable".into();
                out["error"] = json!({ "code": error.code(), "reason": error.to_string() });
                self.quarantine
                    .keep(message, error.code(), &error.to_string())
                    .context("cannot write the quarantine file; the message stays unacked")?;
                out["action"] = "quarantined".into();
                out["quarantine"] = self.quarantine.path().display().to_string().into();
                self.print(out)?;
                self.ack(message).await?;
                Ok(None)
            }
        }
    }
}
