#!/usr/bin/env bash
# Speed and memory of the simulator: 24 simulated hours of the default scenario at 10^3 to
# 10^6 clients, one run at a time, one thread; prints one Markdown table row per size.
# Usage: simulator/scale.sh [CLIENTS...]   (default: 1000 10000 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p saltrelay-cli
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 100000 1000000)
echo "| clients | simulated | events | wall s | user s | M events/s (wall) | peak RSS MiB |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  log=$(mktemp)
  /usr/bin/time -v ./target/release/saltrelay simulate simulator/scenarios/default.toml \
    --set clients="$n" --threads 1 --quiet --out "target/scale/$n" >"$log" 2>&1
  events=$(grep -oE '[0-9]+ events in' "$log" | grep -oE '^[0-9]+')
  wall=$(grep -oE 'events in [0-9.]+ s' "$log" | grep -oE '[0-9.]+')
  user=$(grep 'User time' "$log" | grep -oE '[0-9.]+$')
  rss=$(grep 'Maximum resident' "$log" | grep -oE '[0-9]+$')
  printf '| %s | 24 h | %s | %.1f | %.1f | %.2f | %d |\n' "$n" "$events" "$wall" "$user" \
    "$(echo "$events / $wall / 1000000" | bc -l)" "$((rss / 1024))"
  rm -f "$log"
done
