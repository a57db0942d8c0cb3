//! Set-up shared by every bench target: criterion's configuration and the layer marker that
//! tells `saltrelay bench report` which layer a result belongs to.
//!
//! A new layer is one new file `benches/<layer>.rs` with a `[[bench]]` entry, whose `main`
//! calls [`criterion_for_layer`] and then its bench functions (see `primitives.rs`).

#![allow(
    dead_code,
    reason = "each bench target includes this module and uses a different part of it"
)]

pub(crate) mod clock;
pub(crate) mod sodium;

use std::path::Path;
use std::time::Duration;

use clock::Clock;
use criterion::Criterion;
use saltrelay_bench::layer::{LayerMarker, criterion_home};

/// Warm-up per benchmark in the full profile; `--warm-up-time` on the command line wins.
const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per benchmark in the full profile; `--measurement-time` wins.
const MEASUREMENT: Duration = Duration::from_secs(3);

/// A criterion reading the clock chosen by `SALTRELAY_BENCH_CLOCK` (thread CPU time unless
/// `wall`), writing below `<criterion home>/<layer>` with the layer's marker written there
/// first, configured from the command line (`--test`, `--warm-up-time`, filters, …).
pub(crate) fn criterion_for_layer(marker: &LayerMarker) -> Criterion<Clock> {
    criterion_with_clock(marker, Clock::from_env())
}

/// As [`criterion_for_layer`] with a fixed clock (wall time for benches that wait on I/O).
pub(crate) fn criterion_with_clock(marker: &LayerMarker, clock: Clock) -> Criterion<Clock> {
    let dir = criterion_home(Path::new(".")).join(&marker.name);
    let mut marker = marker.clone();
    clock.describe().clone_into(&mut marker.clock);
    marker
        .write(&dir)
        .expect("the criterion directory is writable (it is under the target directory)");
    Criterion::default()
        .with_measurement(clock)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .output_directory(&dir)
        .configure_from_args()
}

/// The message sizes of the box benches: 64 bytes to 1 mebibyte (issue 2, item 10).
pub(crate) const BOX_SIZES: [usize; 4] = [64, 1024, 16 * 1024, 1024 * 1024];
/// The frame sizes of the transport: 100 bytes to 8 kibibytes (issue 5).
pub(crate) const FRAME_SIZES: [usize; 3] = [100, 1024, 8 * 1024];
/// Input sizes of the BLAKE2b MAC benches.
pub(crate) const MAC_SIZES: [usize; 3] = [64, 1024, 16 * 1024];

/// `len` bytes of a fixed pattern: message contents do not change the cost of these ciphers.
pub(crate) fn message(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).expect("below 251"))
        .collect()
}
