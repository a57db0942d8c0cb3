#!/usr/bin/env python3
"""A saltrelay interop peer to copy and grow (spec/08-interop.md).

`saltrelay interop run -- python3 peer.py` starts this program and talks to it in JSON lines:
one request per line on stdin, one answer per line on stdout. Nothing else may go to stdout;
print your logs to stderr.

    request   {"id": 7, "op": "prim_x25519", "input": {"private": "…", "public": "…"}}
    accepted  {"id": 7, "output": {"shared": "…"}}
    rejected  {"id": 7, "error": "non_contributory"}

`op` is a vector file name without `.json`; `input` holds that file's input fields as
vectors/README.md describes them (bytes as lowercase hex). The first request is the hello, where
you name your implementation and claim capabilities; cases needing a capability you do not
claim are skipped, not failed. To grow this peer: implement an operation, add it to OPS,
claim its capability, run again and read the failures.

Once your forward secrecy and groups run, `saltrelay interop pair` can check them against
another implementation live: claim "fs.session" and "groups.client" and answer the stateful
operations fs.session.new / fs.session.step and group.client.new / group.client.step, which
keep a machine alive under a handle you return (spec/08-interop.md, IOP-20 and IOP-21;
interop/peers/python/live.py is a complete example).

Needs PyNaCl (`pip install pynacl`) for X25519 here; use your own implementation instead.
"""
import hashlib
import json
import sys

import nacl.bindings
import nacl.exceptions

IMPLEMENTATION = "my-implementation 0.1 (from the saltrelay peer template)"
CAPABILITIES = ["prim"]  # add "identity", "e2e.seal", … as you implement their operations


class Rejected(Exception):
    """Reject the input with a stable error code (spec/00-conventions.md, CONV-7)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def key32(data):
    """PRIM-1: keys of the wrong length are rejected before any computation."""
    if len(data) != 32:
        raise Rejected("invalid_key_length")
    return data


def x25519(inp):
    """prim_x25519.json: shared = X25519(private, public); an all-zero result is rejected."""
    private, public = bytes.fromhex(inp["private"]), bytes.fromhex(inp["public"])
    try:
        shared = nacl.bindings.crypto_scalarmult(key32(private), key32(public))
    except nacl.exceptions.RuntimeError:
        raise Rejected("non_contributory") from None
    return {"shared": shared.hex()}


def keygen(inp):
    """prim_keygen.json: public = X25519(private, 9)."""
    private = key32(bytes.fromhex(inp["private"]))
    return {"public": nacl.bindings.crypto_scalarmult_base(private).hex()}


def blake2b(inp):
    """prim_blake2b.json: BLAKE2b with key, salt and personal; lengths outside the spec's
    limits are rejected."""
    k, salt, personal = (bytes.fromhex(inp[f]) for f in ("key", "salt", "personal"))
    size = inp["outlen"]
    if not (1 <= size <= 64 and len(k) <= 64 and len(salt) <= 16 and len(personal) <= 16):
        raise Rejected("invalid_length")
    digest = hashlib.blake2b(bytes.fromhex(inp["msg"]), digest_size=size, key=k, salt=salt,
                             person=personal)
    return {"out": digest.hexdigest()}


OPS = {
    "prim_x25519": x25519,
    "prim_keygen": keygen,
    "prim_blake2b": blake2b,
    # "prim_box": box, "identity_parse": parse_identity, …
}


def hello(inp):
    if inp.get("protocol") != 1:
        raise Rejected("unsupported_protocol")
    return {"protocol": 1, "implementation": IMPLEMENTATION, "capabilities": CAPABILITIES}


def answer(request):
    op = request.get("op")
    handler = hello if op == "hello" else OPS.get(op)
    if handler is None:
        return {"id": request["id"], "error": "unsupported"}  # claimed, but not written yet
    try:
        return {"id": request["id"], "output": handler(request["input"])}
    except Rejected as rejection:
        return {"id": request["id"], "error": rejection.code}


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
