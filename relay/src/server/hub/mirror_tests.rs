//! The mirror's rules (CLU-14) on a hub over the in-memory store: which rows a page read and
//! a wake-up read queue, when the next page is asked for, and which results are discarded.

use std::sync::Mutex as StdMutex;

use saltrelay_protocol::time::Timestamp;

use super::*;
use crate::core::Policy;
use crate::server::hub::ClusterHooks;
use crate::store::{BufferedMessage, Committer, CommitterConfig, MemoryStore};

/// A cluster hub with `page_rows` per page, and the identities it asked pages for.
fn hub(page_rows: usize) -> (Hub, Arc<StdMutex<Vec<Identity>>>, Committer<MemoryStore>) {
    let committer =
        Committer::spawn(MemoryStore::new(), CommitterConfig::default()).expect("committer");
    let asked = Arc::new(StdMutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let hooks = ClusterHooks {
        on_logout: Box::new(|_, _| {}),
        want_page: Box::new(move |identity| log.lock().expect("log").push(identity)),
        page_rows,
    };
    let hub = Hub::new(Policy::default(), committer.handle(), 1 << 20, Some(hooks));
    (hub, asked, committer)
}

fn alice() -> Identity {
    "ALICE001".parse().expect("identity")
}

fn record(id: u64) -> QueuedRecord {
    QueuedRecord {
        id: RecordId(id),
        recipient: alice(),
        sender: "SENDER01".parse().expect("identity"),
        message_id: id.to_le_bytes(),
        flags: 0,
        deadline: Timestamp::from_millis(u64::MAX / 2),
        len: 3,
    }
}

fn row(id: u64) -> StoredMessage {
    let r = record(id);
    StoredMessage {
        id: r.id,
        message: BufferedMessage {
            recipient: r.recipient,
            sender: r.sender,
            message_id: r.message_id,
            flags: r.flags,
            deadline: r.deadline,
            payload: vec![1, 2, 3],
        },
    }
}

fn queued(hub: &Hub) -> u32 {
    let state = hub.lock();
    state
        .ids
        .get(&alice())
        .map_or(0, |m| state.mailboxes.queued(*m).expect("mailbox").0)
}

fn cursor(hub: &Hub) -> Option<RecordId> {
    hub.lock()
        .watched
        .get(&alice())
        .expect("watched")
        .mirror
        .cursor
}

/// A watched alice on a listening node, her first page read started.
fn watched(hub: &Hub) -> PageRead {
    hub.watch(alice());
    let mut reads = hub.resume_mirroring();
    assert_eq!(reads.len(), 1);
    reads.pop().expect("one read")
}

#[test]
fn announced_rows_above_the_cursor_wait_for_the_page_that_reaches_them() {
    let (hub, _, _committer) = hub(4);
    let first = watched(&hub);
    let page = (1..=4).map(record).collect();
    assert_eq!(hub.page_loaded(first, Ok(page)), PageOutcome::Applied);
    assert_eq!(
        cursor(&hub),
        Some(RecordId(4)),
        "a full page: more may follow"
    );
    assert_eq!(queued(&hub), 4);
    // 3 is held already; 9 lies above the cursor: an earlier message may be unread.
    hub.rows_arrived(vec![row(3), row(9)]);
    assert_eq!(queued(&hub), 4);
    let next = hub.next_page(alice()).expect("the next page");
    assert_eq!(next.after, RecordId(4));
    assert!(hub.next_page(alice()).is_none(), "one page read at a time");
    assert_eq!(
        hub.page_loaded(next, Ok(vec![record(5), record(9)])),
        PageOutcome::Applied
    );
    assert_eq!(cursor(&hub), None, "a short page: the mirror is complete");
    assert_eq!(queued(&hub), 6);
    hub.rows_arrived(vec![row(10), row(7)]);
    assert_eq!(
        queued(&hub),
        8,
        "a complete mirror queues every announced row"
    );
}

#[test]
fn a_restart_discards_the_page_read_in_flight_and_a_failure_is_retried() {
    let (hub, _, _committer) = hub(4);
    let first = watched(&hub);
    let second = hub.restart(alice()).expect("watched");
    assert_eq!(
        hub.page_loaded(first, Ok(vec![record(1)])),
        PageOutcome::Discarded
    );
    assert_eq!(queued(&hub), 0);
    let failed = hub.page_loaded(
        second,
        Err(StoreError::Database {
            op: "read",
            reason: "test".into(),
        }),
    );
    assert_eq!(failed, PageOutcome::Failed);
    let retry = hub
        .next_page(alice())
        .expect("retried from the same cursor");
    assert_eq!(retry.after, RecordId(0));
    assert_eq!(
        hub.page_loaded(retry, Ok(vec![record(1)])),
        PageOutcome::Applied
    );
    assert_eq!(queued(&hub), 1);
}

#[test]
fn no_page_read_starts_while_the_node_is_not_listening() {
    let (hub, asked, _committer) = hub(4);
    let first = watched(&hub);
    hub.pause_mirroring();
    assert_eq!(
        hub.page_loaded(first, Ok((1..=4).map(record).collect())),
        PageOutcome::Discarded,
        "the listener was lost while it ran"
    );
    assert_eq!(cursor(&hub), Some(RecordId(0)));
    assert!(hub.next_page(alice()).is_none());
    assert!(!hub.mirror_complete(alice()));
    assert!(asked.lock().expect("log").is_empty(), "nothing asked");
    hub.rows_arrived(vec![row(2)]);
    assert_eq!(
        queued(&hub),
        0,
        "announced rows wait for the restart's pages"
    );
    let restart = hub.resume_mirroring().pop().expect("a restart");
    assert_eq!(restart.after, RecordId(0));
}

#[test]
fn a_page_of_rows_already_deleted_asks_for_the_next_at_once() {
    let (hub, asked, _committer) = hub(4);
    let first = watched(&hub);
    hub.deleting
        .lock()
        .expect("set")
        .extend((1..=4).map(RecordId));
    assert_eq!(
        hub.page_loaded(first, Ok((1..=4).map(record).collect())),
        PageOutcome::Applied
    );
    assert_eq!(queued(&hub), 0);
    assert_eq!(*asked.lock().expect("log"), vec![alice()]);
    let next = hub.next_page(alice()).expect("asked");
    assert_eq!(next.after, RecordId(4));
}

#[test]
fn a_complete_mirror_stops_at_two_pages_and_pages_on_from_there() {
    let (hub, _, _committer) = hub(2);
    let first = watched(&hub);
    assert_eq!(
        hub.page_loaded(first, Ok(vec![record(1)])),
        PageOutcome::Applied
    );
    assert_eq!(cursor(&hub), None);
    hub.rows_arrived((10..16).map(row).collect());
    assert_eq!(queued(&hub), 4, "two pages of two rows");
    assert_eq!(
        cursor(&hub),
        Some(RecordId(12)),
        "below the first row not queued"
    );
    let next = hub.next_page(alice()).expect("pages take over");
    assert_eq!(next.after, RecordId(12));
}
