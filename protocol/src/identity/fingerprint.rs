//! The public-key fingerprint users compare out of band (ID-6).

use core::fmt;

use sha2::{Digest, Sha256};

use crate::crypto::PublicKey;

/// Length of a fingerprint in bytes.
pub const FINGERPRINT_LEN: usize = 16;

/// The first 16 bytes of SHA-256 over the 32-byte public key (ID-6). Shown as 32 lowercase
/// hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// Computes the fingerprint of `key` (ID-6).
    #[must_use]
    pub fn of(key: &PublicKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let mut out = [0u8; FINGERPRINT_LEN];
        out.copy_from_slice(digest.get(..FINGERPRINT_LEN).expect("SHA-256 has 32 bytes"));
        Self(out)
    }

    /// The fingerprint bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; FINGERPRINT_LEN] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}
