//! One message queued in the relay: the item the policy core queues, with where its bytes
//! are (memory, being written, stored) and whom to acknowledge (RELAY-13).
//!
//! ```text
//! Memory ──spill or recipient offline──> Writing ──durable──> Stored
//!   │  (ack sender on recipient ack,        │ (ack sender now)    │
//!   │   never written)                      │                     │
//!   └──────────── recipient ack, expiry, no-ack delivery ─────────┴──> Gone (record deleted)
//! ```

use std::sync::{Arc, Mutex};

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::payload::MessageAck;

use super::MessageHeader;
use super::conn_ref::{ConnEvent, ConnRef};
use crate::core::Queued;
use crate::store::RecordId;

/// Where a queued message's bytes are.
#[derive(Debug)]
pub(crate) enum Stage {
    /// In memory only: to an online recipient, awaiting its ack (or a no-queue message).
    Memory(Arc<[u8]>),
    /// Handed to the store, not yet durable. `recipient_acked`: delete once written.
    Writing {
        payload: Arc<[u8]>,
        recipient_acked: bool,
    },
    /// Durable under this record; the payload may still be cached in memory.
    Stored {
        record: RecordId,
        payload: Option<Arc<[u8]>>,
    },
    /// Deleted: acked, expired or sent without ack.
    Gone,
}

/// The mutable part of an entry.
#[derive(Debug)]
pub(crate) struct EntryState {
    pub(crate) stage: Stage,
    /// The connection to send the sender's ack (0x81) to, until it is sent.
    pub(crate) origin: Option<ConnRef>,
}

/// A queued message. Immutable header fields; the rest behind a lock.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) sender: Identity,
    pub(crate) recipient: Identity,
    pub(crate) message_id: u64,
    pub(crate) flags: u8,
    pub(crate) len: u32,
    pub(crate) deadline: Timestamp,
    pub(crate) state: Mutex<EntryState>,
}

impl Entry {
    /// A message just accepted: its header, payload length, deadline and first stage, and the
    /// connection awaiting its ack, if any.
    pub(crate) fn accepted(
        header: &MessageHeader,
        len: usize,
        deadline: Timestamp,
        stage: Stage,
        origin: Option<ConnRef>,
    ) -> Arc<Self> {
        Arc::new(Self {
            sender: header.sender,
            recipient: header.receiver,
            message_id: header.message_id,
            flags: header.flags,
            len: u32::try_from(len).unwrap_or(u32::MAX),
            deadline,
            state: Mutex::new(EntryState { stage, origin }),
        })
    }

    /// A message read back from the store: durable, its payload not in memory, no ack awaited
    /// (the node that stored it acked it).
    pub(crate) fn restored(
        sender: Identity,
        recipient: Identity,
        message_id: u64,
        flags: u8,
        len: u32,
        deadline: Timestamp,
        record: RecordId,
    ) -> Arc<Self> {
        Arc::new(Self {
            sender,
            recipient,
            message_id,
            flags,
            len,
            deadline,
            state: Mutex::new(EntryState {
                stage: Stage::Stored {
                    record,
                    payload: None,
                },
                origin: None,
            }),
        })
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, EntryState> {
        self.state.lock().expect("no panic under an entry lock")
    }

    /// Sends the sender's ack (0x81, receiver and message ID) once, if anyone awaits it.
    pub(crate) fn ack_sender(&self, state: &mut EntryState) {
        if let Some(origin) = state.origin.take() {
            origin.send(ConnEvent::SenderAck(MessageAck {
                identity: self.recipient,
                message_id: self.message_id,
            }));
        }
    }

    /// The store record, once durable.
    pub(crate) fn record(&self) -> Option<RecordId> {
        match &self.lock().stage {
            Stage::Stored { record, .. } => Some(*record),
            _ => None,
        }
    }

    /// The payload, if it is in memory.
    pub(crate) fn payload(&self) -> Option<Arc<[u8]>> {
        match &self.lock().stage {
            Stage::Memory(payload) | Stage::Writing { payload, .. } => Some(Arc::clone(payload)),
            Stage::Stored { payload, .. } => payload.clone(),
            Stage::Gone => None,
        }
    }
}

/// The core's queued item: a shared entry (RELAY-3).
#[derive(Debug, Clone)]
pub(crate) struct Item(pub(crate) Arc<Entry>);

impl Queued for Item {
    fn queued_len(&self) -> u32 {
        self.0.len
    }
}
