//! Undecryptable messages are never acked as delivered (spec/05-relay.md CLIENT-3): a message
//! whose sender's key the relay lost stays on the relay and opens once the sender is bound
//! again; one whose box does not open is saved to the quarantine file, then acked.

mod relay_process;

use relay_process::library::LibrarySender;
use relay_process::{RelayProcess, client, json_lines, new_identity};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_message_that_does_not_open_is_quarantined_then_acked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), &[]);
    let (alice, alice_id) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());
    let bytes = runtime().block_on(async {
        let mut sender = LibrarySender::connect(&relay, &alice, &bob_id, 3).await;
        let good = sender.encode(1, "fine".into());
        sender.send_bytes(good).await;
        let mut bad = sender.encode(2, "tampered".into());
        // The last byte belongs to the message box: its tag no longer authenticates.
        *bad.last_mut().expect("not empty") ^= 1;
        sender.send_bytes(bad.clone()).await;
        sender.close().await;
        bad
    });
    let quarantine = dir.path().join("q/quarantine.jsonl");
    let args = [
        "--json",
        "--quarantine",
        quarantine.to_str().expect("utf-8"),
    ];
    let lines = json_lines(&client(&relay, "receive", &bob, &args));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["text"], "fine");
    let bad = &lines[1];
    assert_eq!(bad["from"], alice_id.as_str());
    assert_eq!(bad["type"], "undecryptable");
    assert_eq!(bad["action"], "quarantined");
    assert!(bad["error"]["code"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(bad["error"]["reason"].as_str().is_some());
    assert_eq!(bad["quarantine"], quarantine.to_str().expect("utf-8"));
    // The quarantine keeps the whole message with its reason.
    let text = std::fs::read_to_string(&quarantine).expect("quarantine file");
    let record: serde_json::Value = serde_json::from_str(text.trim()).expect("one record");
    assert_eq!(record["message"], hex::encode(&bytes));
    assert_eq!(record["code"], bad["error"]["code"]);
    assert_eq!(record["from"], alice_id.as_str());
    // Kept by Bob, so acked: the relay has nothing more.
    assert!(json_lines(&client(&relay, "receive", &bob, &args)).is_empty());
}

#[test]
fn a_message_whose_sender_key_the_relay_lost_stays_until_the_sender_is_bound_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay");
    let relay = RelayProcess::start(&data, &[]);
    let (alice, _) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    // Bob is bound first, Alice second (RELAY-15: one 44-byte record each after 16 bytes).
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());
    // One plain message (FS-43): the relay's directory is under test, not the sessions.
    client(
        &relay,
        "send",
        &alice,
        &["--to", &bob_id, "--text", "hello", "--no-fs"],
    );
    assert!(relay.stop().success());
    // The directory loses Alice's binding (cut at a record boundary); her message is queued.
    let directory = data.join("directory.log");
    let len = std::fs::metadata(&directory).expect("directory").len();
    assert_eq!(len, 16 + 2 * 44, "two bindings");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&directory)
        .and_then(|f| f.set_len(16 + 44))
        .expect("truncate");
    let relay = RelayProcess::start(&data, &[]);
    for _ in 0..2 {
        let lines = json_lines(&client(&relay, "receive", &bob, &["--json"]));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["type"], "undecryptable");
        assert_eq!(lines[0]["error"]["code"], "sender_key_unknown");
        assert_eq!(lines[0]["action"], "kept_on_relay");
    }
    // Alice logs in again: bound again, and her message opens.
    assert!(json_lines(&client(&relay, "receive", &alice, &["--json"])).is_empty());
    let lines = json_lines(&client(&relay, "receive", &bob, &["--json"]));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["type"], "text");
    assert_eq!(lines[0]["text"], "hello");
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());
}
