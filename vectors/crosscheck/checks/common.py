"""Shared helpers: hex fields, rejection with a spec error code, libsodium error mapping."""
import nacl.bindings as sodium
import nacl.exceptions


class Rejected(Exception):
    """The input is rejected with a spec error code (CONV-7), after producing `outputs` (what a
    side wrote before failing; an interop peer answers them beside the code, IOP-9)."""

    def __init__(self, code, outputs=None):
        super().__init__(code)
        self.code = code
        self.outputs = outputs or {}


def outcome(checker, case):
    """Runs a checker: (True, {field: value}) when accepted, (False, code) when rejected."""
    try:
        return True, checker(case)
    except Rejected as rejection:
        return False, rejection.code


def h(case, field):
    """A lowercase-hex field as bytes."""
    return bytes.fromhex(case[field])


def hx(data):
    """Bytes as lowercase hex."""
    return data.hex()


def need_len(data, size, code):
    """PRIM-1: keys and nonces of the wrong length are rejected before any computation."""
    if len(data) != size:
        raise Rejected(code)
    return data


def key(data):
    return need_len(data, 32, "invalid_key_length")


def nonce(data):
    return need_len(data, 24, "invalid_nonce_length")


def dh(secret, public):
    """PRIM-4/5: X25519 through libsodium, which refuses all-zero results."""
    try:
        return sodium.crypto_scalarmult(key(secret), key(public))
    except nacl.exceptions.RuntimeError:
        raise Rejected("non_contributory") from None


def box_key(secret, public):
    """PRIM-12: crypto_box_beforenm."""
    try:
        return sodium.crypto_box_beforenm(key(public), key(secret))
    except nacl.exceptions.RuntimeError:
        raise Rejected("non_contributory") from None


def secretbox_seal(k, n, message):
    """PRIM-6: tag || ciphertext."""
    return sodium.crypto_secretbox_easy(message, nonce(n), key(k))


def secretbox_open(k, n, sealed):
    """PRIM-7: truncated_box below 16 bytes, auth_failed on a bad tag."""
    key(k)
    nonce(n)
    if len(sealed) < 16:
        raise Rejected("truncated_box")
    try:
        return sodium.crypto_secretbox_open_easy(sealed, n, k)
    except nacl.exceptions.CryptoError:
        raise Rejected("auth_failed") from None
