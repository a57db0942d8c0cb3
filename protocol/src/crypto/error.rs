//! Errors of the primitive layer (spec/01-primitives.md).

/// Why a primitive refused its input.
///
/// Authentication failures carry no detail on purpose: which bit was wrong is nobody's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// X25519 gave an all-zero shared secret: the peer key has small order (PRIM-5).
    #[error("non-contributory public key: the shared secret is all zero")]
    NonContributory,
    /// A box was shorter than its 16-byte tag (PRIM-7).
    #[error("box of {len} bytes is shorter than its 16-byte tag")]
    TruncatedBox {
        /// Length of the rejected box.
        len: usize,
    },
    /// Caller misuse: a buffer to seal in place had no room for the 16-byte tag (PRIM-17).
    #[error("buffer of {len} bytes has no room for the 16-byte tag")]
    BufferTooShort {
        /// Length of the rejected buffer.
        len: usize,
    },
    /// The Poly1305 tag did not verify: wrong key, wrong nonce or altered bytes (PRIM-7).
    #[error("authentication failed")]
    AuthFailed,
    /// A key given as bytes was not 32 bytes long (PRIM-1).
    #[error("key of {len} bytes, expected 32")]
    InvalidKeyLength {
        /// Length of the rejected key.
        len: usize,
    },
    /// A nonce given as bytes was not 24 bytes long (PRIM-6).
    #[error("nonce of {len} bytes, expected 24")]
    InvalidNonceLength {
        /// Length of the rejected nonce.
        len: usize,
    },
    /// A BLAKE2b parameter was outside its allowed length (PRIM-8).
    #[error("blake2b {what} of {len} bytes is outside the allowed range")]
    InvalidLength {
        /// Which parameter: `key`, `salt`, `personal` or `output`.
        what: &'static str,
        /// The rejected length.
        len: usize,
    },
}

impl CryptoError {
    /// The stable error code that vectors and the CLI use (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NonContributory => "non_contributory",
            Self::TruncatedBox { .. } => "truncated_box",
            Self::BufferTooShort { .. } => "buffer_too_short",
            Self::AuthFailed => "auth_failed",
            Self::InvalidKeyLength { .. } => "invalid_key_length",
            Self::InvalidNonceLength { .. } => "invalid_nonce_length",
            Self::InvalidLength { .. } => "invalid_length",
        }
    }
}
