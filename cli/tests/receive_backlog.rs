//! `saltrelay receive` drains any backlog with bounded memory and confirms its acks before it
//! exits (spec/05-relay.md CLIENT-1, CLIENT-2, CLIENT-4), with real processes on loopback.

mod relay_process;

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use relay_process::library::LibrarySender;
use relay_process::{RelayProcess, client, json_lines, new_identity, saltrelay};

/// A relay that holds a large queue and lets the test's sender go fast (RELAY-11, RELAY-20).
const ROOMY: &[&str] = &[
    "--max-queue-messages",
    "200000",
    "--rate-limit",
    "1000000",
    "--rate-burst",
    "1000000",
];

/// The two tests run one after the other: each loads the machine on its own.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Generous: a loaded machine with five builds running must still pass.
const RECEIVE_DEADLINE: Duration = Duration::from_secs(900);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// What one `receive` run printed, how long it took and its peak resident memory.
struct Drained {
    lines: Vec<serde_json::Value>,
    elapsed: Duration,
    peak_rss_kib: u64,
}

/// Runs `saltrelay receive --json` to its end, sampling its peak RSS (`VmHWM`); fails the test
/// if it does not end within [`RECEIVE_DEADLINE`] (it used to hang, issue 11).
fn receive(relay: &RelayProcess, id: &Path, out_dir: &Path) -> Drained {
    let started = Instant::now();
    let mut child = saltrelay()
        .args([
            "receive",
            "--json",
            "--relay",
            &relay.addr,
            "--relay-key",
            &relay.key,
            "--id",
        ])
        .arg(id)
        .arg("--out-dir")
        .arg(out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("receive starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).expect("utf-8 output");
        text
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_rss_kib = 0;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kib) = vm_hwm_kib(&status)
        {
            peak_rss_kib = peak_rss_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > RECEIVE_DEADLINE {
            kill(&mut child);
            panic!("receive did not end within {RECEIVE_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(status.success(), "receive failed: {stderr}");
    let text = reader.join().expect("reader");
    let lines = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    Drained {
        lines,
        elapsed,
        peak_rss_kib,
    }
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// How often each message id was printed, texts only.
fn count_texts(lines: &[serde_json::Value], seen: &mut HashMap<String, u32>) {
    for line in lines {
        assert_eq!(line["type"], "text", "only texts were sent: {line}");
        *seen
            .entry(line["text"].as_str().expect("text").to_owned())
            .or_default() += 1;
    }
}

#[test]
fn receive_drains_100_000_queued_messages_with_bounded_memory() {
    const MESSAGES: u64 = 100_000;
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), ROOMY);
    let (alice, _) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    // Bob logs in once so the relay binds his key (TR-15), then is offline.
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());

    let started = Instant::now();
    runtime().block_on(async {
        let mut sender = LibrarySender::connect(&relay, &alice, &bob_id, 1).await;
        sender.send_all(0..MESSAGES).await;
        sender.close().await;
    });
    eprintln!("backlog of {MESSAGES} acked in {:?}", started.elapsed());

    let drained = receive(&relay, &bob, dir.path());
    let mut seen = HashMap::new();
    count_texts(&drained.lines, &mut seen);
    assert_eq!(seen.len() as u64, MESSAGES, "every queued message printed");
    assert!(seen.values().all(|&n| n == 1), "none printed twice");
    #[allow(clippy::cast_precision_loss)]
    let rate = MESSAGES as f64 / drained.elapsed.as_secs_f64();
    eprintln!(
        "receive drained {MESSAGES} messages in {:.2} s ({rate:.0} msg/s), peak RSS {} KiB",
        drained.elapsed.as_secs_f64(),
        drained.peak_rss_kib
    );
    // Bounded memory: far below what 10^5 buffered messages and their state would take.
    assert!(
        drained.peak_rss_kib < 200 * 1024,
        "peak RSS {} KiB",
        drained.peak_rss_kib
    );
    // CLIENT-2: every ack reached the relay; nothing comes again.
    let again = receive(&relay, &bob, dir.path());
    assert!(again.lines.is_empty(), "acked messages came again");
    // CLIENT-4: Alice gets the receipts batched, each id once.
    let receipts = json_lines(&client(&relay, "receive", &alice, &["--json"]));
    let ids: usize = receipts
        .iter()
        .map(|r| r["message_ids"].as_array().expect("ids").len())
        .sum();
    assert_eq!(ids as u64, MESSAGES);
    assert!(receipts.len() < 1_000, "{} receipts", receipts.len());
}

#[test]
fn receive_prints_no_duplicates_while_messages_keep_coming() {
    const BURSTS: u64 = 50;
    const PER_BURST: u64 = 20;
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = RelayProcess::start(&dir.path().join("relay"), ROOMY);
    let (alice, _) = new_identity(dir.path(), "alice");
    let (bob, bob_id) = new_identity(dir.path(), "bob");
    assert!(json_lines(&client(&relay, "receive", &bob, &["--json"])).is_empty());

    let rt = runtime();
    let mut sender = rt.block_on(LibrarySender::connect(&relay, &alice, &bob_id, 2));
    // Alice keeps sending bursts while Bob runs `receive` again and again.
    let sending = rt.spawn(async move {
        for burst in 0..BURSTS {
            sender
                .send_all(burst * PER_BURST..(burst + 1) * PER_BURST)
                .await;
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        sender.close().await;
    });
    let mut seen = HashMap::new();
    let mut runs = 0;
    while !sending.is_finished() {
        count_texts(&receive(&relay, &bob, dir.path()).lines, &mut seen);
        runs += 1;
    }
    rt.block_on(sending).expect("sender");
    count_texts(&receive(&relay, &bob, dir.path()).lines, &mut seen);
    let twice: Vec<&String> = seen
        .iter()
        .filter(|&(_, &n)| n > 1)
        .map(|(text, _)| text)
        .collect();
    eprintln!(
        "{runs} receive runs during the sends, {} printed twice",
        twice.len()
    );
    assert!(twice.is_empty(), "printed twice: {twice:?}");
    assert_eq!(
        seen.len() as u64,
        BURSTS * PER_BURST,
        "every message printed"
    );
}
