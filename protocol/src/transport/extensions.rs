//! Login extensions: `type u8 || length u16-le || payload`, sealed in the extensions box
//! (TR-10, TR-11). Unknown types are skipped; our client-key extension is marked as ours.

use crate::bytes::Reader;
use crate::crypto::{KEY_LEN, PublicKey};
use crate::transport::TransportError;

/// Extension 0x00: client info, UTF-8 `version;platform;lang/country;...` (TR-11).
pub const EXT_CLIENT_INFO: u8 = 0x00;
/// Extension 0x01: CSP device ID, u64-le (TR-11).
pub const EXT_DEVICE_ID: u8 = 0x01;
/// Extension 0x02: message payload version / feature bits, u8 (TR-11).
pub const EXT_PAYLOAD_VERSION: u8 = 0x02;
/// Extension 0x03: device cookie, 16 bytes (TR-11).
pub const EXT_DEVICE_COOKIE: u8 = 0x03;
/// Extension 0xf0: the client's permanent public key, 32 bytes (TR-11).
/// **Extension (saltrelay)**: lets the relay bind an identity to its key in-band (TR-15).
pub const EXT_CLIENT_KEY: u8 = 0xf0;

/// Payload-version bit 0: the client sends and takes `message-with-metadata-box` (TR-11).
pub const FEATURE_METADATA_BOX: u8 = 0x01;
/// Payload-version bit 1: the client answers echo-requests from the relay (TR-11).
pub const FEATURE_RECEIVES_ECHO_REQUEST: u8 = 0x02;
/// Every payload-version bit this implementation knows; any other makes the relay refuse
/// the login with `unsupported_payload_version` (TR-11).
pub const KNOWN_FEATURES: u8 = FEATURE_METADATA_BOX | FEATURE_RECEIVES_ECHO_REQUEST;

/// The login extensions a client sends and a relay reads (TR-11).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginExtensions {
    /// 0x00: client info text.
    pub client_info: Option<String>,
    /// 0x01: CSP device ID.
    pub device_id: Option<u64>,
    /// 0x02: message payload version (feature bits); absent means 0x00.
    pub payload_version: Option<u8>,
    /// 0x03: device cookie.
    pub device_cookie: Option<[u8; 16]>,
    /// 0xf0: the client's permanent public key. **Extension (saltrelay).**
    pub client_key: Option<PublicKey>,
}

impl LoginExtensions {
    /// Encodes the present extensions in ascending type order (TR-10).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(info) = &self.client_info {
            push(&mut out, EXT_CLIENT_INFO, info.as_bytes());
        }
        if let Some(id) = self.device_id {
            push(&mut out, EXT_DEVICE_ID, &id.to_le_bytes());
        }
        if let Some(version) = self.payload_version {
            push(&mut out, EXT_PAYLOAD_VERSION, &[version]);
        }
        if let Some(cookie) = &self.device_cookie {
            push(&mut out, EXT_DEVICE_COOKIE, cookie);
        }
        if let Some(key) = &self.client_key {
            push(&mut out, EXT_CLIENT_KEY, key.as_bytes());
        }
        out
    }

    /// Parses the opened extensions box (TR-10, TR-11).
    ///
    /// # Errors
    /// [`TransportError::MalformedExtensions`] when an extension runs past the end, a known
    /// extension has the wrong length or is not UTF-8 where text is required, or a known
    /// type appears twice.
    pub fn decode(bytes: &[u8]) -> Result<Self, TransportError> {
        let malformed = |reason| TransportError::MalformedExtensions { reason };
        let mut reader = Reader::new(bytes);
        let mut out = Self::default();
        while !reader.is_empty() {
            let kind = reader.u8().map_err(|_| malformed("truncated header"))?;
            let len = reader.u16_le().map_err(|_| malformed("truncated header"))?;
            let payload = reader
                .take(usize::from(len))
                .map_err(|_| malformed("extension runs past the end"))?;
            match kind {
                EXT_CLIENT_INFO => {
                    let text = core::str::from_utf8(payload)
                        .map_err(|_| malformed("client info is not UTF-8"))?;
                    set(&mut out.client_info, text.to_owned())?;
                }
                EXT_DEVICE_ID => set(&mut out.device_id, u64::from_le_bytes(fixed(payload)?))?,
                EXT_PAYLOAD_VERSION => {
                    set(&mut out.payload_version, u8::from_le_bytes(fixed(payload)?))?;
                }
                EXT_DEVICE_COOKIE => set(&mut out.device_cookie, fixed(payload)?)?,
                EXT_CLIENT_KEY => set(
                    &mut out.client_key,
                    PublicKey::from_bytes(fixed::<KEY_LEN>(payload)?),
                )?,
                // TR-10: unknown extensions are skipped.
                _ => {}
            }
        }
        Ok(out)
    }

    /// The payload version; absent means 0x00 (TR-11).
    #[must_use]
    pub fn payload_version_or_default(&self) -> u8 {
        self.payload_version.unwrap_or(0)
    }
}

fn push(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    out.push(kind);
    let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload.get(..usize::from(len)).unwrap_or(payload));
}

fn fixed<const N: usize>(payload: &[u8]) -> Result<[u8; N], TransportError> {
    payload
        .try_into()
        .map_err(|_| TransportError::MalformedExtensions {
            reason: "extension has the wrong length",
        })
}

fn set<T>(slot: &mut Option<T>, value: T) -> Result<(), TransportError> {
    if slot.is_some() {
        return Err(TransportError::MalformedExtensions {
            reason: "extension appears twice",
        });
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_skips_unknown_types() {
        let ext = LoginExtensions {
            client_info: Some("0.1;B;en/CH;Linux;x64".into()),
            device_id: Some(42),
            payload_version: Some(3),
            device_cookie: Some([9; 16]),
            client_key: Some(PublicKey::from_bytes([1; 32])),
        };
        let mut bytes = ext.encode();
        assert_eq!(LoginExtensions::decode(&bytes).unwrap(), ext);
        bytes.extend_from_slice(&[0x77, 2, 0, 0xaa, 0xbb]);
        assert_eq!(LoginExtensions::decode(&bytes).unwrap(), ext);
    }

    #[test]
    fn rejects_bad_lengths_and_duplicates() {
        let code = |b: &[u8]| LoginExtensions::decode(b).unwrap_err().code();
        assert_eq!(code(&[0x02, 2, 0, 1, 1]), "malformed_extensions");
        assert_eq!(
            code(&[0x02, 1, 0, 1, 0x02, 1, 0, 1]),
            "malformed_extensions"
        );
        assert_eq!(code(&[0x00, 5, 0, b'a']), "malformed_extensions");
        assert_eq!(code(&[0x00, 1]), "malformed_extensions");
        assert_eq!(code(&[0x00, 1, 0, 0xff]), "malformed_extensions");
        assert_eq!(
            LoginExtensions::decode(&[]).unwrap(),
            LoginExtensions::default()
        );
    }
}
