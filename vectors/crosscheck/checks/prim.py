"""Checkers for prim_*.json (spec/01-primitives.md)."""
import hashlib

import nacl.bindings as sodium

from .common import Rejected, box_key, dh, h, hx, key, nonce, secretbox_open, secretbox_seal

LABELS = {  # PRIM-10, transcribed from the spec
    "metadata_key": (b"mm", b"3ma-csp"),
    "vouch_key": (b"v2", b"3ma-csp"),
    "key_file_checksum": (b"keyfile-v1", b"saltrelay-id"),
    "fs_chain_key": (b"kdf-ck", b"3ma-e2e"),
    "fs_message_key": (b"kdf-aek", b"3ma-e2e"),
}


def blake2b(out_len, k, salt, personal, data):
    """PRIM-8 through hashlib, with the spec's length rules."""
    if not (1 <= out_len <= 64 and len(k) <= 64 and len(salt) <= 16 and len(personal) <= 16):
        raise Rejected("invalid_length")
    return hashlib.blake2b(data, digest_size=out_len, key=k, salt=salt, person=personal).digest()


def x25519(case):
    return {"shared": hx(dh(h(case, "private"), h(case, "public")))}


def keygen(case):
    return {"public": hx(sodium.crypto_scalarmult_base(key(h(case, "private"))))}


def box_beforenm(case):
    return {"key": hx(box_key(h(case, "private"), h(case, "public")))}


def secretbox(case):
    k, n = h(case, "key"), h(case, "nonce")
    opened = secretbox_open(k, n, h(case, "ct"))
    return {"msg": hx(opened), "ct": hx(secretbox_seal(k, n, h(case, "msg")))}


def box(case):
    """PRIM-13 with crypto_box_easy / crypto_box_open_easy (not the beforenm path)."""
    n = nonce(h(case, "nonce"))
    recipient_sk, sender_pk = key(h(case, "recipientPrivate")), key(h(case, "senderPublic"))
    ct = h(case, "ct")
    box_key(recipient_sk, sender_pk)  # non_contributory first, as libsodium would refuse
    if len(ct) < 16:
        raise Rejected("truncated_box")
    try:
        opened = sodium.crypto_box_open_easy(ct, n, sender_pk, recipient_sk)
    except Exception:
        raise Rejected("auth_failed") from None
    sealed = sodium.crypto_box_easy(
        h(case, "msg"), n, key(h(case, "recipientPublic")), key(h(case, "senderPrivate"))
    )
    return {"msg": hx(opened), "ct": hx(sealed)}


def blake2b_case(case):
    out = blake2b(case["outlen"], h(case, "key"), h(case, "salt"), h(case, "personal"), h(case, "msg"))
    return {"out": hx(out)}


def kdf(case):
    """PRIM-9: the key material is the BLAKE2b key, the input is empty."""
    salt, personal = LABELS[case["label"]]
    ikm = h(case, "key")
    if not 1 <= len(ikm) <= 64:
        raise Rejected("invalid_length")
    derived = blake2b(32, ikm, salt, personal, b"")
    return {"salt": hx(salt), "personal": hx(personal), "derived": hx(derived)}


CHECKERS = {
    "prim_x25519.json": x25519,
    "prim_keygen.json": keygen,
    "prim_box_beforenm.json": box_beforenm,
    "prim_secretbox.json": secretbox,
    "prim_box.json": box,
    "prim_box_large.json": box,
    "prim_blake2b.json": blake2b_case,
    "prim_kdf.json": kdf,
}
