//! Test support (feature `test-support`): reproducible randomness and the in-memory [`Pair`]
//! for this crate's tests, the benchmarks and the fuzz targets. Never used by production paths,
//! and never enabled by a crate the `saltrelay` binary links (CI checks it): the vector
//! generators keep their own RNGs in `saltrelay-vectors` (`rng.rs`).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A ChaCha20 RNG seeded from a `u64` (CONV-9): the same seed gives the same bytes everywhere.
#[must_use]
pub fn seeded_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub mod pair;

pub use pair::{Binding, ClientEvent, Directory, LinkConfig, Pair, RelayEvent};
