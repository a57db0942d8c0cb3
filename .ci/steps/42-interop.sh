#!/usr/bin/env bash
# The conformance harness (spec/08-interop.md) against both of our peers, every family: the Rust
# implementation and the independent Python cross-check. Neither may fail or skip a case. The
# peer template of the README must pass the operations it implements.
set -euo pipefail
cargo build --release --locked -p saltrelay-cli
bin=./target/release/saltrelay
out=$(mktemp)
for peer in "$bin interop peer" ".venv/bin/python interop/peers/python/peer.py"; do
  # shellcheck disable=SC2086  # the peer command is split into its words on purpose
  $bin interop run -- $peer | tee "$out"
  tail -n 1 "$out" | grep -q ' 0 failed, 0 skipped$' \
    || { echo "interop: $peer skipped cases; it must claim every capability" >&2; exit 1; }
done
$bin interop run --file prim_x25519.json,prim_keygen.json,prim_blake2b.json \
  -- .venv/bin/python interop/peers/template/peer.py | tail -n 1
# A replayed case gives the same answer as in the run.
$bin interop request prim_box.json --tc-id 7 | $bin interop peer | tail -n 1 | grep -q '"error":"auth_failed"'
# Each peer seals under nonces the vectors do not use; the other opens. Then the stateful
# scenarios (IOP-22, IOP-23): an FS conversation and a group split across both peers.
$bin interop pair -- $bin interop peer -- .venv/bin/python interop/peers/python/peer.py | tee "$out" | tail -n 8
tail -n 1 "$out" | grep -q ' 0 failed, 0 skipped$' \
  || { echo "interop: pair failed or skipped a scenario" >&2; exit 1; }
# The live suite against our relay, started as a user would (an empty data directory).
work=$(mktemp -d)
mkdir "$work/data"
$bin relay serve --listen 127.0.0.1:0 --data "$work/data" > "$work/serve.txt" &
relay_pid=$!
trap 'kill "$relay_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q '^public key ' "$work/serve.txt" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/^saltrelay relay listening on //p' "$work/serve.txt")
key=$(sed -n 's/^public key //p' "$work/serve.txt")
[ -n "$key" ] || { echo "interop: the relay did not start" >&2; exit 1; }
$bin interop relay-check --relay "$addr" --relay-key "$key"
kill "$relay_pid"
wait "$relay_pid" || true
# A client live (IOP-17): our own `saltrelay send` and `receive` against the scripted relay.
$bin interop client-check -- sh interop/clients/saltrelay-cli.sh "$bin"
