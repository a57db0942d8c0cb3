//! Groups over a live relay with real processes (spec/07-groups.md): three identities, a group
//! created, a text, a member whose setup was lost recovering through a sync request, a kick and
//! a leave. Incoming messages are fetched with `saltrelay receive --json` and applied with
//! `saltrelay group apply`.

mod relay_process;

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use relay_process::{RelayProcess, client, json_lines, new_identity, saltrelay};
use serde_json::Value;

/// `saltrelay group|poll SUB --relay .. --relay-key .. --id ID ARGS`, which must succeed.
fn group_cmd(
    relay: &RelayProcess,
    words: &[&str],
    id: &Path,
    args: &[&str],
    stdin: &str,
) -> Vec<String> {
    let mut child = saltrelay()
        .args(words)
        .args(["--relay", &relay.addr, "--relay-key", &relay.key, "--id"])
        .arg(id)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("saltrelay runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("saltrelay exits");
    assert!(
        output.status.success(),
        "{words:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Receives everything queued for `id` and returns the JSON lines, optionally dropping some.
fn inbox(relay: &RelayProcess, id: &Path, drop: impl Fn(&Value) -> bool) -> String {
    json_lines(&client(relay, "receive", id, &["--json"]))
        .into_iter()
        .filter(|m| !drop(m))
        .map(|m| m.to_string() + "\n")
        .collect()
}

/// Fetches and applies `id`'s queue; returns the events' names.
fn sync(relay: &RelayProcess, id: &Path, drop: impl Fn(&Value) -> bool) -> Vec<String> {
    let lines = inbox(relay, id, drop);
    group_cmd(relay, &["group", "apply"], id, &[], &lines)
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON event");
            match v["reason"].as_str() {
                Some(reason) => format!("{}/{reason}", v["event"].as_str().expect("event")),
                None => v["event"].as_str().expect("event").to_owned(),
            }
        })
        .collect()
}

fn state(id: &Path) -> Value {
    let out = saltrelay()
        .args(["group", "show", "--json", "--id"])
        .arg(id)
        .output()
        .expect("show runs");
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("state JSON")
}

fn members(id: &Path) -> (String, Vec<String>) {
    let s = state(id);
    let group = &s["groups"][0];
    let members = group["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m.as_str().expect("id").to_owned())
        .collect();
    (
        group["status"].as_str().expect("status").to_owned(),
        members,
    )
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one linear walk-through, as in the README"
)]
fn three_identities_create_kick_leave_and_recover_a_lost_setup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), &[]);
    let (alice, alice_id) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    let (carol, carol_id) = new_identity(dir.path(), "carol");
    for id in [&alice, &bob, &carol] {
        // Each logs in once so the relay binds its key (TR-15).
        client(&relay, "receive", id, &["--json"]);
    }

    let made = group_cmd(
        &relay,
        &["group", "create"],
        &alice,
        &["--name", "Team", "--member", &bob_id, "--member", &carol_id],
        "",
    );
    let group = made[0].clone();
    assert!(group.starts_with(&format!("{alice_id}:")), "{group}");

    // Bob gets the bundle. Carol's setup is lost: her name message finds no group, so she asks
    // Alice for a sync (GRP-12, GRP-16); Alice answers with the resync bundle (GRP-5).
    assert_eq!(
        sync(&relay, &bob, |_| false),
        ["joined", "renamed", "ignored/no_change"]
    );
    let lost_setup = |m: &Value| m["type"] == "group_setup";
    assert_eq!(
        sync(&relay, &carol, lost_setup),
        [
            "sync_requested",
            "ignored/unknown_group",
            "sync_request_suppressed",
            "ignored/unknown_group"
        ]
    );
    assert_eq!(sync(&relay, &alice, |_| false), ["sync_answered"]);
    assert_eq!(
        sync(&relay, &carol, |_| false),
        ["joined", "renamed", "ignored/no_change"]
    );
    let everyone = {
        let mut v = vec![bob_id.clone(), carol_id.clone()];
        v.sort();
        v
    };
    assert_eq!(members(&carol), ("active".into(), everyone.clone()));

    // A text from Bob reaches Alice and Carol.
    group_cmd(
        &relay,
        &["group", "send"],
        &bob,
        &["--group", &group, "--text", "hello"],
        "",
    );
    assert_eq!(sync(&relay, &alice, |_| false), ["message"]);
    assert_eq!(sync(&relay, &carol, |_| false), ["message"]);

    // Bob opens a public poll; Alice votes on it (the poll's creator is not the group's,
    // E2E-21); Bob closes it and everyone holds his result (GRP-23 to GRP-25).
    let made = group_cmd(
        &relay,
        &["poll", "create"],
        &bob,
        &[
            "--group",
            &group,
            "--question",
            "Lunch?",
            "--choice",
            "Pizza",
            "--choice",
            "Sushi",
            "--public",
        ],
        "",
    );
    let poll = made[0].clone();
    assert!(poll.starts_with(&format!("{bob_id}:")), "{poll}");
    assert_eq!(sync(&relay, &alice, |_| false), ["poll_opened"]);
    assert_eq!(sync(&relay, &carol, |_| false), ["poll_opened"]);
    group_cmd(
        &relay,
        &["poll", "vote"],
        &alice,
        &["--group", &group, "--poll", &poll, "--choose", "1"],
        "",
    );
    assert_eq!(sync(&relay, &bob, |_| false), ["poll_vote"]);
    assert_eq!(sync(&relay, &carol, |_| false), ["poll_vote"]);
    group_cmd(
        &relay,
        &["poll", "close"],
        &bob,
        &["--group", &group, "--poll", &poll],
        "",
    );
    assert_eq!(sync(&relay, &alice, |_| false), ["poll_closed"]);
    let shown = saltrelay()
        .args(["poll", "show", "--group", &group, "--id"])
        .arg(&alice)
        .output()
        .expect("poll show runs");
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("poll JSON");
    assert_eq!(shown["closed"], true);
    assert_eq!(shown["result"][1]["votes"], 1, "Sushi has Alice's vote");
    assert_eq!(shown["result"][0]["votes"], 0);

    // Alice kicks Carol; Carol's later text is answered with an empty setup (GRP-12).
    group_cmd(
        &relay,
        &["group", "remove"],
        &alice,
        &["--group", &group, "--member", &carol_id],
        "",
    );
    assert_eq!(sync(&relay, &carol, |_| false), ["poll_closed", "kicked"]);
    assert_eq!(members(&carol).0, "kicked");
    assert_eq!(
        sync(&relay, &bob, |_| false),
        ["members_changed", "ignored/no_change", "ignored/no_change"]
    );
    assert_eq!(members(&bob), ("active".into(), vec![bob_id.clone()]));

    // Bob leaves; Alice removes him (GRP-15).
    group_cmd(&relay, &["group", "leave"], &bob, &["--group", &group], "");
    assert_eq!(sync(&relay, &alice, |_| false), ["member_left"]);
    assert_eq!(members(&alice), ("active".into(), Vec::<String>::new()));
    assert_eq!(members(&bob).0, "left");
    assert!(relay.stop().success());
}
