//! An in-memory [`MessageStore`] for tests and the simulator: the log store's behaviour
//! without its files (spec/05-relay-storage.md, STORE-10).

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

use super::index::{Entry, Index};
use super::{
    BufferedMessage, Committed, Expired, Maintenance, MessageStore, QueueStats, RecordId,
    StoreError, StoreStats, StoredMessage, check_payloads, reserve_ids,
};

/// Messages held in memory. Nothing survives the process; everything else (ID order,
/// deletion, expiry, the payload limit) matches [`LogStore`](super::LogStore).
#[derive(Debug, Default)]
pub struct MemoryStore {
    index: Index<BufferedMessage>,
    next_id: u64,
}

impl MemoryStore {
    /// An empty store whose first record ID is 1.
    #[must_use]
    pub fn new() -> Self {
        Self {
            index: Index::default(),
            next_id: 1,
        }
    }
}

impl MessageStore for MemoryStore {
    fn commit(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<Committed, StoreError> {
        check_payloads(appends)?;
        let mut ids = Vec::with_capacity(appends.len());
        for (message, id) in appends
            .iter()
            .zip(reserve_ids(&mut self.next_id, appends.len())?)
        {
            let id = RecordId(id);
            let entry = Entry {
                recipient: message.recipient,
                deadline: message.deadline,
                payload_len: message.payload.len() as u64,
                value: message.clone(),
            };
            self.index.insert(id, entry);
            ids.push(id);
        }
        let erased = deletes
            .iter()
            .filter(|&&id| self.index.remove(id).is_some())
            .count();
        Ok(Committed {
            ids,
            deleted: erased,
        })
    }

    fn load_queue_page(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self
            .index
            .queue(recipient, after)
            .take(limit)
            .filter_map(|id| {
                self.index.get(id).map(|entry| StoredMessage {
                    id,
                    message: entry.value.clone(),
                })
            })
            .collect())
    }

    fn recipients(&self) -> Vec<Identity> {
        self.index.recipients()
    }

    fn queue_stats(&self, recipient: &Identity) -> QueueStats {
        self.index.queue_stats(*recipient)
    }

    fn expire(&mut self, now: Timestamp) -> Result<Vec<Expired>, StoreError> {
        let due = self.index.due(now);
        for expired in &due {
            self.index.remove(expired.id);
        }
        Ok(due)
    }

    fn maintain(&mut self) -> Result<Maintenance, StoreError> {
        Ok(Maintenance::default())
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            messages: self.index.len(),
            payload_bytes: self.index.payload_bytes(),
            recipients: self.index.recipient_count(),
            ..StoreStats::default()
        }
    }
}
