#!/usr/bin/env python3
"""The independent cross-check (vectors/crosscheck/checks) as an interop peer (spec/08-interop.md).

A thin adapter: each request's `op` names a vector file, whose checker in `checks.CHECKERS`
computes the answer from the request input exactly as `crosscheck.py` does from a case. It
claims the capabilities of the files it has checkers for, so a new checker module is picked
up without a change here; live.py keeps the stateful machines (IOP-20). Libsodium (PyNaCl) and hashlib do the crypto; nothing here was
ported from the Rust code.

Usage:  saltrelay interop run -- .venv/bin/python interop/peers/python/peer.py
"""
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "vectors", "crosscheck"))

from checks import CHECKERS  # noqa: E402
from checks.common import Rejected  # noqa: E402
from live import CAPABILITIES as STATEFUL, Machines  # noqa: E402

PROTOCOL = 1

# IOP-5: the capabilities of a vector file, by name. Files of a listed family (fs_*, group_*,
# poll_*) are claimed as soon as their checker exists.
FAMILIES = [
    ("prim_", ["prim"]),
    ("identity_", ["identity"]),
    ("transport_", ["transport.client", "transport.relay"]),
    ("e2e_payload", ["e2e.payload"]),
    ("e2e_blob", ["e2e.blob"]),
    ("e2e_", ["e2e.seal"]),
    ("fs_", ["fs"]),
    ("group_", ["groups"]),
    ("poll_", ["polls"]),
]


def capabilities():
    claimed = set()
    for name in CHECKERS:
        for prefix, caps in FAMILIES:
            if name.startswith(prefix):
                claimed.update(caps)
                break
    return sorted(claimed) + STATEFUL  # IOP-20: the stateful operations of live.py


def respond(op, data, machines):
    """(output, None) when accepted, (output, code) when rejected (IOP-3, IOP-9)."""
    if op == "hello":
        if data.get("protocol") != PROTOCOL:
            return {}, "unsupported_protocol"
        return {"protocol": PROTOCOL, "implementation": "saltrelay crosscheck (Python, PyNaCl)",
                "capabilities": capabilities()}, None
    stateful = machines.respond(op, data)
    if stateful is not None:
        return stateful
    checker = CHECKERS.get(op + ".json")
    if checker is None:
        return {}, "unsupported"
    try:
        return checker(data), None
    except Rejected as rejection:
        return rejection.outputs, rejection.code


def main():
    machines = Machines()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            output, code = respond(request.get("op"), request.get("input") or {}, machines)
        except Exception:  # a checker bug or a field it lacks: an answer the runner will show
            traceback.print_exc(file=sys.stderr)
            output, code = {}, "peer_exception"
        answer = {"id": request.get("id")}
        if code is not None:
            answer["error"] = code
        if output or code is None:
            answer["output"] = output
        sys.stdout.write(json.dumps(answer, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
