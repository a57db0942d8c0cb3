//! Fuzz target: the `0xa0` envelope decoder and the forward-secrecy session machine
//! (spec/06-forward-secrecy.md, FS-3, FS-23 to FS-34).
//!
//! Input: byte 0 picks the receiver (even: Bob in R24, odd: Alice in L20, after one message
//! from Alice); the rest is an envelope. A decoded envelope must re-encode to bytes that decode
//! to the same envelope; the machine must answer every input with outputs or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saltrelay_protocol::crypto::SecretKey;
use saltrelay_protocol::e2e::{Message, MessageId};
use saltrelay_protocol::session::{Envelope, Output, PeerSessions};
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::time::Timestamp;

fuzz_target!(|input: &[u8]| {
    let Some((&pick, bytes)) = input.split_first() else {
        return;
    };
    if let Ok(envelope) = Envelope::decode(bytes) {
        let again = Envelope::decode(&envelope.encode()).expect("re-encoded envelope decodes");
        assert_eq!(again, envelope);
    }
    let mut rng = seeded_rng(7);
    let (alice_id, bob_id) = ("ALICE001".parse().unwrap(), "BOBBY002".parse().unwrap());
    let alice_secret = SecretKey::from_bytes([0x11; 32]);
    let bob_secret = SecretKey::from_bytes([0x22; 32]);
    let (alice_pub, bob_pub) = (alice_secret.public_key(), bob_secret.public_key());
    let mut alice = PeerSessions::new(alice_id, alice_secret, bob_id, bob_pub).unwrap();
    let mut bob = PeerSessions::new(bob_id, bob_secret, alice_id, alice_pub).unwrap();
    let now = Timestamp::from_secs(1);
    alice
        .send(now, &mut rng, MessageId::from_u64(1), &Message::Text("hi".into()))
        .unwrap();
    while let Some(out) = alice.poll_output() {
        if let Output::Control(envelope) | Output::Encapsulated { envelope, .. } = out {
            let _ = bob.handle_envelope(now, &mut rng, MessageId::from_u64(2), &envelope);
        }
    }
    while bob.poll_output().is_some() {}
    let target = if pick % 2 == 0 { &mut bob } else { &mut alice };
    let _ = target.handle_envelope(now, &mut rng, MessageId::from_u64(3), bytes);
    while target.poll_output().is_some() {}
    let _ = target.export();
});
