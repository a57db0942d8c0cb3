//! An in-memory client↔relay pair on virtual time (test support): both transport machines,
//! a key directory with the binding rules of TR-15, and links with latency, splitting,
//! reordering and drops.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rand_chacha::ChaCha20Rng;
use rand_core::Rng;

use super::seeded_rng;
use crate::crypto::PublicKey;
use crate::identity::Identity;
use crate::time::Timestamp;
use crate::transport::{
    ClientConfig, ClientConnection, ClientOutput, CloseCause, LoginAck, Payload, RelayConfig,
    RelayConnection, RelayOutput, TransportError,
};

/// How one direction of the link treats bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// One-way delay of every chunk, in ms.
    pub latency_ms: u64,
    /// Extra delay drawn uniformly from `0..=jitter_ms` per chunk.
    pub jitter_ms: u64,
    /// Split every write into chunks of 1 to this many bytes; 0 keeps writes whole.
    pub max_chunk: usize,
    /// Chunks may overtake each other (a broken stream); otherwise order is kept.
    pub reorder: bool,
    /// Chance, per thousand, that a chunk is lost.
    pub drop_per_mille: u32,
}

impl Default for LinkConfig {
    /// 10 ms, whole writes, in order, nothing lost: a healthy TCP connection.
    fn default() -> Self {
        Self {
            latency_ms: 10,
            jitter_ms: 0,
            max_chunk: 0,
            reorder: false,
            drop_per_mille: 0,
        }
    }
}

/// The outcome of [`Directory::bind`] (TR-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// The identity was free and is now bound to the key.
    Bound,
    /// The identity was already bound to this key.
    AlreadyBound,
    /// The identity is bound to another key.
    Taken,
}

/// Identity → public key, first come, first served (TR-15).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    bound: BTreeMap<Identity, PublicKey>,
}

impl Directory {
    /// The key bound to `identity`, if any.
    #[must_use]
    pub fn lookup(&self, identity: &Identity) -> Option<PublicKey> {
        self.bound.get(identity).copied()
    }

    /// Binds a free identity; reports whether a bound one matches (TR-15).
    pub fn bind(&mut self, identity: Identity, key: PublicKey) -> Binding {
        match self.bound.get(&identity) {
            None => {
                self.bound.insert(identity, key);
                Binding::Bound
            }
            Some(bound) if bound.ct_eq(&key) => Binding::AlreadyBound,
            Some(_) => Binding::Taken,
        }
    }
}

/// What the client side saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The login-ack arrived.
    Established(LoginAck),
    /// A payload arrived.
    Received(Payload),
    /// The machine failed.
    Failed(TransportError),
}

/// What the relay side saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayEvent {
    /// The login named no key; the directory was asked.
    KeyRequested(Identity),
    /// The vouch verified; the directory decided.
    LoginVerified {
        /// The identity.
        identity: Identity,
        /// The directory's answer.
        binding: Binding,
    },
    /// A payload arrived.
    Received(Payload),
    /// The machine failed.
    Failed(TransportError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Client,
    Relay,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Delivery {
    Bytes(Vec<u8>),
    Eof,
}

/// A client and a relay joined by two simulated links on virtual time.
///
/// Steps: build with [`Pair::new`], optionally set links and a directory, then
/// [`run_for`](Self::run_for); send with [`client_send`](Self::client_send) and
/// [`relay_send`](Self::relay_send); read [`client_events`](Self::client_events) and
/// [`relay_events`](Self::relay_events).
#[derive(Debug)]
pub struct Pair {
    /// The client machine.
    pub client: ClientConnection,
    /// The relay machine.
    pub relay: RelayConnection,
    /// The relay's key directory.
    pub directory: Directory,
    /// Messages the relay reports queued at login.
    pub queued_count: u32,
    /// Everything the client saw.
    pub client_events: Vec<ClientEvent>,
    /// Everything the relay saw.
    pub relay_events: Vec<RelayEvent>,
    now: Timestamp,
    to_relay: Link,
    to_client: Link,
    rng: ChaCha20Rng,
    in_flight: BinaryHeap<Reverse<(Timestamp, u64, Side, Delivery)>>,
    sequence: u64,
}

/// One direction: its config, when its last chunk arrives, whether its stream has ended.
#[derive(Debug, Clone, Copy)]
struct Link {
    config: LinkConfig,
    last_arrival: Timestamp,
    closed: bool,
}

impl Link {
    fn new(config: LinkConfig, now: Timestamp) -> Self {
        Self {
            config,
            last_arrival: now,
            closed: false,
        }
    }
}

impl Pair {
    /// Starts both machines at `start` with RNGs derived from `seed`; healthy links.
    #[must_use]
    pub fn new(client: ClientConfig, relay: RelayConfig, seed: u64, start: Timestamp) -> Self {
        let client = ClientConnection::start(client, &mut seeded_rng(seed), start);
        let relay = RelayConnection::start(relay, &mut seeded_rng(seed ^ 0x7265_6c61_7900), start);
        let mut pair = Self {
            client,
            relay,
            directory: Directory::default(),
            queued_count: 0,
            client_events: Vec::new(),
            relay_events: Vec::new(),
            now: start,
            to_relay: Link::new(LinkConfig::default(), start),
            to_client: Link::new(LinkConfig::default(), start),
            rng: seeded_rng(seed ^ 0x6c69_6e6b),
            in_flight: BinaryHeap::new(),
            sequence: 0,
        };
        pair.drain();
        pair
    }

    /// Sets both links.
    #[must_use]
    pub fn with_links(mut self, to_relay: LinkConfig, to_client: LinkConfig) -> Self {
        self.to_relay.config = to_relay;
        self.to_client.config = to_client;
        self
    }

    /// Changes both links from now on.
    pub fn set_links(&mut self, to_relay: LinkConfig, to_client: LinkConfig) {
        self.to_relay.config = to_relay;
        self.to_client.config = to_client;
    }

    /// Replaces the directory.
    #[must_use]
    pub fn with_directory(mut self, directory: Directory) -> Self {
        self.directory = directory;
        self
    }

    /// The virtual time.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Runs events until `ms` from now have passed or nothing is left to do.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now.plus_millis(ms);
        while self.step(end) {}
        self.now = self.now.max(end);
    }

    /// Runs until the client is established or has failed, at most `ms`.
    pub fn run_until_established(&mut self, ms: u64) -> bool {
        let end = self.now.plus_millis(ms);
        while !self.client.is_established() && self.client.error().is_none() && self.step(end) {}
        self.client.is_established()
    }

    /// Sends a payload from the client now.
    ///
    /// # Errors
    /// The client machine's error.
    pub fn client_send(&mut self, payload: &Payload) -> Result<(), TransportError> {
        let result = self.client.send(self.now, payload);
        self.drain();
        result
    }

    /// Sends a payload from the relay now.
    ///
    /// # Errors
    /// The relay machine's error.
    pub fn relay_send(&mut self, payload: &Payload) -> Result<(), TransportError> {
        let result = self.relay.send(self.now, payload);
        self.drain();
        result
    }

    /// The relay ends the connection with `cause` now.
    pub fn relay_close(&mut self, cause: CloseCause) {
        let result = self.relay.close(cause, self.now);
        self.record_relay(result);
        self.drain();
    }

    /// Queues raw bytes to the relay, as if the client had written them.
    pub fn inject_to_relay(&mut self, bytes: &[u8]) {
        self.transmit(Side::Relay, bytes);
    }

    /// Queues raw bytes to the client, as if the relay had written them.
    pub fn inject_to_client(&mut self, bytes: &[u8]) {
        self.transmit(Side::Client, bytes);
    }

    /// Payloads the relay received, in order.
    #[must_use]
    pub fn relay_received(&self) -> Vec<&Payload> {
        self.relay_events
            .iter()
            .filter_map(|e| match e {
                RelayEvent::Received(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Payloads the client received, in order.
    #[must_use]
    pub fn client_received(&self) -> Vec<&Payload> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Received(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Runs the earliest event due at or before `end`; false when there is none.
    fn step(&mut self, end: Timestamp) -> bool {
        let arrival = self.in_flight.peek().map(|Reverse((at, ..))| *at);
        let timers = [self.client.poll_timeout(), self.relay.poll_timeout()];
        let next = [arrival, timers[0], timers[1]].into_iter().flatten().min();
        let Some(at) = next.filter(|at| *at <= end) else {
            return false;
        };
        self.now = self.now.max(at);
        if arrival == Some(at) {
            let Some(Reverse((_, _, side, delivery))) = self.in_flight.pop() else {
                return false;
            };
            self.deliver(side, delivery);
        } else if timers[0] == Some(at) {
            let result = self.client.handle_timeout(self.now);
            self.record_client(result);
        } else {
            let result = self.relay.handle_timeout(self.now);
            self.record_relay(result);
        }
        self.drain();
        true
    }

    fn deliver(&mut self, side: Side, delivery: Delivery) {
        let now = self.now;
        match (side, delivery) {
            (Side::Client, Delivery::Bytes(bytes)) => {
                let result = self.client.handle_bytes(now, &bytes);
                self.record_client(result);
            }
            (Side::Client, Delivery::Eof) => {
                let result = self.client.handle_eof();
                self.record_client(result);
            }
            (Side::Relay, Delivery::Bytes(bytes)) => {
                let result = self.relay.handle_bytes(now, &bytes);
                self.record_relay(result);
            }
            (Side::Relay, Delivery::Eof) => {
                let result = self.relay.handle_eof();
                self.record_relay(result);
            }
        }
    }

    fn record_client(&mut self, result: Result<(), TransportError>) {
        if let Err(error) = result
            && !self
                .client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::Failed(_)))
        {
            self.client_events.push(ClientEvent::Failed(error));
        }
    }

    fn record_relay(&mut self, result: Result<(), TransportError>) {
        if let Err(error) = result
            && !self
                .relay_events
                .iter()
                .any(|e| matches!(e, RelayEvent::Failed(_)))
        {
            self.relay_events.push(RelayEvent::Failed(error));
        }
    }

    /// Drains both machines' outputs, answering the relay's requests from the directory,
    /// until neither has more; a failed side's stream then ends.
    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(output) = self.client.poll_output() {
                progressed = true;
                match output {
                    ClientOutput::Send(bytes) => self.transmit(Side::Relay, &bytes),
                    ClientOutput::Established(ack) => {
                        self.client_events.push(ClientEvent::Established(ack));
                    }
                    ClientOutput::Received(payload) => {
                        self.client_events.push(ClientEvent::Received(payload));
                    }
                }
            }
            while let Some(output) = self.relay.poll_output() {
                progressed = true;
                self.relay_output(output);
            }
            if !progressed {
                break;
            }
        }
        for (side, failed) in [
            (Side::Relay, self.client.error().is_some()),
            (Side::Client, self.relay.error().is_some()),
        ] {
            let link = self.link(side);
            if failed && !link.closed {
                link.closed = true;
                self.schedule(side, Delivery::Eof);
            }
        }
    }

    fn relay_output(&mut self, output: RelayOutput) {
        let now = self.now;
        match output {
            RelayOutput::Send(bytes) => self.transmit(Side::Client, &bytes),
            RelayOutput::KeyRequest(request) => {
                let identity = request.identity();
                self.relay_events.push(RelayEvent::KeyRequested(identity));
                let key = self.directory.lookup(&identity);
                let result = self.relay.provide_key(request, key, now);
                self.record_relay(result);
            }
            RelayOutput::LoginRequest(request) => {
                let identity = request.identity();
                let binding = self.directory.bind(identity, request.public_key());
                self.relay_events
                    .push(RelayEvent::LoginVerified { identity, binding });
                let result = if binding == Binding::Taken {
                    self.relay.refuse(request, CloseCause::IdentityTaken, now)
                } else {
                    self.relay.accept(request, now, self.queued_count)
                };
                self.record_relay(result);
            }
            RelayOutput::Received(payload) => self.relay_events.push(RelayEvent::Received(payload)),
        }
    }

    fn link(&mut self, to: Side) -> &mut Link {
        match to {
            Side::Relay => &mut self.to_relay,
            Side::Client => &mut self.to_client,
        }
    }

    /// Sends bytes over the link towards `to`, split, delayed and maybe lost per its config.
    fn transmit(&mut self, to: Side, bytes: &[u8]) {
        let link = self.link(to).config;
        let mut rest = bytes;
        while !rest.is_empty() {
            let size = if link.max_chunk == 0 {
                rest.len()
            } else {
                let drawn = usize::try_from(self.rng.next_u32()).unwrap_or(usize::MAX);
                drawn
                    .checked_rem(link.max_chunk.min(rest.len()))
                    .unwrap_or(0)
                    .saturating_add(1)
            };
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            rest = tail;
            if link.drop_per_mille > 0
                && self.rng.next_u32().checked_rem(1000) < Some(link.drop_per_mille)
            {
                continue;
            }
            self.schedule(to, Delivery::Bytes(chunk.to_vec()));
        }
    }

    fn schedule(&mut self, to: Side, delivery: Delivery) {
        let config = self.link(to).config;
        let jitter = self
            .rng
            .next_u64()
            .checked_rem(config.jitter_ms.saturating_add(1))
            .unwrap_or(0);
        let mut at = self
            .now
            .plus_millis(config.latency_ms.saturating_add(jitter));
        let link = self.link(to);
        if !config.reorder || delivery == Delivery::Eof {
            at = at.max(link.last_arrival);
            link.last_arrival = at;
        }
        self.sequence = self.sequence.saturating_add(1);
        self.in_flight
            .push(Reverse((at, self.sequence, to, delivery)));
    }
}
