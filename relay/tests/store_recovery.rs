//! Recovery's repairs (spec/05-relay-storage.md, STORE-6, STORE-8 steps 4 and 5): an
//! erasure torn by a power loss is redone, a half-erased live record is treated as damaged,
//! and the duplicate left by an interrupted compaction is erased.

mod store_support;

use std::fs;

use saltrelay_relay::store::record::{HEADER_LEN, Record, RecordId, encode_commit};
use saltrelay_relay::store::{LogStore, LogStoreConfig, MessageStore};
use store_support::{identity, message, records, segments, tag_of};

fn config() -> LogStoreConfig {
    LogStoreConfig {
        segment_bytes: 2 << 10,
    }
}

fn tags(store: &LogStore) -> Vec<u64> {
    let queue = store.load_queue(&identity('R', 0)).expect("loads");
    queue.iter().map(|m| tag_of(&m.message)).collect()
}

#[test]
fn torn_erasures_are_redone_or_treated_as_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), config()).expect("opens");
    let ids = store
        .append(&[message(1, 1), message(2, 1), message(3, 1)])
        .expect("appends");
    let original = fs::read(&segments(dir.path())[0]).expect("read");
    store.delete(&ids[..1]).expect("deletes");
    drop(store);
    let path = segments(dir.path()).remove(0);
    let mut bytes = fs::read(&path).expect("read");
    let found = records(&bytes);
    // Record 1: dead header, but its old body came back (the body's sectors were lost).
    let (at, len, _) = found[0];
    bytes[at + HEADER_LEN..at + len].copy_from_slice(&original[at + HEADER_LEN..at + len]);
    // Record 2: still live, but half of its body zeroed (an erasure whose header was lost).
    let (at, len, _) = found[1];
    bytes[at + len / 2..at + len].fill(0);
    fs::write(&path, &bytes).expect("write");
    let store = LogStore::open(dir.path(), config()).expect("recovers");
    let report = store.recovery_report().clone();
    assert_eq!(report.erasures_redone, 1, "{report:?}");
    assert_eq!(report.damaged_records, 1, "{report:?}");
    assert_eq!(tags(&store), vec![3]);
    let repaired = fs::read(&path).expect("read");
    let payload_1 = store_support::payload(1, 65);
    assert!(
        !repaired.windows(32).any(|w| w == &payload_1[..32]),
        "record 1 erased again"
    );
}

#[test]
fn the_duplicate_of_an_interrupted_compaction_is_erased() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), config()).expect("opens");
    for t in 0..40 {
        store.append(&[message(t, 1)]).expect("appends");
    }
    drop(store);
    drop(LogStore::open(dir.path(), config()).expect("reopens")); // cuts the preallocation
    let files = segments(dir.path());
    assert!(files.len() > 2);
    // Copy record 0 (tag 0) to the end of the last segment as one commit, as a compaction
    // does, and "crash" before the first segment is removed.
    let first = fs::read(&files[0]).expect("read");
    let (at, len, record) = records(&first).remove(0);
    assert!(matches!(record, Record::Message(ref m) if m.id == RecordId(1)));
    let last = files.last().expect("segments");
    let mut tail = fs::read(last).expect("read");
    tail.extend_from_slice(&first[at..at + len]);
    encode_commit(RecordId(40), &mut tail);
    fs::write(last, &tail).expect("write");
    let store = LogStore::open(dir.path(), config()).expect("recovers");
    assert_eq!(store.recovery_report().duplicates_erased, 1);
    assert_eq!(
        tags(&store),
        (0..40).collect::<Vec<_>>(),
        "one copy, in ID order"
    );
    let first_now = fs::read(&files[0]).expect("read");
    assert!(
        matches!(records(&first_now)[0].2, Record::Dead(RecordId(1), _)),
        "the earlier copy is erased"
    );
}

#[test]
fn a_recovered_id_at_the_top_of_the_range_refuses_new_messages_without_reusing_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), config()).expect("opens");
    let ids = store.append(&[message(1, 1)]).expect("appends");
    drop(store);
    drop(LogStore::open(dir.path(), config()).expect("reopens")); // cuts the preallocation
    // A commit record (written by something else) claims IDs up to 2^64 - 2 were assigned:
    // the next would be 2^64 - 1, past which no ID is left (STORE-5).
    let last = segments(dir.path()).pop().expect("segments");
    let mut tail = fs::read(&last).expect("read");
    encode_commit(RecordId(u64::MAX - 1), &mut tail);
    fs::write(&last, &tail).expect("write");
    let mut store = LogStore::open(dir.path(), config()).expect("recovers");
    let refused = store.append(&[message(2, 1)]).expect_err("no id left");
    assert_eq!(refused.code(), "store_ids_exhausted");
    assert_eq!(tags(&store), vec![1], "what was stored stays");
    assert_eq!(store.delete(&ids).expect("deletes still work"), 1);
    assert_eq!(tags(&store), Vec::<u64>::new());
}
