#!/usr/bin/env bash
# `saltrelay validate --short` (simulator/MODEL.md, VAL-8): one workload on a real relay
# process and in the model, a few seconds, report written and complete. Uses the release
# binary the simulator step built.
set -euo pipefail
cargo build --release --locked -p saltrelay-cli
out=target/ci-validation
rm -rf "$out"
./target/release/saltrelay validate --short --peak 2000 --clients 100 --senders 20 \
  --costs reports/bench/costs.json --out "$out"
for f in results.json summary.md one-to-one-throughput.svg one-to-one-latency.svg one-to-one-cpu.svg mailbox-one-to-one-30.svg; do
  test -s "$out/$f" || { echo "missing $out/$f" >&2; exit 1; }
done
echo "validate: short mode passed"
