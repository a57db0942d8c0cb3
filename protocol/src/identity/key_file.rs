//! The identity key file the CLI reads and writes (ID-7, ID-8). Ours, not Threema's.
//!
//! ```text
//! offset size
//!      0    8  magic "SALTRLID"
//!      8    1  version 0x01
//!      9    8  identity (ASCII)
//!     17   32  X25519 secret key
//!     49   16  checksum: BLAKE2b-128(salt "keyfile-v1", personal "saltrelay-id") of bytes 0..49
//! ```

use zeroize::Zeroizing;

use super::{Identity, IdentityError, IdentityKeys};
use crate::bytes::Reader;
use crate::crypto::{self, SecretKey, labels};

/// The 8 bytes every key file starts with.
pub const KEY_FILE_MAGIC: &[u8; 8] = b"SALTRLID";
/// The only version this implementation reads and writes.
pub const KEY_FILE_VERSION: u8 = 1;
/// Length of a version-1 key file.
pub const KEY_FILE_LEN: usize = 65;
const CHECKSUM_LEN: usize = 16;
const BODY_LEN: usize = KEY_FILE_LEN - CHECKSUM_LEN;

/// Why bytes are not a loadable key file (ID-8), in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file does not start with `SALTRLID`: not a saltrelay key file.
    #[error("not a saltrelay identity key file (bad magic)")]
    BadMagic,
    /// The file ends before its fields do.
    #[error("key file is truncated: {len} bytes, a version-1 file has 65")]
    Truncated {
        /// Length of the rejected file.
        len: usize,
    },
    /// A version this implementation does not read.
    #[error("key file version {version} is not supported (this build reads version 1)")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// Bytes after the checksum.
    #[error("key file has {len} bytes, a version-1 file has 65")]
    TrailingBytes {
        /// Length of the rejected file.
        len: usize,
    },
    /// The checksum does not match: the file was altered or damaged.
    #[error("key file checksum does not match: the file is corrupted")]
    ChecksumMismatch,
    /// The checksum matched but the identity field is not an identity.
    #[error("key file holds an invalid identity: {0}")]
    InvalidIdentity(IdentityError),
}

impl KeyFileError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadMagic => "key_file_bad_magic",
            Self::Truncated { .. } => "key_file_truncated",
            Self::UnsupportedVersion { .. } => "key_file_unsupported_version",
            Self::TrailingBytes { .. } => "key_file_trailing_bytes",
            Self::ChecksumMismatch => "key_file_checksum_mismatch",
            Self::InvalidIdentity(_) => "key_file_invalid_identity",
        }
    }
}

/// Encodes `keys` as a version-1 key file (ID-7). The bytes hold the secret key: wiped on drop.
#[must_use]
pub fn encode(keys: &IdentityKeys) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(KEY_FILE_LEN));
    out.extend_from_slice(KEY_FILE_MAGIC);
    out.push(KEY_FILE_VERSION);
    out.extend_from_slice(keys.identity().as_bytes());
    out.extend_from_slice(keys.secret_key().expose_secret());
    let checksum = checksum(&out);
    out.extend_from_slice(&checksum);
    out
}

/// Decodes a key file, checking in this order: magic, version, length, checksum, identity (ID-8).
///
/// # Errors
/// The first failed check, as [`KeyFileError`].
pub fn decode(bytes: &[u8]) -> Result<IdentityKeys, KeyFileError> {
    let len = bytes.len();
    let magic_part = bytes.get(..KEY_FILE_MAGIC.len()).unwrap_or(bytes);
    if !KEY_FILE_MAGIC.starts_with(magic_part) {
        return Err(KeyFileError::BadMagic);
    }
    let mut reader = Reader::new(bytes);
    let header = reader.take(KEY_FILE_MAGIC.len().saturating_add(1));
    let Ok(Some(&version)) = header.map(<[u8]>::last) else {
        return Err(KeyFileError::Truncated { len });
    };
    if version != KEY_FILE_VERSION {
        return Err(KeyFileError::UnsupportedVersion { version });
    }
    if len < KEY_FILE_LEN {
        return Err(KeyFileError::Truncated { len });
    }
    if len > KEY_FILE_LEN {
        return Err(KeyFileError::TrailingBytes { len });
    }
    let identity_bytes: [u8; 8] = reader.array().map_err(|_| KeyFileError::Truncated { len })?;
    let secret = Zeroizing::new(
        reader
            .array::<32>()
            .map_err(|_| KeyFileError::Truncated { len })?,
    );
    let stored: [u8; CHECKSUM_LEN] = reader.array().map_err(|_| KeyFileError::Truncated { len })?;
    let body = bytes.get(..BODY_LEN).ok_or(KeyFileError::Truncated { len })?;
    if !crypto::ct_eq(&checksum(body), &stored) {
        return Err(KeyFileError::ChecksumMismatch);
    }
    let identity = Identity::from_bytes(&identity_bytes).map_err(KeyFileError::InvalidIdentity)?;
    Ok(IdentityKeys::from_parts(identity, SecretKey::from_bytes(*secret)))
}

/// The version-1 checksum over `body` (ID-7).
fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut out = [0u8; CHECKSUM_LEN];
    let label = labels::KEY_FILE_CHECKSUM;
    crypto::blake2b(
        &mut out,
        &[],
        label.salt.as_bytes(),
        label.personal.as_bytes(),
        body,
    )
    .expect("a 16-byte digest with short constant labels is in range");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Zeroizing<Vec<u8>> {
        let keys = IdentityKeys::from_parts(
            "ECHOECHO".parse().unwrap(),
            SecretKey::from_bytes([5; 32]),
        );
        encode(&keys)
    }

    #[test]
    fn round_trips() {
        let bytes = sample();
        assert_eq!(bytes.len(), KEY_FILE_LEN);
        let keys = decode(&bytes).unwrap();
        assert_eq!(keys.identity().as_str(), "ECHOECHO");
        assert_eq!(keys.secret_key().expose_secret(), &[5; 32]);
    }

    #[test]
    fn every_damage_has_its_error() {
        let good = sample();
        assert_eq!(decode(b"").unwrap_err(), KeyFileError::Truncated { len: 0 });
        assert_eq!(decode(b"SALT").unwrap_err(), KeyFileError::Truncated { len: 4 });
        assert_eq!(decode(b"hello world").unwrap_err(), KeyFileError::BadMagic);
        assert_eq!(decode(&good[..64]).unwrap_err(), KeyFileError::Truncated { len: 64 });
        let mut long = good.to_vec();
        long.push(0);
        assert_eq!(decode(&long).unwrap_err(), KeyFileError::TrailingBytes { len: 66 });
        let mut v2 = good.to_vec();
        v2[8] = 2;
        assert_eq!(
            decode(&v2).unwrap_err(),
            KeyFileError::UnsupportedVersion { version: 2 }
        );
        let mut flipped = good.to_vec();
        flipped[20] ^= 1;
        assert_eq!(decode(&flipped).unwrap_err(), KeyFileError::ChecksumMismatch);
    }
}
