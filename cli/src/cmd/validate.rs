//! `saltrelay validate`: the simulator against the real relay (simulator/MODEL.md, VAL-1 to
//! VAL-11). Each workload runs on a real `relay serve` process with the load test's real TCP
//! clients, and in the model with costs measured in the same invocation; the report in
//! `reports/validation/` puts predicted beside measured.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context as _, bail};
use saltrelay_loadtest::sizes::SizeDistribution;
use saltrelay_loadtest::{LoadConfig, Preset, RelayMode, Results};
use saltrelay_measure::Provenance as Recorded;
use saltrelay_simulator::costs::CostFile;
use saltrelay_simulator::validate::{
    Case, Document, Figures, Peak, Provenance, SCHEMA, Workload, mapping, report,
};

/// Arguments of `saltrelay validate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    saltrelay validate                      # the committed report: both scenarios, 30/70/95 %, 3 seeds\n  \
    saltrelay validate --short --costs reports/bench/costs.json --out /tmp/v   # CI: one level, one seed")]
pub(crate) struct Args {
    /// Scenarios (VAL-1): `one-to-one` (1:1 messages) and `group` (3 recipients per message).
    #[arg(long, value_delimiter = ',', default_value = "one-to-one,group")]
    scenarios: Vec<String>,
    /// Load levels, as shares of the relay's measured peak.
    #[arg(long, value_delimiter = ',', default_value = "0.3,0.7,0.95")]
    levels: Vec<f64>,
    /// Seeds per level (1, 2, ...).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// The relay's peak in acked copies per second, for every scenario, instead of measuring
    /// it (closed loop) first.
    #[arg(long)]
    peak: Option<f64>,
    /// Connections per run.
    #[arg(long, default_value_t = 400)]
    clients: u32,
    /// Senders among them (the first ones).
    #[arg(long, default_value_t = 100)]
    senders: u32,
    /// Share of the clients offline for the whole run (their messages wait in mailboxes).
    #[arg(long, default_value_t = 0.2)]
    offline_fraction: f64,
    /// Text body size in bytes.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// A `saltrelay_costs_v1` file to use instead of measuring the costs first with
    /// `saltrelay bench run --profile quick` (the report names its provenance).
    #[arg(long)]
    costs: Option<PathBuf>,
    /// Short mode for CI: the first scenario only, one level (the first), one seed, 3 s.
    #[arg(long)]
    short: bool,
    /// Report folder.
    #[arg(long, default_value = "reports/validation")]
    out: PathBuf,
}

pub(crate) fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let command = saltrelay_measure::provenance::command_line();
    if args.short {
        args.scenarios.truncate(1);
        args.levels.truncate(1);
        args.seeds = 1;
        args.duration = args.duration.min(3.0);
        args.warmup = args.warmup.min(1.0);
    }
    let recorded = Recorded::record(&command, Path::new("."));
    // VAL-7: what the machine is doing now, over a short window (the load average would still
    // carry the tail of whatever ran in the minutes before).
    let busy_cores_start =
        saltrelay_loadtest::cpu::machine_busy_cores(std::time::Duration::from_secs(1));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let costs_path = match &args.costs {
        Some(path) => path.clone(),
        None => measure_costs(&args.out)?,
    };
    let costs = CostFile::load(&costs_path)?;
    let costs_arg = std::fs::canonicalize(&costs_path)?.display().to_string();
    let relay_cores = u32::try_from(std::thread::available_parallelism().map_or(1, usize::from))?;
    let wire_size =
        saltrelay_loadtest::message::mean_payload_len(args.size, 64)? + mapping::FRAME_OVERHEAD;
    let scratch = tempfile::tempdir()?;
    let (frame_io_ns, ping) = machine_terms(wire_size)?;
    let ctx = Context {
        costs: &costs,
        costs_arg,
        relay_cores,
        wire_size,
        frame_io_ns,
        wakeup_ns: ping.wakeup_ns(frame_io_ns),
        loopback_rtt_ns: ping.wall_ns,
        scratch: scratch.path(),
    };
    let mut peaks = Vec::new();
    let mut cases = Vec::new();
    for scenario in &args.scenarios {
        let group_size = match scenario.as_str() {
            "one-to-one" => 1,
            "group" => 3,
            other => bail!("unknown scenario {other:?}: one-to-one or group"),
        };
        let peak = peak(&args, scenario, group_size, scratch.path())?;
        for &level in &args.levels {
            cases.push(run_case(
                &args,
                &ctx,
                scenario,
                group_size,
                level,
                peak.acked_per_s,
            )?);
        }
        peaks.push(peak);
    }
    let doc = Document {
        schema: SCHEMA.to_owned(),
        provenance: Provenance {
            measured: recorded,
            load_average_end: saltrelay_loadtest::cpu::load_average(),
            wall_s: started.elapsed().as_secs_f64(),
            short: args.short,
            busy_cores_start,
        },
        costs,
        peaks,
        cases,
    };
    report::write(&doc, &args.out)?;
    for case in &doc.cases {
        let line: Vec<String> = case
            .comparisons
            .iter()
            .filter(|c| c.metric == "acked_per_s" || c.metric == "deliver_p99_ms")
            .map(|c| {
                format!(
                    "{} measured {:.2} predicted {:.2} ({})",
                    c.metric,
                    c.measured.mean,
                    c.predicted.mean,
                    c.relative_error
                        .map_or_else(|| "n/a".into(), |e| format!("{:+.1} %", e * 100.0))
                )
            })
            .collect();
        println!("{}: {}", case.id, line.join("; "));
    }
    println!(
        "validate: {} case(s) in {:.0} s; report in {}",
        doc.cases.len(),
        doc.provenance.wall_s,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The VAL-9 to VAL-11 machine terms, measured here before any load: the kernel's cost per
/// frame (VAL-9) and a frame that finds its reader asleep, in CPU and in time (VAL-10, VAL-11).
fn machine_terms(wire_size: f64) -> anyhow::Result<(f64, saltrelay_loadtest::frame_io::PingPong)> {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a frame of a few kB"
    )]
    let frame_len = wire_size as usize;
    let frame_io_ns = saltrelay_loadtest::frame_io::ns_per_frame(frame_len, 50_000)?;
    let ping = saltrelay_loadtest::frame_io::ping_pong(frame_len, 10_000)?;
    Ok((frame_io_ns, ping))
}

/// What every case of an invocation shares.
struct Context<'a> {
    costs: &'a CostFile,
    costs_arg: String,
    relay_cores: u32,
    wire_size: f64,
    frame_io_ns: f64,
    wakeup_ns: f64,
    loopback_rtt_ns: f64,
    scratch: &'a Path,
}

/// The scenario's peak (VAL-1): given, or measured in closed loop.
fn peak(args: &Args, scenario: &str, group_size: usize, scratch: &Path) -> anyhow::Result<Peak> {
    if let Some(rate) = args.peak {
        return Ok(Peak {
            scenario: scenario.to_owned(),
            acked_per_s: rate,
            how: "given (--peak)".into(),
        });
    }
    let config = load_config(args, scenario, group_size, None, 1, scratch)?;
    eprintln!("validate: {scenario}: measuring the peak (closed loop)");
    let results = saltrelay_loadtest::run(&config, Path::new("."))?;
    Ok(Peak {
        scenario: scenario.to_owned(),
        acked_per_s: results.throughput.acked_per_sec,
        how: format!(
            "measured: closed loop, {} messages in flight per sender, seed 1",
            config.window
        ),
    })
}

/// One case: every seed on the real relay, then in the model with and without the VAL-9 to
/// VAL-11 terms.
fn run_case(
    args: &Args,
    ctx: &Context<'_>,
    scenario: &str,
    group_size: usize,
    level: f64,
    peak: f64,
) -> anyhow::Result<Case> {
    let rate = peak * level;
    let (mut measured, mut predicted, mut baseline) = (Vec::new(), Vec::new(), Vec::new());
    let mut workload = None;
    for seed in 1..=args.seeds {
        let config = load_config(args, scenario, group_size, Some(rate), seed, ctx.scratch)?;
        eprintln!(
            "validate: {scenario} at {:.0} % ({rate:.0} copies/s), seed {seed}",
            level * 100.0
        );
        let results = saltrelay_loadtest::run(&config, Path::new("."))?;
        if results.lost_messages() {
            bail!("{scenario}: the relay lost acked messages; no validation on that");
        }
        let w = Workload {
            clients: args.clients,
            senders: args.senders,
            rate,
            group_size: u32::try_from(group_size)?,
            wire_size: ctx.wire_size,
            offline_clients: u32::try_from(config.offline_clients())?,
            warmup_s: args.warmup,
            duration_s: args.duration,
            relay_cores: ctx.relay_cores,
            frame_io_ns: ctx.frame_io_ns,
            background_cores: results.cpu.client_secs / results.cpu.wall_secs.max(1e-9),
            wakeup_ns: ctx.wakeup_ns,
            loopback_rtt_ns: ctx.loopback_rtt_ns,
            idle_cores: results.cpu.idle_relay_cores.unwrap_or(0.0),
        };
        measured.push(observed(&results, seed, &w));
        let trace = ctx.scratch.join(format!("{scenario}.trace.csv"));
        std::fs::write(&trace, mapping::trace_csv(&w))?;
        let sim = mapping::scenario(
            scenario,
            &w,
            seed,
            &ctx.costs_arg,
            &trace.display().to_string(),
        )?;
        let run = saltrelay_simulator::model::run(&sim, &ctx.costs.costs, &())?;
        predicted.push(Figures::predicted(&run, ctx.relay_cores));
        let mut bare = sim.clone();
        bare.relays.frame_io_ns = 0.0;
        bare.relays.background_cores = 0.0;
        bare.relays.wakeup_ns = 0.0;
        bare.relays.idle_cores = 0.0;
        bare.network.rtt_median = mapping::LOOPBACK_RTT;
        let run = saltrelay_simulator::model::run(&bare, &ctx.costs.costs, &())?;
        baseline.push(Figures::predicted(&run, ctx.relay_cores));
        workload = Some(w);
    }
    let workload = workload.context("at least one seed")?;
    Ok(Case::new(
        scenario,
        level,
        workload,
        measured,
        [predicted, baseline],
    ))
}

/// The load test of one run: a real relay process, open loop at `rate` (closed loop when
/// `None`, for the peak), no offenders, no side measurements (VAL-2).
fn load_config(
    args: &Args,
    scenario: &str,
    group_size: usize,
    rate: Option<f64>,
    seed: u64,
    out: &Path,
) -> anyhow::Result<LoadConfig> {
    let mut c = LoadConfig::preset(Preset::Online, out.to_path_buf());
    c.name = format!("validate-{scenario}-{seed}");
    c.targets = saltrelay_loadtest::config::Targets::default();
    c.clients = usize::try_from(args.clients)?;
    c.senders = usize::try_from(args.senders)?;
    c.rate = rate;
    c.sizes = SizeDistribution::parse(&args.size.to_string())?;
    c.offline_fraction = args.offline_fraction;
    c.reconnect_after = None;
    c.group_size = group_size;
    c.duration = args.duration;
    c.warmup = args.warmup;
    c.drain = 60.0;
    c.seed = seed;
    c.relay = RelayMode::Process;
    c.relay_binary = Some(std::env::current_exe().context("cannot find this binary")?);
    c.progress = false;
    c.command = format!("saltrelay validate (load test of {scenario}, seed {seed})");
    c.validate()?;
    Ok(c)
}

/// The real relay's figures of one load-test run (VAL-4): mailbox depth is what the relay
/// acked and has not yet delivered, counted by the clients once per second.
fn observed(results: &Results, seed: u64, w: &Workload) -> Figures {
    let at = |p| results.deliver_latency.at(p).unwrap_or(0.0);
    let per = &results.per_second;
    let mut depth = 0.0_f64;
    let series: Vec<[f64; 2]> = per
        .acked
        .iter()
        .zip(&per.delivered)
        .enumerate()
        .map(|(i, (&a, &d))| {
            depth = (depth + count(a) - count(d)).max(0.0);
            [count(i as u64 + 1), depth]
        })
        .collect();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a few hundred seconds"
    )]
    let (from, until) = (
        w.warmup_s.floor() as usize,
        (w.warmup_s + w.duration_s).ceil() as usize,
    );
    let window: Vec<f64> = series
        .iter()
        .skip(from)
        .take(until.saturating_sub(from))
        .map(|p| p[1])
        .collect();
    let cpu = &results.cpu;
    Figures {
        seed,
        acked_per_s: results.throughput.acked_per_sec,
        delivered_per_s: results.throughput.delivered_per_sec,
        deliver_p50_ms: at(50.0),
        deliver_p90_ms: at(90.0),
        deliver_p99_ms: at(99.0),
        mailbox_mean: window.iter().sum::<f64>() / count(window.len().max(1) as u64),
        mailbox_end: window.last().copied().unwrap_or(0.0),
        relay_cpu_cores: cpu.relay_secs.unwrap_or(0.0) / cpu.wall_secs.max(1e-9),
        mailbox_series: series.into_iter().take(until).collect(),
    }
}

/// Measures the costs with the project's benches (`saltrelay bench run --profile quick`) into
/// `out/bench/` and returns its `costs.json`.
fn measure_costs(out: &Path) -> anyhow::Result<PathBuf> {
    let dir = out.join("bench");
    eprintln!("validate: measuring the costs (saltrelay bench run --profile quick)");
    let status = Command::new(std::env::current_exe()?)
        .args(["bench", "run", "--profile", "quick", "--out"])
        .arg(&dir)
        .status()
        .context("running saltrelay bench")?;
    if !status.success() {
        bail!("saltrelay bench run failed: {status}");
    }
    Ok(dir.join("costs.json"))
}

/// A per-second count as a float (far below 2^52).
fn count(n: u64) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}
