//! The handshake messages and the vouch, as pure functions both machines and the vectors use
//! (TR-3 to TR-14). Threema's Chat Server Protocol layouts, byte for byte.
//!
//! ```text
//! client-hello  48  TCK.public 32 | CCK 16
//! server-hello  80  SCK 16 | box(TSK.public 32 | CCK 16) under K(SK, TCK), nonce SCK||1
//! login        144+ box(login-data 128) nonce CCK||1 | box(extensions) nonce CCK||2
//! login-data   128  identity 8 | indicator 32 | SCK 16 | 0^24 | vouch 32 | 0^16
//! login-ack     32  box(0^4 | server time u64 | queued u32) nonce SCK||2
//! ```

use crate::bytes::Reader;
use crate::crypto::{BoxKey, PublicKey, TAG_LEN, blake2b, derive_key, labels, symmetric_key};
use crate::identity::Identity;
use crate::time::Timestamp;

use super::TransportError;
use super::frame::{COOKIE_LEN, Cookie};

/// Length of the client-hello (TR-3).
pub const CLIENT_HELLO_LEN: usize = 48;
/// Length of the server-hello (TR-4).
pub const SERVER_HELLO_LEN: usize = 80;
/// Length of the server-challenge-response inside the server-hello box (TR-4).
pub const SERVER_CHALLENGE_LEN: usize = 48;
/// Length of the login data (TR-8).
pub const LOGIN_DATA_LEN: usize = 128;
/// Length of the login-data box (TR-9).
pub const LOGIN_DATA_BOX_LEN: usize = LOGIN_DATA_LEN + TAG_LEN;
/// Length of the login-ack (TR-14).
pub const LOGIN_ACK_LEN: usize = 32;
/// Length of the login-ack data (TR-14).
pub const LOGIN_ACK_DATA_LEN: usize = 16;
/// Magic that opens an extension indicator (TR-8).
pub const EXTENSION_MAGIC: &[u8; 30] = b"threema-clever-extension-field";
/// Largest extensions box a relay reads: the frame limit (TR-9).
pub const MAX_EXTENSIONS_BOX_LEN: usize = 8192;
/// Length of a vouch (TR-7).
pub const VOUCH_LEN: usize = 32;

symmetric_key!(
    /// `VouchKey = BLAKE2b-256(key = SS1 || SS2, salt "v2", personal "3ma-csp")` (TR-7).
    /// A MAC key: its only operation is [`vouch`] (PRIM-18); it cannot seal or open:
    ///
    /// ```compile_fail
    /// use saltrelay_protocol::crypto::Nonce;
    /// use saltrelay_protocol::transport::handshake::VouchKey;
    /// let key = VouchKey::from_bytes([1; 32]);
    /// let _ = key.seal(&Nonce::from_bytes([2; 24]), b"not a box key");
    /// ```
    VouchKey
);

/// The login data's second field (TR-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indicator {
    /// The magic and the length of the extensions box, tag included.
    Extensions {
        /// `len(extensions box)`, 16 to 8192.
        box_len: u16,
    },
    /// An old client's zero-padded client-info text; no extensions box follows.
    Legacy {
        /// The text up to the first zero byte.
        client_info: String,
    },
}

/// Parsed login data (TR-8). The reserved fields are not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginData {
    /// The client's identity.
    pub identity: Identity,
    /// Extension indicator or legacy client info.
    pub indicator: Indicator,
    /// The relay cookie as the client repeats it.
    pub repeated_server_cookie: Cookie,
    /// The vouch.
    pub vouch: [u8; VOUCH_LEN],
}

/// The login-ack data (TR-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAck {
    /// The relay's clock at login, in ms since the epoch.
    pub server_time: Timestamp,
    /// Messages queued for the client at login.
    pub queued_count: u32,
}

/// `TCK.public || CCK` (TR-3).
#[must_use]
pub fn client_hello(tck_public: &PublicKey, cck: &Cookie) -> [u8; CLIENT_HELLO_LEN] {
    let mut out = [0u8; CLIENT_HELLO_LEN];
    let (key, cookie) = out.split_at_mut(32);
    key.copy_from_slice(tck_public.as_bytes());
    cookie.copy_from_slice(cck);
    out
}

/// Splits a client-hello into `TCK.public` and `CCK` (TR-3).
#[must_use]
pub fn parse_client_hello(bytes: &[u8; CLIENT_HELLO_LEN]) -> (PublicKey, Cookie) {
    let mut reader = Reader::new(bytes);
    let key = reader.array().expect("48 bytes hold a key");
    let cookie = reader.array().expect("48 bytes hold a key and a cookie");
    (PublicKey::from_bytes(key), cookie)
}

/// `TSK.public || CCK`, the plaintext of the server-hello box (TR-4).
#[must_use]
pub fn server_challenge(tsk_public: &PublicKey, cck: &Cookie) -> [u8; SERVER_CHALLENGE_LEN] {
    client_hello(tsk_public, cck)
}

/// The login data (TR-8): identity, extension indicator with the extensions box length,
/// repeated SCK, 24 zero bytes, vouch, 16 zero bytes.
#[must_use]
pub fn login_data(
    identity: &Identity,
    extensions_box_len: u16,
    sck: &Cookie,
    vouch: &[u8; VOUCH_LEN],
) -> [u8; LOGIN_DATA_LEN] {
    let mut out = Vec::with_capacity(LOGIN_DATA_LEN);
    out.extend_from_slice(identity.as_bytes());
    out.extend_from_slice(EXTENSION_MAGIC);
    out.extend_from_slice(&extensions_box_len.to_le_bytes());
    out.extend_from_slice(sck);
    out.extend_from_slice(&[0u8; 24]);
    out.extend_from_slice(vouch);
    out.extend_from_slice(&[0u8; 16]);
    out.try_into().expect("the fields add up to 128 bytes")
}

/// Parses login data (TR-8, TR-12 steps 2 and 3). The repeated cookie is returned, not
/// checked.
///
/// # Errors
/// [`TransportError::MalformedLogin`] for an invalid identity, an extensions box length
/// outside 16..=8192, or legacy client info that is not UTF-8.
pub fn parse_login_data(bytes: &[u8; LOGIN_DATA_LEN]) -> Result<LoginData, TransportError> {
    let malformed = |reason| TransportError::MalformedLogin { reason };
    let mut reader = Reader::new(bytes);
    let identity = Identity::from_bytes(reader.take(8).expect("128 bytes"))
        .map_err(|_| malformed("invalid identity"))?;
    let field: [u8; 32] = reader.array().expect("128 bytes");
    let indicator = match field.split_at(EXTENSION_MAGIC.len()) {
        (magic, len) if magic == EXTENSION_MAGIC => {
            let box_len = u16::from_le_bytes(len.try_into().expect("2 bytes"));
            let usable = usize::from(box_len);
            if usable < TAG_LEN {
                return Err(malformed("extensions box shorter than its tag"));
            }
            if usable > MAX_EXTENSIONS_BOX_LEN {
                return Err(malformed("extensions box longer than 8192 bytes"));
            }
            Indicator::Extensions { box_len }
        }
        _ => {
            let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
            let text = field.get(..end).unwrap_or_default();
            let client_info = core::str::from_utf8(text)
                .map_err(|_| malformed("legacy client info is not UTF-8"))?;
            Indicator::Legacy {
                client_info: client_info.to_owned(),
            }
        }
    };
    let repeated_server_cookie = reader.array().expect("128 bytes");
    reader.take(24).expect("128 bytes");
    let vouch = reader.array().expect("128 bytes");
    Ok(LoginData {
        identity,
        indicator,
        repeated_server_cookie,
        vouch,
    })
}

/// `VouchKey` from the two shared keys (TR-7): `SS1 = K(CK, SK)`, `SS2 = K(CK, TSK)`.
///
/// # Errors
/// Never in practice: the key material is 64 bytes, which BLAKE2b accepts.
pub fn vouch_key(ss1: &BoxKey, ss2: &BoxKey) -> Result<VouchKey, TransportError> {
    let mut material = zeroize::Zeroizing::new([0u8; 64]);
    let (first, second) = material.split_at_mut(32);
    first.copy_from_slice(ss1.expose_secret());
    second.copy_from_slice(ss2.expose_secret());
    let derived = derive_key(material.as_slice(), &labels::VOUCH_KEY).map_err(|_| {
        TransportError::InvalidConfig {
            reason: "vouch key material",
        }
    })?;
    Ok(VouchKey::from_bytes(*derived))
}

/// `vouch = BLAKE2b-256(key = VouchKey, input = SCK || TCK.public)` (TR-7).
#[must_use]
pub fn vouch(key: &VouchKey, sck: &Cookie, tck_public: &PublicKey) -> [u8; VOUCH_LEN] {
    let mut input = [0u8; COOKIE_LEN + 32];
    let (cookie, public) = input.split_at_mut(COOKIE_LEN);
    cookie.copy_from_slice(sck);
    public.copy_from_slice(tck_public.as_bytes());
    let mut out = [0u8; VOUCH_LEN];
    blake2b(&mut out, key.expose_secret(), &[], &[], &input)
        .expect("a 32-byte key and output are in range");
    out
}

/// The login-ack data: `0^4 || server time u64-le (ms) || queued count u32-le` (TR-14).
#[must_use]
pub fn login_ack_data(ack: &LoginAck) -> [u8; LOGIN_ACK_DATA_LEN] {
    let mut out = [0u8; LOGIN_ACK_DATA_LEN];
    let (_, rest) = out.split_at_mut(4);
    let (time, count) = rest.split_at_mut(8);
    time.copy_from_slice(&ack.server_time.as_millis().to_le_bytes());
    count.copy_from_slice(&ack.queued_count.to_le_bytes());
    out
}

/// Parses login-ack data; the four reserved bytes are ignored (TR-14).
#[must_use]
pub fn parse_login_ack_data(bytes: &[u8; LOGIN_ACK_DATA_LEN]) -> LoginAck {
    let mut reader = Reader::new(bytes);
    reader.take(4).expect("16 bytes");
    LoginAck {
        server_time: Timestamp::from_millis(reader.u64_le().expect("16 bytes")),
        queued_count: reader.u32_le().expect("16 bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_data_round_trips_and_legacy_is_recognised() {
        let identity: Identity = "ECHOECHO".parse().unwrap();
        let bytes = login_data(&identity, 40, &[3; 16], &[4; 32]);
        assert_eq!(&bytes[8..38], EXTENSION_MAGIC);
        let parsed = parse_login_data(&bytes).unwrap();
        assert_eq!(parsed.indicator, Indicator::Extensions { box_len: 40 });
        assert_eq!(parsed.repeated_server_cookie, [3; 16]);
        let mut legacy = bytes;
        legacy[8..40].copy_from_slice(&[0; 32]);
        legacy[8..12].copy_from_slice(b"4;A;");
        let parsed = parse_login_data(&legacy).unwrap();
        assert_eq!(
            parsed.indicator,
            Indicator::Legacy {
                client_info: "4;A;".into()
            }
        );
        let short = login_data(&identity, 15, &[3; 16], &[4; 32]);
        assert_eq!(
            parse_login_data(&short).unwrap_err().code(),
            "malformed_login"
        );
    }

    #[test]
    fn login_ack_data_layout() {
        let ack = LoginAck {
            server_time: Timestamp::from_millis(0x0102),
            queued_count: 3,
        };
        let bytes = login_ack_data(&ack);
        assert_eq!(hex::encode(bytes), "00000000020100000000000003000000");
        assert_eq!(parse_login_ack_data(&bytes), ack);
    }
}
