//! The relay's durable message buffer (spec/05-relay-storage.md).
//!
//! The relay keeps an end-to-end encrypted message only until its recipient acks it or it
//! expires. This module defines what is kept ([`BufferedMessage`], STORE-1) and one small
//! trait, [`MessageStore`], with three implementations:
//!
//! - [`LogStore`]: the default, an append-only segmented log of our own with one `fdatasync`
//!   per commit, in-place erasure on delete and segment removal (STORE-2 to STORE-10);
//! - [`MemoryStore`]: the same behaviour without durability, for tests and the simulator;
//! - any later networked store, which only has to implement the trait.
//!
//! A store is single-threaded (`&mut self`). [`Committer`] owns one on a thread of its own
//! and turns concurrent appends and deletes into group commits: one durable write for many
//! requests, bounded in records, bytes and waiting time (STORE-11). It calls a completion
//! closure per request, so a tokio server can wrap it with a oneshot channel and the
//! default build needs no async runtime.
//!
//! # Driving it
//! 1. [`LogStore::open`] the data directory; recovery (STORE-8) rebuilds the index.
//! 2. [`Committer::spawn`] it; clone [`CommitHandle`]s to the connection tasks.
//! 3. Append each message not delivered at once and ack the sender when the completion
//!    reports it durable; delete it when the recipient acks; call `expire` and `maintain`
//!    periodically through [`CommitHandle::call`].
//! 4. [`Committer::shutdown`] finishes every queued commit and returns the store.
//!
//! # Errors
//! One enum, [`StoreError`], split by cause, each variant with a stable `code()`. A corrupt
//! file is an error, never a panic; a failed write or flush poisons the store (STORE-7).

mod committer;
mod error;
mod index;
mod log;
mod memory;
pub mod record;

pub use committer::{CommitHandle, Committer, CommitterConfig};
pub use error::StoreError;
pub use log::{LogStore, LogStoreConfig, LostRange, RecoveryReport, RefusedSegment};
pub use memory::MemoryStore;
pub use record::{BufferedMessage, MAX_PAYLOAD_LEN, RecordId, StoredMessage};

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

/// The outcome of one commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// The record IDs of the appended messages, in the order they were given.
    pub ids: Vec<RecordId>,
    /// How many of the given IDs named a stored message and were deleted (STORE-6).
    pub deleted: usize,
}

/// A message removed because its deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// Its record ID.
    pub id: RecordId,
    /// Whose queue it was in.
    pub recipient: Identity,
}

/// Counts and sizes of what a store holds (STORE-10).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Buffered messages.
    pub messages: u64,
    /// Sum of their payload lengths.
    pub payload_bytes: u64,
    /// Recipients with at least one buffered message.
    pub recipients: u64,
    /// Bytes in the data directory's segment files (zero for a memory store).
    pub disk_bytes: u64,
    /// Of those, bytes of deleted records not yet removed by maintenance (STORE-6).
    pub dead_bytes: u64,
    /// Segment files (zero for a memory store).
    pub segments: u64,
}

/// What one recipient's queue holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Buffered messages.
    pub messages: u64,
    /// Sum of their payload lengths.
    pub payload_bytes: u64,
}

/// What a maintenance pass did (STORE-6, STORE-9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Segment files removed because every record in them was dead.
    pub segments_removed: u64,
    /// Segment files rewritten because at least half their bytes were dead.
    pub segments_compacted: u64,
    /// Live records copied by those rewrites.
    pub records_moved: u64,
    /// Bytes the data directory shrank by.
    pub bytes_reclaimed: u64,
}

/// One queued message without its payload: what a relay node needs to queue it in memory
/// and fetch the payload when it is sent (spec/09-relay-cluster.md, CLU-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedRecord {
    /// Its record ID.
    pub id: RecordId,
    /// Whose queue it is in.
    pub recipient: Identity,
    /// Who sent it.
    pub sender: Identity,
    /// The sender's message ID.
    pub message_id: [u8; record::MESSAGE_ID_LEN],
    /// Its header flags.
    pub flags: u8,
    /// When it expires.
    pub deadline: Timestamp,
    /// Its payload's length.
    pub len: u32,
}

/// A durable buffer of messages awaiting their recipients.
///
/// Implementations behave identically apart from durability (the tests run the same
/// scenarios on each). Every method that changes the store returns only once the change is
/// durable in the implementation's sense (STORE-7).
pub trait MessageStore: Send {
    /// Appends `appends` and deletes `deletes` as one commit, and returns once all of it is
    /// durable. IDs that name no stored message are ignored, so a repeated ack is harmless.
    ///
    /// # Errors
    /// [`StoreError::PayloadTooLarge`] before anything is written; an I/O error (after which
    /// the store is poisoned).
    fn commit(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<Committed, StoreError>;

    /// Up to `limit` of one recipient's buffered messages, oldest first, starting after
    /// record `after` (from the start when `None`): a relay delivers a long queue page by
    /// page instead of holding it all in memory (STORE-5).
    ///
    /// # Errors
    /// A read failure, or [`StoreError::Corrupt`] if a record no longer passes its checksum.
    fn load_queue_page(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    /// The stored messages among `ids` (all of one recipient, in its queue order, the first
    /// at least `ids[0]`), oldest first; IDs no longer stored are left out. `span` is how
    /// many of the recipient's records from `ids[0]` on cover them all: the default reads
    /// one page of that length (STORE-5), a store whose queue may hold records the caller
    /// does not (a cluster node's, CLU-9) reads by ID.
    ///
    /// # Errors
    /// As [`MessageStore::load_queue_page`].
    fn load_records(
        &self,
        recipient: &Identity,
        ids: &[RecordId],
        span: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let Some(first) = ids.first() else {
            return Ok(Vec::new());
        };
        self.load_queue_page(recipient, Some(RecordId(first.0.saturating_sub(1))), span)
    }

    /// One recipient's whole queue, oldest first.
    ///
    /// # Errors
    /// As [`MessageStore::load_queue_page`].
    fn load_queue(&self, recipient: &Identity) -> Result<Vec<StoredMessage>, StoreError> {
        self.load_queue_page(recipient, None, usize::MAX)
    }

    /// Up to `limit` of one recipient's buffered messages without their payloads, oldest
    /// first, after record `after` (from the start when `None`): the page read of a cluster
    /// node's mirror (CLU-14). The default reads the queue page by page and drops the
    /// payloads.
    ///
    /// # Errors
    /// As [`MessageStore::load_queue_page`].
    fn queue_index(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<QueuedRecord>, StoreError> {
        let mut out = Vec::new();
        let mut after = after;
        while out.len() < limit {
            let page =
                self.load_queue_page(recipient, after, limit.saturating_sub(out.len()).min(256))?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id);
            out.extend(page.iter().map(|stored| QueuedRecord {
                id: stored.id,
                recipient: stored.message.recipient,
                sender: stored.message.sender,
                message_id: stored.message.message_id,
                flags: stored.message.flags,
                deadline: stored.message.deadline,
                len: u32::try_from(stored.message.payload.len()).unwrap_or(u32::MAX),
            }));
        }
        Ok(out)
    }

    /// The stored messages among `ids`, each of the recipient it is named with, in record
    /// order; IDs no longer stored are left out: the wake-up read of a cluster node (CLU-14).
    /// The default reads each record on its own; the PostgreSQL store reads all in one
    /// statement.
    ///
    /// # Errors
    /// As [`MessageStore::load_queue_page`].
    fn load_announced(
        &self,
        ids: &[(Identity, RecordId)],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut out = Vec::new();
        for (recipient, id) in ids {
            let after = id.0.checked_sub(1).map(RecordId);
            out.extend(
                self.load_queue_page(recipient, after, 1)?
                    .into_iter()
                    .filter(|stored| stored.id == *id),
            );
        }
        out.sort_by_key(|stored| stored.id);
        out.dedup_by_key(|stored| stored.id);
        Ok(out)
    }

    /// Every recipient with at least one buffered message, in identity order.
    fn recipients(&self) -> Vec<Identity>;

    /// Counts and bytes of one recipient's queue.
    fn queue_stats(&self, recipient: &Identity) -> QueueStats;

    /// Deletes every message whose deadline is at or before `now`, durably, and says which.
    ///
    /// # Errors
    /// As [`MessageStore::commit`].
    fn expire(&mut self, now: Timestamp) -> Result<Vec<Expired>, StoreError>;

    /// Reclaims the space of deleted records (STORE-9). Cheap when there is nothing to do.
    ///
    /// # Errors
    /// An I/O error (after which the store is poisoned).
    fn maintain(&mut self) -> Result<Maintenance, StoreError>;

    /// What the store holds.
    fn stats(&self) -> StoreStats;

    /// Writes a commit like [`MessageStore::commit`] but returns before it is durable, with
    /// a [`PendingFlush`] that makes it durable and may run on another thread, so that
    /// several flushes can be in flight at once (STORE-11). Until the flush returns, the
    /// commit's records may already be read but MUST NOT be acknowledged. The default
    /// commits durably and returns a flush with nothing left to do.
    ///
    /// # Errors
    /// As [`MessageStore::commit`].
    fn write_commit(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<(Committed, Box<dyn PendingFlush>), StoreError> {
        let committed = self.commit(appends, deletes)?;
        Ok((committed, Box::new(AlreadyDurable)))
    }

    /// Appends messages as one commit: [`MessageStore::commit`] without deletes.
    ///
    /// # Errors
    /// As [`MessageStore::commit`].
    fn append(&mut self, messages: &[BufferedMessage]) -> Result<Vec<RecordId>, StoreError> {
        self.commit(messages, &[]).map(|c| c.ids)
    }

    /// Deletes messages as one commit: [`MessageStore::commit`] without appends.
    ///
    /// # Errors
    /// As [`MessageStore::commit`].
    fn delete(&mut self, ids: &[RecordId]) -> Result<usize, StoreError> {
        self.commit(&[], ids).map(|c| c.deleted)
    }
}

/// The second half of [`MessageStore::write_commit`]: makes a written commit durable.
pub trait PendingFlush: Send {
    /// Returns once the commit is durable (STORE-7).
    ///
    /// # Errors
    /// The flush failed; the store is poisoned.
    fn wait_durable(self: Box<Self>) -> Result<(), StoreError>;
}

/// A commit that was durable when it was written.
#[derive(Debug, Clone, Copy)]
pub struct AlreadyDurable;

impl PendingFlush for AlreadyDurable {
    fn wait_durable(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Rejects a commit whose payloads the store cannot hold, before anything is written.
pub(crate) fn check_payloads(appends: &[BufferedMessage]) -> Result<(), StoreError> {
    // STORE-4: the payload limit.
    match appends.iter().find(|m| m.payload.len() > MAX_PAYLOAD_LEN) {
        Some(m) => Err(StoreError::PayloadTooLarge {
            len: m.payload.len(),
            max: MAX_PAYLOAD_LEN,
        }),
        None => Ok(()),
    }
}

/// Reserves `count` record IDs starting at `*next_id` and advances it past them (STORE-5).
/// IDs stay below `u64::MAX`, so `*next_id` never wraps and no ID is assigned twice.
///
/// # Errors
/// [`StoreError::IdsExhausted`] when the IDs would pass `u64::MAX - 1` (only a store whose
/// files carry an ID near the top of the range, written by something else, gets there).
pub(crate) fn reserve_ids(
    next_id: &mut u64,
    count: usize,
) -> Result<core::ops::Range<u64>, StoreError> {
    let end = u64::try_from(count)
        .ok()
        .and_then(|count| next_id.checked_add(count))
        .ok_or(StoreError::IdsExhausted)?;
    let ids = *next_id..end;
    *next_id = end;
    Ok(ids)
}
