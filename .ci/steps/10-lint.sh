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
# STYLE.md: the shipped binary carries no test-only power. Nothing `saltrelay` links may enable
# a `test-support` feature (the protocol crate's fixed RNGs, in-memory pairs, `*_for_testing`
# copies of secrets; measure's scratch git repositories); the vector generators keep their own
# RNGs in saltrelay-vectors (vectors/src/rng.rs). Only normal and build edges: the CLI's own
# dev-dependencies (its tests) may enable it, and without them cargo resolves features as
# `cargo build` does.
if cargo tree -e normal,build,features -p saltrelay-cli --locked | grep -q 'test-support'; then
  echo "saltrelay-cli enables test-support; the shipped binary must not:" >&2
  cargo tree -e normal,build,features -p saltrelay-cli --locked -i saltrelay-protocol -i saltrelay-measure >&2 || true
  exit 1
fi
