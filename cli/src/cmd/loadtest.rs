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
    saltrelay loadtest --relay-process --kill-cycles 100")]
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
    rate: Option<f64>,
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
    duration: Option<f64>,
    /// Seconds of load before measuring.
    #[arg(long)]
    warmup: Option<f64>,
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
    /// Kill-cycle mode: SIGKILL the relay child (`--relay-process`) this many times at random
    /// moments under load, restart it on the same data directory, and count acked, delivered,
    /// lost and duplicated messages; exits 1 if an acked message was lost. Uses --senders
    /// (default 4), --clients (default 8), --window (default 32), --seed, --drain (default 60).
    #[arg(long, requires = "relay_process")]
    kill_cycles: Option<u32>,
    /// Kill-cycle mode: the relay runs between this many ms and `--kill-max-up-ms` before each kill.
    #[arg(long, default_value_t = 300)]
    pub(super) kill_min_up_ms: u64,
    /// Kill-cycle mode: see `--kill-min-up-ms`.
    #[arg(long, default_value_t = 1_500)]
    pub(super) kill_max_up_ms: u64,
    /// Hide the progress bar.
    #[arg(long)]
    pub(super) quiet: bool,
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
    if let Some(cycles) = args.kill_cycles {
        return super::kill_cycle::run(&args, cycles);
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
    }
    c.validate()?;
    Ok(c)
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}
