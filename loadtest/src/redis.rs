//! Redis as the durable baseline, measured in the same run: `redis-server` with
//! `appendonly yes` and `appendfsync always` on a free loopback port and a temporary
//! directory, driven by `redis-benchmark` (the idea of `relay/store-compare/run.sh`).

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// One `redis-benchmark` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedisRun {
    /// The exact command.
    pub command: String,
    /// (test, requests per second) as `redis-benchmark --csv` printed them.
    pub ops_per_sec: Vec<(String, f64)>,
}

/// The Redis baseline, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RedisBaseline {
    /// Measured.
    Measured {
        /// `redis-server --version`.
        version: String,
        /// The server's settings.
        server: String,
        /// Each benchmark run.
        runs: Vec<RedisRun>,
    },
    /// Not measured: Redis is missing or failed.
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// Starts Redis, runs the benchmarks (pipelined and not), stops it.
#[must_use]
pub fn measure(requests: u64) -> RedisBaseline {
    match try_measure(requests) {
        Ok(baseline) => baseline,
        Err(reason) => RedisBaseline::Unavailable { reason },
    }
}

fn try_measure(requests: u64) -> Result<RedisBaseline, String> {
    let version = Command::new("redis-server")
        .arg("--version")
        .output()
        .map_err(|e| format!("redis-server not found ({e})"))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    Command::new("redis-benchmark")
        .arg("--version")
        .output()
        .map_err(|e| format!("redis-benchmark not found ({e})"))?;
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port()
        .to_string();
    let server_args = [
        "--port",
        &port,
        "--bind",
        "127.0.0.1",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
    ];
    let mut server = Command::new("redis-server")
        .args(server_args)
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server did not start: {e}"))?;
    let ready = Instant::now();
    while TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap_or(0))).is_err() {
        if ready.elapsed() > Duration::from_secs(10) {
            let _ = server.kill();
            return Err("redis-server did not listen within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut runs = Vec::new();
    for pipeline in ["16", "1"] {
        let n = if pipeline == "1" {
            requests / 4
        } else {
            requests
        }
        .to_string();
        let args = [
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "lpush,rpop",
            "-d",
            "1024",
            "-c",
            "50",
            "-P",
            pipeline,
            "-n",
            &n,
            "--csv",
        ];
        let out = Command::new("redis-benchmark").args(args).output();
        let out = match out {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                let _ = server.kill();
                return Err(format!(
                    "redis-benchmark failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ));
            }
            Err(e) => {
                let _ = server.kill();
                return Err(format!("redis-benchmark did not run: {e}"));
            }
        };
        runs.push(RedisRun {
            command: format!("redis-benchmark {}", args.join(" ")),
            ops_per_sec: parse_csv(&String::from_utf8_lossy(&out.stdout)),
        });
    }
    let _ = server.kill();
    let _ = server.wait();
    Ok(RedisBaseline::Measured {
        version,
        server: format!("redis-server {}", server_args.join(" ")).replace("--save  ", "--save '' "),
        runs,
    })
}

/// Parses `"LPUSH","12345.67",…` lines, skipping the header.
fn parse_csv(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let name = fields.next()?;
            let rps: f64 = fields.next()?.parse().ok()?;
            Some((name.to_owned(), rps))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_benchmark_csv_with_and_without_header() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\"\n\"LPUSH\",\"41000.00\",\"1.2\"\n\"RPOP\",\"39000.50\",\"1.1\"\n";
        assert_eq!(
            parse_csv(csv),
            vec![("LPUSH".into(), 41000.0), ("RPOP".into(), 39000.5)]
        );
    }
}
