//! `reports/bench/costs.json`: the per-operation costs the simulator reads. The schema and its
//! types belong to the reader, `saltrelay_simulator::costs`; this module only fills them in.
//!
//! Each cost names its candidate sources in order of preference: the measurement of the layer
//! that owns the operation first (`frame/seal/*` once the transport has benches), then an
//! estimate from lower layers. `from` always says which was used and how.

use saltrelay_measure::Provenance;
use saltrelay_simulator::costs::{CostFile, Costs, Fixed, PerByte, PerRecord, SCHEMA};

use crate::format::{Fit, fit_line, to_f64};
use crate::id::BenchId;
use crate::load::{Measurement, Results};

/// The relay's share of one transport handshake, as primitive operations, until a
/// `handshake/relay` bench exists: a fresh temporary key (keygen), the box keys with the
/// client's temporary key for the server hello and the login (2 × beforenm), the vouch
/// secrets `SS1` and `SS2` (2 × DH), the vouch key and the vouch MAC (KDF, BLAKE2b over 64 B),
/// server hello and login-ack sealed and the login opened (2 × seal, 1 × open of ~100 B).
pub const HANDSHAKE_RECIPE: &[(&str, u32)] = &[
    ("x25519/keygen", 1),
    ("box/beforenm", 2),
    ("x25519/dh", 2),
    ("kdf/derive_key/32", 1),
    ("blake2b/mac/64", 1),
    ("secretbox/seal/100", 2),
    ("secretbox/open/100", 1),
];

/// Derives the cost file from `results`, whose layers were all measured as `measured` says
/// (MEAS-4: the cost file carries the provenance of the bench run, not of the report);
/// `Err` lists the costs that no measurement could give.
///
/// # Errors
/// The names of the costs whose sources are all missing from `results`.
pub fn derive(results: &Results, measured: &Provenance) -> Result<CostFile, Vec<&'static str>> {
    let mut missing = Vec::new();
    let handshake = handshake(results);
    let open = per_byte(
        results,
        &["transport/frame_open", "frame/open", "secretbox/open"],
    );
    let seal = per_byte(
        results,
        &["transport/frame_seal", "frame/seal", "secretbox/seal"],
    );
    let commit = per_record(results, &["store/commit", "fs/commit"]);
    let fsync = single(results, &["fs/fsync/4096"]);
    for (name, ok) in [
        ("relay_handshake_ns", handshake.is_some()),
        ("frame_open_ns", open.is_some()),
        ("frame_seal_ns", seal.is_some()),
        ("store_commit_ns", commit.is_some()),
        ("fsync_ns", fsync.is_some()),
    ] {
        if !ok {
            missing.push(name);
        }
    }
    let (Some(handshake), Some(open), Some(seal), Some(commit), Some(fsync)) =
        (handshake, open, seal, commit, fsync)
    else {
        return Err(missing);
    };
    Ok(CostFile {
        schema: SCHEMA.to_owned(),
        measured: Some(measured.clone()),
        synthetic: None,
        costs: Costs {
            relay_handshake_ns: handshake,
            frame_open_ns: open,
            frame_seal_ns: seal,
            store_commit_ns: commit,
            fsync_ns: fsync,
        },
    })
}

fn ours(results: &Results, key: &str) -> Option<f64> {
    let id = BenchId::parse(key).ok()?;
    results.get(&id).map(|m| m.median.point)
}

/// Rounds a duration to whole nanoseconds; negative fits (noise) clamp to zero.
fn whole_ns(ns: f64) -> f64 {
    ns.round().max(0.0)
}

fn handshake(results: &Results) -> Option<Fixed> {
    if let Some(m) = results.measurements.iter().find(|m| {
        m.id.baseline.is_none()
            && ["handshake/relay", "transport/handshake_relay"].contains(&m.id.series().as_str())
    }) {
        return Some(Fixed {
            value: whole_ns(m.median.point),
            from: format!("median of {}", m.id),
        });
    }
    let mut total = 0.0;
    let mut parts = Vec::new();
    for &(key, count) in HANDSHAKE_RECIPE {
        total += f64::from(count) * ours(results, key)?;
        parts.push(format!("{count} × {key}"));
    }
    Some(Fixed {
        value: whole_ns(total),
        from: format!(
            "estimate until a transport/handshake_relay bench exists: sum of the medians of {} (the \
             relay's side of a handshake: temporary key, two box keys, the two vouch secrets, \
             vouch key and MAC, server-hello and login-ack sealed, login opened)",
            parts.join(" + ")
        ),
    })
}

/// The first series with at least two numeric sizes, ours only, sorted by size.
fn series_points<'a>(results: &'a Results, series: &str) -> Vec<&'a Measurement> {
    let mut points: Vec<&Measurement> = results
        .measurements
        .iter()
        .filter(|m| m.id.baseline.is_none() && m.id.series() == series)
        .filter(|m| m.id.numeric_parameter().is_some())
        .collect();
    points.sort_by_key(|m| m.id.numeric_parameter());
    points
}

fn fit_series(results: &Results, candidates: &[&str]) -> Option<(String, Vec<u64>, Fit)> {
    candidates.iter().find_map(|series| {
        let points = series_points(results, series);
        let xy: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|m| Some((to_f64(m.id.numeric_parameter()?), m.median.point)))
            .collect();
        let fit = fit_line(&xy)?;
        let sizes = points
            .iter()
            .filter_map(|m| m.id.numeric_parameter())
            .collect();
        Some(((*series).to_owned(), sizes, fit))
    })
}

fn sizes_list(sizes: &[u64]) -> String {
    sizes
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn per_byte(results: &Results, candidates: &[&str]) -> Option<PerByte> {
    let (series, sizes, fit) = fit_series(results, candidates)?;
    let estimate = if series.starts_with("secretbox/") {
        " (estimate until frame benches exist: a transport frame is one XSalsa20-Poly1305 box)"
            .to_owned()
    } else {
        String::new()
    };
    Some(PerByte {
        base: whole_ns(fit.base),
        per_byte: (fit.slope * 1000.0).round() / 1000.0,
        from: format!(
            "least-squares fit of the medians of {series}/{{{}}}: ns = base + per_byte × \
             bytes, R² = {:.4}{estimate}",
            sizes_list(&sizes),
            fit.r_squared
        ),
    })
}

fn per_record(results: &Results, candidates: &[&str]) -> Option<PerRecord> {
    let (series, sizes, fit) = fit_series(results, candidates)?;
    let estimate = if series.starts_with("store/") {
        String::new()
    } else {
        " (estimate until store benches exist: append N records of 256 B to a file, then one \
         fdatasync)"
            .to_owned()
    };
    Some(PerRecord {
        base: whole_ns(fit.base),
        per_record: whole_ns(fit.slope),
        from: format!(
            "least-squares fit of the medians of {series}/{{{}}}: ns = base + per_record × \
             records, R² = {:.4}{estimate}",
            sizes_list(&sizes),
            fit.r_squared
        ),
    })
}

fn single(results: &Results, candidates: &[&str]) -> Option<Fixed> {
    candidates.iter().find_map(|key| {
        Some(Fixed {
            value: whole_ns(ours(results, key)?),
            from: format!(
                "median of {key}: overwrite 4 KiB of a file, then fdatasync, on the file \
                 system of the target directory"
            ),
        })
    })
}

#[cfg(test)]
mod tests;
