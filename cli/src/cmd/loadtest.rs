//! `saltrelay loadtest`: load a relay with real TCP clients, count every message and write
//! `reports/loadtest/<name>/` (spec/05-relay.md, RELAY-13, RELAY-20, RELAY-21).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_loadtest::config::Offenders;
use saltrelay_loadtest::sizes::SizeDistribution;
use saltrelay_loadtest::{LoadConfig, Preset, RelayMode, report};

/// Arguments of `saltrelay loadtest`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    saltrelay loadtest --preset smoke --out /tmp/lt\n  \
    saltrelay loadtest --preset offline\n  \
    saltrelay loadtest --preset online --name online-peak\n  \
    saltrelay loadtest --preset online --rate 20000 --name online-70\n  \
    saltrelay loadtest --preset idle\n  \
    saltrelay loadtest --preset offenders\n  \
    saltrelay loadtest --preset smoke --relay 127.0.0.1:5222 --relay-key HEX\n  \
    saltrelay loadtest --relay-process --kill-cycles 100\n  \
    saltrelay loadtest --nodes 3 --store temp --kill-cycles 21 --out reports/cluster\n  \
    saltrelay loadtest --nodes 3 --store postgres://relay@db:5432/relay --faults kill,pause\n  \
    saltrelay loadtest --compare-cluster --out reports/cluster")]
pub(crate) struct Args {
    /// Named scenario; the flags below override its values.
    #[arg(long, value_enum, default_value = "smoke")]
    preset: PresetArg,
    /// Report name: the folder under --out (default: the preset's name).
    #[arg(long)]
    pub(super) name: Option<String>,
    /// Folder of reports.
    #[arg(long, default_value = "reports/loadtest")]
    pub(super) out: PathBuf,
    /// Well-behaved client connections, each with its own identity and handshake.
    #[arg(long)]
    pub(super) clients: Option<usize>,
    /// How many clients send (the first ones; senders are never offline).
    #[arg(long)]
    pub(super) senders: Option<usize>,
    /// Total messages per second, open loop. Absent: closed loop with --window.
    #[arg(long)]
    pub(super) rate: Option<f64>,
    /// Closed loop: messages awaiting their ack per sender.
    #[arg(long)]
    pub(super) window: Option<usize>,
    /// Text body sizes in bytes: `1024`, or weighted `64:0.5,1024:0.4,4096:0.1` (at most 6000).
    #[arg(long)]
    size: Option<String>,
    /// Fraction of clients offline at the start (never senders).
    #[arg(long)]
    offline_fraction: Option<f64>,
    /// Seconds into the measured phase at which offline clients log in again (default: at
    /// the drain).
    #[arg(long)]
    reconnect_after: Option<f64>,
    /// Recipients per message: one copy is sent to each (group fan-out).
    #[arg(long)]
    group_size: Option<usize>,
    /// Measured seconds.
    #[arg(long)]
    pub(super) duration: Option<f64>,
    /// Seconds of load before measuring.
    #[arg(long)]
    pub(super) warmup: Option<f64>,
    /// Most seconds to wait after the load until every acked message is delivered.
    #[arg(long)]
    pub(super) drain: Option<f64>,
    /// Seed of identities, recipients and sizes.
    #[arg(long)]
    pub(super) seed: Option<u64>,
    /// Load an existing relay at this address instead of starting one.
    #[arg(long, requires = "relay_key")]
    relay: Option<SocketAddr>,
    /// The existing relay's public key, hex (`saltrelay relay key --data DIR`).
    #[arg(long, requires = "relay")]
    relay_key: Option<String>,
    /// Run the relay as a child process `saltrelay relay serve` (its memory measured apart)
    /// instead of in this process.
    #[arg(long, conflicts_with = "relay")]
    relay_process: bool,
    /// Embedded relay: slow-reader timeout in ms (RELAY-20; default 30,000).
    #[arg(long)]
    slow_reader_ms: Option<u64>,
    /// Offenders that send a malformed message header.
    #[arg(long)]
    malformed: Option<usize>,
    /// Offenders that send their handshake one byte every 500 ms.
    #[arg(long)]
    slowloris: Option<usize>,
    /// Offenders that log in, are sent messages and never read.
    #[arg(long)]
    never_reading: Option<usize>,
    /// Offenders that send frames far above the rate limit.
    #[arg(long)]
    flooder: Option<usize>,
    /// Measure the data directory's append+fdatasync rate beside the run.
    #[arg(long)]
    flush_check: Option<bool>,
    /// Run Redis (appendfsync always) and redis-benchmark beside the run.
    #[arg(long)]
    redis: Option<bool>,
    /// Kill-cycle mode: hit the relay child(ren) with this many faults (`--faults`, default
    /// SIGKILL) at random moments under load, restart, and count acked, delivered, lost and
    /// duplicated messages; exits 1 if an acked message was lost. Relays are always child
    /// processes here. Uses --senders (default 4), --clients (default 8), --window (default
    /// 32), --rate, --seed, --drain (default 60).
    #[arg(long)]
    kill_cycles: Option<u32>,
    /// Cluster mode: this many relay child processes (`relay serve --node-id node<i>`), clients
    /// spread over them; with --kill-cycles N, N faults; without, --warmup (default 3) and
    /// --duration (default 10) seconds of load whose acked rate and cross-node latency are
    /// measured.
    #[arg(long)]
    pub(super) nodes: Option<usize>,
    /// The store every node uses: `postgres://…`, or `temp` for a throw-away PostgreSQL server
    /// started for the run (fsync on; the store-restart fault needs it). Absent: each node
    /// its embedded store.
    #[arg(long)]
    pub(super) store: Option<String>,
    /// Faults of kill-cycle mode, in turn: kill (SIGKILL a node, restart it), store-restart
    /// (crash and restart PostgreSQL; `--store temp` only), pause (SIGSTOP a node past its
    /// presence lease, then SIGCONT). Default: all that apply.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub(super) faults: Vec<FaultArg>,
    /// A further `relay serve` argument for every node (repeat it for several).
    #[arg(long, allow_hyphen_values = true)]
    pub(super) relay_arg: Vec<String>,
    /// Kill-cycle mode: ms a killed node stays down before its restart.
    #[arg(long, default_value_t = 500)]
    pub(super) down_ms: u64,
    /// Kill-cycle mode: ms a paused node stays stopped (default: the 10 s presence lease
    /// of spec/09-relay-cluster.md plus 3 s).
    #[arg(long, default_value_t = 13_000)]
    pub(super) pause_ms: u64,
    /// Kill-cycle mode: most seconds to wait after each fault until every message acked by
    /// then was delivered.
    #[arg(long, default_value_t = 30.0)]
    pub(super) settle: f64,
    /// Kill-cycle mode: the relay runs between this many ms and `--kill-max-up-ms` before each kill.
    #[arg(long, default_value_t = 300)]
    pub(super) kill_min_up_ms: u64,
    /// Kill-cycle mode: see `--kill-min-up-ms`.
    #[arg(long, default_value_t = 1_500)]
    pub(super) kill_max_up_ms: u64,
    /// Comparison mode: in one run on one throw-away PostgreSQL server, the same load on one
    /// node with the embedded store, one node on PostgreSQL, three nodes on PostgreSQL,
    /// `pgbench`'s insert rate, and the cross-node p99 at 70 % of the one-node PostgreSQL
    /// rate; report in `<out>/compare/`. Uses --clients (default 40), --senders (20),
    /// --window (8), --warmup (3), --duration (15), --seed.
    #[arg(long, conflicts_with_all = ["kill_cycles", "nodes", "store"])]
    compare_cluster: bool,
    /// Hide the progress bar.
    #[arg(long)]
    pub(super) quiet: bool,
}

/// A fault of kill-cycle mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum FaultArg {
    Kill,
    StoreRestart,
    Pause,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PresetArg {
    Smoke,
    Offline,
    Online,
    Idle,
    Offenders,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.compare_cluster {
        return super::compare_cluster::run(&args);
    }
    if args.kill_cycles.is_some() || args.nodes.is_some() {
        return super::kill_cycle::run(&args, args.kill_cycles.unwrap_or(0));
    }
    let config = configure(args)?;
    let results = saltrelay_loadtest::run(&config, std::path::Path::new("."))?;
    let dir = report::write(&results).context("cannot write the report")?;
    let n = &results.counts;
    println!(
        "loadtest {}: sent {} acked {} delivered {} lost {} duplicated {}; acked {:.0} msg/s, \
         p99 ack {}, p99 deliver {}; report in {}",
        config.name,
        n.sent,
        n.acked,
        n.delivered,
        n.lost,
        n.duplicated,
        results.throughput.acked_per_sec,
        p99(&results.ack_latency),
        p99(&results.deliver_latency),
        dir.display()
    );
    if results.lost_messages() {
        eprintln!("saltrelay: {} acked messages were never delivered", n.lost);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn p99(summary: &saltrelay_loadtest::latency::LatencySummary) -> String {
    summary
        .at(99.0)
        .map_or_else(|| "n/a".into(), |v| format!("{v:.2} ms"))
}

/// The preset with every flag given applied.
fn configure(args: Args) -> anyhow::Result<LoadConfig> {
    anyhow::ensure!(
        args.store.is_none() || args.relay_process,
        "--store needs --relay-process (one node) or --nodes (a cluster)"
    );
    let preset = match args.preset {
        PresetArg::Smoke => Preset::Smoke,
        PresetArg::Offline => Preset::Offline,
        PresetArg::Online => Preset::Online,
        PresetArg::Idle => Preset::Idle,
        PresetArg::Offenders => Preset::Offenders,
    };
    let mut c = LoadConfig::preset(preset, args.out);
    c.command = std::iter::once("saltrelay".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    c.relay_binary = Some(std::env::current_exe().context("cannot find this binary")?);
    c.progress = !args.quiet;
    set(&mut c.name, args.name);
    set(&mut c.clients, args.clients);
    set(&mut c.senders, args.senders);
    set(&mut c.window, args.window);
    set(&mut c.offline_fraction, args.offline_fraction);
    set(&mut c.group_size, args.group_size);
    set(&mut c.duration, args.duration);
    set(&mut c.warmup, args.warmup);
    set(&mut c.drain, args.drain);
    set(&mut c.seed, args.seed);
    set(&mut c.flush_check, args.flush_check);
    set(&mut c.redis, args.redis);
    if args.rate.is_some() {
        c.rate = args.rate;
    }
    if args.reconnect_after.is_some() {
        c.reconnect_after = args.reconnect_after;
    }
    if args.slow_reader_ms.is_some() {
        c.slow_reader_ms = args.slow_reader_ms;
    }
    if let Some(size) = args.size {
        c.sizes = SizeDistribution::parse(&size)?;
    }
    let o = &mut c.offenders;
    *o = Offenders {
        malformed: args.malformed.unwrap_or(o.malformed),
        slowloris: args.slowloris.unwrap_or(o.slowloris),
        never_reading: args.never_reading.unwrap_or(o.never_reading),
        flooder: args.flooder.unwrap_or(o.flooder),
    };
    if let (Some(addr), Some(key)) = (args.relay, args.relay_key) {
        c.relay = RelayMode::External { addr, key };
        c.slow_reader_ms = None;
    } else if args.relay_process {
        c.relay = RelayMode::Process;
        c.slow_reader_ms = None;
        c.relay_args = args.relay_arg;
        if let Some(store) = args.store {
            anyhow::ensure!(
                store != "temp",
                "--store temp needs --nodes (a single-node load on PostgreSQL takes a postgres:// URL)"
            );
            c.relay_args.extend(["--store".to_owned(), store]);
        }
    }
    c.validate()?;
    Ok(c)
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}
