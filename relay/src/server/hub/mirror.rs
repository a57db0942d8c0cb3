//! A cluster node's mirror of the queues it serves (spec/09-relay-cluster.md, CLU-14): page
//! reads from a per-identity cursor, wake-up reads of the rows notifications announced, and
//! which of their rows may be queued when.
//!
//! ```text
//!            restart (login, listener back, failed wake-up read, safety net)
//!                 │ cursor 0, page read in flight
//!                 v
//!  ┌──> Paging { cursor } ──page read, full──> Paging { last ID of the page }
//!  │          │  wake-up rows above the cursor are left to the next page read,
//!  │          │  which is asked for whenever less than half a page is in memory
//!  │          └─page read, not full──> Complete: every announced row is queued
//!  └── two pages in memory (cursor: just below the first row not queued) ───┘
//! ```
//!
//! Every read runs on the committer thread, and its rows are queued there, in the order the
//! reads were requested: a deletion queued before a read has been committed when it runs,
//! and one queued after it is still in `deleting` when its rows are queued.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

use super::{Hub, HubState};
use crate::core::{Flags, MailboxId};
use crate::server::entry::{Entry, Item, Stage};
use crate::store::{QueuedRecord, RecordId, StoreError, StoredMessage};

/// Where the mirror of one watched identity stands.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mirror {
    /// `None`: complete. `Some(id)`: every committed row at or below `id` has been queued
    /// or deleted; rows above it may not have been read.
    cursor: Option<RecordId>,
    /// The ticket of the page read whose result counts, while it is in flight.
    page: Option<u64>,
    /// The next page read was asked for and not yet started.
    asked: bool,
}

impl Mirror {
    /// A mirror that has read nothing yet.
    pub(crate) fn unread() -> Self {
        Self {
            cursor: Some(RecordId(0)),
            page: None,
            asked: false,
        }
    }
}

/// A page read to run: whose queue, after which record, how many rows at most, and the
/// ticket its result carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRead {
    /// The watched identity.
    pub(crate) identity: Identity,
    /// Rows above this record are read.
    pub(crate) after: RecordId,
    /// Rows read at most (`--page-rows`); a page this long may not be the last.
    pub(crate) limit: usize,
    /// Identifies the read; a result whose ticket no longer counts is discarded.
    pub(crate) ticket: u64,
}

/// What became of a page read's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageOutcome {
    /// Its rows were queued and the cursor moved.
    Applied,
    /// The mirror restarted (or stopped) meanwhile; nothing was done.
    Discarded,
    /// The read failed; the caller retries it after a pause.
    Failed,
}

impl Hub {
    /// CLU-14: rows per page read.
    fn page_rows(&self) -> usize {
        self.hooks
            .as_ref()
            .map_or(2, |hooks| hooks.page_rows.max(2))
    }

    /// CLU-14: below this many messages in memory, an incomplete mirror reads its next page.
    fn low_water(&self) -> u32 {
        u32::try_from(self.page_rows() / 2).unwrap_or(u32::MAX)
    }

    /// Above this many messages in memory, a complete mirror stops queueing announced rows
    /// and leaves them to page reads, so that a recipient that reads slowly does not fill
    /// the node's memory.
    fn high_water(&self) -> u32 {
        u32::try_from(self.page_rows().saturating_mul(2)).unwrap_or(u32::MAX)
    }

    /// CLU-14: the mirror of a watched identity restarts from record 0 (a login, a failed
    /// wake-up read, the safety net). Returns the page read to run.
    pub(crate) fn restart(&self, identity: Identity) -> Option<PageRead> {
        let mut state = self.lock();
        self.restart_locked(&mut state, identity)
    }

    fn restart_locked(&self, state: &mut HubState, identity: Identity) -> Option<PageRead> {
        let watch = state.watched.get_mut(&identity)?;
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        watch.mirror = Mirror {
            cursor: Some(RecordId(0)),
            page: Some(ticket),
            asked: false,
        };
        Some(PageRead {
            identity,
            after: RecordId(0),
            limit: self.page_rows(),
            ticket,
        })
    }

    /// CLU-14: the listening connection is lost: every mirror goes back to record 0 at
    /// once, and no page read starts until [`Hub::resume_mirroring`].
    pub(crate) fn pause_mirroring(&self) {
        let mut state = self.lock();
        state.listening = false;
        for watch in state.watched.values_mut() {
            watch.mirror = Mirror::unread();
        }
    }

    /// CLU-14: `LISTEN` succeeded: every mirror restarts. Returns the page reads to run.
    pub(crate) fn resume_mirroring(&self) -> Vec<PageRead> {
        let mut state = self.lock();
        state.listening = true;
        let watched: Vec<Identity> = state.watched.keys().copied().collect();
        watched
            .into_iter()
            .filter_map(|identity| self.restart_locked(&mut state, identity))
            .collect()
    }

    /// CLU-14: the next page read of an incomplete mirror, unless one is in flight or the
    /// node is not listening.
    pub(crate) fn next_page(&self, identity: Identity) -> Option<PageRead> {
        let mut state = self.lock();
        let listening = state.listening;
        let watch = state.watched.get_mut(&identity)?;
        watch.mirror.asked = false;
        let after = watch.mirror.cursor?;
        if !listening || watch.mirror.page.is_some() {
            return None;
        }
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        watch.mirror.page = Some(ticket);
        Some(PageRead {
            identity,
            after,
            limit: self.page_rows(),
            ticket,
        })
    }

    /// CLU-14: a page read's result, on the committer thread: queue the rows the node does
    /// not hold, move the cursor, and ask for the next page if the queue is low.
    pub(crate) fn page_loaded(
        &self,
        read: PageRead,
        result: Result<Vec<QueuedRecord>, StoreError>,
    ) -> PageOutcome {
        let deleting = self.deleting.lock().expect("no panic under the set lock");
        let mut state = self.lock();
        let Some(watch) = state.watched.get_mut(&read.identity) else {
            return PageOutcome::Discarded;
        };
        if watch.mirror.page != Some(read.ticket) {
            return PageOutcome::Discarded;
        }
        watch.mirror.page = None;
        let Ok(records) = result else {
            // Retried by the caller; no other page read starts meanwhile.
            watch.mirror.asked = true;
            return PageOutcome::Failed;
        };
        let cursor = if records.len() >= read.limit {
            records.last().map(|record| record.id)
        } else {
            None
        };
        watch.mirror.cursor = cursor;
        let Ok(mailbox) = state.mailbox(read.identity) else {
            return PageOutcome::Applied;
        };
        for record in &records {
            self.queue_row(&mut state, &deleting, mailbox, record, None);
        }
        self.woken(&mut state, read.identity, mailbox);
        PageOutcome::Applied
    }

    /// CLU-14: a wake-up read's rows, on the committer thread. A row is queued if its
    /// identity's mirror is complete or the row lies at or below its cursor; the others are
    /// left to page reads.
    pub(crate) fn rows_arrived(&self, rows: Vec<StoredMessage>) {
        let deleting = self.deleting.lock().expect("no panic under the set lock");
        let mut state = self.lock();
        let mut touched: HashMap<Identity, MailboxId> = HashMap::new();
        for row in rows {
            let identity = row.message.recipient;
            let Some(mirror) = state.watched.get(&identity).map(|w| w.mirror) else {
                continue;
            };
            let Ok(mailbox) = state.mailbox(identity) else {
                continue;
            };
            touched.insert(identity, mailbox);
            let queue = if let Some(cursor) = mirror.cursor {
                row.id <= cursor
            } else {
                let (count, _) = state.mailboxes.queued(mailbox).unwrap_or((0, 0));
                if count >= self.high_water() {
                    // Every row below this one is queued or announced: page reads take
                    // over from here (CLU-14).
                    if let Some(watch) = state.watched.get_mut(&identity) {
                        watch.mirror.cursor = Some(RecordId(row.id.0.saturating_sub(1)));
                    }
                    false
                } else {
                    true
                }
            };
            if queue {
                let message = row.message;
                let record = QueuedRecord {
                    id: row.id,
                    recipient: identity,
                    sender: message.sender,
                    message_id: message.message_id,
                    flags: message.flags,
                    deadline: message.deadline,
                    len: u32::try_from(message.payload.len()).unwrap_or(u32::MAX),
                };
                self.queue_row(
                    &mut state,
                    &deleting,
                    mailbox,
                    &record,
                    Some(message.payload),
                );
            }
        }
        for (identity, mailbox) in touched {
            self.woken(&mut state, identity, mailbox);
        }
    }

    /// RELAY-3 with CLU-14: whether the identity's whole queue is in its mirror, so that
    /// queue-send-complete may follow once the mirror is sent. Asks for the next page when
    /// it is not.
    pub(crate) fn mirror_complete(&self, identity: Identity) -> bool {
        let mut state = self.lock();
        let Some(watch) = state.watched.get(&identity) else {
            return true;
        };
        if watch.mirror.cursor.is_none() {
            return true;
        }
        if let Some(&mailbox) = state.ids.get(&identity) {
            self.ask_if_low(&mut state, identity, mailbox);
        }
        false
    }

    /// After a recipient's ack: the next page if its queue ran low (CLU-14).
    pub(super) fn after_ack(&self, identity: Identity) {
        let mut state = self.lock();
        if let Some(&mailbox) = state.ids.get(&identity) {
            self.ask_if_low(&mut state, identity, mailbox);
        }
    }

    /// Rows were queued for `identity`: wake its connection, and ask for the next page if
    /// its mirror is incomplete and its queue low.
    fn woken(&self, state: &mut HubState, identity: Identity, mailbox: MailboxId) {
        if let Some(owner) = state
            .owners
            .get(mailbox.0 as usize)
            .and_then(Option::as_ref)
        {
            owner.wake();
        }
        self.ask_if_low(state, identity, mailbox);
    }

    fn ask_if_low(&self, state: &mut HubState, identity: Identity, mailbox: MailboxId) {
        let listening = state.listening;
        let (count, _) = state.mailboxes.queued(mailbox).unwrap_or((0, 0));
        let Some(watch) = state.watched.get_mut(&identity) else {
            return;
        };
        let mirror = &mut watch.mirror;
        if listening
            && mirror.cursor.is_some()
            && mirror.page.is_none()
            && !mirror.asked
            && count < self.low_water()
        {
            mirror.asked = true;
            if let Some(hooks) = &self.hooks {
                (hooks.want_page)(identity);
            }
        }
    }

    /// Queues one stored row the node does not hold and is not deleting, in record order.
    fn queue_row(
        &self,
        state: &mut HubState,
        deleting: &HashSet<RecordId>,
        mailbox: MailboxId,
        record: &QueuedRecord,
        payload: Option<Vec<u8>>,
    ) {
        if deleting.contains(&record.id) {
            return;
        }
        let key = (
            mailbox.0,
            record.sender,
            u64::from_le_bytes(record.message_id),
        );
        if state.dedupe.get(&key).is_some_and(|e| e.strong_count() > 0) {
            return;
        }
        let flags = Flags::from_byte(record.flags);
        let lifetime = self.policy.expiry(Timestamp::ZERO, flags).as_millis();
        let accepted = Timestamp::from_millis(record.deadline.as_millis().saturating_sub(lifetime));
        let payload = payload.and_then(|payload| self.cache.keep(payload.into()));
        let entry = Entry::restored(
            record.sender,
            record.recipient,
            key.2,
            record.flags,
            record.len,
            record.deadline,
            record.id,
        );
        if let (Some(cached), Stage::Stored { payload: slot, .. }) =
            (&payload, &mut entry.lock().stage)
        {
            *slot = Some(Arc::clone(cached));
        }
        // Acked by the node that stored it: never refused here (as RELAY-27).
        if state
            .mailboxes
            .restore(accepted, mailbox, flags, Item(Arc::clone(&entry)))
            .is_ok()
        {
            state.dedupe.insert(key, Arc::downgrade(&entry));
        } else {
            self.cache.release(payload.as_ref());
        }
    }
}

#[cfg(test)]
#[path = "mirror_tests.rs"]
mod tests;
