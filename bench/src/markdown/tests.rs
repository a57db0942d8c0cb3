//! Tests of the README text: what a reader must find in it.

use super::*;
use crate::testing::{environment, results_of};
use crate::variants::{VARIANTS, VariantRun};

fn render_rows(rows: &[(&str, f64)], variants: Option<&Summary>) -> String {
    let results = results_of(rows);
    let plots = Plots {
        throughput: vec![("primitives".into(), "throughput-primitives.svg".into())],
        costs: vec![("primitives".into(), "costs-primitives.svg".into())],
    };
    render(&Inputs {
        results: &results,
        report: &environment(),
        mixed: &[],
        plots: &plots,
        costs: None,
        variants,
    })
}

#[test]
fn shows_provenance_ratios_and_their_geometric_mean() {
    let text = render_rows(
        &[
            ("box/seal/1024", 4000.0),
            ("libsodium/box/seal/1024", 1600.0),
            ("box/seal/64", 2000.0),
            ("libsodium/box/seal/64", 500.0),
            ("x25519/keygen", 25_000.0),
        ],
        None,
    );
    for needle in [
        "Written by `saltrelay bench report` at 2025-01-01T00:00:00Z UTC",
        "| `primitives` | `abc` | `run-1` | 2025-01-01T00:00:00Z | unknown | `saltrelay bench run` |",
        "| `box/seal/1024` | 4.00 µs | 1.60 µs | 2.50× |",
        "Geometric mean of the 2 ratios: **3.16×**",
        "![throughput of the primitives layer](throughput-primitives.svg)",
        "![cost per operation, primitives layer](costs-primitives.svg)",
        "| `x25519/keygen` | 25.0 µs | 23.8 µs – 26.2 µs | 40.0 k op/s | — | — |",
        "| id | median | 95 % CI | throughput | libsodium | ratio |",
        "Build variants have not been measured",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn layer_without_a_baseline_has_no_ratio_columns() {
    let text = render_rows(&[("fs/fsync/4096", 200_000.0)], None);
    assert!(
        text.contains("| id | median | 95 % CI | throughput |\n| --- |"),
        "{text}"
    );
    assert!(text.contains("| `fs/fsync/4096` | 200 µs | 190 µs – 210 µs | 19.5 MiB/s |\n"));
}

#[test]
fn decomposes_cost_into_per_call_and_per_byte() {
    let text = render_rows(
        &[
            ("box/seal/64", 1000.0 + 2.0 * 64.0),
            ("box/seal/1024", 1000.0 + 2.0 * 1024.0),
            ("libsodium/box/seal/64", 400.0 + 64.0),
            ("libsodium/box/seal/1024", 400.0 + 1024.0),
        ],
        None,
    );
    assert!(
        text.contains("| `box/seal` | 1.00 µs | 2.000 ns | 400 ns | 1.000 ns |"),
        "{text}"
    );
}

#[test]
fn target_is_pending_until_measured_then_judged() {
    let pending = render_rows(&[("libsodium/box/seal/1024", 1600.0)], None);
    assert!(pending.contains("pending: the layer has no bench yet"));
    let met = render_rows(
        &[
            ("libsodium/box/seal/1024", 1600.0),
            ("e2e/seal/text_1024", 1500.0),
        ],
        None,
    );
    assert!(met.contains("| met (0.94×) |"), "{met}");
    let missed = render_rows(
        &[
            ("libsodium/box/seal/1024", 1600.0),
            ("e2e/seal/text_1024", 3200.0),
        ],
        None,
    );
    assert!(missed.contains("**not met** (2.00×)"), "{missed}");
}

#[test]
fn quotes_the_build_variants_and_their_decision() {
    let runs = [
        VariantRun {
            variant: VARIANTS[0],
            results: results_of(&[("box/seal/64", 2000.0), ("libsodium/box/seal/64", 500.0)]),
        },
        VariantRun {
            variant: VARIANTS[1],
            results: results_of(&[("box/seal/64", 1000.0), ("libsodium/box/seal/64", 500.0)]),
        },
        VariantRun {
            variant: VARIANTS[2],
            results: results_of(&[("box/seal/64", 800.0), ("libsodium/box/seal/64", 500.0)]),
        },
    ];
    let summary = Summary::of(&runs, &crate::testing::measured());
    let text = render_rows(&[("box/seal/64", 2000.0)], Some(&summary));
    for needle in [
        "| poly1305-soft | `--cfg poly1305_force_soft` | yes | 0.50× | 1.00× |",
        "`poly1305-soft` is portable and 50 % faster",
        "rustflags = [\"--cfg\", \"poly1305_force_soft\"]",
        "Non-portable variants (`x86-64-v3` 0.40×)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let page = render_variants(&summary, &environment(), &["cargo bench".to_owned()]);
    assert!(
        page.contains("| `box/seal/64` | 2.00 µs | 1.00 µs (0.50×) | 800 ns (0.40×) |"),
        "{page}"
    );
}
