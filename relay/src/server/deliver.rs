//! Sending a connected recipient its queue (RELAY-22): in order, a bounded batch at a time,
//! payloads from memory or read back from the store, then queue-send-complete (RELAY-3,
//! RELAY-6, RELAY-20). [`Deliveries`] decides what to send; the connection seals and writes it.

use std::collections::HashMap;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::Payload;
use tokio::sync::oneshot;

use super::Shared;
use super::entry::Item;
use crate::core::{Delivery, MailboxId};
use crate::store::{RecordId, StoreError, StoredMessage};

/// Messages taken from the core in one batch.
const BATCH_MESSAGES: usize = 64;

/// Payloads read back from the store, by record.
pub(crate) type Fetched = Result<HashMap<RecordId, Vec<u8>>, StoreError>;

/// A batch whose stored payloads are being read back from the store.
struct Fetch {
    batch: Vec<Delivery<Item>>,
    answer: oneshot::Receiver<Result<Result<Vec<StoredMessage>, StoreError>, StoreError>>,
}

/// One connection's delivery of its recipient's queue.
#[derive(Default)]
pub(crate) struct Deliveries {
    /// The batch waiting for the store, if any: nothing more is taken until it is sent.
    fetch: Option<Fetch>,
    /// RELAY-3: queue-send-complete goes once per connection.
    queue_complete_sent: bool,
}

impl Deliveries {
    /// Whether a batch waits for the store.
    pub(crate) fn is_fetching(&self) -> bool {
        self.fetch.is_some()
    }

    /// Takes the next batch from `mailbox` (at most about `room` bytes) and returns the
    /// payloads to transmit, in order; empty while a batch waits for the store.
    pub(crate) fn next(
        &mut self,
        shared: &Shared,
        now: Timestamp,
        (identity, mailbox): (Identity, MailboxId),
        room: usize,
    ) -> Vec<Payload> {
        if self.fetch.is_some() {
            return Vec::new();
        }
        let batch = shared
            .hub
            .next_deliveries(now, mailbox, BATCH_MESSAGES, room);
        if batch.is_empty() {
            if self.queue_complete_sent || !shared.hub.queue_complete(identity) {
                // CLU-14: a cluster node's mirror still reads pages; it wakes us with them.
                return Vec::new();
            }
            // RELAY-3: the queue has been transmitted once.
            self.queue_complete_sent = true;
            return vec![Payload::QueueSendComplete];
        }
        let missing: Vec<RecordId> = batch
            .iter()
            .filter(|d| d.item.0.payload().is_none())
            .filter_map(|d| d.item.0.record())
            .collect();
        // A missing record comes from the batch, so the batch has a first entry whenever
        // `missing` does.
        let first_recipient = batch.first().map(|d| d.item.0.recipient);
        let Some(recipient) = first_recipient.filter(|_| !missing.is_empty()) else {
            return settle(shared, mailbox, batch, &HashMap::new());
        };
        // Records of one recipient follow its queue order (STORE-5): one page holds them.
        let limit = batch.len();
        let (reply, answer) = oneshot::channel();
        shared.committer.call(
            move |store| store.load_records(&recipient, &missing, limit),
            move |result| drop(reply.send(result)),
        );
        self.fetch = Some(Fetch { batch, answer });
        Vec::new()
    }

    /// Waits for the store's answer to the pending fetch; never returns without one.
    pub(crate) async fn wait(&mut self) -> Fetched {
        match &mut self.fetch {
            Some(fetch) => {
                let page = (&mut fetch.answer)
                    .await
                    .map_err(|_| StoreError::Closed)??;
                Ok(page?
                    .into_iter()
                    .map(|stored| (stored.id, stored.message.payload))
                    .collect())
            }
            None => std::future::pending().await,
        }
    }

    /// The store answered: the batch's payloads to transmit (messages whose record is gone
    /// expired in the store and are dropped).
    ///
    /// # Errors
    /// The store's error: the connection ends as `unavailable`.
    pub(crate) fn fetched(
        &mut self,
        shared: &Shared,
        mailbox: MailboxId,
        fetched: Fetched,
    ) -> Result<Vec<Payload>, StoreError> {
        let Some(fetch) = self.fetch.take() else {
            return Ok(Vec::new());
        };
        Ok(settle(shared, mailbox, fetch.batch, &fetched?))
    }
}

/// The payloads of a batch, settling in the hub what leaves the core once transmitted
/// (RELAY-6) or whose record is gone.
fn settle(
    shared: &Shared,
    mailbox: MailboxId,
    batch: Vec<Delivery<Item>>,
    fetched: &HashMap<RecordId, Vec<u8>>,
) -> Vec<Payload> {
    let mut out = Vec::with_capacity(batch.len());
    for delivery in batch {
        let entry = &delivery.item.0;
        let payload = entry.payload().map(|p| p.to_vec()).or_else(|| {
            entry
                .record()
                .and_then(|record| fetched.get(&record).cloned())
        });
        match payload {
            Some(payload) => {
                out.push(Payload::IncomingMessage(payload));
                if !delivery.awaits_ack {
                    // RELAY-6: gone once transmitted (the caller transmits before it next
                    // yields, so nothing observes the gap).
                    shared.hub.sent_without_ack(entry);
                }
            }
            None if delivery.awaits_ack => shared.hub.drop_in_flight(mailbox, delivery.id),
            None => shared.hub.sent_without_ack(entry),
        }
    }
    out
}
