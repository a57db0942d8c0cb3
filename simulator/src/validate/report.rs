//! The validation report (VAL-6, VAL-7): `results.json`, `summary.md` and SVG plots, drawn
//! by the one plotting module (`saltrelay_measure::plot`).

use std::fmt::Write as _;
use std::path::Path;

use saltrelay_measure::plot::{Axis, LineChart, Series, Unit};

use super::{Case, Document, Figures, TOLERANCE};
use crate::SimError;
use crate::report::plots::{WARM_UP, write as write_plot};
use crate::sweep::Estimate;

/// Load average (1 min) above which the summary warns that other work shared the machine,
/// for reports without a sampled start (VAL-7).
const BUSY_LOAD: f64 = 0.5;

/// Cores busy with other work over the sampling window at the start above which the summary
/// warns that the machine was busy (VAL-7).
const BUSY_CORES: f64 = 0.25;

/// Writes the report into `dir` (created if missing); returns the files written.
///
/// # Errors
/// [`SimError::Io`].
pub fn write(doc: &Document, dir: &Path) -> Result<Vec<String>, SimError> {
    std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
    let mut files = Vec::new();
    let mut json = serde_json::to_string_pretty(doc).map_err(|e| SimError::Io {
        path: "results.json".into(),
        source: std::io::Error::other(e),
    })?;
    json.push('\n');
    put(dir, "results.json", &json, &mut files)?;
    for scenario in scenarios(doc) {
        files.extend(level_plots(doc, &scenario, dir)?);
    }
    for case in &doc.cases {
        files.push(mailbox_plot(case, dir)?);
    }
    put(dir, "summary.md", &summary(doc, &files), &mut files)?;
    Ok(files)
}

fn put(dir: &Path, name: &str, text: &str, files: &mut Vec<String>) -> Result<(), SimError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| SimError::io(&path, e))?;
    files.push(name.to_owned());
    Ok(())
}

/// Scenario names in order of first appearance.
fn scenarios(doc: &Document) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for case in &doc.cases {
        if !names.contains(&case.scenario) {
            names.push(case.scenario.clone());
        }
    }
    names
}

/// Predicted beside measured over the load levels of one scenario: throughput, latency, CPU.
fn level_plots(doc: &Document, scenario: &str, dir: &Path) -> Result<Vec<String>, SimError> {
    let cases: Vec<&Case> = doc
        .cases
        .iter()
        .filter(|c| c.scenario == scenario)
        .collect();
    let line = |name: &str, metric: &str, predicted: bool| -> Series {
        let points = cases
            .iter()
            .filter_map(|c| {
                let cmp = c.comparisons.iter().find(|m| m.metric == metric)?;
                let e = if predicted {
                    &cmp.predicted
                } else {
                    &cmp.measured
                };
                Some((c.level * 100.0, e.mean))
            })
            .collect();
        Series::new(name, points)
    };
    let plots: [(&str, &str, &str, Vec<Series>); 3] = [
        (
            "throughput",
            "copies per second",
            "throughput",
            vec![
                line("acked, measured", "acked_per_s", false),
                line("acked, predicted", "acked_per_s", true),
                line("delivered, measured", "delivered_per_s", false),
                line("delivered, predicted", "delivered_per_s", true),
            ],
        ),
        (
            "latency",
            "send to deliver, ms",
            "latency",
            vec![
                line("p50 measured", "deliver_p50_ms", false),
                line("p50 predicted", "deliver_p50_ms", true),
                line("p99 measured", "deliver_p99_ms", false),
                line("p99 predicted", "deliver_p99_ms", true),
            ],
        ),
        (
            "cpu",
            "relay CPU, cores busy",
            "relay CPU",
            vec![
                line("measured", "relay_cpu_cores", false),
                line("predicted", "relay_cpu_cores", true),
            ],
        ),
    ];
    let mut files = Vec::new();
    for (file, y, what, lines) in plots {
        let name = format!("{scenario}-{file}.svg");
        let chart = LineChart::new(
            format!("{scenario}: {what}, predicted and measured"),
            Axis::linear("load level, % of the measured peak", Unit::Number),
            Axis::from_zero(y, Unit::Number),
        )
        .with(lines);
        write_plot(&chart, &dir.join(&name))?;
        files.push(name);
    }
    Ok(files)
}

/// Mailbox depth over time of a case's first seed, predicted and measured.
fn mailbox_plot(case: &Case, dir: &Path) -> Result<String, SimError> {
    let series = |name: &str, runs: &[Figures]| -> Series {
        let points = runs
            .first()
            .map(|f| f.mailbox_series.iter().map(|p| (p[0], p[1])).collect())
            .unwrap_or_default();
        Series::new(name, points)
    };
    let name = format!("mailbox-{}.svg", case.id.replace('@', "-"));
    let chart = LineChart::new(
        format!("{}: mailbox depth, first seed", case.id),
        Axis::linear("seconds since the start of the warm-up", Unit::Number),
        Axis::from_zero("messages accepted, not yet delivered", Unit::Number),
    )
    .with([
        series("measured", &case.measured),
        series("predicted", &case.predicted),
    ])
    .with_marker(WARM_UP, case.workload.warmup_s);
    write_plot(&chart, &dir.join(&name))?;
    Ok(name)
}

/// `summary.md`.
fn summary(doc: &Document, files: &[String]) -> String {
    let p = &doc.provenance;
    let mut md = String::from("# Validation: the model against the real relay\n\n");
    if p.short {
        md.push_str(
            "**Short mode (CI): one level, one seed, a few seconds. This shows the command \
             works; it is not a validation.**\n\n",
        );
    }
    let m = &p.measured;
    let start = m.load_average.clone().unwrap_or_else(|| "unknown".into());
    let load: f64 = start
        .split_whitespace()
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or(0.0);
    // VAL-7: the sampled window when there is one; the load average only for older reports.
    let busy = p
        .busy_cores_start
        .map_or(load > BUSY_LOAD, |cores| cores > BUSY_CORES);
    let sampled = p.busy_cores_start.map_or_else(String::new, |c| {
        format!("{c:.2} cores busy over 1 s at the start, ")
    });
    if busy || !m.clean || m.toolchain.profile != "release" {
        let _ = writeln!(
            md,
            "**Measured on a busy machine, an uncommitted tree or a debug build ({sampled}load \
             average {start} at the start, {} at the end; tree clean: {}; {} build): these \
             figures are not the validation of record.**\n",
            p.load_average_end, m.clean, m.toolchain.profile
        );
    }
    let _ = writeln!(
        md,
        "Generated by {} (simulator/MODEL.md, VAL-1 to VAL-12); {:.0} s of wall time.\n",
        m.summary(),
        p.wall_s
    );
    match (&doc.costs.measured, &doc.costs.synthetic) {
        (Some(c), _) => {
            let _ = writeln!(md, "Costs measured by {}.\n", c.summary());
        }
        (None, Some(why)) => {
            let _ = writeln!(md, "Costs: synthetic ({why}).\n");
        }
        (None, None) => {}
    }
    md.push_str("| scenario | peak, acked copies/s | how |\n| --- | ---: | --- |\n");
    for peak in &doc.peaks {
        let _ = writeln!(
            md,
            "| {} | {:.0} | {} |",
            peak.scenario, peak.acked_per_s, peak.how
        );
    }
    let _ = writeln!(
        md,
        "\nEach figure: mean over seeds ± 95 % confidence half-width; relative error = \
         (predicted − measured) / measured of the means; ✓ within {:.0} %, ✗ outside.\n",
        TOLERANCE * 100.0
    );
    md.push_str("## Headline: throughput and p99\n\n");
    md.push_str(
        "| case | seeds | acked measured | acked predicted | error | p99 measured, ms | p99 \
         predicted, ms | error |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for case in &doc.cases {
        let get = |m: &str| case.comparisons.iter().find(|c| c.metric == m);
        let (Some(a), Some(l)) = (get("acked_per_s"), get("deliver_p99_ms")) else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            case.id,
            case.measured.len(),
            est(&a.measured),
            est(&a.predicted),
            err(a.relative_error, a.within_tolerance),
            est(&l.measured),
            est(&l.predicted),
            err(l.relative_error, l.within_tolerance),
        );
    }
    cases(&mut md, doc);
    md.push_str("\n## Plots\n\n");
    for file in files.iter().filter(|f| {
        Path::new(f)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
            && !f.starts_with("mailbox-")
    }) {
        let _ = writeln!(md, "![{file}]({file})");
    }
    md
}

/// One section per case: the workload, the VAL-9 to VAL-12 terms and every figure.
fn cases(md: &mut String, doc: &Document) {
    for case in &doc.cases {
        let w = &case.workload;
        let _ = writeln!(
            md,
            "\n## {}\n\n{} clients ({} senders, {} offline), {:.0} copies/s offered ({:.0} % \
             of the peak), {} recipient(s) per message, {:.0} B per frame, {:.0} s warm-up + \
             {:.0} s measured, relay on {} cores.\n",
            case.id,
            w.clients,
            w.senders,
            w.offline_clients,
            w.rate,
            case.level * 100.0,
            w.group_size,
            w.wire_size,
            w.warmup_s,
            w.duration_s,
            w.relay_cores
        );
        let _ = writeln!(
            md,
            "VAL-9 to VAL-12 terms: {:.0} ns per frame read or written, load generator {:.2} \
             cores (last seed), {:.0} ns per wake-up of an idle core, loopback round trip \
             {:.0} µs measured, relay idle floor {:.3} cores (last seed).\n",
            w.frame_io_ns,
            w.background_cores,
            w.wakeup_ns,
            w.loopback_rtt_ns / 1_000.0,
            w.idle_cores
        );
        md.push_str(
            "| figure | measured | predicted | relative error | error without VAL-9 to VAL-12 \
             terms |\n\
             | --- | ---: | ---: | ---: | ---: |\n",
        );
        for cmp in &case.comparisons {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                cmp.metric,
                est(&cmp.measured),
                est(&cmp.predicted),
                err(cmp.relative_error, cmp.within_tolerance),
                cmp.baseline_relative_error
                    .map_or_else(|| "n/a".into(), |r| format!("{:+.1} %", r * 100.0)),
            );
        }
        let _ = writeln!(
            md,
            "\n![mailbox depth](mailbox-{}.svg)",
            case.id.replace('@', "-")
        );
    }
}

fn est(e: &Estimate) -> String {
    let digits = if e.mean.abs() >= 100.0 { 0 } else { 2 };
    if e.ci95 > 0.0 {
        format!("{:.*} ± {:.*}", digits, e.mean, digits, e.ci95)
    } else {
        format!("{:.*}", digits, e.mean)
    }
}

fn err(relative: Option<f64>, within: bool) -> String {
    relative.map_or_else(
        || "n/a (0 measured)".into(),
        |r| format!("{:+.1} % {}", r * 100.0, if within { "✓" } else { "✗" }),
    )
}
