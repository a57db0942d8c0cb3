//! The transport end to end: a client and a relay in memory on virtual time (TR-3 to TR-31).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::testing::{
    Binding, ClientEvent, Directory, LinkConfig, Pair, RelayEvent, seeded_rng,
};
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::payload::{BlobChunk, MessageAck};
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, CloseCause, LoginRequest, Payload, RelayConfig,
    RelayConnection, RelayOutput, TransportError,
};

const START: Timestamp = Timestamp::from_secs(1_700_000_000);

fn relay_secret() -> SecretKey {
    SecretKey::from_bytes([0x52; 32])
}

fn client_keys(seed: u64) -> IdentityKeys {
    IdentityKeys::generate(&mut seeded_rng(seed))
}

fn client_config(seed: u64) -> ClientConfig {
    ClientConfig::new(client_keys(seed), vec![relay_secret().public_key()])
}

fn connect(config: ClientConfig, seed: u64) -> Pair {
    Pair::new(config, RelayConfig::new(relay_secret()), seed, START)
}

fn client_failure(pair: &Pair) -> Option<&TransportError> {
    pair.client_events.iter().find_map(|e| match e {
        ClientEvent::Failed(error) => Some(error),
        _ => None,
    })
}

fn relay_failure(pair: &Pair) -> Option<&TransportError> {
    pair.relay_events.iter().find_map(|e| match e {
        RelayEvent::Failed(error) => Some(error),
        _ => None,
    })
}

fn closed_by_relay(pair: &Pair) -> (bool, String) {
    match client_failure(pair) {
        Some(TransportError::ClosedByRelay {
            can_reconnect,
            reason,
        }) => (*can_reconnect, reason.code().to_owned()),
        other => panic!("expected a close-error, got {other:?}"),
    }
}

#[test]
fn first_login_binds_the_identity_and_reports_time_and_queue() {
    let config = client_config(1);
    let identity = config.keys.identity();
    let public = config.keys.public_key();
    let mut pair = connect(config, 1);
    pair.queued_count = 7;
    assert!(pair.run_until_established(1_000));
    // Two round trips of 10 ms each way: the relay accepted at START + 30 ms.
    assert_eq!(
        pair.client_events.first(),
        Some(&ClientEvent::Established(
            saltrelay_protocol::transport::LoginAck {
                server_time: START.plus_millis(30),
                queued_count: 7,
            }
        ))
    );
    assert!(pair.relay.is_established());
    assert_eq!(pair.directory.lookup(&identity), Some(public));
    assert!(pair.relay_events.contains(&RelayEvent::LoginVerified {
        identity,
        binding: Binding::Bound
    }));
}

#[test]
fn messages_and_acks_flow_both_ways() {
    let mut pair = connect(client_config(2), 2);
    assert!(pair.run_until_established(1_000));
    let peer = "ECHOECHO".parse().unwrap();
    pair.client_send(&Payload::OutgoingMessage(vec![0xaa; 300]))
        .unwrap();
    pair.run_for(50);
    assert_eq!(
        pair.relay_received(),
        vec![&Payload::OutgoingMessage(vec![0xaa; 300])]
    );
    let ack = MessageAck {
        identity: peer,
        message_id: 99,
    };
    pair.relay_send(&Payload::OutgoingMessageAck(ack)).unwrap();
    pair.relay_send(&Payload::IncomingMessage(vec![0xbb; 7000]))
        .unwrap();
    pair.relay_send(&Payload::QueueSendComplete).unwrap();
    pair.run_for(50);
    assert_eq!(
        pair.client_received(),
        vec![
            &Payload::OutgoingMessageAck(ack),
            &Payload::IncomingMessage(vec![0xbb; 7000]),
            &Payload::QueueSendComplete
        ]
    );
    pair.client_send(&Payload::IncomingMessageAck(ack)).unwrap();
    pair.run_for(50);
    assert_eq!(pair.relay_received().len(), 2);
    assert!(client_failure(&pair).is_none() && relay_failure(&pair).is_none());
}

#[test]
fn keep_alive_holds_an_idle_connection_open() {
    let mut pair = connect(client_config(3), 3);
    assert!(pair.run_until_established(1_000));
    pair.run_for(30 * 60 * 1000);
    assert!(pair.client.is_established() && pair.relay.is_established());
    // An echo every 150 s: twelve in 30 minutes, the last answer still in flight at the end.
    // The relay answers them without reporting them.
    let echoes = pair
        .client_received()
        .iter()
        .filter(|p| matches!(p, Payload::EchoResponse(_)))
        .count();
    assert_eq!(echoes, 11);
    assert!(pair.relay_received().is_empty());
}

#[test]
fn a_shorter_idle_timeout_is_requested_and_kept_alive() {
    let mut config = client_config(4);
    config.idle_timeout_secs = 30;
    let mut pair = connect(config, 4);
    assert!(pair.run_until_established(1_000));
    pair.run_for(10 * 60 * 1000);
    assert!(pair.relay.is_established(), "{:?}", relay_failure(&pair));
}

#[test]
fn a_silent_client_hits_the_idle_timeout() {
    let mut config = client_config(5);
    config.keepalive_ms = Some(24 * 3600 * 1000);
    let mut pair = connect(config, 5);
    assert!(pair.run_until_established(1_000));
    pair.run_for(301 * 1000);
    assert_eq!(relay_failure(&pair), Some(&TransportError::IdleTimeout));
    assert_eq!(closed_by_relay(&pair), (true, "idle_timeout".into()));
}

#[test]
fn an_unanswered_echo_fails_the_client() {
    let mut pair = connect(client_config(6), 6);
    assert!(pair.run_until_established(1_000));
    let lost = LinkConfig {
        drop_per_mille: 1000,
        ..LinkConfig::default()
    };
    pair.set_links(LinkConfig::default(), lost);
    pair.run_for(200 * 1000);
    assert_eq!(client_failure(&pair), Some(&TransportError::EchoTimeout));
}

#[test]
fn a_lost_handshake_times_out_on_both_sides() {
    let lost = LinkConfig {
        drop_per_mille: 1000,
        ..LinkConfig::default()
    };
    let mut pair = connect(client_config(7), 7).with_links(LinkConfig::default(), lost);
    pair.run_for(60_000);
    assert_eq!(
        client_failure(&pair),
        Some(&TransportError::HandshakeTimeout)
    );
    assert_eq!(
        relay_failure(&pair),
        Some(&TransportError::HandshakeTimeout)
    );
}

#[test]
fn bytes_split_into_single_bytes_with_jitter_still_work() {
    let link = LinkConfig {
        latency_ms: 5,
        jitter_ms: 20,
        max_chunk: 1,
        reorder: false,
        drop_per_mille: 0,
    };
    let mut pair = connect(client_config(8), 8).with_links(link, link);
    assert!(pair.run_until_established(10_000));
    pair.client_send(&Payload::BlobUploadChunk(BlobChunk {
        request_id: 1,
        offset: 0,
        data: vec![3; 8164],
    }))
    .unwrap();
    pair.run_for(5_000);
    assert_eq!(pair.relay_received().len(), 1);
}

#[test]
fn reordered_or_dropped_bytes_end_in_a_defined_failure() {
    for seed in 0..20 {
        let broken = LinkConfig {
            latency_ms: 5,
            jitter_ms: 30,
            max_chunk: 7,
            reorder: seed % 2 == 0,
            drop_per_mille: if seed % 2 == 0 { 0 } else { 50 },
        };
        let mut pair = connect(client_config(seed), seed).with_links(broken, broken);
        pair.run_for(2_000);
        for _ in 0..5 {
            let _ = pair.client_send(&Payload::OutgoingMessage(vec![1; 500]));
        }
        pair.run_for(120_000);
        // Either side may fail, but only with a transport error, and a failed side stays so.
        if let Some(error) = relay_failure(&pair) {
            assert_eq!(pair.relay.error(), Some(error));
        }
        if let Some(error) = client_failure(&pair) {
            assert_eq!(pair.client.error(), Some(error));
        }
    }
}

#[test]
fn a_taken_identity_is_refused_with_a_clear_reason() {
    let config = client_config(9);
    let mut directory = Directory::default();
    directory.bind(config.keys.identity(), PublicKey::from_bytes([9; 32]));
    let mut pair = connect(config, 9).with_directory(directory);
    pair.run_for(1_000);
    assert_eq!(relay_failure(&pair), Some(&TransportError::IdentityTaken));
    assert_eq!(closed_by_relay(&pair), (false, "identity_taken".into()));
}

#[test]
fn later_logins_without_the_key_use_the_bound_one() {
    let mut directory = Directory::default();
    let keys = client_keys(10);
    directory.bind(keys.identity(), keys.public_key());
    let mut config = ClientConfig::new(keys, vec![relay_secret().public_key()]);
    config.offer_public_key = false;
    let mut pair = connect(config, 10).with_directory(directory);
    assert!(pair.run_until_established(1_000));
    assert!(matches!(
        pair.relay_events.first(),
        Some(RelayEvent::KeyRequested(_))
    ));
}

#[test]
fn an_unknown_identity_without_a_key_is_refused() {
    let mut config = client_config(11);
    config.offer_public_key = false;
    let mut pair = connect(config, 11);
    pair.run_for(1_000);
    assert_eq!(relay_failure(&pair), Some(&TransportError::IdentityUnknown));
    assert_eq!(closed_by_relay(&pair), (false, "identity_unknown".into()));
}

#[test]
fn a_vouch_for_another_key_is_refused() {
    let mut config = client_config(12);
    config.offer_public_key = false;
    let mut directory = Directory::default();
    directory.bind(config.keys.identity(), client_keys(99).public_key());
    let mut pair = connect(config, 12).with_directory(directory);
    pair.run_for(1_000);
    assert_eq!(relay_failure(&pair), Some(&TransportError::VouchMismatch));
    assert_eq!(closed_by_relay(&pair), (false, "vouch_mismatch".into()));
}

#[test]
fn the_client_tries_each_relay_key_in_turn() {
    let other = SecretKey::from_bytes([0x11; 32]).public_key();
    let mut config = client_config(13);
    config.relay_keys = vec![other, relay_secret().public_key()];
    let mut pair = connect(config, 13);
    assert!(pair.run_until_established(1_000));

    let mut config = client_config(14);
    config.relay_keys = vec![other];
    let mut pair = connect(config, 14);
    pair.run_for(60_000);
    assert_eq!(
        client_failure(&pair),
        Some(&TransportError::ServerHelloAuthFailed)
    );
}

#[test]
fn an_unknown_payload_version_completes_the_handshake_then_closes() {
    let mut config = client_config(15);
    config.extensions.payload_version = Some(0x80);
    let mut pair = connect(config, 15);
    pair.run_for(1_000);
    assert!(matches!(
        pair.client_events.first(),
        Some(ClientEvent::Established(_))
    ));
    assert_eq!(
        relay_failure(&pair),
        Some(&TransportError::UnsupportedPayloadVersion { version: 0x80 })
    );
    assert_eq!(
        closed_by_relay(&pair),
        (false, "unsupported_payload_version".into())
    );
}

#[test]
fn a_replaced_connection_is_closed_without_reconnect() {
    let mut pair = connect(client_config(16), 16);
    assert!(pair.run_until_established(1_000));
    pair.relay_close(CloseCause::Replaced);
    pair.run_for(1_000);
    assert_eq!(closed_by_relay(&pair), (false, "replaced".into()));
    assert_eq!(
        pair.relay_send(&Payload::QueueSendComplete),
        Err(TransportError::Replaced)
    );
}

#[test]
fn a_forged_frame_fails_the_relay_and_the_client_is_told() {
    let mut pair = connect(client_config(17), 17);
    assert!(pair.run_until_established(1_000));
    let mut forged = vec![40, 0];
    forged.extend_from_slice(&[0x5a; 40]);
    pair.inject_to_relay(&forged);
    pair.run_for(1_000);
    assert_eq!(relay_failure(&pair), Some(&TransportError::FrameAuthFailed));
    assert_eq!(closed_by_relay(&pair), (true, "frame_auth_failed".into()));
}

#[test]
fn a_cut_frame_is_truncated_and_an_oversized_one_refused() {
    let mut pair = connect(client_config(18), 18);
    assert!(pair.run_until_established(1_000));
    pair.inject_to_relay(&[0x01, 0x20]);
    pair.run_for(100);
    assert_eq!(
        relay_failure(&pair),
        Some(&TransportError::FrameTooLarge { len: 0x2001 })
    );

    let mut pair = connect(client_config(19), 19);
    assert!(pair.run_until_established(1_000));
    pair.inject_to_relay(&[40, 0, 1, 2, 3]);
    pair.run_for(100);
    assert_eq!(pair.relay.handle_eof().unwrap_err().code(), "truncated");
}

#[test]
fn caller_misuse_is_refused_without_failing() {
    let mut pair = connect(client_config(20), 20);
    assert_eq!(
        pair.client_send(&Payload::EchoRequest(vec![])),
        Err(TransportError::NotEstablished)
    );
    assert!(pair.run_until_established(1_000));
    assert_eq!(
        pair.client_send(&Payload::QueueSendComplete)
            .unwrap_err()
            .code(),
        "wrong_direction"
    );
    assert_eq!(
        pair.client_send(&Payload::OutgoingMessage(vec![0; 8173]))
            .unwrap_err()
            .code(),
        "payload_too_large"
    );
    pair.client_send(&Payload::OutgoingMessage(vec![0; 8172]))
        .unwrap();
    pair.run_for(100);
    assert_eq!(pair.relay_received().len(), 1);
}

#[test]
fn lookups_and_blob_payloads_pass_through() {
    let mut pair = connect(client_config(21), 21);
    assert!(pair.run_until_established(1_000));
    let request = Payload::KeyLookupRequest {
        request_id: 5,
        identity: "ECHOECHO".parse().unwrap(),
    };
    pair.client_send(&request).unwrap();
    pair.client_send(&Payload::BlobDone { blob_id: [1; 16] })
        .unwrap();
    pair.run_for(100);
    assert_eq!(
        pair.relay_received(),
        vec![&request, &Payload::BlobDone { blob_id: [1; 16] }]
    );
    let response = Payload::KeyLookupResponse {
        request_id: 5,
        public_key: None,
    };
    pair.relay_send(&response).unwrap();
    pair.run_for(100);
    assert_eq!(pair.client_received(), vec![&response]);
}

/// Runs a client against a relay by hand until the relay asks for a login decision.
fn login_request(seed: u64) -> (RelayConnection, LoginRequest) {
    let mut client = ClientConnection::start(client_config(seed), &mut seeded_rng(seed), START);
    let mut relay = RelayConnection::start(
        RelayConfig::new(relay_secret()),
        &mut seeded_rng(seed + 1),
        START,
    );
    loop {
        let mut to_relay = Vec::new();
        while let Some(output) = client.poll_output() {
            if let ClientOutput::Send(bytes) = output {
                to_relay.extend(bytes);
            }
        }
        relay.handle_bytes(START, &to_relay).unwrap();
        let mut to_client = Vec::new();
        while let Some(output) = relay.poll_output() {
            match output {
                RelayOutput::Send(bytes) => to_client.extend(bytes),
                RelayOutput::LoginRequest(request) => return (relay, request),
                other => panic!("unexpected {other:?}"),
            }
        }
        client.handle_bytes(START, &to_client).unwrap();
    }
}

#[test]
fn a_login_token_only_works_on_its_own_connection() {
    let (mut first, first_request) = login_request(30);
    let (mut second, second_request) = login_request(40);
    assert_eq!(
        second.accept(first_request, START, 0).unwrap_err().code(),
        "wrong_state"
    );
    assert!(!second.is_established() && second.error().is_none());
    second.accept(second_request, START, 0).unwrap();
    assert!(second.is_established());
    assert_eq!(
        first.close(CloseCause::Unavailable, START),
        Err(TransportError::NotEstablished)
    );
}
