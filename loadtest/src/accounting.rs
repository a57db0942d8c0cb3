//! Exact accounting of every message by its message ID: sent, acked, delivered, lost
//! (acked but never delivered by the end of the drain) and duplicated (delivered twice).

use std::collections::HashMap;
use std::collections::hash_map;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Shards of the ledger, so concurrent tasks rarely meet on one lock.
const SHARDS: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Entry {
    sent_us: u64,
    recipient_online: bool,
    measured: bool,
    acked: bool,
    deliveries: u32,
}

/// What a delivery tells the caller: when the message was sent and whether its latency
/// counts (recipient online at send time, sent inside the measured phase).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Send time, µs since the run's start.
    pub sent_us: u64,
    /// First delivery of this ID.
    pub first: bool,
    /// The latency belongs in the send-to-deliver histogram.
    pub measured_online: bool,
}

/// Every message of a run, by message ID.
#[derive(Debug)]
pub struct Ledger {
    shards: Vec<Mutex<HashMap<u64, Entry>>>,
    unknown_deliveries: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
}

/// The final counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages handed to a client to send.
    pub sent: u64,
    /// Acked by the relay (durable or delivered, RELAY-13).
    pub acked: u64,
    /// Delivered at least once.
    pub delivered: u64,
    /// Acked but never delivered: a broken promise.
    pub lost: u64,
    /// Extra deliveries of an ID already delivered.
    pub duplicated: u64,
    /// Refused by the relay with an alert (RELAY-16).
    pub refused: u64,
    /// The connection ended before the ack.
    pub failed: u64,
    /// Neither acked nor refused nor failed (still awaiting the ack at the end).
    pub unacked: u64,
    /// Delivered without having been acked (allowed: the ack was in flight or its
    /// connection ended).
    pub delivered_unacked: u64,
    /// Deliveries of IDs this run never sent.
    pub unknown: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            unknown_deliveries: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }
}

impl Ledger {
    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        // IDs carry a per-sender counter in their low bits: those spread over the shards.
        let index = usize::try_from(id % SHARDS as u64).expect("below SHARDS");
        self.shards[index]
            .lock()
            .expect("no panic under a ledger lock")
    }

    /// Records a message about to be sent. Returns false if the ID was already used (a bug
    /// in the ID scheme: the caller must not send it).
    pub fn sent(&self, id: u64, sent_us: u64, recipient_online: bool, measured: bool) -> bool {
        match self.shard(id).entry(id) {
            hash_map::Entry::Occupied(_) => false,
            hash_map::Entry::Vacant(slot) => {
                slot.insert(Entry {
                    sent_us,
                    recipient_online,
                    measured,
                    acked: false,
                    deliveries: 0,
                });
                true
            }
        }
    }

    /// The relay acked it.
    pub fn acked(&self, id: u64) {
        if let Some(entry) = self.shard(id).get_mut(&id) {
            entry.acked = true;
        }
    }

    /// The relay refused it (RELAY-16).
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Its connection ended before the ack.
    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// A recipient received it; `None` for an ID never sent.
    pub fn delivered(&self, id: u64) -> Option<Delivered> {
        let mut shard = self.shard(id);
        let Some(entry) = shard.get_mut(&id) else {
            drop(shard);
            self.unknown_deliveries.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        entry.deliveries += 1;
        Some(Delivered {
            sent_us: entry.sent_us,
            first: entry.deliveries == 1,
            measured_online: entry.measured && entry.recipient_online,
        })
    }

    /// Acked messages not yet delivered.
    #[must_use]
    pub fn outstanding(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| {
                let shard = s.lock().expect("no panic under a ledger lock");
                shard
                    .values()
                    .filter(|e| e.acked && e.deliveries == 0)
                    .count() as u64
            })
            .sum()
    }

    /// The IDs of acked messages not yet delivered (a checkpoint after a fault).
    #[must_use]
    pub fn acked_undelivered(&self) -> Vec<u64> {
        let mut ids = Vec::new();
        for shard in &self.shards {
            let shard = shard.lock().expect("no panic under a ledger lock");
            ids.extend(
                shard
                    .iter()
                    .filter(|(_, e)| e.acked && e.deliveries == 0)
                    .map(|(id, _)| *id),
            );
        }
        ids
    }

    /// How many of `ids` are still undelivered.
    #[must_use]
    pub fn undelivered_of(&self, ids: &[u64]) -> u64 {
        ids.iter()
            .filter(|&&id| self.shard(id).get(&id).is_some_and(|e| e.deliveries == 0))
            .count() as u64
    }

    /// The counts now; at the end of the drain, `lost` is final.
    #[must_use]
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            refused: self.refused.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            unknown: self.unknown_deliveries.load(Ordering::Relaxed),
            ..Counts::default()
        };
        for shard in &self.shards {
            for entry in shard.lock().expect("no panic under a ledger lock").values() {
                counts.sent += 1;
                counts.acked += u64::from(entry.acked);
                counts.delivered += u64::from(entry.deliveries > 0);
                counts.duplicated += u64::from(entry.deliveries.saturating_sub(1));
                counts.lost += u64::from(entry.acked && entry.deliveries == 0);
                counts.delivered_unacked += u64::from(!entry.acked && entry.deliveries > 0);
            }
        }
        counts.unacked = counts
            .sent
            .saturating_sub(counts.acked + counts.refused + counts.failed);
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_a_clean_run_exactly() {
        let ledger = Ledger::default();
        for id in 0..100 {
            assert!(ledger.sent(id, id, true, true));
            ledger.acked(id);
            let d = ledger.delivered(id).expect("known");
            assert!(d.first && d.measured_online);
        }
        let c = ledger.counts();
        assert_eq!((c.sent, c.acked, c.delivered), (100, 100, 100));
        assert_eq!((c.lost, c.duplicated, c.unknown, c.unacked), (0, 0, 0, 0));
    }

    #[test]
    fn detects_loss_duplicates_and_strangers() {
        let ledger = Ledger::default();
        ledger.sent(1, 0, true, true);
        ledger.sent(2, 0, false, true);
        ledger.sent(3, 0, true, true);
        ledger.acked(1);
        ledger.acked(2);
        assert!(ledger.delivered(2).expect("known").first);
        assert!(!ledger.delivered(2).expect("known").first);
        assert!(ledger.delivered(99).is_none());
        let c = ledger.counts();
        assert_eq!(c.lost, 1, "1 was acked and never delivered");
        assert_eq!(c.duplicated, 1, "2 was delivered twice");
        assert_eq!(c.unknown, 1);
        assert_eq!(c.unacked, 1, "3 is still awaiting its ack");
        assert_eq!(ledger.outstanding(), 1);
        assert_eq!(ledger.acked_undelivered(), vec![1]);
        assert_eq!(ledger.undelivered_of(&[1, 2]), 1);
    }

    #[test]
    fn refuses_a_reused_id() {
        let ledger = Ledger::default();
        assert!(ledger.sent(7, 0, true, true));
        assert!(!ledger.sent(7, 1, true, true));
    }
}
