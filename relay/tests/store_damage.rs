//! Damage is contained to the damaged record (spec/05-relay-storage.md, STORE-13, STORE-14):
//! a small store of one message per commit over several segments; one byte of every field
//! of every record flipped, then every segment cut at every record boundary, each on a fresh
//! copy; count what survives and check that each loss is reported.

mod store_support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use saltrelay_relay::store::record::{HEADER_LEN, Record};
use saltrelay_relay::store::{LogStore, LogStoreConfig, MessageStore as _};
use store_support::{identity, message, records, segments, tag_of};

const MESSAGES: u64 = 16;

fn config() -> LogStoreConfig {
    LogStoreConfig {
        segment_bytes: 1 << 10,
    }
}

/// Every tag the store returns.
fn tags(store: &LogStore) -> BTreeSet<u64> {
    let queue = store.load_queue(&identity('R', 0)).expect("loads");
    queue.iter().map(|m| tag_of(&m.message)).collect()
}

/// A store of `MESSAGES` one-message commits, its files as they are after a clean reopen.
fn pristine() -> (tempfile::TempDir, Vec<(PathBuf, Vec<u8>)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), config()).expect("opens");
    for t in 0..MESSAGES {
        store.append(&[message(t, 1)]).expect("appends");
    }
    drop(store);
    drop(LogStore::open(dir.path(), config()).expect("reopens")); // cuts the preallocation
    let files: Vec<(PathBuf, Vec<u8>)> = segments(dir.path())
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect();
    assert!(files.len() >= 3, "several segments: {}", files.len());
    (dir, files)
}

/// Writes the pristine files into `dir`, with `change` applied to file `which`.
fn copy_with(
    dir: &Path,
    files: &[(PathBuf, Vec<u8>)],
    which: usize,
    change: impl Fn(&mut Vec<u8>),
) {
    for (i, (path, bytes)) in files.iter().enumerate() {
        let mut bytes = bytes.clone();
        if i == which {
            change(&mut bytes);
        }
        fs::write(dir.join(path.file_name().expect("name")), bytes).expect("write");
    }
}

/// The message tag of each record (`None` for a commit) and the tag a commit closes.
fn tag_of_record(record: &Record, previous: Option<u64>) -> Option<u64> {
    match record {
        Record::Message(m) => Some(u64::from_le_bytes(m.message.message_id)),
        Record::Commit(_) => previous,
        Record::Dead(..) => None,
    }
}

/// Offsets of one byte in each field of a record of `len` bytes (STORE-3, STORE-4).
fn field_offsets(len: usize) -> Vec<(&'static str, usize)> {
    let mut fields = vec![
        ("kind", 0),
        ("reserved", 2),
        ("length", 4),
        ("length high", 7),
        ("record id", 8),
        ("checksum", 17),
    ];
    if len > HEADER_LEN {
        fields.extend([
            ("recipient", HEADER_LEN),
            ("sender", HEADER_LEN + 9),
            ("message id", HEADER_LEN + 16),
            ("deadline", HEADER_LEN + 25),
            ("flags", HEADER_LEN + 32),
            ("payload", HEADER_LEN + 33),
            ("payload end", len - 1),
        ]);
    }
    fields
}

#[test]
fn a_flipped_byte_in_any_field_loses_only_its_record_and_is_reported() {
    let (_pristine, files) = pristine();
    let all: BTreeSet<u64> = (0..MESSAGES).collect();
    let mut cases = 0;
    for (which, (path, bytes)) in files.iter().enumerate() {
        let sealed = which + 1 < files.len();
        let mut previous = None;
        for (at, len, record) in records(bytes) {
            let tag = tag_of_record(&record, previous);
            previous = tag;
            let is_message = matches!(record, Record::Message(_));
            for (field, rel) in field_offsets(len) {
                let work = tempfile::tempdir().expect("tempdir");
                copy_with(work.path(), &files, which, |b| b[at + rel] ^= 0xff);
                let store = LogStore::open(work.path(), config()).expect("recovers");
                let got = tags(&store);
                let report = store.recovery_report().clone();
                let what = format!("{} {field} of record at {at}: {report:?}", path.display());
                let lost: BTreeSet<u64> = all.difference(&got).copied().collect();
                if is_message {
                    // The message itself is lost, nothing else, and the loss names its offset.
                    assert_eq!(lost, tag.into_iter().collect(), "{what}");
                    assert!(report.lost.iter().any(|l| l.offset == at as u64), "{what}");
                } else {
                    // A commit record protects no data of its own: at most its batch is lost,
                    // and then it is reported (lost in a sealed segment, uncommitted at the end).
                    assert!(lost.is_subset(&tag.into_iter().collect()), "{what}");
                    if !lost.is_empty() {
                        let reported = if sealed {
                            report.damaged_records
                        } else {
                            report.uncommitted_records
                        };
                        assert!(reported > 0, "{what}");
                    }
                }
                drop(store);
                // Recovery erased the damage: a second start finds everything it kept, clean.
                let again = LogStore::open(work.path(), config()).expect("reopens");
                assert_eq!(tags(&again), got, "{what}");
                assert_eq!(again.recovery_report().damaged_records, 0, "{what}");
                cases += 1;
            }
        }
    }
    assert!(cases > 200, "{cases} cases");
}

#[test]
fn a_cut_at_any_record_boundary_keeps_every_commit_before_it() {
    let (_pristine, files) = pristine();
    let mut cases = 0;
    for (which, (_, bytes)) in files.iter().enumerate() {
        let found = records(bytes);
        let mut boundaries: Vec<usize> = found.iter().map(|(at, _, _)| *at).collect();
        boundaries.push(bytes.len());
        boundaries.insert(0, 10); // inside the segment header
        for &cut in &boundaries {
            let work = tempfile::tempdir().expect("tempdir");
            copy_with(work.path(), &files, which, |b| b.truncate(cut));
            let store = LogStore::open(work.path(), config()).expect("recovers");
            let got = tags(&store);
            // Expected: every message of the other segments, and of this one every message
            // whose commit record lies wholly before the cut.
            let mut expected = BTreeSet::new();
            for (i, (_, other)) in files.iter().enumerate() {
                let mut pending = Vec::new();
                for (at, len, record) in records(other) {
                    match record {
                        Record::Message(m) => {
                            pending.push(u64::from_le_bytes(m.message.message_id));
                        }
                        Record::Commit(_) if i != which || at + len <= cut => {
                            expected.extend(pending.drain(..));
                        }
                        _ => {}
                    }
                }
            }
            assert_eq!(got, expected, "segment {which} cut at {cut}");
            let report = store.recovery_report();
            if cut < 16 {
                // Nothing readable is left: reported, never silently dropped.
                let flagged = report.refused.len() as u64 + report.segments_recreated;
                assert_eq!(flagged, 1, "{report:?}");
            }
            cases += 1;
        }
    }
    assert!(cases > 20, "{cases} cases");
}

#[test]
fn a_damaged_segment_header_keeps_its_records_and_is_rewritten() {
    let (_pristine, files) = pristine();
    let all: BTreeSet<u64> = (0..MESSAGES).collect();
    for which in 0..files.len() {
        for at in [0, 7, 13] {
            let work = tempfile::tempdir().expect("tempdir");
            copy_with(work.path(), &files, which, |b| b[at] ^= 0xff);
            let store = LogStore::open(work.path(), config()).expect("recovers");
            assert_eq!(tags(&store), all, "segment {which}, byte {at}");
            assert_eq!(store.recovery_report().headers_repaired, 1);
            drop(store);
            let again = LogStore::open(work.path(), config()).expect("reopens");
            assert_eq!(again.recovery_report().headers_repaired, 0, "rewritten");
            assert_eq!(tags(&again), all);
        }
    }
}
