//! What a run measured: the counts, latencies, throughput, CPU, store, memory, offenders,
//! the baselines beside it, and each target checked.

use std::collections::BTreeMap;

use saltrelay_measure::Provenance;
use serde::Serialize;

use crate::LoadConfig;
use crate::accounting::Counts;
use crate::flush::FlushRate;
use crate::latency::LatencySummary;
use crate::offenders::OffenderOutcome;
use crate::redis::RedisBaseline;

/// Messages per second over the measured phase.
#[expect(clippy::struct_field_names, reason = "the unit belongs in each name")]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Throughput {
    /// Handed to clients.
    pub sent_per_sec: f64,
    /// Acked by the relay.
    pub acked_per_sec: f64,
    /// Delivered (first deliveries).
    pub delivered_per_sec: f64,
    /// Payload bytes per second acked (mean size times acked per second).
    pub acked_bytes_per_sec: f64,
}

/// Per-second counts over the whole run (warm-up, measured phase, drain).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PerSecond {
    /// Messages handed to clients in each second.
    pub sent: Vec<u64>,
    /// Acks in each second.
    pub acked: Vec<u64>,
    /// First deliveries in each second.
    pub delivered: Vec<u64>,
}

/// CPU seconds used over the measured phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CpuUse {
    /// Wall-clock seconds of the measured phase.
    pub wall_secs: f64,
    /// The relay's CPU seconds (its threads, or its process).
    pub relay_secs: Option<f64>,
    /// The load generator's CPU seconds (this process's other threads).
    pub client_secs: f64,
    /// CPU seconds the whole machine was busy (every process): the rest is other work.
    pub machine_busy_secs: Option<f64>,
    /// CPUs the machine has.
    pub cores: usize,
    /// The relay's cores busy over the half-second after every client logged in, before any
    /// message (its idle floor: connections' timers, the committer; VAL-12). Not part of the
    /// measured phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_relay_cores: Option<f64>,
}

/// The store's group commits over the measured phase (STORE-11; embedded relay only).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StoreUse {
    /// Commits made.
    pub commits: u64,
    /// Messages written.
    pub messages_written: u64,
    /// Commits per second.
    pub commits_per_sec: f64,
    /// Messages per commit.
    pub messages_per_commit: f64,
}

/// Memory with every client connected.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Memory {
    /// Connections counted.
    pub connections: usize,
    /// How the relay's memory was read.
    pub how: String,
    /// Relay RSS before the clients connected, bytes.
    pub relay_rss_before: Option<u64>,
    /// Relay RSS with every client connected, bytes.
    pub relay_rss_after: Option<u64>,
    /// (after − before) / connections.
    pub relay_bytes_per_connection: Option<f64>,
    /// This process's RSS before the clients connected, bytes.
    pub process_rss_before: Option<u64>,
    /// This process's RSS with every client connected, bytes.
    pub process_rss_after: Option<u64>,
}

/// One target of the issue, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    /// What is checked.
    pub name: String,
    /// The target.
    pub target: String,
    /// The figure measured.
    pub measured: String,
    /// Met or not.
    pub met: bool,
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// Report schema.
    pub schema: &'static str,
    /// What ran.
    pub config: LoadConfig,
    /// Commit, clean tree, toolchain, machine, date, command, recorded when the run started
    /// (MEAS-1).
    pub provenance: Provenance,
    /// Where the relay ran.
    pub relay: String,
    /// `/proc/loadavg` at the start and at the end.
    pub load_average: (String, String),
    /// Seconds to log every client in.
    pub setup_secs: f64,
    /// Seconds of the drain, and whether every acked message was delivered.
    pub drain_secs: f64,
    /// Every message's fate.
    pub counts: Counts,
    /// Send-to-ack latency of messages sent in the measured phase.
    pub ack_latency: LatencySummary,
    /// Send-to-deliver latency of messages sent in the measured phase to online recipients.
    pub deliver_latency: LatencySummary,
    /// Rates over the measured phase.
    pub throughput: Throughput,
    /// Per-second counts.
    pub per_second: PerSecond,
    /// Connections logged in again (offline clients coming back, unexpected ends).
    pub reconnects: u64,
    /// Well-behaved connections that ended unexpectedly.
    pub disconnects: u64,
    /// Open-loop sends skipped: the sender had its maximum in flight.
    pub skipped: u64,
    /// Messages that could not be built.
    pub build_errors: u64,
    /// CPU use.
    pub cpu: CpuUse,
    /// Group commits (embedded relay).
    pub store: Option<StoreUse>,
    /// The relay's closes by code at the end (embedded relay, RELAY-21).
    pub closes: BTreeMap<String, u64>,
    /// Memory per connection.
    pub memory: Memory,
    /// The disk's flush rate, measured in the same run.
    pub flush: Option<FlushRate>,
    /// Redis with `appendfsync always`, measured in the same run.
    pub redis: Option<RedisBaseline>,
    /// How each offender ended.
    pub offenders: Vec<OffenderOutcome>,
    /// Targets checked.
    pub targets: Vec<TargetCheck>,
}

impl Results {
    /// True when an acked message was never delivered: the run failed.
    #[must_use]
    pub fn lost_messages(&self) -> bool {
        self.counts.lost > 0
    }

    /// Checks the configured targets against the figures.
    pub(crate) fn check_targets(&mut self) {
        let t = self.config.targets;
        let mut checks = Vec::new();
        if let Some(min) = t.min_ack_rate {
            let got = self.throughput.acked_per_sec;
            checks.push(TargetCheck {
                name: "acked messages per second".into(),
                target: format!(">= {min:.0}"),
                measured: format!("{got:.0}"),
                met: got >= min,
            });
        }
        if let Some(max) = t.max_p99_ack_ms {
            let got = self.ack_latency.at(99.0);
            checks.push(latency_check("p99 send-to-ack", max, got));
        }
        if let Some(max) = t.max_p99_deliver_ms {
            let got = self.deliver_latency.at(99.0);
            checks.push(latency_check("p99 send-to-deliver", max, got));
        }
        self.targets = checks;
    }
}

fn latency_check(name: &str, max: f64, got: Option<f64>) -> TargetCheck {
    TargetCheck {
        name: name.into(),
        target: format!("<= {max} ms"),
        measured: got.map_or_else(|| "no samples".into(), |v| format!("{v:.2} ms")),
        met: got.is_some_and(|v| v <= max),
    }
}
