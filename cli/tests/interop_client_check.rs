//! `saltrelay interop client-check` (IOP-17 to IOP-19) against our own client, `saltrelay send`
//! and `saltrelay receive` behind `interop/clients/saltrelay-cli.sh`: it passes every check;
//! broken variants of it fail exactly the check that catches what they do wrong.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_saltrelay");

fn wrapper() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/clients/saltrelay-cli.sh")
}

/// Runs client-check on `sh SCRIPT BIN`; returns the exit code and the text report.
fn client_check(script: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args(["interop", "client-check", "--", "sh"])
        .arg(script)
        .arg(BIN)
        .output()
        .expect("saltrelay runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().expect("exited"), text)
}

fn failed(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

#[test]
fn our_client_passes_every_check() {
    let (code, text) = client_check(&wrapper());
    assert_eq!(code, 0, "{text}");
    assert!(text.ends_with("7 passed, 0 failed, 0 skipped\n"), "{text}");
}

/// The wrapper with some of its text replaced.
fn broken(dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut script = std::fs::read_to_string(wrapper()).expect("the wrapper exists");
    for (from, to) in edits {
        assert!(script.contains(from), "the wrapper changed: {from}");
        script = script.replace(from, to);
    }
    let path = dir.join(name);
    std::fs::write(&path, script).expect("write the broken client");
    path
}

#[test]
fn a_client_that_claims_success_without_an_ack_fails_the_fault_checks() {
    let dir = tempfile::tempdir().expect("temp dir");
    // It sends as ours does, but exits 0 whatever happened.
    let script = broken(
        dir.path(),
        "always-ok.sh",
        &[
            ("send) exec \"$bin\" send", "send) \"$bin\" send"),
            (
                "--timeout-secs \"$SALTRELAY_TIMEOUT_SECS\" ;;",
                "--timeout-secs \"$SALTRELAY_TIMEOUT_SECS\" || true ;;",
            ),
        ],
    );
    let (code, text) = client_check(&script);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        failed(&text),
        [
            "send_refused_mailbox_full",
            "ack_withheld_gives_up",
            "replaced_before_ack",
            "relay_silent_gives_up"
        ],
        "{text}"
    );
    assert!(
        text.contains("exited 0 for a message the relay refused"),
        "{text}"
    );
    assert!(
        text.contains("exited 0 for a message the relay never acked"),
        "{text}"
    );
}

#[test]
fn a_client_that_acks_without_showing_the_messages_fails_the_receive_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = broken(
        dir.path(),
        "silent.sh",
        &[(
            "receive) exec \"$bin\" receive \"$@\" ;;",
            "receive) exec \"$bin\" receive \"$@\" > /dev/null ;;",
        )],
    );
    let (code, text) = client_check(&script);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        failed(&text),
        ["receive_queued_in_order", "receive_cut_then_resumed"],
        "{text}"
    );
    assert!(
        text.contains("message 1 of 3 is not on the client's standard output"),
        "{text}"
    );
}
