//! The relay's data directory with real processes: one relay per directory (RELAY-25), a key
//! that is never replaced (RELAY-14, RELAY-26), the listen backlog (RELAY-20).

mod relay_process;

use std::path::Path;
use std::process::Output;

use relay_process::{RelayProcess, saltrelay};
use saltrelay_relay::server::keyfile::key_path;

/// `saltrelay relay serve` expected to refuse to start: its output.
fn serve_refused(data: &Path) -> Output {
    let output = saltrelay()
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .output()
        .expect("relay runs");
    assert!(!output.status.success(), "the relay must not start");
    assert!(output.stdout.is_empty(), "it printed no address");
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_second_relay_on_the_same_data_is_refused_and_names_the_first_pid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay");
    let first = RelayProcess::start(&data, &[]);
    let refused = serve_refused(&data);
    let text = stderr(&refused);
    assert!(text.contains("in use by another relay"), "{text}");
    assert!(
        text.contains(&format!("PID {}", first.child.id())),
        "names the holder: {text}"
    );
    // `relay check` needs a stopped relay too (RELAY-25).
    let check = saltrelay()
        .args(["relay", "check", "--data"])
        .arg(&data)
        .output()
        .expect("relay check runs");
    assert!(!check.status.success());
    assert!(
        stderr(&check).contains("in use by another relay"),
        "{}",
        stderr(&check)
    );
    // The first relay is untouched and, once stopped, the directory is free again.
    assert!(first.stop().success());
    let second = RelayProcess::start(&data, &[]);
    assert!(second.stop().success());
}

#[test]
fn a_crashed_relay_leaves_no_stale_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay");
    RelayProcess::start(&data, &[]).crash();
    let again = RelayProcess::start(&data, &[]);
    assert!(again.stop().success());
}

#[test]
fn a_damaged_or_missing_relay_key_refuses_the_start_and_is_never_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay");
    let relay = RelayProcess::start(&data, &[]);
    let key = relay.key.clone();
    assert!(relay.stop().success());
    let path = key_path(&data);
    let good = std::fs::read(&path).expect("key file");

    let mut flipped = good.clone();
    flipped[3] ^= 0x01; // the magic
    for damaged in [
        Vec::new(),
        good[..20].to_vec(),
        flipped,
        [&good[..], &[0]].concat(),
    ] {
        std::fs::write(&path, &damaged).expect("damage the key");
        let text = stderr(&serve_refused(&data));
        assert!(text.contains("relay.key"), "{text}");
        assert!(text.contains("restore relay.key"), "{text}");
        assert_eq!(
            std::fs::read(&path).expect("kept"),
            damaged,
            "never rewritten"
        );
    }

    // A deleted key in a directory that holds relay data: no new key either.
    std::fs::remove_file(&path).expect("delete the key");
    let text = stderr(&serve_refused(&data));
    assert!(text.contains("missing"), "{text}");
    assert!(text.contains("directory.log"), "{text}");
    assert!(!path.exists(), "no key was created");

    // Restored from the backup, the relay starts with its old key.
    std::fs::write(&path, &good).expect("restore");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let relay = RelayProcess::start(&data, &[]);
    assert_eq!(relay.key, key);
    assert!(relay.stop().success());
}

#[test]
fn relay_key_creates_a_key_only_when_asked_and_only_in_an_empty_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |data: &Path, create: bool| {
        let mut command = saltrelay();
        command.args(["relay", "key", "--data"]).arg(data);
        if create {
            command.arg("--create");
        }
        command.output().expect("relay key runs")
    };
    // A mistyped, nonexistent directory: refused, nothing created.
    let typo = dir.path().join("relay-dtaa");
    let output = run(&typo, false);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--create"), "{}", stderr(&output));
    assert!(!typo.exists());
    // A non-empty directory without a key: refused even with --create.
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).expect("mkdir");
    std::fs::write(busy.join("notes.txt"), b"x").expect("a file");
    let output = run(&busy, true);
    assert!(!output.status.success());
    assert!(!key_path(&busy).exists());
    // A new directory with --create: a key, then the same key without --create.
    let fresh = dir.path().join("fresh");
    let created = run(&fresh, true);
    assert!(created.status.success(), "{}", stderr(&created));
    let again = run(&fresh, false);
    assert!(again.status.success());
    assert_eq!(created.stdout, again.stdout);
    assert_eq!(String::from_utf8_lossy(&created.stdout).trim().len(), 64);
}

/// The accept queue length of the socket listening on `addr`, as `ss` reports it (Send-Q).
fn listen_queue(addr: &str) -> u32 {
    let output = std::process::Command::new("ss")
        .args(["-ltnH"])
        .output()
        .expect("ss runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(3) == Some(&addr)).then(|| fields[2].parse().expect("a number"))
        })
        .unwrap_or_else(|| panic!("{addr} listens"))
}

#[test]
fn the_listen_backlog_defaults_to_4096_and_is_configurable() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("somaxconn")
        .trim()
        .parse()
        .expect("a number");
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("a"), &[]);
    assert_eq!(listen_queue(&relay.addr), 4_096.min(somaxconn));
    assert!(relay.stop().success());
    let relay = RelayProcess::start(&dir.path().join("b"), &["--listen-backlog", "300"]);
    assert_eq!(listen_queue(&relay.addr), 300.min(somaxconn));
    assert!(relay.stop().success());
}
