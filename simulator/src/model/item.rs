//! What the model keeps per message: the queued item (16 bytes) and a message in transit.

use core::num::NonZeroU32;

use saltrelay_relay::core::{Flags, Queued};

/// Message kinds.
pub(crate) mod msg {
    /// 1:1 text.
    pub(crate) const TEXT: u8 = 0;
    /// One member's copy of a group text.
    pub(crate) const GROUP_TEXT: u8 = 1;
    /// 1:1 file message (the blob goes to the blob server).
    pub(crate) const FILE: u8 = 2;
    /// One member's copy of a group file message.
    pub(crate) const GROUP_FILE: u8 = 3;
    /// Automatic delivery receipt.
    pub(crate) const RECEIPT: u8 = 4;
    /// Typing indicator (no-queue, no-ack).
    pub(crate) const TYPING: u8 = 5;
    /// Group control: a setup, name or profile picture message of an update or resync
    /// bundle (GRP-4, GRP-5).
    pub(crate) const GROUP_CONTROL: u8 = 6;
    /// A group sync request (GRP-16).
    pub(crate) const SYNC_REQUEST: u8 = 7;
    /// Number of conversation kinds (counted in `Counters::created`; the group control kinds
    /// above are counted apart, so reports without them keep their shape).
    pub(crate) const COUNT: usize = 6;
}

/// Bits of [`SimItem::size_kind`] holding the size.
const SIZE_BITS: u32 = 29;

/// A queued message as the relay core holds it: send time, sender, size and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SimItem {
    pub(crate) sent_at: u64,
    pub(crate) sender: u32,
    size_kind: NonZeroU32,
}

impl SimItem {
    pub(crate) fn new(sent_at: u64, sender: u32, size: u32, kind: u8) -> Self {
        let size = size.clamp(1, (1 << SIZE_BITS) - 1);
        let packed = u32::from(kind) << SIZE_BITS | size;
        Self {
            sent_at,
            sender,
            size_kind: NonZeroU32::new(packed).expect("size is at least 1"),
        }
    }

    pub(crate) fn size(self) -> u32 {
        self.size_kind.get() & ((1 << SIZE_BITS) - 1)
    }

    pub(crate) fn kind(self) -> u8 {
        (self.size_kind.get() >> SIZE_BITS) as u8
    }
}

impl Queued for SimItem {
    fn queued_len(&self) -> u32 {
        self.size()
    }
}

/// A message on its way to a relay, or a delivery on its way to a recipient.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transit {
    pub(crate) item: SimItem,
    pub(crate) recipient: u32,
    pub(crate) flags: Flags,
    /// Deliveries: which transmission (1 = first).
    pub(crate) attempt: u8,
    /// Deliveries: whether the relay still holds it and waits for an ack.
    pub(crate) awaits_ack: bool,
    /// Deliveries: the core's entry id bits.
    pub(crate) entry: u64,
    /// Messages: the next copy of the same group send, or [`NO_NEXT`].
    pub(crate) next: u32,
}

/// End of a chain of group copies.
pub(crate) const NO_NEXT: u32 = u32::MAX;

#[cfg(test)]
mod tests {
    use super::{SimItem, msg};

    #[test]
    fn item_packs_size_and_kind_in_sixteen_bytes() {
        let item = SimItem::new(5, 7, 7812, msg::TYPING);
        assert_eq!(
            (item.size(), item.kind(), item.sender, item.sent_at),
            (7812, msg::TYPING, 7, 5)
        );
        assert_eq!(size_of::<Option<SimItem>>(), 16);
    }
}
