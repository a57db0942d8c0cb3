//! Sending a connected recipient its queue (RELAY-22): in order, a bounded batch at a time, payloads
//! from memory or read back from the store, then queue-send-complete (RELAY-3, RELAY-6,
//! RELAY-20); and blob downloads, chunk by chunk as the socket drains (TR-25).

use std::collections::HashMap;

use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::payload::{BlobChunk, MAX_BLOB_CHUNK_LEN};
use tokio::sync::oneshot;

use super::conn::{Conn, WRITE_LOW_WATER};
use super::entry::Item;
use crate::core::Delivery;
use crate::store::{RecordId, StoreError, StoredMessage};

/// Messages taken from the core in one batch.
const BATCH_MESSAGES: usize = 64;

/// Payloads read back from the store, by record.
pub(crate) type Fetched = Result<HashMap<RecordId, Vec<u8>>, StoreError>;

/// A batch whose stored payloads are being read back from the store.
pub(crate) struct Fetch {
    batch: Vec<Delivery<Item>>,
    answer: oneshot::Receiver<Result<Result<Vec<StoredMessage>, StoreError>, StoreError>>,
}

impl Fetch {
    /// Waits for the store's answer.
    pub(crate) async fn wait(&mut self) -> Fetched {
        let page = (&mut self.answer).await.map_err(|_| StoreError::Closed)??;
        let page = page?;
        Ok(page
            .into_iter()
            .map(|stored| (stored.id, stored.message.payload))
            .collect())
    }
}

impl Conn {
    /// Takes the next batch from the recipient's mailbox while the socket keeps up.
    pub(crate) fn deliver(&mut self) {
        let Some(mailbox) = self.mailbox else {
            return;
        };
        if self.fetch.is_some() || self.ending.is_some() || self.wbuf.len() >= WRITE_LOW_WATER {
            return;
        }
        let batch = self.shared.hub.next_deliveries(
            self.clock.now(),
            mailbox,
            BATCH_MESSAGES,
            WRITE_LOW_WATER - self.wbuf.len(),
        );
        if batch.is_empty() {
            if !self.queue_complete_sent {
                // RELAY-3: the queue has been transmitted once.
                self.queue_complete_sent = true;
                self.transmit(&Payload::QueueSendComplete);
            }
            return;
        }
        let missing: Vec<RecordId> = batch
            .iter()
            .filter(|d| d.item.0.payload().is_none())
            .filter_map(|d| d.item.0.record())
            .collect();
        if missing.is_empty() {
            self.send_batch(batch, &HashMap::new());
            return;
        }
        // Records of one recipient follow its queue order (STORE-5): one page holds them.
        let recipient = batch[0].item.0.recipient;
        let limit = batch.len();
        let (reply, answer) = oneshot::channel();
        self.shared.committer.call(
            move |store| store.load_records(&recipient, &missing, limit),
            move |result| drop(reply.send(result)),
        );
        self.fetch = Some(Fetch { batch, answer });
    }

    /// The store answered a fetch: send the batch (messages whose record is gone expired in
    /// the store and are dropped).
    pub(crate) fn send_fetched(&mut self, fetch: Fetch, fetched: Fetched) {
        match fetched {
            Ok(payloads) => self.send_batch(fetch.batch, &payloads),
            Err(_) => self.end(super::ConnectionError::Unavailable),
        }
    }

    fn send_batch(&mut self, batch: Vec<Delivery<Item>>, fetched: &HashMap<RecordId, Vec<u8>>) {
        let mailbox = self
            .mailbox
            .expect("deliveries only to a logged-in connection");
        for delivery in batch {
            let entry = &delivery.item.0;
            let payload = entry.payload().map(|p| p.to_vec()).or_else(|| {
                entry
                    .record()
                    .and_then(|record| fetched.get(&record).cloned())
            });
            match payload {
                Some(payload) => {
                    self.transmit(&Payload::IncomingMessage(payload));
                    if !delivery.awaits_ack {
                        // RELAY-6: gone once transmitted.
                        self.shared.hub.sent_without_ack(entry);
                    }
                }
                None if delivery.awaits_ack => self.shared.hub.drop_in_flight(mailbox, delivery.id),
                None => self.shared.hub.sent_without_ack(entry),
            }
        }
    }

    /// Sends download chunks while the socket keeps up (TR-25, RELAY-20).
    pub(crate) async fn pump_download(&mut self) {
        while self.wbuf.len() < WRITE_LOW_WATER && self.ending.is_none() {
            let Some(download) = self.download.as_mut() else {
                return;
            };
            let request_id = download.request_id;
            match download.next_chunk(MAX_BLOB_CHUNK_LEN).await {
                Ok(Some((offset, data))) => self.transmit(&Payload::BlobDownloadChunk(BlobChunk {
                    request_id,
                    offset,
                    data,
                })),
                Ok(None) | Err(_) => {
                    // A read failure after the response cannot be reported by status; the
                    // client sees a short download and asks again.
                    self.download = None;
                }
            }
        }
    }
}
