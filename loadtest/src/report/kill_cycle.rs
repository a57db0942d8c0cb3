//! The report of a kill-cycle run (`crate::kill_cycle`): `summary.md` and `results.json` in
//! `<out>/<name>/`, with the commit, machine, load average and command.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use saltrelay_measure::Provenance;
use serde_json::json;

use crate::LoadError;
use crate::kill_cycle::{KillCycleConfig, KillCycleResults};

/// Writes `dir/summary.md` and `dir/results.json`; returns `dir`.
///
/// # Errors
/// [`LoadError::Io`] when a file cannot be written.
pub fn write_kill_cycle(
    dir: &Path,
    measured: &Provenance,
    config: &KillCycleConfig,
    results: &KillCycleResults,
    load_average: (&str, &str),
) -> Result<PathBuf, LoadError> {
    std::fs::create_dir_all(dir).map_err(|e| LoadError::io(dir, e))?;
    let c = &results.counts;
    let json = json!({
        "schema": "saltrelay_kill_cycle_v2",
        "provenance": measured,
        "load_average": [load_average.0, load_average.1],
        "config": {
            "cycles": config.cycles, "senders": config.senders, "recipients": config.recipients,
            "window": config.window, "size": config.size, "seed": config.seed,
            "min_up_ms": config.min_up_ms, "max_up_ms": config.max_up_ms,
            "drain_secs": config.drain_secs,
        },
        "cycles": results.cycles,
        "counts": c,
        "reconnects": results.reconnects,
        "elapsed_secs": results.elapsed_secs,
    });
    let path = dir.join("results.json");
    let text = serde_json::to_string_pretty(&json).expect("a JSON value serialises");
    std::fs::write(&path, text + "\n").map_err(|e| LoadError::io(&path, e))?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Load test: kill cycles\n\n\
         The relay ran as a child process under load and was SIGKILLed {} times at random \
         moments ({} to {} ms after each start), each time restarted on the same data \
         directory and address; clients logged in again. A message acked by the relay and \
         never delivered is lost (RELAY-13); a second delivery is a duplicate (RELAY-22).\n\n\
         ## Result\n\n\
         | sent | acked | delivered | lost | duplicated | failed (connection ended before the ack) | delivered unacked |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {} | {} | {} | **{}** | {} | {} | {} |\n\n\
         {} client logins after crashes; {:.1} s in all.\n\n\
         ## Environment\n\n\
         - commit `{}`, {}, `{}`\n\
         - machine: {}\n\
         - load average (1, 5, 15 min) at the start: {}; at the end: {} (the machine is shared)\n\
         - load: {} senders with {} messages awaiting their ack each, {} recipients, {} B \
           texts, seed {}\n\
         - command: `{}`",
        results.cycles,
        config.min_up_ms,
        config.max_up_ms,
        c.sent,
        c.acked,
        c.delivered,
        c.lost,
        c.duplicated,
        c.failed,
        c.delivered_unacked,
        results.reconnects,
        results.elapsed_secs,
        measured.commit_label(),
        measured.date,
        measured.toolchain.rustc,
        measured.machine.summary(),
        load_average.0.trim(),
        load_average.1.trim(),
        config.senders,
        config.window,
        config.recipients,
        config.size,
        config.seed,
        measured.command,
    );
    let path = dir.join("summary.md");
    std::fs::write(&path, s).map_err(|e| LoadError::io(&path, e))?;
    Ok(dir.to_path_buf())
}
