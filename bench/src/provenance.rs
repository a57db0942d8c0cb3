//! Which measurements a report may combine (MEAS-3): every layer records its provenance when
//! its bench runs (MEAS-1, in its layer marker); a report combines layers only when all were
//! measured at one commit on a clean tree, unless the caller allows a mixed report, which then
//! says so at its top. A ratio of two medians is printed only when both come from one run
//! (MEAS-2).

use saltrelay_measure::Provenance;

use crate::ReportError;
use crate::load::{Measurement, Results};

/// Why the layers of `results` cannot honestly be presented as one measurement: each entry one
/// sentence. Empty when every layer was measured at one commit on a clean tree.
#[must_use]
pub fn mixed_reasons(results: &Results) -> Vec<String> {
    let mut reasons = Vec::new();
    let layers: Vec<(&str, &Provenance)> = results
        .layers
        .values()
        .map(|m| (m.name.as_str(), &m.provenance))
        .collect();
    for (name, p) in &layers {
        if !p.clean {
            reasons.push(format!(
                "layer `{name}` was measured on a tree with uncommitted changes (commit `{}`, run `{}`)",
                p.commit_label(),
                p.run_id
            ));
        }
    }
    let mut commits: Vec<&str> = layers.iter().map(|(_, p)| p.commit.as_str()).collect();
    commits.sort_unstable();
    commits.dedup();
    if commits.len() > 1 {
        let each: Vec<String> = layers
            .iter()
            .map(|(name, p)| format!("`{name}` at `{}`", p.commit_label()))
            .collect();
        reasons.push(format!(
            "the layers were measured at {} different commits: {}",
            commits.len(),
            each.join(", ")
        ));
    }
    if results
        .measurements
        .iter()
        .any(|m| m.layer == crate::load::UNLAYERED)
    {
        reasons.push(
            "some results have no layer marker, so nothing says when or where they were measured"
                .to_owned(),
        );
    }
    reasons
}

/// Checks that the layers may be combined: `Ok` with the reasons to print at the top when
/// `allow_mixed`, an error otherwise.
///
/// # Errors
/// [`ReportError::Mixed`] when [`mixed_reasons`] finds any and `allow_mixed` is false.
pub fn check(results: &Results, allow_mixed: bool) -> Result<Vec<String>, ReportError> {
    let reasons = mixed_reasons(results);
    if reasons.is_empty() || allow_mixed {
        Ok(reasons)
    } else {
        Err(ReportError::Mixed { reasons })
    }
}

/// The provenance of the layer a measurement belongs to.
#[must_use]
pub fn of<'r>(results: &'r Results, m: &Measurement) -> Option<&'r Provenance> {
    results.layers.get(&m.layer).map(|l| &l.provenance)
}

/// Whether two measurements come from one run (MEAS-2): only then is their ratio printed.
#[must_use]
pub fn same_run(results: &Results, a: &Measurement, b: &Measurement) -> bool {
    match (of(results, a), of(results, b)) {
        (Some(pa), Some(pb)) => pa.run_id == pb.run_id,
        _ => false,
    }
}

/// The provenance a derived file (`costs.json`) carries: the first layer's, when all layers
/// agree (one commit, clean); `None` when they do not, so that no derived file claims a
/// provenance its numbers lack.
#[must_use]
pub fn common(results: &Results) -> Option<&Provenance> {
    if !mixed_reasons(results).is_empty() {
        return None;
    }
    results
        .by_layer()
        .first()
        .and_then(|(marker, _)| marker.map(|m| &m.provenance))
}

#[cfg(test)]
mod tests;
