//! Groups over a live relay with real processes (spec/07-groups.md): three identities, a group
//! created, a text, a member whose setup was lost recovering through a sync request, a kick and
//! a leave. `saltrelay receive --json` applies the incoming group messages itself and prints
//! their events (GRP-32); group messages between members whose forward-secret session runs
//! V1.2 travel encapsulated with their group identity (FS-16, FS-43).

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

/// Receives `id`'s queue: `receive` applies the group messages (GRP-32). Returns the group
/// messages' lines and their events' names, in order.
fn receive(relay: &RelayProcess, id: &Path) -> (Vec<Value>, Vec<String>) {
    let lines: Vec<Value> = json_lines(&client(relay, "receive", id, &["--json"]))
        .into_iter()
        .filter(|m| m["type"].as_str().is_some_and(|t| t.starts_with("group_")))
        .collect();
    let events = lines
        .iter()
        .flat_map(|line| {
            line["group_events"]
                .as_array()
                .expect("group events")
                .clone()
        })
        .map(|v| match v["reason"].as_str() {
            Some(reason) => format!("{}/{reason}", v["event"].as_str().expect("event")),
            None => v["event"].as_str().expect("event").to_owned(),
        })
        .collect();
    (lines, events)
}

/// Receives `id`'s queue; returns the group events' names.
fn sync(relay: &RelayProcess, id: &Path) -> Vec<String> {
    receive(relay, id).1
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

    // Bob and Carol get the bundle, which `receive` applies (GRP-4, GRP-32). Alice had no
    // session with them: each message went plain after her Init (V1.0 covers no group type,
    // FS-5).
    assert_eq!(
        sync(&relay, &bob),
        ["joined", "renamed", "ignored/no_change"]
    );
    assert_eq!(
        sync(&relay, &carol),
        ["joined", "renamed", "ignored/no_change"]
    );
    // Alice takes their Accepts: her sessions with both now run 4DH at V1.2.
    assert!(sync(&relay, &alice).is_empty());

    // Carol loses her group state: Bob's text then finds no group, so she asks Alice for a
    // sync (GRP-12, GRP-16); Alice answers with the resync bundle (GRP-5).
    std::fs::remove_file(format!("{}.groups.json", carol.display())).expect("carol's state");
    group_cmd(
        &relay,
        &["group", "send"],
        &bob,
        &["--group", &group, "--text", "hello"],
        "",
    );
    // Bob holds Alice's session (he took her Init): his group text travels in it, under
    // V1.2 with its group identity (FS-16, FS-43).
    let (lines, events) = receive(&relay, &alice);
    assert_eq!(events, ["message"]);
    assert_eq!(lines[0]["type"], "group_text");
    assert_eq!(lines[0]["forward_secret"], true, "{}", lines[0]);
    assert_eq!(lines[0]["fs"]["dh_type"], "4DH");
    assert_eq!(lines[0]["fs"]["version"], "1.2");
    assert_eq!(
        sync(&relay, &carol),
        ["sync_requested", "ignored/unknown_group"]
    );
    // Carol's sync request reached Alice in their session, under V1.2 as well.
    let (lines, events) = receive(&relay, &alice);
    assert_eq!(events, ["sync_answered"]);
    assert_eq!(lines[0]["type"], "group_sync_request");
    assert_eq!(lines[0]["fs"]["version"], "1.2", "{}", lines[0]);
    let (lines, events) = receive(&relay, &carol);
    assert_eq!(events, ["joined", "renamed", "ignored/no_change"]);
    assert!(
        lines
            .iter()
            .all(|l| l["forward_secret"] == true && l["fs"]["version"] == "1.2"),
        "the resync bundle travels under V1.2: {lines:?}"
    );
    let everyone = {
        let mut v = vec![bob_id.clone(), carol_id.clone()];
        v.sort();
        v
    };
    assert_eq!(members(&carol), ("active".into(), everyone.clone()));

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
    assert_eq!(sync(&relay, &alice), ["poll_opened"]);
    assert_eq!(sync(&relay, &carol), ["poll_opened"]);
    group_cmd(
        &relay,
        &["poll", "vote"],
        &alice,
        &["--group", &group, "--poll", &poll, "--choose", "1"],
        "",
    );
    assert_eq!(sync(&relay, &bob), ["poll_vote"]);
    assert_eq!(sync(&relay, &carol), ["poll_vote"]);
    group_cmd(
        &relay,
        &["poll", "close"],
        &bob,
        &["--group", &group, "--poll", &poll],
        "",
    );
    assert_eq!(sync(&relay, &alice), ["poll_closed"]);
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
    assert_eq!(sync(&relay, &carol), ["poll_closed", "kicked"]);
    assert_eq!(members(&carol).0, "kicked");
    assert_eq!(
        sync(&relay, &bob),
        ["members_changed", "ignored/no_change", "ignored/no_change"]
    );
    assert_eq!(members(&bob), ("active".into(), vec![bob_id.clone()]));

    // Bob leaves; Alice removes him (GRP-15).
    group_cmd(&relay, &["group", "leave"], &bob, &["--group", &group], "");
    assert_eq!(sync(&relay, &alice), ["member_left"]);
    assert_eq!(members(&alice), ("active".into(), Vec::<String>::new()));
    assert_eq!(members(&bob).0, "left");
    assert!(relay.stop().success());
}
