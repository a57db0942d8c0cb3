#!/usr/bin/env bash
# Times the Rust engine and the SimPy model on the same model, one after the other:
# 100,000 clients x 1 simulated hour of the default scenario (no warm-up), one thread each.
# Usage: simulator/peers/compare.sh [PYTHON]   (PYTHON must have simpy; see requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:-python3}
cargo build --release --quiet -p saltrelay-cli
start=$(date +%s.%N)
./target/release/saltrelay simulate simulator/scenarios/default.toml --set clients=100000 \
  --set duration=1h --set warmup=0s --threads 1 --quiet --out target/peers-compare/rust
rust=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
"$python" simulator/peers/relay_model.py --clients 100000 --duration 3600
simpy=$(echo "$(date +%s.%N) - $start" | bc)
printf 'rust %.2f s, simpy %.2f s, ratio %.0fx\n' "$rust" "$simpy" "$(echo "$simpy / $rust" | bc -l)"
