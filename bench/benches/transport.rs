//! Transport benchmarks (spec/04-transport.md): a full handshake with both sides in memory,
//! and sealing and opening frames of 100 bytes, 1024 bytes and the largest payload a frame holds
//! (8172 bytes of data in an 8192-byte box).
//!
//! IDs: `transport/handshake/full`, `transport/frame_seal/<data bytes>`,
//! `transport/frame_open/<data bytes>`.

mod support;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use saltrelay_bench::layer::LayerMarker;
use saltrelay_protocol::crypto::SecretKey;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::frame::{CounterNonce, FrameKey, open_frame, seal_frame};
use saltrelay_protocol::transport::payload::Payload;
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, RelayConfig, RelayConnection, RelayOutput,
};
use support::clock::Clock;

const SIZES: [usize; 3] = [100, 1024, 8172];

/// One complete login: client-hello, server-hello, login, vouch check, login-ack.
fn handshake(c: &mut Criterion<Clock>) {
    let relay_secret = SecretKey::from_bytes([0x52; 32]);
    let relay_config = RelayConfig::new(relay_secret.clone_for_testing());
    let relay_public = relay_secret.public_key();
    let mut rng = seeded_rng(1);
    let mut identities = seeded_rng(2);
    let now = Timestamp::from_secs(1_700_000_000);
    let mut group = c.benchmark_group("transport/handshake");
    group.throughput(Throughput::Elements(1));
    group.bench_function("full", |b| {
        b.iter_batched(
            || ClientConfig::new(IdentityKeys::generate(&mut identities), vec![relay_public]),
            |config| {
                let mut client = ClientConnection::start(config, &mut rng, now);
                let mut relay = RelayConnection::start(relay_config.clone(), &mut rng, now);
                let mut established = false;
                while !established {
                    let mut to_relay = Vec::new();
                    while let Some(output) = client.poll_output() {
                        match output {
                            ClientOutput::Send(bytes) => to_relay.extend(bytes),
                            ClientOutput::Established(_) => established = true,
                            ClientOutput::Received(_) => {}
                        }
                    }
                    if established {
                        break;
                    }
                    relay.handle_bytes(now, &to_relay).expect("valid client");
                    let mut to_client = Vec::new();
                    while let Some(output) = relay.poll_output() {
                        match output {
                            RelayOutput::Send(bytes) => to_client.extend(bytes),
                            RelayOutput::LoginRequest(request) => {
                                relay.accept(request, now, 0).expect("pending login");
                            }
                            RelayOutput::KeyRequest(_) | RelayOutput::Received(_) => {}
                        }
                    }
                    client.handle_bytes(now, &to_client).expect("valid relay");
                }
                black_box(relay.is_established())
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

/// Sealing and opening one frame per iteration; throughput counts payload data bytes.
fn frames(c: &mut Criterion<Clock>) {
    let key = FrameKey::from_bytes([7; 32]);
    let cookie = [9; 16];
    let mut seal_group = c.benchmark_group("transport/frame_seal");
    for size in SIZES {
        let container = Payload::OutgoingMessage(vec![0xab; size]).encode();
        seal_group.throughput(Throughput::Bytes(size as u64));
        let mut counter = CounterNonce::new(cookie, 3);
        seal_group.bench_function(size.to_string(), |b| {
            b.iter(|| {
                black_box(seal_frame(&key, &mut counter, black_box(&container)).expect("fits"))
            });
        });
    }
    seal_group.finish();
    let mut open_group = c.benchmark_group("transport/frame_open");
    for size in SIZES {
        let container = Payload::OutgoingMessage(vec![0xab; size]).encode();
        let frame = seal_frame(&key, &mut CounterNonce::new(cookie, 3), &container).expect("fits");
        let sealed = frame[2..].to_vec();
        open_group.throughput(Throughput::Bytes(size as u64));
        open_group.bench_function(size.to_string(), |b| {
            b.iter_batched_ref(
                || sealed.clone(),
                |sealed| {
                    let mut counter = CounterNonce::new(cookie, 3);
                    black_box(
                        open_frame(&key, &mut counter, sealed)
                            .map(|c| c.len())
                            .expect("opens"),
                    )
                },
                BatchSize::SmallInput,
            );
        });
    }
    open_group.finish();
}

fn main() {
    let marker = LayerMarker::new(
        "transport",
        "Transport",
        30,
        "The client-relay transport (spec/04-transport.md): a full handshake with both sides in \
         memory, and frames sealed and opened at 100 B, 1 KiB and the largest frame payload.",
    );
    let mut c = support::criterion_for_layer(&marker);
    handshake(&mut c);
    frames(&mut c);
    c.final_summary();
}
