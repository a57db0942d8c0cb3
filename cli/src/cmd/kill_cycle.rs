//! `saltrelay loadtest --kill-cycles N [--nodes N --store URL|temp]`: faults at random moments
//! under load on one relay or a cluster of relay nodes (SIGKILL and restart, PostgreSQL
//! crash-restart, SIGSTOP past the presence lease), counting acked, delivered, lost and
//! duplicated messages; the report goes to `<out>/kill-cycle/` or `<out>/cluster/`
//! (spec/05-relay.md RELAY-13, RELAY-22; spec/09-relay-cluster.md).

use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_loadtest::cpu::load_average;
use saltrelay_loadtest::kill_cycle::{Fault, KillCycleConfig, run_kill_cycles};
use saltrelay_loadtest::report::write_kill_cycle;
use saltrelay_pgtest::{Options, PgServer};

use super::loadtest::{Args, FaultArg};

pub(crate) fn run(args: &Args, cycles: u32) -> anyhow::Result<ExitCode> {
    // `--store temp`: a throw-away PostgreSQL server for this run, fsync on.
    let temp = match args.store.as_deref() {
        Some("temp") => {
            let server = PgServer::start(Options::durable())
                .context("cannot start a PostgreSQL server for --store temp")?;
            if !args.quiet {
                eprintln!("PostgreSQL for this run: {}", server.url());
            }
            Some(server)
        }
        _ => None,
    };
    let store = match &temp {
        Some(server) => Some(server.create_database("saltrelay")?),
        None => args.store.clone(),
    };
    let config = configure(args, cycles, store, temp.is_some())?;
    let command = std::iter::once("saltrelay".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let start_load = load_average();
    let measured = saltrelay_measure::Provenance::record(&command, std::path::Path::new("."));
    let quiet = args.quiet;
    let results = run_kill_cycles(&config, temp.as_ref(), |cycle| {
        if !quiet {
            eprint!("\rfault cycle {cycle}/{cycles}");
        }
    })?;
    if !quiet && cycles > 0 {
        eprintln!();
    }
    let default_name = if args.nodes.is_some() || args.store.is_some() {
        "cluster"
    } else {
        "kill-cycle"
    };
    let name = args.name.clone().unwrap_or_else(|| default_name.to_owned());
    let dir = write_kill_cycle(
        &args.out.join(name),
        &measured,
        &config,
        &results,
        (&start_load, &load_average()),
    )
    .context("cannot write the report")?;
    let n = &results.counts;
    let p99 = results
        .cross_node_latency
        .at(99.0)
        .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2} ms"));
    println!(
        "fault cycles {} on {} node(s): sent {} acked {} delivered {} lost {} duplicated {} \
         failed {}; {} reconnects; {:.0} acked/s; cross-node p99 {p99}; {:.1} s; report in {}",
        results.cycles,
        config.nodes,
        n.sent,
        n.acked,
        n.delivered,
        n.lost,
        n.duplicated,
        n.failed,
        results.reconnects,
        results.acked_per_sec,
        results.elapsed_secs,
        dir.display()
    );
    if n.lost > 0 {
        eprintln!("saltrelay: {} acked messages were never delivered", n.lost);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The run's configuration from the flags; `own_server`: `--store temp` started one.
fn configure(
    args: &Args,
    cycles: u32,
    store: Option<String>,
    own_server: bool,
) -> anyhow::Result<KillCycleConfig> {
    let senders = args.senders.unwrap_or(4);
    let faults = if args.faults.is_empty() {
        default_faults(store.is_some(), own_server)
    } else {
        args.faults
            .iter()
            .map(|f| match f {
                FaultArg::Kill => Fault::Kill,
                FaultArg::StoreRestart => Fault::StoreRestart,
                FaultArg::Pause => Fault::Pause,
            })
            .collect()
    };
    Ok(KillCycleConfig {
        binary: std::env::current_exe().context("cannot find this binary")?,
        cycles,
        faults,
        nodes: args.nodes.unwrap_or(1),
        store,
        relay_args: args.relay_arg.clone(),
        senders,
        recipients: args.clients.unwrap_or(8).saturating_sub(senders).max(1),
        window: args.window.unwrap_or(32),
        rate: args.rate,
        size: 200,
        seed: args.seed.unwrap_or(1),
        min_up_ms: args.kill_min_up_ms,
        max_up_ms: args.kill_max_up_ms,
        down_ms: args.down_ms,
        pause_ms: args.pause_ms,
        settle_secs: args.settle,
        warmup_secs: args.warmup.unwrap_or(3.0),
        duration_secs: args.duration.unwrap_or(10.0),
        drain_secs: args.drain.unwrap_or(60.0),
        data_parent: None,
    })
}

/// Every fault that applies: the store restart needs a server this run started; a pause
/// only means something to a cluster's presence leases.
fn default_faults(shared_store: bool, own_server: bool) -> Vec<Fault> {
    let mut faults = vec![Fault::Kill];
    if own_server {
        faults.push(Fault::StoreRestart);
    }
    if shared_store {
        faults.push(Fault::Pause);
    }
    faults
}
