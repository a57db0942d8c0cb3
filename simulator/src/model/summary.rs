//! Figures over the measured span (after the warm-up), from counters and samples.

use saltrelay_relay::core::Totals;

use super::Sim;
use crate::results::Measured;

impl Sim<'_> {
    /// Rates, means and peaks after the warm-up.
    pub(super) fn measured(&self, totals: Totals) -> Measured {
        let warmup = self.scenario.warmup.micros();
        let seconds = (self.now - warmup) as f64 / 1e6;
        let (count0, totals0) = self.stats.at_warmup.unwrap_or_default();
        let count = self.stats.count;
        let s = &self.stats.series;
        let first = s
            .hours
            .iter()
            .position(|&h| h * 3.6e9 > warmup as f64)
            .unwrap_or(s.hours.len());
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let mean_u = |v: &[u64]| mean(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
        let peak = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        let arrived = |t: &Totals| t.accepted + t.refused_full + t.refused_offline;
        let dropped = |t: &Totals| t.refused_full + t.dropped_on_disconnect;
        let sent: u64 = count.sent() - count0.sent();
        Measured {
            hours: seconds / 3600.0,
            sent_per_s: sent as f64 / seconds,
            relay_in_per_s: (arrived(&totals) - arrived(&totals0)) as f64 / seconds,
            relay_in_per_s_peak: peak(&s.relay_in_per_s[first..]),
            delivered_per_s: ((totals.acked + totals.sent_without_ack)
                - (totals0.acked + totals0.sent_without_ack)) as f64
                / seconds,
            queued_mean: mean_u(&s.queued[first..]),
            queued_peak: s.queued[first..].iter().copied().max().unwrap_or(0),
            queued_bytes_peak: s.queued_bytes[first..].iter().copied().max().unwrap_or(0),
            queued_bytes_mean: mean_u(&s.queued_bytes[first..]),
            connected_mean: mean_u(&s.connected[first..]),
            cpu_mean: mean(&s.cpu_mean[first..]),
            cpu_peak: peak(&s.cpu_max[first..]),
            expired: totals.expired - totals0.expired,
            dropped: dropped(&totals) - dropped(&totals0)
                + (count.lost_in_flight - count0.lost_in_flight),
            refused_offline: totals.refused_offline - totals0.refused_offline,
            logins: count.logins - count0.logins,
            handshake_timeouts: count.handshake_timeouts - count0.handshake_timeouts,
            blob_upload_bytes_per_s: self.stats.blob_up / seconds,
            blob_download_bytes_per_s: self.stats.blob_down / seconds,
        }
    }
}
