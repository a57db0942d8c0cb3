//! Kill-cycle mode (issue 11; RELAY-13, RELAY-22, STORE-7): senders and receivers keep a
//! `saltrelay relay serve` child under load while it is killed (SIGKILL) at random moments and
//! restarted on the same data directory and address, `cycles` times; clients log in again
//! after each crash. Every message is counted by its ID: an acked message that never arrives
//! is **lost**, a broken promise; one that arrives twice is a **duplicate** (allowed after a
//! crash, RELAY-22).
//!
//! Driving steps:
//! 1. [`KillCycleConfig`] names the binary, the cycles and the load.
//! 2. [`run_kill_cycles`] starts the relay, the clients, kills and restarts, then stops the
//!    senders, waits until every acked message was delivered (or the drain time passed) and
//!    returns the [`Counts`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng as _, SeedableRng as _};
use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientError, ClientEvent, ClientOptions, clock::Clock};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::accounting::{Counts, Ledger};
use crate::identities::Population;
use crate::target::{Spawned, spawn_relay};
use crate::{LoadError, message};

/// What a kill-cycle run does.
#[derive(Debug, Clone)]
pub struct KillCycleConfig {
    /// The `saltrelay` binary that runs the relay.
    pub binary: PathBuf,
    /// SIGKILLs (each followed by a restart).
    pub cycles: u32,
    /// Clients that send; each sends to recipients only.
    pub senders: usize,
    /// Clients that only receive.
    pub recipients: usize,
    /// Messages awaiting their ack per sender.
    pub window: usize,
    /// Text body bytes per message.
    pub size: usize,
    /// Seed of identities and kill moments.
    pub seed: u64,
    /// The relay runs between `min_up_ms` and `max_up_ms` (uniform) before each kill.
    pub min_up_ms: u64,
    /// See `min_up_ms`.
    pub max_up_ms: u64,
    /// Most seconds to wait after the last cycle until every acked message arrived.
    pub drain_secs: f64,
    /// Where the temporary data directory goes (the system's temporary folder if `None`).
    pub data_parent: Option<PathBuf>,
}

/// What a kill-cycle run counted.
#[derive(Debug, Clone, Copy)]
pub struct KillCycleResults {
    /// Kills done (each followed by a restart).
    pub cycles: u32,
    /// Every message by ID: sent, acked, delivered, lost, duplicated.
    pub counts: Counts,
    /// Client logins after the first (one per client per crash, or more).
    pub reconnects: u64,
    /// Wall time of the whole run.
    pub elapsed_secs: f64,
}

/// Shared by the client tasks.
struct Shared {
    population: Population,
    ledger: Ledger,
    addr: String,
    key: PublicKey,
    window: usize,
    size: usize,
    seed: u64,
    reconnects: AtomicU64,
}

/// Runs the kill cycles and the drain; the relay is stopped at the end.
///
/// # Errors
/// [`LoadError`] if the relay does not start or restart, or the runtime cannot be built.
pub fn run_kill_cycles(
    config: &KillCycleConfig,
    mut progress: impl FnMut(u32),
) -> Result<KillCycleResults, LoadError> {
    if config.senders == 0 || config.recipients == 0 || config.min_up_ms > config.max_up_ms {
        return Err(LoadError::Config(
            "kill cycles need senders, recipients and min_up_ms <= max_up_ms".into(),
        ));
    }
    let started = Instant::now();
    let parent = config
        .data_parent
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let data = tempfile::Builder::new()
        .prefix("saltrelay-kill-cycle-")
        .tempdir_in(&parent)
        .map_err(|e| LoadError::io(&parent, e))?;
    let mut relay = spawn_relay(&config.binary, data.path(), "127.0.0.1:0")?;
    let (addr, key) = (relay.2, relay.3);
    let clients = config.senders + config.recipients;
    let shared = Arc::new(Shared {
        population: Population::new(config.seed, clients, config.senders, 1)?,
        ledger: Ledger::default(),
        addr: addr.to_string(),
        key,
        window: config.window.max(1),
        size: config.size,
        seed: config.seed,
        reconnects: AtomicU64::new(0),
    });
    let runtime = crate::runtime::runtime("kill-cycle")?;
    let (stop_senders, senders_stopped) = watch::channel(false);
    let (stop_receivers, receivers_stopped) = watch::channel(false);
    let mut senders = JoinSet::new();
    let mut receivers = JoinSet::new();
    for index in 0..clients {
        let shared = Arc::clone(&shared);
        if index < config.senders {
            senders.spawn_on(
                sender(shared, index, senders_stopped.clone()),
                runtime.handle(),
            );
        } else {
            receivers.spawn_on(
                receiver(shared, index, receivers_stopped.clone()),
                runtime.handle(),
            );
        }
    }
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed ^ 0x6b69_6c6c);
    for cycle in 1..=config.cycles {
        let span = config.max_up_ms - config.min_up_ms + 1;
        std::thread::sleep(Duration::from_millis(
            config.min_up_ms + rng.next_u64() % span,
        ));
        // A crash at a random moment under load: no shutdown, no flush.
        let _ = relay.0.kill();
        let _ = relay.0.wait();
        relay = restart(config, data.path(), &shared.addr)?;
        progress(cycle);
    }
    runtime.block_on(async {
        let _ = stop_senders.send(true);
        while senders.join_next().await.is_some() {}
        let deadline = Instant::now() + Duration::from_secs_f64(config.drain_secs);
        while shared.ledger.outstanding() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = stop_receivers.send(true);
        while receivers.join_next().await.is_some() {}
    });
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &relay.0.id().to_string()])
        .status();
    let _ = relay.0.wait();
    Ok(KillCycleResults {
        cycles: config.cycles,
        counts: shared.ledger.counts(),
        reconnects: shared.reconnects.load(Ordering::Relaxed),
        elapsed_secs: started.elapsed().as_secs_f64(),
    })
}

/// Starts the relay again on the same data and address; the port may take a moment to free.
fn restart(
    config: &KillCycleConfig,
    data: &std::path::Path,
    addr: &str,
) -> Result<Spawned, LoadError> {
    let mut last = None;
    for _ in 0..50 {
        match spawn_relay(&config.binary, data, addr) {
            Ok(spawned) => return Ok(spawned),
            Err(error) => last = Some(error),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(last.unwrap_or_else(|| LoadError::Relay("no restart attempted".into())))
}

/// Logs in, retrying while the relay restarts; `None` once `stop` is set.
async fn connect(
    shared: &Shared,
    keys: &IdentityKeys,
    stop: &watch::Receiver<bool>,
) -> Option<Client> {
    loop {
        if *stop.borrow() {
            return None;
        }
        let options = ClientOptions::new(shared.key);
        if let Ok(client) = Client::connect(shared.addr.as_str(), keys, options).await {
            return Some(client);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends with `window` messages awaiting their ack until `stop`; logs in again after a crash.
async fn sender(shared: Arc<Shared>, index: usize, mut stop: watch::Receiver<bool>) {
    let keys = &shared.population.keys[index];
    let mut rng = ChaCha20Rng::seed_from_u64(shared.seed ^ (index as u64 + 1));
    let clock = Clock::new();
    let mut counter = 0u64;
    let mut first = true;
    while let Some(client) = connect(&shared, keys, &stop).await {
        if !std::mem::take(&mut first) {
            shared.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let window = Arc::new(Semaphore::new(shared.window));
        let broken = Arc::new(AtomicBool::new(false));
        let mut acks = JoinSet::new();
        while !broken.load(Ordering::Relaxed) && !*stop.borrow() {
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
            shared.ledger.sent(id, 0, true, false);
            let (handle, shared, broken) =
                (client.handle(), Arc::clone(&shared), Arc::clone(&broken));
            acks.spawn(async move {
                match handle.send_message(bytes).await {
                    Ok(_) => shared.ledger.acked(id),
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
async fn receiver(shared: Arc<Shared>, index: usize, mut stop: watch::Receiver<bool>) {
    let keys = &shared.population.keys[index];
    let mut first = true;
    while let Some(mut client) = connect(&shared, keys, &stop).await {
        if !std::mem::take(&mut first) {
            shared.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        loop {
            tokio::select! {
                event = client.next_event() => match event {
                    Some(ClientEvent::Message(message)) => {
                        shared.ledger.delivered(message.message_id.as_u64());
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
    }
}
