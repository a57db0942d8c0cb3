//! `saltrelay loadtest --relay-process --kill-cycles N`: SIGKILL the relay at random moments
//! under load, restart it, and count acked, delivered, lost and duplicated messages; the
//! report goes to `reports/loadtest/kill-cycle/` (spec/05-relay.md RELAY-13, RELAY-22).

use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_loadtest::cpu::load_average;
use saltrelay_loadtest::kill_cycle::{KillCycleConfig, run_kill_cycles};
use saltrelay_loadtest::report::write_kill_cycle;

use super::loadtest::Args;

pub(crate) fn run(args: &Args, cycles: u32) -> anyhow::Result<ExitCode> {
    let senders = args.senders.unwrap_or(4);
    let config = KillCycleConfig {
        binary: std::env::current_exe().context("cannot find this binary")?,
        cycles,
        senders,
        recipients: args.clients.unwrap_or(8).saturating_sub(senders).max(1),
        window: args.window.unwrap_or(32),
        size: 200,
        seed: args.seed.unwrap_or(1),
        min_up_ms: args.kill_min_up_ms,
        max_up_ms: args.kill_max_up_ms,
        drain_secs: args.drain.unwrap_or(60.0),
        data_parent: None,
    };
    let command = std::iter::once("saltrelay".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let start_load = load_average();
    let measured = saltrelay_measure::Provenance::record(&command, std::path::Path::new("."));
    let quiet = args.quiet;
    let results = run_kill_cycles(&config, |cycle| {
        if !quiet {
            eprint!("\rkill cycle {cycle}/{cycles}");
        }
    })?;
    if !quiet {
        eprintln!();
    }
    let name = args.name.clone().unwrap_or_else(|| "kill-cycle".to_owned());
    let dir = write_kill_cycle(
        &args.out.join(name),
        &measured,
        &config,
        &results,
        (&start_load, &load_average()),
    )
    .context("cannot write the report")?;
    let n = &results.counts;
    println!(
        "kill cycles {}: sent {} acked {} delivered {} lost {} duplicated {} failed {}; \
         {} reconnects in {:.1} s; report in {}",
        results.cycles,
        n.sent,
        n.acked,
        n.delivered,
        n.lost,
        n.duplicated,
        n.failed,
        results.reconnects,
        results.elapsed_secs,
        dir.display()
    );
    if n.lost > 0 {
        eprintln!("saltrelay: {} acked messages were never delivered", n.lost);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
