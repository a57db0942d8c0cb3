//! Per-recipient mailboxes in one arena (RELAY-3 to RELAY-12).

use saltrelay_protocol::time::Timestamp;

use super::expiry::{ExpiryFifo, NodeRef};
use super::types::{Delivery, EntryId, MailboxId, Totals};
use super::{CoreError, Flags, Policy, Queued};

/// End of a list.
const NIL: u32 = u32::MAX;

/// Head of one recipient's FIFO: 24 bytes, no heap allocation.
#[derive(Clone, Copy, Debug)]
struct Mailbox {
    head: u32,
    tail: u32,
    /// First message not yet transmitted in this connection; those before it are in flight.
    cursor: u32,
    count: u32,
    bytes: u32,
    online: bool,
}

const EMPTY: Mailbox = Mailbox {
    head: NIL,
    tail: NIL,
    cursor: NIL,
    count: 0,
    bytes: 0,
    online: false,
};

/// One arena slot: a queued message in a doubly linked list, or a free slot.
#[derive(Debug)]
struct Node<T> {
    item: Option<T>,
    expires: Timestamp,
    next: u32,
    prev: u32,
    mailbox: u32,
    generation: u32,
    flags: Flags,
    attempts: u8,
    in_flight: bool,
}

/// All mailboxes of one relay (spec/05-relay.md). See the module docs for the driving steps.
#[derive(Debug)]
pub struct Mailboxes<T> {
    policy: Policy,
    boxes: Vec<Mailbox>,
    nodes: Vec<Node<T>>,
    free: u32,
    /// Index 0: ordinary messages; 1: short-lived ones.
    expiry: [ExpiryFifo; 2],
    now: Timestamp,
    totals: Totals,
}

impl<T: Queued> Mailboxes<T> {
    /// An empty core under `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            boxes: Vec::new(),
            nodes: Vec::new(),
            free: NIL,
            expiry: [ExpiryFifo::default(), ExpiryFifo::default()],
            now: Timestamp::ZERO,
            totals: Totals::default(),
        }
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Counters since creation.
    #[must_use]
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Mailboxes handed out.
    #[must_use]
    pub fn mailbox_count(&self) -> u32 {
        u32::try_from(self.boxes.len()).expect("add_mailbox keeps the count below u32::MAX")
    }

    /// A new, empty, disconnected mailbox.
    ///
    /// # Errors
    /// [`CoreError::Capacity`] past `u32::MAX - 1` mailboxes.
    pub fn add_mailbox(&mut self) -> Result<MailboxId, CoreError> {
        let id = u32::try_from(self.boxes.len()).map_err(|_| CoreError::Capacity)?;
        if id == NIL {
            return Err(CoreError::Capacity);
        }
        self.boxes.push(EMPTY);
        Ok(MailboxId(id))
    }

    /// Whether the recipient is connected.
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`].
    pub fn is_online(&self, mailbox: MailboxId) -> Result<bool, CoreError> {
        Ok(self.mailbox(mailbox)?.online)
    }

    /// Messages and bytes queued for the recipient, in flight included.
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`].
    pub fn queued(&self, mailbox: MailboxId) -> Result<(u32, u32), CoreError> {
        let boxed = self.mailbox(mailbox)?;
        Ok((boxed.count, boxed.bytes))
    }

    /// The recipient logged in: its queue is transmitted from the oldest message (RELAY-3).
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`].
    pub fn connect(&mut self, mailbox: MailboxId) -> Result<(), CoreError> {
        let boxed = self.mailbox_mut(mailbox)?;
        boxed.online = true;
        boxed.cursor = boxed.head;
        Ok(())
    }

    /// The recipient's connection ended: unacked messages wait for the next connection and
    /// no-queue messages are dropped (RELAY-8). Returns how many were dropped.
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`].
    pub fn disconnect(&mut self, mailbox: MailboxId) -> Result<u32, CoreError> {
        let boxed = self.mailbox_mut(mailbox)?;
        boxed.online = false;
        let mut at = boxed.head;
        let mut dropped: u32 = 0;
        while at != NIL {
            let node = self.node_mut(at);
            let next = node.next;
            node.in_flight = false;
            if node.flags.contains(Flags::NO_QUEUE) {
                self.remove(at);
                self.totals.dropped_on_disconnect =
                    self.totals.dropped_on_disconnect.saturating_add(1);
                // At most one per node of this mailbox, and the arena holds fewer than u32::MAX.
                dropped = dropped.saturating_add(1);
            }
            at = next;
        }
        let boxed = self.mailbox_mut(mailbox)?;
        boxed.cursor = boxed.head;
        Ok(dropped)
    }

    /// Queues `item` for `to`, accepted at `now` with header `flags` (RELAY-3 to RELAY-7,
    /// RELAY-11). The caller then drains [`Mailboxes::poll_send`] if the recipient is online.
    ///
    /// # Errors
    /// [`CoreError::RecipientOffline`] for a no-queue message to an offline recipient,
    /// [`CoreError::MailboxFull`] at a cap, [`CoreError::UnknownMailbox`],
    /// [`CoreError::Capacity`].
    pub fn push(
        &mut self,
        now: Timestamp,
        to: MailboxId,
        flags: Flags,
        item: T,
    ) -> Result<EntryId, CoreError> {
        let boxed = *self.mailbox(to)?;
        let len = item.queued_len();
        // RELAY-5: no-queue messages exist only while their recipient is connected.
        if flags.contains(Flags::NO_QUEUE) && !boxed.online {
            self.totals.refused_offline = self.totals.refused_offline.saturating_add(1);
            return Err(CoreError::RecipientOffline);
        }
        // RELAY-11: caps in count and bytes, checked before accepting.
        if boxed.count >= self.policy.max_messages {
            self.totals.refused_full = self.totals.refused_full.saturating_add(1);
            return Err(CoreError::MailboxFull { limit: "messages" });
        }
        // Both operands are u32, so the u64 sum cannot overflow.
        if u64::from(boxed.bytes).saturating_add(u64::from(len)) > u64::from(self.policy.max_bytes)
        {
            self.totals.refused_full = self.totals.refused_full.saturating_add(1);
            return Err(CoreError::MailboxFull { limit: "bytes" });
        }
        self.insert(now, to, flags, item)
    }

    /// Queues a message that was already accepted and acknowledged before a restart
    /// (RELAY-27): the caps of RELAY-11 are not applied, since refusing it now would delete
    /// a message its sender was told is safe; a mailbox left above a cap refuses new messages
    /// until it drains below it. Returns whether the mailbox is now above a cap.
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`], [`CoreError::Capacity`].
    pub fn restore(
        &mut self,
        now: Timestamp,
        to: MailboxId,
        flags: Flags,
        item: T,
    ) -> Result<bool, CoreError> {
        self.insert(now, to, flags, item)?;
        let boxed = self.mailbox(to)?;
        Ok(boxed.count > self.policy.max_messages || boxed.bytes > self.policy.max_bytes)
    }

    /// Appends `item` to the FIFO of `to` once the caller's checks passed.
    fn insert(
        &mut self,
        now: Timestamp,
        to: MailboxId,
        flags: Flags,
        item: T,
    ) -> Result<EntryId, CoreError> {
        let now = self.advance(now);
        let boxed = *self.mailbox(to)?;
        let len = item.queued_len();
        // `restore` skips the caps (RELAY-27), so a mailbox's byte count can reach u32::MAX:
        // refuse before linking anything rather than wrap the count.
        let count = boxed.count.checked_add(1).ok_or(CoreError::Capacity)?;
        let bytes = boxed.bytes.checked_add(len).ok_or(CoreError::Capacity)?;
        let node = Node {
            item: Some(item),
            expires: self.policy.expiry(now, flags),
            next: NIL,
            prev: boxed.tail,
            mailbox: to.0,
            generation: 0,
            flags,
            attempts: 0,
            in_flight: false,
        };
        let index = self.allocate(node)?;
        let generation = self.node_mut(index).generation;
        // RELAY-3: one FIFO per recipient keeps every sender's order.
        if boxed.tail != NIL {
            self.node_mut(boxed.tail).next = index;
        }
        let boxed = self.mailbox_mut(to)?;
        if boxed.tail == NIL {
            boxed.head = index;
        }
        boxed.tail = index;
        if boxed.cursor == NIL {
            boxed.cursor = index;
        }
        boxed.count = count;
        boxed.bytes = bytes;
        // u64 totals: at one message per nanosecond they last 584 years; saturating keeps
        // a pathological run from panicking.
        self.totals.accepted = self.totals.accepted.saturating_add(1);
        self.totals.queued = self.totals.queued.saturating_add(1);
        self.totals.queued_bytes = self.totals.queued_bytes.saturating_add(u64::from(len));
        let fifo = self.fifo_mut(flags);
        fifo.push(NodeRef { index, generation });
        if fifo.needs_compaction() {
            let nodes = &self.nodes;
            let [ordinary, short_lived] = &mut self.expiry;
            let fifo = if flags.contains(Flags::SHORT_LIVED) {
                short_lived
            } else {
                ordinary
            };
            fifo.compact(|r| is_live(nodes, r));
        }
        Ok(EntryId { index, generation })
    }

    /// The next message to transmit to a connected recipient, in FIFO order, skipping (and
    /// expiring) messages past their expiry (RELAY-3, RELAY-10). `None` when the recipient is
    /// offline or everything queued is in flight.
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`].
    pub fn poll_send(
        &mut self,
        now: Timestamp,
        mailbox: MailboxId,
    ) -> Result<Option<Delivery<T>>, CoreError> {
        let now = self.advance(now);
        let boxed = *self.mailbox(mailbox)?;
        if !boxed.online {
            return Ok(None);
        }
        let mut at = boxed.cursor;
        while at != NIL {
            let node = self.node_mut(at);
            let next = node.next;
            let id = EntryId {
                index: at,
                generation: node.generation,
            };
            if node.expires <= now {
                self.remove(at);
                self.totals.expired = self.totals.expired.saturating_add(1);
                at = next;
                continue;
            }
            node.attempts = node.attempts.saturating_add(1);
            let attempt = node.attempts;
            if node.flags.contains(Flags::NO_ACK) {
                // RELAY-6: forgotten once transmitted.
                let item = self.remove(at);
                self.totals.sent_without_ack = self.totals.sent_without_ack.saturating_add(1);
                return Ok(Some(Delivery {
                    id,
                    item,
                    attempt,
                    awaits_ack: false,
                }));
            }
            node.in_flight = true;
            let item = node.item.clone().expect("a linked node holds an item");
            self.mailbox_mut(mailbox)?.cursor = next;
            return Ok(Some(Delivery {
                id,
                item,
                attempt,
                awaits_ack: true,
            }));
        }
        self.mailbox_mut(mailbox)?.cursor = NIL;
        Ok(None)
    }

    /// The recipient acknowledged `entry`: it is deleted and returned (RELAY-9).
    ///
    /// # Errors
    /// [`CoreError::UnknownEntry`] if it is not queued for this recipient (acked before,
    /// expired, or someone else's), [`CoreError::NotInFlight`] if it was not transmitted in
    /// this connection, [`CoreError::UnknownMailbox`].
    pub fn ack(&mut self, mailbox: MailboxId, entry: EntryId) -> Result<T, CoreError> {
        self.mailbox(mailbox)?;
        let node = self
            .nodes
            .get(entry.index as usize)
            .filter(|n| {
                n.generation == entry.generation && n.item.is_some() && n.mailbox == mailbox.0
            })
            .ok_or(CoreError::UnknownEntry)?;
        if !node.in_flight {
            return Err(CoreError::NotInFlight);
        }
        self.totals.acked = self.totals.acked.saturating_add(1);
        Ok(self.remove(entry.index))
    }

    /// Like [`Mailboxes::ack`] for callers that name messages by content (the server matches
    /// sender and message id): acks the oldest in-flight message for which `matches` holds.
    ///
    /// # Errors
    /// [`CoreError::UnknownEntry`] if no in-flight message matches, [`CoreError::UnknownMailbox`].
    pub fn ack_where(
        &mut self,
        mailbox: MailboxId,
        mut matches: impl FnMut(&T) -> bool,
    ) -> Result<T, CoreError> {
        let mut at = self.mailbox(mailbox)?.head;
        while at != NIL {
            let node = self.node(at);
            if node.in_flight && node.item.as_ref().is_some_and(&mut matches) {
                self.totals.acked = self.totals.acked.saturating_add(1);
                return Ok(self.remove(at));
            }
            at = node.next;
        }
        Err(CoreError::UnknownEntry)
    }

    /// Deletes every message whose expiry is at or before `now`, sent or not (RELAY-10).
    /// Returns how many. Cost: proportional to the messages expired, not to those queued.
    pub fn expire(&mut self, now: Timestamp) -> u64 {
        self.expire_with(now, |_, _| {})
    }

    /// Like [`Mailboxes::expire`], handing each expired message and its mailbox to `expired`.
    pub fn expire_with(&mut self, now: Timestamp, mut expired: impl FnMut(MailboxId, T)) -> u64 {
        let now = self.advance(now);
        let mut count: u64 = 0;
        for class in [Flags::NONE, Flags::SHORT_LIVED] {
            while let Some(front) = self.fifo_mut(class).front() {
                if !is_live(&self.nodes, front) {
                    self.fifo_mut(class).pop_front();
                    continue;
                }
                let node = self.node(front.index);
                if node.expires > now {
                    break;
                }
                let mailbox = MailboxId(node.mailbox);
                self.fifo_mut(class).pop_front();
                expired(mailbox, self.remove(front.index));
                count = count.saturating_add(1);
            }
        }
        self.totals.expired = self.totals.expired.saturating_add(count);
        count
    }

    /// References the expiry queues hold, stale ones included (for memory accounting).
    #[must_use]
    pub fn expiry_backlog(&self) -> usize {
        let [ordinary, short_lived] = &self.expiry;
        ordinary.len().saturating_add(short_lived.len())
    }

    /// RELAY-12: the core's time never goes back; an earlier `now` counts as the latest seen.
    fn advance(&mut self, now: Timestamp) -> Timestamp {
        self.now = self.now.max(now);
        self.now
    }

    fn mailbox(&self, id: MailboxId) -> Result<&Mailbox, CoreError> {
        self.boxes
            .get(id.0 as usize)
            .ok_or(CoreError::UnknownMailbox(id.0))
    }

    fn mailbox_mut(&mut self, id: MailboxId) -> Result<&mut Mailbox, CoreError> {
        self.boxes
            .get_mut(id.0 as usize)
            .ok_or(CoreError::UnknownMailbox(id.0))
    }

    /// The expiry FIFO of the TTL class `flags` selects (RELAY-7, RELAY-10).
    fn fifo_mut(&mut self, flags: Flags) -> &mut ExpiryFifo {
        let [ordinary, short_lived] = &mut self.expiry;
        if flags.contains(Flags::SHORT_LIVED) {
            short_lived
        } else {
            ordinary
        }
    }

    /// The arena slot at a linked index. Every link (`head`, `tail`, `cursor`, `next`,
    /// `prev`, `free`) holds `NIL` or an index [`Mailboxes::allocate`] returned, and the arena
    /// never shrinks, so a linked index is always in bounds.
    fn node(&self, index: u32) -> &Node<T> {
        self.nodes
            .get(index as usize)
            .expect("linked indices come from allocate and the arena never shrinks")
    }

    /// [`Mailboxes::node`], mutable.
    fn node_mut(&mut self, index: u32) -> &mut Node<T> {
        self.nodes
            .get_mut(index as usize)
            .expect("linked indices come from allocate and the arena never shrinks")
    }

    fn allocate(&mut self, mut node: Node<T>) -> Result<u32, CoreError> {
        if self.free == NIL {
            let index = u32::try_from(self.nodes.len()).map_err(|_| CoreError::Capacity)?;
            if index == NIL {
                return Err(CoreError::Capacity);
            }
            self.nodes.push(node);
            return Ok(index);
        }
        let index = self.free;
        let slot = self.node_mut(index);
        let next_free = slot.next;
        node.generation = slot.generation;
        *slot = node;
        self.free = next_free;
        Ok(index)
    }

    /// Unlinks a live node, frees its slot and returns its item. Totals by reason are the
    /// caller's job; the queued counters are kept here.
    fn remove(&mut self, index: u32) -> T {
        let free = self.free;
        let node = self.node_mut(index);
        let item = node.item.take().expect("only live nodes are removed");
        let (prev, next, mailbox, flags) = (node.prev, node.next, node.mailbox, node.flags);
        node.generation = node.generation.wrapping_add(1);
        node.in_flight = false;
        node.next = free;
        self.free = index;
        if prev != NIL {
            self.node_mut(prev).next = next;
        }
        if next != NIL {
            self.node_mut(next).prev = prev;
        }
        let len = item.queued_len();
        let boxed = self.boxes.get_mut(mailbox as usize).expect(
            "a node's mailbox was known when it was queued and mailboxes are never removed",
        );
        if prev == NIL {
            boxed.head = next;
        }
        if next == NIL {
            boxed.tail = prev;
        }
        if boxed.cursor == index {
            boxed.cursor = next;
        }
        // The node was counted in when it was inserted, so these never saturate.
        boxed.count = boxed.count.saturating_sub(1);
        boxed.bytes = boxed.bytes.saturating_sub(len);
        self.totals.queued = self.totals.queued.saturating_sub(1);
        self.totals.queued_bytes = self.totals.queued_bytes.saturating_sub(u64::from(len));
        self.fifo_mut(flags).left();
        item
    }
}

fn is_live<T>(nodes: &[Node<T>], node: NodeRef) -> bool {
    nodes
        .get(node.index as usize)
        .is_some_and(|n| n.generation == node.generation && n.item.is_some())
}
