//! Build variants: the same primitive benches compiled with different `RUSTFLAGS`, so the
//! build configuration is decided on measurements (`saltrelay bench variants`).

use saltrelay_measure::Provenance;
use serde::{Deserialize, Serialize};

use crate::format::geometric_mean;
use crate::load::Results;

/// Schema tag of `build-variants.json`.
pub const VARIANTS_SCHEMA: &str = "saltrelay_build_variants_v2";

/// One way to build the benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Short name, also the target directory: `target/bench-variants/<name>`.
    pub name: &'static str,
    /// `RUSTFLAGS` of the build (empty for the default).
    pub rustflags: &'static str,
    /// Whether the binary runs on every x86-64 CPU.
    pub portable: bool,
    /// What the variant changes.
    pub what: &'static str,
}

/// The variants measured, the default first: every ratio is against it.
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "default",
        rustflags: "",
        portable: true,
        what: "no flags: x86-64 baseline code, poly1305 and curve25519-dalek pick AVX2 at run time",
    },
    Variant {
        name: "poly1305-soft",
        rustflags: "--cfg poly1305_force_soft",
        portable: true,
        what: "poly1305's portable backend only: no runtime dispatch, no AVX2 key set-up",
    },
    Variant {
        name: "x86-64-v3",
        rustflags: "-C target-cpu=x86-64-v3",
        portable: false,
        what: "AVX2, BMI2, FMA assumed at compile time (Haswell, Zen 1 and later)",
    },
    Variant {
        name: "native",
        rustflags: "-C target-cpu=native",
        portable: false,
        what: "everything the measuring CPU has, including its tuning",
    },
];

/// The variant named `name`.
#[must_use]
pub fn variant(name: &str) -> Option<Variant> {
    VARIANTS.iter().copied().find(|v| v.name == name)
}

/// The measurements of one variant.
#[derive(Debug, Clone)]
pub struct VariantRun {
    /// Which variant.
    pub variant: Variant,
    /// What its run measured.
    pub results: Results,
}

/// The machine-readable summary, `build-variants.json`, which the main report quotes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`VARIANTS_SCHEMA`].
    pub schema: String,
    /// Commit, clean tree, date, machine and command, recorded when the runs started (MEAS-1).
    pub provenance: Provenance,
    /// One entry per variant, the default first.
    pub variants: Vec<VariantSummary>,
    /// Per id: the variant names in the order of `variants`, each with its median (ns).
    pub medians: Vec<IdMedians>,
}

/// One variant's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    /// Variant name.
    pub name: String,
    /// Its `RUSTFLAGS`.
    pub rustflags: String,
    /// Whether it runs on every x86-64 CPU.
    pub portable: bool,
    /// Geometric mean over our ids of median / default median (below 1: faster).
    pub ours_vs_default: Option<f64>,
    /// The same over the baseline's ids: the system library is not rebuilt, so this shows the
    /// noise between the runs (1.00 is a quiet machine).
    pub control_vs_default: Option<f64>,
}

/// One id's medians across the variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdMedians {
    /// The full id (with a baseline prefix for control rows).
    pub id: String,
    /// Median ns per variant, `None` when that run lacks the id.
    pub medians: Vec<Option<f64>>,
}

impl Summary {
    /// Summarises runs; the first run is the reference.
    #[must_use]
    pub fn of(runs: &[VariantRun], measured: &Provenance) -> Self {
        let mut ids: Vec<String> = Vec::new();
        for run in runs {
            for m in &run.results.measurements {
                let id = m.id.to_string();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        let medians: Vec<IdMedians> = ids
            .iter()
            .map(|id| IdMedians {
                id: id.clone(),
                medians: runs
                    .iter()
                    .map(|run| {
                        run.results
                            .measurements
                            .iter()
                            .find(|m| m.id.to_string() == *id)
                            .map(|m| m.median.point)
                    })
                    .collect(),
            })
            .collect();
        let variants = runs
            .iter()
            .enumerate()
            .map(|(k, run)| VariantSummary {
                name: run.variant.name.to_owned(),
                rustflags: run.variant.rustflags.to_owned(),
                portable: run.variant.portable,
                ours_vs_default: geomean_ratio(&medians, k, false),
                control_vs_default: geomean_ratio(&medians, k, true),
            })
            .collect();
        Self {
            schema: VARIANTS_SCHEMA.to_owned(),
            provenance: measured.clone(),
            variants,
            medians,
        }
    }

    /// The portable variant with the lowest geometric mean (the default on a tie).
    #[must_use]
    pub fn best_portable(&self) -> Option<&VariantSummary> {
        self.variants.iter().filter(|v| v.portable).min_by(|a, b| {
            let key = |v: &VariantSummary| v.ours_vs_default.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b))
        })
    }
}

fn is_control(id: &str) -> bool {
    crate::id::BASELINES
        .iter()
        .any(|b| id.strip_prefix(b).is_some_and(|rest| rest.starts_with('/')))
}

fn geomean_ratio(medians: &[IdMedians], k: usize, control: bool) -> Option<f64> {
    let ratios: Vec<f64> = medians
        .iter()
        .filter(|row| is_control(&row.id) == control)
        .filter_map(|row| Some(row.medians.get(k).copied()?? / row.medians.first().copied()??))
        .collect();
    geometric_mean(&ratios)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::results_of;

    #[test]
    fn summary_compares_each_variant_with_the_default() {
        let default = results_of(&[
            ("box/seal/1024", 8000.0),
            ("libsodium/box/seal/1024", 2500.0),
        ]);
        let soft = results_of(&[
            ("box/seal/1024", 4000.0),
            ("libsodium/box/seal/1024", 2500.0),
        ]);
        let runs = [
            VariantRun {
                variant: VARIANTS[0],
                results: default,
            },
            VariantRun {
                variant: VARIANTS[1],
                results: soft,
            },
        ];
        let summary = Summary::of(&runs, &Provenance::fixed("r", "abc", true));
        assert_eq!(summary.variants[0].ours_vs_default, Some(1.0));
        assert_eq!(summary.variants[1].ours_vs_default, Some(0.5));
        assert_eq!(summary.variants[1].control_vs_default, Some(1.0));
        assert_eq!(summary.best_portable().unwrap().name, "poly1305-soft");
        assert_eq!(summary.medians[0].medians, [Some(8000.0), Some(4000.0)]);
    }

    #[test]
    fn variants_start_with_the_portable_default() {
        assert_eq!(VARIANTS[0].name, "default");
        assert!(VARIANTS[0].rustflags.is_empty() && VARIANTS[0].portable);
        assert_eq!(variant("native").map(|v| v.portable), Some(false));
        assert!(is_control("libsodium/box/seal/1024") && !is_control("box/seal/1024"));
    }
}
