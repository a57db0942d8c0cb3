#!/usr/bin/env bash
# Vectors: no drift from their generators, and every one passes.
set -euo pipefail
cargo build --release --locked -p saltrelay-cli
./target/release/saltrelay vectors generate --check
./target/release/saltrelay vectors verify
