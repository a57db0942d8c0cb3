//! The results of one run, as written to `results.json` (deterministic: no wall-clock values).

use serde::{Deserialize, Serialize};

use crate::stats::{Counters, Series};

/// Everything one run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The seed of this run.
    pub seed: u64,
    /// Events processed.
    pub events: u64,
    /// Accounting since the start, with the conservation check.
    pub conservation: Conservation,
    /// Event counters since the start.
    pub counters: Counters,
    /// Figures over the measured span (after the warm-up).
    pub measured: Measured,
    /// Delivery latency per class, measured span.
    pub latency: Vec<Latency>,
    /// Per relay CPU figures, measured span.
    pub relays: Vec<RelayFigures>,
    /// Time series over the whole run (the warm-up included, marked in the plots).
    pub series: Series,
}

/// Every message put on the wire ends up in exactly one of these (checked in every run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conservation {
    /// Messages put on the wire by clients.
    pub sent: u64,
    /// Removed from a mailbox as delivered: acked, or transmitted without ack.
    pub delivered: u64,
    /// Removed at their expiry.
    pub expired: u64,
    /// Refused (no-queue to offline, mailbox full) or dropped at disconnect.
    pub dropped: u64,
    /// Still in a mailbox at the end.
    pub queued: u64,
    /// Still on the wire at the end (client to relay, relay to relay).
    pub in_transit: u64,
    /// `sent == delivered + expired + dropped + queued + in_transit`.
    pub holds: bool,
}

/// Figures over the measured span.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Measured span, hours.
    pub hours: f64,
    /// Messages put on the wire per second (group copies and receipts included).
    pub sent_per_s: f64,
    /// Messages reaching the recipients' relays per second: mean and peak sample.
    pub relay_in_per_s: f64,
    /// Peak sample of the above.
    pub relay_in_per_s_peak: f64,
    /// Messages delivered per second.
    pub delivered_per_s: f64,
    /// Queued messages: mean and peak over samples.
    pub queued_mean: f64,
    /// Peak queued messages.
    pub queued_peak: u64,
    /// Peak queued bytes.
    pub queued_bytes_peak: u64,
    /// Mean queued bytes.
    pub queued_bytes_mean: f64,
    /// Mean connected clients.
    pub connected_mean: f64,
    /// Mean CPU utilisation over relays and samples.
    pub cpu_mean: f64,
    /// Highest CPU utilisation of any relay in any sample.
    pub cpu_peak: f64,
    /// Messages expired.
    pub expired: u64,
    /// Messages dropped: refused by a full mailbox, no-queue ones dropped at disconnect, and
    /// no-ack ones lost in flight.
    pub dropped: u64,
    /// No-queue messages refused because the recipient was offline (typing indicators).
    pub refused_offline: u64,
    /// Successful logins.
    pub logins: u64,
    /// Logins that timed out.
    pub handshake_timeouts: u64,
    /// Blob bytes uploaded per second (blob server, not relay).
    pub blob_upload_bytes_per_s: f64,
    /// Blob bytes downloaded per second.
    pub blob_download_bytes_per_s: f64,
}

/// Latency distribution of one class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// `all`, `direct` (1:1), `group` or `receipt`.
    pub class: String,
    /// Messages recorded.
    pub count: u64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
    /// CDF points `[latency_ms, fraction]` for plots.
    pub cdf: Vec<[f64; 2]>,
}

/// CPU figures of one relay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelayFigures {
    /// Jobs run (frames opened or sealed, handshakes, commits).
    pub jobs: u64,
    /// Mean wait of a job before a core took it, µs.
    pub mean_wait_us: f64,
    /// Mean service time of a job, µs.
    pub mean_service_us: f64,
    /// Busy share of the relay's cores.
    pub utilisation: f64,
}
