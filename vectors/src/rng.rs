//! The randomness of vector generation and verification (CONV-9): a seeded RNG that makes a
//! generator reproducible, a recorder that writes down what a function drew, and a replayer
//! that feeds those recorded bytes back to the same function during verification.
//!
//! They live here, not in `saltrelay-protocol`'s `test-support` feature, because `saltrelay
//! vectors verify` ships in the release binary: the binary may replay recorded bytes to check a
//! vector, but it must not link the protocol crate's test-only powers (ISSUE-12 item 4; CI
//! checks `cargo tree -e features -p saltrelay-cli`). See the crate docs for the pattern a new
//! generator follows.

use core::convert::Infallible;

use rand_chacha::ChaCha20Rng;
use rand_core::{SeedableRng, TryCryptoRng, TryRng};

/// A ChaCha20 RNG seeded from a `u64` (CONV-9): the same seed gives the same bytes everywhere.
/// Each generator has its own `SEED` constant and draws every random input from this.
#[must_use]
pub fn seeded_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An "RNG" that hands out a recorded byte string, so a vector's random inputs (written out in
/// the vector as hex) can be fed back exactly. Once the bytes run out it yields zeros and
/// remembers that it did, so a check can report that the recorded bytes were too few.
///
/// It implements `CryptoRng` only because the functions under test demand one; it is
/// deterministic by design and must never stand in for a real RNG outside a vector check.
#[derive(Debug)]
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

    /// Whether the caller drew exactly the recorded bytes: all of them and no more.
    #[must_use]
    pub fn used_exactly(&self) -> bool {
        self.position == self.bytes.len() && !self.overrun
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
/// function consumed (CONV-9) and the check can replay it with [`ReplayRng`].
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

#[cfg(test)]
mod tests {
    use rand_core::Rng as _;

    use super::*;

    #[test]
    fn replay_gives_back_what_was_recorded_then_flags_overrun() {
        let mut recording = RecordingRng::new(seeded_rng(7));
        let mut drawn = [0u8; 12];
        recording.fill_bytes(&mut drawn);
        let recorded = recording.take_recorded();
        assert_eq!(recorded, drawn);

        let mut replay = ReplayRng::new(&recorded);
        let mut again = [0u8; 12];
        replay.fill_bytes(&mut again);
        assert_eq!(again, drawn);
        assert!(replay.used_exactly());

        assert_eq!(replay.next_u32(), 0);
        assert!(replay.overrun());
        assert!(!replay.used_exactly());
    }

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(seeded_rng(3).next_u64(), seeded_rng(3).next_u64());
        assert_ne!(seeded_rng(3).next_u64(), seeded_rng(4).next_u64());
    }
}
