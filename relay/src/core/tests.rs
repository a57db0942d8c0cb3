//! Tests of the relay policy core: order, flags, caps, acks, expiry, routing.

use saltrelay_protocol::time::Timestamp;

use super::{CoreError, Flags, MailboxId, Mailboxes, Policy, Queued, home_relay};

/// A test message: an id and a size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Msg(u32, u32);

impl Queued for Msg {
    fn queued_len(&self) -> u32 {
        self.1
    }
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(secs)
}

fn core_with(policy: Policy, mailboxes: u32) -> Mailboxes<Msg> {
    let mut core = Mailboxes::new(policy);
    for _ in 0..mailboxes {
        core.add_mailbox().unwrap();
    }
    core
}

fn drain(core: &mut Mailboxes<Msg>, now: Timestamp, to: MailboxId) -> Vec<u32> {
    let mut sent = Vec::new();
    while let Some(delivery) = core.poll_send(now, to).unwrap() {
        sent.push(delivery.item.0);
        if delivery.awaits_ack {
            core.ack(to, delivery.id).unwrap();
        }
    }
    sent
}

#[test]
fn delivers_in_acceptance_order_after_login() {
    let mut core = core_with(Policy::default(), 2);
    let bob = MailboxId(1);
    for id in 0..5 {
        core.push(at(1), bob, Flags::NONE, Msg(id, 10)).unwrap();
    }
    assert_eq!(
        core.poll_send(at(2), bob).unwrap(),
        None,
        "offline: nothing to send"
    );
    core.connect(bob).unwrap();
    assert_eq!(drain(&mut core, at(2), bob), vec![0, 1, 2, 3, 4]);
    assert_eq!(core.queued(bob).unwrap(), (0, 0));
    assert!(core.totals().balanced());
    assert_eq!(core.totals().acked, 5);
}

#[test]
fn unacked_messages_are_resent_after_reconnect_in_order() {
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    core.connect(bob).unwrap();
    for id in 0..3 {
        core.push(at(1), bob, Flags::NONE, Msg(id, 1)).unwrap();
    }
    let first = core.poll_send(at(1), bob).unwrap().unwrap();
    let second = core.poll_send(at(1), bob).unwrap().unwrap();
    core.ack(bob, second.id).unwrap();
    assert_eq!(core.disconnect(bob).unwrap(), 0);
    assert_eq!(core.ack(bob, first.id), Err(CoreError::NotInFlight));
    core.connect(bob).unwrap();
    let again = core.poll_send(at(2), bob).unwrap().unwrap();
    assert_eq!((again.item, again.attempt), (Msg(0, 1), 2));
    assert_eq!(core.poll_send(at(2), bob).unwrap().unwrap().item, Msg(2, 1));
    assert_eq!(
        core.ack(bob, second.id),
        Err(CoreError::UnknownEntry),
        "acked twice"
    );
}

#[test]
fn no_queue_is_refused_offline_and_dropped_on_disconnect() {
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    let typing = Flags::NO_QUEUE.union(Flags::NO_ACK);
    assert_eq!(
        core.push(at(1), bob, typing, Msg(1, 1)),
        Err(CoreError::RecipientOffline)
    );
    core.connect(bob).unwrap();
    core.push(at(1), bob, Flags::NO_QUEUE, Msg(2, 1)).unwrap();
    core.push(at(1), bob, Flags::NONE, Msg(3, 1)).unwrap();
    assert_eq!(core.disconnect(bob).unwrap(), 1);
    let totals = core.totals();
    assert_eq!(
        (
            totals.refused_offline,
            totals.dropped_on_disconnect,
            totals.queued
        ),
        (1, 1, 1)
    );
    assert!(totals.balanced());
}

#[test]
fn no_ack_messages_are_forgotten_once_sent() {
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    let id = core.push(at(1), bob, Flags::NO_ACK, Msg(7, 3)).unwrap();
    core.connect(bob).unwrap();
    let delivery = core.poll_send(at(1), bob).unwrap().unwrap();
    assert!(!delivery.awaits_ack);
    assert_eq!(core.ack(bob, id), Err(CoreError::UnknownEntry));
    assert_eq!(core.totals().sent_without_ack, 1);
    assert_eq!(core.queued(bob).unwrap(), (0, 0));
}

#[test]
fn caps_refuse_by_count_and_by_bytes() {
    let policy = Policy {
        max_messages: 2,
        max_bytes: 100,
        ..Policy::default()
    };
    let mut core = core_with(policy, 2);
    core.push(at(1), MailboxId(0), Flags::NONE, Msg(1, 1))
        .unwrap();
    core.push(at(1), MailboxId(0), Flags::NONE, Msg(2, 1))
        .unwrap();
    assert_eq!(
        core.push(at(1), MailboxId(0), Flags::NONE, Msg(3, 1)),
        Err(CoreError::MailboxFull { limit: "messages" })
    );
    core.push(at(1), MailboxId(1), Flags::NONE, Msg(4, 60))
        .unwrap();
    assert_eq!(
        core.push(at(1), MailboxId(1), Flags::NONE, Msg(5, 41)),
        Err(CoreError::MailboxFull { limit: "bytes" })
    );
    assert_eq!(core.totals().refused_full, 2);
}

#[test]
fn messages_expire_by_class_and_are_never_sent_late() {
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    core.push(at(0), bob, Flags::NONE, Msg(1, 1)).unwrap();
    core.push(at(10), bob, Flags::SHORT_LIVED, Msg(2, 1))
        .unwrap();
    core.push(at(20), bob, Flags::NONE, Msg(3, 1)).unwrap();
    assert_eq!(core.expire(at(69)), 0);
    let mut seen = Vec::new();
    assert_eq!(
        core.expire_with(at(70), |mailbox, item| seen.push((mailbox, item))),
        1
    );
    assert_eq!(
        seen,
        vec![(bob, Msg(2, 1))],
        "short-lived expires after 60 s"
    );
    let fourteen_days = 14 * 24 * 3600;
    assert_eq!(core.expire(at(fourteen_days)), 1);
    core.connect(bob).unwrap();
    // Message 3 expires at 14 d + 20 s; poll_send must not hand it out afterwards.
    assert_eq!(core.poll_send(at(fourteen_days + 20), bob).unwrap(), None);
    assert_eq!(core.totals().expired, 3);
    assert!(core.totals().balanced());
}

#[test]
fn acks_of_other_mailboxes_are_unknown() {
    let mut core = core_with(Policy::default(), 2);
    core.connect(MailboxId(0)).unwrap();
    core.push(at(1), MailboxId(0), Flags::NONE, Msg(1, 1))
        .unwrap();
    let delivery = core.poll_send(at(1), MailboxId(0)).unwrap().unwrap();
    assert_eq!(
        core.ack(MailboxId(1), delivery.id),
        Err(CoreError::UnknownEntry)
    );
    assert_eq!(
        core.ack(MailboxId(9), delivery.id),
        Err(CoreError::UnknownMailbox(9))
    );
    assert_eq!(core.ack_where(MailboxId(0), |m| m.0 == 1), Ok(Msg(1, 1)));
}

#[test]
fn expiry_queue_stays_bounded_when_everything_is_acked() {
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    core.connect(bob).unwrap();
    for id in 0..100_000 {
        core.push(at(1), bob, Flags::NONE, Msg(id, 1)).unwrap();
        drain(&mut core, at(1), bob);
    }
    assert!(
        core.expiry_backlog() <= 2 * 4096 + 2,
        "backlog {}",
        core.expiry_backlog()
    );
    assert!(core.totals().balanced());
}

#[test]
fn time_going_back_counts_as_the_latest_time() {
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    core.push(at(100), bob, Flags::SHORT_LIVED, Msg(1, 1))
        .unwrap();
    core.push(at(50), bob, Flags::SHORT_LIVED, Msg(2, 1))
        .unwrap();
    assert_eq!(core.expire(at(159)), 0);
    assert_eq!(core.expire(at(160)), 2);
}

#[test]
fn home_relay_is_uniform_and_moves_few_clients_when_growing() {
    let ids: Vec<[u8; 8]> = (0_u64..40_000).map(u64::to_le_bytes).collect();
    let mut counts = [0_u32; 4];
    for id in &ids {
        counts[home_relay(id, 4) as usize] += 1;
    }
    for count in counts {
        assert!((9_000..11_000).contains(&count), "uneven split {counts:?}");
    }
    let moved = ids
        .iter()
        .filter(|id| home_relay(id, 4) != home_relay(id, 5))
        .count();
    // About 1/5 should move; plain modulo would move about 4/5.
    assert!((6_000..10_000).contains(&moved), "moved {moved}");
    assert_eq!(home_relay(&ids[0], 0), 0);
}

#[test]
fn restored_messages_ignore_a_lowered_cap_and_new_ones_wait_for_the_drain() {
    // RELAY-27: twelve messages stored under the old cap come back under a cap of five.
    let policy = Policy {
        max_messages: 5,
        ..Policy::default()
    };
    let mut core = core_with(policy, 1);
    let bob = MailboxId(0);
    for i in 0..12 {
        assert!(core.restore(at(1), bob, Flags::NONE, Msg(i, 10)).unwrap() == (i >= 5));
    }
    assert_eq!(core.queued(bob).unwrap().0, 12);
    assert!(matches!(
        core.push(at(2), bob, Flags::NONE, Msg(99, 10)),
        Err(CoreError::MailboxFull { .. })
    ));
    core.connect(bob).unwrap();
    assert_eq!(drain(&mut core, at(3), bob), (0..12).collect::<Vec<_>>());
    core.push(at(4), bob, Flags::NONE, Msg(100, 10)).unwrap();
}

#[test]
fn restoring_past_four_gibibytes_is_refused_without_wrapping_the_byte_count() {
    // RELAY-27 skips the caps, so only the width of the count bounds a restored mailbox.
    let mut core = core_with(Policy::default(), 1);
    let bob = MailboxId(0);
    let big = u32::MAX / 2;
    core.restore(at(1), bob, Flags::NONE, Msg(1, big)).unwrap();
    core.restore(at(1), bob, Flags::NONE, Msg(2, big)).unwrap();
    assert_eq!(
        core.restore(at(1), bob, Flags::NONE, Msg(3, 2)),
        Err(CoreError::Capacity)
    );
    assert_eq!(core.queued(bob).unwrap(), (2, big * 2));
    assert!(core.totals().balanced());
    core.connect(bob).unwrap();
    assert_eq!(drain(&mut core, at(2), bob), vec![1, 2]);
    assert_eq!(core.queued(bob).unwrap(), (0, 0));
}
