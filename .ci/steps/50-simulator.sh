#!/usr/bin/env bash
# The relay-load simulator end to end (release build): the small scenario, a sweep over seeds
# with confidence intervals, determinism of results.json across thread counts, and the
# committed default report reproduced byte for byte (apart from the provenance it names: MEAS-1).
set -euo pipefail
# The simulator depends on the relay crate's default build, which must stay tokio-free.
if cargo tree -p saltrelay-relay -e normal --locked | grep -q tokio; then
  echo "saltrelay-relay's default features pull in tokio; the simulator must not" >&2
  exit 1
fi
cargo build --release --locked -p saltrelay-cli
bin=./target/release/saltrelay
out=target/ci-simulation
rm -rf "$out"
$bin simulate simulator/scenarios/small.toml --out "$out/small" --quiet
$bin simulate simulator/scenarios/small.toml --sweep relays.count=1,2 --seeds 3 --threads 1 --out "$out/t1" --quiet
$bin simulate simulator/scenarios/small.toml --sweep relays.count=1,2 --seeds 3 --threads 2 --out "$out/t2" --quiet
# Identical results on 1 and 2 threads; the provenance (run id, command) differs by design.
strip_provenance() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("provenance"); print(json.dumps(d, indent=1))' "$1"; }
diff <(strip_provenance "$out/t1/results.json") <(strip_provenance "$out/t2/results.json")
for f in summary.md throughput.svg latency_cdf.svg queue_depth.svg buffered_bytes.svg connected.svg cpu.svg expired.svg; do
  test -s "$out/t1/$f" || { echo "missing $out/t1/$f" >&2; exit 1; }
done
# The committed default report must be what the simulator produces now.
$bin simulate simulator/scenarios/default.toml --out "$out/default" --quiet
if ! diff <(strip_provenance reports/simulation/default/results.json) <(strip_provenance "$out/default/results.json") >/dev/null; then
  echo "reports/simulation/default/results.json is stale: rerun" >&2
  echo "  cargo run --release -p saltrelay-cli -- simulate simulator/scenarios/default.toml" >&2
  exit 1
fi
echo "simulator: small scenario, sweep determinism and default report: 3 passed, 0 failed"
