#!/usr/bin/env bash
# Relay cluster (issue 17, spec/09-relay-cluster.md): three `relay serve` children on one
# throw-away PostgreSQL server (`--store temp`: saltrelay-pgtest runs initdb/pg_ctl, as the
# postgres user when CI is root; postgresql comes from 00-setup.sh). First a short smoke --
# clients spread over the nodes, messages crossing nodes, none lost -- then one fault cycle of
# each kind under load: SIGKILL a node, crash-restart PostgreSQL, SIGSTOP a node past its
# presence lease (2 s here, paused 4 s). Each run exits non-zero if an acked message was lost.
set -euo pipefail
cargo build --release --locked -p saltrelay-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
lease=(--relay-arg=--lease-ms=2000)

# A hang must fail the step loudly: each run gets a deadline far above its normal length
# (the smoke takes ~15 s, the fault cycles ~40 s on a loaded 2-core machine); `timeout`
# signals the run's whole process group (its relay children too) and then SIGKILLs it.
within() {
  local limit=$1 what=$2
  shift 2
  local status=0
  timeout -k 10 "$limit" "$@" || status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "cluster: $what did not finish within ${limit} s (a hang): FAIL" >&2
    exit 1
  elif [ "$status" -ne 0 ]; then
    echo "cluster: $what failed (exit $status)" >&2
    exit "$status"
  fi
}

within 90 smoke ./target/release/saltrelay loadtest --nodes 3 --store temp --warmup 1 --duration 4 \
  --out "$out" --name smoke --quiet --drain 30 "${lease[@]}"
grep -q '"lost": 0' "$out/smoke/results.json"
python3 - "$out/smoke/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["counts"]["acked"] > 0, "no load"
assert r["counts"]["delivered"] >= r["counts"]["acked"], r["counts"]
assert r["cross_node_latency"]["count"] > 0, "no message crossed nodes"
print(f"cluster smoke: {r['counts']['acked']} acked, {r['cross_node_latency']['count']} crossed nodes, 0 lost")
PY

within 150 "the fault cycles" ./target/release/saltrelay loadtest --nodes 3 --store temp --kill-cycles 3 \
  --faults kill,store-restart,pause --pause-ms 4000 --settle 20 --out "$out" --name faults \
  --quiet --drain 30 "${lease[@]}"
grep -q '"lost": 0' "$out/faults/results.json"
grep -q '"fault": "store-restart"' "$out/faults/results.json"
echo "cluster: 3 fault cycles (kill, store-restart, pause), 0 acked messages lost"
