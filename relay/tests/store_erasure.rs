//! "Nothing about it remains" (spec/05-relay-storage.md, STORE-6, STORE-9): after delete,
//! expiry and maintenance, the bytes of a deleted payload are nowhere in the data directory.

mod store_support;

use std::fs;
use std::path::Path;

use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::{LogStore, LogStoreConfig, MessageStore};
use store_support::message;

const MARKER: &[u8] = b"SECRET-CIPHERTEXT-THAT-MUST-GO/";

fn marked(tag: u64) -> saltrelay_relay::store::BufferedMessage {
    let mut m = message(tag, 3);
    m.payload = MARKER.iter().copied().cycle().take(700).collect();
    m.message_id = *b"MSGID-42";
    m
}

/// How often `needle` occurs in all files under `dir`.
fn occurrences(dir: &Path, needle: &[u8]) -> usize {
    fs::read_dir(dir)
        .expect("dir")
        .map(|e| fs::read(e.expect("entry").path()).expect("read"))
        .map(|bytes| bytes.windows(needle.len()).filter(|w| *w == needle).count())
        .sum()
}

#[test]
fn deleted_payloads_are_gone_from_every_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogStoreConfig {
        segment_bytes: 16 << 10,
    };
    let mut store = LogStore::open(dir.path(), config).expect("opens");
    let mut doomed = Vec::new();
    let mut expiring = Vec::new();
    for round in 0..40u64 {
        let ids = store
            .append(&[
                message(round * 3, 3),
                marked(round * 3 + 1),
                message(round * 3 + 2, 3),
            ])
            .expect("appends");
        doomed.push(ids[1]);
        if round % 4 == 0 {
            // Kept until its deadline, then expired.
            let mut m = marked(1_000 + round);
            m.deadline = Timestamp::from_secs(5);
            expiring.extend(store.append(&[m]).expect("appends"));
        }
    }
    assert!(
        occurrences(dir.path(), MARKER) > 0,
        "the marker was written"
    );
    store.delete(&doomed).expect("deletes");
    let expired = store.expire(Timestamp::from_secs(5)).expect("expires");
    assert_eq!(expired.len(), expiring.len());
    // STORE-6: erased in place at the delete, before any maintenance.
    assert_eq!(occurrences(dir.path(), MARKER), 0);
    assert_eq!(
        occurrences(dir.path(), b"MSGID-42"),
        0,
        "message IDs erased too"
    );
    let report = store.maintain().expect("maintains");
    assert!(
        report.segments_compacted + report.segments_removed > 0,
        "{report:?}"
    );
    drop(store);
    assert_eq!(occurrences(dir.path(), MARKER), 0);
    let store = LogStore::open(dir.path(), config).expect("reopens");
    assert_eq!(store.stats().messages, 80, "the unmarked messages remain");
}

#[test]
fn a_torn_tail_is_zeroed_before_it_is_cut_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogStoreConfig::default();
    let mut store = LogStore::open(dir.path(), config).expect("opens");
    store.append(&[message(1, 3)]).expect("appends");
    drop(store);
    let segment = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .next()
        .expect("segment");
    // An unacknowledged commit torn by a crash, marker and all.
    let mut bytes = Vec::new();
    saltrelay_relay::store::record::encode_message(
        saltrelay_relay::store::RecordId(2),
        &marked(2),
        &mut bytes,
    )
    .expect("encodes");
    let len = saltrelay_relay::store::record::HEADER_LEN + 16 + 200;
    let end = fs::read(&segment)
        .expect("read")
        .iter()
        .rposition(|&b| b != 0)
        .expect("data")
        + 1;
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .expect("open");
    std::os::unix::fs::FileExt::write_all_at(&file, &bytes[..len], end as u64).expect("write");
    drop(file);
    let store = LogStore::open(dir.path(), config).expect("recovers");
    assert!(store.recovery_report().torn_tail_bytes > 0);
    assert_eq!(store.stats().messages, 1);
    assert_eq!(occurrences(dir.path(), &MARKER[..16]), 0);
}
