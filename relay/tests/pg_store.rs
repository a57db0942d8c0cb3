//! The PostgreSQL queue as a `MessageStore` against a real PostgreSQL server
//! (spec/09-relay-cluster.md, CLU-5 to CLU-11): ack after COMMIT, order, deletion, the
//! resend of CLU-8, and the expiry sweep of two nodes at once.

use std::collections::BTreeSet;

use saltrelay_pgtest::PgServer;
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::pg::PgStore;
use saltrelay_relay::store::{BufferedMessage, MessageStore as _, RecordId};

fn id(text: &str) -> Identity {
    text.parse().expect("identity")
}

fn message(to: &str, from: &str, n: u64, deadline_ms: u64) -> BufferedMessage {
    BufferedMessage {
        recipient: id(to),
        sender: id(from),
        message_id: n.to_le_bytes(),
        flags: 0x01,
        deadline: Timestamp::from_millis(deadline_ms),
        payload: vec![
            u8::try_from(n % 251).expect("small");
            100 + usize::try_from(n % 7).expect("small")
        ],
    }
}

#[test]
fn commits_keep_order_delete_on_ack_and_store_a_resend_once() {
    let Some(server) = PgServer::for_test("pg_store semantics") else {
        return;
    };
    let url = server.create_database("semantics").expect("a database");
    let mut store = PgStore::open(&url).expect("open and migrate");
    // CLU-5: a second open applies nothing and changes nothing.
    let mut again = PgStore::open(&url).expect("reopen");
    let batch: Vec<BufferedMessage> = (0..50)
        .map(|n| message("BOBBY123", "ALICE123", n, u64::MAX >> 2))
        .collect();
    let committed = store.commit(&batch, &[]).expect("commit");
    assert_eq!(committed.ids.len(), 50);
    assert!(
        committed.ids.windows(2).all(|w| w[0] < w[1]),
        "IDs follow the batch order"
    );
    // Visible to another node's connection as soon as the commit returned (CLU-7).
    let queue = again.load_queue(&id("BOBBY123")).expect("queue");
    assert_eq!(queue.len(), 50);
    for (n, stored) in queue.iter().enumerate() {
        assert_eq!(stored.message, batch[n]);
        assert_eq!(stored.id, committed.ids[n]);
    }
    // CLU-8: a resend (here through the other node) is stored once, under the same ID.
    let resent = again.commit(&batch[7..9], &[]).expect("resend");
    assert_eq!(resent.ids, committed.ids[7..9]);
    assert_eq!(store.stats().messages, 50);
    // CLU-14: the index matches the queue without payloads.
    let index = store
        .queue_index(&id("BOBBY123"), None, 1_000)
        .expect("index");
    assert_eq!(
        index.iter().map(|r| r.id).collect::<Vec<_>>(),
        committed.ids
    );
    assert!(
        index
            .iter()
            .zip(&batch)
            .all(|(r, m)| r.len as usize == m.payload.len())
    );
    // CLU-9: pages.
    let page = store
        .load_queue_page(&id("BOBBY123"), Some(committed.ids[9]), 5)
        .expect("page");
    assert_eq!(
        page.iter().map(|s| s.id).collect::<Vec<_>>(),
        committed.ids[10..15]
    );
    // CLU-10: deletion on ack; a repeated or unknown ID is ignored.
    let gone = store.delete(&committed.ids[..20]).expect("delete");
    assert_eq!(gone, 20);
    let twice = again
        .delete(&[committed.ids[0], RecordId(u64::MAX >> 2)])
        .expect("again");
    assert_eq!(twice, 0);
    assert_eq!(store.queue_stats(&id("BOBBY123")).messages, 30);
    assert_eq!(store.recipients(), vec![id("BOBBY123")]);
    let rest = store.delete(&committed.ids[20..]).expect("delete the rest");
    assert_eq!(rest, 30);
    assert_eq!(store.stats().messages, 0);
    assert!(store.recipients().is_empty());
}

#[test]
fn two_nodes_sweeping_at_once_delete_each_expired_row_exactly_once() {
    let Some(server) = PgServer::for_test("pg_store expiry from two nodes") else {
        return;
    };
    let url = server.create_database("expiry").expect("a database");
    let mut writer = PgStore::open(&url).expect("open");
    // 6,000 expired messages over 60 recipients, and 100 that are not yet due.
    let mut expired_ids = BTreeSet::new();
    for chunk in 0..6u64 {
        let batch: Vec<BufferedMessage> = (0..1_000)
            .map(|n| {
                let k = chunk * 1_000 + n;
                message(&format!("RCPT{:04}", k % 60), "ALICE123", k, 1_000 + k)
            })
            .collect();
        expired_ids.extend(writer.commit(&batch, &[]).expect("commit").ids);
    }
    let live: Vec<BufferedMessage> = (0..100)
        .map(|n| message("LIVE1234", "ALICE123", n, 1_000_000_000))
        .collect();
    writer.commit(&live, &[]).expect("commit live");
    let now = Timestamp::from_millis(10_000_000);
    let sweep = |url: String| {
        std::thread::spawn(move || {
            let mut node = PgStore::open(&url).expect("open");
            let mut ids = Vec::new();
            // Each node sweeps several times, as the sweeper would.
            for _ in 0..3 {
                ids.extend(node.expire(now).expect("expire").into_iter().map(|e| e.id));
            }
            ids
        })
    };
    let (a, b) = (sweep(url.clone()), sweep(url.clone()));
    let (a, b) = (a.join().expect("node a"), b.join().expect("node b"));
    let a_set: BTreeSet<RecordId> = a.iter().copied().collect();
    let b_set: BTreeSet<RecordId> = b.iter().copied().collect();
    assert_eq!(a_set.len(), a.len(), "node a reported a row twice");
    assert_eq!(b_set.len(), b.len(), "node b reported a row twice");
    assert!(a_set.is_disjoint(&b_set), "a row was deleted by both nodes");
    let union: BTreeSet<RecordId> = a_set.union(&b_set).copied().collect();
    assert_eq!(
        union, expired_ids,
        "every expired row deleted, nothing else"
    );
    assert_eq!(writer.stats().messages, 100);
    assert_eq!(writer.queue_stats(&id("LIVE1234")).messages, 100);
}

#[test]
fn a_commit_after_a_database_restart_reconnects() {
    let Some(server) = PgServer::for_test("pg_store restart") else {
        return;
    };
    let url = server.create_database("restart").expect("a database");
    let mut store = PgStore::open(&url).expect("open");
    let first = store
        .commit(&[message("BOBBY123", "ALICE123", 1, u64::MAX >> 2)], &[])
        .expect("commit");
    server.restart().expect("a managed server restarts");
    // The first request after the restart may fail (its connection is gone); it is not
    // acked, and the next one reconnects. Nothing committed before is lost.
    let retry = message("BOBBY123", "ALICE123", 2, u64::MAX >> 2);
    let second = match store.commit(std::slice::from_ref(&retry), &[]) {
        Ok(committed) => committed,
        Err(error) => {
            assert_eq!(error.code(), "store_database");
            store.commit(&[retry], &[]).expect("reconnected")
        }
    };
    let queue = store.load_queue(&id("BOBBY123")).expect("queue");
    assert_eq!(
        queue.iter().map(|s| s.id).collect::<Vec<_>>(),
        [first.ids[0], second.ids[0]]
    );
}
