//! Benchmarks of the end-to-end message layer (spec/03-e2e-messages.md) beside the raw box of
//! the same size, measured in the same run: seal+encode and open+decode of a 1024-byte text and a
//! file message, with the box key cached and derived per message, and group fan-out.

mod support;

use criterion::{BenchmarkId, Criterion, Throughput};
use saltrelay_bench::layer::LayerMarker;
use saltrelay_protocol::crypto::{BoxKey, Nonce, SecretKey};
use saltrelay_protocol::e2e::{self, FileMessage, Message};
use saltrelay_protocol::testing::seeded_rng;
use serde_json::json;
use support::clock::Clock;

const TEXT_LEN: usize = 1024;
const PAD: u8 = 32;

fn text_message() -> Message {
    Message::Text("x".repeat(TEXT_LEN))
}

fn file_message() -> Message {
    let fields = json!({"b": "00112233445566778899aabbccddeeff", "k": "33".repeat(32),
        "m": "image/jpeg", "n": "holiday.jpg", "s": 123_456, "i": 0, "d": "a caption"});
    let serde_json::Value::Object(fields) = fields else {
        unreachable!("an object literal")
    };
    Message::File(FileMessage::from_fields(fields).expect("valid file message"))
}

fn benches(c: &mut Criterion<Clock>) {
    let mut rng = seeded_rng(7);
    let sender = SecretKey::generate(&mut rng);
    let recipient = SecretKey::generate(&mut rng);
    let key = BoxKey::derive(&sender, &recipient.public_key()).expect("contributory");
    let nonce = Nonce::random(&mut rng);
    let text = text_message();
    // The raw box of exactly the plaintext the protocol layer seals: type + body + padding.
    let raw_len = 1 + TEXT_LEN + usize::from(PAD);
    let plaintext = vec![0x61u8; raw_len];
    let sealed_text = e2e::seal_message(&key, &nonce, &text, PAD).expect("seals");

    let mut group = c.benchmark_group("e2e");
    group.throughput(Throughput::Bytes(TEXT_LEN as u64));
    group.bench_function(BenchmarkId::new("raw_box_seal", TEXT_LEN), |b| {
        b.iter(|| key.seal(&nonce, std::hint::black_box(&plaintext)));
    });
    let raw_sealed = key.seal(&nonce, &plaintext);
    group.bench_function(BenchmarkId::new("raw_box_open", TEXT_LEN), |b| {
        b.iter(|| {
            key.open(&nonce, std::hint::black_box(&raw_sealed))
                .expect("opens")
        });
    });
    group.bench_function(BenchmarkId::new("seal", "text_1024"), |b| {
        b.iter(|| {
            e2e::seal_message(&key, &nonce, std::hint::black_box(&text), PAD).expect("seals")
        });
    });
    group.bench_function(BenchmarkId::new("open", "text_1024"), |b| {
        b.iter(|| {
            e2e::open_message(&key, &nonce, std::hint::black_box(&sealed_text)).expect("opens")
        });
    });
    group.bench_function(BenchmarkId::new("seal_uncached", "text_1024"), |b| {
        b.iter(|| {
            let key = BoxKey::derive(&sender, &recipient.public_key()).expect("contributory");
            e2e::seal_message(&key, &nonce, std::hint::black_box(&text), PAD).expect("seals")
        });
    });
    group.bench_function(BenchmarkId::new("open_uncached", "text_1024"), |b| {
        b.iter(|| {
            let key = BoxKey::derive(&recipient, &sender.public_key()).expect("contributory");
            e2e::open_message(&key, &nonce, std::hint::black_box(&sealed_text)).expect("opens")
        });
    });
    let file = file_message();
    let sealed_file = e2e::seal_message(&key, &nonce, &file, PAD).expect("seals");
    group.throughput(Throughput::Bytes(file.body_len().expect("encodes") as u64));
    group.bench_function(BenchmarkId::new("seal", "file"), |b| {
        b.iter(|| {
            e2e::seal_message(&key, &nonce, std::hint::black_box(&file), PAD).expect("seals")
        });
    });
    group.bench_function(BenchmarkId::new("open", "file"), |b| {
        b.iter(|| {
            e2e::open_message(&key, &nonce, std::hint::black_box(&sealed_file)).expect("opens")
        });
    });
    for members in [10usize, 100] {
        let keys: Vec<BoxKey> = (0..members)
            .map(|_| {
                BoxKey::derive(&sender, &SecretKey::generate(&mut rng).public_key())
                    .expect("contributory")
            })
            .collect();
        let message = text_message();
        group.throughput(Throughput::Bytes((TEXT_LEN * members) as u64));
        // One nonce for every member keeps the run reproducible; real sends draw one each (E2E-5).
        group.bench_function(BenchmarkId::new("group_fanout", members), |b| {
            b.iter(|| {
                keys.iter()
                    .map(|k| {
                        e2e::seal_message(k, &nonce, &message, PAD)
                            .expect("seals")
                            .len()
                    })
                    .sum::<usize>()
            });
        });
    }
    group.finish();
}

fn main() {
    let marker = LayerMarker::new(
        "e2e",
        "End-to-end messages",
        20,
        "The E2E layer (spec/03-e2e-messages.md): seal+encode and open+decode of a 1 KiB text and \
         a file message, box key cached and derived per message, group fan-out, beside the raw \
         box of the same size.",
    );
    let mut c = support::criterion_for_layer(&marker);
    benches(&mut c);
    c.final_summary();
}
