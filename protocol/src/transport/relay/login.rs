//! The relay's handshake steps: client-hello, login, vouch (TR-4, TR-12, TR-14, TR-15).

use crate::crypto::{BoxKey, PublicKey, SecretKey, ct_eq};
use crate::identity::Identity;
use crate::time::Timestamp;

use super::super::TransportError;
use super::super::extensions::{KNOWN_FEATURES, LoginExtensions};
use super::super::frame::{Cookie, CounterNonce, FrameKey, seal_frame};
use super::super::handshake::{
    self, CLIENT_HELLO_LEN, Indicator, LOGIN_DATA_BOX_LEN, LOGIN_DATA_LEN, LoginAck,
};
use super::super::payload::Payload;

/// Waiting for the 48-byte client-hello. The relay's random values are drawn already.
pub(super) struct AwaitingClientHello {
    pub(super) tsk: SecretKey,
    pub(super) sck: Cookie,
    pub(super) sck_alternative: Cookie,
    pub(super) buffer: Vec<u8>,
}

/// The server-hello is sent; waiting for the login (144 bytes, then the extensions box).
pub(super) struct AwaitingLogin {
    pub(super) keys: LoginKeys,
    pub(super) buffer: Vec<u8>,
    /// The login data once its box opened, while the extensions box is still arriving.
    pub(super) data: Option<handshake::LoginData>,
}

/// Everything a login needs from the first two messages.
pub(super) struct LoginKeys {
    pub(super) tsk: SecretKey,
    pub(super) sck: Cookie,
    pub(super) tck_public: PublicKey,
    pub(super) key: FrameKey,
    /// SCK, next 2: the login-ack, then frames from 3 (TR-2).
    pub(super) send: CounterNonce,
    /// CCK, next 1: the login boxes, then frames (TR-2).
    pub(super) recv: CounterNonce,
}

/// A login whose boxes opened and parsed, before its key is known or its vouch checked.
pub(super) struct PendingLogin {
    pub(super) keys: LoginKeys,
    pub(super) identity: Identity,
    pub(super) extensions: LoginExtensions,
    pub(super) vouch: [u8; 32],
}

/// TR-4: the server-hello for a client-hello, and the keys of the login phase.
pub(super) fn on_client_hello(
    phase: AwaitingClientHello,
    permanent: &SecretKey,
) -> Result<(Vec<u8>, AwaitingLogin, Vec<u8>), TransportError> {
    let AwaitingClientHello {
        tsk,
        sck,
        sck_alternative,
        buffer,
    } = phase;
    let (hello, rest) = buffer.split_at(CLIENT_HELLO_LEN);
    let hello: &[u8; CLIENT_HELLO_LEN] = hello.try_into().expect("48 bytes");
    let (tck_public, cck) = handshake::parse_client_hello(hello);
    let non_contributory = |_| TransportError::NonContributory {
        key: "temporary client key",
    };
    let hello_key = BoxKey::derive(permanent, &tck_public).map_err(non_contributory)?;
    let session_key = BoxKey::derive(&tsk, &tck_public).map_err(non_contributory)?;
    // TR-4: SCK must differ from CCK; the alternative cookie differs from SCK.
    let sck = if ct_eq(&sck, &cck) {
        sck_alternative
    } else {
        sck
    };
    let mut send = CounterNonce::new(sck, 1);
    let challenge = handshake::server_challenge(&tsk.public_key(), &cck);
    let mut server_hello = sck.to_vec();
    server_hello.extend_from_slice(&hello_key.seal(&send.take()?, &challenge));
    let keys = LoginKeys {
        tsk,
        sck,
        tck_public,
        key: FrameKey::from_bytes(*session_key.expose_secret()),
        send,
        recv: CounterNonce::new(cck, 1),
    };
    let login = AwaitingLogin {
        keys,
        buffer: Vec::new(),
        data: None,
    };
    Ok((server_hello, login, rest.to_vec()))
}

/// A login failure, with the keys to close with once the login-data box has opened.
pub(super) type LoginFailure = Box<(TransportError, Option<LoginKeys>)>;

/// What reading the login buffer gave.
pub(super) enum LoginProgress {
    /// More bytes are needed.
    Waiting(Box<AwaitingLogin>),
    /// The login is complete and parsed.
    Complete(Box<PendingLogin>),
}

/// TR-12 steps 1 to 6: the login-data box, its fields, the extensions box, early data.
///
/// Errors come with the phase's keys when the login-data box has opened, so the caller can
/// close with a login-ack and a close-error (TR-26).
pub(super) fn on_login_bytes(mut phase: AwaitingLogin) -> Result<LoginProgress, LoginFailure> {
    if phase.data.is_none() {
        if phase.buffer.len() < LOGIN_DATA_BOX_LEN {
            return Ok(LoginProgress::Waiting(Box::new(phase)));
        }
        let rest = phase.buffer.split_off(LOGIN_DATA_BOX_LEN);
        let nonce = match phase.keys.recv.take() {
            Ok(nonce) => nonce,
            Err(error) => return Err(Box::new((error, None))),
        };
        // Step 1: before this box opens, nothing is sent back.
        let Ok(plain) = phase.keys.key.open(&nonce, &phase.buffer) else {
            return Err(Box::new((TransportError::LoginAuthFailed, None)));
        };
        phase.buffer = rest;
        let plain: [u8; LOGIN_DATA_LEN] = plain.try_into().expect("144-byte box holds 128 bytes");
        let data = match handshake::parse_login_data(&plain) {
            Ok(data) => data,
            Err(error) => return Err(Box::new((error, Some(phase.keys)))),
        };
        // Step 3: the repeated SCK.
        if !ct_eq(&data.repeated_server_cookie, &phase.keys.sck) {
            let error = TransportError::CookieMismatch { message: "login" };
            return Err(Box::new((error, Some(phase.keys))));
        }
        phase.data = Some(data);
    }
    let Some(data) = phase.data.take() else {
        return Ok(LoginProgress::Waiting(Box::new(phase)));
    };
    let extensions = match &data.indicator {
        Indicator::Extensions { box_len } => {
            let box_len = usize::from(*box_len);
            if phase.buffer.len() < box_len {
                phase.data = Some(data);
                return Ok(LoginProgress::Waiting(Box::new(phase)));
            }
            let rest = phase.buffer.split_off(box_len);
            let sealed = core::mem::replace(&mut phase.buffer, rest);
            let opened = phase
                .keys
                .recv
                .take()
                .and_then(|nonce| {
                    phase
                        .keys
                        .key
                        .open(&nonce, &sealed)
                        .map_err(|_| TransportError::LoginAuthFailed)
                })
                .and_then(|plain| LoginExtensions::decode(&plain));
            match opened {
                Ok(extensions) => extensions,
                Err(error) => return Err(Box::new((error, Some(phase.keys)))),
            }
        }
        // TR-9: an old client's login has no extensions box.
        Indicator::Legacy { client_info } => LoginExtensions {
            client_info: (!client_info.is_empty()).then(|| client_info.clone()),
            ..LoginExtensions::default()
        },
    };
    // Step 6 (TR-13): nothing may follow the login before the login-ack.
    if !phase.buffer.is_empty() {
        return Err(Box::new((TransportError::EarlyData, Some(phase.keys))));
    }
    Ok(LoginProgress::Complete(Box::new(PendingLogin {
        keys: phase.keys,
        identity: data.identity,
        extensions,
        vouch: data.vouch,
    })))
}

/// TR-12 steps 8 and 9: the vouch against `client_key`, then the payload version.
pub(super) fn verify(
    pending: &PendingLogin,
    permanent: &SecretKey,
    client_key: &PublicKey,
) -> Result<(), TransportError> {
    let non_contributory = |_| TransportError::NonContributory { key: "client key" };
    let ss1 = BoxKey::derive(permanent, client_key).map_err(non_contributory)?;
    let ss2 = BoxKey::derive(&pending.keys.tsk, client_key).map_err(non_contributory)?;
    let expected = handshake::vouch(
        &handshake::vouch_key(&ss1, &ss2)?,
        &pending.keys.sck,
        &pending.keys.tck_public,
    );
    if !ct_eq(&expected, &pending.vouch) {
        return Err(TransportError::VouchMismatch);
    }
    let version = pending.extensions.payload_version_or_default();
    if version & !KNOWN_FEATURES != 0 {
        return Err(TransportError::UnsupportedPayloadVersion { version });
    }
    Ok(())
}

/// TR-14: the login-ack, sealed with the next relay counter (2).
pub(super) fn login_ack(keys: &mut LoginKeys, ack: &LoginAck) -> Result<Vec<u8>, TransportError> {
    let data = handshake::login_ack_data(ack);
    let sealed = keys.key.seal(&keys.send.take()?, &data);
    Ok(sealed)
}

/// TR-26: a failed login still gets a login-ack (server time `now`, nothing queued) and then
/// the close-error, so the client learns why.
pub(super) fn close_login(
    keys: &mut LoginKeys,
    error: &TransportError,
    now: Timestamp,
) -> Vec<Vec<u8>> {
    let Some(close) = error.close_error() else {
        return Vec::new();
    };
    let ack = LoginAck {
        server_time: now,
        queued_count: 0,
    };
    let Ok(ack) = login_ack(keys, &ack) else {
        return Vec::new();
    };
    let payload = Payload::CloseError {
        can_reconnect: close.can_reconnect,
        message: close.message,
    };
    match seal_frame(&keys.key, &mut keys.send, &payload.encode()) {
        Ok(frame) => vec![ack, frame],
        Err(_) => vec![ack],
    }
}
