//! Fuzz target: the relay's connection machine (TR-4, TR-12 to TR-30).
//!
//! Byte 0 picks a mode; the rest is fuzz data:
//! - 0: raw bytes from the client, in two halves;
//! - 1: a valid client-hello, then the data as the login plaintexts: 128 bytes of login data
//!   (the vouch, cookie and length fields filled in on even byte 1) and the extensions, both
//!   properly sealed, so the parser behind the boxes is reached;
//! - 2: a valid handshake, then the data as raw frame bytes;
//! - 3: a valid handshake, then the data as containers of properly sealed frames, split at
//!   every 0xff byte.
//! Afterwards the timeout and the end of the stream are fed too. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand_core::Rng as _;
use saltrelay_protocol::crypto::{BoxKey, Nonce, SecretKey};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::frame::{CounterNonce, FrameKey, seal_frame};
use saltrelay_protocol::transport::handshake;
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, RelayConfig, RelayConnection, RelayOutput,
};

const RELAY_SEED: u64 = 2;

fn relay_key() -> SecretKey {
    SecretKey::from_bytes([0x52; 32])
}

/// Drains the relay, answering its requests the way a directory with no bindings would.
fn drain(relay: &mut RelayConnection, now: Timestamp) -> Vec<u8> {
    let mut sent = Vec::new();
    while let Some(output) = relay.poll_output() {
        match output {
            RelayOutput::Send(bytes) => sent.extend_from_slice(&bytes),
            RelayOutput::KeyRequest(request) => {
                let _ = relay.provide_key(request, None, now);
            }
            RelayOutput::LoginRequest(request) => {
                let _ = relay.accept(request, now, 1);
            }
            RelayOutput::Received(_) => {}
        }
    }
    sent
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let now = Timestamp::from_secs(1_700_000_000);
    let mut relay = RelayConnection::start(RelayConfig::new(relay_key()), &mut seeded_rng(RELAY_SEED), now);
    let keys = IdentityKeys::generate(&mut seeded_rng(7));
    let client_secret = keys.secret_key().clone_for_testing();
    let identity = keys.identity();
    let mut client = ClientConnection::start(
        ClientConfig::new(keys, vec![relay_key().public_key()]),
        &mut seeded_rng(8),
        now,
    );
    let mut to_relay = Vec::new();
    while let Some(output) = client.poll_output() {
        if let ClientOutput::Send(bytes) = output {
            to_relay.extend_from_slice(&bytes);
        }
    }
    match mode % 4 {
        0 => {
            let (a, b) = data.split_at(data.len() / 2);
            let _ = relay.handle_bytes(now, a);
            drain(&mut relay, now);
            let _ = relay.handle_bytes(now, b);
        }
        1 => {
            // The relay's random values, drawn as it draws them (TR-4).
            let mut rng = seeded_rng(RELAY_SEED);
            let tsk = SecretKey::generate(&mut rng);
            let mut sck = [0u8; 16];
            rng.fill_bytes(&mut sck);
            let _ = relay.handle_bytes(now, &to_relay);
            drain(&mut relay, now);
            let tck_secret = {
                let mut rng = seeded_rng(8);
                SecretKey::generate(&mut rng)
            };
            let mut cck = [0u8; 16];
            cck.copy_from_slice(&to_relay[32..48]);
            let session = BoxKey::derive(&tck_secret, &tsk.public_key()).expect("contributory");
            let key = FrameKey::from_bytes(*session.expose_secret());
            let (head, ext) = data.split_at(data.len().min(128));
            let mut login_data = [0u8; 128];
            login_data[..head.len()].copy_from_slice(head);
            if data.first().is_some_and(|b| b % 2 == 0) {
                let ss1 = BoxKey::derive(&client_secret, &relay_key().public_key()).expect("ok");
                let ss2 = BoxKey::derive(&client_secret, &tsk.public_key()).expect("ok");
                let vouch = handshake::vouch(&handshake::vouch_key(&ss1, &ss2).expect("ok"), &sck, &tck_secret.public_key());
                let len = u16::try_from(ext.len() + 16).unwrap_or(u16::MAX);
                login_data = handshake::login_data(&identity, len, &sck, &vouch);
            }
            let mut login = key.seal(&Nonce::from_cookie_and_counter(&cck, 1), &login_data);
            login.extend_from_slice(&key.seal(&Nonce::from_cookie_and_counter(&cck, 2), ext));
            let _ = relay.handle_bytes(now, &login);
        }
        mode => {
            let _ = relay.handle_bytes(now, &to_relay);
            let reply = drain(&mut relay, now);
            let _ = client.handle_bytes(now, &reply);
            let mut login = Vec::new();
            while let Some(output) = client.poll_output() {
                if let ClientOutput::Send(bytes) = output {
                    login.extend_from_slice(&bytes);
                }
            }
            let _ = relay.handle_bytes(now, &login);
            drain(&mut relay, now);
            if mode == 2 {
                let _ = relay.handle_bytes(now, data);
            } else {
                let mut rng = seeded_rng(RELAY_SEED);
                let tsk = SecretKey::generate(&mut rng);
                let tck = SecretKey::generate(&mut seeded_rng(8));
                let session = BoxKey::derive(&tck, &tsk.public_key()).expect("contributory");
                let key = FrameKey::from_bytes(*session.expose_secret());
                let mut cck = [0u8; 16];
                cck.copy_from_slice(&to_relay[32..48]);
                let mut counter = CounterNonce::new(cck, 3);
                for container in data.split(|&b| b == 0xff) {
                    if let Ok(frame) = seal_frame(&key, &mut counter, container) {
                        let _ = relay.handle_bytes(now, &frame);
                        drain(&mut relay, now);
                    }
                }
            }
        }
    }
    drain(&mut relay, now);
    let _ = relay.handle_timeout(now.plus_millis(400_000));
    drain(&mut relay, now);
    let _ = relay.handle_eof();
});
