//! Range checks for every scenario key; each error names the key and the allowed range.

use super::{Dur, Scenario};
use crate::SimError;

/// Checks every key of `scenario`.
///
/// # Errors
/// [`SimError::Scenario`] for the first key out of range.
pub fn validate(s: &Scenario) -> Result<(), SimError> {
    top_level(s)?;
    churn(s)?;
    traffic(s)?;
    machine(s)?;
    cluster(s)
}

fn top_level(s: &Scenario) -> Result<(), SimError> {
    int("clients", s.clients.into(), 2, 50_000_000)?;
    int("seeds", s.seeds.into(), 1, 10_000)?;
    dur(
        "duration",
        s.duration,
        Dur::secs(1),
        Dur::secs(366 * 86_400),
    )?;
    dur(
        "warmup",
        s.warmup,
        Dur(0),
        Dur(s.duration.0.saturating_sub(1)),
    )?;
    dur(
        "sample_interval",
        s.sample_interval,
        Dur::secs(1),
        s.duration,
    )?;
    if s.duration.0 / s.sample_interval.0 > 100_000 {
        return Err(SimError::range(
            "sample_interval",
            "gives more than 100,000 samples; allowed at least duration / 100000",
        ));
    }
    Ok(())
}

fn churn(s: &Scenario) -> Result<(), SimError> {
    let c = &s.churn;
    one_of(
        "churn.model",
        &c.model,
        &["exponential", "diurnal", "trace", "always"],
    )?;
    dur(
        "churn.online_mean",
        c.online_mean,
        Dur::secs(1),
        Dur::secs(365 * 86_400),
    )?;
    dur(
        "churn.offline_mean",
        c.offline_mean,
        Dur::secs(1),
        Dur::secs(365 * 86_400),
    )?;
    float("churn.diurnal_amplitude", c.diurnal_amplitude, 0.0, 1.0)?;
    float("churn.dormant_fraction", c.dormant_fraction, 0.0, 1.0)?;
    dur(
        "churn.diurnal_peak",
        c.diurnal_peak,
        Dur(0),
        Dur::secs(86_400),
    )?;
    if c.model == "trace" && c.trace.is_empty() {
        return Err(SimError::range(
            "churn.trace",
            "required when churn.model = \"trace\": a CSV of client,start,end",
        ));
    }
    Ok(())
}

fn machine(s: &Scenario) -> Result<(), SimError> {
    let r = &s.relays;
    float("relays.frame_io_ns", r.frame_io_ns, 0.0, 1e9)?;
    float("relays.wakeup_ns", r.wakeup_ns, 0.0, 1e9)?;
    float("relays.idle_cores", r.idle_cores, 0.0, f64::from(r.cores))?;
    float(
        "relays.background_cores",
        r.background_cores,
        0.0,
        f64::from(r.cores) * 0.95,
    )
}

fn traffic(s: &Scenario) -> Result<(), SimError> {
    let t = &s.traffic;
    float("traffic.messages_per_day", t.messages_per_day, 0.0, 1e9)?;
    one_of(
        "traffic.activity",
        &t.activity,
        &["uniform", "pareto", "lognormal"],
    )?;
    if t.activity == "pareto" {
        float("traffic.activity_shape", t.activity_shape, 1.05, 10.0)?;
    } else {
        float("traffic.activity_shape", t.activity_shape, 0.0, 10.0)?;
    }
    for (key, weight) in [
        ("traffic.text_weight", t.text_weight),
        ("traffic.file_weight", t.file_weight),
        ("traffic.typing_weight", t.typing_weight),
    ] {
        float(key, weight, 0.0, 1e6)?;
    }
    if t.text_weight + t.file_weight + t.typing_weight <= 0.0 {
        return Err(SimError::range(
            "traffic.text_weight",
            "the three kind weights sum to 0; allowed: a positive sum",
        ));
    }
    float("traffic.group_fraction", t.group_fraction, 0.0, 1.0)?;
    int("traffic.group_size_max", t.group_size_max.into(), 3, 10_000)?;
    float(
        "traffic.group_size_mean",
        t.group_size_mean,
        3.0,
        f64::from(t.group_size_max),
    )?;
    one_of(
        "traffic.text_size_dist",
        &t.text_size_dist,
        &["lognormal", "exponential", "fixed"],
    )?;
    one_of(
        "traffic.send_process",
        &t.send_process,
        &["poisson", "periodic"],
    )?;
    one_of(
        "traffic.group_size_dist",
        &t.group_size_dist,
        &["geometric", "fixed"],
    )?;
    int(
        "traffic.senders",
        t.senders.into(),
        0,
        u64::from(s.clients.saturating_sub(1)),
    )?;
    if t.senders > 0 && t.group_fraction > 0.0 && s.clients - t.senders < 2 {
        return Err(SimError::range(
            "traffic.senders",
            "groups need at least two recipients besides the senders",
        ));
    }
    float("traffic.groups_per_client", t.groups_per_client, 0.0, 1e3)?;
    float(
        "traffic.group_changes_per_day",
        t.group_changes_per_day,
        0.0,
        1e4,
    )?;
    float(
        "traffic.group_state_lost_fraction",
        t.group_state_lost_fraction,
        0.0,
        1.0,
    )?;
    int("traffic.text_size_max", t.text_size_max.into(), 16, 1 << 24)?;
    float(
        "traffic.text_size_mean",
        t.text_size_mean,
        1.0,
        f64::from(t.text_size_max),
    )?;
    float("traffic.text_size_sigma", t.text_size_sigma, 0.0, 4.0)?;
    int(
        "traffic.file_message_size",
        t.file_message_size.into(),
        1,
        1 << 24,
    )?;
    float("traffic.blob_size_median", t.blob_size_median, 1.0, 1e10)?;
    float("traffic.blob_size_sigma", t.blob_size_sigma, 0.0, 5.0)?;
    int("traffic.receipt_size", t.receipt_size.into(), 1, 1 << 24)?;
    int("traffic.typing_size", t.typing_size.into(), 1, 1 << 24)?;
    float(
        "traffic.short_lived_fraction",
        t.short_lived_fraction,
        0.0,
        1.0,
    )?;
    float("traffic.no_ack_fraction", t.no_ack_fraction, 0.0, 1.0)?;
    Ok(())
}

fn cluster(s: &Scenario) -> Result<(), SimError> {
    let n = &s.network;
    dur("network.rtt_median", n.rtt_median, Dur(2), Dur::secs(60))?;
    float("network.rtt_sigma", n.rtt_sigma, 0.0, 3.0)?;
    dur("network.relay_link", n.relay_link, Dur(0), Dur::secs(10))?;
    let r = &s.relays;
    int("relays.count", r.count.into(), 1, 65_535)?;
    int("relays.cores", r.cores.into(), 1, 1024)?;
    dur(
        "relays.store_commit_interval",
        r.store_commit_interval,
        Dur(100),
        Dur::secs(60),
    )?;
    dur(
        "relays.handshake_timeout",
        r.handshake_timeout,
        Dur::secs(1),
        Dur::secs(3600),
    )?;
    dur("relays.ttl", r.ttl, Dur::secs(1), Dur::secs(365 * 86_400))?;
    dur(
        "relays.short_lived_ttl",
        r.short_lived_ttl,
        Dur::secs(1),
        r.ttl,
    )?;
    int("relays.max_messages", r.max_messages.into(), 1, 1 << 30)?;
    int(
        "relays.max_bytes",
        r.max_bytes.into(),
        1,
        u64::from(u32::MAX),
    )?;
    dur(
        "relays.expiry_sweep",
        r.expiry_sweep,
        Dur::secs(1),
        Dur::secs(86_400),
    )?;
    dur(
        "reconnect.base",
        s.reconnect.base,
        Dur(1_000),
        Dur::secs(3600),
    )?;
    dur(
        "reconnect.max",
        s.reconnect.max,
        s.reconnect.base,
        Dur::secs(86_400),
    )?;
    for (i, outage) in s.outages.iter().enumerate() {
        int(
            &format!("outages[{i}].relay"),
            outage.relay.into(),
            0,
            u64::from(r.count) - 1,
        )?;
        dur(&format!("outages[{i}].at"), outage.at, Dur(0), s.duration)?;
        dur(
            &format!("outages[{i}].duration"),
            outage.duration,
            Dur::secs(1),
            Dur::secs(366 * 86_400),
        )?;
    }
    Ok(())
}

fn int(key: &str, value: u64, low: u64, high: u64) -> Result<(), SimError> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(SimError::range(
            key,
            format!("{value} is out of range (allowed {low} ..= {high})"),
        ))
    }
}

fn float(key: &str, value: f64, low: f64, high: f64) -> Result<(), SimError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(SimError::range(
            key,
            format!("{value} is out of range (allowed {low} ..= {high})"),
        ))
    }
}

fn dur(key: &str, value: Dur, low: Dur, high: Dur) -> Result<(), SimError> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(SimError::range(
            key,
            format!("{value} is out of range (allowed {low} ..= {high})"),
        ))
    }
}

fn one_of(key: &str, value: &str, allowed: &[&str]) -> Result<(), SimError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(SimError::range(
            key,
            format!("{value:?} is not allowed (allowed: {})", allowed.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::SimError;
    use crate::scenario::{Scenario, parse_override};

    fn error_for(text: &str, sets: &[&str]) -> String {
        let overrides: Vec<_> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
        match Scenario::from_toml(text, "test", &overrides) {
            Err(SimError::Scenario { key, message }) => format!("{key}: {message}"),
            Err(other) => other.to_string(),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn errors_name_the_key_and_the_allowed_range() {
        assert_eq!(
            error_for("clients = 0", &[]),
            "clients: 0 is out of range (allowed 2 ..= 50000000)"
        );
        assert_eq!(
            error_for("", &["relays.count=0"]),
            "relays.count: 0 is out of range (allowed 1 ..= 65535)"
        );
        assert!(
            error_for("", &["churn.model=weekly"])
                .starts_with("churn.model: \"weekly\" is not allowed")
        );
        assert!(error_for("[traffic]\nactivity_shape = 0.5", &[]).contains("allowed 1.05 ..= 10"));
        assert!(error_for("clientz = 3", &[]).contains("unknown field `clientz`"));
        assert!(
            error_for(
                "[[outages]]\nrelay = 9\nat = \"1h\"\nduration = \"1m\"",
                &[]
            )
            .starts_with("outages[0].relay")
        );
        assert_eq!(error_for("duration = \"2h\"", &["warmup=1h"]), "accepted");
    }
}
