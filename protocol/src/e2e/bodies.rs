//! Fixed-layout and text bodies: text, deprecated image, location, blob references, delivery
//! receipts (E2E-8 to E2E-10, E2E-16, E2E-18).

use core::fmt;

use super::E2eError;
use crate::bytes::Reader;
use crate::crypto::{NONCE_LEN, Nonce};

/// Longest text body in UTF-8 bytes (E2E-8).
pub const MAX_TEXT_LEN: usize = 6000;
/// Length of a blob ID (E2E-9, E2E-32).
pub const BLOB_ID_LEN: usize = 16;

/// An 8-byte message ID, kept in wire order (u64-le on the wire, fixed64 in protobuf) (E2E-29).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MessageId(pub [u8; 8]);

impl MessageId {
    /// The ID as the integer Threema's protobuf fields carry (fixed64, little-endian).
    #[must_use]
    pub fn as_u64(self) -> u64 {
        u64::from_le_bytes(self.0)
    }

    /// The ID of a protobuf fixed64 value.
    #[must_use]
    pub fn from_u64(value: u64) -> Self {
        Self(value.to_le_bytes())
    }

    /// Draws a random ID (E2E-29).
    pub fn random(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut bytes = [0u8; 8];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, ")")
    }
}

/// Checks a text body: UTF-8 of at most 6000 bytes (E2E-8).
///
/// # Errors
/// [`E2eError::InvalidUtf8`] or [`E2eError::TextTooLong`].
pub(crate) fn decode_text(body: &[u8]) -> Result<String, E2eError> {
    if body.len() > MAX_TEXT_LEN {
        return Err(E2eError::TextTooLong { len: body.len() });
    }
    let text = core::str::from_utf8(body).map_err(|_| E2eError::InvalidUtf8 { what: "text" })?;
    Ok(text.to_owned())
}

/// Checks a text for sending (E2E-8).
///
/// # Errors
/// [`E2eError::TextTooLong`].
pub(crate) fn check_text(text: &str) -> Result<(), E2eError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(E2eError::TextTooLong { len: text.len() });
    }
    Ok(())
}

/// Checks a body that must be empty (a leave, a sync request, a profile-picture delete or
/// request).
///
/// # Errors
/// [`E2eError::InvalidBodyLength`] naming `what`.
pub(crate) fn check_empty(body: &[u8], what: &'static str) -> Result<(), E2eError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(E2eError::InvalidBodyLength {
            what,
            len: body.len(),
        })
    }
}

/// UTF-8 body of any length (group names, E2E-22).
pub(crate) fn decode_utf8(body: &[u8], what: &'static str) -> Result<String, E2eError> {
    core::str::from_utf8(body)
        .map(str::to_owned)
        .map_err(|_| E2eError::InvalidUtf8 { what })
}

/// The deprecated 1:1 image (0x02): the image is a blob boxed with the sender's and receiver's
/// keys under `nonce` (E2E-9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeprecatedImage {
    /// Blob ID.
    pub blob_id: [u8; BLOB_ID_LEN],
    /// Size of the image in bytes.
    pub size: u32,
    /// Nonce of the image box.
    pub nonce: Nonce,
}

impl DeprecatedImage {
    /// Body length: 16 + 4 + 24.
    pub const LEN: usize = 44;

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.blob_id);
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(self.nonce.as_bytes());
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, E2eError> {
        let wrong = E2eError::InvalidBodyLength {
            what: "deprecated image",
            len: body.len(),
        };
        if body.len() != Self::LEN {
            return Err(wrong);
        }
        let mut reader = Reader::new(body);
        let blob_id = reader.array().map_err(|_| wrong.clone())?;
        let size = reader.u32_le().map_err(|_| wrong.clone())?;
        let nonce = Nonce::from_bytes(reader.array::<NONCE_LEN>().map_err(|_| wrong)?);
        Ok(Self {
            blob_id,
            size,
            nonce,
        })
    }
}

/// A blob with its own random key: profile pictures (E2E-16, E2E-22).
#[derive(Clone, PartialEq, Eq)]
pub struct BlobReference {
    /// Blob ID.
    pub blob_id: [u8; BLOB_ID_LEN],
    /// Size of the blob's plaintext in bytes.
    pub size: u32,
    /// The blob key (E2E-32), secret.
    pub key: [u8; 32],
}

impl BlobReference {
    /// Body length: 16 + 4 + 32.
    pub const LEN: usize = 52;

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.blob_id);
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.key);
    }

    pub(crate) fn decode(body: &[u8], what: &'static str) -> Result<Self, E2eError> {
        let wrong = E2eError::InvalidBodyLength {
            what,
            len: body.len(),
        };
        if body.len() != Self::LEN {
            return Err(wrong);
        }
        let mut reader = Reader::new(body);
        let blob_id = reader.array().map_err(|_| wrong.clone())?;
        let size = reader.u32_le().map_err(|_| wrong.clone())?;
        let key = reader.array().map_err(|_| wrong)?;
        Ok(Self { blob_id, size, key })
    }
}

impl fmt::Debug for BlobReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobReference")
            .field("blob_id", &self.blob_id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Delivery receipt status (E2E-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptStatus {
    /// 0x01: the message arrived.
    Received,
    /// 0x02: the message was read.
    Read,
    /// 0x03: deprecated "acknowledged", shown as a thumbs-up reaction.
    Acknowledged,
    /// 0x04: deprecated "declined", shown as a thumbs-down reaction.
    Declined,
}

impl ReceiptStatus {
    /// Every status, in code order.
    pub const ALL: [Self; 4] = [
        Self::Received,
        Self::Read,
        Self::Acknowledged,
        Self::Declined,
    ];

    /// The status byte.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Received => 1,
            Self::Read => 2,
            Self::Acknowledged => 3,
            Self::Declined => 4,
        }
    }

    /// The status of a byte (E2E-18).
    ///
    /// # Errors
    /// [`E2eError::InvalidReceiptStatus`] outside 1..=4.
    pub fn from_code(code: u8) -> Result<Self, E2eError> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or(E2eError::InvalidReceiptStatus { status: code })
    }

    /// The JSON name (E2E-43).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Read => "read",
            Self::Acknowledged => "acknowledged",
            Self::Declined => "declined",
        }
    }
}

/// A delivery receipt: a status and one or more message IDs (E2E-18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReceipt {
    /// The status.
    pub status: ReceiptStatus,
    /// The acknowledged messages, at least one.
    pub message_ids: Vec<MessageId>,
}

impl DeliveryReceipt {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), E2eError> {
        if self.message_ids.is_empty() {
            return Err(E2eError::InvalidBodyLength {
                what: "delivery receipt",
                len: 1,
            });
        }
        out.push(self.status.code());
        self.message_ids
            .iter()
            .for_each(|id| out.extend_from_slice(&id.0));
        Ok(())
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, E2eError> {
        let wrong = E2eError::InvalidBodyLength {
            what: "delivery receipt",
            len: body.len(),
        };
        let [status, ids @ ..] = body else {
            return Err(wrong);
        };
        // E2E-18: at least one ID, and whole IDs only.
        if ids.is_empty() || ids.len() % 8 != 0 {
            return Err(wrong);
        }
        let status = ReceiptStatus::from_code(*status)?;
        let message_ids = ids
            .chunks_exact(8)
            .map(|c| MessageId(c.try_into().expect("chunks of 8")))
            .collect();
        Ok(Self {
            status,
            message_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_needs_whole_ids_and_a_known_status() {
        assert!(DeliveryReceipt::decode(&[1]).is_err());
        assert!(DeliveryReceipt::decode(&[1; 10]).is_err());
        assert_eq!(
            DeliveryReceipt::decode(&[5; 9]),
            Err(E2eError::InvalidReceiptStatus { status: 5 })
        );
        let receipt = DeliveryReceipt::decode(&[2; 17]).unwrap();
        assert_eq!(receipt.message_ids.len(), 2);
        let mut out = Vec::new();
        receipt.encode_into(&mut out).unwrap();
        assert_eq!(out, [2; 17]);
    }

    #[test]
    fn text_limit_is_in_bytes() {
        assert!(decode_text("é".repeat(3000).as_bytes()).is_ok());
        assert!(decode_text("é".repeat(3001).as_bytes()).is_err());
        assert!(decode_text(&[0xff]).is_err());
    }
}
