//! The command line's edges as a user meets them (issue 12, item 8): error texts said once, a
//! wrong relay key named, a closed pipe, the vectors found where the user points, no key
//! created in a mistyped folder, and the JSON fields in `message seal --help`.

mod relay_process;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use relay_process::{RelayProcess, client, json_lines, new_identity, saltrelay};

/// Every `": "`-separated part of an error line appears once.
fn assert_no_repeated_part(stderr: &str) {
    let line = stderr.trim();
    let line = line.strip_prefix("saltrelay: ").unwrap_or(line);
    let parts: Vec<&str> = line.split(": ").collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..]
                .iter()
                .any(|later| later.contains(part) || part.contains(later)),
            "{part:?} is said twice in {stderr:?}"
        );
    }
}

#[test]
fn a_wrong_relay_key_says_to_check_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), &[]);
    let (alice, _) = new_identity(dir.path(), "alice");
    let wrong_key = "11".repeat(32);
    assert_ne!(wrong_key, relay.key);
    let out = saltrelay()
        .args([
            "receive",
            "--relay",
            &relay.addr,
            "--relay-key",
            &wrong_key,
            "--id",
        ])
        .arg(&alice)
        .output()
        .expect("receive runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--relay-key"), "{stderr}");
    assert!(stderr.contains("check the key"), "{stderr}");
    assert_no_repeated_part(&stderr);
}

#[test]
fn receive_into_a_closed_pipe_exits_quietly_and_acks_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), &[]);
    let (alice, _) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());
    for i in 0..3 {
        client(
            &relay,
            "send",
            &alice,
            &["--to", &bob_id, "--text", &format!("text {i}")],
        );
    }

    // `receive | head -0`: the reader is gone before the first line.
    let mut child = saltrelay()
        .args([
            "receive",
            "--relay",
            &relay.addr,
            "--relay-key",
            &relay.key,
            "--id",
        ])
        .arg(&bob)
        .args(["--json", "--no-receipts"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("receive starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("receive exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "nothing on stderr: {stderr:?}");

    // Nothing printed was acked, so nothing is lost: all three are still queued.
    let texts: Vec<String> = json_lines(&client(&relay, "receive", &bob, &["--json"]))
        .iter()
        .map(|m| m["text"].as_str().expect("text").to_owned())
        .collect();
    assert_eq!(texts, ["text 0", "text 1", "text 2"]);
}

#[test]
fn receive_stops_after_what_head_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), &[]);
    let (alice, _) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());
    client(
        &relay,
        "send",
        &alice,
        &["--to", &bob_id, "--text", "only one"],
    );
    // The shell's own pipe into `head -1`, as a user types it.
    let script = format!(
        "'{bin}' receive --relay {addr} --relay-key {key} --id '{id}' --json --follow | head -1",
        bin = env!("CARGO_BIN_EXE_saltrelay"),
        addr = relay.addr,
        key = relay.key,
        id = bob.display(),
    );
    let mut child = Command::new("bash")
        .args(["-o", "pipefail", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.contains("only one"), "{first}");
    // With --follow, receive writes again only when a second message comes: send it.
    client(
        &relay,
        "send",
        &alice,
        &["--to", &bob_id, "--text", "second"],
    );
    let out = child.wait_with_output().expect("pipeline exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("saltrelay:"),
        "{stderr}"
    );
}

#[test]
fn vectors_verify_with_an_unknown_tc_id_fails() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = saltrelay()
        .current_dir(&root)
        .args(["vectors", "verify", "prim_box.json", "--tc-id", "999999"])
        .output()
        .expect("verify runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no test with tcId 999999"), "{stderr}");

    let found = saltrelay()
        .current_dir(&root)
        .args(["vectors", "verify", "prim_box.json", "--tc-id", "1"])
        .output()
        .expect("verify runs");
    assert!(found.status.success());
    assert!(String::from_utf8_lossy(&found.stdout).contains("vectors: 1 passed, 0 failed"));
}

#[test]
fn vectors_verify_reads_the_folder_under_the_working_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/saltrelay");
    let empty = tempfile::tempdir().expect("temp dir");
    let out = saltrelay()
        .current_dir(empty.path())
        .args(["vectors", "verify"])
        .output()
        .expect("verify runs");
    assert!(!out.status.success(), "no vectors here, none compiled in");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dir"));

    // A checkout of our own with one changed digit: its copy is what gets verified.
    let copy = tempfile::tempdir().expect("temp dir");
    let folder = copy.path().join("vectors/saltrelay");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for entry in std::fs::read_dir(&root).expect("vectors") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), folder.join(entry.file_name())).expect("copy");
    }
    let path = folder.join("prim_secretbox.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut document: serde_json::Value = serde_json::from_str(&text).expect("json");
    let ct = document["tests"][0]["ct"].as_str().expect("ct").to_owned();
    let flipped = if ct.starts_with('0') { "1" } else { "0" };
    document["tests"][0]["ct"] = format!("{flipped}{}", &ct[1..]).into();
    std::fs::write(&path, document.to_string()).expect("write");
    let out = saltrelay()
        .current_dir(copy.path())
        .args(["vectors", "verify", "prim_secretbox.json"])
        .output()
        .expect("verify runs");
    assert!(!out.status.success(), "the changed copy fails");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 failed"));
    let ok = saltrelay()
        .current_dir(copy.path())
        .args(["vectors", "verify", "--dir"])
        .arg(&root)
        .arg("prim_secretbox.json")
        .output()
        .expect("verify runs");
    assert!(ok.status.success(), "an explicit --dir wins");
}

#[test]
fn relay_key_does_not_create_a_key_in_a_mistyped_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let typo = dir.path().join("relay-dta");
    let out = saltrelay()
        .args(["relay", "key", "--data"])
        .arg(&typo)
        .output()
        .expect("relay key runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no relay key") && stderr.contains("--create"),
        "{stderr}"
    );
    assert!(!typo.exists(), "nothing was created");

    let created = saltrelay()
        .args(["relay", "key", "--create", "--data"])
        .arg(&typo)
        .output()
        .expect("relay key runs");
    assert!(created.status.success());
    let key = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    assert_eq!(key.len(), 64);
    let again = saltrelay()
        .args(["relay", "key", "--data"])
        .arg(&typo)
        .output()
        .expect("relay key runs");
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), key);
}

#[test]
fn message_seal_help_lists_its_json_fields() {
    let out = saltrelay()
        .args(["message", "seal", "--help"])
        .output()
        .expect("help runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for field in [
        "sender_secret_key",
        "recipient_public_key",
        "message",
        "nonce",
        "padding_length",
        "plaintext",
        "id show --secret",
    ] {
        assert!(help.contains(field), "{field} missing from:\n{help}");
    }
}
