//! XSalsa20-Poly1305 in NaCl's layout, tag first (PRIM-6, PRIM-7), and the purpose-typed keys
//! that use it.

use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Tag, XSalsa20Poly1305};

use super::{CryptoError, Nonce};

/// Length of the Poly1305 tag that opens every box.
pub const TAG_LEN: usize = 16;
/// Length of a symmetric key.
pub const SYMMETRIC_KEY_LEN: usize = 32;

/// Seals `plaintext`: returns `tag (16) || ciphertext` (PRIM-6).
pub(crate) fn seal(key: &[u8; SYMMETRIC_KEY_LEN], nonce: &Nonce, plaintext: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(plaintext.len().saturating_add(TAG_LEN));
    sealed.extend_from_slice(&[0u8; TAG_LEN]);
    sealed.extend_from_slice(plaintext);
    seal_in_place(key, nonce, &mut sealed).expect("the buffer starts with TAG_LEN bytes of room");
    sealed
}

/// Seals in place: `buffer` holds `TAG_LEN` bytes of room followed by the plaintext; afterwards
/// it holds `tag || ciphertext`.
///
/// # Errors
/// [`CryptoError::BufferTooShort`] when `buffer` is shorter than the room for the tag (PRIM-17):
/// the buffer is left as it was, and the caller learns that nothing was sealed instead of
/// sending what it holds (plaintext) as if it were a box.
pub(crate) fn seal_in_place(
    key: &[u8; SYMMETRIC_KEY_LEN],
    nonce: &Nonce,
    buffer: &mut [u8],
) -> Result<(), CryptoError> {
    let len = buffer.len();
    let (tag_room, body) = buffer
        .split_at_mut_checked(TAG_LEN)
        .ok_or(CryptoError::BufferTooShort { len })?;
    let cipher = XSalsa20Poly1305::new(key.into());
    let tag = cipher
        .encrypt_in_place_detached(nonce.as_bytes().into(), &[], body)
        .expect("XSalsa20 encrypts any length below 2^70 bytes");
    tag_room.copy_from_slice(&tag);
    Ok(())
}

/// Opens `tag || ciphertext` and returns the plaintext (PRIM-7).
pub(crate) fn open(
    key: &[u8; SYMMETRIC_KEY_LEN],
    nonce: &Nonce,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (tag, body) = sealed
        .split_at_checked(TAG_LEN)
        .ok_or(CryptoError::TruncatedBox { len: sealed.len() })?;
    let mut plaintext = body.to_vec();
    decrypt_detached(key, nonce, tag, &mut plaintext)?;
    Ok(plaintext)
}

/// Opens `tag || ciphertext` in place; on success the plaintext is `buffer[TAG_LEN..]`.
pub(crate) fn open_in_place<'a>(
    key: &[u8; SYMMETRIC_KEY_LEN],
    nonce: &Nonce,
    buffer: &'a mut [u8],
) -> Result<&'a mut [u8], CryptoError> {
    let len = buffer.len();
    let (tag, body) = buffer
        .split_at_mut_checked(TAG_LEN)
        .ok_or(CryptoError::TruncatedBox { len })?;
    decrypt_detached(key, nonce, tag, body)?;
    Ok(body)
}

/// Checks `tag` over `body`, then decrypts `body` in place. On failure `body` still holds
/// ciphertext: no unauthenticated plaintext is released (PRIM-7).
fn decrypt_detached(
    key: &[u8; SYMMETRIC_KEY_LEN],
    nonce: &Nonce,
    tag: &[u8],
    body: &mut [u8],
) -> Result<(), CryptoError> {
    let tag = Tag::clone_from_slice(tag);
    let cipher = XSalsa20Poly1305::new(key.into());
    // PRIM-14: the aead crate compares tags in constant time and decrypts only after that.
    cipher
        .decrypt_in_place_detached(nonce.as_bytes().into(), &[], body, &tag)
        .map_err(|_| CryptoError::AuthFailed)
}

/// Declares a 32-byte symmetric key type for one purpose (STYLE: purpose types, never bare
/// arrays). The type is wiped on drop, never printed and never `Clone`. It exposes only the
/// operations listed after its name (PRIM-18), so a key cannot be used for another purpose:
///
/// - `random`: [`random`](Self::random) draws a fresh key (keys chosen at random, not derived);
/// - `secretbox`: `seal`, `seal_in_place`, `open`, `open_in_place` with XSalsa20-Poly1305 under
///   a nonce the caller gives (keys whose purpose is exactly that).
///
/// Without `secretbox` the bytes leave only through `expose_secret()`, for the one function that
/// implements the key's purpose (a MAC for the vouch key, the blob box for the blob key).
macro_rules! symmetric_key {
    ($(#[$doc:meta])* $name:ident $(, $operation:ident)* $(,)?) => {
        $(#[$doc])*
        #[derive(zeroize::ZeroizeOnDrop)]
        pub struct $name([u8; $crate::crypto::SYMMETRIC_KEY_LEN]);

        impl $name {
            /// Wraps raw key bytes.
            #[must_use]
            pub fn from_bytes(bytes: [u8; $crate::crypto::SYMMETRIC_KEY_LEN]) -> Self {
                Self(bytes)
            }

            /// Takes a key from a byte slice (PRIM-1).
            ///
            /// # Errors
            /// [`CryptoError::InvalidKeyLength`](crate::crypto::CryptoError::InvalidKeyLength)
            /// unless `bytes` has 32 bytes.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, $crate::crypto::CryptoError> {
                let array = bytes.try_into().map_err(|_| {
                    $crate::crypto::CryptoError::InvalidKeyLength { len: bytes.len() }
                })?;
                Ok(Self(array))
            }

            /// The raw key bytes; the only way they leave this type.
            #[must_use]
            pub fn expose_secret(&self) -> &[u8; $crate::crypto::SYMMETRIC_KEY_LEN] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        #[cfg(any(test, feature = "test-support"))]
        impl $name {
            /// A second key with the same bytes, for tests. Not `Clone`: a copy of a secret is
            /// made on purpose, by name.
            #[must_use]
            pub fn clone_for_testing(&self) -> Self {
                Self(self.0)
            }
        }

        $( $crate::crypto::secretbox::symmetric_key!(@$operation $name); )*
    };

    (@random $name:ident) => {
        impl $name {
            /// Draws a fresh random key.
            pub fn random(rng: &mut impl rand_core::CryptoRng) -> Self {
                let mut bytes = [0u8; $crate::crypto::SYMMETRIC_KEY_LEN];
                rng.fill_bytes(&mut bytes);
                Self(bytes)
            }
        }
    };

    (@secretbox $name:ident) => {
        impl $name {
            /// Seals `plaintext` under this key: `tag (16) || ciphertext` (PRIM-6).
            #[must_use]
            pub fn seal(&self, nonce: &$crate::crypto::Nonce, plaintext: &[u8]) -> Vec<u8> {
                $crate::crypto::secretbox::seal(&self.0, nonce, plaintext)
            }

            /// Seals in place: `buffer` is 16 bytes of room then the plaintext (PRIM-6).
            ///
            /// # Errors
            /// [`CryptoError::BufferTooShort`](crate::crypto::CryptoError::BufferTooShort) when
            /// `buffer` is shorter than 16 bytes; it is then left untouched (PRIM-17).
            pub fn seal_in_place(
                &self,
                nonce: &$crate::crypto::Nonce,
                buffer: &mut [u8],
            ) -> Result<(), $crate::crypto::CryptoError> {
                $crate::crypto::secretbox::seal_in_place(&self.0, nonce, buffer)
            }

            /// Opens `tag || ciphertext` (PRIM-7).
            ///
            /// # Errors
            /// [`CryptoError::TruncatedBox`](crate::crypto::CryptoError::TruncatedBox) below 16
            /// bytes, [`CryptoError::AuthFailed`](crate::crypto::CryptoError::AuthFailed) when the
            /// tag does not verify.
            pub fn open(
                &self,
                nonce: &$crate::crypto::Nonce,
                sealed: &[u8],
            ) -> Result<Vec<u8>, $crate::crypto::CryptoError> {
                $crate::crypto::secretbox::open(&self.0, nonce, sealed)
            }

            /// Opens in place and returns the plaintext part of `buffer` (PRIM-7).
            ///
            /// # Errors
            /// As [`Self::open`].
            pub fn open_in_place<'a>(
                &self,
                nonce: &$crate::crypto::Nonce,
                buffer: &'a mut [u8],
            ) -> Result<&'a mut [u8], $crate::crypto::CryptoError> {
                $crate::crypto::secretbox::open_in_place(&self.0, nonce, buffer)
            }
        }
    };
}
pub(crate) use symmetric_key;

symmetric_key!(
    /// A key for `crypto_secretbox` chosen at random, for callers that seal under their own
    /// nonces (PRIM-6).
    SecretBoxKey,
    random,
    secretbox
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips_and_layout_is_tag_first() {
        let key = SecretBoxKey::from_bytes([7; 32]);
        let nonce = Nonce::from_bytes([9; 24]);
        let sealed = key.seal(&nonce, b"hello");
        assert_eq!(sealed.len(), 5 + TAG_LEN);
        assert_eq!(key.open(&nonce, &sealed).unwrap(), b"hello");
    }

    #[test]
    fn rejects_short_box_and_flipped_bit() {
        let key = SecretBoxKey::from_bytes([7; 32]);
        let nonce = Nonce::from_bytes([9; 24]);
        assert_eq!(
            key.open(&nonce, &[0; 15]),
            Err(CryptoError::TruncatedBox { len: 15 })
        );
        let mut sealed = key.seal(&nonce, b"");
        sealed[0] ^= 1;
        assert_eq!(key.open(&nonce, &sealed), Err(CryptoError::AuthFailed));
    }

    #[test]
    fn clone_for_testing_is_the_same_key() {
        let key = SecretBoxKey::from_bytes([3; 32]);
        assert_eq!(key.clone_for_testing().expose_secret(), &[3; 32]);
    }

    #[test]
    fn seal_in_place_refuses_a_buffer_without_room_and_leaves_it_alone() {
        let key = SecretBoxKey::from_bytes([7; 32]);
        let nonce = Nonce::from_bytes([9; 24]);
        for len in 0..TAG_LEN {
            let mut buffer = vec![0x61; len];
            assert_eq!(
                key.seal_in_place(&nonce, &mut buffer),
                Err(CryptoError::BufferTooShort { len })
            );
            assert_eq!(buffer, vec![0x61; len], "nothing written");
        }
        let mut buffer = vec![0; TAG_LEN];
        buffer.extend_from_slice(b"hello");
        key.seal_in_place(&nonce, &mut buffer).unwrap();
        assert_eq!(buffer, key.seal(&nonce, b"hello"));
    }

    #[test]
    fn debug_does_not_show_key_bytes() {
        let key = SecretBoxKey::from_bytes([0xab; 32]);
        assert_eq!(format!("{key:?}"), "SecretBoxKey(<redacted>)");
    }
}
