#!/usr/bin/env bash
# Formatting, lints, docs, and the sans-IO purity check of the protocol core.
set -euo pipefail
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
# STYLE.md: the protocol core does no I/O; tokio must not be among its normal dependencies.
if cargo tree -p saltrelay-protocol -e normal --locked | grep -qE '^.*tokio'; then
  echo "saltrelay-protocol depends on tokio: the core must stay sans-IO" >&2
  exit 1
fi
