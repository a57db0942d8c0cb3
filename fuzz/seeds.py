#!/usr/bin/env python3
"""Writes the committed seed corpus of the fuzz targets from the transport vectors.

frame_decoder:   split byte, then frames sealed as the target opens them (key 46..46,
                 cookie 43..43, counters from 3) around every valid container of
                 transport_frames.json.
relay_handshake: mode byte, then: login plaintexts (mode 1) from transport_handshake.json,
                 raw frames (mode 2), containers separated by 0xff (mode 3), raw bytes (mode 0).
fs_envelope:     receiver byte, then every envelope of fs_envelope.json and every received
                 envelope of fs_transcripts.json.
Usage: .venv/bin/python fuzz/seeds.py   (needs PyNaCl, as the cross-check does)
"""
import json
import os

import nacl.bindings as sodium

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors", "saltrelay")
KEY, COOKIE = bytes([0x46]) * 32, bytes([0x43]) * 16


def frame(container, counter):
    sealed = sodium.crypto_secretbox_easy(container, COOKIE + counter.to_bytes(8, "little"), KEY)
    return len(sealed).to_bytes(2, "little") + sealed


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


def main():
    with open(os.path.join(VECTORS, "transport_frames.json"), encoding="utf-8") as handle:
        frames = json.load(handle)["tests"]
    containers = [bytes.fromhex(c["container"]) for c in frames if c["result"] == "valid"][:30]
    for i, container in enumerate(containers):
        write("frame_decoder", f"frame-{i:02}", bytes([7 + i]) + frame(container, 3))
    stream = b"".join(frame(c, 3 + i) for i, c in enumerate(containers[:8]))
    write("frame_decoder", "stream-8-frames", bytes([1]) + stream)
    with open(os.path.join(VECTORS, "transport_handshake.json"), encoding="utf-8") as handle:
        handshakes = json.load(handle)["tests"]
    for i, case in enumerate(handshakes):
        login = bytearray(bytes.fromhex(case["loginData"]))
        login[0] &= 0xfe  # even: the target fills in a valid vouch
        write("relay_handshake", f"login-{i}", bytes([1]) + bytes(login) + bytes.fromhex(case["extensionsPlain"]))
    write("relay_handshake", "raw-client-hello", bytes([0]) + bytes.fromhex(handshakes[0]["clientHello"]))
    write("relay_handshake", "frames", bytes([2]) + stream)
    for i, container in enumerate(containers):
        write("relay_handshake", f"container-{i:02}", bytes([3]) + container + b"\xff" + containers[0])
    with open(os.path.join(VECTORS, "fs_envelope.json"), encoding="utf-8") as handle:
        envelopes = [bytes.fromhex(c["envelope"]) for c in json.load(handle)["tests"]]
    with open(os.path.join(VECTORS, "fs_transcripts.json"), encoding="utf-8") as handle:
        for case in json.load(handle)["tests"]:
            envelopes += [bytes.fromhex(s["envelope"]) for s in case["steps"] if "envelope" in s]
    for i, envelope in enumerate(dict.fromkeys(envelopes)):
        write("fs_envelope", f"envelope-{i:03}", bytes([i % 2]) + envelope)


if __name__ == "__main__":
    main()
