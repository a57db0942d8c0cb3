//! Forward secrecy in the tools people run, with real processes (spec/06-forward-secrecy.md,
//! FS-41 to FS-45): two identities talk through a `relay serve` process with FS on by
//! default; one side's session file is deleted mid-conversation, then the other's, and the
//! conversation recovers as FS-33 says, every message shown once or reported.

mod relay_process;

use std::path::{Path, PathBuf};

use relay_process::{RelayProcess, client, json_lines, new_identity, saltrelay};
use serde_json::Value;

/// `send --json --text TEXT`; returns the message ID.
fn send(relay: &RelayProcess, from: &Path, to: &str, text: &str) -> String {
    let lines = json_lines(&client(
        relay,
        "send",
        from,
        &["--to", to, "--text", text, "--json"],
    ));
    assert_eq!(lines[0]["forward_secret"], true, "{lines:?}");
    lines[0]["message_id"]
        .as_str()
        .expect("message_id")
        .to_owned()
}

/// Everything `receive --json` printed for `id` but delivery receipts (sent plain, FS-43).
fn inbox(relay: &RelayProcess, id: &Path, out: &Path) -> Vec<Value> {
    json_lines(&client(
        relay,
        "receive",
        id,
        &["--json", "--out-dir", out.to_str().expect("utf-8")],
    ))
    .into_iter()
    .filter(|line| line["type"] != "delivery_receipt")
    .collect()
}

/// The one text line of `lines`, with its DH type and version.
fn text(lines: &[Value]) -> (String, String, String) {
    let texts: Vec<&Value> = lines.iter().filter(|l| l["type"] == "text").collect();
    assert_eq!(texts.len(), 1, "{lines:?}");
    let t = texts[0];
    assert_eq!(t["forward_secret"], true, "{t}");
    (
        t["text"].as_str().expect("text").to_owned(),
        t["fs"]["dh_type"].as_str().expect("dh type").to_owned(),
        t["fs"]["version"].as_str().expect("version").to_owned(),
    )
}

fn sessions(id: &Path) -> PathBuf {
    let mut name = id.as_os_str().to_owned();
    name.push(".sessions");
    PathBuf::from(name)
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one conversation, step by step, as FS-45 tells it"
)]
fn a_deleted_session_file_is_recovered_and_nothing_is_lost_silently() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let relay = RelayProcess::start(&dir.path().join("relay"), &[]);
    let (alice, alice_id) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    for id in [&alice, &bob] {
        // Each logs in once so the relay binds its key (TR-15).
        assert!(inbox(&relay, id, &out).is_empty());
    }

    // A first message starts a session: Init, then the text under 2DH (FS-20, FS-21).
    send(&relay, &alice, &bob_id, "one");
    assert_eq!(
        text(&inbox(&relay, &bob, &out)),
        ("one".into(), "2DH".into(), "1.0".into())
    );
    // Alice takes Bob's Accept (nothing to show): from now on 4DH at V1.2 both ways.
    assert!(inbox(&relay, &alice, &out).is_empty());
    send(&relay, &alice, &bob_id, "two");
    assert_eq!(
        text(&inbox(&relay, &bob, &out)),
        ("two".into(), "4DH".into(), "1.2".into())
    );
    send(&relay, &bob, &alice_id, "three");
    assert_eq!(
        text(&inbox(&relay, &alice, &out)),
        ("three".into(), "4DH".into(), "1.2".into())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = sessions(&bob);
        let mode = std::fs::metadata(&file)
            .expect("bob's session file")
            .permissions();
        assert_eq!(mode.mode() & 0o777, 0o600, "FS-41: mode 0600");
        // FS-41: a session file others can read is refused, as the key file is (ID-9).
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = saltrelay()
            .args([
                "receive",
                "--relay",
                &relay.addr,
                "--relay-key",
                &relay.key,
                "--id",
            ])
            .arg(&bob)
            .output()
            .expect("receive runs");
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(".sessions"), "{stderr}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    // Bob loses his session file. Alice's next message arrives for a session Bob no longer
    // has: reported on Bob's side and rejected (FS-33, FS-44 case 5) ...
    std::fs::remove_file(sessions(&bob)).expect("delete bob's sessions");
    let four = send(&relay, &alice, &bob_id, "four");
    // Alice's delivery receipt for "three" went in the lost session too (FS-43): every message
    // of it is reported the same way (FS-33).
    let lines = inbox(&relay, &bob, &out);
    assert!(
        lines.iter().all(|l| l["type"] == "undecryptable"
            && l["error"]["code"] == "unknown_session"
            && l["action"] == "quarantined"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l["message_id"] == four.as_str()),
        "{lines:?}"
    );
    // ... and Alice is told which of her messages were not delivered (FS-27, FS-44 case 3).
    let rejected = inbox(&relay, &alice, &out);
    assert_eq!(rejected.len(), lines.len(), "{rejected:?}");
    assert!(rejected.iter().all(|l| l["type"] == "fs_rejected"
        && l["cause"] == "unknown_session"
        && l["action"] == "not_delivered"));
    assert!(
        rejected
            .iter()
            .any(|l| l["rejected_message_id"] == four.as_str()),
        "{rejected:?}"
    );
    // Her next message starts a new session, and the conversation goes on both ways.
    send(&relay, &alice, &bob_id, "five");
    assert_eq!(
        text(&inbox(&relay, &bob, &out)),
        ("five".into(), "2DH".into(), "1.0".into())
    );
    send(&relay, &bob, &alice_id, "six");
    assert_eq!(
        text(&inbox(&relay, &alice, &out)),
        ("six".into(), "4DH".into(), "1.2".into())
    );

    // Now Alice loses hers and writes first: her Init replaces Bob's sessions (FS-24 step 3).
    std::fs::remove_file(sessions(&alice)).expect("delete alice's sessions");
    send(&relay, &alice, &bob_id, "seven");
    assert_eq!(
        text(&inbox(&relay, &bob, &out)),
        ("seven".into(), "2DH".into(), "1.0".into())
    );
    send(&relay, &bob, &alice_id, "eight");
    assert_eq!(
        text(&inbox(&relay, &alice, &out)),
        ("eight".into(), "4DH".into(), "1.2".into())
    );
    send(&relay, &alice, &bob_id, "nine");
    assert_eq!(
        text(&inbox(&relay, &bob, &out)),
        ("nine".into(), "4DH".into(), "1.2".into())
    );
    // Nothing is left anywhere: every message was shown once or reported.
    assert!(inbox(&relay, &alice, &out).is_empty());
    assert!(inbox(&relay, &bob, &out).is_empty());

    // --no-fs sends plain; the receiver says so.
    let plain = json_lines(&client(
        &relay,
        "send",
        &alice,
        &["--to", &bob_id, "--text", "plain", "--json", "--no-fs"],
    ));
    assert_eq!(plain[0]["forward_secret"], false);
    let lines = inbox(&relay, &bob, &out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["text"], "plain");
    assert_eq!(lines[0]["forward_secret"], false);
    assert!(lines[0].get("fs").is_none());
    assert!(relay.stop().success());
}
