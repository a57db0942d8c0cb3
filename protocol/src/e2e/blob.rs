//! Blob encryption: a random key per blob, fixed nonces by blob kind, 100 × 2^20 bytes at most
//! (E2E-32, E2E-33). The deprecated image blob is a box with the message's keys (E2E-9).

use super::E2eError;
use crate::crypto::{BoxKey, NONCE_LEN, Nonce, TAG_LEN, secretbox, symmetric_key};

symmetric_key!(
    /// The random key of one blob (and its thumbnail) (E2E-32).
    /// Its only operations are [`seal_blob`] and [`open_blob`], with the fixed nonce of the
    /// blob's kind (PRIM-18): it cannot seal under a nonce of the caller's choosing:
    ///
    /// ```compile_fail
    /// use saltrelay_protocol::crypto::Nonce;
    /// use saltrelay_protocol::e2e::BlobKey;
    /// let key = BlobKey::from_bytes([1; 32]);
    /// let _ = key.seal(&Nonce::from_bytes([2; 24]), b"chosen nonce");
    /// ```
    BlobKey,
    random
);

/// Largest blob plaintext: 100 × 2^20 bytes (E2E-33).
pub const MAX_BLOB_LEN: usize = 100 * 1024 * 1024;

/// Which blob a key encrypts; it fixes the nonce (E2E-32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobKind {
    /// The file of a file message: nonce `0^23 || 01`.
    File,
    /// The thumbnail of a file message: nonce `0^23 || 02`.
    Thumbnail,
    /// A contact or group profile picture: nonce `0^23 || 01`.
    ProfilePicture,
    /// Deprecated group image, video or audio: nonce `0^23 || 01`.
    DeprecatedMedia,
    /// Deprecated video thumbnail: nonce `0^23 || 02`.
    DeprecatedVideoThumbnail,
}

impl BlobKind {
    /// The fixed nonce of this kind (E2E-32).
    #[must_use]
    pub fn nonce(self) -> Nonce {
        let mut bytes = [0u8; NONCE_LEN];
        if let Some(last) = bytes.last_mut() {
            *last = match self {
                Self::File | Self::ProfilePicture | Self::DeprecatedMedia => 1,
                Self::Thumbnail | Self::DeprecatedVideoThumbnail => 2,
            };
        }
        Nonce::from_bytes(bytes)
    }
}

/// Checks a blob plaintext length (E2E-33).
///
/// # Errors
/// [`E2eError::BlobTooLarge`] above 100 × 2^20 bytes.
pub fn check_blob_len(len: usize) -> Result<(), E2eError> {
    if len > MAX_BLOB_LEN {
        return Err(E2eError::BlobTooLarge { len });
    }
    Ok(())
}

/// Checks a blob box length before opening it: at most 100 × 2^20 bytes plus the tag (E2E-33).
///
/// # Errors
/// [`E2eError::BlobTooLarge`].
pub fn check_blob_box_len(len: usize) -> Result<(), E2eError> {
    check_blob_len(len.saturating_sub(TAG_LEN))
}

/// Copies `data` once behind room for the tag, so it can be sealed in place.
fn with_room(data: &[u8]) -> Result<Vec<u8>, E2eError> {
    check_blob_len(data.len())?;
    let mut buffer = Vec::with_capacity(data.len().saturating_add(TAG_LEN));
    buffer.extend_from_slice(&[0u8; TAG_LEN]);
    buffer.extend_from_slice(data);
    Ok(buffer)
}

/// Seals a blob under its key with the kind's nonce (E2E-32): one copy, sealed in place.
///
/// # Errors
/// [`E2eError::BlobTooLarge`].
pub fn seal_blob(key: &BlobKey, kind: BlobKind, data: &[u8]) -> Result<Vec<u8>, E2eError> {
    let mut buffer = with_room(data)?;
    // PRIM-18: the blob key seals only here, under its kind's fixed nonce.
    secretbox::seal_in_place(key.expose_secret(), &kind.nonce(), &mut buffer)?;
    Ok(buffer)
}

/// Opens a blob box (E2E-32, E2E-33).
///
/// # Errors
/// [`E2eError::BlobTooLarge`], then `truncated_box` or `auth_failed`.
pub fn open_blob(key: &BlobKey, kind: BlobKind, sealed: &[u8]) -> Result<Vec<u8>, E2eError> {
    check_blob_box_len(sealed.len())?;
    Ok(secretbox::open(key.expose_secret(), &kind.nonce(), sealed)?)
}

/// Seals the blob of a deprecated image (0x02): a box under the sender/receiver box key with
/// the random nonce the message carries (E2E-9).
///
/// # Errors
/// [`E2eError::BlobTooLarge`].
pub fn seal_image_blob(key: &BoxKey, nonce: &Nonce, data: &[u8]) -> Result<Vec<u8>, E2eError> {
    let mut buffer = with_room(data)?;
    key.seal_in_place(nonce, &mut buffer)?;
    Ok(buffer)
}

/// Opens the blob of a deprecated image (E2E-9).
///
/// # Errors
/// As [`open_blob`].
pub fn open_image_blob(key: &BoxKey, nonce: &Nonce, sealed: &[u8]) -> Result<Vec<u8>, E2eError> {
    check_blob_box_len(sealed.len())?;
    Ok(key.open(nonce, sealed)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_thumbnail_nonces_differ_and_round_trip() {
        let key = BlobKey::from_bytes([5; 32]);
        let file = seal_blob(&key, BlobKind::File, b"file").unwrap();
        let thumb = seal_blob(&key, BlobKind::Thumbnail, b"file").unwrap();
        assert_ne!(file, thumb);
        assert_eq!(open_blob(&key, BlobKind::File, &file).unwrap(), b"file");
        assert!(open_blob(&key, BlobKind::Thumbnail, &file).is_err());
        assert_eq!(
            check_blob_box_len(MAX_BLOB_LEN + TAG_LEN + 1),
            Err(E2eError::BlobTooLarge {
                len: MAX_BLOB_LEN + 1
            })
        );
    }
}
