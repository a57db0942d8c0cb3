//! The event queue pops every event once, in time order, across all three levels.

use super::{Event, EventQueue};
use crate::rng::Stream;

fn event(time: u64, id: u32) -> Event {
    Event {
        time,
        kind: 0,
        who: id,
        a: 0,
        b: 0,
        c: 0,
    }
}

#[test]
fn pops_in_time_order_with_interleaved_pushes() {
    let mut queue = EventQueue::new();
    let mut counter = 0;
    let mut rng = Stream::new(5, 0, &mut counter);
    let mut now = 0_u64;
    let mut expected = Vec::new();
    let mut popped = Vec::new();
    let mut next_id = 0;
    // Delays from microseconds to days, so every level and every jump is used.
    for round in 0..20_000 {
        for _ in 0..2 {
            let scale = [10.0, 5e4, 3e6, 3e8, 3e11][rng.below(5) as usize];
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let delay = rng.exponential(scale) as u64;
            queue.push(event(now + delay, next_id));
            expected.push((now + delay, next_id));
            next_id += 1;
        }
        if round % 3 != 0 {
            let e = queue.pop().unwrap();
            assert!(e.time >= now, "went back from {now} to {}", e.time);
            now = e.time;
            popped.push((e.time, e.who));
        }
    }
    while let Some(e) = queue.pop() {
        assert!(e.time >= now);
        now = e.time;
        popped.push((e.time, e.who));
    }
    assert!(queue.is_empty());
    popped.sort_unstable();
    expected.sort_unstable();
    assert_eq!(popped, expected);
}

#[test]
fn equal_times_keep_insertion_order_within_a_slot() {
    let mut queue = EventQueue::new();
    for id in 0..10 {
        queue.push(event(1_000_000, id));
    }
    let order: Vec<u32> = std::iter::from_fn(|| queue.pop()).map(|e| e.who).collect();
    assert_eq!(order, (0..10).collect::<Vec<_>>());
}

#[test]
fn past_events_fire_next() {
    let mut queue = EventQueue::new();
    queue.push(event(10_000_000, 1));
    assert_eq!(queue.pop().unwrap().who, 1);
    queue.push(event(20_000_000, 3));
    queue.push(event(5, 2));
    assert_eq!(queue.pop().unwrap().who, 2);
    assert_eq!(queue.pop().unwrap().who, 3);
    assert_eq!(queue.len(), 0);
}
