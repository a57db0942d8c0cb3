//! The benchmark report generator behind `saltrelay bench`; the criterion benches live in
//! `benches/` (one file per layer). [`store`] is `saltrelay bench store`: the relay store's
//! flush rate, group commit and per-operation costs, written to `reports/store/` (MEAS-11).
//!
//! # Flow
//! 1. `cargo bench -p saltrelay-bench` runs every bench target. Each target writes a
//!    [`layer::LayerMarker`] into `<criterion home>/<layer>/` and points criterion there, so
//!    every result knows its layer.
//! 2. [`load::load`] reads every `new/benchmark.json` + `new/estimates.json` below the
//!    criterion home.
//! 3. [`report::write_report`] writes `reports/bench/`: the README (tables with median,
//!    confidence interval, throughput, ratio to libsodium; machine, toolchain, commit, date,
//!    commands), SVG plots per layer, and [`costs`] (`costs.json`, the simulator's input).
//!
//! # Ids
//! `area/operation/parameter` (`box/seal/1024`); the same id behind a baseline name
//! (`libsodium/box/seal/1024`) is the baseline's measurement of the same operation, and every
//! such pair gets a ratio. Numeric parameters with a byte throughput become throughput plots.
//!
//! # Adding a layer
//! 1. Write `benches/<layer>.rs` starting with `mod support;`; add to `bench/Cargo.toml`
//!    `[[bench]] name = "<layer>" harness = false` (and the layer's crate as a dev-dependency).
//! 2. Its `main` builds a [`layer::LayerMarker`] (`name`, `title`, `order`: E2E 20, transport
//!    30, relay 40, simulator 50; a one-sentence `description`), calls
//!    `support::criterion_for_layer(&marker)` (thread CPU time) or
//!    `support::criterion_with_clock(&marker, Clock::Wall)` (anything that waits on I/O), runs
//!    its groups and ends with `c.final_summary()`.
//! 3. Ids `area/operation/parameter`, with `Throughput::Bytes` where a size is the parameter
//!    (`Throughput::Elements` for counts). Nothing else changes: the report finds the layer,
//!    tables it, plots it.
//!
//! Ids this crate already gives meaning to:
//! - `e2e/seal/text_1024`: checked against `libsodium/box/seal/1024` (issue 5's target,
//!   [`markdown::TARGETS`]).
//! - `transport/frame_seal/<bytes>`, `transport/frame_open/<bytes>`: replace the secretbox
//!   estimate of `frame_seal_ns` / `frame_open_ns` in `costs.json`.
//! - `transport/handshake_relay[/…]`: the relay's side of a handshake alone; replaces the
//!   estimate of `relay_handshake_ns` ([`costs::HANDSHAKE_RECIPE`]).
//! - `store/commit/<records>` (with `Throughput::Elements`): replaces the file-system estimate
//!   of `store_commit_ns`.

pub mod costs;
mod error;
pub mod format;
pub mod id;
pub mod layer;
pub mod load;
pub mod markdown;
pub mod provenance;
pub mod report;
pub mod store;
pub mod variants;

#[cfg(test)]
mod testing;

pub use error::ReportError;

/// Criterion command-line arguments of a measurement profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The committed report: the benches' own settings (1 s warm-up, 3 s measurement, 100
    /// samples per benchmark).
    Full,
    /// A look in about a minute and a half: 0.3 s warm-up, 1 s measurement, 30 samples.
    Quick,
    /// CI: every benchmark measured briefly (10 samples), to prove the pipeline end to end.
    Smoke,
}

impl Profile {
    /// The arguments passed to every bench binary after `--`.
    #[must_use]
    pub fn criterion_args(self) -> &'static [&'static str] {
        match self {
            Self::Full => &[],
            Self::Quick => &[
                "--warm-up-time",
                "0.3",
                "--measurement-time",
                "1",
                "--sample-size",
                "30",
                "--nresamples",
                "20000",
            ],
            Self::Smoke => &[
                "--warm-up-time",
                "0.05",
                "--measurement-time",
                "0.1",
                "--sample-size",
                "10",
                "--nresamples",
                "1000",
            ],
        }
    }
}
