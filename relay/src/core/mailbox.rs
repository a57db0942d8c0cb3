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
        let mut dropped = 0;
        while at != NIL {
            let node = &mut self.nodes[at as usize];
            let next = node.next;
            node.in_flight = false;
            if node.flags.contains(Flags::NO_QUEUE) {
                self.remove(at);
                self.totals.dropped_on_disconnect += 1;
                dropped += 1;
            }
            at = next;
        }
        let boxed = &mut self.boxes[mailbox.0 as usize];
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
            self.totals.refused_offline += 1;
            return Err(CoreError::RecipientOffline);
        }
        // RELAY-11: caps in count and bytes, checked before accepting.
        if boxed.count >= self.policy.max_messages {
            self.totals.refused_full += 1;
            return Err(CoreError::MailboxFull { limit: "messages" });
        }
        if u64::from(boxed.bytes) + u64::from(len) > u64::from(self.policy.max_bytes) {
            self.totals.refused_full += 1;
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
        let generation = self.nodes[index as usize].generation;
        // RELAY-3: one FIFO per recipient keeps every sender's order.
        if boxed.tail == NIL {
            self.boxes[to.0 as usize].head = index;
        } else {
            self.nodes[boxed.tail as usize].next = index;
        }
        let boxed = &mut self.boxes[to.0 as usize];
        boxed.tail = index;
        if boxed.cursor == NIL {
            boxed.cursor = index;
        }
        boxed.count += 1;
        boxed.bytes += len;
        self.totals.accepted += 1;
        self.totals.queued += 1;
        self.totals.queued_bytes += u64::from(len);
        let class = usize::from(flags.contains(Flags::SHORT_LIVED));
        self.expiry[class].push(NodeRef { index, generation });
        if self.expiry[class].needs_compaction() {
            let nodes = &self.nodes;
            self.expiry[class].compact(|r| is_live(nodes, r));
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
            let node = &mut self.nodes[at as usize];
            let next = node.next;
            let id = EntryId {
                index: at,
                generation: node.generation,
            };
            if node.expires <= now {
                self.remove(at);
                self.totals.expired += 1;
                at = next;
                continue;
            }
            node.attempts = node.attempts.saturating_add(1);
            let attempt = node.attempts;
            if node.flags.contains(Flags::NO_ACK) {
                // RELAY-6: forgotten once transmitted.
                let item = self.remove(at);
                self.totals.sent_without_ack += 1;
                return Ok(Some(Delivery {
                    id,
                    item,
                    attempt,
                    awaits_ack: false,
                }));
            }
            node.in_flight = true;
            let item = node.item.clone().expect("a linked node holds an item");
            self.boxes[mailbox.0 as usize].cursor = next;
            return Ok(Some(Delivery {
                id,
                item,
                attempt,
                awaits_ack: true,
            }));
        }
        self.boxes[mailbox.0 as usize].cursor = NIL;
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
        self.totals.acked += 1;
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
            let node = &self.nodes[at as usize];
            if node.in_flight && node.item.as_ref().is_some_and(&mut matches) {
                self.totals.acked += 1;
                return Ok(self.remove(at));
            }
            at = node.next;
        }
        Err(CoreError::UnknownEntry)
    }

    /// Removes from one mailbox every message not in flight for which `evict` holds, and
    /// returns them (CLU-14: a cluster node forgets what the shared store keeps for it).
    ///
    /// # Errors
    /// [`CoreError::UnknownMailbox`].
    pub fn evict_where(
        &mut self,
        mailbox: MailboxId,
        mut evict: impl FnMut(&T) -> bool,
    ) -> Result<Vec<T>, CoreError> {
        let mut at = self.mailbox(mailbox)?.head;
        let mut out = Vec::new();
        while at != NIL {
            let node = &self.nodes[at as usize];
            let next = node.next;
            if !node.in_flight && node.item.as_ref().is_some_and(&mut evict) {
                self.totals.evicted += 1;
                out.push(self.remove(at));
            }
            at = next;
        }
        Ok(out)
    }

    /// Deletes every message whose expiry is at or before `now`, sent or not (RELAY-10).
    /// Returns how many. Cost: proportional to the messages expired, not to those queued.
    pub fn expire(&mut self, now: Timestamp) -> u64 {
        self.expire_with(now, |_, _| {})
    }

    /// Like [`Mailboxes::expire`], handing each expired message and its mailbox to `expired`.
    pub fn expire_with(&mut self, now: Timestamp, mut expired: impl FnMut(MailboxId, T)) -> u64 {
        let now = self.advance(now);
        let mut count = 0;
        for class in 0..2 {
            while let Some(front) = self.expiry[class].front() {
                if !is_live(&self.nodes, front) {
                    self.expiry[class].pop_front();
                } else if self.nodes[front.index as usize].expires <= now {
                    self.expiry[class].pop_front();
                    let mailbox = MailboxId(self.nodes[front.index as usize].mailbox);
                    expired(mailbox, self.remove(front.index));
                    count += 1;
                } else {
                    break;
                }
            }
        }
        self.totals.expired += count;
        count
    }

    /// References the expiry queues hold, stale ones included (for memory accounting).
    #[must_use]
    pub fn expiry_backlog(&self) -> usize {
        self.expiry[0].len() + self.expiry[1].len()
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
        let slot = &mut self.nodes[index as usize];
        self.free = slot.next;
        node.generation = slot.generation;
        *slot = node;
        Ok(index)
    }

    /// Unlinks a live node, frees its slot and returns its item. Totals by reason are the
    /// caller's job; the queued counters are kept here.
    fn remove(&mut self, index: u32) -> T {
        let node = &mut self.nodes[index as usize];
        let item = node.item.take().expect("only live nodes are removed");
        let (prev, next, mailbox) = (node.prev, node.next, node.mailbox as usize);
        let class = usize::from(node.flags.contains(Flags::SHORT_LIVED));
        node.generation = node.generation.wrapping_add(1);
        node.in_flight = false;
        node.next = self.free;
        self.free = index;
        if prev == NIL {
            self.boxes[mailbox].head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.boxes[mailbox].tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        let len = item.queued_len();
        let boxed = &mut self.boxes[mailbox];
        if boxed.cursor == index {
            boxed.cursor = next;
        }
        boxed.count -= 1;
        boxed.bytes -= len;
        self.totals.queued -= 1;
        self.totals.queued_bytes -= u64::from(len);
        self.expiry[class].left();
        item
    }
}

fn is_live<T>(nodes: &[Node<T>], node: NodeRef) -> bool {
    nodes
        .get(node.index as usize)
        .is_some_and(|n| n.generation == node.generation && n.item.is_some())
}
