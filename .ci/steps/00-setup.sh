#!/usr/bin/env bash
# System packages and the Python environment the cross-checks use.
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# libsodium: the C library the benchmarks compare against and the Gateway SDK's libnacl loads.
# redis-server and redis-tools (redis-benchmark): the durable baseline of `saltrelay loadtest`.
$SUDO apt-get install -y -qq libsodium-dev libsodium23 redis-server redis-tools >/dev/null
# postgresql (15 on Debian 12): the relay's PostgreSQL store (spec/09-relay-cluster.md). Tests
# start throw-away servers with initdb/pg_ctl from /usr/lib/postgresql/15/bin (saltrelay-pgtest
# finds it there; it is not on PATH), as the `postgres` user when CI runs as root. The package's
# own cluster is not used: stop it so it holds no port or memory.
$SUDO apt-get install -y -qq postgresql >/dev/null
$SUDO service postgresql stop >/dev/null 2>&1 || true
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r vectors/crosscheck/requirements.txt
