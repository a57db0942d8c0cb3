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
