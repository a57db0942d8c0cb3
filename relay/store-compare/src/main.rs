//! Measures the candidate embedded stores for the relay on this machine (spec/05-relay-storage.md
//! STORE-12, reports/store/README.md): the disk's flush rate, durable commit throughput and
//! latency at several batch sizes, what remains on disk after delete, and reopen time.
//!
//! Usage: `cargo run --release -- [--dir DIR] [--seconds S] [--runs R] [--engines a,b]
//! [--batches 1,64,256,1024] [--residue] [--recovery N] [--recovery-engines a,b] [--out FILE]`

mod engines;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const VALUE_LEN: usize = 1024;
const MARKER: &[u8; 16] = b"NOTHING-REMAINS/";

struct Args {
    dir: PathBuf,
    seconds: f64,
    runs: usize,
    engines: Vec<String>,
    batches: Vec<usize>,
    residue: bool,
    recovery: u64,
    recovery_engines: Option<Vec<String>>,
    out: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        dir: PathBuf::from("target/store-compare-data"),
        seconds: 2.0,
        runs: 3,
        engines: engines::NAMES.iter().map(|s| (*s).to_string()).collect(),
        batches: vec![1, 64, 256, 1024],
        residue: false,
        recovery: 0,
        recovery_engines: None,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("flag needs a value");
        match flag.as_str() {
            "--dir" => args.dir = value().into(),
            "--seconds" => args.seconds = value().parse().expect("seconds"),
            "--runs" => args.runs = value().parse().expect("runs"),
            "--engines" => args.engines = value().split(',').map(str::to_string).collect(),
            "--batches" => {
                args.batches = value()
                    .split(',')
                    .map(|b| b.parse().expect("batch"))
                    .collect();
            }
            "--residue" => args.residue = true,
            "--recovery" => args.recovery = value().parse().expect("records"),
            "--recovery-engines" => {
                args.recovery_engines = Some(value().split(',').map(str::to_string).collect());
            }
            "--out" => args.out = Some(value().into()),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// Incompressible bytes from xorshift64*, so no engine gains by compressing.
struct Bytes(u64);
impl Bytes {
    fn value(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(VALUE_LEN);
        while out.len() < VALUE_LEN {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            out.extend_from_slice(&self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        out
    }
}

fn fresh(dir: &Path) -> PathBuf {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("create dir");
    dir.to_path_buf()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Ops per second and p50/p99 latency in ms.
#[derive(Clone, Copy, Default)]
struct Rate {
    per_sec: f64,
    p50: f64,
    p99: f64,
}

fn rate(count: u64, elapsed: Duration, mut latencies: Vec<Duration>) -> Rate {
    latencies.sort_unstable();
    Rate {
        per_sec: count as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    }
}

/// Appends `size` bytes and flushes (fdatasync, or fsync with `all`), for `seconds`.
fn flush_rate(dir: &Path, size: usize, all: bool, seconds: f64) -> Rate {
    let path = fresh(dir).join("flush.dat");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("open");
    let block = vec![0x5au8; size];
    let mut latencies = Vec::new();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < seconds || latencies.len() < 3 {
        let t = Instant::now();
        file.write_all(&block).expect("write");
        if all {
            file.sync_all().expect("fsync");
        } else {
            file.sync_data().expect("fdatasync");
        }
        latencies.push(t.elapsed());
    }
    let n = latencies.len() as u64;
    rate(n, start.elapsed(), latencies)
}

/// Commits batches of `batch` 1 KiB records for `seconds`; the rate counts records.
fn throughput(name: &str, dir: &Path, batch: usize, seconds: f64) -> Rate {
    let dir = fresh(dir);
    let mut engine = engines::open(name, &dir);
    let mut bytes = Bytes(0x9e37_79b9_7f4a_7c15);
    let mut key = 0u64;
    let mut latencies = Vec::new();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < seconds || latencies.len() < 3 {
        let items: Vec<engines::Item> = (0..batch)
            .map(|_| {
                key += 1;
                (key, bytes.value())
            })
            .collect();
        let t = Instant::now();
        engine.commit(&items);
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    drop(engine);
    rate(key, elapsed, latencies)
}

/// Occurrences of the marker in every file under `dir`.
fn marker_count(dir: &Path) -> u64 {
    let mut count = 0;
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            count += marker_count(&path);
        } else if let Ok(bytes) = fs::read(&path) {
            count += bytes.windows(MARKER.len()).filter(|w| w == MARKER).count() as u64;
        }
    }
    count
}

fn disk_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            if p.is_dir() {
                disk_bytes(&p)
            } else {
                fs::metadata(&p).map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Writes 1000 marked and 1000 other records, deletes the marked ones, runs maintenance:
/// marker copies found (after delete, after maintenance and close).
fn residue(name: &str, dir: &Path) -> (u64, u64) {
    let dir = fresh(dir);
    let mut engine = engines::open(name, &dir);
    let mut bytes = Bytes(7);
    let marked: Vec<u8> = MARKER.iter().copied().cycle().take(VALUE_LEN).collect();
    for chunk in 0..20u64 {
        let items: Vec<engines::Item> = (0..100u64)
            .map(|i| {
                let key = chunk * 100 + i;
                (
                    key,
                    if key % 2 == 0 {
                        marked.clone()
                    } else {
                        bytes.value()
                    },
                )
            })
            .collect();
        engine.commit(&items);
    }
    for chunk in 0..20u64 {
        let keys: Vec<u64> = (0..100u64)
            .map(|i| chunk * 100 + i)
            .filter(|k| k % 2 == 0)
            .collect();
        engine.delete(&keys);
    }
    let after_delete = marker_count(&dir) / (VALUE_LEN / MARKER.len()) as u64;
    engine.maintain();
    drop(engine);
    let after_maintenance = marker_count(&dir) / (VALUE_LEN / MARKER.len()) as u64;
    (after_delete, after_maintenance)
}

/// Fills `n` records in batches of 1024, closes, and times reopening plus a full read.
fn recovery(name: &str, dir: &Path, n: u64) -> (f64, f64, u64) {
    let dir = fresh(dir);
    let mut engine = engines::open(name, &dir);
    let mut bytes = Bytes(11);
    let start = Instant::now();
    let mut key = 0;
    while key < n {
        let items: Vec<engines::Item> = (0..1024.min(n - key))
            .map(|_| {
                key += 1;
                (key, bytes.value())
            })
            .collect();
        engine.commit(&items);
    }
    let fill = start.elapsed().as_secs_f64();
    drop(engine);
    let size = disk_bytes(&dir);
    let start = Instant::now();
    let mut engine = engines::open(name, &dir);
    let count = engine.count();
    let reopen = start.elapsed().as_secs_f64();
    assert_eq!(count, n, "{name} lost records");
    (fill, reopen, size)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args = parse_args();
    let mut out = String::new();
    let mut line = |s: String| {
        println!("{s}");
        out.push_str(&s);
        out.push('\n');
    };
    let runs = args.runs.max(1);
    line(format!(
        "Medians of {runs} interleaved runs, {} s per cell; 1 KiB records.\n",
        args.seconds
    ));
    // Flush rate: measured in every run, beside the engines.
    let flush_cases = [
        ("fdatasync, 64 B append", 64, false),
        ("fdatasync, 256 KiB append", 256 << 10, false),
        ("fsync, 64 B append", 64, true),
    ];
    let mut flush: Vec<Vec<Rate>> = vec![Vec::new(); flush_cases.len()];
    let mut cells: Vec<Vec<Vec<Rate>>> =
        vec![vec![Vec::new(); args.batches.len()]; args.engines.len()];
    for run in 0..runs {
        for (i, &(label, size, all)) in flush_cases.iter().enumerate() {
            let r = flush_rate(&args.dir, size, all, args.seconds);
            eprintln!(
                "run {run} flush {label}: {:.0}/s p50 {:.2} ms p99 {:.2} ms",
                r.per_sec, r.p50, r.p99
            );
            flush[i].push(r);
        }
        // Each run starts with a different engine, so none is always measured first.
        let n = args.engines.len();
        for e in (0..n).map(|i| (i + run) % n) {
            let name = &args.engines[e];
            for (b, &batch) in args.batches.iter().enumerate() {
                let r = throughput(name, &args.dir, batch, args.seconds);
                eprintln!(
                    "run {run} {name} batch {batch}: {:.0} rec/s p50 {:.2} ms p99 {:.2} ms",
                    r.per_sec, r.p50, r.p99
                );
                cells[e][b].push(r);
            }
        }
    }
    let med = |rs: &[Rate]| Rate {
        per_sec: median(rs.iter().map(|r| r.per_sec).collect()),
        p50: median(rs.iter().map(|r| r.p50).collect()),
        p99: median(rs.iter().map(|r| r.p99).collect()),
    };
    line("| disk flush | flushes/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |".into());
    for (i, &(label, _, _)) in flush_cases.iter().enumerate() {
        let r = med(&flush[i]);
        line(format!(
            "| {label} | {:.0} | {:.2} | {:.2} |",
            r.per_sec, r.p50, r.p99
        ));
    }
    line(String::new());
    let header: Vec<String> = args.batches.iter().map(|b| format!("batch {b}")).collect();
    line(format!(
        "| engine (records/s; commit p50/p99 ms) | {} |\n| --- |{}",
        header.join(" | "),
        " ---: |".repeat(args.batches.len())
    ));
    for (e, name) in args.engines.iter().enumerate() {
        let row: Vec<String> = cells[e]
            .iter()
            .map(|rs| {
                let r = med(rs);
                format!("{:.0} ({:.1}/{:.1})", r.per_sec, r.p50, r.p99)
            })
            .collect();
        line(format!("| {name} | {} |", row.join(" | ")));
    }
    if args.residue {
        line("\n| engine | deleted records still on disk after delete | after maintenance and close |\n| --- | ---: | ---: |".into());
        for name in &args.engines {
            let (after_delete, after_maintenance) = residue(name, &args.dir);
            line(format!(
                "| {name} | {after_delete} of 1000 | {after_maintenance} of 1000 |"
            ));
        }
    }
    if args.recovery > 0 {
        line(format!(
            "\n| engine | fill {} records, s | reopen and read all, s | disk MiB |\n| --- | ---: | ---: | ---: |",
            args.recovery
        ));
        for name in args.recovery_engines.as_ref().unwrap_or(&args.engines) {
            let (fill, reopen, size) = recovery(name, &args.dir, args.recovery);
            line(format!(
                "| {name} | {fill:.1} | {reopen:.2} | {:.0} |",
                size as f64 / f64::from(1 << 20)
            ));
        }
    }
    let _ = fs::remove_dir_all(&args.dir);
    if let Some(path) = args.out {
        fs::write(path, out).expect("write report");
    }
}
