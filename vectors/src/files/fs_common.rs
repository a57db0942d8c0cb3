//! What the `fs_*` files share: the one place they draw randomness, and the identities.

use saltrelay_protocol::crypto::SecretKey;
use saltrelay_protocol::identity::Identity;

use super::common::random_bytes;
use crate::case::Malformed;
use crate::rng::{ReplayRng, seeded_rng};

/// The initiator of every `fs_*` case (a valid identity, ID-2).
pub(super) const ALICE: &str = "ALICE001";
/// The responder.
pub(super) const BOB: &str = "BOBBY002";

/// `len` random bytes for a file's `seed` and a purpose `stream`: every random input of the
/// `fs_*` files comes from here and is written out (CONV-9).
pub(super) fn random(seed: u64, stream: u64, len: usize) -> Vec<u8> {
    random_bytes(&mut seeded_rng(seed ^ stream.rotate_left(32)), len)
}

/// An RNG that replays recorded bytes (a case's `aliceRandom`, `bobRandom`).
pub(super) fn replay(bytes: &[u8]) -> ReplayRng {
    ReplayRng::new(bytes)
}

pub(crate) fn identity(name: &str, field: &str) -> Result<Identity, Malformed> {
    name.parse()
        .map_err(|_| Malformed::new(field, "not an identity"))
}

pub(super) fn secret(bytes: &[u8], field: &str) -> Result<SecretKey, Malformed> {
    SecretKey::from_slice(bytes).map_err(|_| Malformed::new(field, "not 32 bytes"))
}
