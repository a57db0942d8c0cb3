//! The pending-event set: a two-level timing wheel with an exact heap for the current slot.
//!
//! Fine slots are 2^14 µs (16.4 ms) wide, 256 of them per window (4.2 s); coarse slots are one
//! fine window wide, 2^15 of them (38 h); anything later waits in a far heap. Events of the
//! current fine slot sit in a binary heap ordered by `(time, seq)`, so pops are exact and ties
//! break in insertion order into that heap. Pushing is O(1) for all but the current slot;
//! each event moves at most twice (coarse to fine to heap), in bulk and in memory order, which
//! keeps it fast with 10^7 timers pending.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Width of a fine slot: 2^14 µs.
const FINE_BITS: u32 = 14;
/// Fine slots per window: 2^8.
const FINE_SLOT_BITS: u32 = 8;
/// Coarse slots per window: 2^15.
const COARSE_SLOT_BITS: u32 = 15;
const FINE_SLOTS: usize = 1 << FINE_SLOT_BITS;
const COARSE_SLOTS: usize = 1 << COARSE_SLOT_BITS;

/// One pending event: its time (µs) and four words of payload that the model interprets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it fires, in µs of simulated time.
    pub time: u64,
    /// What happens ([`crate::model`] defines the kinds).
    pub kind: u8,
    /// The entity it concerns (a client or relay index).
    pub who: u32,
    /// Payload.
    pub a: u32,
    /// Payload.
    pub b: u32,
    /// Payload.
    pub c: u32,
}

/// An event in a heap, ordered earliest first.
#[derive(Debug)]
struct Entry {
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.event.time, other.seq).cmp(&(self.event.time, self.seq))
    }
}

/// The pending events of one simulation.
#[derive(Debug)]
pub struct EventQueue {
    now_heap: BinaryHeap<Entry>,
    fine: Vec<Vec<Event>>,
    coarse: Vec<Vec<Event>>,
    far: BinaryHeap<Entry>,
    /// Absolute index of the fine slot being drained (time >> `FINE_BITS`).
    fine_now: u64,
    fine_len: usize,
    coarse_len: usize,
    len: usize,
    seq: u64,
}

impl Default for EventQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl EventQueue {
    /// An empty queue at time 0.
    #[must_use]
    pub fn new() -> Self {
        Self {
            now_heap: BinaryHeap::new(),
            fine: vec![Vec::new(); FINE_SLOTS],
            coarse: vec![Vec::new(); COARSE_SLOTS],
            far: BinaryHeap::new(),
            fine_now: 0,
            fine_len: 0,
            coarse_len: 0,
            len: 0,
            seq: 0,
        }
    }

    /// Events pending.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds an event. Events in the past of the current slot fire next, in time order.
    pub fn push(&mut self, event: Event) {
        self.len += 1;
        self.place(event);
    }

    /// The earliest event, ties in insertion order.
    pub fn pop(&mut self) -> Option<Event> {
        loop {
            if let Some(entry) = self.now_heap.pop() {
                self.len -= 1;
                return Some(entry.event);
            }
            if self.len == 0 {
                return None;
            }
            self.advance();
        }
    }

    fn place(&mut self, event: Event) {
        let fine = event.time >> FINE_BITS;
        let window = self.fine_now >> FINE_SLOT_BITS;
        if fine <= self.fine_now {
            self.seq += 1;
            self.now_heap.push(Entry {
                seq: self.seq,
                event,
            });
        } else if fine >> FINE_SLOT_BITS == window {
            self.fine[slot(fine, FINE_SLOT_BITS)].push(event);
            self.fine_len += 1;
        } else if (fine >> FINE_SLOT_BITS) >> COARSE_SLOT_BITS == window >> COARSE_SLOT_BITS {
            self.coarse[slot(fine >> FINE_SLOT_BITS, COARSE_SLOT_BITS)].push(event);
            self.coarse_len += 1;
        } else {
            self.seq += 1;
            self.far.push(Entry {
                seq: self.seq,
                event,
            });
        }
    }

    /// Moves to the next fine slot that may hold events, refilling from the coarser levels.
    fn advance(&mut self) {
        if self.fine_len > 0 {
            self.fine_now += 1;
            if self.fine_now & (FINE_SLOTS as u64 - 1) != 0 {
                self.drain_fine_slot();
                return;
            }
        } else {
            // Nothing left in this fine window: jump to the next window, or further.
            let mut window = (self.fine_now >> FINE_SLOT_BITS) + 1;
            if self.coarse_len == 0 {
                let far_window = self
                    .far
                    .peek()
                    .map(|e| e.event.time >> (FINE_BITS + FINE_SLOT_BITS));
                window = window
                    .max(far_window.expect("len > 0 and the wheel is empty, so far holds events"));
            }
            self.fine_now = window << FINE_SLOT_BITS;
        }
        self.enter_window();
        self.drain_fine_slot();
    }

    /// At the first fine slot of a window: refill the coarse wheel from far if this starts a
    /// coarse window, then spread the window's coarse slot over the fine slots.
    fn enter_window(&mut self) {
        let window = self.fine_now >> FINE_SLOT_BITS;
        if slot(window, COARSE_SLOT_BITS) == 0 || self.coarse_len == 0 {
            while let Some(entry) = self.far.peek() {
                if (entry.event.time >> (FINE_BITS + FINE_SLOT_BITS)) >> COARSE_SLOT_BITS
                    != window >> COARSE_SLOT_BITS
                {
                    break;
                }
                let entry = self.far.pop().expect("peeked");
                self.place(entry.event);
            }
        }
        // A coarse slot comes round again only after 38 h: free its memory rather than keep
        // the capacity (kept, the capacities would add up to every event of the run; a pool
        // of emptied buffers measured no faster and 60 % larger).
        let index = slot(window, COARSE_SLOT_BITS);
        let events = std::mem::take(&mut self.coarse[index]);
        self.coarse_len -= events.len();
        for event in events {
            self.place(event);
        }
    }

    fn drain_fine_slot(&mut self) {
        let index = slot(self.fine_now, FINE_SLOT_BITS);
        let mut events = std::mem::take(&mut self.fine[index]);
        self.fine_len -= events.len();
        for event in events.drain(..) {
            self.seq += 1;
            self.now_heap.push(Entry {
                seq: self.seq,
                event,
            });
        }
        self.fine[index] = events;
    }
}

/// The slot of absolute index `index` in a wheel of `2^bits` slots.
#[expect(
    clippy::cast_possible_truncation,
    reason = "masked to fewer than 32 bits"
)]
const fn slot(index: u64, bits: u32) -> usize {
    (index & ((1 << bits) - 1)) as usize
}

#[cfg(test)]
mod tests;
