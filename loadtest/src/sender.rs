//! Senders: closed loop (a window of messages awaiting their ack per sender) or open loop
//! (a fixed schedule, whatever the acks do). Every copy of a group message is one message
//! with its own ID (group fan-out as clients do it, E2E group messages).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::identity::Identity;
use saltrelay_relay::client::{ClientError, ClientHandle};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::identities::Recipient;
use crate::latency::Series;
use crate::message;
use crate::sizes::SizeDistribution;
use crate::state::State;

/// Most messages one open-loop sender has in flight: the relay stops reading a connection
/// at 1,024 unacked (RELAY-20), and skipping beyond is counted rather than hidden.
const OPEN_LOOP_IN_FLIGHT: usize = 1000;

/// One sender: its identity, recipient groups and message counter.
pub(crate) struct Sender {
    pub(crate) index: usize,
    pub(crate) identity: Identity,
    pub(crate) targets: Vec<Vec<Recipient>>,
    pub(crate) sizes: SizeDistribution,
    pub(crate) seed: u64,
    counter: AtomicU64,
}

impl Sender {
    pub(crate) fn new(
        index: usize,
        identity: Identity,
        targets: Vec<Vec<Recipient>>,
        sizes: SizeDistribution,
        seed: u64,
    ) -> Self {
        Self {
            index,
            identity,
            targets,
            sizes,
            seed,
            counter: AtomicU64::new(0),
        }
    }

    fn rng(&self, stream: u64) -> ChaCha20Rng {
        let index = u64::try_from(self.index).expect("usize fits u64");
        ChaCha20Rng::seed_from_u64(self.seed ^ (index << 20) ^ stream)
    }

    /// Sends one copy to each member of the next group; false once the connection is gone.
    async fn send_group(
        &self,
        state: &State,
        handle: &ClientHandle,
        rng: &mut ChaCha20Rng,
        turn: usize,
    ) -> bool {
        let group = &self.targets[turn % self.targets.len()];
        for recipient in group {
            if !self.send_one(state, handle, rng, recipient).await {
                return false;
            }
        }
        true
    }

    async fn send_one(
        &self,
        state: &State,
        handle: &ClientHandle,
        rng: &mut ChaCha20Rng,
        recipient: &Recipient,
    ) -> bool {
        let id = message::message_id(self.index, self.counter.fetch_add(1, Ordering::Relaxed));
        let size = self.sizes.draw(rng);
        let Ok(bytes) = message::build(
            rng,
            &recipient.box_key,
            self.identity,
            recipient.identity,
            id,
            size,
            state.clock.now(),
        ) else {
            State::bump(&state.build_errors);
            return true;
        };
        let sent_us = state.now_us();
        let measured = state.measured(sent_us);
        if !state
            .ledger
            .sent(id, sent_us, state.is_online(recipient.index), measured)
        {
            State::bump(&state.build_errors);
            return true;
        }
        state.recorder.count(Series::Sent, sent_us);
        match handle.send_message(bytes).await {
            Ok(_) => {
                let acked_us = state.now_us();
                state.ledger.acked(id);
                state.recorder.count(Series::Acked, acked_us);
                if measured {
                    state.recorder.ack_latency(acked_us.saturating_sub(sent_us));
                }
                true
            }
            Err(ClientError::Refused { .. }) => {
                state.ledger.refused();
                true
            }
            Err(_) => {
                state.ledger.failed();
                false
            }
        }
    }
}

/// Closed loop: `window` workers, each sending a group and awaiting its acks, until `stop`.
pub(crate) async fn closed_loop(
    state: Arc<State>,
    sender: Arc<Sender>,
    handle: ClientHandle,
    window: usize,
    stop: watch::Receiver<bool>,
) {
    let mut workers = JoinSet::new();
    for worker in 0..window {
        let (state, sender, handle, stop) = (
            Arc::clone(&state),
            Arc::clone(&sender),
            handle.clone(),
            stop.clone(),
        );
        workers.spawn(async move {
            let mut rng = sender.rng(worker as u64);
            let mut turn = worker;
            while !*stop.borrow() {
                if !sender.send_group(&state, &handle, &mut rng, turn).await {
                    return;
                }
                turn += 1;
            }
        });
    }
    while workers.join_next().await.is_some() {}
}

/// Open loop: a group every `period`, each in its own task, until `stop`; waits for the
/// sends in flight before returning. `phase` (0 to 1) spreads the senders' first ticks over
/// one period: started together, every sender would fire at the same instant, and the
/// bursts, not the load, would set the latency.
pub(crate) async fn open_loop(
    state: Arc<State>,
    sender: Arc<Sender>,
    handle: ClientHandle,
    period: Duration,
    phase: f64,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(OPEN_LOOP_IN_FLIGHT));
    let first = tokio::time::Instant::now() + period.mul_f64(phase.clamp(0.0, 1.0));
    let mut ticker = tokio::time::interval_at(first, period);
    // Behind schedule, catch up: an open loop keeps its offered rate.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut in_flight = JoinSet::new();
    let mut turn = 0usize;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            State::bump(&state.skipped);
            continue;
        };
        let (state, sender, handle) = (Arc::clone(&state), Arc::clone(&sender), handle.clone());
        in_flight.spawn(async move {
            let mut rng = sender.rng(0x1000_0000 + turn as u64);
            sender.send_group(&state, &handle, &mut rng, turn).await;
            drop(slot);
        });
        turn += 1;
        // Reap finished sends so the set stays small.
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
}
