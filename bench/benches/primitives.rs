//! Benchmarks of the primitives (spec/01-primitives.md), each beside the same operation in
//! the system libsodium, measured in the same run: ids `area/operation/parameter` for ours,
//! `libsodium/area/operation/parameter` for the baseline.

mod support;

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use rand_core::Rng as _;
use saltrelay_bench::layer::LayerMarker;
use saltrelay_protocol::crypto::{self, BoxKey, Nonce, PublicKey, SecretBoxKey, SecretKey, labels};
use saltrelay_protocol::testing::seeded_rng;
use support::clock::Clock;
use support::{BOX_SIZES, FRAME_SIZES, MAC_SIZES, message, sodium};

/// The keys and nonce every bench uses, ours and libsodium's from the same bytes.
struct Fixture {
    secret: SecretKey,
    peer: PublicKey,
    box_key: BoxKey,
    secretbox_key: SecretBoxKey,
    nonce: Nonce,
}

impl Fixture {
    fn new() -> Self {
        let mut rng = seeded_rng(5);
        let secret = SecretKey::generate(&mut rng);
        let peer = SecretKey::generate(&mut rng).public_key();
        let box_key = BoxKey::derive(&secret, &peer).expect("a random peer key is not small-order");
        Self {
            secret,
            peer,
            box_key,
            secretbox_key: SecretBoxKey::random(&mut rng),
            nonce: Nonce::random(&mut rng),
        }
    }

    /// Checks once that ours and libsodium compute the same bytes, so both sides of every
    /// ratio measure the same operation (a correctness check, not a timing one).
    fn check_against_libsodium(&self) {
        let sk = self.secret.expose_secret();
        assert_eq!(
            sodium::scalarmult_base(sk),
            *self.secret.public_key().as_bytes()
        );
        let key = sodium::box_beforenm(self.peer.as_bytes(), sk).expect("valid peer key");
        assert_eq!(&key, self.box_key.expose_secret(), "box keys differ");
        let msg = message(1024);
        let mut theirs = vec![0u8; msg.len() + sodium::TAG_LEN];
        sodium::box_seal(&mut theirs, &msg, self.nonce.as_bytes(), &key);
        assert_eq!(self.box_key.seal(&self.nonce, &msg), theirs, "boxes differ");
        let mut theirs = [0u8; 32];
        let label = labels::METADATA_KEY;
        sodium::blake2b(
            &mut theirs,
            &key,
            &sodium::pad16(label.salt),
            &sodium::pad16(label.personal),
            &[],
        );
        let ours = crypto::derive_key(&key, &label).expect("32-byte key");
        assert_eq!(*ours, theirs, "derived keys differ");
    }
}

fn x25519(c: &mut Criterion<Clock>, f: &Fixture) {
    let mut ours = c.benchmark_group("x25519");
    let mut rng = seeded_rng(1);
    ours.bench_function("keygen", |b| {
        b.iter(|| SecretKey::generate(&mut rng).public_key());
    });
    ours.bench_function("dh", |b| {
        b.iter(|| f.secret.diffie_hellman(black_box(&f.peer)));
    });
    ours.finish();

    let mut theirs = c.benchmark_group("libsodium/x25519");
    let mut rng = seeded_rng(1);
    theirs.bench_function("keygen", |b| {
        b.iter(|| {
            let mut secret = [0u8; sodium::KEY_LEN];
            rng.fill_bytes(&mut secret);
            sodium::scalarmult_base(&secret)
        });
    });
    let (sk, pk) = (f.secret.expose_secret(), f.peer.as_bytes());
    theirs.bench_function("dh", |b| b.iter(|| sodium::scalarmult(sk, black_box(pk))));
    theirs.finish();
}

fn box_key(c: &mut Criterion<Clock>, f: &Fixture) {
    let mut ours = c.benchmark_group("box");
    ours.bench_function("beforenm", |b| {
        b.iter(|| BoxKey::derive(&f.secret, black_box(&f.peer)));
    });
    ours.finish();
    let mut theirs = c.benchmark_group("libsodium/box");
    let (sk, pk) = (f.secret.expose_secret(), f.peer.as_bytes());
    theirs.bench_function("beforenm", |b| {
        b.iter(|| sodium::box_beforenm(black_box(pk), sk));
    });
    theirs.finish();
}

/// `box/{seal,open,seal_in_place,open_in_place}/N` for ours, then libsodium's mirror.
fn box_seal_open(c: &mut Criterion<Clock>, f: &Fixture) {
    let key = f.box_key.expose_secret();
    let nonce = f.nonce.as_bytes();
    for &len in &BOX_SIZES {
        let msg = message(len);
        let sealed = f.box_key.seal(&f.nonce, &msg);
        let mut ours = sized_group(c, "box", len);
        ours.bench_function(sized("seal", len), |b| {
            b.iter(|| f.box_key.seal(&f.nonce, black_box(&msg)));
        });
        ours.bench_function(sized("open", len), |b| {
            b.iter(|| f.box_key.open(&f.nonce, black_box(&sealed)));
        });
        let mut buffer = sealed.clone();
        ours.bench_function(sized("seal_in_place", len), |b| {
            b.iter(|| f.box_key.seal_in_place(&f.nonce, black_box(&mut buffer)));
        });
        ours.bench_function(sized("open_in_place", len), |b| {
            b.iter_batched_ref(
                || sealed.clone(),
                |buffer| f.box_key.open_in_place(&f.nonce, buffer).map(|m| m.len()),
                batch_size(len),
            );
        });
        ours.finish();

        let mut theirs = sized_group(c, "libsodium/box", len);
        let mut out = vec![0u8; len + sodium::TAG_LEN];
        theirs.bench_function(sized("seal", len), |b| {
            b.iter(|| sodium::box_seal(&mut out, black_box(&msg), nonce, key));
        });
        let mut out = vec![0u8; len];
        theirs.bench_function(sized("open", len), |b| {
            b.iter(|| sodium::box_open(&mut out, black_box(&sealed), nonce, key));
        });
        let mut buffer = sealed.clone();
        theirs.bench_function(sized("seal_in_place", len), |b| {
            b.iter(|| sodium::box_seal_in_place(black_box(&mut buffer), nonce, key));
        });
        theirs.bench_function(sized("open_in_place", len), |b| {
            b.iter_batched_ref(
                || sealed.clone(),
                |buffer| sodium::box_open_in_place(buffer, nonce, key),
                batch_size(len),
            );
        });
        theirs.finish();
    }
}

/// `secretbox/{seal,open}/N` at the transport's frame sizes, then libsodium's mirror.
fn secretbox(c: &mut Criterion<Clock>, f: &Fixture) {
    let key = f.secretbox_key.expose_secret();
    let nonce = f.nonce.as_bytes();
    for &len in &FRAME_SIZES {
        let msg = message(len);
        let sealed = f.secretbox_key.seal(&f.nonce, &msg);
        let mut ours = sized_group(c, "secretbox", len);
        ours.bench_function(sized("seal", len), |b| {
            b.iter(|| f.secretbox_key.seal(&f.nonce, black_box(&msg)));
        });
        ours.bench_function(sized("open", len), |b| {
            b.iter(|| f.secretbox_key.open(&f.nonce, black_box(&sealed)));
        });
        ours.finish();
        let mut theirs = sized_group(c, "libsodium/secretbox", len);
        let mut out = vec![0u8; len + sodium::TAG_LEN];
        theirs.bench_function(sized("seal", len), |b| {
            b.iter(|| sodium::secretbox_seal(&mut out, black_box(&msg), nonce, key));
        });
        let mut out = vec![0u8; len];
        theirs.bench_function(sized("open", len), |b| {
            b.iter(|| sodium::secretbox_open(&mut out, black_box(&sealed), nonce, key));
        });
        theirs.finish();
    }
}

/// `kdf/derive_key/32` (PRIM-9) and `blake2b/mac/N` (keyed, with salt and personal, PRIM-8).
fn blake2b(c: &mut Criterion<Clock>, f: &Fixture) {
    let key = f.box_key.expose_secret();
    let label = labels::METADATA_KEY;
    let (salt, personal) = (sodium::pad16(label.salt), sodium::pad16(label.personal));
    let mut ours = c.benchmark_group("kdf");
    ours.bench_function(BenchmarkId::new("derive_key", 32), |b| {
        b.iter(|| crypto::derive_key(black_box(key), &label));
    });
    ours.finish();
    let mut theirs = c.benchmark_group("libsodium/kdf");
    let mut out = [0u8; 32];
    theirs.bench_function(BenchmarkId::new("derive_key", 32), |b| {
        b.iter(|| sodium::blake2b(&mut out, black_box(key), &salt, &personal, &[]));
    });
    theirs.finish();

    for &len in &MAC_SIZES {
        let input = message(len);
        let mut ours = sized_group(c, "blake2b", len);
        let mut out = [0u8; 32];
        ours.bench_function(sized("mac", len), |b| {
            b.iter(|| crypto::blake2b(&mut out, key, &salt, &personal, black_box(&input)));
        });
        ours.finish();
        let mut theirs = sized_group(c, "libsodium/blake2b", len);
        theirs.bench_function(sized("mac", len), |b| {
            b.iter(|| sodium::blake2b(&mut out, key, &salt, &personal, black_box(&input)));
        });
        theirs.finish();
    }
}

/// A group for `area` with throughput `len` bytes; its benches take ids `area/op/len` from
/// [`sized`]. One group per size keeps ours and libsodium's runs of one size close in time.
fn sized_group<'c>(
    c: &'c mut Criterion<Clock>,
    area: &str,
    len: usize,
) -> BenchmarkGroup<'c, Clock> {
    let mut group = c.benchmark_group(area);
    group.throughput(Throughput::Bytes(
        u64::try_from(len).expect("usize fits in u64"),
    ));
    group
}

/// The id `<group area>/<operation>/<len>`.
fn sized(operation: &str, len: usize) -> BenchmarkId {
    BenchmarkId::new(operation, len)
}

/// Large inputs are cloned per iteration by `iter_batched_ref`: keep few of them alive.
fn batch_size(len: usize) -> BatchSize {
    if len >= 64 * 1024 {
        BatchSize::LargeInput
    } else {
        BatchSize::SmallInput
    }
}

fn main() {
    let baseline = sodium::init();
    let fixture = Fixture::new();
    fixture.check_against_libsodium();
    let mut marker = LayerMarker::new(
        "primitives",
        "Primitives",
        10,
        "X25519, the NaCl box key (X25519 + HSalsa20), XSalsa20-Poly1305 and BLAKE2b \
         (spec/01-primitives.md), each beside the same operation in the system libsodium.",
    );
    marker.baseline = Some(baseline);
    let mut c = support::criterion_for_layer(&marker);
    x25519(&mut c, &fixture);
    box_key(&mut c, &fixture);
    box_seal_open(&mut c, &fixture);
    secretbox(&mut c, &fixture);
    blake2b(&mut c, &fixture);
    c.final_summary();
}
