//! The store's measured load (spec/05-relay-storage.md STORE-11, STORE-12; MEAS-11): the
//! disk's flush rate, and group commit through the relay's own `Committer` over a `LogStore`,
//! 1024-byte appends each waiting for its durable ack. Closed loop (N senders, each sending again
//! once acked) gives capacity; open loop (a rate offered in 1 ms ticks whatever the acks do)
//! gives latency at a load.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::{
    BufferedMessage, CommitHandle, Committer, CommitterConfig, LogStore, LogStoreConfig, StoreError,
};

use super::{FlushRun, LoadRun};

/// Payload bytes of every message appended.
pub const PAYLOAD_LEN: u64 = 1024;

/// One disk-flush case: an append of `bytes`, then `fdatasync`, or `fsync` when `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushCase {
    /// The label in the report.
    pub label: &'static str,
    /// Bytes appended before each flush.
    pub bytes: usize,
    /// `fsync` (metadata too) rather than `fdatasync`.
    pub all: bool,
}

/// The flush cases every store bench measures.
pub const FLUSH_CASES: [FlushCase; 3] = [
    FlushCase {
        label: "fdatasync, 64 B append",
        bytes: 64,
        all: false,
    },
    FlushCase {
        label: "fdatasync, 256 KiB append",
        bytes: 256 << 10,
        all: false,
    },
    FlushCase {
        label: "fsync, 64 B append",
        bytes: 64,
        all: true,
    },
];

/// Appends and flushes one file in `dir` for `seconds` (at least three flushes).
///
/// # Errors
/// When the file cannot be created, written or flushed.
pub fn flush_rate(
    dir: &Path,
    case: FlushCase,
    seconds: f64,
    run: u32,
) -> std::io::Result<FlushRun> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("flush.dat");
    let _ = std::fs::remove_file(&path);
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    let block = vec![0x5a_u8; case.bytes];
    let mut latencies = Vec::new();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < seconds || latencies.len() < 3 {
        let t = Instant::now();
        file.write_all(&block)?;
        if case.all {
            file.sync_all()?;
        } else {
            file.sync_data()?;
        }
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let elapsed = start.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    latencies.sort_by(f64::total_cmp);
    Ok(FlushRun {
        case: case.label.to_owned(),
        run,
        flushes: latencies.len() as u64,
        seconds: elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
    })
}

/// One group-commit cell: `senders` closed-loop senders when `offered_per_s` is 0, else that
/// many messages per second offered open loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadCell {
    /// Closed-loop senders (0 in open loop).
    pub senders: u32,
    /// Offered messages per second (0 in closed loop).
    pub offered_per_s: u64,
    /// `CommitterConfig::max_wait`, µs.
    pub max_wait_us: u64,
    /// `CommitterConfig::max_flushes_in_flight`.
    pub flushes_in_flight: u32,
}

type Ack = (usize, Instant, Result<(), StoreError>);

/// Sends one 1024-byte message for sender `slot`; its ack arrives on `acks`.
fn send(handle: &CommitHandle, acks: &mpsc::Sender<Ack>, slot: usize, seq: u64) {
    let n = slot % 10_000;
    let identity = |c: char| {
        Identity::from_bytes(format!("{c}{n:07}").as_bytes()).expect("8 ASCII characters")
    };
    let message = BufferedMessage {
        recipient: identity('R'),
        sender: identity('S'),
        message_id: seq.to_le_bytes(),
        flags: 0,
        deadline: Timestamp::from_secs(4_000_000_000),
        payload: (0..PAYLOAD_LEN)
            .map(|i| {
                u8::try_from(seq.wrapping_mul(31).wrapping_add(i * 7) % 251).expect("below 251")
            })
            .collect(),
    };
    let acks = acks.clone();
    let sent = Instant::now();
    handle.append(vec![message], move |result| {
        // The receiver lives until every outstanding ack has arrived.
        let _ = acks.send((slot, sent, result.map(|_| ())));
    });
}

/// Runs one cell for `seconds` on a fresh log store in `dir`, then waits for every
/// outstanding ack; the directory is removed afterwards.
///
/// # Errors
/// The first store error: opening, spawning, any append, shutting down.
pub fn group_commit(
    dir: &Path,
    cell: LoadCell,
    seconds: f64,
    run: u32,
) -> Result<LoadRun, StoreError> {
    let _ = std::fs::remove_dir_all(dir);
    let store = LogStore::open(dir, LogStoreConfig::default())?;
    let config = CommitterConfig {
        max_wait: Duration::from_micros(cell.max_wait_us),
        max_flushes_in_flight: cell.flushes_in_flight as usize,
        ..CommitterConfig::default()
    };
    let committer = Committer::spawn(store, config)?;
    let handle = committer.handle();
    let (acks, completions) = mpsc::channel::<Ack>();
    let rate = cell.offered_per_s;
    let mut latencies = Vec::new();
    let mut seq = 0u64;
    let mut outstanding = 0usize;
    let run_for = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    if rate == 0 {
        for slot in 0..cell.senders as usize {
            send(&handle, &acks, slot, seq);
            seq += 1;
            outstanding += 1;
        }
    }
    let mut tick = start;
    while start.elapsed() < run_for {
        if rate > 0 {
            // Open loop: everything due by now is offered, whatever has been acked.
            let elapsed_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
            let due = rate.saturating_mul(elapsed_us) / 1_000_000;
            while seq < due {
                send(
                    &handle,
                    &acks,
                    usize::try_from(seq % 1_000_000).expect("small"),
                    seq,
                );
                seq += 1;
                outstanding += 1;
            }
            tick += Duration::from_millis(1);
        }
        let timeout = tick
            .saturating_duration_since(Instant::now())
            .max(Duration::from_micros(50));
        while let Ok((slot, sent, result)) = completions.recv_timeout(timeout) {
            result?;
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
        let Ok((_, sent, result)) = completions.recv() else {
            break;
        };
        result?;
        latencies.push(sent.elapsed().as_secs_f64() * 1e3);
        outstanding -= 1;
    }
    let commits = handle.stats().commits;
    committer.shutdown()?;
    let _ = std::fs::remove_dir_all(dir);
    latencies.sort_by(f64::total_cmp);
    Ok(LoadRun {
        senders: cell.senders,
        offered_per_s: cell.offered_per_s,
        max_wait_us: cell.max_wait_us,
        flushes_in_flight: cell.flushes_in_flight,
        run,
        acked: latencies.len() as u64,
        commits,
        seconds: elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        p999_ms: percentile(&latencies, 0.999),
    })
}

/// The value at rank `round((n − 1)·p)` of a sorted list; 0 for an empty one.
#[must_use]
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a sorted list"
    )]
    let i = ((last as f64) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_takes_the_rounded_rank() {
        let sorted: Vec<f64> = (1..=101).map(f64::from).collect();
        assert!((percentile(&sorted, 0.5) - 51.0).abs() < f64::EPSILON);
        assert!((percentile(&sorted, 0.99) - 100.0).abs() < f64::EPSILON);
        assert!(percentile(&[], 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn a_short_closed_and_open_cell_ack_every_message() {
        let dir = tempfile::tempdir().unwrap();
        let closed = LoadCell {
            senders: 4,
            offered_per_s: 0,
            max_wait_us: 0,
            flushes_in_flight: 2,
        };
        let run = group_commit(&dir.path().join("c"), closed, 0.05, 0).unwrap();
        assert!(run.acked >= 4 && run.commits >= 1, "{run:?}");
        let open = LoadCell {
            senders: 0,
            offered_per_s: 2000,
            ..closed
        };
        let run = group_commit(&dir.path().join("o"), open, 0.05, 1).unwrap();
        assert!(run.acked > 0 && run.p99_ms >= run.p50_ms, "{run:?}");
        let flush = flush_rate(dir.path(), FLUSH_CASES[0], 0.0, 0).unwrap();
        assert_eq!(flush.flushes, 3);
    }
}
