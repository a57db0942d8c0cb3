//! The relay's shared state: the policy core's mailboxes (`relay::core`), who is connected,
//! and the durability of every queued message (RELAY-3 to RELAY-13, RELAY-18).
//!
//! One lock guards the core and the registry; it is held for microseconds (no I/O, no
//! await). Writes go to the store's group committer in the order messages were accepted,
//! so a recipient's record IDs follow its queue's order (STORE-5) and survive a restart in
//! that order. Completions run on the committer's threads and touch only their entry.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

use super::conn_ref::{ConnEvent, ConnRef};
use super::entry::{Entry, Item, Stage};
use super::{ConnectionError, MessageHeader};

mod cluster;
#[cfg(feature = "postgres")]
mod mirror;
use crate::core::{CoreError, Delivery, EntryId, Flags, MailboxId, Mailboxes, Policy, Totals};
use crate::store::{BufferedMessage, CommitHandle, RecordId, StoreError, StoredMessage};
#[cfg(feature = "postgres")]
pub(crate) use mirror::{PageOutcome, PageRead};

/// What became of an outgoing message (RELAY-13, RELAY-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Acknowledge it now: a no-queue message (RELAY-5), or a duplicate already stored.
    AckNow,
    /// The ack follows once it is durable or delivered and acked.
    AckLater,
    /// Not accepted and not acknowledged; tell the sender with this alert code.
    Refused(&'static str),
}

/// Why a queued message left the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    Acked,
    SentWithoutAck,
    Expired,
}

struct HubState {
    mailboxes: Mailboxes<Item>,
    ids: HashMap<Identity, MailboxId>,
    owners: Vec<Option<ConnRef>>,
    /// Queued messages by (mailbox, sender, message ID): a resent message is not queued
    /// twice (STORE-8).
    dedupe: HashMap<(u32, Identity, u64), Weak<Entry>>,
    /// Messages held in memory for an online recipient, oldest first (RELAY-13).
    spill: VecDeque<(Instant, MailboxId, Weak<Entry>)>,
    /// Cluster mode only: the identities this node serves or is logging in, whose queues
    /// it mirrors from the shared store (CLU-14).
    watched: HashMap<Identity, cluster::Watch>,
    /// Cluster mode: the node's listening connection is up, so incomplete mirrors may read
    /// their next page (CLU-14).
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "read by the mirror of cluster mode")
    )]
    listening: bool,
}

impl HubState {
    fn mailbox(&mut self, identity: Identity) -> Result<MailboxId, CoreError> {
        if let Some(id) = self.ids.get(&identity) {
            return Ok(*id);
        }
        let id = self.mailboxes.add_mailbox()?;
        self.ids.insert(identity, id);
        self.owners.push(None);
        Ok(id)
    }

    /// The connection that owns `mailbox`, if any. `mailbox` pushes one slot per mailbox it
    /// hands out, so every `MailboxId` the core returned has its slot.
    fn owner(&mut self, mailbox: MailboxId) -> &mut Option<ConnRef> {
        self.owners
            .get_mut(mailbox.0 as usize)
            .expect("one owner slot per mailbox handed out")
    }
}

/// What [`Hub::restore`] did with the messages read back from the store.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    /// Records the core could not take at all (its arena is full): the caller deletes them.
    pub(crate) refused: Vec<RecordId>,
    /// Mailboxes left above a cap of RELAY-11 (lowered since they filled; RELAY-27).
    pub(crate) above_cap: usize,
    /// Messages those mailboxes hold above the message cap.
    pub(crate) above_cap_messages: u64,
}

/// Counts for tests, logs and the load generator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubStats {
    /// The core's counters (RELAY-11: queued messages and bytes among them).
    pub totals: Totals,
    /// Identities with a mailbox.
    pub mailboxes: u32,
    /// Connected identities.
    pub connected: usize,
    /// Payload bytes of stored messages kept in memory.
    pub cached_bytes: u64,
}

/// Cluster mode's calls out of the hub (CLU-14, CLU-15).
pub(crate) struct ClusterHooks {
    /// An identity's connection on this node ended: give its presence session up.
    pub(crate) on_logout: Box<dyn Fn(Identity, u64) + Send + Sync>,
    /// A watched identity's mirror is incomplete and its queue low: read its next page.
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "called by the mirror of cluster mode")
    )]
    pub(crate) want_page: Box<dyn Fn(Identity) + Send + Sync>,
    /// Rows of one page read of a mirror (CLU-14, `--page-rows`).
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "read by the mirror of cluster mode")
    )]
    pub(crate) page_rows: usize,
}

pub(crate) struct Hub {
    state: Mutex<HubState>,
    /// Cluster mode (CLU-14): queues live in the shared store; this node holds only those of
    /// the identities it serves.
    cluster: bool,
    /// Cluster mode: records whose deletion is queued but not yet committed, so that a
    /// catch-up read in between does not queue them again (CLU-14).
    deleting: Arc<Mutex<HashSet<RecordId>>>,
    hooks: Option<ClusterHooks>,
    /// Cluster mode: numbers the page reads of the mirrors (CLU-14).
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "read by the mirror of cluster mode")
    )]
    tickets: AtomicU64,
    committer: CommitHandle,
    policy: Policy,
    cache: Arc<Cache>,
    full: Arc<FullAlarm>,
}

/// RELAY-28: whether the store is out of space, so that the log says so once per episode.
#[derive(Debug, Default)]
struct FullAlarm(std::sync::atomic::AtomicBool);

impl FullAlarm {
    /// A write failed for want of space: logged the first time only.
    fn raise(&self, error: &StoreError) {
        if !self.0.swap(true, Ordering::AcqRel) {
            eprintln!("saltrelay relay: {error}; senders are told storage_full and retry");
        }
    }

    /// A write succeeded: if space had run out, say that it is back.
    fn clear(&self) {
        if self.0.swap(false, Ordering::AcqRel) {
            eprintln!("saltrelay relay: storage available again; accepting new messages");
        }
    }
}

/// Payloads of stored messages kept in memory up to a limit, so that delivering them needs
/// no read from the store.
struct Cache {
    used: AtomicU64,
    limit: u64,
}

impl Cache {
    fn keep(&self, payload: Arc<[u8]>) -> Option<Arc<[u8]>> {
        let len = payload.len() as u64;
        let used = self.used.fetch_add(len, Ordering::Relaxed);
        // Payload bytes held in memory: far below u64::MAX.
        if used.saturating_add(len) <= self.limit {
            Some(payload)
        } else {
            self.used.fetch_sub(len, Ordering::Relaxed);
            None
        }
    }

    fn release(&self, payload: Option<&Arc<[u8]>>) {
        if let Some(payload) = payload {
            self.used.fetch_sub(payload.len() as u64, Ordering::Relaxed);
        }
    }
}

impl Hub {
    pub(crate) fn new(
        policy: Policy,
        committer: CommitHandle,
        cache_limit: u64,
        hooks: Option<ClusterHooks>,
    ) -> Self {
        Self {
            state: Mutex::new(HubState {
                mailboxes: Mailboxes::new(policy),
                ids: HashMap::new(),
                owners: Vec::new(),
                dedupe: HashMap::new(),
                spill: VecDeque::new(),
                watched: HashMap::new(),
                listening: false,
            }),
            cluster: hooks.is_some(),
            deleting: Arc::default(),
            hooks,
            tickets: AtomicU64::new(1),
            committer,
            policy,
            full: Arc::default(),
            cache: Arc::new(Cache {
                used: AtomicU64::new(0),
                limit: cache_limit,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().expect("no panic under the hub lock")
    }

    /// Queues the messages the store recovered, in record order, with the expiry they had
    /// (RELAY-17), above the caps if they were lowered since (RELAY-27). Returns what it did.
    pub(crate) fn restore(&self, mut messages: Vec<StoredMessage>) -> Restored {
        messages.sort_by_key(|m| m.id);
        let mut restored = Restored::default();
        let mut over_cap = std::collections::BTreeSet::new();
        let mut state = self.lock();
        for stored in messages {
            let message = stored.message;
            let flags = Flags::from_byte(message.flags);
            let lifetime = self.policy.expiry(Timestamp::ZERO, flags).as_millis();
            // RELAY-12: the core's time only moves forward; record order is acceptance order.
            let accepted =
                Timestamp::from_millis(message.deadline.as_millis().saturating_sub(lifetime));
            let entry = Entry::restored(
                message.sender,
                message.recipient,
                u64::from_le_bytes(message.message_id),
                message.flags,
                u32::try_from(message.payload.len()).unwrap_or(u32::MAX),
                message.deadline,
                stored.id,
            );
            // RELAY-27: restored without the caps; an acked message is never refused here.
            let pushed = state.mailbox(message.recipient).and_then(|mailbox| {
                state
                    .mailboxes
                    .restore(accepted, mailbox, flags, Item(Arc::clone(&entry)))
                    .map(|above| (mailbox, above))
            });
            match pushed {
                Ok((mailbox, above)) => {
                    let key = (mailbox.0, entry.sender, entry.message_id);
                    state.dedupe.insert(key, Arc::downgrade(&entry));
                    if above {
                        over_cap.insert(mailbox.0);
                    }
                }
                Err(_) => restored.refused.push(stored.id),
            }
        }
        restored.above_cap = over_cap.len();
        restored.above_cap_messages = over_cap
            .iter()
            .map(|&m| {
                let (count, _) = state.mailboxes.queued(MailboxId(m)).unwrap_or((0, 0));
                u64::from(count.saturating_sub(self.policy.max_messages))
            })
            .sum();
        restored
    }

    /// A login was accepted: the identity's queue is sent from its oldest message (RELAY-3).
    /// Returns the queued count for the login-ack and the connection it replaces (TR-15).
    pub(crate) fn login(
        &self,
        identity: Identity,
        conn: ConnRef,
    ) -> Result<(u32, Option<ConnRef>), CoreError> {
        let mut state = self.lock();
        let mailbox = state.mailbox(identity)?;
        let replaced = state.owner(mailbox).replace(conn);
        if replaced.is_some() {
            // RELAY-8: the replaced connection's messages in flight are sent anew.
            state.mailboxes.disconnect(mailbox)?;
        }
        state.mailboxes.connect(mailbox)?;
        let (count, _) = state.mailboxes.queued(mailbox)?;
        Ok((count, replaced))
    }

    /// A connection ended; if it still owned the mailbox, the recipient is offline now and
    /// every message held in memory for it is written (RELAY-8, RELAY-13).
    pub(crate) fn logout(&self, identity: Identity, conn_id: u64) {
        let mut state = self.lock();
        let Some(&mailbox) = state.ids.get(&identity) else {
            return;
        };
        let slot = state.owner(mailbox);
        if slot.as_ref().is_none_or(|owner| owner.id != conn_id) {
            return;
        }
        *slot = None;
        let _ = state.mailboxes.disconnect(mailbox);
        if self.cluster {
            // CLU-14: what is durable waits in the shared store; the node forgets it.
            if let Some(session) = self.unwatch(&mut state, identity, mailbox)
                && let Some(hooks) = &self.hooks
            {
                (hooks.on_logout)(identity, session);
            }
        }
        let pending: Vec<Arc<Entry>> = state
            .spill
            .iter()
            .filter(|(_, owner, _)| *owner == mailbox)
            .filter_map(|(_, _, entry)| entry.upgrade())
            .collect();
        for entry in pending {
            self.spill(&entry);
        }
    }

    /// The recipient's mailbox, if it has one.
    pub(crate) fn mailbox_of(&self, identity: Identity) -> Option<MailboxId> {
        self.lock().ids.get(&identity).copied()
    }

    /// Takes an outgoing message (RELAY-3 to RELAY-7, RELAY-11, RELAY-13).
    pub(crate) fn accept(
        &self,
        now: Timestamp,
        origin: &ConnRef,
        header: &MessageHeader,
        payload: Vec<u8>,
    ) -> Accepted {
        let flags = Flags::from_byte(header.flags);
        let mut state = self.lock();
        if self.cluster && !state.watched.contains_key(&header.receiver) {
            drop(state);
            return self.accept_remote(now, origin, header, payload);
        }
        let Ok(mailbox) = state.mailbox(header.receiver) else {
            return Accepted::Refused("unavailable");
        };
        let key = (mailbox.0, header.sender, header.message_id);
        if let Some(existing) = state.dedupe.get(&key).and_then(Weak::upgrade) {
            let mut existing_state = existing.lock();
            match existing_state.stage {
                Stage::Stored { .. } => return Accepted::AckNow,
                Stage::Gone => {}
                // Still on its way: ack the newest sender connection when it is durable.
                _ => {
                    if existing_state.origin.is_some() {
                        existing_state.origin = Some(origin.clone());
                    }
                    return Accepted::AckLater;
                }
            }
        }
        let online = state.mailboxes.is_online(mailbox).unwrap_or(false);
        let no_queue = flags.contains(Flags::NO_QUEUE);
        let payload: Arc<[u8]> = payload.into();
        let in_memory = online || no_queue;
        let initial = if in_memory {
            Stage::Memory(Arc::clone(&payload))
        } else {
            Stage::Writing {
                payload: Arc::clone(&payload),
                recipient_acked: false,
            }
        };
        let wants_ack = !flags.contains(Flags::NO_ACK) && !no_queue;
        let entry = Entry::accepted(
            header,
            payload.len(),
            self.policy.expiry(now, flags),
            initial,
            wants_ack.then(|| origin.clone()),
        );
        match state
            .mailboxes
            .push(now, mailbox, flags, Item(Arc::clone(&entry)))
        {
            Ok(_) => {}
            // RELAY-5: dropped, and acknowledged: the relay did what the flag asks.
            Err(CoreError::RecipientOffline) => return Accepted::AckNow,
            Err(CoreError::MailboxFull { .. }) => return Accepted::Refused("mailbox_full"),
            Err(_) => return Accepted::Refused("unavailable"),
        }
        state.dedupe.insert(key, Arc::downgrade(&entry));
        if in_memory {
            if !no_queue {
                state
                    .spill
                    .push_back((Instant::now(), mailbox, Arc::downgrade(&entry)));
            }
        } else {
            // Under the hub lock, so appends reach the committer in acceptance order.
            self.write(&entry, &payload);
        }
        if let Some(owner) = state.owner(mailbox) {
            owner.wake();
        }
        if no_queue {
            Accepted::AckNow
        } else {
            Accepted::AckLater
        }
    }

    /// Up to `max_count` messages or about `max_bytes` to transmit to a connected recipient,
    /// in queue order (RELAY-3). Messages with no-ack are gone from the core once returned.
    pub(crate) fn next_deliveries(
        &self,
        now: Timestamp,
        mailbox: MailboxId,
        max_count: usize,
        max_bytes: usize,
    ) -> Vec<Delivery<Item>> {
        let mut state = self.lock();
        let mut out = Vec::new();
        let mut bytes: usize = 0;
        while out.len() < max_count && bytes < max_bytes {
            match state.mailboxes.poll_send(now, mailbox) {
                Ok(Some(delivery)) => {
                    // A saturated sum still ends the batch.
                    bytes = bytes.saturating_add(delivery.item.0.len as usize);
                    out.push(delivery);
                }
                _ => break,
            }
        }
        out
    }

    /// A delivered message without no-ack was transmitted (RELAY-6): forget it.
    pub(crate) fn sent_without_ack(&self, entry: &Arc<Entry>) {
        self.settle(entry, Removal::SentWithoutAck);
    }

    /// A message in flight whose stored bytes are gone (expired in the store): drop it.
    pub(crate) fn drop_in_flight(&self, mailbox: MailboxId, id: EntryId) {
        let item = self.lock().mailboxes.ack(mailbox, id);
        if let Ok(item) = item {
            self.settle(&item.0, Removal::Expired);
        }
    }

    /// The recipient acknowledged a message (0x82): delete it and ack its sender (RELAY-9,
    /// RELAY-13). False if no message in flight matches.
    pub(crate) fn recipient_ack(
        &self,
        mailbox: MailboxId,
        sender: Identity,
        message_id: u64,
    ) -> bool {
        let item = self.lock().mailboxes.ack_where(mailbox, |item| {
            item.0.sender == sender && item.0.message_id == message_id
        });
        match item {
            Ok(item) => {
                self.settle(&item.0, Removal::Acked);
                #[cfg(feature = "postgres")]
                if self.cluster {
                    // CLU-14: an incomplete mirror reads on as its queue drains.
                    self.after_ack(item.0.recipient);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// RELAY-3: whether the identity's whole queue is held, so that queue-send-complete may
    /// follow once it was sent (CLU-14: a cluster node's mirror may still be reading pages).
    pub(crate) fn queue_complete(&self, identity: Identity) -> bool {
        #[cfg(feature = "postgres")]
        if self.cluster {
            return self.mirror_complete(identity);
        }
        let _ = identity;
        true
    }

    /// Writes every message held in memory longer than `cutoff` allows (RELAY-13).
    pub(crate) fn spill_due(&self, cutoff: Instant) {
        let mut state = self.lock();
        while state.spill.front().is_some_and(|(at, _, _)| *at <= cutoff) {
            let (_, _, entry) = state.spill.pop_front().expect("front exists");
            if let Some(entry) = entry.upgrade() {
                self.spill(&entry);
            }
        }
    }

    /// Deletes every message past its expiry (RELAY-10). Returns how many.
    pub(crate) fn expire(&self, now: Timestamp) -> u64 {
        let mut expired = Vec::new();
        let count = {
            let mut state = self.lock();
            let count = state
                .mailboxes
                .expire_with(now, |_, item| expired.push(item));
            state.dedupe.retain(|_, entry| entry.strong_count() > 0);
            count
        };
        for item in expired {
            self.settle(&item.0, Removal::Expired);
        }
        count
    }

    /// Counts for tests and the load generator.
    pub(crate) fn stats(&self) -> HubStats {
        let state = self.lock();
        HubStats {
            totals: state.mailboxes.totals(),
            mailboxes: state.mailboxes.mailbox_count(),
            connected: state.owners.iter().flatten().count(),
            cached_bytes: self.cache.used.load(Ordering::Relaxed),
        }
    }

    /// Moves a memory-only entry to the store.
    fn spill(&self, entry: &Arc<Entry>) {
        let mut state = entry.lock();
        if let Stage::Memory(payload) = &state.stage {
            let payload = Arc::clone(payload);
            state.stage = Stage::Writing {
                payload: Arc::clone(&payload),
                recipient_acked: false,
            };
            drop(state);
            self.write(entry, &payload);
        }
    }

    /// Appends an entry through the group committer; its completion acks the sender once
    /// durable (RELAY-13, STORE-7).
    fn write(&self, entry: &Arc<Entry>, payload: &[u8]) {
        let message = BufferedMessage {
            recipient: entry.recipient,
            sender: entry.sender,
            message_id: entry.message_id.to_le_bytes(),
            flags: entry.flags,
            deadline: entry.deadline,
            payload: payload.to_vec(),
        };
        let entry = Arc::clone(entry);
        let committer = self.committer.clone();
        let cache = Arc::clone(&self.cache);
        let full = Arc::clone(&self.full);
        self.committer.append(vec![message], move |result| {
            match &result {
                Ok(_) => full.clear(),
                Err(error @ StoreError::Full { .. }) => full.raise(error),
                Err(_) => {}
            }
            on_written(&entry, result, &committer, &cache);
        });
    }

    /// A message left the core: delete what remains of it (RELAY-9, RELAY-13).
    fn settle(&self, entry: &Arc<Entry>, removal: Removal) {
        let mut state = entry.lock();
        match std::mem::replace(&mut state.stage, Stage::Gone) {
            Stage::Memory(_) | Stage::Gone => {}
            Stage::Writing { payload, .. } => {
                // Deleted by the completion once written.
                state.stage = Stage::Writing {
                    payload,
                    recipient_acked: true,
                };
            }
            Stage::Stored { record, payload } => {
                self.cache.release(payload.as_ref());
                self.delete_record(record);
            }
        }
        if removal == Removal::Acked {
            // RELAY-13: delivered to and acked by the recipient.
            entry.ack_sender(&mut state);
        }
    }
}

/// The completion of an append, on a committer thread (RELAY-13).
fn on_written(
    entry: &Entry,
    result: Result<Vec<RecordId>, StoreError>,
    committer: &CommitHandle,
    cache: &Cache,
) {
    let mut state = entry.lock();
    let previous = std::mem::replace(&mut state.stage, Stage::Gone);
    // RELAY-28: out of space is retryable and said as such; any other failure is not.
    let closing = match &result {
        Err(StoreError::Full { .. }) => ConnectionError::StorageFull,
        _ => ConnectionError::Unavailable,
    };
    match (result.map(|ids| ids.first().copied()), previous) {
        (
            Ok(Some(record)),
            Stage::Writing {
                recipient_acked: true,
                ..
            },
        ) => {
            committer.delete(vec![record], |_| {});
        }
        (Ok(Some(record)), Stage::Writing { payload, .. }) => {
            state.stage = Stage::Stored {
                record,
                payload: cache.keep(payload),
            };
            entry.ack_sender(&mut state);
        }
        (
            _,
            Stage::Writing {
                payload,
                recipient_acked,
            },
        ) => {
            // The store failed: keep it in memory, unacknowledged; the sender must retry.
            if !recipient_acked {
                state.stage = Stage::Memory(payload);
            }
            if let Some(origin) = state.origin.take() {
                origin.send(ConnEvent::Close(closing));
            }
        }
        (_, other) => state.stage = other,
    }
}
