//! Decoding a payload container (TR-18 to TR-25): every length and value rule, no panics.

use super::{
    BlobChunk, BlobStatus, MAX_IDLE_TIMEOUT_SECS, MAX_PUSH_TOKEN_LEN, MIN_IDLE_TIMEOUT_SECS,
    MessageAck, Payload, PushToken, payload_type,
};
use crate::bytes::Reader;
use crate::crypto::PublicKey;
use crate::identity::Identity;
use crate::transport::TransportError;
use crate::transport::frame::CONTAINER_HEADER_LEN;

/// The lookup status byte for "found" and for "no key bound" (TR-23).
pub(super) const LOOKUP_FOUND: u8 = 0x00;
pub(super) const LOOKUP_NOT_FOUND: u8 = 0x01;
/// The blob status byte for success (TR-24).
pub(super) const BLOB_OK: u8 = 0x00;
/// The only flag of a blob upload request: keep after download (TR-24).
pub(super) const BLOB_FLAG_PERSIST: u8 = 0x01;

/// Reads one payload's data; every field must be consumed exactly.
struct Fields<'a> {
    reader: Reader<'a>,
    payload: &'static str,
}

impl<'a> Fields<'a> {
    fn malformed(&self, reason: &'static str) -> TransportError {
        TransportError::MalformedPayload {
            payload: self.payload,
            reason,
        }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], TransportError> {
        self.reader
            .take(len)
            .map_err(|_| self.malformed("too short"))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TransportError> {
        self.reader.array().map_err(|_| self.malformed("too short"))
    }

    fn u8(&mut self) -> Result<u8, TransportError> {
        self.reader.u8().map_err(|_| self.malformed("too short"))
    }

    fn u16(&mut self) -> Result<u16, TransportError> {
        self.reader
            .u16_le()
            .map_err(|_| self.malformed("too short"))
    }

    fn u32(&mut self) -> Result<u32, TransportError> {
        self.reader
            .u32_le()
            .map_err(|_| self.malformed("too short"))
    }

    fn u64(&mut self) -> Result<u64, TransportError> {
        self.reader
            .u64_le()
            .map_err(|_| self.malformed("too short"))
    }

    fn identity(&mut self) -> Result<Identity, TransportError> {
        let bytes = self.take(8)?;
        Identity::from_bytes(bytes).map_err(|_| self.malformed("invalid identity"))
    }

    fn rest(&mut self) -> Vec<u8> {
        self.reader.rest().to_vec()
    }

    fn utf8_rest(&mut self) -> Result<String, TransportError> {
        String::from_utf8(self.rest()).map_err(|_| self.malformed("text is not UTF-8"))
    }

    /// TR-18: a payload's data has exactly the fields of its layout.
    fn done<T>(&self, value: T) -> Result<T, TransportError> {
        if self.reader.is_empty() {
            Ok(value)
        } else {
            Err(self.malformed("trailing bytes"))
        }
    }

    fn chunk(&mut self) -> Result<BlobChunk, TransportError> {
        let request_id = self.u32()?;
        let offset = self.u32()?;
        let data = self.rest();
        if data.is_empty() {
            return Err(self.malformed("empty chunk"));
        }
        Ok(BlobChunk {
            request_id,
            offset,
            data,
        })
    }

    fn push_token(&mut self) -> Result<PushToken, TransportError> {
        let kind = self.u8()?;
        let token = self.rest();
        if token.len() > MAX_PUSH_TOKEN_LEN {
            return Err(self.malformed("token longer than 255 bytes"));
        }
        Ok(PushToken { kind, token })
    }

    fn blob_status(&mut self) -> Result<BlobStatus, TransportError> {
        let code = self.u8()?;
        BlobStatus::from_code(code).ok_or_else(|| self.malformed("unknown status"))
    }
}

impl Payload {
    /// Decodes a container: `type || 3 reserved bytes || data` (TR-18). The reserved bytes are
    /// ignored. Direction is not checked here.
    ///
    /// # Errors
    /// [`TransportError::UnknownPayloadType`] for a code in no registry,
    /// [`TransportError::MalformedPayload`] for data that breaks its type's layout,
    /// [`TransportError::InvalidIdleTimeout`] for an idle timeout out of range.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per payload type, in registry order, reads best as one table"
    )]
    pub fn decode(container: &[u8]) -> Result<Self, TransportError> {
        let mut header = Reader::new(container);
        let short = TransportError::MalformedPayload {
            payload: "container",
            reason: "shorter than its 4-byte header",
        };
        let code = header.u8().map_err(|_| short.clone())?;
        header.take(CONTAINER_HEADER_LEN - 1).map_err(|_| short)?;
        let entry =
            payload_type(code).ok_or(TransportError::UnknownPayloadType { payload_type: code })?;
        let mut f = Fields {
            reader: header,
            payload: entry.name,
        };
        let payload = match code {
            0x00 => Self::EchoRequest(f.rest()),
            0x80 => Self::EchoResponse(f.rest()),
            0x01 => Self::OutgoingMessage(f.rest()),
            0x02 => Self::IncomingMessage(f.rest()),
            0x81 | 0x82 => {
                let ack = MessageAck {
                    identity: f.identity()?,
                    message_id: f.u64()?,
                };
                if code == 0x81 {
                    Self::OutgoingMessageAck(ack)
                } else {
                    Self::IncomingMessageAck(ack)
                }
            }
            0x03 => Self::UnblockIncomingMessages,
            0xd0 => Self::QueueSendComplete,
            0xd2 => Self::DeviceCookieChangeIndication,
            0xd3 => Self::ClearDeviceCookieChangeIndication,
            0x20 => Self::SetPushToken(f.push_token()?),
            0x24 => Self::SetVoipPushToken(f.push_token()?),
            0x25 => {
                let data = f.rest();
                let ids = data.chunks_exact(8);
                if !ids.remainder().is_empty() {
                    return Err(f.malformed("length is not a multiple of 8"));
                }
                Self::DeletePushTokens(
                    ids.map(|id| u64::from_le_bytes(id.try_into().expect("8-byte chunk")))
                        .collect(),
                )
            }
            0x30 => {
                let seconds = f.u16()?;
                f.done(())?;
                // TR-21: 30 to 600 seconds.
                if !(MIN_IDLE_TIMEOUT_SECS..=MAX_IDLE_TIMEOUT_SECS).contains(&seconds) {
                    return Err(TransportError::InvalidIdleTimeout { seconds });
                }
                Self::SetIdleTimeout(seconds)
            }
            0x21..=0x23 | 0x31 | 0xd1 => Self::Obsolete {
                payload_type: code,
                data: f.rest(),
            },
            0xe0 => {
                // TR-26: zero means no automatic reconnect, anything else allows it.
                let can_reconnect = f.u8()? != 0;
                Self::CloseError {
                    can_reconnect,
                    message: f.utf8_rest()?,
                }
            }
            0xe1 => Self::Alert(f.utf8_rest()?),
            0xf0 => Self::KeyLookupRequest {
                request_id: f.u32()?,
                identity: f.identity()?,
            },
            0xf1 => {
                let request_id = f.u32()?;
                let public_key = match f.u8()? {
                    LOOKUP_FOUND => Some(PublicKey::from_bytes(f.array()?)),
                    LOOKUP_NOT_FOUND => None,
                    _ => return Err(f.malformed("unknown status")),
                };
                Self::KeyLookupResponse {
                    request_id,
                    public_key,
                }
            }
            0xf2 => {
                let request_id = f.u32()?;
                let length = f.u32()?;
                let flags = f.u8()?;
                if flags & !BLOB_FLAG_PERSIST != 0 {
                    return Err(f.malformed("reserved flag set"));
                }
                Self::BlobUploadRequest {
                    request_id,
                    length,
                    persist: flags & BLOB_FLAG_PERSIST != 0,
                }
            }
            0xf3 => Self::BlobUploadChunk(f.chunk()?),
            0xf7 => Self::BlobDownloadChunk(f.chunk()?),
            0xf4 => {
                let request_id = f.u32()?;
                let result = if peek(&f) == Some(BLOB_OK) {
                    f.u8()?;
                    Ok(f.array()?)
                } else {
                    Err(f.blob_status()?)
                };
                Self::BlobUploadResponse { request_id, result }
            }
            0xf5 => Self::BlobDownloadRequest {
                request_id: f.u32()?,
                blob_id: f.array()?,
            },
            0xf6 => {
                let request_id = f.u32()?;
                let result = if peek(&f) == Some(BLOB_OK) {
                    f.u8()?;
                    Ok(f.u32()?)
                } else {
                    Err(f.blob_status()?)
                };
                Self::BlobDownloadResponse { request_id, result }
            }
            0xf8 => Self::BlobDone {
                blob_id: f.array()?,
            },
            _ => return Err(TransportError::UnknownPayloadType { payload_type: code }),
        };
        f.done(payload)
    }
}

fn peek(fields: &Fields<'_>) -> Option<u8> {
    fields.reader.clone().u8().ok()
}
