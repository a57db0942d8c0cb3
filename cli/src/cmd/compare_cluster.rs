//! `saltrelay loadtest --compare-cluster`: in one run, on one throw-away PostgreSQL server
//! (fsync on), the same closed-loop load against one relay node on the embedded store, one
//! node on PostgreSQL and three nodes on PostgreSQL, `pgbench`'s own insert rate on that
//! server, and the enqueue-on-A-to-delivery-on-B latency at 70 % of the one-node PostgreSQL
//! rate (spec/09-relay-cluster.md; issue 17's targets). Writes `<out>/compare/`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context as _;
use saltrelay_loadtest::cpu::load_average;
use saltrelay_loadtest::kill_cycle::{KillCycleConfig, KillCycleResults, run_kill_cycles};
use saltrelay_loadtest::report::write_kill_cycle;
use saltrelay_loadtest::sizes::SizeDistribution;
use saltrelay_loadtest::{LoadConfig, Preset, RelayMode, report};
use saltrelay_pgtest::{Options, PgServer};
use serde_json::json;

use super::loadtest::Args;

/// Text body bytes of every message, and of every `pgbench` row.
const SIZE: usize = 200;
/// Target: one PostgreSQL node acks at least this share of the embedded store's rate.
const MIN_PG_SHARE: f64 = 0.5;
/// Target: cross-node p99 at most this many ms, at 70 % of the one-node PostgreSQL rate.
const MAX_CROSS_P99_MS: f64 = 20.0;

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
    let rate = pg_one * 0.7;
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
        pgbench,
        cross_rate: rate,
        cross_p99: cross.cross_node_latency.at(99.0),
        cross_count: cross.cross_node_latency.count,
        lost: three.counts.lost + cross.counts.lost,
    };
    write(
        &out,
        &command,
        &shape,
        &figures,
        (&load_start, &load_average()),
    )?;
    println!(
        "compare-cluster: embedded {embedded:.0} acked/s, PostgreSQL one node {pg_one:.0}, three \
         nodes {:.0}, pgbench {pgbench:.0} inserts/s; cross-node p99 {} at {rate:.0} msg/s; \
         report in {}",
        figures.three,
        figures
            .cross_p99
            .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2} ms")),
        out.display()
    );
    Ok(if figures.lost > 0 {
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

/// The run's figures.
struct Figures {
    version: String,
    embedded: f64,
    pg_one: f64,
    three: f64,
    pgbench: f64,
    cross_rate: f64,
    cross_p99: Option<f64>,
    cross_count: u64,
    lost: u64,
}

fn write(
    out: &Path,
    command: &str,
    shape: &Shape,
    f: &Figures,
    load: (&str, &str),
) -> anyhow::Result<()> {
    let env = saltrelay_measure::Provenance::record(command, Path::new("."));
    let pg_share = f.pg_one / f.embedded.max(1e-9);
    let share_met = pg_share >= MIN_PG_SHARE;
    let p99_met = f.cross_p99.is_some_and(|p| p <= MAX_CROSS_P99_MS);
    let json = json!({
        "schema": "saltrelay_compare_cluster_v1",
        "provenance": env, "postgresql": f.version,
        "load_average": [load.0, load.1],
        "load": { "clients": shape.clients, "senders": shape.senders, "window": shape.window,
                  "warmup_secs": shape.warmup, "duration_secs": shape.duration, "size": SIZE },
        "acked_per_sec": { "one_embedded": f.embedded, "one_postgres": f.pg_one,
                           "three_postgres": f.three },
        "pgbench_inserts_per_sec": f.pgbench,
        "cross_node": { "rate": f.cross_rate, "p99_ms": f.cross_p99, "messages": f.cross_count },
        "targets": {
            "one_postgres_share_of_embedded": pg_share, "share_target": MIN_PG_SHARE,
            "share_met": share_met, "cross_p99_target_ms": MAX_CROSS_P99_MS,
            "cross_p99_met": p99_met,
        },
        "lost": f.lost,
    });
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    let verdict = |met: bool| if met { "met" } else { "**missed**" };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Relay cluster: embedded store, PostgreSQL, three nodes, pgbench\n\n\
         One run, one throw-away PostgreSQL {} server (fsync on, synchronous commit), the same \
         closed-loop load in each phase: {} clients, {} sending with {} messages awaiting \
         their ack each, {SIZE} B texts, {} s warm-up, {} s measured. Every relay is a \
         `saltrelay relay serve` child process.\n\n\
         | phase | acked messages/s |\n| --- | ---: |\n\
         | one node, embedded store (durable: acked after fdatasync) | {:.0} |\n\
         | one node, PostgreSQL | {:.0} |\n\
         | three nodes, PostgreSQL | {:.0} |\n\
         | `pgbench`: one-row {SIZE} B inserts, {} clients, each its own commit | {:.0} |\n\n\
         Enqueue on one node to delivery on another, open loop at {:.0} messages/s (70 % of \
         the one-node PostgreSQL rate), three nodes: p99 {} over {} cross-node messages.\n\n\
         ## Targets\n\n\
         - one PostgreSQL node acks at least {:.0} % of the embedded store's rate: {:.0} % — {}\n\
         - cross-node p99 at most {MAX_CROSS_P99_MS} ms: {}\n\n\
         Acked messages lost in the cluster phases: {}.\n\n\
         Each phase's own report is in the folder beside this file.\n\n\
         ## Environment\n\n\
         - commit `{}`, {}, `{}`\n\
         - machine: {}\n\
         - load average (1, 5, 15 min) at the start: {}; at the end: {} (the machine is shared \
           with other work; see the load)\n\
         - command: `{command}`",
        f.version,
        shape.clients,
        shape.senders,
        shape.window,
        shape.warmup,
        shape.duration,
        f.embedded,
        f.pg_one,
        f.three,
        shape.senders,
        f.pgbench,
        f.cross_rate,
        f.cross_p99
            .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2} ms")),
        f.cross_count,
        MIN_PG_SHARE * 100.0,
        pg_share * 100.0,
        verdict(share_met),
        verdict(p99_met),
        f.lost,
        env.commit_label(),
        env.date,
        env.toolchain.rustc,
        env.machine.summary(),
        load.0.trim(),
        load.1.trim(),
    );
    std::fs::write(out.join("summary.md"), s)?;
    Ok(())
}
