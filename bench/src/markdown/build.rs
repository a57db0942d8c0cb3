//! The build-configuration text: `build-variants.md` (written by `saltrelay bench variants`)
//! and the section of the main README that quotes it.

use crate::format;
use crate::variants::{Summary, VARIANTS};
use saltrelay_measure::Provenance;

/// File name of the variant report beside the README.
pub const VARIANTS_MD: &str = "build-variants.md";

/// The README's section: the variant summary and the decision, or how to measure them.
pub(super) fn build_configuration(out: &mut String, summary: Option<&Summary>) {
    out.push_str("## Build configuration\n\n");
    let Some(summary) = summary else {
        out.push_str(
            "Build variants have not been measured in this checkout: `saltrelay bench \
             variants` builds the primitive benches with each candidate `RUSTFLAGS` and writes \
             `build-variants.md`.\n\n",
        );
        return;
    };
    put!(
        out,
        "Measured by `saltrelay bench variants` at commit `{}` on {} ({}); every number in \
         [{VARIANTS_MD}]({VARIANTS_MD}).\n\n",
        summary.provenance.commit_label(),
        summary.provenance.date,
        summary.provenance.machine.summary()
    );
    summary_table(out, summary);
    decision(out, summary);
}

fn summary_table(out: &mut String, summary: &Summary) {
    out.push_str(
        "| variant | RUSTFLAGS | portable | saltrelay, geometric mean vs default | libsodium \
         (control), vs default | what it changes |\n| --- | --- | --- | ---: | ---: | --- |\n",
    );
    for v in &summary.variants {
        let what = VARIANTS
            .iter()
            .find(|k| k.name == v.name)
            .map_or("", |k| k.what);
        let flags = if v.rustflags.is_empty() {
            "(none)".to_owned()
        } else {
            format!("`{}`", v.rustflags)
        };
        put!(
            out,
            "| {} | {flags} | {} | {} | {} | {what} |\n",
            v.name,
            if v.portable { "yes" } else { "no" },
            v.ours_vs_default
                .map_or_else(|| "—".to_owned(), format::ratio),
            v.control_vs_default
                .map_or_else(|| "—".to_owned(), format::ratio),
        );
    }
    out.push('\n');
}

fn decision(out: &mut String, summary: &Summary) {
    out.push_str(
        "**Decision rule.** The default build must run on every x86-64 CPU, so only a \
         portable variant can become the default, and only when it is faster overall; the \
         control column must stay near 1.00 for a run to count (it measures the unchanged \
         system libsodium, so any drift there is noise from the shared machine).\n\n",
    );
    let Some(best) = summary.best_portable() else {
        return;
    };
    let ratio = best.ours_vs_default.unwrap_or(1.0);
    if best.name == "default" || ratio >= 0.98 {
        out.push_str(
            "**Outcome of this run:** no portable variant beats the default by 2 % or more: \
             the default build stays as it is, without flags.\n\n",
        );
    } else {
        put!(
            out,
            "**Outcome of this run:** `{}` is portable and {:.0} % faster than the default \
             (geometric mean {}). It can be made the workspace default with `.cargo/config.toml` \
             (`[build] rustflags = [{}]`); a `RUSTFLAGS` set by the user replaces it.\n\n",
            best.name,
            (1.0 - ratio) * 100.0,
            format::ratio(ratio),
            best.rustflags
                .split_whitespace()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let others: Vec<String> = summary
        .variants
        .iter()
        .filter(|v| !v.portable)
        .filter_map(|v| {
            Some(format!(
                "`{}` {}",
                v.name,
                format::ratio(v.ours_vs_default?)
            ))
        })
        .collect();
    if !others.is_empty() {
        put!(
            out,
            "Non-portable variants ({}) are for people building for their own machine, with \
             `RUSTFLAGS` on their command line; they are never the default.\n\n",
            others.join(", ")
        );
    }
}

/// `build-variants.md`: provenance, summary, decision and every id's median per variant.
#[must_use]
pub fn render_variants(summary: &Summary, measured: &Provenance, commands: &[String]) -> String {
    let mut out = String::from("# Build variants\n\n");
    out.push_str(
        "Written by `saltrelay bench variants`: do not edit by hand. The primitive benches, \
         built and run once per variant (each in its own target directory), by:\n\n```sh\n",
    );
    for command in commands {
        out.push_str(command);
        out.push('\n');
    }
    put!(
        out,
        "```\n\n| | |\n| --- | --- |\n| commit | `{}` |\n| date (UTC) | {} |\n| machine | {} |\n\
         | CPU flags that matter here | {} |\n| rustc | {} |\n| load average | {} |\n\n",
        measured.commit_label(),
        measured.date,
        measured.machine.summary(),
        measured.machine.simd_flags().join(" "),
        measured.toolchain.rustc,
        measured.load_average.as_deref().unwrap_or("unknown")
    );
    out.push_str("## Summary\n\n");
    summary_table(&mut out, summary);
    decision(&mut out, summary);
    out.push_str("## Every id\n\nMedian per variant, and its ratio to the default.\n\n| id |");
    for v in &summary.variants {
        put!(out, " {} |", v.name);
    }
    out.push_str("\n| --- |");
    for _ in &summary.variants {
        out.push_str(" ---: |");
    }
    out.push('\n');
    for row in &summary.medians {
        put!(out, "| `{}` |", row.id);
        let reference = row.medians.first().copied().flatten();
        for (k, median) in row.medians.iter().enumerate() {
            let cell = match (median, reference) {
                (Some(m), Some(r)) if k > 0 => {
                    format!("{} ({})", format::duration(*m), format::ratio(m / r))
                }
                (Some(m), _) => format::duration(*m),
                (None, _) => "—".to_owned(),
            };
            put!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
    out
}
