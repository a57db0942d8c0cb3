//! Test support (feature `test-support`): reproducible randomness for tests, vectors and
//! benchmarks. Never used by production paths.

use core::convert::Infallible;

use rand_chacha::ChaCha20Rng;
use rand_core::{SeedableRng, TryCryptoRng, TryRng};

/// A ChaCha20 RNG seeded from a `u64` (CONV-9): the same seed gives the same bytes everywhere.
#[must_use]
pub fn seeded_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An "RNG" that hands out a recorded byte string, so a vector's random inputs can be fed back
/// exactly. Once the bytes run out it yields zeros and remembers that it did.
#[derive(Debug, Clone)]
pub struct ReplayRng {
    bytes: Vec<u8>,
    position: usize,
    overrun: bool,
}

impl ReplayRng {
    /// Replays `bytes` from the start.
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            position: 0,
            overrun: false,
        }
    }

    /// Bytes handed out so far.
    #[must_use]
    pub fn consumed(&self) -> usize {
        self.position
    }

    /// Whether a caller asked for more bytes than were recorded.
    #[must_use]
    pub fn overrun(&self) -> bool {
        self.overrun
    }
}

impl TryRng for ReplayRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for slot in dst {
            if let Some(&byte) = self.bytes.get(self.position) {
                *slot = byte;
                self.position = self.position.saturating_add(1);
            } else {
                *slot = 0;
                self.overrun = true;
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}

/// An RNG that records every byte it hands out, so a generator can write down exactly what a
/// function consumed (CONV-9).
#[derive(Debug)]
pub struct RecordingRng<R> {
    inner: R,
    recorded: Vec<u8>,
}

impl<R> RecordingRng<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            recorded: Vec::new(),
        }
    }

    /// Takes the bytes handed out since the last call.
    pub fn take_recorded(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.recorded)
    }
}

impl<R: TryRng<Error = Infallible>> TryRng for RecordingRng<R> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.try_fill_bytes(dst)?;
        self.recorded.extend_from_slice(dst);
        Ok(())
    }
}

impl<R: TryCryptoRng<Error = Infallible>> TryCryptoRng for RecordingRng<R> {}

pub mod pair;

pub use pair::{Binding, ClientEvent, Directory, LinkConfig, Pair, RelayEvent};
