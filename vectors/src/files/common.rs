//! Small helpers the file modules share.

use rand_core::Rng;
use saltrelay_protocol::crypto::{CryptoError, SecretKey};
use serde_json::Value;

use crate::check::Computed;

/// Bytes as a lowercase-hex JSON string (CONV-1).
pub(crate) fn hex_value(bytes: impl AsRef<[u8]>) -> Value {
    hex::encode(bytes.as_ref()).into()
}

/// Turns our result into what a check compares.
pub(crate) fn outcome<T>(
    result: Result<T, CryptoError>,
    outputs: impl FnOnce(T) -> Vec<(&'static str, Value)>,
) -> Computed {
    match result {
        Ok(value) => Computed::Accepted(outputs(value)),
        Err(error) => Computed::Rejected(error.code()),
    }
}

/// A second secret key with the same bytes as `key`. Secret keys have no `Clone` outside the
/// protocol crate's tests (STYLE.md, Secrets): a generator or check that hands the same key to
/// two machines rebuilds it from its bytes, visibly, here.
pub(crate) fn rebuilt_secret(key: &SecretKey) -> SecretKey {
    SecretKey::from_bytes(*key.expose_secret())
}

/// `len` bytes from `rng`.
pub(crate) fn random_bytes(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// `bytes` with bit `bit` of byte `index` flipped.
pub(crate) fn flip_bit(bytes: &[u8], index: usize, bit: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 1 << bit;
    out
}
