//! The 8-character identity string (ID-1 to ID-4).

use core::fmt;
use core::str::FromStr;

use rand_core::CryptoRng;

/// Length of an identity in bytes (ID-1).
pub const IDENTITY_LEN: usize = 8;

/// First character of a gateway identity (ID-2).
pub const GATEWAY_MARKER: u8 = b'*';

/// The 36 characters of an identity, in the order random generation indexes them (ID-1, ID-4).
pub const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Random bytes at or above this value are discarded by [`Identity::random`], so that
/// `byte % 36` is uniform (ID-4).
pub const RANDOM_BYTE_LIMIT: u8 = 252;

/// An identity: 8 ASCII characters, `0-9` and `A-Z`, or `*` first for a gateway (ID-1, ID-2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity([u8; IDENTITY_LEN]);

/// Why a string is not an identity (ID-3). Positions are byte offsets from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Not exactly 8 bytes long (ID-3).
    #[error("identity must be 8 characters long, got {len} bytes")]
    WrongLength {
        /// Length of the rejected input in bytes.
        len: usize,
    },
    /// A lowercase letter: identities are uppercase and are not silently converted (ID-3).
    #[error("identity has a lowercase letter at position {position}; identities are uppercase")]
    Lowercase {
        /// Byte offset of the first lowercase letter.
        position: usize,
    },
    /// A byte outside `0-9`, `A-Z` (and `*` in the first position) (ID-3).
    #[error("identity has an invalid character at position {position}")]
    InvalidCharacter {
        /// Byte offset of the first invalid byte.
        position: usize,
    },
}

impl IdentityError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "id_wrong_length",
            Self::Lowercase { .. } => "id_lowercase",
            Self::InvalidCharacter { .. } => "id_invalid_character",
        }
    }
}

impl Identity {
    /// Checks 8 bytes as an identity (ID-3): length first, then each byte from the left.
    ///
    /// # Errors
    /// The first rule broken, as [`IdentityError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let array: [u8; IDENTITY_LEN] = bytes
            .try_into()
            .map_err(|_| IdentityError::WrongLength { len: bytes.len() })?;
        for (position, &byte) in array.iter().enumerate() {
            let allowed = byte.is_ascii_digit()
                || byte.is_ascii_uppercase()
                || (position == 0 && byte == GATEWAY_MARKER);
            if byte.is_ascii_lowercase() {
                return Err(IdentityError::Lowercase { position });
            }
            if !allowed {
                return Err(IdentityError::InvalidCharacter { position });
            }
        }
        Ok(Self(array))
    }

    /// Draws a random ordinary identity (ID-4): bytes are read one at a time from `rng`; a
    /// byte `b >= 252` is discarded, otherwise the next character is `ALPHABET[b % 36]`.
    pub fn random(rng: &mut impl CryptoRng) -> Self {
        let mut id = [0u8; IDENTITY_LEN];
        let mut filled = 0;
        while let Some(slot) = id.get_mut(filled) {
            let mut byte = [0u8; 1];
            rng.fill_bytes(&mut byte);
            let [b] = byte;
            if b < RANDOM_BYTE_LIMIT {
                *slot = *ALPHABET
                    .get(usize::from(b % 36))
                    .expect("b % 36 indexes the 36-character alphabet");
                filled = filled.saturating_add(1);
            }
        }
        Self(id)
    }

    /// The identity as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).expect("identities are ASCII by construction")
    }

    /// The identity bytes as they travel on the wire.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; IDENTITY_LEN] {
        &self.0
    }

    /// Whether this is a gateway identity, starting with `*` (ID-2).
    #[must_use]
    pub fn is_gateway(&self) -> bool {
        self.0.first() == Some(&GATEWAY_MARKER)
    }
}

impl FromStr for Identity {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bytes(s.as_bytes())
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_gateway_ids() {
        assert!(!"ECHOECHO".parse::<Identity>().unwrap().is_gateway());
        assert!("*THREEMA".parse::<Identity>().unwrap().is_gateway());
    }

    #[test]
    fn rejects_each_rule_with_its_own_error() {
        let err = |s: &str| s.parse::<Identity>().unwrap_err();
        assert_eq!(err("ECHO"), IdentityError::WrongLength { len: 4 });
        assert_eq!(err("ECHOecho"), IdentityError::Lowercase { position: 4 });
        assert_eq!(err("ECHO-CHO"), IdentityError::InvalidCharacter { position: 4 });
        assert_eq!(err("ECHO*CHO"), IdentityError::InvalidCharacter { position: 4 });
        assert_eq!(err("ÄCHOECH"), IdentityError::InvalidCharacter { position: 0 });
    }
}
