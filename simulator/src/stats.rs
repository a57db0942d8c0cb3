//! What a run measures while it runs: counters, latency histograms, time series.

use hdrhistogram::Histogram;
use saltrelay_relay::core::Totals;
use serde::{Deserialize, Serialize};

use crate::model::msg;

/// Latency classes with their own histogram.
pub(crate) const CLASSES: [&str; 5] = ["all", "direct", "group", "receipt", "group_control"];
/// Largest latency recorded exactly: 2^42 µs (about 51 days).
const MAX_LATENCY_US: u64 = 1 << 42;

/// Event counters since the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Messages put on the wire by clients, per kind (each group copy counts).
    pub created: [u64; msg::COUNT],
    /// Messages received by clients, per kind (a resent message may count twice).
    pub received: [u64; msg::COUNT],
    /// Receptions on a second or later transmission.
    pub redelivered: u64,
    /// No-ack messages the relay sent and forgot but the recipient never got (it disconnected).
    pub lost_in_flight: u64,
    /// Successful logins.
    pub logins: u64,
    /// Logins that waited past the handshake timeout.
    pub handshake_timeouts: u64,
    /// Connection attempts that were retried after a backoff.
    pub reconnect_attempts: u64,
    /// Group commits.
    pub commits: u64,
    /// Acks the relay could not match (message expired meanwhile).
    pub stale_acks: u64,
    /// Group control messages put on the wire: `[setup/name/picture copies, sync requests]`
    /// (MODEL.md, "Group control traffic"); left out of `results.json` when there are none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub control_created: [u64; 2],
    /// Group control messages received, same order.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub control_received: [u64; 2],
}

fn is_zero(pair: &[u64; 2]) -> bool {
    *pair == [0, 0]
}

impl Counters {
    /// Messages put on the wire by clients, every kind.
    #[must_use]
    pub fn sent(&self) -> u64 {
        self.created.iter().chain(&self.control_created).sum()
    }
}

/// One sample of the whole cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Sample times, hours.
    pub hours: Vec<f64>,
    /// Messages reaching the recipients' relays per second (accepted or refused).
    pub relay_in_per_s: Vec<f64>,
    /// Messages leaving the mailboxes as delivered per second (acked or sent without ack).
    pub relay_out_per_s: Vec<f64>,
    /// Messages queued (waiting or in flight).
    pub queued: Vec<u64>,
    /// Bytes queued.
    pub queued_bytes: Vec<u64>,
    /// Clients connected.
    pub connected: Vec<u64>,
    /// CPU utilisation averaged over relays, 0 to 1 per core.
    pub cpu_mean: Vec<f64>,
    /// CPU utilisation of the busiest relay.
    pub cpu_max: Vec<f64>,
    /// Per relay CPU utilisation (only for up to 16 relays).
    pub cpu_per_relay: Vec<Vec<f64>>,
    /// Messages expired during the interval.
    pub expired: Vec<u64>,
    /// Messages dropped or refused during the interval.
    pub dropped: Vec<u64>,
}

/// Live statistics of a run.
pub(crate) struct Stats {
    pub(crate) count: Counters,
    /// Messages on the wire between a client and a relay or between relays.
    pub(crate) in_transit: u64,
    pub(crate) histograms: Vec<Histogram<u64>>,
    pub(crate) blob_up: f64,
    pub(crate) blob_down: f64,
    pub(crate) series: Series,
    /// Counters and core totals when the warm-up ended.
    pub(crate) at_warmup: Option<(Counters, Totals)>,
    last_totals: Totals,
    warmup_us: u64,
}

impl Stats {
    pub(crate) fn new(warmup_us: u64) -> Self {
        let histogram =
            || Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds");
        Self {
            count: Counters::default(),
            in_transit: 0,
            histograms: CLASSES.iter().map(|_| histogram()).collect(),
            blob_up: 0.0,
            blob_down: 0.0,
            series: Series::default(),
            at_warmup: None,
            last_totals: Totals::default(),
            warmup_us,
        }
    }

    pub(crate) fn created(&mut self, kind: u8) {
        match usize::from(kind).checked_sub(msg::COUNT) {
            Some(control) => self.count.control_created[control] += 1,
            None => self.count.created[usize::from(kind)] += 1,
        }
    }

    pub(crate) fn blob_bytes(&mut self, bytes: f64, copies: u32) {
        self.blob_up += bytes;
        self.blob_down += bytes * f64::from(copies);
    }

    /// A client received a message sent at `sent_at`; latencies count from the warm-up on.
    pub(crate) fn received(&mut self, kind: u8, attempt: u8, sent_at: u64, now: u64) {
        match usize::from(kind).checked_sub(msg::COUNT) {
            Some(control) => self.count.control_received[control] += 1,
            None => self.count.received[usize::from(kind)] += 1,
        }
        if attempt > 1 {
            self.count.redelivered += 1;
        }
        if sent_at < self.warmup_us || kind == msg::TYPING {
            return;
        }
        let latency = (now - sent_at).clamp(1, MAX_LATENCY_US);
        let class = match kind {
            msg::TEXT | msg::FILE => 1,
            msg::GROUP_TEXT | msg::GROUP_FILE => 2,
            msg::GROUP_CONTROL | msg::SYNC_REQUEST => 4,
            _ => 3,
        };
        self.histograms[0].saturating_record(latency);
        self.histograms[class].saturating_record(latency);
    }

    /// Appends one sample. `totals` sums the relay cores; `busy` is each relay's CPU busy
    /// time in the interval just ended as a share of its cores.
    pub(crate) fn sample(
        &mut self,
        now_us: u64,
        interval_s: f64,
        totals: Totals,
        connected: u64,
        busy: &[f64],
    ) {
        let last = self.last_totals;
        let arrived = |t: &Totals| t.accepted + t.refused_full + t.refused_offline;
        let delivered = |t: &Totals| t.acked + t.sent_without_ack;
        let dropped = |t: &Totals| t.refused_full + t.refused_offline + t.dropped_on_disconnect;
        let s = &mut self.series;

        {
            s.hours.push(now_us as f64 / 3.6e9);
            s.relay_in_per_s
                .push((arrived(&totals) - arrived(&last)) as f64 / interval_s);
            s.relay_out_per_s
                .push((delivered(&totals) - delivered(&last)) as f64 / interval_s);
            s.cpu_mean
                .push(busy.iter().sum::<f64>() / busy.len() as f64);
        }
        s.queued.push(totals.queued);
        s.queued_bytes.push(totals.queued_bytes);
        s.connected.push(connected);
        s.cpu_max.push(busy.iter().copied().fold(0.0, f64::max));
        if busy.len() <= 16 {
            s.cpu_per_relay.resize(busy.len(), Vec::new());
            for (series, value) in s.cpu_per_relay.iter_mut().zip(busy) {
                series.push(*value);
            }
        }
        s.expired.push(totals.expired - last.expired);
        s.dropped.push(dropped(&totals) - dropped(&last));
        self.last_totals = totals;
    }
}
