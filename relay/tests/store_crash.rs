//! Crash safety of the log store (spec/05-relay-storage.md, STORE-7, STORE-8): a child
//! process appending and deleting through the group committer is killed with SIGKILL, and
//! every batch it was told was durable is recovered exactly once, intact; and every cut of
//! a segment inside a commit recovers exactly the commits before it.

mod store_support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use saltrelay_relay::store::{
    Committer, CommitterConfig, LogStore, LogStoreConfig, MessageStore, RecordId,
};
use store_support::{message, tag_of};

const DIR_VAR: &str = "SALTRELAY_STORE_CRASH_DIR";
const ROUND_VAR: &str = "SALTRELAY_STORE_CRASH_ROUND";
const RECIPIENTS: u32 = 16;

fn config() -> LogStoreConfig {
    LogStoreConfig {
        segment_bytes: 64 << 10,
    }
}

/// The child's side: runs only when the parent test starts this binary with `DIR_VAR` set.
/// Four writers append batches and delete old messages until they are killed, printing
/// `A tags` once an append is durable, `d tags` before a delete and `D tags` after it.
#[test]
fn crash_child_process() {
    let (Ok(dir), Ok(round)) = (std::env::var(DIR_VAR), std::env::var(ROUND_VAR)) else {
        return; // not started by the parent test
    };
    let round: u64 = round.parse().expect("round");
    let store = LogStore::open(&dir, config()).expect("child opens");
    let committer = Committer::spawn(store, CommitterConfig::default()).expect("spawns");
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let print = move |out: &Mutex<std::io::Stdout>, kind: &str, tags: &[u64]| {
        let line: Vec<String> = tags.iter().map(u64::to_string).collect();
        let mut out = out.lock().expect("stdout");
        writeln!(out, "{kind} {}", line.join(",")).expect("print");
        out.flush().expect("flush");
    };
    let writers: Vec<_> = (0..4u64)
        .map(|thread| {
            let handle = committer.handle();
            let out = Arc::clone(&out);
            std::thread::spawn(move || {
                let mut live: Vec<(u64, RecordId)> = Vec::new();
                // Bounded even if nobody kills us.
                for i in 0..20_000u64 {
                    let base = round * 1_000_000_000 + thread * 100_000_000 + i * 16;
                    let tags: Vec<u64> = (base..base + 1 + i % 9).collect();
                    let batch = tags.iter().map(|&t| message(t, RECIPIENTS)).collect();
                    let ids = handle.append_blocking(batch).expect("append");
                    print(&out, "A", &tags);
                    live.extend(tags.iter().copied().zip(ids));
                    if i % 3 == 2 && live.len() > 4 {
                        let doomed: Vec<(u64, RecordId)> = live.drain(..3).collect();
                        let tags: Vec<u64> = doomed.iter().map(|d| d.0).collect();
                        print(&out, "d", &tags);
                        handle
                            .delete_blocking(doomed.iter().map(|d| d.1).collect())
                            .expect("delete");
                        print(&out, "D", &tags);
                    }
                    if thread == 0 && i % 25 == 24 {
                        handle
                            .call_blocking(|store| store.maintain().map(|_| ()))
                            .expect("committer")
                            .expect("maintain");
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer");
    }
}

#[derive(Default)]
struct Ledger {
    acked: BTreeSet<u64>,
    deleting: BTreeSet<u64>,
    deleted: BTreeSet<u64>,
}

impl Ledger {
    fn read_line(&mut self, line: &str) -> bool {
        let Some((kind, tags)) = line.split_once(' ') else {
            return false;
        };
        let set = match kind {
            "A" => &mut self.acked,
            "d" => &mut self.deleting,
            "D" => &mut self.deleted,
            _ => return false,
        };
        set.extend(tags.split(',').map(|t| t.parse::<u64>().expect("tag")));
        kind == "A"
    }
}

/// Opens the store as the restarted relay would and checks it against the ledger.
fn check_recovery(dir: &std::path::Path, ledger: &Ledger) -> u64 {
    let store = LogStore::open(dir, config()).expect("recovers");
    let mut seen: BTreeMap<u64, u32> = BTreeMap::new();
    for recipient in store.recipients() {
        let queue = store.load_queue(&recipient).expect("loads");
        let ids: Vec<RecordId> = queue.iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "queue in ID order");
        for stored in queue {
            *seen.entry(tag_of(&stored.message)).or_default() += 1; // checks the contents
        }
    }
    for (tag, count) in &seen {
        assert_eq!(*count, 1, "message {tag} recovered {count} times");
        assert!(
            !ledger.deleted.contains(tag),
            "deleted message {tag} came back"
        );
    }
    for tag in ledger.acked.difference(&ledger.deleting) {
        assert!(seen.contains_key(tag), "acknowledged message {tag} lost");
    }
    store.recovery_report().torn_tail_bytes
}

#[test]
fn every_acknowledged_batch_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let mut ledger = Ledger::default();
    // Kill after different numbers of acknowledgements, reusing the directory each time.
    for (round, kill_after) in [40u64, 120, 7, 60].into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "crash_child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir.path())
            .env(ROUND_VAR, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut acks = 0;
        while acks < kill_after {
            let line = lines.next().expect("child still running").expect("line");
            acks += u64::from(ledger.read_line(&line));
        }
        child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
        child.wait().expect("reaped");
        for line in lines {
            ledger.read_line(&line.expect("line")); // acknowledged before the kill
        }
        let torn = check_recovery(dir.path(), &ledger);
        eprintln!("round {round}: killed after {kill_after} acks, torn tail {torn} bytes");
    }
    assert!(ledger.acked.len() > 200, "the child made progress");
    assert!(!ledger.deleted.is_empty(), "the child deleted messages");
}

#[test]
fn every_cut_inside_a_commit_recovers_exactly_the_earlier_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), config()).expect("opens");
    store
        .append(&[message(1, 1), message(2, 1)])
        .expect("first commit");
    let before = store.stats().disk_bytes;
    store
        .append(&[message(3, 1), message(4, 1), message(5, 1)])
        .expect("second commit");
    let after = store.stats().disk_bytes;
    drop(store);
    let segment = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "log"))
        .expect("segment");
    let full = fs::read(&segment).expect("read");
    let scratch = tempfile::tempdir().expect("tempdir");
    let copy = scratch.path().join(segment.file_name().expect("name"));
    for cut in (before..=after).step_by(13).chain([after - 1, after]) {
        let cut = usize::try_from(cut).expect("small");
        fs::write(&copy, &full[..cut]).expect("write");
        let store = LogStore::open(scratch.path(), config()).expect("recovers");
        let queue = store
            .load_queue(&store_support::identity('R', 0))
            .expect("loads");
        let tags: Vec<u64> = queue.iter().map(|m| tag_of(&m.message)).collect();
        let expected: Vec<u64> = if cut as u64 == after {
            vec![1, 2, 3, 4, 5]
        } else {
            vec![1, 2]
        };
        assert_eq!(tags, expected, "cut at {cut}");
    }
}
