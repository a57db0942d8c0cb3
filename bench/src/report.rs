//! Writes `reports/bench/`: the README, one throughput and one cost plot per layer, and
//! `costs.json`; and, for `saltrelay bench variants`, `build-variants.{md,json}`.

use std::path::{Path, PathBuf};

use saltrelay_measure::Provenance;
use saltrelay_measure::plot::{Axis, Bar, BarChart, BarRow, Color, LineChart, Series, Unit, line};

use crate::ReportError;
use crate::costs;
use crate::format::{self, to_f64};
use crate::load::{Results, UNLAYERED};
use crate::markdown::{self, Inputs, Plots};
use crate::provenance;
use crate::variants::{Summary, VARIANTS_SCHEMA, VariantRun};

/// The report's main file.
pub const README: &str = "README.md";
/// The simulator's cost file.
pub const COSTS_JSON: &str = "costs.json";
/// The build-variant summary the README quotes.
pub const VARIANTS_JSON: &str = "build-variants.json";

/// What [`write_report`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// Why `costs.json` was left as it was (costs no measurement gave, or layers that do not
    /// share one clean commit); empty when it was written.
    pub costs_not_written: Vec<String>,
    /// The reasons the report is mixed (MEAS-3), printed at its top; empty for a report of one
    /// clean commit.
    pub mixed: Vec<String>,
}

/// Writes the report for `results` into `out_dir`; `report` is the provenance of this
/// report-writing command, the layers carry that of their measurement. Layers measured at
/// different commits or on a dirty tree are refused unless `allow_mixed` (MEAS-3).
///
/// # Errors
/// [`ReportError::Mixed`] for refused layers; otherwise [`ReportError`] naming the file that
/// could not be written or read.
pub fn write_report(
    results: &Results,
    report: &Provenance,
    allow_mixed: bool,
    out_dir: &Path,
) -> Result<Written, ReportError> {
    let mixed = provenance::check(results, allow_mixed)?;
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::io(out_dir, e))?;
    remove_old_plots(out_dir)?;
    let mut files = Vec::new();
    let mut plots = Plots::default();
    for (marker, _) in results.by_layer() {
        let layer = marker.map_or(UNLAYERED, |m| m.name.as_str());
        let title = marker.map_or(UNLAYERED, |m| m.title.as_str());
        let panels = throughput_panels(results, layer);
        if !panels.is_empty() {
            let name = format!("throughput-{layer}.svg");
            let path = out_dir.join(&name);
            let svg = line::grid(&panels, 2, PANEL);
            std::fs::write(&path, svg).map_err(|e| ReportError::io(&path, e))?;
            files.push(path);
            plots.throughput.push((layer.to_owned(), name));
        }
        let rows = bar_rows(results, layer);
        if !rows.is_empty() {
            let name = format!("costs-{layer}.svg");
            let path = out_dir.join(&name);
            cost_chart(&format!("{title}: median time per operation"), rows)
                .write(&path, 900.0)
                .map_err(|e| ReportError::io(&path, e))?;
            files.push(path);
            plots.costs.push((layer.to_owned(), name));
        }
    }
    let (cost_file, costs_not_written) = match provenance::common(results) {
        None => (
            None,
            vec!["the layers do not share one clean commit (a cost file names one)".to_owned()],
        ),
        Some(measured) => match costs::derive(results, measured) {
            Ok(file) => (Some(file), Vec::new()),
            Err(missing) => (
                None,
                missing
                    .iter()
                    .map(|m| format!("no measurement for {m}"))
                    .collect(),
            ),
        },
    };
    if let Some(file) = &cost_file {
        files.push(write_json(&out_dir.join(COSTS_JSON), file)?);
    }
    let variants = read_variants(&out_dir.join(VARIANTS_JSON))?;
    let readme = markdown::render(&Inputs {
        results,
        report,
        mixed: &mixed,
        plots: &plots,
        costs: cost_file.as_ref(),
        variants: variants.as_ref(),
    });
    let path = out_dir.join(README);
    std::fs::write(&path, readme).map_err(|e| ReportError::io(&path, e))?;
    files.push(path);
    Ok(Written {
        files,
        costs_not_written,
        mixed,
    })
}

/// Writes `build-variants.md` and `build-variants.json` for `runs` (the default first);
/// `measured` was recorded when the variant runs started, `commands` are the runs' commands.
///
/// # Errors
/// [`ReportError`] naming the file that could not be written.
pub fn write_variants(
    runs: &[VariantRun],
    measured: &Provenance,
    commands: &[String],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::io(out_dir, e))?;
    let summary = Summary::of(runs, measured);
    let json = write_json(&out_dir.join(VARIANTS_JSON), &summary)?;
    let path = out_dir.join(markdown::VARIANTS_MD);
    std::fs::write(
        &path,
        markdown::render_variants(&summary, measured, commands),
    )
    .map_err(|e| ReportError::io(&path, e))?;
    Ok(vec![json, path])
}

fn read_variants(path: &Path) -> Result<Option<Summary>, ReportError> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    // A summary of an older schema predates provenance (MEAS-1): the README says the
    // variants are not measured rather than quote figures nothing dates.
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ReportError::json(path, e))?;
    if value.get("schema").and_then(serde_json::Value::as_str) != Some(VARIANTS_SCHEMA) {
        return Ok(None);
    }
    let summary: Summary = serde_json::from_value(value).map_err(|e| ReportError::json(path, e))?;
    if summary.schema != VARIANTS_SCHEMA {
        return Err(ReportError::Schema {
            path: path.to_owned(),
            found: summary.schema,
        });
    }
    Ok(Some(summary))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<PathBuf, ReportError> {
    let mut json = serde_json::to_string_pretty(value).map_err(|e| ReportError::json(path, e))?;
    json.push('\n');
    std::fs::write(path, json).map_err(|e| ReportError::io(path, e))?;
    Ok(path.to_owned())
}

/// Plots of an earlier run whose layer may be gone: the README must not link stale files.
fn remove_old_plots(dir: &Path) -> Result<(), ReportError> {
    for entry in std::fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))? {
        let path = entry.map_err(|e| ReportError::io(dir, e))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let ours = name.starts_with("throughput-") || name.starts_with("costs-");
        if ours && path.extension().is_some_and(|e| e == "svg") {
            std::fs::remove_file(&path).map_err(|e| ReportError::io(&path, e))?;
        }
    }
    Ok(())
}

/// Colour of our implementation in every plot.
const OURS: Color = Color::BLUE;
/// Colour of the baseline (libsodium) in every plot.
const BASELINE: Color = Color::ORANGE;
/// Size of one throughput panel, px; two panels to a row.
const PANEL: (f64, f64) = (520.0, 340.0);
const MIB: f64 = 1024.0 * 1024.0;

/// One panel per `area/operation` of the layer with byte throughput at two sizes or more:
/// our line, then one per baseline that measured it; MiB/s against message size.
fn throughput_panels(results: &Results, layer: &str) -> Vec<LineChart> {
    let mut series: Vec<String> = Vec::new();
    for m in results.measurements.iter().filter(|m| m.layer == layer) {
        if m.id.baseline.is_none() && !series.contains(&m.id.series()) {
            series.push(m.id.series());
        }
    }
    let line = |name: &str, baseline: Option<&str>, color| {
        let mut points: Vec<(f64, f64)> = results
            .measurements
            .iter()
            .filter(|m| m.id.series() == name && m.id.baseline.as_deref() == baseline)
            .filter_map(|m| {
                let bytes = to_f64(m.throughput?.bytes()?);
                Some((bytes, bytes * 1e9 / m.median.point / MIB))
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        (points.len() >= 2).then(|| {
            Series::new(baseline.unwrap_or("saltrelay"), points)
                .color(color)
                .dots()
        })
    };
    series
        .iter()
        .filter_map(|name| {
            let ours = line(name, None, OURS)?;
            let baselines = crate::id::BASELINES
                .iter()
                .filter_map(|b| line(name, Some(b), BASELINE));
            Some(
                LineChart::new(
                    format!("{name}: throughput"),
                    Axis::log2_bytes("message size (log scale)"),
                    Axis::from_zero("MiB/s", Unit::Number),
                )
                .with(std::iter::once(ours).chain(baselines)),
            )
        })
        .collect()
}

/// Horizontal cost bars on a log axis: one row per id, ours above the baseline, each with
/// its median printed; a legend only when there is a baseline to tell apart.
fn cost_chart(title: &str, rows: Vec<BarRow>) -> BarChart {
    let compared = rows.iter().any(|r| r.bars.len() > 1);
    BarChart {
        title: title.to_owned(),
        axis: Axis::log10("median time per operation (log scale)", Unit::Nanoseconds),
        rows,
        legend: if compared {
            vec![
                ("saltrelay".to_owned(), OURS),
                ("libsodium".to_owned(), BASELINE),
            ]
        } else {
            Vec::new()
        },
    }
}

fn bar_rows(results: &Results, layer: &str) -> Vec<BarRow> {
    let bar = |ns: f64, color| Bar {
        value: ns,
        color,
        text: format::duration(ns),
    };
    results
        .measurements
        .iter()
        .filter(|m| m.layer == layer && m.id.baseline.is_none())
        .map(|m| BarRow {
            label: m.id.key(),
            bars: std::iter::once(bar(m.median.point, OURS))
                .chain(
                    results
                        .baseline_of(&m.id)
                        .map(|b| bar(b.median.point, BASELINE)),
                )
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
