//! End to end with real processes on loopback: a `saltrelay relay serve` process, identities
//! from `saltrelay id new`, and `saltrelay send` / `saltrelay receive` runs (spec/05-relay.md).

mod relay_process;

use relay_process::{RelayProcess, client, json_lines, new_identity};
use saltrelay_relay::server::{BLOB_DIR_NAME, STORE_DIR_NAME};
use saltrelay_relay::store::{LogStore, LogStoreConfig, MessageStore as _};

#[test]
fn two_identities_exchange_text_a_20_mb_file_and_receipts_then_nothing_remains() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay");
    let relay = RelayProcess::start(&data, &[]);
    let (alice, _) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    // Bob logs in once so the relay binds his key (TR-15); his queue is empty.
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());

    // Bob is offline: ten texts, then a 20 MB file. Each send exits 0 once acked (durable).
    let mut sent = Vec::new();
    for i in 0..10 {
        let out = client(
            &relay,
            "send",
            &alice,
            &["--to", &bob_id, "--text", &format!("text {i}"), "--json"],
        );
        sent.push(
            json_lines(&out)[0]["message_id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let file = dir.path().join("photo.bin");
    let content: Vec<u8> = (0..20_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&file, &content).expect("write file");
    let out = client(
        &relay,
        "send",
        &alice,
        &[
            "--to",
            &bob_id,
            "--file",
            file.to_str().expect("utf-8"),
            "--json",
        ],
    );
    sent.push(
        json_lines(&out)[0]["message_id"]
            .as_str()
            .expect("id")
            .to_owned(),
    );

    // Bob comes back: everything, in order, and the file saved (RELAY-3).
    let inbox = dir.path().join("inbox");
    let out = client(
        &relay,
        "receive",
        &bob,
        &["--json", "--out-dir", inbox.to_str().expect("utf-8")],
    );
    let received = json_lines(&out);
    let ids: Vec<&str> = received
        .iter()
        .map(|m| m["message_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, sent.iter().map(String::as_str).collect::<Vec<_>>());
    for (i, message) in received[..10].iter().enumerate() {
        assert_eq!(message["type"], "text");
        assert_eq!(message["text"], format!("text {i}"));
    }
    assert_eq!(received[10]["type"], "file");
    let saved = received[10]["saved_to"].as_str().expect("saved");
    assert!(
        std::fs::read(saved).expect("saved file") == content,
        "file arrives intact"
    );

    // Alice gets a delivery receipt for every message, batched (E2E-18, CLIENT-4).
    let receipts = json_lines(&client(&relay, "receive", &alice, &["--json"]));
    let acknowledged: Vec<&str> = receipts
        .iter()
        .flat_map(|r| {
            assert_eq!(r["type"], "delivery_receipt");
            assert_eq!(r["status"], "received");
            r["message_ids"].as_array().expect("ids")
        })
        .map(|id| id.as_str().expect("id"))
        .collect();
    assert_eq!(
        acknowledged,
        sent.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(relay.stop().success(), "SIGTERM shuts down cleanly");

    assert_nothing_remains(&data, &sent);
}

/// RELAY-17: the data directory holds the lock, the key, the directory, an empty store, no
/// blobs.
fn assert_nothing_remains(data: &std::path::Path, sent: &[String]) {
    let mut names: Vec<String> = std::fs::read_dir(data)
        .expect("data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["LOCK", "blobs", "directory.log", "messages", "relay.key"]
    );
    assert_eq!(
        std::fs::read_dir(data.join(BLOB_DIR_NAME))
            .expect("blobs")
            .count(),
        0
    );
    let store =
        LogStore::open(data.join(STORE_DIR_NAME), LogStoreConfig::default()).expect("store");
    assert_eq!(store.stats().messages, 0, "every acked message was deleted");
    // STORE-6: no message ID survives in the segment files.
    for entry in std::fs::read_dir(data.join(STORE_DIR_NAME)).expect("store dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("segment");
        for id in sent {
            let id = hex::decode(id).expect("hex");
            assert!(
                !bytes.windows(8).any(|w| w == id.as_slice()),
                "an erased message id remains"
            );
        }
    }
}
