//! Batched delivery receipts of `saltrelay receive` (CLIENT-4, E2E-18): one `received` receipt
//! per sender for up to [`MAX_IDS`] message ids, sent beside the loop (through the outbox).

use std::collections::HashMap;
use std::time::Instant;

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::{DeliveryReceipt, Message, MessageId, ReceiptStatus};
use saltrelay_protocol::identity::Identity;

/// CLIENT-4: message ids per receipt (E2E-18 allows 976 in a 7,812-byte body).
pub(super) const MAX_IDS: usize = 512;
/// CLIENT-4: the longest an id waits for its batch to fill.
pub(super) const MAX_WAIT_MS: u64 = 200;

struct Batch {
    key: PublicKey,
    ids: Vec<MessageId>,
    since: Instant,
}

/// A receipt ready to go: its recipient, the recipient's key and the receipt message.
pub(super) struct Due {
    pub(super) to: Identity,
    pub(super) key: PublicKey,
    pub(super) receipt: Message,
}

/// Receipts waiting for their batch to fill. The caller seals and sends what is due, through
/// the same ordered queue as every other message of the session (FS-43).
#[derive(Default)]
pub(super) struct Receipts {
    batches: HashMap<Identity, Batch>,
}

impl Receipts {
    /// Adds an id to its sender's batch; returns the batch's receipt once full.
    pub(super) fn add(&mut self, sender: Identity, key: PublicKey, id: MessageId) -> Option<Due> {
        let batch = self.batches.entry(sender).or_insert_with(|| Batch {
            key,
            ids: Vec::new(),
            since: Instant::now(),
        });
        batch.ids.push(id);
        if batch.ids.len() >= MAX_IDS {
            let batch = self.batches.remove(&sender).expect("just filled");
            return Some(due(sender, batch));
        }
        None
    }

    /// The receipts of every batch older than [`MAX_WAIT_MS`].
    pub(super) fn take_due(&mut self) -> Vec<Due> {
        let due_senders: Vec<Identity> = self
            .batches
            .iter()
            .filter(|(_, b)| b.since.elapsed().as_millis() >= u128::from(MAX_WAIT_MS))
            .map(|(sender, _)| *sender)
            .collect();
        due_senders
            .into_iter()
            .map(|sender| due(sender, self.batches.remove(&sender).expect("listed")))
            .collect()
    }

    /// The receipts of every batch.
    pub(super) fn take_all(&mut self) -> Vec<Due> {
        std::mem::take(&mut self.batches)
            .into_iter()
            .map(|(sender, batch)| due(sender, batch))
            .collect()
    }
}

fn due(to: Identity, batch: Batch) -> Due {
    Due {
        to,
        key: batch.key,
        receipt: Message::DeliveryReceipt(DeliveryReceipt {
            status: ReceiptStatus::Received,
            message_ids: batch.ids,
        }),
    }
}
