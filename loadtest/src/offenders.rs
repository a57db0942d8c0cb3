//! Clients that break the rules beside the load, each ended by the relay with its defined
//! close-error (RELAY-20, RELAY-21, TR-27): a malformed message header, a slowloris
//! handshake, a client that never reads, and a flooder above the rate limit.

use std::sync::Arc;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::BoxKey;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::transport::Payload;
use saltrelay_relay::client::{Client, ClientEvent};
use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::Offenders;
use crate::message;
use crate::receiver::Login;

/// Body size of the messages fed to a client that never reads.
const FEED_SIZE: usize = 6000;
/// Feed messages in flight at once: just below the relay's 1,024 unacked per connection
/// (RELAY-20), since each ack waits for the 2 s spill to the store (RELAY-13).
const FEED_IN_FLIGHT: usize = 1000;

/// How one offender ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffenderOutcome {
    /// `malformed`, `slowloris`, `never_reading`, `flooder`.
    pub kind: &'static str,
    /// What the offender saw: the relay's close-error or how the socket ended.
    pub ended: String,
    /// Seconds from its start until it saw the end (`None`: not within the run).
    pub after_secs: Option<f64>,
}

/// Runs every offender until `stop` (or its end); returns how each ended.
pub(crate) async fn run(
    counts: Offenders,
    login: Arc<Login>,
    seed: u64,
    stop: watch::Receiver<bool>,
) -> Vec<OffenderOutcome> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x0ff3_0de7);
    let mut tasks = JoinSet::new();
    for _ in 0..counts.malformed {
        let keys = IdentityKeys::generate(&mut rng);
        tasks.spawn(malformed(Arc::clone(&login), keys, stop.clone()));
    }
    for _ in 0..counts.flooder {
        let keys = IdentityKeys::generate(&mut rng);
        tasks.spawn(flooder(Arc::clone(&login), keys, stop.clone()));
    }
    for _ in 0..counts.slowloris {
        tasks.spawn(slowloris(Arc::clone(&login), stop.clone()));
    }
    for _ in 0..counts.never_reading {
        let victim = IdentityKeys::generate(&mut rng);
        let feeder = IdentityKeys::generate(&mut rng);
        tasks.spawn(never_reading(
            Arc::clone(&login),
            victim,
            feeder,
            stop.clone(),
        ));
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        if let Ok(outcome) = outcome {
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by_key(|o| o.kind);
    outcomes
}

fn outcome(kind: &'static str, ended: String, start: tokio::time::Instant) -> OffenderOutcome {
    OffenderOutcome {
        kind,
        ended,
        after_secs: Some(start.elapsed().as_secs_f64()),
    }
}

/// Waits for the client's end, or `stop`.
async fn closed(client: &mut Client, stop: &mut watch::Receiver<bool>) -> Option<String> {
    loop {
        tokio::select! {
            event = client.next_event() => match event {
                Some(ClientEvent::Closed(e)) => return Some(e.to_string()),
                Some(_) => {}
                None => return Some("connection ended".into()),
            },
            _ = stop.changed() => return None,
        }
    }
}

/// Logs in, then sends 16 bytes that are no outer message (`malformed_message`, RELAY-16).
async fn malformed(
    login: Arc<Login>,
    keys: IdentityKeys,
    mut stop: watch::Receiver<bool>,
) -> OffenderOutcome {
    let start = tokio::time::Instant::now();
    let mut client = match login.connect(&keys).await {
        Ok(c) => c,
        Err(e) => return outcome("malformed", format!("login failed: {e}"), start),
    };
    let _ = client
        .send_payload(Payload::OutgoingMessage(vec![0xee; 16]))
        .await;
    match closed(&mut client, &mut stop).await {
        Some(ended) => outcome("malformed", ended, start),
        None => not_ended("malformed"),
    }
}

/// Logs in, then sends key lookups as fast as it can (`rate_limited`, RELAY-20).
async fn flooder(
    login: Arc<Login>,
    keys: IdentityKeys,
    mut stop: watch::Receiver<bool>,
) -> OffenderOutcome {
    let start = tokio::time::Instant::now();
    let mut client = match login.connect(&keys).await {
        Ok(c) => c,
        Err(e) => return outcome("flooder", format!("login failed: {e}"), start),
    };
    let handle = client.handle();
    let identity = keys.identity();
    let flood = tokio::spawn(async move {
        for request_id in 0u32.. {
            let lookup = Payload::KeyLookupRequest {
                request_id,
                identity,
            };
            if handle.send_payload(lookup).await.is_err() {
                return;
            }
        }
    });
    let ended = closed(&mut client, &mut stop).await;
    flood.abort();
    match ended {
        Some(ended) => outcome("flooder", ended, start),
        None => not_ended("flooder"),
    }
}

/// Opens TCP and sends one byte of handshake every 500 ms (handshake timeout, TR-27).
async fn slowloris(login: Arc<Login>, mut stop: watch::Receiver<bool>) -> OffenderOutcome {
    let start = tokio::time::Instant::now();
    let mut socket = match TcpStream::connect(login.addr).await {
        Ok(s) => s,
        Err(e) => return outcome("slowloris", format!("connect failed: {e}"), start),
    };
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut buf = [0u8; 256];
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = socket.write_all(&[0x42]).await {
                    return outcome("slowloris", format!("write failed: {e}"), start);
                }
            }
            read = socket.read(&mut buf) => match read {
                Ok(0) => return outcome("slowloris", "closed by the relay (end of stream)".into(), start),
                Ok(_) => {}
                Err(e) => return outcome("slowloris", format!("closed by the relay: {e}"), start),
            },
            _ = stop.changed() => return not_ended("slowloris"),
        }
    }
}

/// Logs in and never reads, while a feeder client sends it messages (`slow_reader`).
async fn never_reading(
    login: Arc<Login>,
    victim_keys: IdentityKeys,
    feeder_keys: IdentityKeys,
    mut stop: watch::Receiver<bool>,
) -> OffenderOutcome {
    let start = tokio::time::Instant::now();
    let mut options = login.options.clone();
    // One event buffered: the client task stops reading the socket almost at once.
    options.event_capacity = 1;
    let victim = match Client::connect(login.addr, &victim_keys, options).await {
        Ok(c) => c,
        Err(e) => return outcome("never_reading", format!("login failed: {e}"), start),
    };
    let feeder = match login.connect(&feeder_keys).await {
        Ok(c) => c,
        Err(e) => return outcome("never_reading", format!("feeder login failed: {e}"), start),
    };
    let Ok(box_key) = BoxKey::derive(feeder_keys.secret_key(), &victim_keys.public_key()) else {
        return outcome("never_reading", "box key failed".into(), start);
    };
    let box_key = Arc::new(box_key);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut in_flight = JoinSet::new();
    let clock = saltrelay_relay::runtime::clock::Clock::new();
    // At most 1,000 messages a second: the feeder itself stays below the rate limit (RELAY-20)
    // once its recipient is gone and acks come at the store's pace.
    let mut pace = tokio::time::interval(Duration::from_millis(1));
    for counter in 0u64.. {
        pace.tick().await;
        if *stop.borrow() {
            break;
        }
        while in_flight.len() >= FEED_IN_FLIGHT {
            tokio::select! {
                _ = in_flight.join_next() => {}
                _ = stop.changed() => break,
            }
        }
        if *stop.borrow() {
            break;
        }
        let Ok(bytes) = message::build(
            &mut rng,
            &box_key,
            feeder_keys.identity(),
            victim_keys.identity(),
            counter,
            FEED_SIZE,
            clock.now(),
        ) else {
            break;
        };
        let handle = feeder.handle();
        in_flight.spawn(async move { handle.send_message(bytes).await.is_ok() });
    }
    in_flight.abort_all();
    // Only now read the victim's events: its last one tells how the relay ended it.
    let mut victim = victim;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match victim.next_event().await {
                Some(ClientEvent::Closed(e)) => return e.to_string(),
                Some(_) => {}
                None => return "connection ended".to_owned(),
            }
        }
    })
    .await
    .unwrap_or_else(|_| "still open at the end of the run".to_owned());
    feeder.close().await;
    OffenderOutcome {
        kind: "never_reading",
        ended,
        after_secs: None,
    }
}

fn not_ended(kind: &'static str) -> OffenderOutcome {
    OffenderOutcome {
        kind,
        ended: "still open at the end of the run".into(),
        after_secs: None,
    }
}
