//! Behaviour of the log store and the memory store (spec/05-relay-storage.md, STORE-2 to
//! STORE-10): order, deletion, expiry, restart, torn tails, corruption, maintenance.

mod store_support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::{
    LogStore, LogStoreConfig, MemoryStore, MessageStore, RecordId, StoreError,
};
use store_support::{identity, message, tag_of};

fn small() -> LogStoreConfig {
    LogStoreConfig {
        segment_bytes: 16 << 10,
    }
}

fn tags(store: &dyn MessageStore, recipient: u32) -> Vec<u64> {
    let queue = store.load_queue(&identity('R', recipient)).expect("loads");
    queue.iter().map(|m| tag_of(&m.message)).collect()
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
}

#[test]
fn queues_come_back_in_append_order_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    for start in (0..200).step_by(20) {
        let batch: Vec<_> = (start..start + 20).map(|t| message(t, 5)).collect();
        store.append(&batch).expect("appends");
    }
    let expected: Vec<u64> = (0..200).filter(|t| t % 5 == 2).collect();
    assert_eq!(tags(&store, 2), expected);
    // Page by page gives the same queue.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .load_queue_page(&identity('R', 2), after, 7)
            .expect("loads a page");
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        paged.extend(page.iter().map(|m| tag_of(&m.message)));
    }
    assert_eq!(paged, expected);
    drop(store);
    let store = LogStore::open(dir.path(), small()).expect("reopens");
    assert_eq!(tags(&store, 2), expected);
    assert_eq!(store.recipients().len(), 5);
    assert_eq!(store.stats().messages, 200);
    assert!(store.stats().segments > 1, "small segments rotate");
    assert_eq!(store.recovery_report().torn_tail_bytes, 0);
}

#[test]
fn deleted_and_expired_messages_stay_gone_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    let ids = store
        .append(&(0..50).map(|t| message(t, 1)).collect::<Vec<_>>())
        .expect("appends");
    assert_eq!(store.delete(&ids[..10]).expect("deletes"), 10);
    assert_eq!(store.delete(&ids[..10]).expect("repeat is harmless"), 0);
    // Deadlines are 1000 s + tag: tags 10..=19 expire at 1019 s.
    let expired = store.expire(Timestamp::from_secs(1_019)).expect("expires");
    assert_eq!(expired.len(), 10);
    drop(store);
    let mut store = LogStore::open(dir.path(), small()).expect("reopens");
    assert_eq!(tags(&store, 0), (20..50).collect::<Vec<_>>());
    let next = store.append(&[message(99, 1)]).expect("appends");
    assert!(next[0] > ids[49], "IDs keep increasing across restarts");
}

#[test]
fn maintenance_removes_dead_segments_and_compacts_sparse_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    let mut ids = Vec::new();
    for start in (0..300).step_by(10) {
        ids.extend(
            store
                .append(
                    &(start..start + 10)
                        .map(|t| message(t, 1))
                        .collect::<Vec<_>>(),
                )
                .expect("appends"),
        );
    }
    let before = store.stats();
    // Keep every tenth message: most segments become sparse, none empty.
    let doomed: Vec<RecordId> = ids.iter().copied().filter(|id| id.0 % 10 != 0).collect();
    store.delete(&doomed).expect("deletes");
    let report = store.maintain().expect("maintains");
    assert!(report.segments_compacted > 0, "{report:?}");
    assert!(report.bytes_reclaimed > 0);
    let after = store.stats();
    assert!(
        after.disk_bytes < before.disk_bytes / 2,
        "{before:?} {after:?}"
    );
    let kept: Vec<u64> = (0..300).filter(|t| (t + 1) % 10 == 0).collect();
    assert_eq!(tags(&store, 0), kept);
    store.delete(&ids).expect("deletes the rest");
    store.maintain().expect("maintains");
    assert_eq!(store.stats().segments, 1, "only the active segment is left");
    drop(store);
    let store = LogStore::open(dir.path(), small()).expect("reopens");
    assert_eq!(store.stats().messages, 0);
}

#[test]
fn a_torn_tail_is_dropped_and_earlier_commits_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    store
        .append(&[message(1, 1), message(2, 1)])
        .expect("appends");
    drop(store);
    let last = segment_files(dir.path()).pop().expect("a segment");
    let len = fs::metadata(&last).expect("meta").len();
    // A second commit whose last record and commit record never reached the disk.
    let mut file = OpenOptions::new().append(true).open(&last).expect("open");
    let mut torn = Vec::new();
    saltrelay_relay::store::record::encode_message(RecordId(3), &message(3, 1), &mut torn)
        .expect("encodes");
    file.write_all(&torn[..torn.len() - 5]).expect("write");
    drop(file);
    let mut store = LogStore::open(dir.path(), small()).expect("reopens");
    assert_eq!(tags(&store, 0), vec![1, 2]);
    assert!(store.recovery_report().torn_tail_bytes > 0);
    assert!(fs::metadata(&last).expect("meta").len() <= len.max(16 << 10));
    store
        .append(&[message(4, 1)])
        .expect("appends after recovery");
    drop(store);
    let store = LogStore::open(dir.path(), small()).expect("reopens again");
    assert_eq!(tags(&store, 0), vec![1, 2, 4]);
}

#[test]
fn a_damaged_committed_record_is_not_returned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    store
        .append(&[message(1, 1), message(2, 1), message(3, 1)])
        .expect("appends");
    drop(store);
    let last = segment_files(dir.path()).pop().expect("a segment");
    let mut bytes = fs::read(&last).expect("read");
    let second = 16 + 20 + 33 + store_support::payload(1, 65).len() + 20 + 40;
    bytes[second] ^= 0x40; // inside record 2's body
    fs::write(&last, &bytes).expect("write");
    let store = LogStore::open(dir.path(), small()).expect("reopens");
    assert_eq!(tags(&store, 0), vec![1, 3]);
    assert_eq!(store.recovery_report().damaged_records, 1);
}

#[test]
fn garbage_in_a_sealed_segment_is_contained_and_another_format_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    for t in 0..100 {
        store.append(&[message(t, 1)]).expect("appends");
    }
    drop(store);
    let first = segment_files(dir.path()).remove(0);
    let mut bytes = fs::read(&first).expect("read");
    bytes[16] = b'?'; // the first record's kind byte
    fs::write(&first, &bytes).expect("write");
    // STORE-13: only the damaged record is lost, and it is reported.
    let store = LogStore::open(dir.path(), small()).expect("contains the damage");
    assert_eq!(tags(&store, 0), (1..100).collect::<Vec<_>>());
    let report = store.recovery_report().clone();
    assert_eq!(report.damaged_records, 1, "{report:?}");
    assert_eq!(report.lost[0].offset, 16);
    drop(store);
    // A file with a segment's name that holds nothing readable is left alone and reported.
    fs::write(&first, b"not a segment at all").expect("write");
    let store = LogStore::open(dir.path(), small()).expect("starts without it");
    assert_eq!(store.recovery_report().refused.len(), 1);
    assert_eq!(fs::read(&first).expect("kept"), b"not a segment at all");
    drop(store);
    // A segment of another format version is refused rather than guessed at (STORE-2).
    let mut other = b"saltrelay-log\x00\x02\x00".to_vec();
    other.resize(64, 0);
    fs::write(&first, &other).expect("write");
    let error = LogStore::open(dir.path(), small()).expect_err("refuses");
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error}");
}

#[test]
fn payloads_over_the_limit_are_refused_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), small()).expect("opens");
    let mut big = message(1, 1);
    big.payload = vec![1; saltrelay_relay::store::MAX_PAYLOAD_LEN + 1];
    let error = store.append(&[message(0, 1), big]).expect_err("refuses");
    assert_eq!(error.code(), "payload_too_large");
    assert_eq!(store.stats().messages, 0);
    store.append(&[message(2, 1)]).expect("still usable");
}

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<u64>),
    Delete(Vec<usize>),
    Expire(u64),
    Maintain,
    Reopen,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::collection::vec(0u64..1000, 1..20).prop_map(Op::Append),
        3 => proptest::collection::vec(0usize..400, 1..10).prop_map(Op::Delete),
        1 => (1000u64..2000).prop_map(Op::Expire),
        1 => Just(Op::Maintain),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The log store and the memory store agree on every queue after any sequence of
    /// operations, including restarts of the log store.
    #[test]
    fn log_store_matches_memory_store(ops in proptest::collection::vec(arb_op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = LogStoreConfig { segment_bytes: 8 << 10 };
        let mut log = LogStore::open(dir.path(), config).expect("opens");
        let mut memory = MemoryStore::new();
        let mut ids = Vec::new();
        for op in ops {
            match op {
                Op::Append(tags) => {
                    let batch: Vec<_> = tags.iter().map(|&t| message(t, 16)).collect();
                    let a = log.append(&batch).expect("log appends");
                    let b = memory.append(&batch).expect("memory appends");
                    prop_assert_eq!(&a, &b);
                    ids.extend(a);
                }
                Op::Delete(picks) => {
                    let doomed: Vec<_> = picks.iter().filter_map(|&i| ids.get(i).copied()).collect();
                    prop_assert_eq!(log.delete(&doomed).expect("log"), memory.delete(&doomed).expect("memory"));
                }
                Op::Expire(secs) => {
                    let now = Timestamp::from_secs(secs);
                    prop_assert_eq!(log.expire(now).expect("log"), memory.expire(now).expect("memory"));
                }
                Op::Maintain => { log.maintain().expect("maintains"); }
                Op::Reopen => {
                    drop(log);
                    log = LogStore::open(dir.path(), config).expect("reopens");
                }
            }
            prop_assert_eq!(log.recipients(), memory.recipients());
            prop_assert_eq!(log.stats().messages, memory.stats().messages);
            prop_assert_eq!(log.stats().payload_bytes, memory.stats().payload_bytes);
        }
        for recipient in memory.recipients() {
            prop_assert_eq!(log.load_queue(&recipient).expect("log"), memory.load_queue(&recipient).expect("memory"));
            prop_assert_eq!(log.queue_stats(&recipient), memory.queue_stats(&recipient));
        }
    }
}
