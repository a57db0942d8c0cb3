//! Per-operation costs of the relay's store (spec/05-relay-storage.md, STORE-3 to STORE-11):
//! record codec, durable commit and delete at several batch sizes, queue loading, recovery,
//! and the memory store. Throughput at many concurrent senders is measured by
//! `saltrelay bench store` instead (`bench/src/store/load.rs`), which also runs these benches
//! and writes their results into reports/store/ (MEAS-11).
//!
//! `cargo bench -p saltrelay-relay --bench store`. Commits and deletes flush the disk, so
//! their figures are this machine's flush latency plus the store's own work.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::record::{RecordId, decode, encode_message};
use saltrelay_relay::store::{
    BufferedMessage, LogStore, LogStoreConfig, MemoryStore, MessageStore,
};

fn message(n: u64) -> BufferedMessage {
    let id = |c: char, n: u64| {
        Identity::from_bytes(format!("{c}{:07}", n % 1000).as_bytes()).expect("identity")
    };
    BufferedMessage {
        recipient: id('R', n % 16),
        sender: id('S', n),
        message_id: n.to_le_bytes(),
        flags: 0,
        deadline: Timestamp::from_secs(4_000_000_000),
        payload: (0..1024u64).map(|i| (n ^ i).to_le_bytes()[0]).collect(),
    }
}

fn batch(start: u64, len: u64) -> Vec<BufferedMessage> {
    (start..start + len).map(message).collect()
}

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay");
    group.throughput(Throughput::Bytes(1024));
    let m = message(1);
    let mut bytes = Vec::new();
    encode_message(RecordId(1), &m, &mut bytes).expect("encodes");
    group.bench_function("store_encode/1024", |b| {
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            encode_message(RecordId(1), black_box(&m), &mut out).expect("encodes");
        });
    });
    group.bench_function("store_decode/1024", |b| {
        b.iter(|| decode(black_box(&bytes)).expect("decodes"));
    });
    group.finish();
}

fn commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), LogStoreConfig::default()).expect("opens");
    let mut memory = MemoryStore::new();
    let mut next = 0;
    for size in [1u64, 64, 256, 1024] {
        group.throughput(Throughput::Elements(size));
        group.bench_with_input(BenchmarkId::new("store_commit", size), &size, |b, &size| {
            b.iter_batched(
                || {
                    next += size;
                    batch(next, size)
                },
                |messages| store.append(&messages).expect("appends"),
                BatchSize::PerIteration,
            );
        });
        group.bench_with_input(BenchmarkId::new("store_delete", size), &size, |b, &size| {
            // Appending is set-up here: only the deletion (erase in place, flush) is timed.
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    next += size;
                    let ids = store.append(&batch(next, size)).expect("appends");
                    let start = Instant::now();
                    store.delete(&ids).expect("deletes");
                    timed += start.elapsed();
                }
                timed
            });
        });
        group.bench_with_input(
            BenchmarkId::new("store_memory_commit", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || batch(0, size),
                    |messages| {
                        let ids = memory.append(&messages).expect("appends");
                        memory.delete(&ids).expect("deletes")
                    },
                    BatchSize::PerIteration,
                );
            },
        );
    }
    group.finish();
}

fn load_and_recover(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), LogStoreConfig::default()).expect("opens");
    for start in (0..16_000).step_by(1000) {
        store.append(&batch(start, 1000)).expect("appends");
    }
    let recipient = message(0).recipient;
    group.throughput(Throughput::Elements(1000));
    group.bench_function("store_load_queue/1000", |b| {
        b.iter(|| store.load_queue(black_box(&recipient)).expect("loads"));
    });
    drop(store);
    group.throughput(Throughput::Elements(16_000));
    group.bench_function("store_recover/16000", |b| {
        b.iter(|| LogStore::open(dir.path(), LogStoreConfig::default()).expect("opens"));
    });
    group.finish();
}

criterion_group!(benches, codec, commit, load_and_recover);
criterion_main!(benches);
