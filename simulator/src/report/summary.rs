//! `summary.md`: the headline figures with confidence intervals, the inputs, and the plots.

use std::fmt::Write as _;

use super::Performance;
use crate::sweep::{Document, Point};

/// Plots in the order the summary shows them, with captions.
const PLOTS: [(&str, &str); 7] = [
    (
        "throughput.svg",
        "Messages reaching the recipients' relays (in) and leaving mailboxes delivered (out) per second",
    ),
    (
        "latency_cdf.svg",
        "Delivery latency from send to receipt, measured span",
    ),
    (
        "queue_depth.svg",
        "Messages waiting in mailboxes (or in flight)",
    ),
    ("buffered_bytes.svg", "Bytes buffered in mailboxes"),
    ("connected.svg", "Connected clients"),
    ("cpu.svg", "Relay CPU utilisation"),
    (
        "expired.svg",
        "Messages expired (TTL) and dropped or refused per sample interval",
    ),
];

/// Headline rows: metric key, label, unit scale and decimals (decimals `DURATION`: a
/// latency in ms, printed in the unit that suits it).
const ROWS: [(&str, &str, f64, usize); 22] = [
    ("sent_per_s", "messages put on the wire /s", 1.0, 1),
    ("relay_in_per_s", "relay messages in /s (mean)", 1.0, 1),
    (
        "relay_in_per_s_peak",
        "relay messages in /s (peak sample)",
        1.0,
        1,
    ),
    ("delivered_per_s", "messages delivered /s", 1.0, 1),
    ("latency_p50_ms", "latency p50", 1.0, DURATION),
    ("latency_p90_ms", "latency p90", 1.0, DURATION),
    ("latency_p99_ms", "latency p99", 1.0, DURATION),
    ("latency_p999_ms", "latency p99.9", 1.0, DURATION),
    ("latency_max_ms", "latency max", 1.0, DURATION),
    ("latency_mean_ms", "latency mean", 1.0, DURATION),
    ("queued_mean", "messages queued (mean)", 1.0, 0),
    ("queued_peak", "messages queued (peak)", 1.0, 0),
    (
        "queued_bytes_peak",
        "MiB buffered (peak)",
        1.0 / 1_048_576.0,
        2,
    ),
    ("connected_mean", "clients connected (mean)", 1.0, 0),
    ("cpu_mean", "relay CPU utilisation (mean), %", 100.0, 3),
    (
        "cpu_peak",
        "relay CPU utilisation (peak sample), %",
        100.0,
        2,
    ),
    (
        "cpu_wait_mean_us",
        "relay CPU queueing wait (mean), µs",
        1.0,
        3,
    ),
    ("expired", "messages expired", 1.0, 0),
    (
        "dropped",
        "messages dropped (mailbox full, no-queue at disconnect, lost in flight)",
        1.0,
        0,
    ),
    (
        "refused_offline",
        "no-queue messages refused (recipient offline: typing indicators)",
        1.0,
        0,
    ),
    ("logins", "logins", 1.0, 0),
    ("handshake_timeouts", "handshake timeouts", 1.0, 0),
];

/// Marks a latency row.
const DURATION: usize = usize::MAX;

/// A latency in ms (and its confidence half-width) in one readable unit.
fn duration(ms: f64, ci_ms: Option<f64>) -> String {
    let (scale, unit) = if ms < 1_000.0 {
        (1.0, "ms")
    } else if ms < 60_000.0 {
        (1e3, "s")
    } else if ms < 3_600_000.0 {
        (6e4, "min")
    } else {
        (3.6e6, "h")
    };
    match ci_ms {
        Some(ci) => format!("{:.1} ± {:.1} {unit}", ms / scale, ci / scale),
        None => format!("{:.1} {unit}", ms / scale),
    }
}

/// The whole summary.
pub(super) fn markdown(doc: &Document, perf: &Performance) -> String {
    let mut out = String::new();
    let first = &doc.points[0];
    let s = &first.scenario;
    let _ = writeln!(out, "# Simulation: {}\n", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(out, "{}\n", s.description);
    }
    let _ = writeln!(
        out,
        "{} clients, {} simulated ({} warm-up left out of the statistics), {} relays of {} cores; \
         {} seed(s): {:?}. Every figure below is the mean across seeds ± the half-width of its 95 % \
         confidence interval (Student t). The model and its assumptions: `simulator/MODEL.md`.\n",
        s.clients,
        s.duration,
        s.warmup,
        s.relays.count,
        s.relays.cores,
        doc.seeds.len(),
        doc.seeds
    );
    let p = &doc.provenance;
    let _ = writeln!(
        out,
        "Produced by `{}` at commit `{}` (simulator {}) on {}, {} UTC. Relay costs from `{}`, {}.\n",
        p.command,
        p.commit_label(),
        doc.version,
        p.machine.summary(),
        p.date,
        first.cost_file,
        first.costs.origin()
    );

    let rate = perf.events as f64 / perf.wall_s.max(1e-9);
    let _ = writeln!(
        out,
        "Wall time {:.1} s on {} thread(s), {} events, {:.2} M events/s. (Wall-clock figures are \
         not in `results.json`, which is byte-identical for the same inputs.)\n",
        perf.wall_s,
        perf.threads,
        perf.events,
        rate / 1e6
    );
    headline_table(&mut out, doc);
    latency_table(&mut out, doc);
    conservation(&mut out, doc);
    let _ = writeln!(
        out,
        "## Plots\n\nFirst seed of each point; the dashed line marks the end of the warm-up.\n"
    );
    for (file, caption) in PLOTS {
        let _ = writeln!(out, "### {caption}\n\n![{caption}]({file})\n");
    }
    inputs(&mut out, first);
    out
}

fn headline_table(out: &mut String, doc: &Document) {
    let _ = writeln!(out, "## Headline figures\n");
    let header: Vec<&str> = doc.points.iter().map(|p| p.label.as_str()).collect();
    let _ = writeln!(out, "| figure | {} |", header.join(" | "));
    let _ = writeln!(out, "| --- |{}", " ---: |".repeat(header.len()));
    for (key, label, scale, decimals) in ROWS {
        let cells: Vec<String> = doc
            .points
            .iter()
            .map(|p| {
                p.summary
                    .iter()
                    .find(|e| e.metric == key)
                    .map_or_else(String::new, |e| {
                        if decimals == DURATION {
                            duration(e.mean, (doc.seeds.len() > 1).then_some(e.ci95))
                        } else if doc.seeds.len() > 1 {
                            format!(
                                "{:.*} ± {:.*}",
                                decimals,
                                e.mean * scale,
                                decimals,
                                e.ci95 * scale
                            )
                        } else {
                            format!("{:.*}", decimals, e.mean * scale)
                        }
                    })
            })
            .collect();
        let _ = writeln!(out, "| {label} | {} |", cells.join(" | "));
    }
    out.push('\n');
}

fn latency_table(out: &mut String, doc: &Document) {
    let _ = writeln!(
        out,
        "## Delivery latency by class (first seed)\n\n`direct`: 1:1 texts and files; `group`: each \
         member's copy; `receipt`: automatic delivery receipts. Typing indicators are not counted.\n"
    );
    let _ = writeln!(
        out,
        "| point | class | messages | p50 | p90 | p99 | p99.9 | max |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for p in &doc.points {
        let Some(run) = p.runs.first() else { continue };
        for l in &run.latency {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                p.label,
                l.class,
                l.count,
                duration(l.p50_ms, None),
                duration(l.p90_ms, None),
                duration(l.p99_ms, None),
                duration(l.p999_ms, None),
                duration(l.max_ms, None)
            );
        }
    }
    out.push('\n');
}

fn conservation(out: &mut String, doc: &Document) {
    let _ = writeln!(
        out,
        "## Conservation\n\nEvery message put on the wire is delivered, expired, dropped, still \
         queued or still in transit; the simulator checks this at the end of every run and fails \
         the run otherwise.\n"
    );
    let _ = writeln!(
        out,
        "| point | seed | sent | delivered | expired | dropped | queued | in transit | holds |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for p in &doc.points {
        for run in &p.runs {
            let c = &run.conservation;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                p.label,
                run.seed,
                c.sent,
                c.delivered,
                c.expired,
                c.dropped,
                c.queued,
                c.in_transit,
                c.holds
            );
        }
    }
    out.push('\n');
}

fn inputs(out: &mut String, point: &Point) {
    let _ = writeln!(
        out,
        "## Inputs\n\nScenario (first point, every key resolved):\n\n```toml"
    );
    let _ = writeln!(
        out,
        "{}```\n",
        toml::to_string(&point.scenario).unwrap_or_default()
    );
    let c = &point.costs;
    let _ = writeln!(
        out,
        "Relay costs (`{}`, `{}`; {}):\n",
        point.cost_file,
        c.schema,
        c.origin()
    );
    let _ = writeln!(out, "| cost | value | from |\n| --- | --- | --- |");
    for (name, value, from) in c.costs.rows() {
        let _ = writeln!(out, "| `{name}` | {value} | {from} |");
    }
}
