//! The tokio side shared by the relay server and the relay client (spec/04-transport.md,
//! spec/05-relay.md): the clock and randomness the sans-IO machines take as inputs (CONV-9),
//! and the frame tracer (RELAY-24). Neither side imports the other; both import this.

pub mod clock;
pub mod trace;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;

/// A ChaCha20 generator seeded from the operating system, one per connection or key.
pub(crate) fn os_rng() -> ChaCha20Rng {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system provides randomness");
    ChaCha20Rng::from_seed(seed)
}
