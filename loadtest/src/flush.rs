//! The disk's flush rate beside a durable figure: small appends each followed by
//! `fdatasync`, in the relay's data directory, for a fixed time (the idea of
//! `relay/store-compare`'s `flush_rate`, measured again in the same run).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::LoadError;

/// Bytes per append: one message record's order of size.
const APPEND_LEN: usize = 1024;

/// What the flush check measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlushRate {
    /// Append + `fdatasync` rounds per second.
    pub flushes_per_sec: f64,
    /// Median flush time, ms.
    pub p50_ms: f64,
    /// 99th percentile flush time, ms.
    pub p99_ms: f64,
    /// Rounds made.
    pub rounds: u64,
    /// Bytes per append.
    pub append_bytes: usize,
}

/// Appends and flushes in `dir` for `time`; removes its file afterwards.
///
/// # Errors
/// [`LoadError::Io`] when the file cannot be written or flushed.
pub fn measure(dir: &Path, time: Duration) -> Result<FlushRate, LoadError> {
    let path = dir.join("loadtest-flush-check");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| LoadError::io(&path, e))?;
    let record = vec![0x5a; APPEND_LEN];
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid static bounds");
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < time {
        let t = Instant::now();
        file.write_all(&record)
            .and_then(|()| file.sync_data())
            .map_err(|e| LoadError::io(&path, e))?;
        let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
        histogram.saturating_record(us.max(1));
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(FlushRate {
        flushes_per_sec: rounds as f64 / secs,
        p50_ms: histogram.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
        rounds,
        append_bytes: APPEND_LEN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_some_flushes_and_cleans_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rate = measure(dir.path(), Duration::from_millis(50)).expect("measured");
        assert!(rate.rounds > 0);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
