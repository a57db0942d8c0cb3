//! Group control traffic (MODEL.md, "Group control traffic"): membership changes send the
//! update bundle to every member, lost setups cause sync requests (at most one per client per
//! hour, GRP-16) answered with the resync bundle, and nothing is sent when it is off.

use saltrelay_simulator::RunResult;
use saltrelay_simulator::scenario::parse_override;
use saltrelay_simulator::sweep::{Plan, run_all};

/// Indices of `counters.control_created` and `control_received`.
const GROUP_CONTROL: usize = 0;
const SYNC_REQUEST: usize = 1;

fn run(sets: &[&str]) -> RunResult {
    let base = [
        "clients=300",
        "duration=1h",
        "warmup=10m",
        "sample_interval=5m",
        "churn.model=\"always\"",
        "traffic.group_fraction=0.5",
        "traffic.group_size_dist=\"fixed\"",
        "traffic.group_size_mean=5",
        "traffic.messages_per_day=200",
    ];
    let sets: Vec<_> = base
        .iter()
        .chain(sets)
        .map(|s| parse_override(s).unwrap())
        .collect();
    let plan = Plan::new("name = \"groups\"", "test", &sets, &[], Some(1)).unwrap();
    let recorded = saltrelay_measure::Provenance::fixed("test", "abc", true);
    let mut doc = run_all(&plan, 1, &recorded, &()).unwrap();
    doc.points.remove(0).runs.remove(0)
}

#[test]
fn membership_changes_send_the_update_bundle_to_every_member() {
    // 1,500 groups of 5, 48 changes a day each: 3,000 changes in the hour, each 3 messages
    // to 4 members; resyncs (1/168 of the groups in an hour) add about 1 %.
    let r = run(&[
        "traffic.groups_per_client=5",
        "traffic.group_changes_per_day=48",
    ]);
    assert!(r.conservation.holds, "{:?}", r.conservation);
    let control = f64::from(u32::try_from(r.counters.control_created[GROUP_CONTROL]).unwrap());
    let expected = 1500.0 * 48.0 / 24.0 * 12.0;
    assert!(
        (control / expected - 1.0).abs() < 0.1,
        "{control} control copies, about {expected} expected"
    );
    assert_eq!(
        r.counters.control_created[SYNC_REQUEST], 0,
        "no setup was lost"
    );
    let class = r
        .latency
        .iter()
        .find(|l| l.class == "group_control")
        .unwrap();
    assert!(class.count > 0);
}

#[test]
fn lost_setups_cause_rate_limited_sync_requests_answered_by_a_resync() {
    let r = run(&["traffic.group_state_lost_fraction=0.5"]);
    assert!(r.conservation.holds, "{:?}", r.conservation);
    let requests = r.counters.control_created[SYNC_REQUEST];
    assert!(requests > 0);
    // GRP-16: at most one request per client per hour; the run lasts one hour.
    assert!(
        requests <= 300,
        "{requests} sync requests from 300 clients in an hour"
    );
    // Each request that arrives is answered by three messages to the requester.
    let answers = r.counters.control_created[GROUP_CONTROL];
    let received = r.counters.control_received[SYNC_REQUEST];
    assert_eq!(answers, 3 * received);
}

#[test]
fn without_groups_there_is_no_control_traffic() {
    let r = run(&[]);
    assert_eq!(r.counters.control_created[GROUP_CONTROL], 0);
    assert_eq!(r.counters.control_created[SYNC_REQUEST], 0);
}
