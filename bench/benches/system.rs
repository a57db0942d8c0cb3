//! Benchmarks of the machine under the relay: what a durable write costs (`fs/fsync/4096`:
//! overwrite a page, then `fdatasync`; `fs/commit/N`: append N records of 256 B, then one
//! `fdatasync`), for `costs.json` until the relay's store has its own benches.

mod support;

use std::fs::File;
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use saltrelay_bench::layer::{LayerMarker, criterion_home};
use support::clock::Clock;

/// Bytes per record in the commit benches: a stored message of typical text size.
const RECORD_LEN: usize = 256;
/// Records per commit.
const BATCHES: [usize; 3] = [1, 16, 128];
/// The log is truncated (untimed) once it passes this size, so runs stay small on disk.
const LOG_LIMIT: u64 = 8 * 1024 * 1024;

/// Appends `data` and waits for it to reach the disk; times only that.
fn timed_commit(file: &mut File, written: &mut u64, data: &[u8]) -> Duration {
    if *written > LOG_LIMIT {
        file.set_len(0).expect("truncate the scratch log");
        file.sync_all().expect("sync the truncation");
        *written = 0;
    }
    let start = Instant::now();
    file.write_all(data).expect("append to the scratch log");
    file.sync_data().expect("fdatasync the scratch log");
    let elapsed = start.elapsed();
    *written += u64::try_from(data.len()).expect("usize fits in u64");
    elapsed
}

/// Overwrites the first page of `file` and waits for it to reach the disk; times only that.
fn timed_overwrite(file: &mut File, page: &[u8]) -> Duration {
    let start = Instant::now();
    file.seek(SeekFrom::Start(0))
        .expect("seek the scratch file");
    file.write_all(page).expect("write the scratch file");
    file.sync_data().expect("fdatasync the scratch file");
    start.elapsed()
}

fn fs(c: &mut Criterion<Clock>) {
    // On the same file system as the target directory, not /tmp (which may be tmpfs).
    let home = criterion_home(Path::new("."));
    std::fs::create_dir_all(&home).expect("criterion directory");
    let dir = tempfile::tempdir_in(&home).expect("scratch directory beside the results");
    let mut group = c.benchmark_group("fs");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);

    let page = support::message(4096);
    let mut file = File::create(dir.path().join("fsync")).expect("scratch file");
    file.write_all(&page)
        .expect("the first write allocates the page");
    file.sync_all().expect("sync the scratch file");
    group.throughput(Throughput::Bytes(4096));
    group.bench_function(BenchmarkId::new("fsync", 4096), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| timed_overwrite(&mut file, &page)).sum());
    });

    for &records in &BATCHES {
        let batch = support::message(records * RECORD_LEN);
        let mut file = File::create(dir.path().join(format!("log{records}"))).expect("log");
        let mut written = 0;
        group.throughput(Throughput::Elements(u64::try_from(records).expect("fits")));
        group.bench_function(BenchmarkId::new("commit", records), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| timed_commit(&mut file, &mut written, &batch))
                    .sum()
            });
        });
    }
    group.finish();
}

fn main() {
    let marker = LayerMarker::new(
        "system",
        "System",
        90,
        "What the machine charges the relay for durability: an append of N records of 256 B \
         followed by one fdatasync, on the file system of the target directory.",
    );
    // fdatasync waits on the disk: CPU time would not see it.
    let mut c = support::criterion_with_clock(&marker, Clock::Wall);
    fs(&mut c);
    c.final_summary();
}
