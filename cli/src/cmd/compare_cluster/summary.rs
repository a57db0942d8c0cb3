//! The comparison's `results.json` (schema `saltrelay_compare_cluster_v2`) and `summary.md`
//! (spec/09-measurements.md, MEAS-15).

use std::fmt::Write as _;
use std::path::Path;

use saltrelay_loadtest::kill_cycle::KillCycleResults;
use serde_json::json;

use super::SIZE;

/// Target: one PostgreSQL node acks at least this share of the embedded store's rate.
const MIN_PG_SHARE: f64 = 0.5;
/// Target: cross-node p99 at most this many ms, at 70 % of the one-node PostgreSQL rate.
const MAX_CROSS_P99_MS: f64 = 20.0;

/// One open-loop phase of three nodes: the rate offered, what was acked, and the
/// enqueue-on-A-to-delivery-on-B latency.
pub(super) struct CrossNode {
    /// The offered rate as a share of the rate it derives from.
    share: f64,
    /// Messages per second offered.
    rate: f64,
    /// Messages per second acked.
    acked: f64,
    p50: Option<f64>,
    pub(super) p99: Option<f64>,
    /// Messages that crossed nodes while measuring.
    count: u64,
    /// Acked messages never delivered.
    pub(super) lost: u64,
}

impl CrossNode {
    pub(super) fn of(share: f64, rate: f64, results: &KillCycleResults) -> Self {
        Self {
            share,
            rate,
            acked: results.acked_per_sec,
            p50: results.cross_node_latency.at(50.0),
            p99: results.cross_node_latency.at(99.0),
            count: results.cross_node_latency.count,
            lost: results.counts.lost,
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({ "share": self.share, "rate": self.rate, "acked_per_sec": self.acked,
                "p50_ms": self.p50, "p99_ms": self.p99, "messages": self.count,
                "lost": self.lost })
    }

    /// A row of the markdown table: offered, acked, p50, p99, messages.
    fn row(&self, what: &str) -> String {
        format!(
            "| {what} | {:.0} | {:.0} | {} | {} | {} |\n",
            self.rate,
            self.acked,
            ms(self.p50),
            ms(self.p99),
            self.count
        )
    }
}

/// A latency in ms, or `n/a` when no message was measured.
pub(super) fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2} ms"))
}

/// The run's figures.
pub(super) struct Figures {
    pub(super) version: String,
    pub(super) embedded: f64,
    pub(super) pg_one: f64,
    pub(super) three: f64,
    /// Acked messages the closed-loop three-node phase never delivered.
    pub(super) three_lost: u64,
    pub(super) pgbench: f64,
    /// Three nodes at shares of their own closed-loop rate.
    pub(super) curve: Vec<CrossNode>,
    /// Three nodes at 70 % of the one-node PostgreSQL rate.
    pub(super) target: CrossNode,
}

impl Figures {
    /// Acked messages never delivered in the three-node phases.
    pub(super) fn lost(&self) -> u64 {
        self.three_lost
            + self
                .curve
                .iter()
                .chain([&self.target])
                .map(|p| p.lost)
                .sum::<u64>()
    }
}

/// Writes `results.json` and `summary.md` into `out`. `load` is clients, senders, window;
/// `times` warm-up and measured seconds; `load_average` at the start and at the end.
pub(super) fn write(
    out: &Path,
    command: &str,
    load: (usize, usize, usize),
    times: (f64, f64),
    f: &Figures,
    load_average: (&str, &str),
) -> anyhow::Result<()> {
    let env = saltrelay_measure::Provenance::record(command, Path::new("."));
    let pg_share = f.pg_one / f.embedded.max(1e-9);
    let share_met = pg_share >= MIN_PG_SHARE;
    let p99_met = f.target.p99.is_some_and(|p| p <= MAX_CROSS_P99_MS);
    let lost = f.lost();
    let json = json!({
        "schema": "saltrelay_compare_cluster_v2",
        "provenance": env, "postgresql": f.version,
        "load_average": [load_average.0, load_average.1],
        "load": { "clients": load.0, "senders": load.1, "window": load.2,
                  "warmup_secs": times.0, "duration_secs": times.1, "size": SIZE },
        "acked_per_sec": { "one_embedded": f.embedded, "one_postgres": f.pg_one,
                           "three_postgres": f.three },
        "pgbench_inserts_per_sec": f.pgbench,
        "cross_node_curve": f.curve.iter().map(CrossNode::json).collect::<Vec<_>>(),
        "cross_node": f.target.json(),
        "targets": {
            "one_postgres_share_of_embedded": pg_share, "share_target": MIN_PG_SHARE,
            "share_met": share_met, "cross_p99_target_ms": MAX_CROSS_P99_MS,
            "cross_p99_met": p99_met,
        },
        "lost": lost,
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
         | `pgbench`: one-row {SIZE} B inserts, {} clients, each its own commit | {:.0} |\n",
        f.version,
        load.0,
        load.1,
        load.2,
        times.0,
        times.1,
        f.embedded,
        f.pg_one,
        f.three,
        load.1,
        f.pgbench,
    );
    s.push_str(&cross_node_table(f));
    let _ = writeln!(
        s,
        "\n## Targets\n\n\
         - one PostgreSQL node acks at least {:.0} % of the embedded store's rate: {:.0} % — {}\n\
         - cross-node p99 at most {MAX_CROSS_P99_MS} ms at {:.0} % of the one-node PostgreSQL \
           rate: {} — {}\n\n\
         Acked messages lost in the cluster phases: {lost}.\n\n\
         Each phase's own report is in the folder beside this file.\n\n\
         ## Environment\n\n\
         - commit `{}`, {}, `{}`\n\
         - machine: {}\n\
         - load average (1, 5, 15 min) at the start: {}; at the end: {} (the machine is shared \
           with other work; see the load)\n\
         - command: `{command}`",
        MIN_PG_SHARE * 100.0,
        pg_share * 100.0,
        verdict(share_met),
        f.target.share * 100.0,
        ms(f.target.p99),
        verdict(p99_met),
        env.commit_label(),
        env.date,
        env.toolchain.rustc,
        env.machine.summary(),
        load_average.0.trim(),
        load_average.1.trim(),
    );
    std::fs::write(out.join("summary.md"), s)?;
    Ok(())
}

/// The cross-node section: the curve's points, then the target's.
fn cross_node_table(f: &Figures) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Enqueue on one node to delivery on another\n\n\
         Three nodes, open loop (the senders send at a fixed rate whatever the acks do), each \
         phase on a fresh database; latency of the messages whose sender and recipient were \
         on different nodes. An acked rate below the offered one means the nodes could not \
         keep up: their latency is then a growing queue.\n\n\
         | offered rate | offered msg/s | acked msg/s | p50 | p99 | messages |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for point in &f.curve {
        let what = format!("{:.0} % of the three nodes' rate", point.share * 100.0);
        s.push_str(&point.row(&what));
    }
    let what = format!(
        "{:.0} % of the one-node PostgreSQL rate (the target)",
        f.target.share * 100.0
    );
    s.push_str(&f.target.row(&what));
    s
}
