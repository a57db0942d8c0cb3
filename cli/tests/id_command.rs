//! `saltrelay id new` and `id show` as a user runs them.

use std::process::Command;

fn saltrelay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saltrelay"))
}

#[test]
fn new_writes_a_private_key_file_and_show_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.id");
    let out = saltrelay()
        .args(["id", "new", "--json", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["identity"].as_str().unwrap().len(), 8);
    assert_eq!(created["public_key"].as_str().unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let shown = saltrelay()
        .args(["id", "show", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(shown.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown, created);

    let again = saltrelay()
        .args(["id", "new", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing key file is never overwritten"
    );
}

#[test]
fn show_explains_a_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bob.id");
    assert!(
        saltrelay()
            .args(["id", "new", "--out"])
            .arg(&path)
            .output()
            .unwrap()
            .status
            .success()
    );
    let bytes = std::fs::read(&path).unwrap();
    for (damaged, needle) in [
        (bytes[..40].to_vec(), "truncated"),
        ([&bytes[..], b"x"].concat(), "65"),
        ([b"SALTRLID\x02", &bytes[9..]].concat(), "version 2"),
        (
            {
                let mut b = bytes.clone();
                b[20] ^= 1;
                b
            },
            "corrupted",
        ),
        (b"hello".to_vec(), "not a saltrelay identity key file"),
    ] {
        std::fs::write(&path, &damaged).unwrap();
        let out = saltrelay()
            .args(["id", "show"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
        assert!(
            stderr.contains("bob.id"),
            "the error names the file: {stderr:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn show_refuses_a_key_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carol.id");
    assert!(
        saltrelay()
            .args(["id", "new", "--out"])
            .arg(&path)
            .output()
            .unwrap()
            .status
            .success()
    );
    for mode in [0o640, 0o604, 0o660] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = saltrelay()
            .args(["id", "show"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success(), "mode {mode:o} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("chmod 600"), "{stderr}");
        assert!(stderr.contains(&format!("{mode:o}")), "{stderr}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        saltrelay()
            .args(["id", "show"])
            .arg(&path)
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn show_json_reports_errors_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nobody.id");
    let out = saltrelay()
        .args(["id", "show", "--json"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error["error"], "key_file_unreadable");
    assert!(error["message"].as_str().unwrap().contains("nobody.id"));

    let damaged = dir.path().join("damaged.id");
    std::fs::write(&damaged, b"hello").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&damaged, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = saltrelay()
        .args(["id", "show", "--json"])
        .arg(&damaged)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error["error"], "key_file_bad_magic");
}

#[test]
fn show_secret_prints_the_key_message_seal_needs_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dave.id");
    assert!(
        saltrelay()
            .args(["id", "new", "--out"])
            .arg(&path)
            .output()
            .unwrap()
            .status
            .success()
    );
    let plain = saltrelay()
        .args(["id", "show", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(plain.get("secret_key").is_none(), "only on request");

    let out = saltrelay()
        .args(["id", "show", "--json", "--secret"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning"));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = shown["secret_key"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    // The README's `message seal` example, fed from it: sealing to ourselves opens again.
    let public = shown["public_key"].as_str().unwrap();
    let seal = serde_json::json!({
        "sender_secret_key": secret, "recipient_public_key": public,
        "message": {"type": "text", "text": "note to self"}
    });
    let sealed = pipe(&["message", "seal"], &seal);
    let open = serde_json::json!({
        "recipient_secret_key": secret, "sender_public_key": public,
        "nonce": sealed["nonce"], "box": sealed["box"]
    });
    assert_eq!(pipe(&["message", "open"], &open)["text"], "note to self");
}

fn pipe(args: &[&str], input: &serde_json::Value) -> serde_json::Value {
    use std::io::Write as _;
    let mut child = saltrelay()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
