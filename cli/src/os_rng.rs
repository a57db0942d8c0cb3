//! The one place the CLI draws randomness from the operating system.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A ChaCha20 CSPRNG seeded with 32 bytes from the operating system.
pub(crate) fn os_rng() -> anyhow::Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
    Ok(ChaCha20Rng::from_seed(seed))
}
