//! The group committer (spec/05-relay-storage.md, STORE-11): requests from many threads are
//! committed in shared batches, each gets its own IDs once durable, failures reach every
//! request of the batch, and shutdown finishes what was sent.

mod store_support;

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Duration;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::{
    BufferedMessage, Committed, Committer, CommitterConfig, Expired, LogStore, LogStoreConfig,
    Maintenance, MemoryStore, MessageStore, QueueStats, RecordId, StoreError, StoreStats,
    StoredMessage,
};
use store_support::{identity, message, tag_of};

#[test]
fn concurrent_appends_share_commits_and_get_their_own_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LogStore::open(dir.path(), LogStoreConfig::default()).expect("opens");
    let committer = Committer::spawn(store, CommitterConfig::default()).expect("spawns");
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let handle = committer.handle();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..25u64 {
                    let tags = [t * 1000 + i * 2, t * 1000 + i * 2 + 1];
                    let ids = handle
                        .append_blocking(tags.iter().map(|&tag| message(tag, 5)).collect())
                        .expect("appends");
                    assert_eq!(ids.len(), 2);
                    assert!(ids[0] < ids[1], "a request's IDs are in its own order");
                    mine.extend(tags.into_iter().zip(ids));
                }
                mine
            })
        })
        .collect();
    let all: Vec<(u64, RecordId)> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let ids: BTreeSet<RecordId> = all.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids.len(), 400, "every ID is unique");
    let handle = committer.handle();
    let stats = handle.stats();
    assert_eq!(stats.requests, 200);
    assert_eq!(stats.messages, 400);
    assert!(stats.commits <= stats.requests);
    let store = committer.shutdown().expect("shuts down");
    assert_eq!(store.stats().messages, 400);
    for (tag, id) in all {
        let queue = store.load_queue(&identity('R', u32::try_from(tag % 5).expect("small")));
        let found = queue
            .expect("loads")
            .into_iter()
            .find(|m| m.id == id)
            .expect("stored");
        assert_eq!(tag_of(&found.message), tag);
    }
    assert_eq!(
        handle
            .append_blocking(vec![message(1, 1)])
            .expect_err("closed")
            .code(),
        "store_closed"
    );
}

#[test]
fn calls_and_deletes_run_in_order_with_writes() {
    let committer = Committer::spawn(
        MemoryStore::new(),
        CommitterConfig {
            max_wait: Duration::from_millis(1),
            max_flushes_in_flight: 1,
            ..CommitterConfig::default()
        },
    )
    .expect("spawns");
    let handle = committer.handle();
    let ids = handle
        .append_blocking((0..10).map(|t| message(t, 1)).collect())
        .expect("appends");
    handle.delete_blocking(ids[..4].to_vec()).expect("deletes");
    let queue = handle
        .call_blocking(|store| store.load_queue(&identity('R', 0)))
        .expect("runs")
        .expect("loads");
    let tags: Vec<u64> = queue.iter().map(|m| tag_of(&m.message)).collect();
    assert_eq!(tags, (4..10).collect::<Vec<_>>());
    let expired = handle
        .call_blocking(|store| store.expire(Timestamp::from_secs(1_005)))
        .expect("runs")
        .expect("expires");
    assert_eq!(expired.len(), 2);
    let store = committer.shutdown().expect("shuts down");
    assert_eq!(store.stats().messages, 4);
}

/// A store whose commits always fail, as after a disk error.
struct Failing;

impl MessageStore for Failing {
    fn commit(&mut self, _: &[BufferedMessage], _: &[RecordId]) -> Result<Committed, StoreError> {
        Err(StoreError::Poisoned)
    }
    fn load_queue_page(
        &self,
        _: &Identity,
        _: Option<RecordId>,
        _: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(Vec::new())
    }
    fn recipients(&self) -> Vec<Identity> {
        Vec::new()
    }
    fn queue_stats(&self, _: &Identity) -> QueueStats {
        QueueStats::default()
    }
    fn expire(&mut self, _: Timestamp) -> Result<Vec<Expired>, StoreError> {
        Ok(Vec::new())
    }
    fn maintain(&mut self) -> Result<Maintenance, StoreError> {
        Ok(Maintenance::default())
    }
    fn stats(&self) -> StoreStats {
        StoreStats::default()
    }
}

#[test]
fn a_failed_commit_reaches_every_request_in_the_batch() {
    let committer = Committer::spawn(Failing, CommitterConfig::default()).expect("spawns");
    let handle = committer.handle();
    let (tx, rx) = mpsc::channel();
    for t in 0..20 {
        let append_tx = tx.clone();
        handle.append(vec![message(t, 1)], move |r| {
            append_tx.send(r.map(|_| ())).expect("send");
        });
        let delete_tx = tx.clone();
        handle.delete(vec![RecordId(t)], move |r| delete_tx.send(r).expect("send"));
    }
    drop(tx);
    let results: Vec<_> = rx.iter().collect();
    assert_eq!(results.len(), 40);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(StoreError::Poisoned)))
    );
    committer.shutdown().expect("shuts down");
}

#[test]
fn a_poisoned_log_store_refuses_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), LogStoreConfig::default()).expect("opens");
    store.append(&[message(1, 1)]).expect("appends");
    // Removing the directory under the store makes the next segment creation fail.
    let tiny = LogStoreConfig { segment_bytes: 1 };
    drop(store);
    let mut store = LogStore::open(dir.path(), tiny).expect("reopens");
    std::fs::remove_dir_all(dir.path()).expect("removes");
    let error = store.append(&[message(2, 1)]).expect_err("fails");
    assert_eq!(error.code(), "store_io", "{error}");
    let again = store.append(&[message(3, 1)]).expect_err("poisoned");
    assert_eq!(again.code(), "store_poisoned");
}
