//! Group-commit load on the log store (spec/05-relay-storage.md, STORE-11, STORE-12):
//! throughput and ack latency of 1024-byte appends through the `Committer`, for several numbers
//! of concurrent senders, batch waits and offered rates. Prints a Markdown table.
//!
//! `cargo run --release -p saltrelay-relay --example store_load -- [--dir DIR] [--seconds S]
//! [--clients 1,64,1000] [--wait-us 0,500,2000] [--rate 0,30000] [--flushes 1,4]
//! [--repeat N] [--out FILE]`
//!
//! With `--rate 0` each of the N senders waits for its ack before sending again (closed
//! loop: the store's capacity). With a rate, messages are offered at that many per second
//! spread over 1 ms ticks whatever the acks do (open loop: latency at a given load).

#![expect(
    clippy::cast_precision_loss,
    reason = "counts and durations shown as rates; far below 2^52"
)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::{
    BufferedMessage, CommitHandle, Committer, CommitterConfig, LogStore, LogStoreConfig, StoreError,
};

struct Args {
    dir: PathBuf,
    seconds: f64,
    clients: Vec<usize>,
    waits_us: Vec<u64>,
    rates: Vec<u64>,
    flushes: Vec<usize>,
    repeat: usize,
    out: Option<PathBuf>,
}

fn list<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split(',')
        .map(|v| v.parse().ok().expect("a comma-separated list of numbers"))
        .collect()
}

fn parse_args() -> Args {
    let mut args = Args {
        dir: PathBuf::from("target/store-load-data"),
        seconds: 3.0,
        clients: vec![1, 64, 1000],
        waits_us: vec![0, 500, 2000],
        rates: vec![0],
        flushes: vec![4],
        repeat: 1,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("every flag takes a value");
        match flag.as_str() {
            "--dir" => args.dir = value.into(),
            "--seconds" => args.seconds = value.parse().expect("seconds"),
            "--clients" => args.clients = list(&value),
            "--wait-us" => args.waits_us = list(&value),
            "--rate" => args.rates = list(&value),
            "--flushes" => args.flushes = list(&value),
            "--repeat" => args.repeat = value.parse().expect("repeat"),
            "--out" => args.out = Some(value.into()),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

type Ack = (usize, Instant, Result<(), StoreError>);

/// Sends one 1024-byte message for sender `slot`; the ack arrives on `acks`.
fn send(handle: &CommitHandle, acks: &mpsc::Sender<Ack>, slot: usize, seq: u64) {
    let n = u32::try_from(slot % 10_000).expect("small");
    let sender = Identity::from_bytes(format!("S{n:07}").as_bytes()).expect("identity");
    let message = BufferedMessage {
        recipient: Identity::from_bytes(format!("R{n:07}").as_bytes()).expect("identity"),
        sender,
        message_id: seq.to_le_bytes(),
        flags: 0,
        deadline: Timestamp::from_secs(4_000_000_000),
        payload: (0..1024u64)
            .map(|i| (seq.wrapping_mul(31).wrapping_add(i * 7) % 251) as u8)
            .collect(),
    };
    let acks = acks.clone();
    let sent = Instant::now();
    handle.append(vec![message], move |result| {
        let _ = acks.send((slot, sent, result.map(|_| ())));
    });
}

struct Outcome {
    per_sec: f64,
    commits_per_sec: f64,
    latencies_ms: Vec<f64>,
}

/// Runs one cell: `clients` senders (closed loop) or `rate` messages per second (open loop).
fn run(args: &Args, clients: usize, wait: Duration, rate: u64, flushes: usize) -> Outcome {
    let _ = std::fs::remove_dir_all(&args.dir);
    let store = LogStore::open(&args.dir, LogStoreConfig::default()).expect("opens");
    let config = CommitterConfig {
        max_wait: wait,
        max_flushes_in_flight: flushes,
        ..CommitterConfig::default()
    };
    let committer = Committer::spawn(store, config).expect("spawns");
    let handle = committer.handle();
    let (acks, completions) = mpsc::channel::<Ack>();
    let mut latencies = Vec::new();
    let mut seq = 0u64;
    let start = Instant::now();
    let run_for = Duration::from_secs_f64(args.seconds);
    let mut outstanding = 0usize;
    if rate == 0 {
        for slot in 0..clients {
            send(&handle, &acks, slot, seq);
            seq += 1;
            outstanding += 1;
        }
    }
    let mut tick = start;
    while start.elapsed() < run_for {
        if rate > 0 {
            // Open loop: everything due by now is offered, whatever has been acked.
            let due = rate * u64::try_from(start.elapsed().as_micros()).expect("short") / 1_000_000;
            while seq < due {
                send(&handle, &acks, usize::try_from(seq).expect("fits"), seq);
                seq += 1;
                outstanding += 1;
            }
            tick += Duration::from_millis(1);
        }
        let timeout = tick
            .saturating_duration_since(Instant::now())
            .max(Duration::from_micros(50));
        while let Ok((slot, sent, result)) = completions.recv_timeout(timeout) {
            result.expect("append");
            outstanding -= 1;
            latencies.push(sent.elapsed().as_secs_f64() * 1e3);
            if rate == 0 && start.elapsed() < run_for {
                send(&handle, &acks, slot, seq);
                seq += 1;
                outstanding += 1;
            }
            if rate > 0 && Instant::now() >= tick {
                break;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    while outstanding > 0 {
        let (_, sent, result) = completions.recv().expect("committer alive");
        result.expect("append");
        latencies.push(sent.elapsed().as_secs_f64() * 1e3);
        outstanding -= 1;
    }
    let commits = handle.stats().commits;
    committer.shutdown().expect("shuts down");
    let _ = std::fs::remove_dir_all(&args.dir);
    Outcome {
        per_sec: latencies.len() as f64 / elapsed,
        commits_per_sec: commits as f64 / elapsed,
        latencies_ms: latencies,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an index into a sorted list"
    )]
    let i = ((last as f64) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

fn main() {
    let args = parse_args();
    let mut out = String::from(
        "| senders | offered msg/s | max wait µs | flushes in flight | acked msg/s | commits/s | mean batch | p50 ms | p99 ms | p99.9 ms |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    print!("{out}");
    let mut cells = Vec::new();
    for &rate in &args.rates {
        // In open loop the offered rate replaces the senders.
        let senders: &[usize] = if rate == 0 { &args.clients } else { &[0] };
        for &clients in senders {
            for &wait_us in &args.waits_us {
                for &flushes in &args.flushes {
                    cells.push((rate, clients, wait_us, flushes));
                }
            }
        }
    }
    for _ in 0..args.repeat {
        for &(rate, clients, wait_us, flushes) in &cells {
            let mut outcome = run(
                &args,
                clients,
                Duration::from_micros(wait_us),
                rate,
                flushes,
            );
            outcome.latencies_ms.sort_by(f64::total_cmp);
            let l = &outcome.latencies_ms;
            let offered = if rate == 0 {
                "closed".to_string()
            } else {
                rate.to_string()
            };
            let senders = if rate == 0 {
                clients.to_string()
            } else {
                "-".to_string()
            };
            let row = format!(
                "| {senders} | {offered} | {wait_us} | {flushes} | {:.0} | {:.0} | {:.1} | {:.2} | {:.2} | {:.2} |\n",
                outcome.per_sec,
                outcome.commits_per_sec,
                outcome.per_sec / outcome.commits_per_sec.max(f64::MIN_POSITIVE),
                percentile(l, 0.5),
                percentile(l, 0.99),
                percentile(l, 0.999),
            );
            print!("{row}");
            let _ = write!(out, "{row}");
        }
    }
    if let Some(path) = args.out {
        std::fs::write(path, out).expect("writes the table");
    }
}
