//! X25519 key pairs and Diffie-Hellman with the non-contributory check (PRIM-2 to PRIM-5).

use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::ZeroizeOnDrop;

use super::CryptoError;

/// Length of X25519 secret keys, public keys and shared secrets.
pub const KEY_LEN: usize = 32;

/// An X25519 public key: the u-coordinate, 32 bytes little-endian (PRIM-1).
///
/// Any 32 bytes are accepted here, as RFC 7748 does; small-order keys are caught where they
/// would matter, when a shared secret comes out all zero (PRIM-5).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// Wraps 32 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Takes a public key from a byte slice (PRIM-1).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] unless `bytes` has 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        key_array(bytes).map(Self)
    }

    /// The key bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Lowercase hex of the whole key.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex_string(&self.0)
    }

    /// Lowercase hex of the first 4 bytes: enough to correlate keys in logs and `Debug` output.
    #[must_use]
    pub fn short_hex(&self) -> String {
        hex_string(self.0.get(..4).unwrap_or(&self.0))
    }

    /// Compares two keys in constant time (PRIM-14).
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// An X25519 secret key: 32 random bytes, stored unclamped (PRIM-3). Wiped on drop.
#[derive(ZeroizeOnDrop)]
pub struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    /// Draws a new secret key: 32 bytes from `rng`, used as they are (PRIM-3).
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; KEY_LEN];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Wraps 32 secret bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Takes a secret key from a byte slice (PRIM-1).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] unless `bytes` has 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        key_array(bytes).map(Self)
    }

    /// The public key `X25519(secret, 9)` (PRIM-3).
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let secret = x25519_dalek::StaticSecret::from(self.0);
        PublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes())
    }

    /// `X25519(secret, peer)`, rejecting an all-zero result (PRIM-4, PRIM-5).
    ///
    /// # Errors
    /// [`CryptoError::NonContributory`] when `peer` has small order, so the result would be
    /// all zero and known to anyone.
    pub fn diffie_hellman(&self, peer: &PublicKey) -> Result<SharedSecret, CryptoError> {
        let secret = x25519_dalek::StaticSecret::from(self.0);
        let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(peer.0));
        let shared = SharedSecret(shared.to_bytes());
        // PRIM-5, PRIM-14: constant-time test against zero, as libsodium does.
        if bool::from(shared.0.ct_eq(&[0u8; KEY_LEN])) {
            return Err(CryptoError::NonContributory);
        }
        Ok(shared)
    }

    /// The raw secret bytes; the only way they leave this type.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Correlate, never leak (PRIM-16).
        write!(f, "SecretKey(pub={})", self.public_key().short_hex())
    }
}

#[cfg(any(test, feature = "test-support"))]
impl SecretKey {
    /// A second key with the same bytes, for tests that hand one key to two machines. Not
    /// `Clone`: a copy of a secret is made on purpose, by name, never by a stray `.clone()`.
    #[must_use]
    pub fn clone_for_testing(&self) -> Self {
        Self(self.0)
    }
}

/// The raw X25519 output, never all zero (PRIM-4). Wiped on drop.
#[derive(ZeroizeOnDrop)]
pub struct SharedSecret([u8; KEY_LEN]);

impl SharedSecret {
    /// The raw shared secret; the only way it leaves this type.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

/// Copies a 32-byte key out of a slice.
fn key_array(bytes: &[u8]) -> Result<[u8; KEY_LEN], CryptoError> {
    bytes
        .try_into()
        .map_err(|_| CryptoError::InvalidKeyLength { len: bytes.len() })
}

/// Lowercase hex of `bytes`.
fn hex_string(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    bytes.iter().fold(
        String::with_capacity(bytes.len().saturating_mul(2)),
        |mut s, b| {
            write!(s, "{b:02x}").expect("writing to a String cannot fail");
            s
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_for_testing_is_the_same_key() {
        let a = SecretKey::from_bytes([5; 32]);
        let copy = a.clone_for_testing();
        assert_eq!(copy.expose_secret(), a.expose_secret());
        assert_eq!(copy.public_key(), a.public_key());
    }

    #[test]
    fn both_sides_agree() {
        let a = SecretKey::from_bytes([1; 32]);
        let b = SecretKey::from_bytes([2; 32]);
        let ab = a.diffie_hellman(&b.public_key()).unwrap();
        let ba = b.diffie_hellman(&a.public_key()).unwrap();
        assert_eq!(ab.expose_secret(), ba.expose_secret());
    }

    #[test]
    fn rejects_zero_and_small_order_keys() {
        let a = SecretKey::from_bytes([1; 32]);
        let zero = PublicKey::from_bytes([0; 32]);
        assert_eq!(
            a.diffie_hellman(&zero).unwrap_err(),
            CryptoError::NonContributory
        );
        let mut one = [0; 32];
        one[0] = 1;
        assert_eq!(
            a.diffie_hellman(&PublicKey::from_bytes(one)).unwrap_err(),
            CryptoError::NonContributory
        );
    }

    #[test]
    fn debug_shows_only_public_half() {
        let a = SecretKey::from_bytes([0x11; 32]);
        let shown = format!("{a:?}");
        assert!(shown.starts_with("SecretKey(pub="));
        assert!(!shown.contains("1111111111"));
    }
}
