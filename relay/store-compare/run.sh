#!/usr/bin/env bash
# The engine comparison of reports/store/ (spec/05-relay-storage.md STORE-12; historical,
# MEAS-12): the machine, the disk's flush rate and the candidate engines (store-compare), and
# Redis with AOF appendfsync always (the baseline a user would reach for). The store's own
# figures (flush rate, group commit, per-operation costs) are measured by
# `saltrelay bench store`, which writes reports/store/README.md; this script writes only
# machine.txt, engines.md and redis.txt beside it. Run from the repository root:
#   bash relay/store-compare/run.sh
# Needs: apt-get install -y redis-server redis-tools
set -euo pipefail
out=reports/store
mkdir -p "$out"
data="${STORE_BENCH_DIR:-target/store-bench-data}"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD)"
  echo "toolchain: $(rustc --version)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "filesystem: $(df -T "$(dirname "$data")" | awk 'NR==2 {print $1, $2}'), $(findmnt -no OPTIONS -T "$(dirname "$data")")"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "kernel: $(uname -r)"
} > "$out/machine.txt"
cat "$out/machine.txt"

(cd relay/store-compare && cargo build --release)

echo "== engines"
relay/store-compare/target/release/saltrelay-store-compare \
  --dir "$data/engines" --runs 3 --seconds 2 --residue \
  --recovery 1000000 --recovery-engines log,fjall,redb,sqlite \
  --out "$out/engines.md"

echo "== redis"
rdir="$data/redis"; rm -rf "$rdir"; mkdir -p "$rdir"; rdir="$(cd "$rdir" && pwd)"
redis-server --bind 127.0.0.1 --port 6391 --dir "$rdir" --appendonly yes \
  --appendfsync always --save '' --daemonize no --logfile "$rdir/redis.log" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p 6391 ping >/dev/null 2>&1 && break; sleep 0.1; done
: > "$out/redis.txt"
for run in 1 2 3; do
  echo "-- run $run" | tee -a "$out/redis.txt"
  redis-cli -p 6391 flushall >/dev/null
  redis-benchmark -h 127.0.0.1 -p 6391 -t lpush,rpop -d 1024 -c 50 -P 16 -n 200000 -q \
    | tr '\r' '\n' | grep -E '^(LPUSH|RPOP)' | grep -v 'rps=' | tee -a "$out/redis.txt"
done
redis-cli -p 6391 config get appendfsync | tr '\n' ' ' >> "$out/redis.txt"; echo >> "$out/redis.txt"
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
trap - EXIT

rm -rf "$data"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
