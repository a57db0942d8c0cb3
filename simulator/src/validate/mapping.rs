//! A load-test workload as a scenario (MODEL.md, VAL-2 and VAL-3): the same clients, senders,
//! recipients, rate, sizes, group fan-out and offline clients, on one relay.

use std::fmt::Write as _;

use super::Workload;
use crate::SimError;
use crate::scenario::{Dur, Scenario};

/// Transport overhead of a message frame around its end-to-end payload: length 2, container
/// 4, tag 16 (VAL-3; the ack frame of MODEL.md is 38 bytes by the same count).
pub const FRAME_OVERHEAD: f64 = 22.0;

/// Round trip of a loopback TCP connection when none was measured (VAL-2; the model without
/// the VAL-11 term).
pub const LOOPBACK_RTT: Dur = Dur(60);

/// The model's loopback round trip (VAL-11): the measured ping-pong wall time less one
/// wake-up, which the model charges on the relay's core instead (VAL-10); the fixed
/// [`LOOPBACK_RTT`] when nothing was measured.
#[must_use]
pub fn loopback_rtt(workload: &Workload) -> Dur {
    if workload.loopback_rtt_ns <= 0.0 {
        return LOOPBACK_RTT;
    }
    let ns = (workload.loopback_rtt_ns - workload.wakeup_ns).max(1_000.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a round trip of microseconds, positive"
    )]
    Dur((ns / 1_000.0).round() as u64)
}

/// The scenario of `workload` for `seed`, reading its costs from `costs` and its churn trace
/// from `trace` (the file [`trace_csv`] wrote).
///
/// # Errors
/// [`SimError::Scenario`] if the workload makes an invalid scenario (such as a group larger
/// than the recipients).
pub fn scenario(
    name: &str,
    workload: &Workload,
    seed: u64,
    costs: &str,
    trace: &str,
) -> Result<Scenario, SimError> {
    let w = workload;
    let mut s = Scenario {
        name: name.to_owned(),
        description: format!(
            "validation: {} clients, {} senders, {:.0} copies/s, {} per message",
            w.clients, w.senders, w.rate, w.group_size
        ),
        clients: w.clients,
        duration: secs(w.warmup_s + w.duration_s),
        warmup: secs(w.warmup_s),
        seed,
        seeds: 1,
        sample_interval: Dur::secs(1),
        costs: Some(costs.to_owned()),
        ..Scenario::default()
    };
    s.churn.model = "trace".into();
    trace.clone_into(&mut s.churn.trace);
    let t = &mut s.traffic;
    // VAL-2: the load test's open loop sends one message (group_size copies) per period per
    // sender: messages_per_day is per sender, all senders alike.
    t.senders = w.senders;
    t.messages_per_day = w.rate / f64::from(w.group_size) / f64::from(w.senders) * 86_400.0;
    t.activity = "uniform".into();
    t.send_process = "periodic".into();
    (t.text_weight, t.file_weight, t.typing_weight) = (1.0, 0.0, 0.0);
    if w.group_size > 1 {
        t.group_fraction = 1.0;
        t.group_size_dist = "fixed".into();
        t.group_size_mean = f64::from(w.group_size + 1);
        t.group_size_max = t.group_size_max.max(w.group_size + 1);
    } else {
        t.group_fraction = 0.0;
    }
    t.text_size_dist = "fixed".into();
    t.text_size_mean = w.wire_size;
    t.delivery_receipts = false;
    s.network.rtt_median = loopback_rtt(w);
    s.network.rtt_sigma = 0.0;
    s.relays.count = 1;
    s.relays.cores = w.relay_cores;
    s.relays.frame_io_ns = w.frame_io_ns;
    s.relays.wakeup_ns = w.wakeup_ns;
    s.relays.idle_cores = w.idle_cores.min(f64::from(w.relay_cores));
    s.relays.background_cores = w.background_cores.min(f64::from(w.relay_cores) * 0.95);
    // The load test lasts seconds: no message lives long enough to expire.
    s.relays.expiry_sweep = Dur::secs(60);
    crate::scenario::validate(&s)?;
    Ok(s)
}

/// The churn trace: every client but the last `offline_clients` is online for the whole run
/// (the load test logs them in before its warm-up and keeps them); the offline ones never
/// come online (they log in again only at the drain, after the measured phase).
#[must_use]
pub fn trace_csv(workload: &Workload) -> String {
    let end = workload.warmup_s + workload.duration_s + 1.0;
    let online = workload.clients - workload.offline_clients;
    let mut csv = String::from("client,start_seconds,end_seconds\n");
    for client in 0..online {
        let _ = writeln!(csv, "{client},0,{end}");
    }
    csv
}

fn secs(s: f64) -> Dur {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a few hundred seconds, positive"
    )]
    Dur((s * 1e6).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(group_size: u32) -> Workload {
        Workload {
            clients: 40,
            senders: 10,
            rate: 600.0,
            group_size,
            wire_size: 1200.0,
            offline_clients: 6,
            warmup_s: 1.0,
            duration_s: 3.0,
            relay_cores: 2,
            frame_io_ns: 3_000.0,
            background_cores: 0.5,
            wakeup_ns: 20_000.0,
            loopback_rtt_ns: 150_000.0,
            idle_cores: 0.1,
        }
    }

    #[test]
    #[expect(clippy::float_cmp, reason = "values the mapping sets exactly")]
    fn a_group_workload_maps_key_by_key() {
        let s = scenario("group", &workload(3), 7, "costs.json", "t.csv").unwrap();
        assert_eq!(s.clients, 40);
        assert_eq!(s.seed, 7);
        assert_eq!(s.traffic.senders, 10);
        // 600 copies/s of 3 copies each from 10 senders: 20 messages per sender per second.
        assert!((s.traffic.messages_per_day - 20.0 * 86_400.0).abs() < 1e-6);
        assert_eq!(s.traffic.group_fraction, 1.0);
        assert_eq!(s.traffic.group_size_mean, 4.0);
        assert_eq!(s.traffic.send_process, "periodic");
        assert_eq!(s.duration, Dur::secs(4));
        assert_eq!(s.warmup, Dur::secs(1));
        assert!(!s.traffic.delivery_receipts);
        assert_eq!(s.relays.frame_io_ns, 3_000.0);
        assert_eq!(s.relays.background_cores, 0.5);
        assert_eq!(s.relays.wakeup_ns, 20_000.0);
        // VAL-11: 150 µs measured, less the wake-up the relay's core is charged with.
        assert_eq!(s.network.rtt_median, Dur(130));
        let unmeasured = Workload {
            loopback_rtt_ns: 0.0,
            ..workload(3)
        };
        assert_eq!(loopback_rtt(&unmeasured), LOOPBACK_RTT);
    }

    #[test]
    #[expect(clippy::float_cmp, reason = "values the mapping sets exactly")]
    fn the_trace_keeps_the_last_clients_offline() {
        let csv = trace_csv(&workload(1));
        assert_eq!(csv.lines().count(), 1 + 34);
        assert!(csv.ends_with("33,0,5\n"));
        let one = scenario("one-to-one", &workload(1), 1, "c", "t").unwrap();
        assert_eq!(one.traffic.group_fraction, 0.0);
    }

    #[test]
    fn the_mapped_scenario_carries_the_offered_load() {
        use crate::costs::{Costs, Fixed, PerByte, PerRecord};
        let dir = tempfile::tempdir().unwrap();
        let w = workload(3);
        let trace = dir.path().join("t.csv");
        std::fs::write(&trace, trace_csv(&w)).unwrap();
        let s = scenario("group", &w, 1, "unused", &trace.display().to_string()).unwrap();
        let fixed = |value| Fixed {
            value,
            from: "test".into(),
        };
        let per_byte = |base| PerByte {
            base,
            per_byte: 1.0,
            from: "test".into(),
        };
        let costs = Costs {
            relay_handshake_ns: fixed(100_000.0),
            frame_open_ns: per_byte(2_000.0),
            frame_seal_ns: per_byte(2_000.0),
            store_commit_ns: PerRecord {
                base: 5_000.0,
                per_record: 500.0,
                from: "test".into(),
            },
            fsync_ns: fixed(200_000.0),
        };
        let run = crate::model::run(&s, &costs, &()).unwrap();
        assert!(run.conservation.holds);
        let f = super::super::Figures::predicted(&run, 2);
        // 600 copies/s offered, periodic: the relay takes them all.
        assert!(
            (f.acked_per_s / 600.0 - 1.0).abs() < 0.05,
            "{}",
            f.acked_per_s
        );
        // A sixth of the recipients (6 of 30 non-senders) are offline: their copies wait.
        assert!(
            (f.delivered_per_s / 500.0 - 1.0).abs() < 0.1,
            "{}",
            f.delivered_per_s
        );
        assert!(f.mailbox_end > 0.0);
        assert!(f.deliver_p99_ms > 0.0);
    }

    /// VAL-10: at a light load almost every job finds its core idle and pays one wake-up;
    /// VAL-11: the round trip lengthens the send-to-deliver path by one round trip.
    #[test]
    fn wake_ups_cost_cpu_per_job_at_light_load_and_the_round_trip_shows_in_latency() {
        use crate::costs::{Costs, Fixed, PerByte, PerRecord};
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.csv");
        let with = Workload {
            background_cores: 0.0,
            ..workload(1)
        };
        std::fs::write(&trace, trace_csv(&with)).unwrap();
        let trace = trace.display().to_string();
        let fixed = |value| Fixed {
            value,
            from: "test".into(),
        };
        let per_byte = PerByte {
            base: 1_000.0,
            per_byte: 0.0,
            from: "test".into(),
        };
        let costs = Costs {
            relay_handshake_ns: fixed(0.0),
            frame_open_ns: per_byte.clone(),
            frame_seal_ns: per_byte,
            store_commit_ns: PerRecord {
                base: 0.0,
                per_record: 0.0,
                from: "test".into(),
            },
            fsync_ns: fixed(0.0),
        };
        let run = |w: &Workload| {
            let s = scenario("one-to-one", w, 1, "unused", &trace).unwrap();
            crate::model::run(&s, &costs, &()).unwrap()
        };
        let woken = run(&with);
        let bare = run(&Workload {
            wakeup_ns: 0.0,
            loopback_rtt_ns: 0.0,
            idle_cores: 0.0,
            ..with.clone()
        });
        // VAL-12: the floor adds its cores to the CPU figure and nothing to the jobs' service.
        let cpu = |r: &crate::RunResult| r.measured.cpu_mean * 2.0;
        let floored = run(&Workload {
            wakeup_ns: 0.0,
            loopback_rtt_ns: 0.0,
            ..with.clone()
        });
        assert!((cpu(&floored) - cpu(&bare) - 0.1).abs() < 1e-6);
        assert!((floored.relays[0].mean_service_us - bare.relays[0].mean_service_us).abs() < 1e-9);
        let (w, b) = (&woken.relays[0], &bare.relays[0]);
        assert_eq!(w.jobs, b.jobs, "the term adds cost, not jobs");
        // 600 copies/s on two cores of 1 µs jobs: the cores are idle almost always, so the
        // mean service grows by nearly the whole 20 µs.
        let extra_us = w.mean_service_us - b.mean_service_us;
        assert!((18.0..=20.0 + 1e-9).contains(&extra_us), "{extra_us}");
        // One-way 65 µs instead of 30 µs, twice on the path, plus the wake-ups.
        let p50 = |r: &crate::RunResult| {
            r.latency.iter().find(|l| l.class == "all").unwrap().p50_ms * 1_000.0
        };
        let longer_us = p50(&woken) - p50(&bare);
        assert!((70.0..=130.0).contains(&longer_us), "{longer_us}");
    }
}
