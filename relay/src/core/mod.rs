//! The relay's buffering policy (spec/05-relay.md, RELAY-1 to RELAY-12), sync and sans-IO.
//!
//! A relay keeps one [`Mailboxes`] for the clients whose home it is ([`home_relay`], RELAY-2).
//! The caller owns the clock and the sockets; it drives the core like this:
//!
//! 1. [`Mailboxes::add_mailbox`] once per client, giving a dense [`MailboxId`].
//! 2. On login, [`Mailboxes::connect`]; on connection loss, [`Mailboxes::disconnect`]
//!    (in-flight messages go back to waiting, no-queue messages are dropped, RELAY-8).
//! 3. For each incoming message, [`Mailboxes::push`] with the header [`Flags`] (RELAY-4 to RELAY-7).
//! 4. After every input, drain [`Mailboxes::poll_send`] for connected recipients and transmit
//!    what it returns, in that order (RELAY-3).
//! 5. On a recipient's ack, [`Mailboxes::ack`] (RELAY-9); periodically, [`Mailboxes::expire`]
//!    (RELAY-10).
//!
//! The core is generic over the queued item `T` ([`Queued`]): the simulator stores sizes and
//! timestamps, the server will store encrypted bytes. Memory: an empty mailbox costs 24 bytes
//! and no heap allocation; a queued message costs its item plus 32 bytes in one shared arena.

mod error;
mod expiry;
mod mailbox;
mod routing;
#[cfg(test)]
mod tests;
mod types;

pub use error::CoreError;
pub use mailbox::Mailboxes;
pub use routing::home_relay;
pub use types::{Delivery, EntryId, MailboxId, Totals};

use saltrelay_protocol::time::Timestamp;

/// One day in milliseconds.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Header flags the relay acts on (RELAY-4). Other bits are carried but ignored by the policy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No flag set: an ordinary queued, acknowledged message.
    pub const NONE: Self = Self(0);
    /// 0x02 no server queuing: drop unless the recipient is connected (RELAY-5).
    pub const NO_QUEUE: Self = Self(0x02);
    /// 0x04 no server acknowledgement: forget once transmitted, expect no ack (RELAY-6).
    pub const NO_ACK: Self = Self(0x04);
    /// 0x20 short-lived: queue for [`Policy::short_lived_ttl_ms`] only (RELAY-7).
    pub const SHORT_LIVED: Self = Self(0x20);

    /// From the header's flag byte.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Self {
        Self(byte)
    }

    /// The flag byte.
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of bits.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl core::fmt::Debug for Flags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Flags({:#04x})", self.0)
    }
}

/// A message the relay can queue. The size counts against the per-recipient byte cap (RELAY-11).
pub trait Queued: Clone {
    /// Bytes this message occupies in the mailbox (the frame payload for the server).
    fn queued_len(&self) -> u32;
}

/// The tunable part of the policy. [`Policy::default`] is the specified default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How long an ordinary message waits for its recipient (RELAY-10; default 14 days).
    pub ttl_ms: u64,
    /// How long a short-lived message waits (RELAY-7; default 60 s).
    pub short_lived_ttl_ms: u64,
    /// Most messages one mailbox holds (RELAY-11; default 10,000).
    pub max_messages: u32,
    /// Most bytes one mailbox holds (RELAY-11; default 64 `MiB`).
    pub max_bytes: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            ttl_ms: 14 * DAY_MS,
            short_lived_ttl_ms: 60_000,
            max_messages: 10_000,
            max_bytes: 64 << 20,
        }
    }
}

impl Policy {
    /// The expiry time of a message accepted at `now` with `flags` (RELAY-7, RELAY-10).
    #[must_use]
    pub fn expiry(&self, now: Timestamp, flags: Flags) -> Timestamp {
        if flags.contains(Flags::SHORT_LIVED) {
            now.plus_millis(self.short_lived_ttl_ms)
        } else {
            now.plus_millis(self.ttl_ms)
        }
    }
}
