"""Checkers for identity_*.json (spec/02-identity.md)."""
import hashlib

import nacl.bindings as sodium

from .common import Rejected, h, hx, key
from .prim import blake2b

ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # ID-1
MAGIC = b"SALTRLID"  # ID-7


def parse_identity(raw):
    """ID-3: length first, then each byte from the left."""
    if len(raw) != 8:
        raise Rejected("id_wrong_length")
    for position, byte in enumerate(raw):
        if 0x61 <= byte <= 0x7A:
            raise Rejected("id_lowercase")
        if byte not in ALPHABET and not (position == 0 and byte == 0x2A):
            raise Rejected("id_invalid_character")
    return raw.decode("ascii")


def parse(case):
    identity = parse_identity(h(case, "input"))
    return {"identity": identity, "gateway": identity.startswith("*")}


def generate(case):
    """ID-4 then ID-5: identity bytes by rejection sampling, then 32 secret-key bytes."""
    stream = h(case, "randomBytes")
    position, chars = 0, []
    while len(chars) < 8:
        byte = stream[position]
        position += 1
        if byte < 252:
            chars.append(ALPHABET[byte % 36])
    secret = stream[position:position + 32]
    if len(secret) != 32 or position + 32 != len(stream):
        raise ValueError("randomBytes does not hold exactly one identity and key")
    return {
        "identity": bytes(chars).decode("ascii"),
        "private": hx(secret),
        "public": hx(sodium.crypto_scalarmult_base(secret)),
    }


def fingerprint(case):
    """ID-6: the first 16 bytes of SHA-256(public key)."""
    public = key(h(case, "public"))
    return {"fingerprint": hx(hashlib.sha256(public).digest()[:16])}


def checksum(body):
    return blake2b(16, b"", b"keyfile-v1", b"saltrelay-id", body)


def key_file(case):
    """ID-8, checks in the spec's order."""
    data = h(case, "keyFile")
    if data[:8] != MAGIC[:len(data[:8])]:
        raise Rejected("key_file_bad_magic")
    if len(data) < 9:
        raise Rejected("key_file_truncated")
    if data[8] != 1:
        raise Rejected("key_file_unsupported_version")
    if len(data) < 65:
        raise Rejected("key_file_truncated")
    if len(data) > 65:
        raise Rejected("key_file_trailing_bytes")
    if checksum(data[:49]) != data[49:65]:
        raise Rejected("key_file_checksum_mismatch")
    try:
        identity = parse_identity(data[9:17])
    except Rejected:
        raise Rejected("key_file_invalid_identity") from None
    secret = data[17:49]
    body = MAGIC + b"\x01" + identity.encode("ascii") + secret
    return {
        "identity": identity,
        "private": hx(secret),
        "public": hx(sodium.crypto_scalarmult_base(secret)),
        "keyFile": hx(body + checksum(body)),
    }


CHECKERS = {
    "identity_parse.json": parse,
    "identity_generate.json": generate,
    "identity_fingerprint.json": fingerprint,
    "identity_key_file.json": key_file,
}
