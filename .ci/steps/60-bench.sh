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
# --allow-mixed: a developer's tree may have uncommitted changes; the report must then say so
# at its top and write no cost file (MEAS-3), which is checked below.
./target/release/saltrelay bench run --profile smoke --allow-mixed --out "$out"
for file in README.md throughput-primitives.svg costs-primitives.svg; do
  test -s "$out/$file" || { echo "bench: $file missing from the smoke report" >&2; exit 1; }
done
if [ -z "$(git status --porcelain)" ]; then
  grep -q '"schema": "saltrelay_costs_v2"' "$out/costs.json"
  grep -q '"clean": true' "$out/costs.json"
  if grep -q 'Mixed measurements' "$out/README.md"; then
    echo "bench: a clean tree's report says it is mixed" >&2; exit 1
  fi
else
  grep -q 'Mixed measurements' "$out/README.md" || { echo "bench: a dirty tree's report does not say so" >&2; exit 1; }
  test ! -e "$out/costs.json" || { echo "bench: cost file written from a dirty tree" >&2; exit 1; }
fi
echo "bench: smoke report complete ($(ls "$out" | wc -l) files)"
