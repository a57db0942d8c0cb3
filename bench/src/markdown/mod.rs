//! The text of `reports/bench/README.md`: provenance, the ratio table against libsodium, the
//! fixed/per-byte decomposition, one section per layer, the simulator's costs, the build
//! configuration and the targets the issues set.

/// `format!` straight into a `String`.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {
        {
            use core::fmt::Write as _;
            $out.write_fmt(format_args!($($arg)*))
                .expect("writing to a String cannot fail")
        }
    };
}

use crate::format::{self, fit_line, to_f64};
use crate::id::BenchId;
use crate::load::{Measurement, Results, UNLAYERED};
use saltrelay_measure::Provenance;

use crate::provenance::same_run;
use crate::variants::Summary;
use saltrelay_simulator::costs::CostFile;

/// A target an issue sets: our `id` must cost no more than `reference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Our benchmark id.
    pub id: &'static str,
    /// The id it is held against.
    pub reference: &'static str,
    /// Where the target comes from and what it means.
    pub what: &'static str,
}

/// The targets the report checks as soon as both ids are measured.
pub const TARGETS: &[Target] = &[Target {
    id: "e2e/seal/text_1024",
    reference: "libsodium/box/seal/1024",
    what: "issue 5: the whole E2E seal of a 1 KiB text with a cached key costs no more than \
           libsodium's raw crypto_box_easy_afternm of 1 KiB",
}];

/// The plots written beside the README, by layer name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plots {
    /// (layer name, file name) of throughput plots.
    pub throughput: Vec<(String, String)>,
    /// (layer name, file name) of cost-bar plots.
    pub costs: Vec<(String, String)>,
}

/// Everything the README shows.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The measurements.
    pub results: &'a Results,
    /// The report-writing command (each layer's measurement provenance is in its marker).
    pub report: &'a Provenance,
    /// Why the layers do not form one clean measurement (MEAS-3): printed at the top.
    pub mixed: &'a [String],
    /// The plots written.
    pub plots: &'a Plots,
    /// The simulator's cost file, when every cost could be derived.
    pub costs: Option<&'a CostFile>,
    /// The build-variant summary, when `saltrelay bench variants` has run.
    pub variants: Option<&'a Summary>,
}

/// Renders the README.
#[must_use]
pub fn render(inputs: &Inputs<'_>) -> String {
    let mut out = String::new();
    provenance(&mut out, inputs);
    against_baseline(&mut out, inputs);
    decomposition(&mut out, inputs.results);
    targets(&mut out, inputs.results);
    layers(&mut out, inputs);
    costs(&mut out, inputs.costs);
    build_configuration(&mut out, inputs.variants);
    let flags = inputs.report.machine.cpu_flags.join(" ");
    put!(
        out,
        "<details><summary>All CPU flags of the measuring machine</summary>\n\n{flags}\n\n</details>\n"
    );
    out
}

fn provenance(out: &mut String, inputs: &Inputs<'_>) {
    let report = inputs.report;
    out.push_str("# Benchmark report\n\n");
    if !inputs.mixed.is_empty() {
        out.push_str(
            "> **Mixed measurements** (written with `--allow-mixed`): these numbers do not all \
             come from one clean commit, so they do not describe one version of the code.\n",
        );
        for reason in inputs.mixed {
            put!(out, "> - {reason}\n");
        }
        out.push('\n');
    }
    put!(
        out,
        "Written by `{}` at {} UTC: do not edit by hand. Each layer below names the commit, \
         run and command that measured it, recorded when its bench ran.\n\n",
        report.command,
        report.date
    );
    out.push_str(
        "| layer | commit | run | measured (UTC) | load average | command |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for marker in inputs.results.layers.values() {
        let p = &marker.provenance;
        put!(
            out,
            "| `{}` | `{}` | `{}` | {} | {} | `{}` |\n",
            marker.name,
            p.commit_label(),
            p.run_id,
            p.date,
            p.load_average.as_deref().unwrap_or("unknown"),
            p.command
        );
    }
    out.push_str("\n| | |\n| --- | --- |\n");
    let machine = &report.machine;
    let rows = [
        ("machine", machine.summary()),
        ("CPU flags that matter here", machine.simd_flags().join(" ")),
        ("rustc", report.toolchain.rustc.clone()),
        (
            "RUSTFLAGS",
            report.toolchain.rustflags.clone().map_or_else(
                || "(none: the default, portable build)".to_owned(),
                |f| format!("`{f}`"),
            ),
        ),
    ];
    for (key, value) in rows {
        put!(out, "| {key} | {value} |\n");
    }
    for marker in inputs.results.layers.values() {
        put!(
            out,
            "| layer `{}` | built with {}; times are {} |\n",
            marker.name,
            marker.build.label(),
            marker.clock
        );
        if let Some(baseline) = &marker.baseline {
            put!(
                out,
                "| baseline of `{}` | {baseline} (system library) |\n",
                marker.name
            );
        }
    }
    out.push_str(
        "\nTimes are criterion medians per operation, with their 95 % bootstrap confidence \
         interval, on the clock named per layer above: thread CPU time unless the layer waits on \
         the disk, so that other work on a shared machine does not count. A ratio is our \
         median divided by the baseline's median measured in the same run: below 1.00 we are \
         faster, above 1.00 slower.\n\n",
    );
}

/// Our measurements that have a baseline mirror, with it.
fn pairs(results: &Results) -> Vec<(&Measurement, &Measurement)> {
    results
        .measurements
        .iter()
        .filter(|m| m.id.baseline.is_none())
        .filter_map(|m| Some((m, results.baseline_of(&m.id)?)))
        .collect()
}

fn against_baseline(out: &mut String, inputs: &Inputs<'_>) {
    let pairs = pairs(inputs.results);
    if pairs.is_empty() {
        return;
    }
    out.push_str("## saltrelay against libsodium\n\n");
    out.push_str("| operation | saltrelay | libsodium | ratio |\n| --- | ---: | ---: | ---: |\n");
    let mut ratios = Vec::new();
    for (ours, theirs) in &pairs {
        let shown = if same_run(inputs.results, ours, theirs) {
            let r = ours.median.point / theirs.median.point;
            ratios.push(r);
            format::ratio(r)
        } else {
            NOT_ONE_RUN.to_owned()
        };
        put!(
            out,
            "| `{}` | {} | {} | {shown} |\n",
            ours.id,
            format::duration(ours.median.point),
            format::duration(theirs.median.point),
        );
    }
    if let Some(mean) = format::geometric_mean(&ratios) {
        put!(
            out,
            "\nGeometric mean of the {} ratios: **{}**.\n\n",
            ratios.len(),
            format::ratio(mean)
        );
    }
    for (layer, file) in &inputs.plots.throughput {
        put!(out, "![throughput of the {layer} layer]({file})\n\n");
    }
}

fn decomposition(out: &mut String, results: &Results) {
    let mut rows = Vec::new();
    let mut seen = Vec::new();
    for m in results
        .measurements
        .iter()
        .filter(|m| m.id.baseline.is_none())
    {
        let series = m.id.series();
        if seen.contains(&series) || sized_by_bytes(m).is_none() {
            continue;
        }
        seen.push(series.clone());
        let ours = series_fit(results, &m.id, None);
        let theirs = crate::id::BASELINES
            .iter()
            .find_map(|b| series_fit(results, &m.id, Some(b)));
        if let Some(ours) = ours {
            rows.push((series, ours, theirs));
        }
    }
    if rows.is_empty() {
        return;
    }
    out.push_str(
        "## Fixed cost and cost per byte\n\nEach operation measured at several sizes, fitted \
         as `time = per call + per byte × bytes` (least squares on relative error, so small and \
         large sizes weigh alike). A gap in the per-call column is set-up work (key schedule, \
         dispatch, allocation); a gap in the per-byte column is the speed of the cipher and \
         MAC themselves.\n\n| operation | saltrelay per call | saltrelay per byte | \
         libsodium per call | libsodium per byte |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    for (series, ours, theirs) in rows {
        let (tb, ts) = theirs.map_or_else(
            || ("—".to_owned(), "—".to_owned()),
            |t| (format::duration(t.base), format!("{:.3} ns", t.slope)),
        );
        put!(
            out,
            "| `{series}` | {} | {:.3} ns | {tb} | {ts} |\n",
            format::duration(ours.base),
            ours.slope
        );
    }
    out.push('\n');
}

fn series_fit(results: &Results, id: &BenchId, baseline: Option<&str>) -> Option<format::Fit> {
    let points: Vec<(f64, f64)> = results
        .measurements
        .iter()
        .filter(|m| m.id.baseline.as_deref() == baseline && m.id.series() == id.series())
        .filter_map(|m| Some((to_f64(sized_by_bytes(m)?), m.median.point)))
        .collect();
    fit_line(&points)
}

/// The message size of a measurement whose parameter is that size (`box/seal/1024`); `None`
/// for parameters that count something else (`group_fanout/10`, `seal/file`), whose bytes
/// do not lie on one line with the others.
fn sized_by_bytes(m: &Measurement) -> Option<u64> {
    let bytes = m.throughput?.bytes()?;
    (m.id.parameter.as_deref()?.parse::<u64>().ok()? == bytes).then_some(bytes)
}

/// What a ratio cell says when its two numbers come from different runs (MEAS-2).
pub const NOT_ONE_RUN: &str = "no ratio: different runs";

fn targets(out: &mut String, results: &Results) {
    out.push_str(
        "## Targets\n\n| target | saltrelay | reference | status |\n| --- | ---: | ---: | --- |\n",
    );
    for target in TARGETS {
        let find = |id: &str| results.get(&BenchId::parse(id).ok()?);
        let (ours_m, reference_m) = (find(target.id), find(target.reference));
        let one_run =
            matches!((ours_m, reference_m), (Some(a), Some(b)) if same_run(results, a, b));
        let (ours, reference) = (
            ours_m.map(|m| m.median.point),
            reference_m.map(|m| m.median.point),
        );
        let show = |v: Option<f64>, id: &str| {
            v.map_or_else(
                || format!("`{id}` not measured"),
                |ns| format!("`{id}` {}", format::duration(ns)),
            )
        };
        let status = match (ours, reference) {
            (Some(_), Some(_)) if !one_run => {
                format!("not judged: the two numbers come from different runs ({NOT_ONE_RUN})")
            }
            (Some(o), Some(r)) if o <= r => format!("met ({})", format::ratio(o / r)),
            (Some(o), Some(r)) => format!("**not met** ({})", format::ratio(o / r)),
            _ => "pending: the layer has no bench yet".to_owned(),
        };
        put!(
            out,
            "| {} | {} | {} | {status} |\n",
            target.what,
            show(ours, target.id),
            show(reference, target.reference)
        );
    }
    out.push('\n');
}

fn layers(out: &mut String, inputs: &Inputs<'_>) {
    out.push_str("## Layers\n\n");
    for (marker, rows) in inputs.results.by_layer() {
        let name = marker.map_or(UNLAYERED, |m| m.name.as_str());
        let title = marker.map_or("Unlayered (no layer marker)", |m| m.title.as_str());
        put!(out, "### {title}\n\n");
        if let Some(marker) = marker {
            put!(out, "{}\n\n", marker.description);
        }
        let ours: Vec<&Measurement> = rows
            .iter()
            .copied()
            .filter(|m| m.id.baseline.is_none())
            .collect();
        let compared = ours
            .iter()
            .any(|m| inputs.results.baseline_of(&m.id).is_some());
        out.push_str("| id | median | 95 % CI | throughput |");
        out.push_str(if compared {
            " libsodium | ratio |\n"
        } else {
            "\n"
        });
        out.push_str("| --- | ---: | ---: | ---: |");
        out.push_str(if compared { " ---: | ---: |\n" } else { "\n" });
        for m in ours {
            let ci = m.median.confidence_interval;
            put!(
                out,
                "| `{}` | {} | {} – {} | {} |",
                m.id,
                format::duration(m.median.point),
                format::duration(ci.lower_bound),
                format::duration(ci.upper_bound),
                throughput(m),
            );
            if compared {
                let theirs = inputs.results.baseline_of(&m.id);
                let (median, ratio) = theirs.map_or_else(
                    || ("—".to_owned(), "—".to_owned()),
                    |t| {
                        let ratio = if same_run(inputs.results, m, t) {
                            format::ratio(m.median.point / t.median.point)
                        } else {
                            NOT_ONE_RUN.to_owned()
                        };
                        (format::duration(t.median.point), ratio)
                    },
                );
                put!(out, " {median} | {ratio} |");
            }
            out.push('\n');
        }
        out.push('\n');
        for (layer, file) in inputs.plots.costs.iter().filter(|(l, _)| l == name) {
            put!(out, "![cost per operation, {layer} layer]({file})\n\n");
        }
    }
}

fn throughput(m: &Measurement) -> String {
    let per_second = 1e9 / m.median.point;
    match m.throughput {
        Some(t) if t.bytes().is_some() => {
            format::bytes_per_second(to_f64(t.bytes().unwrap_or(0)) * per_second)
        }
        Some(t) if t.elements().is_some() => {
            format::elements_per_second(to_f64(t.elements().unwrap_or(0)) * per_second)
        }
        _ => format::elements_per_second(per_second).replace("/s", " op/s"),
    }
}

fn costs(out: &mut String, costs: Option<&CostFile>) {
    out.push_str("## Costs for the simulator\n\n");
    let Some(file) = costs else {
        out.push_str(
            "Not written: some costs had no measurement in this run, or the layers do not share \
             one clean commit (see the warning of `saltrelay bench report`).\n\n",
        );
        return;
    };
    out.push_str(
        "[`costs.json`](costs.json) (schema `saltrelay_costs_v2`, with the provenance of the \
         layers it was derived from) is what the simulator charges per operation:\n\n| cost | value | from |\n| --- | --- | --- |\n",
    );
    for (name, value, from) in file.costs.rows() {
        put!(out, "| `{name}` | {value} | {from} |\n");
    }
    out.push('\n');
}

mod build;
use build::build_configuration;
pub use build::{VARIANTS_MD, render_variants};

#[cfg(test)]
mod tests;
