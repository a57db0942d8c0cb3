//! One load test run from start to end: relay, baselines, logins, warm-up, measured phase,
//! drain, and the figures.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use saltrelay_measure::Provenance;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientHandle, ClientOptions};
use saltrelay_relay::server::RelayStats;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::identities::Population;
use crate::latency::Series;
use crate::offenders::{self, OffenderOutcome};
use crate::receiver::{self, Comeback, Login};
use crate::results::{CpuUse, Memory, PerSecond, Results, StoreUse, Throughput};
use crate::runtime::runtime;
use crate::sender::{self, Sender};
use crate::state::State;
use crate::target::Target;
use crate::{LoadConfig, LoadError, RelayMode, cpu, flush, redis};

/// Logins in flight at once during setup.
const LOGINS_IN_FLIGHT: usize = 64;
/// Seconds the flush check runs.
const FLUSH_CHECK: Duration = Duration::from_secs(3);
/// Longest wait for senders to see their last acks after the load stops.
const SENDER_GRACE: Duration = Duration::from_secs(30);

/// Runs `config` and returns its figures; `repo` is where the commit is read from.
///
/// # Errors
/// [`LoadError`] when the configuration is invalid, the relay does not start, or a
/// well-behaved client cannot log in during setup.
pub fn run(config: &LoadConfig, repo: &Path) -> Result<Results, LoadError> {
    config.validate()?;
    let load_at_start = cpu::load_average();
    let provenance = Provenance::record(&config.command, repo);
    let population = Population::new(
        config.seed,
        config.clients,
        config.senders,
        config.group_size,
    )?;
    let target = Target::start(config, None)?;
    let flush = if config.flush_check {
        let dir = target.data_dir().unwrap_or_else(std::env::temp_dir);
        Some(flush::measure(&dir, FLUSH_CHECK)?)
    } else {
        None
    };
    let redis = config.redis.then(|| redis::measure(config.redis_requests));
    let runtime = runtime(cpu::CLIENT_THREADS)?;
    let driven = runtime.block_on(drive(config, &target, population))?;
    drop(runtime);
    let relay = target.describe().to_owned();
    let closes = target
        .stats()
        .map(|s| {
            s.closes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect()
        })
        .unwrap_or_default();
    target.stop()?;
    let mut results = driven.into_results(config, provenance, relay, closes);
    results.load_average = (load_at_start, cpu::load_average());
    results.flush = flush;
    results.redis = redis;
    results.check_targets();
    Ok(results)
}

/// A moment's snapshot: relay stats and CPU.
struct Snapshot {
    at: Instant,
    stats: Option<RelayStats>,
    relay_cpu: Option<f64>,
    client_cpu: f64,
    machine_busy: Option<f64>,
}

impl Snapshot {
    fn take(target: &Target) -> Self {
        Self {
            at: Instant::now(),
            stats: target.stats(),
            relay_cpu: target.cpu_secs(),
            client_cpu: cpu::split_self().client_secs,
            machine_busy: cpu::machine_busy_secs(),
        }
    }
}

/// What the async part hands back.
struct Driven {
    state: Arc<State>,
    setup_secs: f64,
    drain_secs: f64,
    memory: Memory,
    /// The relay's cores busy while every client was logged in and nothing was sent.
    idle_relay_cores: Option<f64>,
    begin: Snapshot,
    end: Snapshot,
    offenders: Vec<OffenderOutcome>,
}

impl Driven {
    fn into_results(
        self,
        config: &LoadConfig,
        provenance: Provenance,
        relay: String,
        closes: std::collections::BTreeMap<String, u64>,
    ) -> Results {
        let state = &self.state;
        let seconds = usize::try_from(state.now_us() / 1_000_000 + 1).unwrap_or(usize::MAX);
        let per_second = PerSecond {
            sent: state.recorder.per_second(Series::Sent, seconds),
            acked: state.recorder.per_second(Series::Acked, seconds),
            delivered: state.recorder.per_second(Series::Delivered, seconds),
        };
        let window = |series: &[u64]| {
            let from = usize::try_from(state.measure_from_us / 1_000_000).unwrap_or(0);
            let until = usize::try_from(state.measure_until_us.div_ceil(1_000_000)).unwrap_or(0);
            let sum: u64 = series.iter().skip(from).take(until - from).sum();
            sum as f64 / (until - from).max(1) as f64
        };
        let acked_per_sec = window(&per_second.acked);
        let throughput = Throughput {
            sent_per_sec: window(&per_second.sent),
            acked_per_sec,
            delivered_per_sec: window(&per_second.delivered),
            acked_bytes_per_sec: acked_per_sec * config.sizes.mean(),
        };
        let wall_secs = self.end.at.duration_since(self.begin.at).as_secs_f64();
        let cpu = CpuUse {
            wall_secs,
            relay_secs: self
                .end
                .relay_cpu
                .zip(self.begin.relay_cpu)
                .map(|(e, b)| e - b),
            client_secs: self.end.client_cpu - self.begin.client_cpu,
            machine_busy_secs: self
                .end
                .machine_busy
                .zip(self.begin.machine_busy)
                .map(|(e, b)| e - b),
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            idle_relay_cores: self.idle_relay_cores,
        };
        let store = self
            .end
            .stats
            .as_ref()
            .zip(self.begin.stats.as_ref())
            .map(|(e, b)| {
                let commits = e.commits - b.commits;
                let messages_written = e.messages_written - b.messages_written;
                StoreUse {
                    commits,
                    messages_written,
                    commits_per_sec: commits as f64 / wall_secs.max(1e-9),
                    messages_per_commit: messages_written as f64 / commits.max(1) as f64,
                }
            });
        Results {
            schema: "saltrelay_loadtest_v2",
            config: config.clone(),
            provenance,
            relay,
            load_average: (String::new(), String::new()),
            setup_secs: self.setup_secs,
            drain_secs: self.drain_secs,
            counts: state.ledger.counts(),
            ack_latency: state.recorder.ack_summary(),
            deliver_latency: state.recorder.deliver_summary(),
            throughput,
            per_second,
            reconnects: state.reconnects.load(std::sync::atomic::Ordering::Relaxed),
            disconnects: state.disconnects.load(std::sync::atomic::Ordering::Relaxed),
            skipped: state.skipped.load(std::sync::atomic::Ordering::Relaxed),
            build_errors: state
                .build_errors
                .load(std::sync::atomic::Ordering::Relaxed),
            cpu,
            store,
            closes,
            memory: self.memory,
            flush: None,
            redis: None,
            offenders: self.offenders,
            targets: Vec::new(),
        }
    }
}

/// The relay's memory now, and how it is read.
fn relay_rss(config: &LoadConfig, target: &Target) -> (Option<u64>, &'static str) {
    match (&config.relay, target.pid()) {
        (RelayMode::Process, Some(pid)) => (
            cpu::rss_bytes(Some(pid)),
            "VmRSS of the relay child process (/proc/<pid>/status)",
        ),
        (RelayMode::Embedded, _) => (
            cpu::rss_bytes(None),
            "VmRSS of this process: embedded relay and clients together (an upper bound)",
        ),
        _ => (None, "external relay: not measured"),
    }
}

/// Lets allocations settle for half a second before memory is read; returns the relay's
/// cores busy over it, every client logged in and nothing sent: its idle floor
/// (simulator/MODEL.md, VAL-12).
async fn settle(target: &Target) -> Option<f64> {
    let (before, from) = (target.cpu_secs(), Instant::now());
    tokio::time::sleep(Duration::from_millis(500)).await;
    target
        .cpu_secs()
        .zip(before)
        .map(|(after, before)| (after - before).max(0.0) / from.elapsed().as_secs_f64())
}

async fn drive(
    config: &LoadConfig,
    target: &Target,
    population: Population,
) -> Result<Driven, LoadError> {
    let bar = crate::report::progress::bar(config);
    let login = Arc::new(Login {
        addr: target.addr(),
        options: ClientOptions::new(target.key()),
    });
    let offline_from = config.clients - config.offline_clients();
    let (relay_before, how) = relay_rss(config, target);
    let process_before = cpu::rss_bytes(None);
    let Population { keys, targets } = population;
    let keys: Vec<Arc<IdentityKeys>> = keys.into_iter().map(Arc::new).collect();

    let setup_start = Instant::now();
    bar.set_prefix("logging in");
    let clients = login_all(&login, &keys, offline_from, &bar).await?;
    let setup_secs = setup_start.elapsed().as_secs_f64();
    let idle_relay_cores = settle(target).await;
    let memory = Memory {
        connections: offline_from,
        how: how.to_owned(),
        relay_rss_before: relay_before,
        relay_rss_after: relay_rss(config, target).0,
        relay_bytes_per_connection: relay_before
            .zip(relay_rss(config, target).0)
            .map(|(b, a)| a.saturating_sub(b) as f64 / offline_from.max(1) as f64),
        process_rss_before: process_before,
        process_rss_after: cpu::rss_bytes(None),
    };

    let state = Arc::new(State::new(config.clients, config.warmup, config.duration));
    for index in 0..offline_from {
        state.set_online(index, true);
    }
    let (stop_send, stop_send_rx) = watch::channel(false);
    let (drain, drain_rx) = watch::channel(false);
    let (stop_recv, stop_recv_rx) = watch::channel(false);
    let handles: Vec<ClientHandle> = clients
        .iter()
        .take(config.senders)
        .map(Client::handle)
        .collect();
    let phases = Phases {
        drain: drain_rx,
        stop_recv: stop_recv_rx,
        stop_send: stop_send_rx.clone(),
    };
    let mut receivers = spawn_receivers(config, &state, &login, &keys, clients, &phases);
    let mut senders = spawn_senders(config, &state, &keys, handles, targets, &phases);
    let offenders = (config.offenders.total() > 0).then(|| {
        tokio::spawn(offenders::run(
            config.offenders,
            Arc::clone(&login),
            config.seed,
            stop_send_rx.clone(),
        ))
    });

    // Warm-up, then the measured phase.
    let epoch = state.epoch();
    let progress = crate::report::progress::follow(bar.clone(), Arc::clone(&state), config);
    tokio::time::sleep_until(epoch + Duration::from_secs_f64(config.warmup)).await;
    let begin = Snapshot::take(target);
    tokio::time::sleep_until(epoch + Duration::from_secs_f64(config.warmup + config.duration))
        .await;
    let end = Snapshot::take(target);

    // Stop sending; wait for the last acks.
    let _ = stop_send.send(true);
    let _ = tokio::time::timeout(SENDER_GRACE, async {
        while senders.join_next().await.is_some() {}
    })
    .await;
    senders.abort_all();
    let offenders = match offenders {
        Some(task) => task.await.unwrap_or_default(),
        None => Vec::new(),
    };

    // Drain: offline clients come back; wait until every acked message was delivered.
    bar.set_prefix("draining");
    let drain_start = Instant::now();
    let _ = drain.send(true);
    let drain_limit = Duration::from_secs_f64(config.drain);
    while state.ledger.outstanding() > 0 && drain_start.elapsed() < drain_limit {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain_secs = drain_start.elapsed().as_secs_f64();
    let _ = stop_recv.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        while receivers.join_next().await.is_some() {}
    })
    .await;
    receivers.abort_all();
    progress.abort();
    bar.finish_and_clear();
    Ok(Driven {
        state,
        setup_secs,
        drain_secs,
        memory,
        idle_relay_cores,
        begin,
        end,
        offenders,
    })
}

/// The signals that end each phase, for the tasks to watch.
struct Phases {
    drain: watch::Receiver<bool>,
    stop_recv: watch::Receiver<bool>,
    stop_send: watch::Receiver<bool>,
}

/// A receiving task per client: the online ones now, the offline ones when they come back.
fn spawn_receivers(
    config: &LoadConfig,
    state: &Arc<State>,
    login: &Arc<Login>,
    keys: &[Arc<IdentityKeys>],
    clients: Vec<Client>,
    phases: &Phases,
) -> JoinSet<()> {
    let mut receivers = JoinSet::new();
    let online = clients.len();
    for (index, client) in clients.into_iter().enumerate() {
        receivers.spawn(receiver::receive(
            Arc::clone(state),
            Arc::clone(login),
            Arc::clone(&keys[index]),
            index,
            client,
            phases.stop_recv.clone(),
        ));
    }
    for (index, keys) in keys.iter().enumerate().skip(online) {
        let comeback = config.reconnect_after.map_or(Comeback::AtDrain, |secs| {
            Comeback::At(state.epoch() + Duration::from_secs_f64(config.warmup + secs))
        });
        receivers.spawn(receiver::offline(
            Arc::clone(state),
            Arc::clone(login),
            Arc::clone(keys),
            index,
            comeback,
            phases.drain.clone(),
            phases.stop_recv.clone(),
        ));
    }
    receivers
}

/// A sending task per sender, closed or open loop.
fn spawn_senders(
    config: &LoadConfig,
    state: &Arc<State>,
    keys: &[Arc<IdentityKeys>],
    handles: Vec<ClientHandle>,
    targets: Vec<Vec<Vec<crate::identities::Recipient>>>,
    phases: &Phases,
) -> JoinSet<()> {
    let mut senders = JoinSet::new();
    for ((index, handle), groups) in handles.into_iter().enumerate().zip(targets) {
        let sender = Arc::new(Sender::new(
            index,
            keys[index].identity(),
            groups,
            config.sizes.clone(),
            config.seed,
        ));
        let state = Arc::clone(state);
        let stop = phases.stop_send.clone();
        match config.rate {
            None => {
                senders.spawn(sender::closed_loop(
                    state,
                    sender,
                    handle,
                    config.window,
                    stop,
                ));
            }
            Some(rate) => {
                let per_sender = rate / (config.senders * config.group_size) as f64;
                let period = Duration::from_secs_f64(1.0 / per_sender);
                let phase = index as f64 / config.senders as f64;
                senders.spawn(sender::open_loop(
                    state, sender, handle, period, phase, stop,
                ));
            }
        }
    }
    senders
}

/// Logs every client in; those from `offline_from` on log out again at once (their keys
/// are then bound, RELAY-15, so messages to them are accepted). Returns the online ones.
async fn login_all(
    login: &Arc<Login>,
    keys: &[Arc<IdentityKeys>],
    offline_from: usize,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Client>, LoadError> {
    bar.set_length(keys.len() as u64);
    let slots = Arc::new(Semaphore::new(LOGINS_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for (index, keys) in keys.iter().enumerate() {
        let (login, keys, slots) = (Arc::clone(login), Arc::clone(keys), Arc::clone(&slots));
        tasks.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            (index, login.connect(&keys).await)
        });
    }
    let mut online: Vec<Option<Client>> = (0..offline_from).map(|_| None).collect();
    let mut offline = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, result) = joined.map_err(|e| LoadError::Login {
            index: usize::MAX,
            reason: e.to_string(),
        })?;
        let client = result.map_err(|reason| LoadError::Login { index, reason })?;
        bar.inc(1);
        if index < offline_from {
            online[index] = Some(client);
        } else {
            offline.push(client);
        }
    }
    for client in offline {
        client.close().await;
    }
    Ok(online
        .into_iter()
        .map(|c| c.expect("every index logged in"))
        .collect())
}
