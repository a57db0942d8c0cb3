//! Relays: CPU as FIFO servers, group commits, expiry sweeps, outages (MODEL.md, "Relays").

use super::traffic::now_ms;
use super::{Sim, kind};

/// One relay's resources and gauges.
#[derive(Debug)]
pub(crate) struct Relay {
    /// When each core is next free, ns.
    pub(crate) busy_until: Vec<u64>,
    pub(crate) up: bool,
    /// When the current outage ends, µs.
    pub(crate) up_at: u64,
    /// Clients connected now.
    pub(crate) connected: u32,
    /// Store records waiting for the next group commit.
    pub(crate) records: u32,
    pub(crate) commit_scheduled: bool,
    /// CPU busy time per sample interval (by job start), ns.
    pub(crate) busy_ns: Vec<f64>,
    /// Jobs, their summed wait before service and summed service, since the warm-up.
    pub(crate) jobs: u64,
    pub(crate) wait_ns: f64,
    pub(crate) service_ns: f64,
}

impl Relay {
    pub(crate) fn new(cores: u32, samples: usize) -> Self {
        Self {
            busy_until: vec![0; cores as usize],
            up: true,
            up_at: 0,
            connected: 0,
            records: 0,
            commit_scheduled: false,
            busy_ns: vec![0.0; samples + 1],
            jobs: 0,
            wait_ns: 0.0,
            service_ns: 0.0,
        }
    }
}

impl Sim<'_> {
    /// Runs a job of `cost_ns` on relay `r`, arriving at `at_ns`, on the core that frees up
    /// first (FIFO, M/G/c). Returns its completion time, ns. Work a job triggers is submitted at
    /// once with its later arrival time, so it holds its place in the FIFO (MODEL.md, "Relays").
    pub(crate) fn cpu(&mut self, r: usize, at_ns: u64, cost_ns: f64) -> u64 {
        // A free operation occupies no core (and does not count as a job).
        if cost_ns <= 0.0 {
            return at_ns;
        }
        let sample_ns = self.scenario.sample_interval.micros() * 1000;
        let warm = self.now >= self.scenario.warmup.micros();
        let relay = &mut self.relays[r];
        let (core, free) = relay
            .busy_until
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(_, t)| t)
            .expect("a relay has at least one core");
        let start = at_ns.max(free);
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "costs are small and positive")]
        let cost = cost_ns.round() as u64;
        let done = start + cost;
        relay.busy_until[core] = done;
        let bucket = usize::try_from(start / sample_ns).unwrap_or(usize::MAX).min(relay.busy_ns.len() - 1);
        #[expect(clippy::cast_precision_loss, reason = "ns below 2^53")]
        {
            relay.busy_ns[bucket] += cost as f64;
            if warm {
                relay.jobs += 1;
                relay.wait_ns += (start - at_ns) as f64;
                relay.service_ns += cost as f64;
            }
        }
        done
    }

    /// Adds store records to relay `r`'s next group commit.
    pub(crate) fn add_records(&mut self, r: usize, n: u32) {
        let interval = self.scenario.relays.store_commit_interval.micros();
        let relay = &mut self.relays[r];
        relay.records += n;
        if !relay.commit_scheduled {
            relay.commit_scheduled = true;
            let at = (self.now / interval + 1) * interval;
            #[expect(clippy::cast_possible_truncation, reason = "relay indices fit u32")]
            self.at(at, kind::COMMIT, r as u32, 0);
        }
    }

    /// COMMIT: one group commit with fsync for everything stored or deleted since the last.
    pub(super) fn on_commit(&mut self, r: usize) {
        let records = self.relays[r].records;
        self.relays[r].records = 0;
        self.relays[r].commit_scheduled = false;
        if !self.relays[r].up {
            return;
        }
        self.stats.count.commits += 1;
        self.cpu(r, self.now * 1000, self.costs.commit(records));
    }

    /// EXPIRE: the relay deletes expired messages (RELAY-10); each deletion is a record.
    pub(super) fn on_expire(&mut self, r: usize) {
        let expired = self.cores[r].expire(now_ms(self.now));
        if expired > 0 {
            self.add_records(r, u32::try_from(expired).unwrap_or(u32::MAX));
        }
        #[expect(clippy::cast_possible_truncation, reason = "relay indices fit u32")]
        self.at(self.now + self.scenario.relays.expiry_sweep.micros(), kind::EXPIRE, r as u32, 0);
    }

    /// OUTAGE_START: the relay stops; its clients lose their connections and retry with
    /// backoff; its store (the mailboxes) survives.
    pub(super) fn on_outage_start(&mut self, index: usize) {
        let outage = &self.scenario.outages[index];
        let r = outage.relay as usize;
        let up_at = self.now + outage.duration.micros();
        self.relays[r].up = false;
        self.relays[r].up_at = up_at;
        for busy in &mut self.relays[r].busy_until {
            *busy = up_at * 1000;
        }
        for c in 0..self.scenario.clients {
            if self.clients.relay[c as usize] as usize == r && self.clients.wants_online(c) {
                self.drop_connection(c);
                self.begin_connect(c, 0);
            }
        }
        #[expect(clippy::cast_possible_truncation, reason = "outage indices fit u32")]
        self.at(up_at, kind::OUTAGE_END, index as u32, 0);
    }

    /// OUTAGE_END: the relay accepts connections again.
    pub(super) fn on_outage_end(&mut self, index: usize) {
        let r = self.scenario.outages[index].relay as usize;
        self.relays[r].up = true;
    }
}
