//! Forward-secrecy sessions between two machines (spec/06-forward-secrecy.md): the fresh
//! session, gaps, replays, state loss, races, Terminate, and a property test over
//! interleavings, drops, reorders and duplicates.

use proptest::prelude::*;
use saltrelay_protocol::crypto::SecretKey;
use saltrelay_protocol::e2e::{Message, MessageId};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::session::{
    DhType, Event, Output, PeerSessions, RemovedReason, SKIP_LIMIT, SessionError, State,
    TerminateCause,
};
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::time::Timestamp;

/// One `0xa0` message on the wire: its outer message ID and envelope.
#[derive(Debug, Clone)]
struct Wire {
    message_id: MessageId,
    envelope: Vec<u8>,
}

struct Side {
    machine: PeerSessions,
    rng: rand_chacha::ChaCha20Rng,
    next_id: u64,
    sent: Vec<Wire>,
    plain: Vec<MessageId>,
    events: Vec<Event>,
}

fn pair(seed: u64) -> (Side, Side) {
    let mut rng = seeded_rng(seed);
    let a_secret = SecretKey::generate(&mut rng);
    let b_secret = SecretKey::generate(&mut rng);
    let a_id: Identity = "ALICE001".parse().unwrap();
    let b_id: Identity = "BOBBY002".parse().unwrap();
    let (a_pub, b_pub) = (a_secret.public_key(), b_secret.public_key());
    let side = |own, secret, peer, public, seed, base| Side {
        machine: PeerSessions::new(own, secret, peer, public).unwrap(),
        rng: seeded_rng(seed),
        next_id: base,
        sent: Vec::new(),
        plain: Vec::new(),
        events: Vec::new(),
    };
    (
        side(a_id, a_secret, b_id, b_pub, seed ^ 1, 1_000),
        side(b_id, b_secret, a_id, a_pub, seed ^ 2, 2_000),
    )
}

impl Side {
    fn fresh_id(&mut self) -> MessageId {
        self.next_id += 1;
        MessageId::from_u64(self.next_id)
    }

    fn drain(&mut self) {
        while let Some(out) = self.machine.poll_output() {
            match out {
                Output::Control(envelope) => {
                    let message_id = self.fresh_id();
                    self.sent.push(Wire {
                        message_id,
                        envelope,
                    });
                }
                Output::Encapsulated {
                    message_id,
                    envelope,
                } => self.sent.push(Wire {
                    message_id,
                    envelope,
                }),
                Output::Plain { message_id } => self.plain.push(message_id),
                Output::Event(event) => self.events.push(event),
                other => panic!("unexpected output {other:?}"),
            }
        }
    }

    fn send_text(&mut self, text: &str) -> MessageId {
        let id = self.fresh_id();
        self.machine
            .send(
                Timestamp::from_secs(1),
                &mut self.rng,
                id,
                &Message::Text(text.into()),
            )
            .unwrap();
        self.drain();
        id
    }

    fn receive(&mut self, wire: &Wire) -> Result<(), SessionError> {
        let result = self.machine.handle_envelope(
            Timestamp::from_secs(2),
            &mut self.rng,
            wire.message_id,
            &wire.envelope,
        );
        self.drain();
        result
    }

    fn take(&mut self) -> Vec<Wire> {
        std::mem::take(&mut self.sent)
    }

    fn received_texts(&self) -> Vec<(MessageId, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Received {
                    message_id,
                    message: Message::Text(t),
                    ..
                } => Some((*message_id, t.clone())),
                _ => None,
            })
            .collect()
    }

    fn states(&self) -> Vec<State> {
        self.machine.checkpoint().iter().map(|c| c.state).collect()
    }
}

fn deliver_all(from: &mut Side, to: &mut Side) -> Vec<Result<(), SessionError>> {
    from.take().iter().map(|w| to.receive(w)).collect()
}

#[test]
fn fresh_session_reaches_l44_and_r44() {
    let (mut a, mut b) = pair(1);
    a.send_text("hello");
    assert_eq!(a.states(), [State::L20]);
    assert_eq!(a.sent.len(), 2, "Init then the 2DH message");
    assert!(deliver_all(&mut a, &mut b).iter().all(Result::is_ok));
    assert_eq!(b.states(), [State::R24]);
    assert_eq!(b.received_texts().len(), 1);
    b.send_text("hi back");
    assert!(deliver_all(&mut b, &mut a).iter().all(Result::is_ok));
    assert_eq!(a.states(), [State::L44]);
    assert_eq!(a.received_texts()[0].1, "hi back");
    a.send_text("now 4dh");
    deliver_all(&mut a, &mut b);
    assert_eq!(b.states(), [State::R44]);
    let last = b.events.iter().rev().find_map(|e| match e {
        Event::Received { dh_type, .. } => Some(*dh_type),
        _ => None,
    });
    assert_eq!(last, Some(DhType::FourDh));
}

#[test]
fn gaps_within_the_limit_open_and_replays_are_refused() {
    let (mut a, mut b) = pair(2);
    a.send_text("one");
    a.send_text("two");
    a.send_text("three");
    let wires = a.take();
    b.receive(&wires[0]).unwrap(); // Init
    b.receive(&wires[3]).unwrap(); // "three": two skipped
    assert!(
        b.events
            .iter()
            .any(|e| matches!(e, Event::MessagesSkipped { count: 2, .. }))
    );
    assert_eq!(b.receive(&wires[1]).unwrap_err().code(), "counter_behind");
    assert_eq!(b.receive(&wires[3]).unwrap_err().code(), "counter_behind");
    assert_eq!(b.received_texts().len(), 1);
    assert_eq!(b.states(), [State::R24], "a replay keeps the session");
}

#[test]
fn a_gap_beyond_the_limit_is_refused_and_the_session_kept() {
    let (mut a, mut b) = pair(3);
    a.send_text("first");
    deliver_all(&mut a, &mut b);
    for _ in 0..=SKIP_LIMIT + 1 {
        a.send_text("x");
    }
    let wires = a.take();
    let last = wires.last().unwrap();
    assert_eq!(b.receive(last).unwrap_err().code(), "counter_too_far");
    assert_eq!(b.states(), [State::R24]);
    // The message right at the limit still opens.
    b.receive(&wires[wires.len() - 2]).unwrap();
}

#[test]
fn lost_state_is_rejected_and_the_sender_starts_over() {
    let (mut a, mut b) = pair(4);
    a.send_text("hello");
    deliver_all(&mut a, &mut b);
    b.send_text("reply");
    deliver_all(&mut b, &mut a);
    // B loses everything.
    let (_, fresh_b) = pair(4);
    b.machine = fresh_b.machine;
    let lost = a.send_text("lost?");
    assert_eq!(
        deliver_all(&mut a, &mut b)[0].clone().unwrap_err().code(),
        "unknown_session"
    );
    deliver_all(&mut b, &mut a); // the Reject
    assert!(
        a.events
            .iter()
            .any(|e| matches!(e, Event::MessageRejected { message_id, .. } if *message_id == lost))
    );
    assert!(a.states().is_empty());
    a.send_text("again");
    assert!(deliver_all(&mut a, &mut b).iter().all(Result::is_ok));
    assert_eq!(b.received_texts().last().unwrap().1, "again");
}

#[test]
fn both_initiate_and_converge_on_the_lowest_session() {
    let (mut a, mut b) = pair(5);
    a.send_text("from a");
    b.send_text("from b");
    deliver_all(&mut a, &mut b);
    deliver_all(&mut b, &mut a);
    assert_eq!(a.received_texts().len(), 1);
    assert_eq!(b.received_texts().len(), 1);
    for _ in 0..3 {
        deliver_all(&mut a, &mut b);
        deliver_all(&mut b, &mut a);
        a.send_text("ping");
        b.send_text("pong");
    }
    deliver_all(&mut a, &mut b);
    deliver_all(&mut b, &mut a);
    let a_ids: Vec<_> = a
        .machine
        .checkpoint()
        .iter()
        .map(|c| c.session_id)
        .collect();
    let b_ids: Vec<_> = b
        .machine
        .checkpoint()
        .iter()
        .map(|c| c.session_id)
        .collect();
    assert_eq!(a_ids.len(), 1);
    assert_eq!(a_ids, b_ids);
}

#[test]
fn terminate_removes_both_sides() {
    let (mut a, mut b) = pair(6);
    a.send_text("hello");
    deliver_all(&mut a, &mut b);
    a.machine.terminate(TerminateCause::Reset);
    a.drain();
    deliver_all(&mut a, &mut b);
    assert!(a.states().is_empty() && b.states().is_empty());
    assert!(b.events.iter().any(|e| matches!(
        e,
        Event::SessionRemoved {
            reason: RemovedReason::Terminated,
            ..
        }
    )));
}

#[test]
fn export_and_restore_keep_the_conversation() {
    let (mut a, mut b) = pair(7);
    a.send_text("hello");
    deliver_all(&mut a, &mut b);
    b.send_text("back");
    let bytes = b.machine.export();
    let (_, mut fresh) = pair(7);
    let (secret, peer_public) = {
        let mut rng = seeded_rng(7);
        let a_secret = SecretKey::generate(&mut rng);
        (SecretKey::generate(&mut rng), a_secret.public_key())
    };
    fresh.machine = PeerSessions::restore(
        "BOBBY002".parse().unwrap(),
        secret,
        "ALICE001".parse().unwrap(),
        peer_public,
        &bytes,
    )
    .unwrap();
    assert_eq!(fresh.machine.checkpoint(), b.machine.checkpoint());
    deliver_all(&mut b, &mut a);
    a.send_text("after restore");
    assert!(deliver_all(&mut a, &mut fresh).iter().all(Result::is_ok));
    assert_eq!(fresh.received_texts().last().unwrap().1, "after restore");
}

/// What the network does with one queued message.
#[derive(Debug, Clone, Copy)]
enum Net {
    AliceSends,
    BobSends,
    DeliverToBob(usize),
    DeliverToAlice(usize),
    DuplicateToBob(usize),
    DropForBob(usize),
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        Just(Net::AliceSends),
        Just(Net::BobSends),
        (0usize..8).prop_map(Net::DeliverToBob),
        (0usize..8).prop_map(Net::DeliverToAlice),
        (0usize..8).prop_map(Net::DuplicateToBob),
        (0usize..8).prop_map(Net::DropForBob),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every message is delivered at most once and as sent; every failure is a specified
    /// code (FS-39).
    #[test]
    fn interleavings_deliver_at_most_once(steps in proptest::collection::vec(net(), 1..60), seed in any::<u64>()) {
        let (mut a, mut b) = pair(seed);
        let mut to_bob: Vec<Wire> = Vec::new();
        let mut to_alice: Vec<Wire> = Vec::new();
        let mut sent_texts = std::collections::HashMap::new();
        let mut delivered_bob = Vec::new();
        for (n, step) in steps.into_iter().enumerate() {
            match step {
                Net::AliceSends => {
                    let text = format!("a{n}");
                    let id = a.send_text(&text);
                    sent_texts.insert(id, text);
                    to_bob.extend(a.take());
                }
                Net::BobSends => {
                    let text = format!("b{n}");
                    let id = b.send_text(&text);
                    sent_texts.insert(id, text);
                    to_alice.extend(b.take());
                }
                Net::DeliverToBob(i) | Net::DuplicateToBob(i) if !to_bob.is_empty() => {
                    let i = i % to_bob.len();
                    let wire = if matches!(step, Net::DuplicateToBob(_)) { to_bob[i].clone() } else { to_bob.remove(i) };
                    if let Err(e) = b.receive(&wire) {
                        prop_assert!(e.is_specified(), "unspecified error {e:?}");
                    }
                    to_alice.extend(b.take());
                }
                Net::DeliverToAlice(i) if !to_alice.is_empty() => {
                    let wire = to_alice.remove(i % to_alice.len());
                    if let Err(e) = a.receive(&wire) {
                        prop_assert!(e.is_specified(), "unspecified error {e:?}");
                    }
                    to_bob.extend(a.take());
                }
                Net::DropForBob(i) if !to_bob.is_empty() => {
                    let i = i % to_bob.len();
                    to_bob.remove(i);
                }
                _ => {}
            }
            delivered_bob = b.received_texts();
        }
        let mut seen = std::collections::HashSet::new();
        for (id, text) in delivered_bob.iter().chain(a.received_texts().iter()) {
            prop_assert!(seen.insert(*id), "message {id:?} delivered twice");
            prop_assert_eq!(sent_texts.get(id), Some(text), "delivered text differs from sent");
        }
    }
}
