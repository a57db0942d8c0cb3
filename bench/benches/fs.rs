//! Benchmarks of forward secrecy (spec/06-forward-secrecy.md) beside the plain E2E layer of
//! the same run: session setup against one X25519 operation, one ratchet step, encapsulate and
//! decapsulate a 1024-byte text (alone and with the outer E2E box) against the plain E2E seal and
//! open with a cached key, and loading the stored sessions of 1,000 peers.

mod support;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use saltrelay_bench::layer::LayerMarker;
use saltrelay_protocol::crypto::{BoxKey, Nonce, SecretKey};
use saltrelay_protocol::e2e::{self, Message, MessageId};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::session::keys::ChainKey;
use saltrelay_protocol::session::{Output, PeerSessions};
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::time::Timestamp;
use support::clock::Clock;

const TEXT_LEN: usize = 1024;
const PAD: u8 = 32;
const PEERS: usize = 1000;
const NOW: Timestamp = Timestamp::from_secs(1_767_225_600);

/// Two fresh machines, Alice and Bob, with their identity keys' bytes.
fn machines(seed: u64) -> (PeerSessions, PeerSessions) {
    let mut rng = seeded_rng(seed);
    let (a, b) = (SecretKey::generate(&mut rng), SecretKey::generate(&mut rng));
    let (a_pub, b_pub) = (a.public_key(), b.public_key());
    let (a_id, b_id) = (Identity::random(&mut rng), Identity::random(&mut rng));
    (
        PeerSessions::new(a_id, a, b_id, b_pub).expect("contributory"),
        PeerSessions::new(b_id, b, a_id, a_pub).expect("contributory"),
    )
}

/// Every envelope `from` has queued, in order; events are dropped.
fn drain(from: &mut PeerSessions) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(output) = from.poll_output() {
        if let Output::Control(envelope) | Output::Encapsulated { envelope, .. } = output {
            out.push(envelope);
        }
    }
    out
}

fn deliver(to: &mut PeerSessions, envelopes: &[Vec<u8>], rng: &mut impl rand_core::CryptoRng) {
    for envelope in envelopes {
        to.handle_envelope(NOW, rng, MessageId::from_u64(1), envelope)
            .expect("a valid envelope");
    }
    drain(to);
}

/// Alice's first message, Bob's Init processing, Alice's Accept processing: both sides' whole
/// 4DH setup (FS-20, FS-24, FS-25).
fn setup(alice: &mut PeerSessions, bob: &mut PeerSessions, rng: &mut impl rand_core::CryptoRng) {
    alice
        .send(
            NOW,
            rng,
            MessageId::from_u64(1),
            &Message::Text("hi".into()),
        )
        .expect("sends");
    let first = drain(alice);
    for envelope in &first {
        bob.handle_envelope(NOW, rng, MessageId::from_u64(1), envelope)
            .expect("valid");
    }
    let accept = drain(bob);
    deliver(alice, &accept, rng);
}

/// Alice in L44 and Bob in R44.
fn established(seed: u64) -> (PeerSessions, PeerSessions) {
    let mut rng = seeded_rng(seed);
    let (mut alice, mut bob) = machines(seed);
    setup(&mut alice, &mut bob, &mut rng);
    alice
        .send(
            NOW,
            &mut rng,
            MessageId::from_u64(2),
            &Message::Text("4dh".into()),
        )
        .expect("sends");
    let m = drain(&mut alice);
    deliver(&mut bob, &m, &mut rng);
    (alice, bob)
}

/// A new 4DH envelope from Alice, alone and inside its outer E2E box.
fn fresh(
    alice: &mut PeerSessions,
    rng: &mut impl rand_core::CryptoRng,
    text: &Message,
    key: &BoxKey,
    nonce: &Nonce,
) -> (Vec<u8>, Vec<u8>) {
    alice
        .send(NOW, rng, MessageId::from_u64(4), text)
        .expect("sends");
    let envelope = drain(alice).pop().expect("one envelope");
    let outer = Message::Unknown {
        type_code: 0xa0,
        body: envelope.clone(),
    };
    (
        envelope,
        e2e::seal_message(key, nonce, &outer, PAD).expect("seals"),
    )
}

#[expect(clippy::too_many_lines, reason = "one bench group, each bench short")]
fn benches(c: &mut Criterion<Clock>) {
    let mut rng = seeded_rng(11);
    let text = Message::Text("x".repeat(TEXT_LEN));
    let sender = SecretKey::generate(&mut rng);
    let recipient = SecretKey::generate(&mut rng);
    let key = BoxKey::derive(&sender, &recipient.public_key()).expect("contributory");
    let nonce = Nonce::random(&mut rng);
    let mut group = c.benchmark_group("fs");

    group.bench_function(BenchmarkId::new("x25519", "box_key"), |b| {
        b.iter(|| BoxKey::derive(&sender, std::hint::black_box(&recipient.public_key())));
    });
    let mut seed = 100;
    group.bench_function(BenchmarkId::new("session_setup", "4dh_both_sides"), |b| {
        b.iter_batched(
            || {
                seed += 1;
                (machines(seed), seeded_rng(seed))
            },
            |((mut alice, mut bob), mut rng)| setup(&mut alice, &mut bob, &mut rng),
            BatchSize::SmallInput,
        );
    });
    let chain = ChainKey::from_bytes([0x42; 32]);
    group.bench_function(BenchmarkId::new("ratchet_step", 1), |b| {
        b.iter(|| std::hint::black_box(&chain).next());
    });

    group.throughput(Throughput::Bytes(TEXT_LEN as u64));
    let sealed_text = e2e::seal_message(&key, &nonce, &text, PAD).expect("seals");
    group.bench_function(BenchmarkId::new("e2e_seal", "text_1024"), |b| {
        b.iter(|| {
            e2e::seal_message(&key, &nonce, std::hint::black_box(&text), PAD).expect("seals")
        });
    });
    group.bench_function(BenchmarkId::new("e2e_open", "text_1024"), |b| {
        b.iter(|| {
            e2e::open_message(&key, &nonce, std::hint::black_box(&sealed_text)).expect("opens")
        });
    });
    // Encapsulating alone runs far ahead of any receiver: its own pair (FS-10's skip limit).
    let (mut alice, _) = established(7);
    group.bench_function(BenchmarkId::new("encapsulate", "text_1024"), |b| {
        b.iter(|| {
            alice
                .send(
                    NOW,
                    &mut rng,
                    MessageId::from_u64(3),
                    std::hint::black_box(&text),
                )
                .expect("sends");
            drain(&mut alice)
        });
    });
    // The whole FS send: encapsulate, then the 0xa0 container in the outer message box.
    group.bench_function(BenchmarkId::new("encapsulate_and_seal", "text_1024"), |b| {
        b.iter(|| {
            alice
                .send(
                    NOW,
                    &mut rng,
                    MessageId::from_u64(3),
                    std::hint::black_box(&text),
                )
                .expect("sends");
            let envelope = drain(&mut alice).pop().expect("one envelope");
            let outer = Message::Unknown {
                type_code: 0xa0,
                body: envelope,
            };
            e2e::seal_message(&key, &nonce, &outer, PAD).expect("seals")
        });
    });
    // Decapsulation consumes the message key: each iteration gets a fresh envelope, sealed
    // (outside the timing) in the outer box too.
    let (mut alice, mut bob) = established(8);
    let mut setup_rng = seeded_rng(12);
    group.bench_function(BenchmarkId::new("decapsulate", "text_1024"), |b| {
        b.iter_batched(
            || fresh(&mut alice, &mut setup_rng, &text, &key, &nonce).0,
            |envelope| {
                bob.handle_envelope(NOW, &mut rng, MessageId::from_u64(4), &envelope)
                    .expect("opens");
                while bob.poll_output().is_some() {}
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function(BenchmarkId::new("open_and_decapsulate", "text_1024"), |b| {
        b.iter_batched(
            || fresh(&mut alice, &mut setup_rng, &text, &key, &nonce).1,
            |sealed| {
                let opened = e2e::open_message(&key, &nonce, &sealed).expect("opens");
                let Message::Unknown { body, .. } = opened.message else {
                    unreachable!("an 0xa0 container decodes as unknown")
                };
                bob.handle_envelope(NOW, &mut rng, MessageId::from_u64(4), &body)
                    .expect("opens");
                while bob.poll_output().is_some() {}
            },
            BatchSize::SmallInput,
        );
    });

    group.throughput(Throughput::Elements(PEERS as u64));
    let stored: Vec<_> = (0..PEERS)
        .map(|i| {
            let seed = 10_000 + i as u64;
            let (_, bob) = established(seed);
            let mut rng = seeded_rng(seed);
            let a = SecretKey::generate(&mut rng);
            let b_secret = SecretKey::generate(&mut rng);
            let (a_id, b_id) = (Identity::random(&mut rng), Identity::random(&mut rng));
            (
                b_id,
                *b_secret.expose_secret(),
                a_id,
                a.public_key(),
                bob.export(),
            )
        })
        .collect();
    group.bench_function(BenchmarkId::new("store_load", PEERS), |b| {
        b.iter_with_large_drop(|| {
            stored
                .iter()
                .map(|(own, secret, peer, public, bytes)| {
                    PeerSessions::restore(
                        *own,
                        SecretKey::from_bytes(*secret),
                        *peer,
                        *public,
                        bytes,
                    )
                    .expect("restores")
                })
                .collect::<Vec<_>>()
        });
    });
    group.finish();
}

fn main() {
    let marker = LayerMarker::new(
        "fs",
        "Forward secrecy",
        25,
        "Ibex sessions (spec/06-forward-secrecy.md): 4DH setup of both sides beside one X25519 \
         box key, one ratchet step, encapsulate and decapsulate a 1024-byte text alone and with the \
         outer E2E box beside the plain E2E seal and open with a cached key, and restoring the \
         stored sessions of 1,000 peers.",
    );
    let mut c = support::criterion_for_layer(&marker);
    benches(&mut c);
    c.final_summary();
}
