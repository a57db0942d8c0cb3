//! NaCl's `crypto_box`: the shared box key (PRIM-12) and sealing under it (PRIM-13).
//!
//! Composed from x25519-dalek, HSalsa20 and the secretbox on purpose: the `crypto_box` crate
//! 0.9.1 reduces the secret scalar and disagrees with libsodium on twist points.

use salsa20::cipher::consts::U10;
use zeroize::{Zeroize, Zeroizing};

use super::{CryptoError, PublicKey, SecretKey, symmetric_key};

symmetric_key!(
    /// The box key `HSalsa20(X25519(sk, pk), 0^16)`, libsodium's `crypto_box_beforenm` (PRIM-12).
    /// Derive it once per peer and reuse it: this is the "cached shared key".
    BoxKey,
    secretbox
);

impl BoxKey {
    /// Derives the box key between our `secret` and the peer's `public` key (PRIM-12).
    ///
    /// # Errors
    /// [`CryptoError::NonContributory`] for a small-order peer key (PRIM-5).
    pub fn derive(secret: &SecretKey, public: &PublicKey) -> Result<Self, CryptoError> {
        let shared = secret.diffie_hellman(public)?;
        // PRIM-12: HSalsa20 with a zero 16-byte input.
        Ok(Self(*hsalsa20(shared.expose_secret(), &[0u8; 16])))
    }
}

/// HSalsa20 (20 rounds) of a 32-byte key and a 16-byte input (PRIM-12). The output is key
/// material and is wiped on drop.
#[must_use]
pub fn hsalsa20(key: &[u8; 32], input: &[u8; 16]) -> Zeroizing<[u8; 32]> {
    // U10: ten double rounds.
    let mut out = salsa20::hsalsa::<U10>(key.into(), input.into());
    let result = Zeroizing::new(out.into());
    out.zeroize();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Nonce;

    #[test]
    fn both_directions_derive_the_same_key() {
        let a = SecretKey::from_bytes([3; 32]);
        let b = SecretKey::from_bytes([4; 32]);
        let ab = BoxKey::derive(&a, &b.public_key()).unwrap();
        let ba = BoxKey::derive(&b, &a.public_key()).unwrap();
        assert_eq!(ab.expose_secret(), ba.expose_secret());
        let nonce = Nonce::from_bytes([5; 24]);
        assert_eq!(ba.open(&nonce, &ab.seal(&nonce, b"hi")).unwrap(), b"hi");
    }
}
