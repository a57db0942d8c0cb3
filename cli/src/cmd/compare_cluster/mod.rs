//! `saltrelay loadtest --compare-cluster`: in one run, on one throw-away PostgreSQL server
//! (fsync on), the same closed-loop load against one relay node on the embedded store, one
//! node on PostgreSQL and three nodes on PostgreSQL, `pgbench`'s own insert rate on that
//! server, the enqueue-on-A-to-delivery-on-B latency of three nodes at 25, 50 and 70 % of
//! their own closed-loop rate, and at 70 % of the one-node PostgreSQL rate (issue 17's
//! target; spec/09-measurements.md, MEAS-15). Writes `<out>/compare/`.

mod summary;

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context as _;
use saltrelay_loadtest::cpu::load_average;
use saltrelay_loadtest::kill_cycle::{KillCycleConfig, KillCycleResults, run_kill_cycles};
use saltrelay_loadtest::report::write_kill_cycle;
use saltrelay_loadtest::sizes::SizeDistribution;
use saltrelay_loadtest::{LoadConfig, Preset, RelayMode, report};
use saltrelay_pgtest::{Options, PgServer};

use super::loadtest::Args;

use summary::{CrossNode, Figures};

/// Text body bytes of every message, and of every `pgbench` row.
const SIZE: usize = 200;
/// Shares of the three nodes' own closed-loop rate at which their cross-node latency is
/// measured (MEAS-15): where the latency stands below the cluster's capacity.
const CURVE_SHARES: [f64; 3] = [0.25, 0.5, 0.7];
/// The target's open-loop rate, as a share of the one-node PostgreSQL rate (issue 17).
const TARGET_SHARE: f64 = 0.7;

/// The run's shape, from the flags.
struct Shape {
    clients: usize,
    senders: usize,
    window: usize,
    warmup: f64,
    duration: f64,
    seed: u64,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let shape = Shape {
        clients: args.clients.unwrap_or(40),
        senders: args.senders.unwrap_or(20),
        window: args.window.unwrap_or(8),
        warmup: args.warmup.unwrap_or(3.0),
        duration: args.duration.unwrap_or(15.0),
        seed: args.seed.unwrap_or(1),
    };
    let out = args.out.join(args.name.as_deref().unwrap_or("compare"));
    let command = std::iter::once("saltrelay".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let binary = std::env::current_exe().context("cannot find this binary")?;
    let load_start = load_average();
    let server = PgServer::start(Options::durable()).context("cannot start PostgreSQL")?;
    let say = |what: &str| {
        if !args.quiet {
            eprintln!("compare-cluster: {what}");
        }
    };

    say("one node, embedded store");
    let embedded = one_node(&binary, &shape, &out, &command, "one-embedded", &[])?;
    say("one node, PostgreSQL");
    let url = server.create_database("relay_one")?;
    let pg_args = ["--store", &url, "--node-id", "node0"].map(str::to_owned);
    let pg_one = one_node(&binary, &shape, &out, &command, "one-postgres", &pg_args)?;
    say("three nodes, PostgreSQL");
    let url = server.create_database("relay_three")?;
    let three = cluster(
        &binary,
        &shape,
        &url,
        None,
        &out.join("three-postgres"),
        &command,
    )?;
    say("pgbench inserts");
    let pgbench = pgbench(&server, &shape)?;
    let mut curve = Vec::with_capacity(CURVE_SHARES.len());
    for share in CURVE_SHARES {
        let rate = three.acked_per_sec * share;
        let name = format!("curve-{:.0}", share * 100.0);
        say(&format!("cross-node latency at {rate:.0} msg/s ({name})"));
        let url = server.create_database(&format!("relay_{}", name.replace('-', "_")))?;
        let results = cluster(
            &binary,
            &shape,
            &url,
            Some(rate),
            &out.join(&name),
            &command,
        )?;
        curve.push(CrossNode::of(share, rate, &results));
    }
    let rate = pg_one * TARGET_SHARE;
    say(&format!("cross-node latency at {rate:.0} msg/s"));
    let url = server.create_database("relay_cross")?;
    let cross = cluster(
        &binary,
        &shape,
        &url,
        Some(rate),
        &out.join("cross-node-70"),
        &command,
    )?;
    let version = server.psql(&["SHOW server_version"])?.trim().to_owned();
    drop(server);

    let figures = Figures {
        version,
        embedded,
        pg_one,
        three: three.acked_per_sec,
        three_lost: three.counts.lost,
        pgbench,
        curve,
        target: CrossNode::of(TARGET_SHARE, rate, &cross),
    };
    summary::write(
        &out,
        &command,
        (shape.clients, shape.senders, shape.window),
        (shape.warmup, shape.duration),
        &figures,
        (&load_start, &load_average()),
    )?;
    println!(
        "compare-cluster: embedded {embedded:.0} acked/s, PostgreSQL one node {pg_one:.0}, three \
         nodes {:.0}, pgbench {pgbench:.0} inserts/s; cross-node p99 {} at {rate:.0} msg/s; \
         report in {}",
        figures.three,
        summary::ms(figures.target.p99),
        out.display()
    );
    Ok(if figures.lost() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One relay child under the closed-loop load; its report goes to `out/name`. Returns acks/s.
fn one_node(
    binary: &Path,
    shape: &Shape,
    out: &Path,
    command: &str,
    name: &str,
    relay_args: &[String],
) -> anyhow::Result<f64> {
    let mut c = LoadConfig::preset(Preset::Online, out.to_path_buf());
    name.clone_into(&mut c.name);
    c.command = format!("{command} (phase {name})");
    c.relay = RelayMode::Process;
    c.relay_binary = Some(binary.to_path_buf());
    c.relay_args = relay_args.to_vec();
    c.clients = shape.clients;
    c.senders = shape.senders;
    c.window = shape.window;
    c.warmup = shape.warmup;
    c.duration = shape.duration;
    c.seed = shape.seed;
    c.sizes = SizeDistribution::parse(&SIZE.to_string())?;
    c.progress = false;
    c.targets = saltrelay_loadtest::config::Targets::default();
    c.validate()?;
    let results = saltrelay_loadtest::run(&c, Path::new("."))?;
    report::write(&results)?;
    anyhow::ensure!(
        !results.lost_messages(),
        "{name}: {} acked messages were never delivered",
        results.counts.lost
    );
    Ok(results.throughput.acked_per_sec)
}

/// Three nodes on `url`, no faults: closed loop, or open loop at `rate`.
fn cluster(
    binary: &Path,
    shape: &Shape,
    url: &str,
    rate: Option<f64>,
    dir: &Path,
    command: &str,
) -> anyhow::Result<KillCycleResults> {
    let config = KillCycleConfig {
        binary: binary.to_path_buf(),
        cycles: 0,
        faults: Vec::new(),
        nodes: 3,
        store: Some(url.to_owned()),
        relay_args: Vec::new(),
        senders: shape.senders,
        recipients: shape.clients - shape.senders,
        window: shape.window,
        rate,
        size: SIZE,
        seed: shape.seed,
        min_up_ms: 0,
        max_up_ms: 0,
        down_ms: 0,
        pause_ms: 0,
        settle_secs: 0.0,
        warmup_secs: shape.warmup,
        duration_secs: shape.duration,
        drain_secs: 60.0,
        data_parent: None,
    };
    let load = load_average();
    let measured = saltrelay_measure::Provenance::record(command, Path::new("."));
    let results = run_kill_cycles(&config, None, |_| {})?;
    write_kill_cycle(dir, &measured, &config, &results, (&load, &load_average()))?;
    Ok(results)
}

/// `pgbench`: one-row inserts of `SIZE` bytes, one client per sender, each its own commit.
fn pgbench(server: &PgServer, shape: &Shape) -> anyhow::Result<f64> {
    let url = server.create_database("pgbench_insert")?;
    let setup = Command::new(tool(server, "psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c"])
        .arg("CREATE TABLE inbox (id bigserial PRIMARY KEY, body bytea NOT NULL)")
        .status()?;
    anyhow::ensure!(setup.success(), "psql could not create the pgbench table");
    let script = std::env::temp_dir().join(format!("saltrelay-pgbench-{}.sql", std::process::id()));
    std::fs::write(
        &script,
        format!("INSERT INTO inbox (body) VALUES (convert_to(repeat('x', {SIZE}), 'UTF8'));\n"),
    )?;
    let output = Command::new(tool(server, "pgbench"))
        .args(["-n", "-c", &shape.senders.to_string(), "-j", "2", "-T"])
        .arg(format!("{}", shape.duration.ceil()))
        .arg("-f")
        .arg(&script)
        .arg(&url)
        .output()
        .context("cannot run pgbench");
    let _ = std::fs::remove_file(&script);
    let output = output?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // `tps = 1234.5 (without initial connection time)`
    text.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no tps line in pgbench's output")
}

fn tool(server: &PgServer, name: &str) -> std::path::PathBuf {
    server
        .bin_dir()
        .map(|d| d.join(name))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| name.into())
}
