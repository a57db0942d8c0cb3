//! Expiry order of queued messages (RELAY-10): one FIFO per TTL class.
//!
//! Within a class every message lives equally long and the core's time never goes back, so
//! acceptance order is expiry order and a FIFO of arena references is an exact expiry queue.
//! Messages that leave early (acked, dropped) leave a stale reference behind; it is skipped
//! when it reaches the front, and the FIFO is compacted once stale references outnumber live
//! ones three to one, so memory stays within a small multiple of the queued messages and each
//! acceptance pays at most 1.5 liveness checks for compaction, amortised.

use std::collections::VecDeque;

/// Stale references tolerated before compaction, beyond three times the live count.
const COMPACT_SLACK: usize = 4096;

/// A reference to an arena slot as it was when queued: slot index and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NodeRef {
    pub(super) index: u32,
    pub(super) generation: u32,
}

/// The FIFO of one TTL class.
#[derive(Debug, Default)]
pub(super) struct ExpiryFifo {
    refs: VecDeque<NodeRef>,
    live: usize,
}

impl ExpiryFifo {
    /// Records a newly queued message.
    pub(super) fn push(&mut self, node: NodeRef) {
        self.refs.push_back(node);
        // Bounded by the arena, which holds fewer than u32::MAX messages.
        self.live = self.live.saturating_add(1);
    }

    /// Notes that a message of this class left the mailbox (by any route).
    pub(super) fn left(&mut self) {
        self.live = self.live.saturating_sub(1);
    }

    /// Whether compaction is due.
    pub(super) fn needs_compaction(&self) -> bool {
        self.refs.len() > self.live.saturating_mul(3).saturating_add(COMPACT_SLACK)
    }

    /// Drops every reference for which `is_live` says no, keeping order.
    pub(super) fn compact(&mut self, mut is_live: impl FnMut(NodeRef) -> bool) {
        self.refs.retain(|node| is_live(*node));
        self.refs
            .shrink_to(self.refs.len().max(COMPACT_SLACK).saturating_mul(2));
    }

    /// The oldest reference, stale or not.
    pub(super) fn front(&self) -> Option<NodeRef> {
        self.refs.front().copied()
    }

    /// Removes the oldest reference.
    pub(super) fn pop_front(&mut self) {
        self.refs.pop_front();
    }

    /// References held, stale ones included.
    pub(super) fn len(&self) -> usize {
        self.refs.len()
    }
}
