//! The report of a kill-cycle run (`crate::kill_cycle`), one node or a cluster:
//! `summary.md` and `results.json` in `<out>/<name>/`, with the commit, machine, load average
//! and command.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use saltrelay_measure::Provenance;
use serde_json::json;

use crate::LoadError;
use crate::kill_cycle::{Fault, KillCycleConfig, KillCycleResults};
use crate::latency::LatencySummary;

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
    let mut shown = config.clone();
    shown.store = shown.store.as_deref().map(redact);
    let json = json!({
        "schema": "saltrelay_kill_cycle_v3",
        "provenance": measured,
        "load_average": [load_average.0, load_average.1],
        "config": shown,
        "cycles": results.cycles,
        "counts": results.counts,
        "by_fault": by_fault(results),
        "reconnects": results.reconnects,
        "elapsed_secs": results.elapsed_secs,
        "acked_per_sec": results.acked_per_sec,
        "ack_latency": results.ack_latency,
        "cross_node_latency": results.cross_node_latency,
        "cycle_log": results.cycle_log,
    });
    let path = dir.join("results.json");
    let text = serde_json::to_string_pretty(&json).expect("a JSON value serialises");
    std::fs::write(&path, text + "\n").map_err(|e| LoadError::io(&path, e))?;
    let path = dir.join("summary.md");
    let summary = markdown(measured, &shown, results, load_average);
    std::fs::write(&path, summary).map_err(|e| LoadError::io(&path, e))?;
    Ok(dir.to_path_buf())
}

/// Per kind of fault: cycles, most settle ms, undelivered after settling, new duplicates.
fn by_fault(results: &KillCycleResults) -> Vec<serde_json::Value> {
    [Fault::Kill, Fault::StoreRestart, Fault::Pause]
        .into_iter()
        .filter_map(|fault| {
            let of: Vec<_> = results
                .cycle_log
                .iter()
                .filter(|r| r.fault == fault)
                .collect();
            (!of.is_empty()).then(|| {
                json!({
                    "fault": fault.name(),
                    "cycles": of.len(),
                    "max_settle_ms": of.iter().map(|r| r.settle_ms).fold(0.0, f64::max),
                    "undelivered_after_settle": of.iter().map(|r| r.undelivered_after_settle).sum::<u64>(),
                    "new_duplicates": of.iter().map(|r| r.new_duplicates).sum::<u64>(),
                })
            })
        })
        .collect()
}

fn markdown(
    measured: &Provenance,
    config: &KillCycleConfig,
    results: &KillCycleResults,
    load_average: (&str, &str),
) -> String {
    let c = &results.counts;
    let store = config.store.as_deref().map_or_else(
        || "each node its embedded store".to_owned(),
        |s| format!("`{s}`"),
    );
    let faults: Vec<&str> = config.faults.iter().map(|f| f.name()).collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Load test: fault cycles\n\n\
         {} relay node(s) ran as child processes (store: {store}) under load; {} faults \
         ({}, in turn) hit them at random moments ({} to {} ms of load before each): **kill** is \
         SIGKILL, {} ms down, restart on the same data directory and address; **store-restart** \
         crashes and restarts the PostgreSQL server; **pause** is SIGSTOP for {} ms, then \
         SIGCONT. Clients log in on the next node that answers. A message acked by the relay \
         and never delivered is lost (RELAY-13); a second delivery is a duplicate (RELAY-22).\n\n\
         ## Result\n\n\
         | sent | acked | delivered | lost | duplicated | failed (connection ended before the ack) | delivered unacked |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {} | {} | {} | **{}** | {} | {} | {} |\n\n\
         {} client logins after faults; {:.0} acked messages/s; {:.1} s in all.\n",
        config.nodes,
        results.cycles,
        faults.join(", "),
        config.min_up_ms,
        config.max_up_ms,
        config.down_ms,
        config.pause_ms,
        c.sent,
        c.acked,
        c.delivered,
        c.lost,
        c.duplicated,
        c.failed,
        c.delivered_unacked,
        results.reconnects,
        results.acked_per_sec,
        results.elapsed_secs,
    );
    if !results.cycle_log.is_empty() {
        let _ = writeln!(
            s,
            "## After each fault\n\n\
             After each fault the run waited (at most {} s) until every message acked by then \
             was delivered.\n\n\
             | fault | cycles | longest wait (ms) | undelivered after the wait | new duplicates |\n\
             | --- | ---: | ---: | ---: | ---: |",
            config.settle_secs
        );
        for row in by_fault(results) {
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {} | {} |",
                row["fault"].as_str().unwrap_or(""),
                row["cycles"],
                row["max_settle_ms"].as_f64().unwrap_or(0.0),
                row["undelivered_after_settle"],
                row["new_duplicates"],
            );
        }
        s.push('\n');
    }
    environment(&mut s, measured, config, results, load_average);
    s
}

/// The latency and environment sections.
fn environment(
    s: &mut String,
    measured: &Provenance,
    config: &KillCycleConfig,
    results: &KillCycleResults,
    load_average: (&str, &str),
) {
    let _ = writeln!(
        *s,
        "## Latency\n\n\
         - send to ack: {}\n\
         - enqueue on one node to delivery on another (sender and recipient on different \
           nodes): {}\n",
        latency(&results.ack_latency),
        latency(&results.cross_node_latency),
    );
    let load = config.rate.map_or_else(
        || {
            format!(
                "closed loop, {} messages awaiting their ack per sender",
                config.window
            )
        },
        |rate| format!("open loop, {rate:.0} messages/s in all"),
    );
    let _ = writeln!(
        *s,
        "## Environment\n\n\
         - commit `{}`, {}, `{}`\n\
         - machine: {}\n\
         - load average (1, 5, 15 min) at the start: {}; at the end: {} (the machine is shared)\n\
         - load: {} senders, {}, {} recipients, {} B texts, seed {}\n\
         - command: `{}`",
        measured.commit_label(),
        measured.date,
        measured.toolchain.rustc,
        measured.machine.summary(),
        load_average.0.trim(),
        load_average.1.trim(),
        config.senders,
        load,
        config.recipients,
        config.size,
        config.seed,
        measured.command,
    );
}

fn latency(summary: &LatencySummary) -> String {
    if summary.count == 0 {
        return "none measured".into();
    }
    let at = |p| summary.at(p).map_or("n/a".into(), |v| format!("{v:.2} ms"));
    format!(
        "{} messages, p50 {}, p99 {}, max {}",
        summary.count,
        at(50.0),
        at(99.0),
        at(100.0)
    )
}

/// A store URL without its password.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or("");
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(
            redact("postgres://u:secret@h:1/db"),
            "postgres://u:***@h:1/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("not a url"), "not a url");
    }
}
