//! The discrete-event model (simulator/MODEL.md): clients, relays, messages on virtual time.
//!
//! One `Sim` is one run: one scenario, one seed, one thread. Time is integer microseconds;
//! relay CPU time is integer nanoseconds. Events come from [`EventQueue`] in `(time, order)`
//! order, every client and relay draws from its own [`crate::rng::Stream`], and client state
//! lives in flat arrays (`clients::Clients`), so a run is a pure function of its inputs.
//! Relay policy is [`saltrelay_relay::core`], never a copy.

mod clients;
mod groups;
mod item;
mod relays;
mod run;
mod summary;
mod trace;
mod traffic;

pub(crate) use item::msg;
pub use run::{Progress, run};

use saltrelay_relay::core::Mailboxes;

use crate::costs::Costs;
use crate::queue::{Event, EventQueue};
use crate::scenario::Scenario;
use crate::stats::Stats;
use clients::Clients;
use item::{SimItem, Transit};
use relays::Relay;

/// Event kinds (the `kind` byte of [`Event`]).
mod kind {
    /// A client's next send: `who` client, `a` session.
    pub(super) const SEND: u8 = 0;
    /// A client's online/offline switch: `who` client, `a` target (0 off, 1 on, 2 flip).
    pub(super) const TOGGLE: u8 = 1;
    /// A connection attempt: `who` client, `a` session.
    pub(super) const CONNECT: u8 = 2;
    /// The login reaches the relay: `who` client, `a` session.
    pub(super) const LOGIN: u8 = 3;
    /// A message reaches the sender's relay: `who` transit slot.
    pub(super) const INGRESS: u8 = 4;
    /// A message held back by an outage reaches the recipient's relay: `who` transit slot.
    pub(super) const ARRIVE: u8 = 5;
    /// A message reaches its recipient: `who` transit slot, `a` recipient's session.
    pub(super) const DELIVER: u8 = 6;
    /// A group's next membership change: `who` group.
    pub(super) const GROUP_CHANGE: u8 = 7;
    /// A group's periodic resync is due: `who` group.
    pub(super) const GROUP_RESYNC: u8 = 8;
    /// A relay's expiry sweep: `who` relay.
    pub(super) const EXPIRE: u8 = 9;
    /// A time-series sample.
    pub(super) const SAMPLE: u8 = 10;
    /// An outage begins: `who` outage index.
    pub(super) const OUTAGE_START: u8 = 11;
    /// An outage ends: `who` outage index.
    pub(super) const OUTAGE_END: u8 = 12;
    /// The warm-up ends.
    pub(super) const WARMUP: u8 = 13;
}

/// The state of one run.
pub(crate) struct Sim<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) costs: &'a Costs,
    pub(crate) now: u64,
    pub(crate) queue: EventQueue,
    pub(crate) clients: Clients,
    pub(crate) relays: Vec<Relay>,
    /// The mailboxes of every relay in one policy core, indexed by client (the policy is per
    /// mailbox, so one core for the cluster behaves as one per relay).
    pub(crate) core: Mailboxes<SimItem>,
    pub(crate) transit: Vec<Transit>,
    pub(crate) transit_free: Vec<u32>,
    pub(crate) stats: Stats,
    /// Per-client send rate while online, in sends per µs, is `weight * base_rate`.
    pub(crate) base_rate: f64,
    /// Expected share of time a client is online (1 for `always` and `trace`).
    pub(crate) online_fraction: f64,
    /// Group control traffic.
    pub(crate) groups: groups::Groups,
}

impl Sim<'_> {
    /// Schedules an event.
    fn at(&mut self, time: u64, kind: u8, who: u32, a: u32) {
        self.queue.push(Event {
            time,
            kind,
            who,
            a,
            b: 0,
            c: 0,
        });
    }

    /// Stores a message or delivery in transit and returns its slot.
    fn park(&mut self, transit: Transit) -> u32 {
        if let Some(slot) = self.transit_free.pop() {
            self.transit[slot as usize] = transit;
            slot
        } else {
            self.transit.push(transit);
            u32::try_from(self.transit.len() - 1).expect("fewer than 2^32 messages in transit")
        }
    }

    /// Takes a message or delivery out of transit.
    fn unpark(&mut self, slot: u32) -> Transit {
        self.transit_free.push(slot);
        self.transit[slot as usize]
    }
}
