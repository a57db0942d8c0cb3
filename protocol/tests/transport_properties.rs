//! Property tests of the transport: codec round trips, split-invariance, and no panic on any
//! bytes (TR-10, TR-16, TR-18, TR-30, TR-31).

use proptest::prelude::*;
use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::{ALPHABET, Identity, IdentityKeys};
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::frame::{CounterNonce, FrameDecoder, FrameKey, seal_frame};
use saltrelay_protocol::transport::payload::{BlobChunk, BlobStatus, MessageAck, PushToken};
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, LoginExtensions, Payload, RelayConfig, RelayConnection,
};

fn identity() -> impl Strategy<Value = Identity> {
    proptest::collection::vec(0..36usize, 8).prop_map(|idx| {
        let bytes: Vec<u8> = idx.iter().map(|&i| ALPHABET[i]).collect();
        Identity::from_bytes(&bytes).unwrap()
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn status() -> impl Strategy<Value = BlobStatus> {
    prop_oneof![
        Just(BlobStatus::NotFound),
        Just(BlobStatus::TooLarge),
        Just(BlobStatus::BadChunk),
        Just(BlobStatus::Unavailable)
    ]
}

fn chunk() -> impl Strategy<Value = BlobChunk> {
    (
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 1..64),
    )
        .prop_map(|(request_id, offset, data)| BlobChunk {
            request_id,
            offset,
            data,
        })
}

fn payload() -> impl Strategy<Value = Payload> {
    let ack = (identity(), any::<u64>())
        .prop_map(|(identity, message_id)| MessageAck {
            identity,
            message_id,
        })
        .boxed();
    let token = (any::<u8>(), bytes(256))
        .prop_map(|(kind, token)| PushToken { kind, token })
        .boxed();
    prop_oneof![
        bytes(64).prop_map(Payload::EchoRequest),
        bytes(64).prop_map(Payload::EchoResponse),
        bytes(300).prop_map(Payload::OutgoingMessage),
        bytes(300).prop_map(Payload::IncomingMessage),
        ack.clone().prop_map(Payload::OutgoingMessageAck),
        ack.prop_map(Payload::IncomingMessageAck),
        Just(Payload::UnblockIncomingMessages),
        token.clone().prop_map(Payload::SetPushToken),
        token.prop_map(Payload::SetVoipPushToken),
        proptest::collection::vec(any::<u64>(), 0..5).prop_map(Payload::DeletePushTokens),
        (30u16..=600).prop_map(Payload::SetIdleTimeout),
        (
            prop_oneof![Just(0x21u8), Just(0x22), Just(0x23), Just(0x31), Just(0xd1)],
            bytes(8)
        )
            .prop_map(|(payload_type, data)| Payload::Obsolete { payload_type, data }),
        Just(Payload::QueueSendComplete),
        Just(Payload::DeviceCookieChangeIndication),
        Just(Payload::ClearDeviceCookieChangeIndication),
        (any::<bool>(), ".{0,40}").prop_map(|(can_reconnect, message)| Payload::CloseError {
            can_reconnect,
            message
        }),
        ".{0,40}".prop_map(Payload::Alert),
        (any::<u32>(), identity()).prop_map(|(request_id, identity)| Payload::KeyLookupRequest {
            request_id,
            identity
        }),
        (any::<u32>(), proptest::option::of(any::<[u8; 32]>())).prop_map(|(request_id, key)| {
            Payload::KeyLookupResponse {
                request_id,
                public_key: key.map(PublicKey::from_bytes),
            }
        }),
        (any::<u32>(), any::<u32>(), any::<bool>()).prop_map(|(request_id, length, persist)| {
            Payload::BlobUploadRequest {
                request_id,
                length,
                persist,
            }
        }),
        chunk().prop_map(Payload::BlobUploadChunk),
        (
            any::<u32>(),
            prop_oneof![any::<[u8; 16]>().prop_map(Ok), status().prop_map(Err)]
        )
            .prop_map(|(request_id, result)| Payload::BlobUploadResponse { request_id, result }),
        (any::<u32>(), any::<[u8; 16]>()).prop_map(|(request_id, blob_id)| {
            Payload::BlobDownloadRequest {
                request_id,
                blob_id,
            }
        }),
        (
            any::<u32>(),
            prop_oneof![any::<u32>().prop_map(Ok), status().prop_map(Err)]
        )
            .prop_map(|(request_id, result)| Payload::BlobDownloadResponse { request_id, result }),
        chunk().prop_map(Payload::BlobDownloadChunk),
        any::<[u8; 16]>().prop_map(|blob_id| Payload::BlobDone { blob_id }),
    ]
}

fn relay_config() -> RelayConfig {
    RelayConfig::new(SecretKey::from_bytes([0x52; 32]))
}

fn client_config() -> ClientConfig {
    let keys = IdentityKeys::generate(&mut seeded_rng(1));
    ClientConfig::new(keys, vec![SecretKey::from_bytes([0x52; 32]).public_key()])
}

proptest! {
    #[test]
    fn payloads_round_trip(payload in payload()) {
        prop_assert_eq!(Payload::decode(&payload.encode()).unwrap(), payload);
    }

    #[test]
    fn decoding_any_container_is_total_and_stable(container in bytes(200)) {
        // TR-18: either an error code or a payload that encodes back to a decodable container.
        if let Ok(payload) = Payload::decode(&container) {
            prop_assert_eq!(Payload::decode(&payload.encode()).unwrap(), payload);
        }
    }

    #[test]
    fn extensions_round_trip(info in proptest::option::of(".{0,30}"), id in proptest::option::of(any::<u64>()),
                             version in proptest::option::of(any::<u8>()),
                             cookie in proptest::option::of(any::<[u8; 16]>()),
                             key in proptest::option::of(any::<[u8; 32]>()), junk in bytes(40)) {
        let ext = LoginExtensions { client_info: info, device_id: id, payload_version: version,
                                    device_cookie: cookie, client_key: key.map(PublicKey::from_bytes) };
        prop_assert_eq!(LoginExtensions::decode(&ext.encode()).unwrap(), ext);
        let _ = LoginExtensions::decode(&junk);
    }

    #[test]
    fn frames_decode_the_same_however_the_stream_is_split(
        sizes in proptest::collection::vec(0usize..300, 1..6), cuts in proptest::collection::vec(any::<u16>(), 0..20)) {
        let key = FrameKey::from_bytes([9; 32]);
        let mut send = CounterNonce::new([1; 16], 3);
        let stream: Vec<u8> = sizes.iter().flat_map(|&n| seal_frame(&key, &mut send, &vec![0u8; n + 4]).unwrap()).collect();
        let mut points: Vec<usize> = cuts.iter().map(|&c| usize::from(c) % (stream.len() + 1)).collect();
        points.sort_unstable();
        let mut decoder = FrameDecoder::new();
        let mut boxes = Vec::new();
        let mut last = 0;
        for point in points.into_iter().chain([stream.len()]) {
            decoder.push(&stream[last..point]);
            last = point;
            while let Some(sealed) = decoder.next_box().unwrap() {
                boxes.push(sealed.len());
            }
        }
        prop_assert_eq!(boxes, sizes.iter().map(|n| n + 4 + 16).collect::<Vec<_>>());
    }

    #[test]
    fn the_relay_survives_any_bytes(chunks in proptest::collection::vec(bytes(300), 0..6)) {
        let mut relay = RelayConnection::start(relay_config(), &mut seeded_rng(2), Timestamp::ZERO);
        let mut first_error = None;
        for (i, chunk) in chunks.iter().enumerate() {
            let result = relay.handle_bytes(Timestamp::from_millis(i as u64), chunk);
            while relay.poll_output().is_some() {}
            if let Err(error) = result {
                // TR-30: the first error sticks.
                prop_assert_eq!(first_error.get_or_insert(error.clone()), &error);
            }
        }
        let _ = relay.handle_timeout(Timestamp::from_secs(3600));
        let _ = relay.handle_eof();
    }

    #[test]
    fn the_client_survives_any_bytes(chunks in proptest::collection::vec(bytes(300), 0..6)) {
        let mut client = ClientConnection::start(client_config(), &mut seeded_rng(3), Timestamp::ZERO);
        let mut first_error = None;
        for (i, chunk) in chunks.iter().enumerate() {
            let result = client.handle_bytes(Timestamp::from_millis(i as u64), chunk);
            while client.poll_output().is_some() {}
            if let Err(error) = result {
                prop_assert_eq!(first_error.get_or_insert(error.clone()), &error);
            }
        }
        let _ = client.handle_eof();
    }
}
