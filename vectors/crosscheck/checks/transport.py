"""Checkers for transport_*.json (spec/04-transport.md), written from the spec alone.

Crypto is libsodium through PyNaCl (crypto_box_beforenm, crypto_secretbox) and hashlib's
BLAKE2b; the handshake, the frames, the payload registry and both sides' state machines are
re-implemented here paragraph by paragraph (TR-n in the comments).
"""
import nacl.bindings as sodium
import nacl.exceptions

from .common import Rejected, h, hx
from .identity import parse_identity
from .prim import blake2b
from .transport_codec import (CLOSE_TEXT, REGISTRY, close_error_container, decode_extensions, decode_payload,
                              encode_extensions, le, u16, u32, u64)

MAGIC = b"threema-clever-extension-field"  # TR-8
MAX_BOX, MIN_BOX, WINDOW = 8192, 20, 16  # TR-16, TR-17
U64_MAX = 2**64 - 1
HANDSHAKE_MS, DEFAULT_IDLE_S, ECHO_TIMEOUT_MS = 20_000, 300, 30_000  # TR-27, TR-28

def nonce(cookie, counter):
    """TR-2: cookie (16) || counter (u64-le)."""
    return cookie + le(counter, 8)


def k(secret, public):
    """PRIM-12: crypto_box_beforenm; None for a non-contributory key."""
    try:
        return sodium.crypto_box_beforenm(public, secret)
    except nacl.exceptions.RuntimeError:
        return None


def public_of(secret):
    return sodium.crypto_scalarmult_base(secret)


def seal(key, n, message):
    return sodium.crypto_secretbox_easy(message, n, key)


def unseal(key, n, sealed):
    if len(sealed) < 16:
        return None
    try:
        return sodium.crypto_secretbox_open_easy(sealed, n, key)
    except nacl.exceptions.CryptoError:
        return None


def vouch_parts(ss1, ss2, sck, tck_public):
    """TR-7."""
    vouch_key = blake2b(32, ss1 + ss2, b"v2", b"3ma-csp", b"")
    return vouch_key, blake2b(32, vouch_key, b"", b"", sck + tck_public)


# ---- frames (TR-16, TR-17) ---------------------------------------------------------------------

class Direction:
    """One direction's cookie and next counter (TR-2)."""

    def __init__(self, cookie, counter):
        self.cookie, self.counter = cookie, counter

    def take(self):
        if self.counter == U64_MAX:
            raise Rejected("counter_overflow")
        value = self.counter
        self.counter += 1
        return nonce(self.cookie, value)


def open_frame_box(key, recv, sealed):
    expected = recv.counter
    plain = unseal(key, recv.take(), sealed)
    if plain is not None:
        return plain
    for counter in range(expected - 1, max(1, expected - WINDOW) - 1, -1):
        if unseal(key, nonce(recv.cookie, counter), sealed) is not None:
            raise Rejected("frame_replayed")
    for counter in range(expected + 1, min(expected + WINDOW, U64_MAX - 1) + 1):
        if unseal(key, nonce(recv.cookie, counter), sealed) is not None:
            raise Rejected("frame_skipped")
    raise Rejected("frame_auth_failed")


def seal_frame(key, send, container):
    sealed = seal(key, send.take(), container)
    return le(len(sealed), 2) + sealed


def next_frame(buf):
    """(box, rest), or (None, buf) while incomplete; the length is checked at once."""
    if len(buf) < 2:
        return None, buf
    length = u16(buf)
    if length > MAX_BOX:
        raise Rejected("frame_too_large")
    if length < MIN_BOX:
        raise Rejected("frame_too_short")
    if len(buf) < 2 + length:
        return None, buf
    return buf[2:2 + length], buf[2 + length:]


def frames(case):
    key, cookie, counter = h(case, "key"), h(case, "cookie"), case["counter"]
    sender = "C" if case["direction"] == "client_to_relay" else "R"
    sealed, rest = next_frame(h(case, "frame"))
    if sealed is None:
        raise Rejected("truncated")
    container = open_frame_box(key, Direction(cookie, counter), sealed)
    payload = decode_payload(container)
    if REGISTRY[container[0]][1] not in ("B", sender):
        raise Rejected("unexpected_payload")
    return {"container": hx(container), "payload": payload,
            "frame": hx(seal_frame(key, Direction(cookie, counter), container))}


# ---- the established phase, both sides (TR-16 to TR-22, TR-28) ------------------------------

class Side:
    """What both machines share: output, events, the terminal error (TR-30)."""

    def __init__(self):
        self.sent, self.events, self.error = b"", [], None
        self.state, self.buf = None, b""

    def fail(self, code):
        self.error = code
        self.state = "failed"

    def established(self, role, key, send, recv, now, idle_ms, keepalive_ms):
        self.role, self.key, self.send, self.recv = role, key, send, recv
        self.idle_ms, self.keepalive_ms = idle_ms, keepalive_ms
        self.last_received = self.last_sent = now
        self.echo, self.echo_seq = None, 0
        self.state = "established"

    def seal_payload(self, now, container):
        frame = seal_frame(self.key, self.send, container)
        self.last_sent = now
        self.sent += frame

    def frames_in(self, now):
        peer = "R" if self.role == "C" else "C"
        while True:
            sealed, self.buf = next_frame(self.buf)
            if sealed is None:
                return
            container = open_frame_box(self.key, self.recv, sealed)
            payload = decode_payload(container)
            if REGISTRY[container[0]][1] not in ("B", peer):
                raise Rejected("unexpected_payload")
            self.last_received = now
            self.on_payload(now, container[0], container[4:], payload)

    def on_payload(self, now, code, data, payload):
        if code == 0x00:  # TR-19
            self.seal_payload(now, bytes([0x80, 0, 0, 0]) + data)
        elif code == 0x80:
            if self.echo is not None and data == le(self.echo[0], 8):
                self.echo = None
            self.events.append({"received": payload})
        elif code in (0x20, 0x24, 0x25, 0x03) or payload["type"] == "obsolete":
            pass  # TR-21: taken and ignored
        elif code == 0x30:
            self.idle_ms = payload["seconds"] * 1000
        elif code == 0xe0:  # TR-26
            self.events.append({"received": payload})
            raise Rejected("closed_by_relay")
        else:
            self.events.append({"received": payload})

    def session_timeout(self, now):
        if self.idle_ms is not None and now >= self.last_received + self.idle_ms:
            raise Rejected("idle_timeout")
        if self.echo is not None:
            if now >= self.echo[1]:
                raise Rejected("echo_timeout")
        elif self.keepalive_ms is not None and now >= self.last_sent + self.keepalive_ms:
            self.echo_seq += 1
            self.seal_payload(now, bytes([0x00, 0, 0, 0]) + le(self.echo_seq, 8))
            self.echo = (self.echo_seq, now + ECHO_TIMEOUT_MS)


# ---- the relay (TR-4, TR-12 to TR-15, TR-26) -------------------------------------------------

class Relay(Side):
    def __init__(self, sk, random, start, bound, queued):
        super().__init__()
        self.sk, self.bound, self.queued = sk, bound, queued
        self.tsk, self.sck = random[:32], random[32:48]
        alt, i = random[48:64], 64
        while alt == self.sck:  # TR-4
            alt, i = random[i:i + 16], i + 16
        self.alt, self.deadline = alt, start + HANDSHAKE_MS
        self.state, self.data = "hello", None

    def step(self, now, kind, data=b""):
        if self.error is not None:
            return
        try:
            if kind == "input":
                self.buf += data
                self.progress(now)
            elif kind == "timeout":
                self.timeout(now)
            else:
                self.eof()
        except Rejected as rejection:
            if kind != "eof":  # TR-26: the end of the stream gets no close-error
                self.close(now, rejection.code)
            self.fail(rejection.code)

    def close(self, now, code):
        """TR-26: a close-error once the login-data box has opened, after a login-ack."""
        if code not in CLOSE_TEXT:
            return
        if self.state == "established":
            self.seal_payload(now, close_error_container(code))
        elif self.state in ("login", "decided") and (self.data is not None or self.state == "decided"):
            self.sent += self.login_ack(now, 0)
            self.sent += seal_frame(self.key, self.send, close_error_container(code))

    def login_ack(self, now, queued):
        return seal(self.key, self.send.take(), le(0, 4) + le(now, 8) + le(queued, 4))  # TR-14

    def timeout(self, now):
        if self.state == "established":
            self.session_timeout(now)
        elif now >= self.deadline:
            raise Rejected("handshake_timeout")

    def eof(self):
        partial = {"hello": bool(self.buf), "login": bool(self.buf) or self.data is not None,
                   "established": bool(self.buf)}.get(self.state, False)
        raise Rejected("truncated" if partial else "connection_closed")

    def progress(self, now):
        if self.state == "hello":
            if len(self.buf) < 48:
                return
            hello, self.buf = self.buf[:48], self.buf[48:]
            self.tck_public, cck = hello[:32], hello[32:]
            hello_key, session = k(self.sk, self.tck_public), k(self.tsk, self.tck_public)
            if hello_key is None or session is None:
                raise Rejected("non_contributory")
            if self.sck == cck:
                self.sck = self.alt
            self.send, self.recv, self.key = Direction(self.sck, 1), Direction(cck, 1), session
            self.sent += self.sck + seal(hello_key, self.send.take(), public_of(self.tsk) + cck)
            self.state = "login"
        if self.state == "login":
            self.login(now)
        elif self.state == "established":
            self.frames_in(now)

    def login(self, now):
        """TR-12, in its order."""
        if self.data is None:
            if len(self.buf) < 144:
                return
            data = unseal(self.key, self.recv.take(), self.buf[:144])
            if data is None:
                raise Rejected("login_auth_failed")
            self.buf = self.buf[144:]
            self.data = data
            try:
                self.identity = parse_identity(data[:8])
            except Rejected:
                raise Rejected("malformed_login") from None
            if data[8:38] == MAGIC:
                self.ext_len = u16(data, 38)
                if not 16 <= self.ext_len <= 8192:
                    raise Rejected("malformed_login")
            else:
                self.ext_len = None
                info = data[8:40].split(b"\0")[0]
                try:
                    self.legacy_info = info.decode("utf-8")
                except UnicodeDecodeError:
                    raise Rejected("malformed_login") from None
            if data[40:56] != self.sck:
                raise Rejected("cookie_mismatch")
        if self.ext_len is None:
            ext = {"clientInfo": self.legacy_info or None, "deviceId": None, "payloadVersion": None,
                   "deviceCookie": None, "clientKey": None}
        else:
            if len(self.buf) < self.ext_len:
                return
            plain = unseal(self.key, self.recv.take(), self.buf[:self.ext_len])
            self.buf = self.buf[self.ext_len:]
            if plain is None:
                raise Rejected("login_auth_failed")
            ext = decode_extensions(plain)
        if self.buf:
            raise Rejected("early_data")
        self.state = "decided"
        offered = ext["clientKey"]
        if offered is None:
            self.events.append({"keyRequest": self.identity})
            if self.bound is None:
                raise Rejected("identity_unknown")
        key = bytes.fromhex(offered) if offered is not None else self.bound
        ss1, ss2 = k(self.sk, key), k(self.tsk, key)
        if ss1 is None or ss2 is None:
            raise Rejected("non_contributory")
        if vouch_parts(ss1, ss2, self.sck, self.tck_public)[1] != self.data[80:112]:
            raise Rejected("vouch_mismatch")
        if (ext["payloadVersion"] or 0) & ~0x03:
            raise Rejected("unsupported_payload_version")
        # TR-15
        if self.bound is None:
            binding = "bound"
        elif self.bound == key:
            binding = "already_bound"
        else:
            binding = "taken"
        self.events.append({"loginRequest": {"identity": self.identity, "publicKey": hx(key),
                                             "keyOffered": offered is not None, "extensions": ext,
                                             "binding": binding}})
        if binding == "taken":
            raise Rejected("identity_taken")
        self.sent += self.login_ack(now, self.queued)
        self.established("R", self.key, self.send, self.recv, now, DEFAULT_IDLE_S * 1000, None)


# ---- the client (TR-3, TR-5 to TR-9, TR-14, TR-28) --------------------------------------------

class Client(Side):
    def __init__(self, identity, ck, relay_keys, ext, idle, random, start):
        super().__init__()
        self.identity, self.ck, self.relay_keys, self.ext, self.idle = identity, ck, relay_keys, ext, idle
        if not relay_keys or not 30 <= idle <= 600:
            self.fail("invalid_idle_timeout" if relay_keys else "invalid_config")
            return
        self.tck, self.cck = random[:32], random[32:48]
        self.sent = public_of(self.tck) + self.cck
        self.deadline, self.state = start + HANDSHAKE_MS, "hello"

    def step(self, now, kind, data=b""):
        if self.error is not None:
            return
        try:
            if kind == "input":
                self.buf += data
                self.progress(now)
            elif kind == "timeout":
                if self.state == "established":
                    self.session_timeout(now)
                elif now >= self.deadline:
                    raise Rejected("handshake_timeout")
            else:
                partial = bool(self.buf)
                raise Rejected("truncated" if partial else "connection_closed")
        except Rejected as rejection:
            self.fail(rejection.code)

    def progress(self, now):
        if self.state == "hello":
            if len(self.buf) < 80:
                return
            hello, self.buf = self.buf[:80], self.buf[80:]
            sck, sealed = hello[:16], hello[16:]
            challenge = relay = None
            for candidate in self.relay_keys:  # TR-5 (1)
                key = k(self.tck, candidate)
                challenge = None if key is None else unseal(key, nonce(sck, 1), sealed)
                if challenge is not None:
                    relay = candidate
                    break
            if challenge is None:
                raise Rejected("server_hello_auth_failed")
            if sck == self.cck:
                raise Rejected("cookie_reuse")
            if challenge[32:] != self.cck:
                raise Rejected("cookie_mismatch")
            tsk_public = challenge[:32]
            session = k(self.tck, tsk_public)
            ss1, ss2 = k(self.ck, relay), k(self.ck, tsk_public)
            if session is None or ss1 is None or ss2 is None:
                raise Rejected("non_contributory")
            vouch = vouch_parts(ss1, ss2, sck, public_of(self.tck))[1]
            ext = encode_extensions(self.ext)
            data = (self.identity.encode() + MAGIC + le(len(ext) + 16, 2) + sck + bytes(24)
                    + vouch + bytes(16))
            self.key, self.send, self.recv = session, Direction(self.cck, 1), Direction(sck, 2)
            self.sent += seal(session, self.send.take(), data) + seal(session, self.send.take(), ext)
            self.state = "login"
        if self.state == "login":
            if len(self.buf) < 32:
                return
            plain = unseal(self.key, self.recv.take(), self.buf[:32])
            self.buf = self.buf[32:]
            if plain is None:
                raise Rejected("login_ack_auth_failed")
            self.events.append({"established": {"serverTime": u64(plain, 4), "queuedCount": u32(plain, 12)}})
            self.established("C", self.key, self.send, self.recv, now, None, self.idle * 500)
            if self.idle != DEFAULT_IDLE_S:  # TR-21
                self.seal_payload(now, bytes([0x30, 0, 0, 0]) + le(self.idle, 2))
        if self.state == "established":
            self.frames_in(now)


def run(side, case_steps):
    for step in case_steps:
        if "input" in step:
            side.step(step["at"], "input", bytes.fromhex(step["input"]))
        elif "timeout" in step:
            side.step(step["at"], "timeout")
        else:
            side.step(step["at"], "eof")
    return side


def transcripts(case):
    if case["side"] == "client":
        side = Client(case["clientIdentity"], h(case, "clientPrivate"),
                      [bytes.fromhex(key) for key in case["relayPublicKeys"]], case["extensions"],
                      case["idleTimeout"], h(case, "random"), case["start"])
    else:
        bound = None if case["boundKey"] is None else h(case, "boundKey")
        side = Relay(h(case, "relayPrivate"), h(case, "random"), case["start"], bound, case["queuedCount"])
    run(side, case["steps"])
    outputs = {"sent": hx(side.sent), "events": side.events}
    if side.error is None:
        return outputs
    for field, value in outputs.items():  # an invalid case also pins what came before the failure
        if field in case and case[field] != value:
            raise ValueError(f"{field} differs before the failure: {value}")
    raise Rejected(side.error, outputs)


def handshake(case):
    """Client and relay against each other; every intermediate value from the secrets."""
    now = case["time"]
    ck, sk = h(case, "clientPrivate"), h(case, "relayPrivate")
    crand, rrand = h(case, "clientRandom"), h(case, "relayRandom")
    bound = None if case["boundKey"] is None else h(case, "boundKey")
    client = Client(case["clientIdentity"], ck, [bytes.fromhex(x) for x in case["relayPublicKeys"]],
                    case["extensions"], DEFAULT_IDLE_S, crand, now)
    relay = Relay(sk, rrand, now, bound, case["queuedCount"])
    messages, to_relay, to_client = [], 0, 0
    for _ in range(4):
        if len(client.sent) > to_relay:
            messages.append(client.sent[to_relay:])
            to_relay = len(client.sent)
            relay.step(now, "input", messages[-1])
        if len(relay.sent) > to_client:
            messages.append(relay.sent[to_client:])
            to_client = len(relay.sent)
            client.step(now, "input", messages[-1])
    if relay.error or client.error:
        raise Rejected(relay.error or client.error)
    client_hello, server_hello, login, login_ack = messages
    tck, cck, tsk, sck = crand[:32], crand[32:48], rrand[:32], server_hello[:16]
    ss1, ss2 = k(ck, public_of(sk)), k(ck, public_of(tsk))
    vouch_key, vouch = vouch_parts(ss1, ss2, sck, public_of(tck))
    ext = encode_extensions(case["extensions"])
    ack_data = le(0, 4) + le(now, 8) + le(case["queuedCount"], 4)
    return {
        "tckPublic": hx(public_of(tck)), "cck": hx(cck), "tskPublic": hx(public_of(tsk)), "sck": hx(sck),
        "relayPublic": hx(public_of(sk)), "clientPublic": hx(public_of(ck)),
        "helloKey": hx(k(sk, public_of(tck))), "sessionKey": hx(k(tck, public_of(tsk))),
        "ss1": hx(ss1), "ss2": hx(ss2), "vouchKey": hx(vouch_key), "vouch": hx(vouch),
        "clientHello": hx(client_hello), "serverChallenge": hx(public_of(tsk) + cck),
        "serverHello": hx(server_hello),
        "loginData": hx(case["clientIdentity"].encode() + MAGIC + le(len(ext) + 16, 2) + sck + bytes(24) + vouch + bytes(16)),
        "extensionsPlain": hx(ext), "login": hx(login), "loginAckData": hx(ack_data),
        "loginAck": hx(login_ack), "relayEvents": relay.events, "clientEvents": client.events,
    }


CHECKERS = {
    "transport_handshake.json": handshake,
    "transport_frames.json": frames,
    "transport_transcripts.json": transcripts,
}
