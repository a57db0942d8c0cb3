//! The in-memory index both stores keep: records by ID, queues by recipient, deadlines in
//! order (STORE-5, STORE-10).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

use super::{Expired, QueueStats, RecordId};

/// One indexed message: what the queues need, and where the store keeps the rest (`V`).
#[derive(Debug, Clone)]
pub(crate) struct Entry<V> {
    pub(crate) recipient: Identity,
    pub(crate) deadline: Timestamp,
    pub(crate) payload_len: u64,
    pub(crate) value: V,
}

/// Records by ID, each recipient's queue in ID order, and deadlines in time order.
#[derive(Debug)]
pub(crate) struct Index<V> {
    by_id: BTreeMap<RecordId, Entry<V>>,
    queues: BTreeMap<Identity, (BTreeSet<RecordId>, QueueStats)>,
    deadlines: BTreeSet<(Timestamp, RecordId)>,
    payload_bytes: u64,
}

impl<V> Default for Index<V> {
    fn default() -> Self {
        Self {
            by_id: BTreeMap::new(),
            queues: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            payload_bytes: 0,
        }
    }
}

impl<V> Index<V> {
    /// Adds a record, replacing (and returning) any entry with the same ID.
    pub(crate) fn insert(&mut self, id: RecordId, entry: Entry<V>) -> Option<Entry<V>> {
        let old = self.remove(id);
        let (queue, stats) = self.queues.entry(entry.recipient).or_default();
        queue.insert(id);
        // Counts and byte sums of what is stored: bounded far below u64::MAX by the disk.
        stats.messages = stats.messages.saturating_add(1);
        stats.payload_bytes = stats.payload_bytes.saturating_add(entry.payload_len);
        self.payload_bytes = self.payload_bytes.saturating_add(entry.payload_len);
        self.deadlines.insert((entry.deadline, id));
        self.by_id.insert(id, entry);
        old
    }

    /// Removes a record and returns its entry, or `None` for an unknown ID.
    pub(crate) fn remove(&mut self, id: RecordId) -> Option<Entry<V>> {
        let entry = self.by_id.remove(&id)?;
        self.deadlines.remove(&(entry.deadline, id));
        // The entry was counted in by `insert`, so these never saturate.
        self.payload_bytes = self.payload_bytes.saturating_sub(entry.payload_len);
        if let Some((queue, stats)) = self.queues.get_mut(&entry.recipient) {
            queue.remove(&id);
            stats.messages = stats.messages.saturating_sub(1);
            stats.payload_bytes = stats.payload_bytes.saturating_sub(entry.payload_len);
            if queue.is_empty() {
                self.queues.remove(&entry.recipient);
            }
        }
        Some(entry)
    }

    pub(crate) fn get(&self, id: RecordId) -> Option<&Entry<V>> {
        self.by_id.get(&id)
    }

    pub(crate) fn get_mut(&mut self, id: RecordId) -> Option<&mut Entry<V>> {
        self.by_id.get_mut(&id)
    }

    /// A recipient's record IDs after `after` (all when `None`), oldest first.
    pub(crate) fn queue(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
    ) -> impl Iterator<Item = RecordId> + '_ {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.queues
            .get(recipient)
            .into_iter()
            .flat_map(move |(queue, _)| queue.range((start, Bound::Unbounded)).copied())
    }

    pub(crate) fn queue_stats(&self, recipient: Identity) -> QueueStats {
        self.queues
            .get(&recipient)
            .map(|(_, stats)| *stats)
            .unwrap_or_default()
    }

    pub(crate) fn recipients(&self) -> Vec<Identity> {
        self.queues.keys().copied().collect()
    }

    /// Records whose deadline is at or before `now`, earliest first.
    pub(crate) fn due(&self, now: Timestamp) -> Vec<Expired> {
        self.deadlines
            .range(..=(now, RecordId(u64::MAX)))
            .filter_map(|&(_, id)| {
                self.by_id.get(&id).map(|entry| Expired {
                    id,
                    recipient: entry.recipient,
                })
            })
            .collect()
    }

    pub(crate) fn len(&self) -> u64 {
        self.by_id.len() as u64
    }

    pub(crate) fn payload_bytes(&self) -> u64 {
        self.payload_bytes
    }

    pub(crate) fn recipient_count(&self) -> u64 {
        self.queues.len() as u64
    }

    /// Every entry in ID order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RecordId, &Entry<V>)> {
        self.by_id.iter().map(|(id, entry)| (*id, entry))
    }
}
