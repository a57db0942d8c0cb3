//! Setting up a run, the event loop, and turning the final state into a [`RunResult`].

use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::core::{Mailboxes, Policy, home_relay};

use super::clients::{Client, Clients, ONLINE};
use super::relays::Relay;
use super::{Sim, kind};
use crate::SimError;
use crate::costs::Costs;
use crate::queue::EventQueue;
use crate::results::{Conservation, Latency, RelayFigures, RunResult};
use crate::rng::Stream;
use crate::scenario::Scenario;
use crate::stats::{CLASSES, Stats};

/// Receives progress reports from a running simulation (every 2^16 events).
pub trait Progress: Sync {
    /// Simulated time reached, µs, and events processed so far.
    fn update(&self, sim_us: u64, events: u64);
}

impl Progress for () {
    fn update(&self, _: u64, _: u64) {}
}

/// Runs `scenario` with `costs` and the scenario's seed.
///
/// # Errors
/// [`SimError::Io`] or [`SimError::Scenario`] for an unreadable churn trace;
/// [`SimError::Conservation`] if messages were not accounted for (a bug).
pub fn run(
    scenario: &Scenario,
    costs: &Costs,
    progress: &dyn Progress,
) -> Result<RunResult, SimError> {
    let trace = if scenario.churn.model == "trace" {
        super::trace::load(scenario)?
    } else {
        Vec::new()
    };
    let mut sim = Sim::new(scenario, costs);
    sim.start(&trace);
    let end = scenario.duration.micros();
    let mut events = 0_u64;
    while let Some(event) = sim.queue.pop() {
        if event.time > end {
            break;
        }
        sim.now = event.time;
        events += 1;
        let (who, a) = (event.who, event.a);
        match event.kind {
            kind::SEND => sim.on_send(who, a),
            kind::TOGGLE => sim.on_toggle(who, a),
            kind::CONNECT => sim.on_connect(who, a),
            kind::LOGIN => sim.on_login(who, a),
            kind::INGRESS => sim.on_ingress(who),
            kind::ARRIVE => sim.on_arrive(who),
            kind::DELIVER => sim.on_deliver(who, a),
            kind::GROUP_CHANGE => sim.on_group_change(who),
            kind::GROUP_RESYNC => sim.on_group_resync(who),
            kind::EXPIRE => sim.on_expire(),
            kind::SAMPLE => sim.on_sample(),
            kind::OUTAGE_START => sim.on_outage_start(who as usize),
            kind::OUTAGE_END => sim.on_outage_end(who as usize),
            kind::WARMUP => sim.on_warmup(),
            other => unreachable!("unknown event kind {other}"),
        }
        if events.trailing_zeros() >= 16 {
            progress.update(sim.now, events);
        }
    }
    sim.now = end;
    progress.update(end, events);
    sim.finish(events)
}

impl<'a> Sim<'a> {
    fn new(scenario: &'a Scenario, costs: &'a Costs) -> Self {
        let relays = &scenario.relays;
        let policy = Policy {
            ttl_ms: relays.ttl.micros() / 1000,
            short_lived_ttl_ms: relays.short_lived_ttl.micros() / 1000,
            max_messages: relays.max_messages,
            max_bytes: relays.max_bytes,
        };
        let samples =
            usize::try_from(scenario.duration.micros() / scenario.sample_interval.micros())
                .unwrap_or(0);
        let churn = &scenario.churn;
        let online_fraction = match churn.model.as_str() {
            "always" | "trace" => 1.0,
            _ => {
                churn.online_mean.as_secs_f64()
                    / (churn.online_mean.as_secs_f64() + churn.offline_mean.as_secs_f64())
            }
        };
        Self {
            scenario,
            costs,
            now: 0,
            queue: EventQueue::new(),
            clients: Clients::default(),
            relays: (0..relays.count)
                .map(|_| Relay::new(relays.cores, samples))
                .collect(),
            core: Mailboxes::new(policy),
            transit: Vec::new(),
            transit_free: Vec::new(),
            stats: Stats::new(scenario.warmup.micros()),
            base_rate: scenario.traffic.messages_per_day / 86_400e6 / online_fraction,
            online_fraction,
            groups: super::groups::Groups::default(),
        }
    }

    /// Draws every client's parameters and initial state and schedules the first events.
    fn start(&mut self, trace: &[(u32, u64, u64)]) {
        let s = self.scenario;
        let n = s.clients as usize;
        self.clients.all = vec![Client::default(); n];
        self.clients.relay = Vec::with_capacity(n);
        let churn = &s.churn;
        let online_fraction = churn.online_mean.as_secs_f64()
            / (churn.online_mean.as_secs_f64() + churn.offline_mean.as_secs_f64());
        for client in 0..s.clients {
            let relay = home_relay(&u64::from(client).to_le_bytes(), s.relays.count);
            self.core.add_mailbox().expect("fewer than 2^32 mailboxes");
            let mut rng = Stream::new(
                s.seed,
                u64::from(client),
                &mut self.clients.all[client as usize].draws,
            );
            let weight = match s.traffic.activity.as_str() {
                "pareto" => rng.pareto_unit_mean(s.traffic.activity_shape),
                "lognormal" => rng.lognormal_mean(1.0, s.traffic.activity_shape),
                _ => 1.0,
            };
            // VAL-2: with `traffic.senders`, only the first clients send.
            let senders = s.traffic.senders;
            let weight = if senders > 0 && client >= senders {
                0.0
            } else {
                weight
            };
            let rtt = rng.lognormal_median(
                s.network.rtt_median.as_secs_f64() * 1e6,
                s.network.rtt_sigma,
            );
            // Dormant clients (the app uninstalled or abandoned) never come online; only draw
            // when the share is set, so scenarios without dormant clients keep their streams.
            let dormant = churn.dormant_fraction > 0.0 && rng.chance(churn.dormant_fraction);
            let online = match churn.model.as_str() {
                _ if dormant => false,
                "always" => true,
                "trace" => false,
                _ => rng.chance(online_fraction),
            };
            let record = &mut self.clients.all[client as usize];
            #[expect(
                clippy::cast_possible_truncation,
                reason = "weights and delays are small"
            )]
            {
                record.weight = weight as f32;
                record.owd = super::clients::to_micros(rtt / 2.0).min(u64::from(u32::MAX)) as u32;
                self.clients.relay.push(relay as u16);
            }
            if online {
                self.on_toggle_initial(client);
            } else if churn.model != "trace" && !dormant {
                let span = self.offline_span(client);
                self.at(span, kind::TOGGLE, client, 2);
            }
        }
        for &(client, from, to) in trace {
            self.at(from, kind::TOGGLE, client, 1);
            self.at(to, kind::TOGGLE, client, 0);
        }
        self.start_groups();
        self.at(s.relays.expiry_sweep.micros(), kind::EXPIRE, 0, 0);
        self.at(s.sample_interval.micros(), kind::SAMPLE, 0, 0);
        for (i, outage) in s.outages.iter().enumerate() {
            self.at(
                outage.at.micros(),
                kind::OUTAGE_START,
                u32::try_from(i).expect("few outages"),
                0,
            );
        }
        self.at(s.warmup.micros(), kind::WARMUP, 0, 0);
    }

    /// A client online at time 0: already logged in (no handshake storm at the start).
    fn on_toggle_initial(&mut self, client: u32) {
        self.clients.all[client as usize].state = ONLINE | 0b100;
        let relay = self.clients.relay[client as usize] as usize;
        self.core
            .connect(Clients::mailbox_id(client))
            .expect("mailbox made above");
        self.relays[relay].connected += 1;
        self.schedule_send(client, 0, 0, true);
        if self.scenario.churn.model != "always" {
            let span = self.online_span(client);
            self.at(span, kind::TOGGLE, client, 2);
        }
    }

    fn on_warmup(&mut self) {
        let totals = self.core.totals();
        self.stats.at_warmup = Some((self.stats.count, totals));
    }

    fn on_sample(&mut self) {
        for r in 0..self.relays.len() {
            self.flush_commit(r, self.now);
        }
        let interval = self.scenario.sample_interval.micros();
        let bucket = usize::try_from(self.now / interval - 1).expect("sample index fits usize");
        // VAL-12: a running relay spends `idle_cores` whatever its load.
        let floor_ns = self.scenario.relays.idle_cores * (interval * 1000) as f64;
        let busy: Vec<f64> = self
            .relays
            .iter()
            .map(|r| {
                let capacity = (interval * 1000) as f64 * r.cores.len() as f64;
                let floor = if r.up { floor_ns } else { 0.0 };
                (r.busy_ns.get(bucket).copied().unwrap_or(0.0) + floor) / capacity
            })
            .collect();
        let totals = self.core.totals();
        let connected = self.relays.iter().map(|r| u64::from(r.connected)).sum();
        let interval_s = self.scenario.sample_interval.as_secs_f64();
        self.stats
            .sample(self.now, interval_s, totals, connected, &busy);
        self.at(self.now + interval, kind::SAMPLE, 0, 0);
    }

    fn finish(mut self, events: u64) -> Result<RunResult, SimError> {
        for r in 0..self.relays.len() {
            self.flush_commit(r, u64::MAX);
        }
        // Expire what is due at the end so "queued" holds only live messages.
        self.core.expire(Timestamp::from_millis(self.now / 1000));
        let totals = self.core.totals();
        let count = self.stats.count;
        let conservation = Conservation {
            sent: count.sent(),
            delivered: totals.acked + totals.sent_without_ack,
            expired: totals.expired,
            dropped: totals.refused_offline + totals.refused_full + totals.dropped_on_disconnect,
            queued: totals.queued,
            in_transit: self.stats.in_transit,
            holds: false,
        };
        let balance = conservation.delivered
            + conservation.expired
            + conservation.dropped
            + conservation.queued
            + conservation.in_transit;
        let conservation = Conservation {
            holds: balance == conservation.sent && totals.balanced(),
            ..conservation
        };
        if !conservation.holds {
            return Err(SimError::Conservation(format!(
                "{conservation:?}, core totals {totals:?}"
            )));
        }
        let measured = self.measured(totals);
        let latency = self.latency();
        let span_ns = (self.now - self.scenario.warmup.micros()) * 1000;
        let relays = self
            .relays
            .iter()
            .map(|r| {
                let (jobs, capacity) =
                    (r.jobs.max(1) as f64, span_ns as f64 * r.cores.len() as f64);
                RelayFigures {
                    jobs: r.jobs,
                    mean_wait_us: r.wait_ns / jobs / 1000.0,
                    mean_service_us: r.service_ns / jobs / 1000.0,
                    utilisation: r.service_ns / capacity.max(1.0),
                }
            })
            .collect();
        Ok(RunResult {
            seed: self.scenario.seed,
            events,
            conservation,
            counters: count,
            measured,
            latency,
            relays,
            series: std::mem::take(&mut self.stats.series),
        })
    }

    fn latency(&self) -> Vec<Latency> {
        let quantiles: Vec<f64> = (0..99)
            .map(|i| f64::from(i) / 100.0)
            .chain((990..1000).map(|i| f64::from(i) / 1000.0))
            .chain([0.9995, 0.9999, 1.0])
            .collect();
        CLASSES
            .iter()
            .zip(&self.stats.histograms)
            // The group control class appears only where there is control traffic, so
            // reports without it keep their shape.
            .filter(|(class, h)| **class != "group_control" || !h.is_empty())
            .map(|(class, h)| {
                let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
                Latency {
                    class: (*class).to_owned(),
                    count: h.len(),
                    mean_ms: h.mean() / 1000.0,
                    p50_ms: ms(0.5),
                    p90_ms: ms(0.9),
                    p99_ms: ms(0.99),
                    p999_ms: ms(0.999),
                    max_ms: ms(1.0),
                    cdf: if h.is_empty() {
                        Vec::new()
                    } else {
                        quantiles.iter().map(|&q| [ms(q), q]).collect()
                    },
                }
            })
            .collect()
    }
}
