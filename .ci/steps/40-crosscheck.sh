#!/usr/bin/env bash
# An independent implementation (libsodium through PyNaCl, CPython's hashlib) recomputes
# every one of our vectors.
set -euo pipefail
.venv/bin/python vectors/crosscheck/crosscheck.py vectors/saltrelay
