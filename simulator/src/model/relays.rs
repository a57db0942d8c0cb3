//! Relays: CPU as FIFO servers, group commits, expiry sweeps, outages (MODEL.md, "Relays").

use super::traffic::now_ms;
use super::{Sim, kind};

/// One core: its unfinished work as of its latest arrival.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Core {
    pub(crate) last_ns: u64,
    pub(crate) work_ns: u64,
}

/// One relay's resources and gauges.
#[derive(Debug)]
pub(crate) struct Relay {
    /// Each core's unfinished work.
    pub(crate) cores: Vec<Core>,
    pub(crate) up: bool,
    /// When the current outage ends, µs.
    pub(crate) up_at: u64,
    /// Clients connected now.
    pub(crate) connected: u32,
    /// Store records waiting for the next group commit.
    pub(crate) records: u32,
    /// End of the commit interval the pending records belong to, µs.
    pub(crate) commit_at: u64,
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
            cores: vec![Core::default(); cores as usize],
            up: true,
            up_at: 0,
            connected: 0,
            records: 0,
            commit_at: 0,
            busy_ns: vec![0.0; samples + 1],
            jobs: 0,
            wait_ns: 0.0,
            service_ns: 0.0,
        }
    }
}

impl Sim<'_> {
    /// Runs a job of `cost_ns` on relay `r`, arriving at `at_ns`, on the core with the least
    /// unfinished work (FIFO per core, M/G/c). Returns its completion time, ns.
    ///
    /// Each core keeps its unfinished work as of the latest arrival it saw (the Lindley
    /// recursion on virtual waiting time). Work that a job triggers is submitted at once with
    /// its later arrival time; a job submitted afterwards with an earlier arrival time then
    /// counts the work outstanding at that later time, never the idle gap before it
    /// (MODEL.md, "Relays"). For arrivals in time order this is exact.
    /// Opening a frame of `len` bytes: the cost file's cost plus the frame's I/O (VAL-9).
    pub(crate) fn open_cost(&self, len: u32) -> f64 {
        self.costs.open(len) + self.scenario.relays.frame_io_ns
    }

    /// Sealing a frame of `len` bytes: the cost file's cost plus the frame's I/O (VAL-9).
    pub(crate) fn seal_cost(&self, len: u32) -> f64 {
        self.costs.seal(len) + self.scenario.relays.frame_io_ns
    }

    pub(crate) fn cpu(&mut self, r: usize, at_ns: u64, cost_ns: f64) -> u64 {
        // A free operation occupies no core (and does not count as a job).
        if cost_ns <= 0.0 {
            return at_ns;
        }
        // VAL-9: other work on the machine leaves the relay a share of each core.
        let relays = &self.scenario.relays;
        let stretch = if relays.background_cores > 0.0 {
            let cores = f64::from(relays.cores);
            cores / (cores - relays.background_cores)
        } else {
            1.0
        };
        let wakeup_ns = relays.wakeup_ns;
        let sample_ns = self.scenario.sample_interval.micros() * 1000;
        let warm = self.now >= self.scenario.warmup.micros();
        let relay = &mut self.relays[r];
        for core in &mut relay.cores {
            if at_ns > core.last_ns {
                core.work_ns = core.work_ns.saturating_sub(at_ns - core.last_ns);
                core.last_ns = at_ns;
            }
        }
        let core = relay
            .cores
            .iter_mut()
            .min_by_key(|c| c.work_ns)
            .expect("a relay has at least one core");
        let wait = core.work_ns;
        // VAL-10: a job that finds its core idle first wakes the parked thread.
        let cost_ns = if wait == 0 {
            cost_ns + wakeup_ns
        } else {
            cost_ns
        };
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "costs are small and positive"
        )]
        let cost = (cost_ns * stretch).round() as u64;
        core.work_ns += cost;
        let start = at_ns + wait;
        let bucket = usize::try_from(start / sample_ns)
            .unwrap_or(usize::MAX)
            .min(relay.busy_ns.len() - 1);
        // VAL-9: the stretch is time the relay's thread waits for a core held by other work;
        // it holds the core in the model (waits, latency) but is not the relay's CPU time.
        relay.busy_ns[bucket] += cost_ns;
        if warm {
            relay.jobs += 1;
            relay.wait_ns += wait as f64;
            relay.service_ns += cost as f64;
        }
        start + cost
    }

    /// Adds store records to relay `r`'s current group commit. Commits happen at the end of
    /// each commit interval that has records; the commit job is submitted when the relay next
    /// touches its store (or at the next sample) with its true arrival time, which needs no
    /// event per commit (MODEL.md, "Relays").
    pub(crate) fn add_records(&mut self, r: usize, n: u32) {
        self.flush_commit(r, self.now);
        let relay = &mut self.relays[r];
        if relay.records == 0 {
            let interval = self.scenario.relays.store_commit_interval.micros();
            relay.commit_at = (self.now / interval + 1) * interval;
        }
        relay.records += n;
    }

    /// Runs relay `r`'s pending group commit if its interval ended by `now`.
    pub(crate) fn flush_commit(&mut self, r: usize, now: u64) {
        let relay = &self.relays[r];
        if relay.records == 0 || relay.commit_at > now {
            return;
        }
        let (records, at) = (relay.records, relay.commit_at);
        self.relays[r].records = 0;
        if self.relays[r].up {
            self.stats.count.commits += 1;
            self.cpu(r, at * 1000, self.costs.commit(records));
        }
    }

    /// EXPIRE: the relays delete expired messages (RELAY-10); each deletion is a store record
    /// of the recipient's relay.
    pub(super) fn on_expire(&mut self) {
        let mut per_relay = vec![0_u32; self.relays.len()];
        let relay_of = &self.clients.relay;
        self.core.expire_with(now_ms(self.now), |mailbox, _| {
            per_relay[relay_of[mailbox.0 as usize] as usize] += 1;
        });
        for (r, n) in per_relay.into_iter().enumerate() {
            if n > 0 {
                self.add_records(r, n);
            }
        }
        self.at(
            self.now + self.scenario.relays.expiry_sweep.micros(),
            kind::EXPIRE,
            0,
            0,
        );
    }

    /// `OUTAGE_START`: the relay stops; its clients lose their connections and retry with
    /// backoff; its store (the mailboxes) survives.
    pub(super) fn on_outage_start(&mut self, index: usize) {
        let outage = &self.scenario.outages[index];
        let r = outage.relay as usize;
        let up_at = self.now + outage.duration.micros();
        self.relays[r].up = false;
        self.relays[r].up_at = up_at;
        // Work queued when the relay stops is lost with it; it restarts idle.
        for core in &mut self.relays[r].cores {
            *core = Core {
                last_ns: up_at * 1000,
                work_ns: 0,
            };
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

    /// `OUTAGE_END`: the relay accepts connections again.
    pub(super) fn on_outage_end(&mut self, index: usize) {
        let r = self.scenario.outages[index].relay as usize;
        self.relays[r].up = true;
    }
}
