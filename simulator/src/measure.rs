//! Measures the default relay costs on this machine (`saltrelay simulate --measure-costs`).
//!
//! Until the transport and the store exist, the costs are composed from what does exist: the
//! protocol crate's XSalsa20-Poly1305 and X25519, and plain file writes and fsyncs. Each
//! value's `from` says exactly what was timed. Medians of repeated batches, so one noisy
//! batch does not move the result.

use std::fs::File;
use std::hint::black_box;
use std::io::{Seek as _, Write as _};
use std::path::Path;
use std::time::Instant;

use saltrelay_protocol::crypto::{Nonce, PublicKey, SecretBoxKey, SecretKey};

use crate::SimError;
use crate::costs::{CostFile, CostSource, Costs, Fixed, PerByte, PerRecord, SCHEMA};

/// Frame sizes the linear fits use.
const SMALL: usize = 64;
const LARGE: usize = 4096;

/// Measures every cost. `scratch` is a folder for the store and fsync timings.
///
/// # Errors
/// [`SimError::Io`] if the scratch files cannot be written.
#[expect(
    clippy::too_many_lines,
    reason = "one straight list of measurements, each with its provenance text"
)]
pub fn measure(scratch: &Path, source: CostSource) -> Result<CostFile, SimError> {
    let key = SecretBoxKey::from_bytes([7; 32]);
    let nonce = Nonce::from_bytes([9; 24]);
    let seal = |len: usize| {
        let plain = vec![0x5a_u8; len];
        median_ns(9, 2_000, || {
            black_box(key.seal(&nonce, black_box(&plain)));
        })
    };
    let open = |len: usize| {
        let sealed = key.seal(&nonce, &vec![0x5a_u8; len]);
        median_ns(9, 2_000, || {
            black_box(
                key.open(&nonce, black_box(&sealed))
                    .expect("sealed under this key"),
            );
        })
    };
    let (seal_small, seal_large) = (seal(SMALL), seal(LARGE));
    let (open_small, open_large) = (open(SMALL), open(LARGE));
    let secret = SecretKey::from_slice(&[3; 32]).expect("32 bytes");
    let peer: PublicKey = SecretKey::from_slice(&[5; 32])
        .expect("32 bytes")
        .public_key();
    let dh = median_ns(9, 200, || {
        black_box(
            secret
                .diffie_hellman(black_box(&peer))
                .expect("contributory key"),
        );
    });
    let handshake = 5.0 * dh + 2.0 * seal(80) + 2.0 * open(144);

    let path = scratch.join("saltrelay-costs.tmp");
    let mut file = File::create(&path).map_err(|e| SimError::io(&path, e))?;
    let record = [0x11_u8; 300];
    let mut write_batch = |records: usize| -> Result<f64, SimError> {
        let mut worst = Ok(());
        let ns = median_ns(9, 50, || {
            for _ in 0..records {
                if let Err(e) = file.write_all(&record) {
                    worst = Err(e);
                }
            }
            if let Err(e) = file.flush().and_then(|()| file.rewind()) {
                worst = Err(e);
            }
        });
        worst.map_err(|e| SimError::io(&path, e))?;
        Ok(ns)
    };
    let (one, many) = (write_batch(1)?, write_batch(64)?);
    let fsync = median_wall_ns(9, 5, || {
        file.write_all(&record).expect("scratch file writable");
        file.sync_all().expect("scratch file syncable");
    });
    drop(file);
    std::fs::remove_file(&path).map_err(|e| SimError::io(&path, e))?;

    let per_byte = |small: f64, large: f64| {
        ((large - small) / f64::from(u32::try_from(LARGE - SMALL).expect("small constant")))
            .max(0.0)
    };
    let base = |small: f64, slope: f64| {
        (small - slope * f64::from(u32::try_from(SMALL).expect("small constant"))).max(0.0)
    };
    let seal_slope = per_byte(seal_small, seal_large);
    let open_slope = per_byte(open_small, open_large);
    let record_slope = ((many - one) / 63.0).max(0.0);
    let scratch_name = scratch.display();
    let costs = Costs {
        relay_handshake_ns: Fixed {
            value: round(handshake),
            from: format!(
                "5 x X25519 (protocol::crypto::SecretKey::diffie_hellman, median CPU time {dh:.0} ns) + 2 secretbox seals of 80 B + 2 opens of 144 B; the transport handshake does not exist yet"
            ),
        },
        frame_open_ns: PerByte {
            base: round(base(open_small, open_slope)),
            per_byte: round3(open_slope),
            from: format!(
                "protocol::crypto::SecretBoxKey::open, linear fit through {SMALL} B ({open_small:.0} ns) and {LARGE} B ({open_large:.0} ns)"
            ),
        },
        frame_seal_ns: PerByte {
            base: round(base(seal_small, seal_slope)),
            per_byte: round3(seal_slope),
            from: format!(
                "protocol::crypto::SecretBoxKey::seal, linear fit through {SMALL} B ({seal_small:.0} ns) and {LARGE} B ({seal_large:.0} ns)"
            ),
        },
        store_commit_ns: PerRecord {
            base: round(base_records(one, record_slope)),
            per_record: round(record_slope),
            from: format!(
                "write(2) of 300-byte records to a file in {scratch_name}, fit through batches of 1 ({one:.0} ns) and 64 ({many:.0} ns); stands in until the relay store exists"
            ),
        },
        fsync_ns: Fixed {
            value: round(fsync),
            from: format!(
                "File::sync_all after a 300-byte write in {scratch_name}, wall-clock median of 9 batches of 5 (the disk wait, not CPU; the model charges it to a core as a committing thread would block)"
            ),
        },
    };
    Ok(CostFile {
        schema: SCHEMA.to_owned(),
        source,
        costs,
    })
}

fn base_records(one: f64, slope: f64) -> f64 {
    (one - slope).max(0.0)
}

fn round(x: f64) -> f64 {
    x.round()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Median over `batches` of the CPU time per call of `f`, in ns. Each batch runs until it has
/// used at least 150 ms of this thread's CPU time, read from `/proc/thread-self/stat`, so other
/// processes on a busy machine do not inflate the result as they would a wall-clock timing.
/// Without `/proc`, wall-clock time is used.
fn median_ns(batches: usize, per_round: u32, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let (cpu_start, wall_start) = (thread_cpu_ns(), Instant::now());
            let mut calls = 0_u32;
            loop {
                for _ in 0..per_round {
                    f();
                }
                calls += per_round;
                match (cpu_start, thread_cpu_ns()) {
                    (Some(a), Some(b)) if b - a >= 150_000_000 => {
                        break (b - a) as f64 / f64::from(calls);
                    }
                    (None, _) | (_, None) if wall_start.elapsed().as_millis() >= 150 => {
                        break wall_start.elapsed().as_secs_f64() * 1e9 / f64::from(calls);
                    }
                    _ => {}
                }
            }
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Median over `batches` of the wall-clock time per call of `f` (for fsync, which waits for
/// the disk rather than using the CPU), in ns.
fn median_wall_ns(batches: usize, per_batch: u32, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(per_batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// User plus system CPU time of this thread, ns (clock ticks of 10 ms).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) * 10_000_000)
}
