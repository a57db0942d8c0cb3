//! The clients of a kill-cycle run: senders and receivers spread over the nodes (client `i`
//! prefers node `i mod N`), logging in again on the next node that answers when theirs dies
//! or stalls; every message counted by its ID, and the enqueue-to-delivery latency of those
//! that cross nodes (sender and recipient on different nodes) recorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientError, ClientEvent, ClientOptions};
use saltrelay_relay::runtime::clock::Clock;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::accounting::Ledger;
use crate::identities::Population;
use crate::latency::Recorder;
use crate::message;

/// No node at all (not logged in).
const NO_NODE: usize = usize::MAX;
/// Longest login attempt on one node: a paused node accepts TCP but never answers.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(3);

/// Shared by the client tasks.
pub(super) struct Shared {
    pub(super) population: Population,
    pub(super) ledger: Ledger,
    /// Address and key of every node.
    pub(super) nodes: Vec<(String, PublicKey)>,
    /// The node each client is logged in on now ([`NO_NODE`] when none).
    pub(super) current: Vec<AtomicUsize>,
    pub(super) window: usize,
    pub(super) size: usize,
    pub(super) seed: u64,
    /// Per sender, the time between sends (open loop); `None`: closed loop.
    pub(super) period: Option<Duration>,
    pub(super) reconnects: AtomicU64,
    /// Send-to-ack latencies; deliveries that crossed nodes go to the delivery histogram.
    pub(super) recorder: Recorder,
    /// The run's start: send times are µs since it.
    pub(super) epoch: Instant,
    /// Messages sent from now on count in the latency histograms (after the warm-up).
    pub(super) measuring: AtomicBool,
}

impl Shared {
    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// Logs in on the client's preferred node, else the next ones in turn, retrying while nodes
/// restart; `None` once `stop` is set.
async fn connect(
    shared: &Shared,
    index: usize,
    keys: &IdentityKeys,
    stop: &watch::Receiver<bool>,
) -> Option<Client> {
    let count = shared.nodes.len();
    let mut attempt = 0;
    loop {
        if *stop.borrow() {
            return None;
        }
        let node = (index + attempt) % count;
        attempt += 1;
        let (addr, key) = &shared.nodes[node];
        let login = Client::connect(addr.as_str(), keys, ClientOptions::new(*key));
        if let Ok(Ok(client)) = tokio::time::timeout(LOGIN_TIMEOUT, login).await {
            shared.current[index].store(node, Ordering::Relaxed);
            return Some(client);
        }
        if attempt % count == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Sends with `window` messages awaiting their ack (and, open loop, one per period) until
/// `stop`; logs in again after a crash.
pub(super) async fn sender(shared: Arc<Shared>, index: usize, mut stop: watch::Receiver<bool>) {
    let keys = &shared.population.keys[index];
    let mut rng = ChaCha20Rng::seed_from_u64(shared.seed ^ (index as u64 + 1));
    let clock = Clock::new();
    let mut counter = 0u64;
    let mut first = true;
    let mut ticker = shared.period.map(|period| {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker
    });
    while let Some(client) = connect(&shared, index, keys, &stop).await {
        if !std::mem::take(&mut first) {
            shared.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let window = Arc::new(Semaphore::new(shared.window));
        let broken = Arc::new(AtomicBool::new(false));
        let mut acks = JoinSet::new();
        while !broken.load(Ordering::Relaxed) && !*stop.borrow() {
            if let Some(ticker) = ticker.as_mut() {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.changed() => break,
                }
            }
            let permit = tokio::select! {
                permit = Arc::clone(&window).acquire_owned() => permit.expect("never closed"),
                _ = stop.changed() => break,
            };
            let targets = &shared.population.targets[index];
            let target = &targets[usize::try_from(counter).unwrap_or(0) % targets.len()][0];
            let id = message::message_id(index, counter);
            counter += 1;
            let Ok(bytes) = message::build(
                &mut rng,
                &target.box_key,
                keys.identity(),
                target.identity,
                id,
                shared.size,
                clock.now(),
            ) else {
                break;
            };
            // The ledger's "recipient online" flag here means: on another node than the
            // sender at send time, so the delivery histogram holds cross-node latencies only.
            let here = shared.current[index].load(Ordering::Relaxed);
            let there = shared.current[target.index].load(Ordering::Relaxed);
            let cross = there != NO_NODE && there != here;
            let sent_us = shared.now_us();
            let measured = shared.measuring.load(Ordering::Relaxed);
            shared.ledger.sent(id, sent_us, cross, measured);
            let (handle, shared, broken) =
                (client.handle(), Arc::clone(&shared), Arc::clone(&broken));
            acks.spawn(async move {
                match handle.send_message(bytes).await {
                    Ok(_) => {
                        shared.ledger.acked(id);
                        if measured {
                            shared
                                .recorder
                                .ack_latency(shared.now_us().saturating_sub(sent_us));
                        }
                    }
                    Err(ClientError::Refused { .. }) => shared.ledger.refused(),
                    Err(_) => {
                        shared.ledger.failed();
                        broken.store(true, Ordering::Relaxed);
                    }
                }
                drop(permit);
            });
            while acks.try_join_next().is_some() {}
        }
        // Every open send ends: acked, or failed with the connection.
        while acks.join_next().await.is_some() {}
        if *stop.borrow() {
            client.close().await;
            return;
        }
    }
}

/// Records and acks every delivery until `stop`; logs in again after a crash.
pub(super) async fn receiver(shared: Arc<Shared>, index: usize, mut stop: watch::Receiver<bool>) {
    let keys = &shared.population.keys[index];
    let mut first = true;
    while let Some(mut client) = connect(&shared, index, keys, &stop).await {
        if !std::mem::take(&mut first) {
            shared.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        loop {
            tokio::select! {
                event = client.next_event() => match event {
                    Some(ClientEvent::Message(message)) => {
                        let delivered = shared.ledger.delivered(message.message_id.as_u64());
                        if let Some(d) = delivered.filter(|d| d.first && d.measured_online) {
                            shared
                                .recorder
                                .deliver_latency(shared.now_us().saturating_sub(d.sent_us));
                        }
                        // RELAY-9: acked once counted.
                        if client.ack_incoming(message.sender, message.message_id).await.is_err() {
                            break;
                        }
                    }
                    Some(ClientEvent::Closed(_)) | None => break,
                    Some(_) => {}
                },
                _ = stop.changed() => {
                    client.close().await;
                    return;
                }
            }
        }
        shared.current[index].store(NO_NODE, Ordering::Relaxed);
    }
}
