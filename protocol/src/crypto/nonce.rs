//! The 24-byte XSalsa20 nonce (PRIM-6, PRIM-11).

use core::fmt;

use rand_core::CryptoRng;

use super::CryptoError;

/// Length of an XSalsa20 nonce in bytes.
pub const NONCE_LEN: usize = 24;

/// A 24-byte XSalsa20-Poly1305 nonce. Not secret, but never to be reused under one key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// Wraps 24 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; NONCE_LEN]) -> Self {
        Self(bytes)
    }

    /// Takes a nonce from a byte slice (PRIM-6).
    ///
    /// # Errors
    /// [`CryptoError::InvalidNonceLength`] unless `bytes` has 24 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array = bytes
            .try_into()
            .map_err(|_| CryptoError::InvalidNonceLength { len: bytes.len() })?;
        Ok(Self(array))
    }

    /// Draws a fresh nonce from `rng` (PRIM-11: randomness is always an argument).
    pub fn random(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The nonce `cookie (16) || counter (u64 little-endian)` used by the transport (PRIM-11).
    #[must_use]
    pub fn from_cookie_and_counter(cookie: &[u8; 16], counter: u64) -> Self {
        let mut bytes = [0u8; NONCE_LEN];
        let (head, tail) = bytes.split_at_mut(16);
        head.copy_from_slice(cookie);
        tail.copy_from_slice(&counter.to_le_bytes());
        Self(bytes)
    }

    /// The nonce bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_and_counter_are_laid_out_little_endian() {
        let nonce = Nonce::from_cookie_and_counter(&[0xaa; 16], 0x0102);
        assert_eq!(&nonce.as_bytes()[..16], &[0xaa; 16]);
        assert_eq!(&nonce.as_bytes()[16..], &[0x02, 0x01, 0, 0, 0, 0, 0, 0]);
    }
}
