#!/usr/bin/env bash
# System packages and the Python environment the cross-checks use.
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# libsodium: the C library the benchmarks compare against and the Gateway SDK's libnacl loads.
# redis-server and redis-tools (redis-benchmark): the durable baseline of `saltrelay loadtest`.
$SUDO apt-get install -y -qq libsodium-dev libsodium23 redis-server redis-tools >/dev/null
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r vectors/crosscheck/requirements.txt
