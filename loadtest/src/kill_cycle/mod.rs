//! Kill-cycle mode (issue 11; RELAY-13, RELAY-22, STORE-7) and its cluster form (issue 17;
//! spec/09-relay-cluster.md): senders and receivers keep one or more `saltrelay relay serve`
//! children under load while faults hit them at random moments, `cycles` times:
//! - **kill**: SIGKILL a node, restart it on the same data directory and address after
//!   `down_ms`; its clients log in again, on another node while it is down;
//! - **store-restart**: crash and restart the PostgreSQL server every node uses;
//! - **pause**: SIGSTOP a node for `pause_ms` (past its presence lease), then SIGCONT.
//!
//! Every message is counted by its ID: an acked message that never arrives is **lost**, a
//! broken promise; one that arrives twice is a **duplicate** (allowed after a crash,
//! RELAY-22). After each fault the run waits until every message acked so far was delivered
//! (`settle_secs` at most) and records how long that took. With no cycles, the load runs for
//! `warmup_secs + duration_secs` and the acked rate and cross-node latency are measured.
//!
//! Driving steps:
//! 1. [`KillCycleConfig`] names the binary, the nodes, the store, the faults and the load.
//! 2. [`run_kill_cycles`] starts the nodes and the clients, does the faults, then stops the
//!    senders, waits until every acked message was delivered (or the drain time passed) and
//!    returns the [`KillCycleResults`].

mod clients;
mod nodes;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng as _, SeedableRng as _};
use saltrelay_pgtest::PgServer;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::LoadError;
use crate::accounting::{Counts, Ledger};
use crate::identities::Population;
use crate::latency::{LatencySummary, Recorder};
use clients::Shared;
use nodes::Nodes;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// SIGKILL a node, restart it after `down_ms`.
    Kill,
    /// Crash and restart the PostgreSQL server (`pg_ctl stop -m immediate`, then start).
    StoreRestart,
    /// SIGSTOP a node for `pause_ms`, then SIGCONT.
    Pause,
}

impl Fault {
    /// The name used on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Kill => "kill",
            Self::StoreRestart => "store-restart",
            Self::Pause => "pause",
        }
    }
}

/// What a kill-cycle run does.
#[derive(Debug, Clone, Serialize)]
pub struct KillCycleConfig {
    /// The `saltrelay` binary that runs the relay.
    pub binary: PathBuf,
    /// Faults done (cycle `k` does `faults[k mod len]`).
    pub cycles: u32,
    /// The faults, in turn.
    pub faults: Vec<Fault>,
    /// Relay nodes (child processes).
    pub nodes: usize,
    /// `--store` of every node (with `--node-id node<i>`); `None`: each its embedded store.
    pub store: Option<String>,
    /// More `relay serve` arguments for every node.
    pub relay_args: Vec<String>,
    /// Clients that send; each sends to recipients only.
    pub senders: usize,
    /// Clients that only receive.
    pub recipients: usize,
    /// Messages awaiting their ack per sender.
    pub window: usize,
    /// Total messages per second, open loop; `None`: closed loop with `window`.
    pub rate: Option<f64>,
    /// Text body bytes per message.
    pub size: usize,
    /// Seed of identities and fault moments.
    pub seed: u64,
    /// The load runs between `min_up_ms` and `max_up_ms` (uniform) before each fault.
    pub min_up_ms: u64,
    /// See `min_up_ms`.
    pub max_up_ms: u64,
    /// A killed node stays down this long before its restart (its clients move meanwhile).
    pub down_ms: u64,
    /// A paused node stays stopped this long (longer than its presence lease).
    pub pause_ms: u64,
    /// After each fault, most seconds to wait until every message acked so far arrived.
    pub settle_secs: f64,
    /// With no cycles: seconds of load before measuring.
    pub warmup_secs: f64,
    /// With no cycles: measured seconds of load.
    pub duration_secs: f64,
    /// Most seconds to wait after the last cycle until every acked message arrived.
    pub drain_secs: f64,
    /// Where the temporary data directories go (the system's temporary folder if `None`).
    pub data_parent: Option<PathBuf>,
}

/// One fault and what followed it.
#[derive(Debug, Clone, Serialize)]
pub struct CycleRecord {
    /// 1-based.
    pub cycle: u32,
    /// What was done.
    pub fault: Fault,
    /// The node it hit (`None` for the store).
    pub node: Option<usize>,
    /// Ms from the fault's end until every message acked by then was delivered.
    pub settle_ms: f64,
    /// Messages acked by the fault's end and still undelivered when the settle time ran out.
    pub undelivered_after_settle: u64,
    /// Duplicates counted since the previous cycle.
    pub new_duplicates: u64,
    /// Messages acked during this cycle.
    pub acked: u64,
}

/// What a kill-cycle run counted.
#[derive(Debug, Clone, Serialize)]
pub struct KillCycleResults {
    /// Faults done.
    pub cycles: u32,
    /// Per fault.
    pub cycle_log: Vec<CycleRecord>,
    /// Every message by ID: sent, acked, delivered, lost, duplicated.
    pub counts: Counts,
    /// Client logins after the first (one per client per crash, or more).
    pub reconnects: u64,
    /// Wall time of the whole run.
    pub elapsed_secs: f64,
    /// Acks per second: over the measured phase with no cycles, else over the whole load.
    pub acked_per_sec: f64,
    /// Send-to-ack latency of messages sent while measuring.
    pub ack_latency: LatencySummary,
    /// Enqueue-to-delivery latency of messages whose sender and recipient were on different
    /// nodes, sent while measuring.
    pub cross_node_latency: LatencySummary,
}

/// Runs the cycles and the drain; the nodes are stopped at the end. `store` is the
/// PostgreSQL server the store-restart fault restarts.
///
/// # Errors
/// [`LoadError`] if the configuration is inconsistent, a node does not start or restart, the
/// store does not restart, or the runtime cannot be built.
pub fn run_kill_cycles(
    config: &KillCycleConfig,
    store: Option<&PgServer>,
    mut progress: impl FnMut(u32),
) -> Result<KillCycleResults, LoadError> {
    validate(config, store)?;
    let started = Instant::now();
    let parent = config
        .data_parent
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let data = tempfile::Builder::new()
        .prefix("saltrelay-kill-cycle-")
        .tempdir_in(&parent)
        .map_err(|e| LoadError::io(&parent, e))?;
    let mut nodes = Nodes::start(
        &config.binary,
        data.path(),
        config.nodes,
        config.store.as_deref(),
        &config.relay_args,
    )?;
    let clients = config.senders + config.recipients;
    let shared = Arc::new(Shared {
        population: Population::new(config.seed, clients, config.senders, 1)?,
        ledger: Ledger::default(),
        nodes: nodes.endpoints(),
        current: (0..clients).map(|_| AtomicUsize::new(usize::MAX)).collect(),
        window: config.window.max(1),
        size: config.size,
        seed: config.seed,
        period: config
            .rate
            .map(|rate| Duration::from_secs_f64(config.senders as f64 / rate)),
        reconnects: AtomicU64::new(0),
        recorder: Recorder::default(),
        epoch: tokio::time::Instant::now(),
        measuring: AtomicBool::new(config.cycles > 0),
    });
    let runtime = crate::runtime::runtime("kill-cycle")?;
    let (stop_senders, senders_stopped) = watch::channel(false);
    let (stop_receivers, receivers_stopped) = watch::channel(false);
    let mut senders = JoinSet::new();
    let mut receivers = JoinSet::new();
    // Receivers first, so that the first messages find their recipients online.
    for index in (0..clients).rev() {
        let shared = Arc::clone(&shared);
        if index < config.senders {
            senders.spawn_on(
                clients::sender(shared, index, senders_stopped.clone()),
                runtime.handle(),
            );
        } else {
            receivers.spawn_on(
                clients::receiver(shared, index, receivers_stopped.clone()),
                runtime.handle(),
            );
        }
    }
    let load_started = Instant::now();
    let mut measured = None;
    if config.cycles == 0 {
        std::thread::sleep(Duration::from_secs_f64(config.warmup_secs));
        shared.measuring.store(true, Ordering::Relaxed);
        let (acked_before, at) = (shared.ledger.counts().acked, Instant::now());
        std::thread::sleep(Duration::from_secs_f64(config.duration_secs));
        let acked = shared.ledger.counts().acked - acked_before;
        measured = Some(acked as f64 / at.elapsed().as_secs_f64());
    }
    let cycle_log = faults(config, store, &mut nodes, &shared.ledger, &mut progress)?;
    let load_secs = load_started.elapsed().as_secs_f64();
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
    nodes.stop();
    let counts = shared.ledger.counts();
    Ok(KillCycleResults {
        cycles: config.cycles,
        cycle_log,
        counts,
        reconnects: shared.reconnects.load(Ordering::Relaxed),
        elapsed_secs: started.elapsed().as_secs_f64(),
        acked_per_sec: measured.unwrap_or(counts.acked as f64 / load_secs.max(1e-9)),
        ack_latency: shared.recorder.ack_summary(),
        cross_node_latency: shared.recorder.deliver_summary(),
    })
}

/// Does the `config.cycles` faults, each after a random time of load, and records what
/// followed each.
fn faults(
    config: &KillCycleConfig,
    store: Option<&PgServer>,
    nodes: &mut Nodes,
    ledger: &Ledger,
    progress: &mut impl FnMut(u32),
) -> Result<Vec<CycleRecord>, LoadError> {
    let mut cycle_log = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed ^ 0x6b69_6c6c);
    let mut before = ledger.counts();
    for cycle in 1..=config.cycles {
        let span = config.max_up_ms - config.min_up_ms + 1;
        std::thread::sleep(Duration::from_millis(
            config.min_up_ms + rng.next_u64() % span,
        ));
        let fault = config.faults[usize::try_from(cycle - 1).unwrap_or(0) % config.faults.len()];
        let node = usize::try_from(rng.next_u64() % nodes.len() as u64).unwrap_or(0);
        let node = match fault {
            Fault::Kill => {
                nodes.kill(node);
                std::thread::sleep(Duration::from_millis(config.down_ms));
                nodes.restart(node)?;
                Some(node)
            }
            Fault::Pause => {
                nodes.signal(node, true)?;
                std::thread::sleep(Duration::from_millis(config.pause_ms));
                nodes.signal(node, false)?;
                Some(node)
            }
            Fault::StoreRestart => {
                store
                    .expect("validated: a store to restart")
                    .restart()
                    .map_err(|e| LoadError::Relay(format!("store restart: {e}")))?;
                None
            }
        };
        let (settle_ms, undelivered) = settle(ledger, config.settle_secs);
        let now = ledger.counts();
        cycle_log.push(CycleRecord {
            cycle,
            fault,
            node,
            settle_ms,
            undelivered_after_settle: undelivered,
            new_duplicates: now.duplicated - before.duplicated,
            acked: now.acked - before.acked,
        });
        before = now;
        progress(cycle);
    }
    Ok(cycle_log)
}

fn validate(config: &KillCycleConfig, store: Option<&PgServer>) -> Result<(), LoadError> {
    let problem = if config.senders == 0 || config.recipients == 0 {
        "kill cycles need senders and recipients"
    } else if config.min_up_ms > config.max_up_ms {
        "kill cycles need min_up_ms <= max_up_ms"
    } else if config.nodes == 0 {
        "kill cycles need at least one node"
    } else if config.cycles > 0 && config.faults.is_empty() {
        "kill cycles need at least one kind of fault"
    } else if config.faults.contains(&Fault::StoreRestart) && store.is_none() {
        "the store-restart fault needs a PostgreSQL server this run started (--store temp)"
    } else if config.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        "the rate must be positive"
    } else {
        return Ok(());
    };
    Err(LoadError::Config(problem.into()))
}

/// Waits until every message acked so far was delivered, at most `secs`; returns the ms it
/// took and how many were still undelivered.
fn settle(ledger: &Ledger, secs: f64) -> (f64, u64) {
    let waiting = ledger.acked_undelivered();
    let start = Instant::now();
    let limit = Duration::from_secs_f64(secs);
    loop {
        let left = ledger.undelivered_of(&waiting);
        if left == 0 || start.elapsed() >= limit {
            return (start.elapsed().as_secs_f64() * 1e3, left);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> KillCycleConfig {
        KillCycleConfig {
            binary: PathBuf::from("saltrelay"),
            cycles: 3,
            faults: vec![Fault::Kill, Fault::Pause],
            nodes: 3,
            store: None,
            relay_args: Vec::new(),
            senders: 2,
            recipients: 2,
            window: 4,
            rate: None,
            size: 200,
            seed: 1,
            min_up_ms: 10,
            max_up_ms: 20,
            down_ms: 0,
            pause_ms: 0,
            settle_secs: 1.0,
            warmup_secs: 0.0,
            duration_secs: 1.0,
            drain_secs: 1.0,
            data_parent: None,
        }
    }

    #[test]
    fn rejects_what_cannot_run() {
        assert!(validate(&config(), None).is_ok());
        let restart = KillCycleConfig {
            faults: vec![Fault::StoreRestart],
            ..config()
        };
        assert!(validate(&restart, None).is_err(), "no server to restart");
        let no_faults = KillCycleConfig {
            faults: Vec::new(),
            ..config()
        };
        assert!(validate(&no_faults, None).is_err());
        assert!(
            validate(
                &KillCycleConfig {
                    cycles: 0,
                    ..no_faults
                },
                None
            )
            .is_ok(),
            "a measurement without faults needs none"
        );
        let zero_rate = KillCycleConfig {
            rate: Some(0.0),
            ..config()
        };
        assert!(validate(&zero_rate, None).is_err());
    }

    #[test]
    fn settle_reports_what_is_still_missing() {
        let ledger = Ledger::default();
        ledger.sent(1, 0, false, false);
        ledger.acked(1);
        let (_, missing) = settle(&ledger, 0.05);
        assert_eq!(missing, 1);
        ledger.delivered(1);
        let (_, missing) = settle(&ledger, 0.05);
        assert_eq!(missing, 0);
    }
}
