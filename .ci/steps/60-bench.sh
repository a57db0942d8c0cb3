#!/usr/bin/env bash
# Benchmarks (issue 5): every bench compiles and runs once in criterion's test mode (nothing is
# timed), then a smoke-profile run writes a whole report -- tables, plots, costs.json -- into a
# scratch folder, so the report generator is proven end to end without touching the committed
# reports/bench/. Needs libsodium-dev (00-setup.sh) for the libsodium baseline.
set -euo pipefail
cargo bench -p saltrelay-bench --locked -- --test
cargo build --release --locked -p saltrelay-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./target/release/saltrelay bench run --profile smoke --out "$out"
for file in README.md costs.json throughput-primitives.svg costs-primitives.svg; do
  test -s "$out/$file" || { echo "bench: $file missing from the smoke report" >&2; exit 1; }
done
grep -q '"schema": "saltrelay_costs_v1"' "$out/costs.json"
echo "bench: smoke report complete ($(ls "$out" | wc -l) files)"
