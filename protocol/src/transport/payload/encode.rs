//! Encoding a payload into its container (TR-18 to TR-25).

use super::decode::{BLOB_FLAG_PERSIST, BLOB_OK, LOOKUP_FOUND, LOOKUP_NOT_FOUND};
use super::{BlobChunk, MessageAck, Payload, PushToken};

impl Payload {
    /// The container: `type || 00 00 00 || data` (TR-18). Sizes are checked when a frame is
    /// sealed, not here.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.type_code(), 0, 0, 0];
        self.encode_data(&mut out);
        out
    }

    fn encode_data(&self, out: &mut Vec<u8>) {
        match self {
            Self::EchoRequest(data)
            | Self::EchoResponse(data)
            | Self::OutgoingMessage(data)
            | Self::IncomingMessage(data)
            | Self::Obsolete { data, .. } => out.extend_from_slice(data),
            Self::OutgoingMessageAck(ack) | Self::IncomingMessageAck(ack) => ack_data(out, ack),
            Self::UnblockIncomingMessages
            | Self::QueueSendComplete
            | Self::DeviceCookieChangeIndication
            | Self::ClearDeviceCookieChangeIndication => {}
            Self::SetPushToken(token) | Self::SetVoipPushToken(token) => token_data(out, token),
            Self::DeletePushTokens(ids) => {
                for id in ids {
                    out.extend_from_slice(&id.to_le_bytes());
                }
            }
            Self::SetIdleTimeout(seconds) => out.extend_from_slice(&seconds.to_le_bytes()),
            Self::CloseError {
                can_reconnect,
                message,
            } => {
                out.push(u8::from(*can_reconnect));
                out.extend_from_slice(message.as_bytes());
            }
            Self::Alert(message) => out.extend_from_slice(message.as_bytes()),
            Self::KeyLookupRequest {
                request_id,
                identity,
            } => {
                out.extend_from_slice(&request_id.to_le_bytes());
                out.extend_from_slice(identity.as_bytes());
            }
            Self::KeyLookupResponse {
                request_id,
                public_key,
            } => {
                out.extend_from_slice(&request_id.to_le_bytes());
                match public_key {
                    Some(key) => {
                        out.push(LOOKUP_FOUND);
                        out.extend_from_slice(key.as_bytes());
                    }
                    None => out.push(LOOKUP_NOT_FOUND),
                }
            }
            Self::BlobUploadRequest {
                request_id,
                length,
                persist,
            } => {
                out.extend_from_slice(&request_id.to_le_bytes());
                out.extend_from_slice(&length.to_le_bytes());
                out.push(if *persist { BLOB_FLAG_PERSIST } else { 0 });
            }
            Self::BlobUploadChunk(chunk) | Self::BlobDownloadChunk(chunk) => {
                chunk_data(out, chunk);
            }
            Self::BlobUploadResponse { request_id, result } => {
                out.extend_from_slice(&request_id.to_le_bytes());
                match result {
                    Ok(blob_id) => {
                        out.push(BLOB_OK);
                        out.extend_from_slice(blob_id);
                    }
                    Err(status) => out.push(status.code()),
                }
            }
            Self::BlobDownloadRequest {
                request_id,
                blob_id,
            } => {
                out.extend_from_slice(&request_id.to_le_bytes());
                out.extend_from_slice(blob_id);
            }
            Self::BlobDownloadResponse { request_id, result } => {
                out.extend_from_slice(&request_id.to_le_bytes());
                match result {
                    Ok(length) => {
                        out.push(BLOB_OK);
                        out.extend_from_slice(&length.to_le_bytes());
                    }
                    Err(status) => out.push(status.code()),
                }
            }
            Self::BlobDone { blob_id } => out.extend_from_slice(blob_id),
        }
    }
}

fn ack_data(out: &mut Vec<u8>, ack: &MessageAck) {
    out.extend_from_slice(ack.identity.as_bytes());
    out.extend_from_slice(&ack.message_id.to_le_bytes());
}

fn token_data(out: &mut Vec<u8>, token: &PushToken) {
    out.push(token.kind);
    out.extend_from_slice(&token.token);
}

fn chunk_data(out: &mut Vec<u8>, chunk: &BlobChunk) {
    out.extend_from_slice(&chunk.request_id.to_le_bytes());
    out.extend_from_slice(&chunk.offset.to_le_bytes());
    out.extend_from_slice(&chunk.data);
}

#[cfg(test)]
mod tests {
    use super::super::{BlobStatus, REGISTRY};
    use super::*;
    use crate::crypto::PublicKey;

    fn samples() -> Vec<Payload> {
        let identity = "ECHOECHO".parse().unwrap();
        let ack = MessageAck {
            identity,
            message_id: 0x0102_0304_0506_0708,
        };
        let chunk = BlobChunk {
            request_id: 7,
            offset: 8160,
            data: vec![1, 2, 3],
        };
        vec![
            Payload::EchoRequest(vec![1]),
            Payload::EchoResponse(vec![]),
            Payload::OutgoingMessage(vec![9; 100]),
            Payload::IncomingMessage(vec![8; 10]),
            Payload::OutgoingMessageAck(ack),
            Payload::IncomingMessageAck(ack),
            Payload::UnblockIncomingMessages,
            Payload::SetPushToken(PushToken {
                kind: 0x11,
                token: b"fcm".to_vec(),
            }),
            Payload::SetVoipPushToken(PushToken {
                kind: 0x05,
                token: vec![0xff; 255],
            }),
            Payload::DeletePushTokens(vec![1, u64::MAX]),
            Payload::SetIdleTimeout(600),
            Payload::Obsolete {
                payload_type: 0x31,
                data: vec![1],
            },
            Payload::QueueSendComplete,
            Payload::DeviceCookieChangeIndication,
            Payload::ClearDeviceCookieChangeIndication,
            Payload::CloseError {
                can_reconnect: true,
                message: "unavailable: later".into(),
            },
            Payload::Alert("hello".into()),
            Payload::KeyLookupRequest {
                request_id: 1,
                identity,
            },
            Payload::KeyLookupResponse {
                request_id: 1,
                public_key: Some(PublicKey::from_bytes([4; 32])),
            },
            Payload::KeyLookupResponse {
                request_id: 2,
                public_key: None,
            },
            Payload::BlobUploadRequest {
                request_id: 3,
                length: 50,
                persist: true,
            },
            Payload::BlobUploadChunk(chunk.clone()),
            Payload::BlobUploadResponse {
                request_id: 3,
                result: Ok([5; 16]),
            },
            Payload::BlobUploadResponse {
                request_id: 3,
                result: Err(BlobStatus::TooLarge),
            },
            Payload::BlobDownloadRequest {
                request_id: 4,
                blob_id: [5; 16],
            },
            Payload::BlobDownloadResponse {
                request_id: 4,
                result: Ok(3),
            },
            Payload::BlobDownloadResponse {
                request_id: 4,
                result: Err(BlobStatus::NotFound),
            },
            Payload::BlobDownloadChunk(chunk),
            Payload::BlobDone { blob_id: [5; 16] },
        ]
    }

    #[test]
    fn every_sample_round_trips_and_every_type_is_covered() {
        let samples = samples();
        for payload in &samples {
            let container = payload.encode();
            assert_eq!(
                &Payload::decode(&container).unwrap(),
                payload,
                "{payload:?}"
            );
        }
        for entry in REGISTRY.iter().filter(|e| e.name != "obsolete") {
            assert!(
                samples.iter().any(|p| p.type_code() == entry.code),
                "no sample for {}",
                entry.name
            );
        }
    }

    #[test]
    fn rejects_layout_violations() {
        let code = |bytes: &[u8]| Payload::decode(bytes).unwrap_err().code();
        assert_eq!(code(&[0x81, 0, 0]), "malformed_payload");
        assert_eq!(code(&[0x99, 0, 0, 0]), "unknown_payload_type");
        assert_eq!(code(&[0x30, 0, 0, 0, 29, 0]), "invalid_idle_timeout");
        assert_eq!(code(&[0x30, 0, 0, 0, 30, 0, 0]), "malformed_payload");
        assert_eq!(code(&[0xd0, 0, 0, 0, 1]), "malformed_payload");
        assert_eq!(code(&[0xe1, 0, 0, 0, 0xff]), "malformed_payload");
        assert_eq!(
            code(&[0xf2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]),
            "malformed_payload"
        );
        assert_eq!(
            code(&[0xf3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
            "malformed_payload"
        );
        assert_eq!(code(&[0x25, 0, 0, 0, 1]), "malformed_payload");
        // Reserved header bytes are ignored (TR-18).
        assert_eq!(
            Payload::decode(&[0xd0, 1, 2, 3]).unwrap(),
            Payload::QueueSendComplete
        );
    }
}
