#!/usr/bin/env bash
# Interop with the official Threema Gateway SDK (threema.gateway 8.0.0, pinned; libsodium from
# Debian via libnacl), both directions, driving our side through `saltrelay message`.
set -euo pipefail
.venv/bin/pip install -q --disable-pip-version-check -r interop/gateway/requirements.txt
cargo build --release --locked -p saltrelay-cli
.venv/bin/python interop/gateway/gateway_interop.py ./target/release/saltrelay
