//! The public value types of the policy core: ids, deliveries, totals (spec/05-relay.md).

/// A recipient's mailbox, as handed out by [`Mailboxes::add_mailbox`](super::Mailboxes::add_mailbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub u32);

/// One queued message, as [`Mailboxes::push`](super::Mailboxes::push) and [`Mailboxes::poll_send`](super::Mailboxes::poll_send) name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryId {
    pub(super) index: u32,
    pub(super) generation: u32,
}

impl EntryId {
    /// The id as one `u64`, for callers that keep it outside the core (timers, events).
    #[must_use]
    pub const fn to_bits(self) -> u64 {
        (self.generation as u64) << 32 | self.index as u64
    }

    /// Back from [`EntryId::to_bits`]. A forged value names no entry and acks fail with
    /// [`CoreError::UnknownEntry`](super::CoreError::UnknownEntry).
    #[must_use]
    pub const fn from_bits(bits: u64) -> Self {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "splitting a u64 into its halves"
        )]
        Self {
            index: bits as u32,
            generation: (bits >> 32) as u32,
        }
    }
}

/// A message to transmit now, from [`Mailboxes::poll_send`](super::Mailboxes::poll_send).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery<T> {
    /// What to pass to [`Mailboxes::ack`](super::Mailboxes::ack) when the recipient acknowledges it.
    pub id: EntryId,
    /// The message.
    pub item: T,
    /// 1 for the first transmission, 2 after one reconnection, and so on (saturating).
    pub attempt: u8,
    /// False for no-ack messages, which the core has already forgotten (RELAY-6).
    pub awaits_ack: bool,
}

/// Counters since creation. `accepted` always equals `acked + sent_without_ack + expired +
/// dropped_on_disconnect + queued` ([`Totals::balanced`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Messages accepted into a mailbox.
    pub accepted: u64,
    /// Removed on the recipient's ack (RELAY-9).
    pub acked: u64,
    /// Removed when transmitted because they carry no-ack (RELAY-6).
    pub sent_without_ack: u64,
    /// Removed unsent or unacked at their expiry (RELAY-10).
    pub expired: u64,
    /// No-queue messages dropped when their recipient disconnected (RELAY-8).
    pub dropped_on_disconnect: u64,
    /// No-queue messages refused because the recipient was offline (RELAY-5).
    pub refused_offline: u64,
    /// Messages refused by a full mailbox (RELAY-11).
    pub refused_full: u64,
    /// Messages queued now, in flight included.
    pub queued: u64,
    /// Bytes queued now.
    pub queued_bytes: u64,
}

impl Totals {
    /// Whether every accepted message is accounted for exactly once.
    #[must_use]
    pub fn balanced(&self) -> bool {
        [
            self.acked,
            self.sent_without_ack,
            self.expired,
            self.dropped_on_disconnect,
            self.queued,
        ]
        .into_iter()
        .try_fold(0_u64, u64::checked_add)
            == Some(self.accepted)
    }
}
