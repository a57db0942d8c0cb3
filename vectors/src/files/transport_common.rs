//! Shared by the `transport_*` files: payloads as JSON, and a handshake built by hand from
//! known secrets so cases can alter any field (spec/04-transport.md).

use rand_core::Rng;
use saltrelay_protocol::crypto::{BoxKey, Nonce, PublicKey, SecretKey};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::LoginExtensions;
use saltrelay_protocol::transport::frame::{Cookie, CounterNonce, FrameKey, seal_frame};
use saltrelay_protocol::transport::handshake::{self, LoginAck};
use saltrelay_protocol::transport::payload::{
    BlobChunk, BlobStatus, MessageAck, Payload, PushToken,
};
use serde_json::{Map, Value, json};

use crate::case::Malformed;

/// A payload as the vectors write it: `type` plus its fields (vectors/README.md).
pub(crate) fn payload_json(payload: &Payload) -> Value {
    let hex = |b: &[u8]| Value::from(hex::encode(b));
    let chunk = |c: &BlobChunk| json!({"requestId": c.request_id, "offset": c.offset, "data": hex(&c.data)});
    let ack = |a: &MessageAck| json!({"identity": a.identity.as_str(), "messageId": a.message_id});
    let token = |t: &PushToken| json!({"kind": t.kind, "token": hex(&t.token)});
    let mut fields = match payload {
        Payload::EchoRequest(d)
        | Payload::EchoResponse(d)
        | Payload::OutgoingMessage(d)
        | Payload::IncomingMessage(d) => {
            json!({"data": hex(d)})
        }
        Payload::OutgoingMessageAck(a) | Payload::IncomingMessageAck(a) => ack(a),
        Payload::SetPushToken(t) | Payload::SetVoipPushToken(t) => token(t),
        Payload::DeletePushTokens(ids) => json!({"deviceIds": ids}),
        Payload::SetIdleTimeout(s) => json!({"seconds": s}),
        Payload::Obsolete { payload_type, data } => {
            json!({"code": payload_type, "data": hex(data)})
        }
        Payload::CloseError {
            can_reconnect,
            message,
        } => json!({"canReconnect": can_reconnect, "message": message}),
        Payload::Alert(m) => json!({"message": m}),
        Payload::KeyLookupRequest {
            request_id,
            identity,
        } => json!({"requestId": request_id, "identity": identity.as_str()}),
        Payload::KeyLookupResponse {
            request_id,
            public_key,
        } => {
            json!({"requestId": request_id, "publicKey": public_key.map(|k| k.to_hex())})
        }
        Payload::BlobUploadRequest {
            request_id,
            length,
            persist,
        } => {
            json!({"requestId": request_id, "length": length, "persist": persist})
        }
        Payload::BlobUploadChunk(c) | Payload::BlobDownloadChunk(c) => chunk(c),
        Payload::BlobUploadResponse { request_id, result } => match result {
            Ok(id) => json!({"requestId": request_id, "status": "ok", "blobId": hex(id)}),
            Err(s) => json!({"requestId": request_id, "status": s.name()}),
        },
        Payload::BlobDownloadRequest {
            request_id,
            blob_id,
        } => json!({"requestId": request_id, "blobId": hex(blob_id)}),
        Payload::BlobDownloadResponse { request_id, result } => match result {
            Ok(len) => json!({"requestId": request_id, "status": "ok", "length": len}),
            Err(s) => json!({"requestId": request_id, "status": s.name()}),
        },
        Payload::BlobDone { blob_id } => json!({"blobId": hex(blob_id)}),
        _ => json!({}),
    };
    let mut out = Map::new();
    out.insert("type".into(), payload.name().into());
    if let Value::Object(map) = &mut fields {
        out.append(map);
    }
    Value::Object(out)
}

/// Every payload the frame file writes one valid case for, with a sample of each type.
pub(crate) fn sample_payloads(rng: &mut impl Rng) -> Vec<Payload> {
    let mut bytes = |len: usize| {
        let mut b = vec![0u8; len];
        rng.fill_bytes(&mut b);
        b
    };
    let identity: Identity = "ECHOECHO".parse().expect("valid");
    let ack = MessageAck {
        identity,
        message_id: u64::from_le_bytes(bytes(8).try_into().expect("8")),
    };
    let blob_id: [u8; 16] = bytes(16).try_into().expect("16");
    vec![
        Payload::EchoRequest(bytes(8)),
        Payload::EchoResponse(bytes(8)),
        Payload::OutgoingMessage(bytes(120)),
        Payload::IncomingMessage(bytes(120)),
        Payload::OutgoingMessageAck(ack),
        Payload::IncomingMessageAck(ack),
        Payload::UnblockIncomingMessages,
        Payload::SetPushToken(PushToken {
            kind: 0x11,
            token: b"fcm-token-1234".to_vec(),
        }),
        Payload::SetVoipPushToken(PushToken {
            kind: 0x05,
            token: bytes(32),
        }),
        Payload::DeletePushTokens(vec![1, 0x0102_0304_0506_0708]),
        Payload::SetIdleTimeout(600),
        Payload::Obsolete {
            payload_type: 0x21,
            data: bytes(3),
        },
        Payload::QueueSendComplete,
        Payload::DeviceCookieChangeIndication,
        Payload::ClearDeviceCookieChangeIndication,
        Payload::CloseError {
            can_reconnect: false,
            message: "identity_taken: this identity is bound to another public key".into(),
        },
        Payload::Alert("Grüezi: the relay restarts at midnight".into()),
        Payload::KeyLookupRequest {
            request_id: 1,
            identity,
        },
        Payload::KeyLookupResponse {
            request_id: 1,
            public_key: Some(PublicKey::from_bytes(bytes(32).try_into().expect("32"))),
        },
        Payload::KeyLookupResponse {
            request_id: 2,
            public_key: None,
        },
        Payload::BlobUploadRequest {
            request_id: 3,
            length: 20_000,
            persist: true,
        },
        Payload::BlobUploadChunk(BlobChunk {
            request_id: 3,
            offset: 0,
            data: bytes(64),
        }),
        Payload::BlobUploadResponse {
            request_id: 3,
            result: Ok(blob_id),
        },
        Payload::BlobUploadResponse {
            request_id: 4,
            result: Err(BlobStatus::TooLarge),
        },
        Payload::BlobDownloadRequest {
            request_id: 5,
            blob_id,
        },
        Payload::BlobDownloadResponse {
            request_id: 5,
            result: Ok(20_000),
        },
        Payload::BlobDownloadResponse {
            request_id: 6,
            result: Err(BlobStatus::NotFound),
        },
        Payload::BlobDownloadChunk(BlobChunk {
            request_id: 5,
            offset: 8164,
            data: bytes(64),
        }),
        Payload::BlobDone { blob_id },
    ]
}

/// Every secret and random value of one connection, drawn from a generator's RNG.
pub(crate) struct Secrets {
    pub(crate) client: IdentityKeys,
    pub(crate) relay: SecretKey,
    pub(crate) tck: SecretKey,
    pub(crate) cck: Cookie,
    pub(crate) tsk: SecretKey,
    pub(crate) sck: Cookie,
    pub(crate) sck_alternative: Cookie,
}

impl Secrets {
    pub(crate) fn draw(rng: &mut impl Rng, identity: &str) -> Self {
        let mut cookie = || {
            let mut c = [0u8; 16];
            rng.fill_bytes(&mut c);
            c
        };
        let (cck, sck, sck_alternative) = (cookie(), cookie(), cookie());
        let mut key = || {
            let mut k = [0u8; 32];
            rng.fill_bytes(&mut k);
            SecretKey::from_bytes(k)
        };
        Self {
            client: IdentityKeys::from_parts(identity.parse().expect("valid identity"), key()),
            relay: key(),
            tck: key(),
            cck,
            tsk: key(),
            sck,
            sck_alternative,
        }
    }

    /// The client's RNG bytes: `TCK.secret || CCK` (TR-3).
    pub(crate) fn client_random(&self) -> Vec<u8> {
        [self.tck.expose_secret().as_slice(), &self.cck].concat()
    }

    /// The relay's RNG bytes: `TSK.secret || SCK || SCK'` (TR-4).
    pub(crate) fn relay_random(&self) -> Vec<u8> {
        [
            self.tsk.expose_secret().as_slice(),
            &self.sck,
            &self.sck_alternative,
        ]
        .concat()
    }

    pub(crate) fn client_hello(&self) -> Vec<u8> {
        handshake::client_hello(&self.tck.public_key(), &self.cck).to_vec()
    }

    /// A server-hello whose box holds `challenge`, sealed by `relay` (TR-4).
    pub(crate) fn server_hello_with(
        &self,
        sck: &Cookie,
        relay: &SecretKey,
        challenge: &[u8],
    ) -> Vec<u8> {
        let key = BoxKey::derive(relay, &self.tck.public_key()).expect("contributory");
        let mut out = sck.to_vec();
        out.extend_from_slice(&key.seal(&Nonce::from_cookie_and_counter(sck, 1), challenge));
        out
    }

    pub(crate) fn server_hello(&self) -> Vec<u8> {
        let challenge = handshake::server_challenge(&self.tsk.public_key(), &self.cck);
        self.server_hello_with(&self.sck, &self.relay, &challenge)
    }

    pub(crate) fn session_key(&self) -> FrameKey {
        let key = BoxKey::derive(&self.tck, &self.tsk.public_key()).expect("contributory");
        FrameKey::from_bytes(*key.expose_secret())
    }

    /// `(SS1, SS2, VouchKey, vouch)` of TR-7, as the client computes them.
    pub(crate) fn vouch_parts(&self) -> (BoxKey, BoxKey, handshake::VouchKey, [u8; 32]) {
        let ss1 = BoxKey::derive(self.client.secret_key(), &self.relay.public_key())
            .expect("contributory");
        let ss2 =
            BoxKey::derive(self.client.secret_key(), &self.tsk.public_key()).expect("contributory");
        let key = handshake::vouch_key(&ss1, &ss2).expect("64 bytes of key material");
        let vouch = handshake::vouch(&key, &self.sck, &self.tck.public_key());
        (ss1, ss2, key, vouch)
    }

    pub(crate) fn vouch(&self) -> [u8; 32] {
        self.vouch_parts().3
    }

    /// The login: boxes of `data` and `extensions` under the session key, `CCK||1`, `CCK||2`.
    pub(crate) fn login_with(&self, data: &[u8], extensions: Option<&[u8]>) -> Vec<u8> {
        let key = self.session_key();
        let mut out = key.seal(&Nonce::from_cookie_and_counter(&self.cck, 1), data);
        if let Some(ext) = extensions {
            out.extend_from_slice(&key.seal(&Nonce::from_cookie_and_counter(&self.cck, 2), ext));
        }
        out
    }

    pub(crate) fn login(&self, extensions: &LoginExtensions) -> Vec<u8> {
        let ext = extensions.encode();
        let len = u16::try_from(ext.len() + 16).expect("short");
        let data = handshake::login_data(&self.client.identity(), len, &self.sck, &self.vouch());
        self.login_with(&data, Some(&ext))
    }

    pub(crate) fn login_ack(&self, server_time: u64, queued_count: u32) -> Vec<u8> {
        let data = handshake::login_ack_data(&LoginAck {
            server_time: Timestamp::from_millis(server_time),
            queued_count,
        });
        self.session_key()
            .seal(&Nonce::from_cookie_and_counter(&self.sck, 2), &data)
    }

    /// A frame from the client with counter `counter` (TR-16).
    pub(crate) fn client_frame(&self, counter: u64, container: &[u8]) -> Vec<u8> {
        seal_frame(
            &self.session_key(),
            &mut CounterNonce::new(self.cck, counter),
            container,
        )
        .expect("fits")
    }

    /// A frame from the relay with counter `counter` (TR-16).
    pub(crate) fn relay_frame(&self, counter: u64, container: &[u8]) -> Vec<u8> {
        seal_frame(
            &self.session_key(),
            &mut CounterNonce::new(self.sck, counter),
            container,
        )
        .expect("fits")
    }
}

/// Login extensions as the vectors write them.
pub(crate) fn extensions_json(ext: &LoginExtensions) -> Value {
    json!({
        "clientInfo": ext.client_info,
        "deviceId": ext.device_id,
        "payloadVersion": ext.payload_version,
        "deviceCookie": ext.device_cookie.map(hex::encode),
        "clientKey": ext.client_key.map(|k| k.to_hex()),
    })
}

/// Reads [`extensions_json`] back.
pub(crate) fn extensions_from_json(value: &Value) -> Result<LoginExtensions, Malformed> {
    let bad = |what: &str| Malformed::new("extensions", what.to_owned());
    let obj = value.as_object().ok_or_else(|| bad("not an object"))?;
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let bytes = |k: &str| -> Result<Option<Vec<u8>>, Malformed> {
        get(k)
            .map(|v| {
                v.as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .ok_or_else(|| bad(k))
            })
            .transpose()
    };
    Ok(LoginExtensions {
        client_info: get("clientInfo")
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad("clientInfo"))
            })
            .transpose()?,
        device_id: get("deviceId")
            .map(|v| v.as_u64().ok_or_else(|| bad("deviceId")))
            .transpose()?,
        payload_version: get("payloadVersion")
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| bad("payloadVersion"))
            })
            .transpose()?,
        device_cookie: bytes("deviceCookie")?
            .map(|b| b.try_into().map_err(|_| bad("deviceCookie")))
            .transpose()?,
        client_key: bytes("clientKey")?
            .map(|b| PublicKey::from_slice(&b).map_err(|_| bad("clientKey")))
            .transpose()?,
    })
}
