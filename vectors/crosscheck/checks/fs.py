"""Forward secrecy (spec/06-forward-secrecy.md): keys, envelope codec and a session machine,
written from the spec with PyNaCl and hashlib."""
import hashlib

import nacl.bindings as sodium
import nacl.exceptions

from .common import Rejected, h, hx, secretbox_open, secretbox_seal
from .e2e import decode_message, is_identity, pb_fields, varint

SKIP_LIMIT = 25000  # FS-10
V1_0, V1_1, V1_2 = 0x0100, 0x0101, 0x0102  # FS-4
SUPPORTED = (V1_0, V1_2)
ZERO_NONCE = bytes(24)  # FS-11
EMPTY, ENVELOPE = 0xFC, 0xA0
MEMBER_TYPES = {0x41, 0x42, 0x46, 0x4C, 0x4F, 0x52, 0x53, 0x81, 0x83, 0x93, 0x94}  # E2E-21
CREATOR_TYPES = {0x4A, 0x4B, 0x50, 0x51, 0x54}  # E2E-22
REFRESH_MS = 86_400_000  # FS-15


# ---------------------------------------------------------------- keys (FS-6 .. FS-12)

def b2b(out_len, key=b"", salt=b"", person=b"", data=b""):
    return hashlib.blake2b(data, digest_size=out_len, key=key, salt=salt, person=person).digest()


def pub(secret):
    return sodium.crypto_scalarmult_base(secret)


def dh(secret, public, code="invalid_fssk"):
    """X25519HSalsa20 (PRIM-12); a small-order key gives an all-zero X25519 output."""
    try:
        return sodium.crypto_box_beforenm(public, secret)
    except nacl.exceptions.RuntimeError:
        raise Rejected(code) from None


def root_2dh(initiator, static_static, initiator_ephemeral):  # FS-6: the 64 bytes are the key
    return b2b(32, key=static_static + initiator_ephemeral, salt=b"ke-2dh-" + initiator.encode(),
               person=b"3ma-e2e")


def roots_4dh(four, own, peer):  # FS-7
    hashed = b2b(64, data=b"".join(four))
    return (b2b(32, key=hashed, salt=b"ke-4dh-" + own.encode(), person=b"3ma-e2e"),
            b2b(32, key=hashed, salt=b"ke-4dh-" + peer.encode(), person=b"3ma-e2e"))


def next_ck(ck):  # FS-9
    return b2b(32, key=ck, salt=b"kdf-ck", person=b"3ma-e2e")


def message_key(ck):  # FS-9
    return b2b(32, key=ck, salt=b"kdf-aek", person=b"3ma-e2e")


def ratchet(chain, target):
    """FS-31: (key, counter) moved to target, or the counter error."""
    ck, n = chain
    if target < n:
        raise Rejected("counter_behind")
    if target - n > SKIP_LIMIT:
        raise Rejected("counter_too_far")
    for _ in range(target - n):
        ck = next_ck(ck)
    return ck, target


def kdf(case):
    if case["kind"] == "chain":
        ck, _ = ratchet((h(case, "chainKey"), case["startCounter"]), case["targetCounter"])
        return {"targetChainKey": hx(ck), "targetMessageKey": hx(message_key(ck)),
                "nextChainKey": hx(next_ck(ck))}
    alice, bob = case["initiator"], case["responder"]
    ck_i, ck_r = h(case, "initiatorSecret"), h(case, "responderSecret")
    fs_i, fs_r = h(case, "initiatorFssk"), h(case, "responderFssk")
    # The initiator, from its own secrets and the responder's public keys.
    four_i = [dh(ck_i, pub(ck_r)), dh(fs_i, pub(ck_r)), dh(ck_i, pub(fs_r)), dh(fs_i, pub(fs_r))]
    two_i = root_2dh(alice, four_i[0], four_i[1])
    local_i, remote_i = roots_4dh(four_i, alice, bob)
    # The responder, from its own secrets; the same order from its side.
    four_r = [dh(ck_r, pub(ck_i)), dh(ck_r, pub(fs_i)), dh(fs_r, pub(ck_i)), dh(fs_r, pub(fs_i))]
    two_r = root_2dh(alice, four_r[0], four_r[1])
    local_r, remote_r = roots_4dh(four_r, bob, alice)
    if (two_i, local_i, remote_i) != (two_r, remote_r, local_r):
        raise Rejected("sides_disagree")
    text = b2b(32, salt=b"ke-2dh-" + alice.encode(), person=b"3ma-e2e", data=four_i[0] + four_i[1])
    return {
        "initiatorPublic": hx(pub(ck_i)), "responderPublic": hx(pub(ck_r)),
        "initiatorFsskPublic": hx(pub(fs_i)), "responderFsskPublic": hx(pub(fs_r)),
        "dhStaticStatic": hx(four_i[0]), "dhInitiatorEphemeralStatic": hx(four_i[1]),
        "dhInitiatorStaticEphemeral": hx(four_i[2]), "dhEphemeralEphemeral": hx(four_i[3]),
        "root2dh": hx(two_i), "root2dhTextReading": hx(text), "hash4dh": hx(b2b(64, data=b"".join(four_i))),
        "root4dhInitiator": hx(local_i), "root4dhResponder": hx(remote_i),
    }


# ---------------------------------------------------------------- protobuf (FS-1 .. FS-3)

def tag(field, wire):
    return varint(field << 3 | wire)


def f_varint(field, v):
    return tag(field, 0) + varint(v) if v else b""


def f_bytes(field, v, always=False):
    return tag(field, 2) + varint(len(v)) + v if (v or always) else b""


def f_fixed64(field, v):
    return tag(field, 1) + v.to_bytes(8, "little") if v else b""


def parse(data):
    """Protobuf fields as {number: [(wire, value)]}; malformed input is invalid_protobuf."""
    fields = {}
    for field, wire, value in pb_fields(data):
        fields.setdefault(field, []).append((wire, value))
    return fields


def get(fields, number, wire, default):
    """The last value of a field; a wrong wire type is invalid_protobuf."""
    values = fields.get(number, [])
    for w, _ in values:
        if w != wire:
            raise Rejected("invalid_protobuf")
    return values[-1][1] if values else default


VARIANTS = {2: "init", 3: "accept", 4: "reject", 5: "terminate", 6: "encapsulated"}


def decode_group(raw):
    if raw is None:
        return None
    g = parse(raw)
    group_id = get(g, 1, 1, 0)
    creator = get(g, 2, 2, b"")
    if group_id == 0 and creator == b"":  # FS-3: empty counts as absent
        return None
    try:
        creator = creator.decode("ascii")
    except UnicodeDecodeError:
        raise Rejected("invalid_group_identity") from None
    if not is_identity(creator):
        raise Rejected("invalid_group_identity")
    return {"creator": creator, "groupId": hx(group_id.to_bytes(8, "little"))}


def decode_envelope(data):
    """FS-3, in the order the checks are listed; returns the FS-40 JSON form."""
    top = parse(data)
    parsed = {n: parse(get(top, n, 2, b"")) for n in VARIANTS if n in top}
    sid = get(top, 1, 2, b"")
    if len(sid) != 16:
        raise Rejected("invalid_session_id")
    present = [n for n in VARIANTS if n in top]
    if not present:
        raise Rejected("missing_content")
    # The last variant on the wire wins (protobuf oneof).
    last = [f for f, _, _ in pb_fields(data) if f in VARIANTS][-1]
    m = parsed[last]
    name = VARIANTS[last]
    if name in ("init", "accept"):
        fssk = get(m, 1, 2, b"")
        if len(fssk) != 32:
            raise Rejected("invalid_fssk")
        r = get(m, 2, 2, None)
        rng = parse(r) if r is not None else {}
        lo, hi = get(rng, 1, 0, 0), get(rng, 2, 0, 0)
        if lo == 0 and hi == 0:
            lo = hi = V1_0
        body = {"fssk": hx(fssk), "supportedVersion": {"min": lo, "max": hi}}
    elif name == "reject":
        body = {"messageId": hx(get(m, 1, 1, 0).to_bytes(8, "little")), "cause": get(m, 2, 0, 0)}
        group = decode_group(get(m, 3, 2, None))
        if group:
            body["groupIdentity"] = group
    elif name == "terminate":
        body = {"cause": get(m, 1, 0, 0)}
    else:
        dh_type = get(m, 1, 0, 0)
        if dh_type not in (0, 1):
            raise Rejected("invalid_dh_type")
        inner = get(m, 3, 2, b"")
        if len(inner) < 16:
            raise Rejected("invalid_encrypted_inner")
        body = {"dhType": dh_type, "counter": get(m, 2, 0, 0),
                "offeredVersion": get(m, 4, 0, 0), "appliedVersion": get(m, 5, 0, 0)}
        group = decode_group(get(m, 6, 2, None))
        if group:
            body["groupIdentity"] = group
        body["encryptedInner"] = hx(inner)
    return {"sessionId": hx(sid), name: body}


def encode_group(group):
    return (f_fixed64(1, int.from_bytes(bytes.fromhex(group["groupId"]), "little"))
            + f_bytes(2, group["creator"].encode()))


def encode_envelope(env):
    """FS-2: canonical proto3 encoding of the FS-40 JSON form."""
    (name, body), = [(k, v) for k, v in env.items() if k != "sessionId"]
    if name in ("init", "accept"):
        r = body["supportedVersion"]
        inner = f_bytes(1, bytes.fromhex(body["fssk"])) + f_bytes(
            2, f_varint(1, r["min"]) + f_varint(2, r["max"]), always=True)
    elif name == "reject":
        inner = f_fixed64(1, int.from_bytes(bytes.fromhex(body["messageId"]), "little")) + f_varint(2, body["cause"])
        if "groupIdentity" in body:
            inner += f_bytes(3, encode_group(body["groupIdentity"]), always=True)
    elif name == "terminate":
        inner = f_varint(1, body["cause"])
    else:
        inner = (f_varint(1, body["dhType"]) + f_varint(2, body["counter"])
                 + f_bytes(3, bytes.fromhex(body["encryptedInner"]))
                 + f_varint(4, body["offeredVersion"]) + f_varint(5, body["appliedVersion"]))
        if "groupIdentity" in body:
            inner += f_bytes(6, encode_group(body["groupIdentity"]), always=True)
    number = {v: k for k, v in VARIANTS.items()}[name]
    return f_bytes(1, bytes.fromhex(env["sessionId"])) + f_bytes(number, inner, always=True)


def envelope(case):
    decoded = decode_envelope(h(case, "envelope"))
    return {"decoded": decoded, "reencoded": hx(encode_envelope(decoded))}


# ---------------------------------------------------------------- session machine (FS-17 ..)

def covers(version, code):  # FS-5
    if code == ENVELOPE:
        return False
    if code == EMPTY or version >= V1_2:
        return True
    if version >= V1_1:
        return code not in MEMBER_TYPES | CREATOR_TYPES
    return code in (0x01, 0x10, 0x15, 0x16, 0x17)


def negotiate(lo, hi):  # FS-4
    if lo > hi or lo > SUPPORTED[1] or SUPPORTED[0] > hi:
        raise Rejected("unsupported_version")
    return min(SUPPORTED[1], hi)


class Peer:
    """All sessions of one side with its peer; outputs and events per step, FS-35 names."""

    def __init__(self, me, secret, peer, peer_public, random):
        self.me, self.secret, self.peer, self.peer_public = me, secret, peer, peer_public
        self.ss = dh(secret, peer_public)
        self.random, self.used = random, 0
        self.sessions = {}  # session id bytes -> dict
        self.outputs, self.events = [], []

    def draw(self, n):
        if self.used + n > len(self.random):
            raise Rejected("random_exhausted")
        out = self.random[self.used:self.used + n]
        self.used += n
        return out

    def control(self, sid, name, body):
        self.outputs.append({"kind": "control", "envelope": hx(encode_envelope({"sessionId": hx(sid), name: body}))})

    def remove(self, sid, reason):
        del self.sessions[sid]
        self.events.append({"event": "session_removed", "sessionId": hx(sid), "reason": reason})

    def ordered(self):
        return sorted(self.sessions)

    # -- sending (FS-19 .. FS-21)

    def sending_session(self):
        bidi = [s for s in self.ordered() if self.sessions[s]["state"] in ("L44", "R44")]
        if bidi:
            for other in bidi[1:]:
                self.remove(other, "superseded")
            return bidi[0]
        for state in ("R24", "L20"):
            found = [s for s in self.ordered() if self.sessions[s]["state"] == state]
            if found:
                return found[0]
        return None

    def create_l20(self, now):
        sid = self.draw(16)
        fssk = self.draw(32)
        root = root_2dh(self.me, self.ss, dh(fssk, self.peer_public))
        self.sessions[sid] = {"state": "L20", "fssk": fssk, "range": SUPPORTED, "l2": (root, 1),
                              "updated": now}
        self.control(sid, "init", {"fssk": hx(pub(fssk)),
                                   "supportedVersion": {"min": SUPPORTED[0], "max": SUPPORTED[1]}})
        self.events.append({"event": "session_created", "sessionId": hx(sid), "state": "L20"})
        return sid

    def versions_out(self, s):  # FS-13
        if s["state"] == "L20":
            return s["range"][0], s["range"][0]
        return V1_2, s["v_local"]

    def seal(self, sid, now, code, body, group):
        s = self.sessions[sid]
        offered, applied = self.versions_out(s)
        name, dh_type = ("l2", 0) if s["state"] == "L20" else ("l4", 1)
        ck, n = s[name]
        sealed = secretbox_seal(message_key(ck), ZERO_NONCE, bytes([code]) + body)
        s[name] = (next_ck(ck), n + 1)
        s["updated"] = now
        env = {"dhType": dh_type, "counter": n, "offeredVersion": offered, "appliedVersion": applied}
        if group:
            env["groupIdentity"] = group
        env["encryptedInner"] = hx(sealed)
        return hx(encode_envelope({"sessionId": hx(sid), "encapsulated": env}))

    def group_of(self, code, body, sender, receiver):  # FS-16
        if code in MEMBER_TYPES and len(body) >= 16:
            return {"creator": body[:8].decode("latin-1"), "groupId": hx(body[8:16])}
        if code in CREATOR_TYPES and len(body) >= 8:
            # E2E-22: the sync request (0x51) goes to the creator; the others come from it.
            creator = receiver if code == 0x51 else sender
            return {"creator": creator, "groupId": hx(body[:8])}
        return None

    def send(self, now, mid, code, body):
        if code == ENVELOPE:
            raise Rejected("not_encapsulable")
        sid, created = self.sending_session(), False
        if sid is None:
            sid, created = self.create_l20(now), True
        s = self.sessions[sid]
        if covers(self.versions_out(s)[1], code):
            env = self.seal(sid, now, code, body, self.group_of(code, body, self.me, self.peer))
            self.outputs.append({"kind": "encapsulated", "messageId": hx(mid), "envelope": env})
        else:
            if not created and now - s["updated"] >= REFRESH_MS:
                self.outputs.append({"kind": "control", "envelope": self.seal(sid, now, EMPTY, b"", None)})
            self.outputs.append({"kind": "plain", "messageId": hx(mid)})

    def terminate(self, cause):  # FS-29
        for sid in self.ordered():
            self.control(sid, "terminate", {"cause": cause})
            self.remove(sid, "local_terminate")

    # -- receiving (FS-23 .. FS-34)

    def receive(self, now, mid, data):
        env = decode_envelope(data)
        sid = bytes.fromhex(env["sessionId"])
        name, body = [(k, v) for k, v in env.items() if k != "sessionId"][0]
        if name == "init":
            self.on_init(now, sid, body)
        elif name == "accept":
            self.on_accept(sid, body)
        elif name == "reject":  # FS-27
            if sid in self.sessions:
                self.remove(sid, "rejected")
            event = {"event": "message_rejected", "sessionId": hx(sid), "messageId": body["messageId"],
                     "cause": body["cause"]}
            if "groupIdentity" in body:
                event["groupIdentity"] = body["groupIdentity"]
            self.events.append(event)
        elif name == "terminate":  # FS-28
            if sid in self.sessions:
                self.remove(sid, "terminated")
        else:
            self.on_encapsulated(now, mid, sid, body)

    def on_init(self, now, sid, body):  # FS-24
        if sid in self.sessions:
            raise Rejected("init_for_existing_session")
        r = body["supportedVersion"]
        version = negotiate(r["min"], r["max"])
        fssk_i = bytes.fromhex(body["fssk"])
        static_eph = dh(self.secret, fssk_i)
        for other in self.ordered():
            if self.sessions[other]["state"] != "L20":
                self.remove(other, "superseded")
        remote_2dh = root_2dh(self.peer, self.ss, static_eph)
        fssk_r = self.draw(32)
        four = [self.ss, static_eph, dh(fssk_r, self.peer_public), dh(fssk_r, fssk_i)]
        local, remote = roots_4dh(four, self.me, self.peer)
        self.events.append({"event": "session_created", "sessionId": hx(sid), "state": "R20"})
        self.sessions[sid] = {"state": "R24", "range": (r["min"], r["max"]), "v_local": version,
                              "v_remote": version, "r2": (remote_2dh, 1), "l4": (local, 1),
                              "r4": (remote, 1), "updated": now}
        self.control(sid, "accept", {"fssk": hx(pub(fssk_r)),
                                     "supportedVersion": {"min": SUPPORTED[0], "max": SUPPORTED[1]}})
        self.events.append({"event": "state_changed", "sessionId": hx(sid), "from": "R20", "to": "R24"})

    def on_accept(self, sid, body):  # FS-25
        if sid not in self.sessions:
            self.control(sid, "terminate", {"cause": 0})
            raise Rejected("unknown_session")
        s = self.sessions[sid]
        if s["state"] != "L20":
            raise Rejected("unexpected_accept")
        r = body["supportedVersion"]
        version = negotiate(r["min"], r["max"])
        fssk_r = bytes.fromhex(body["fssk"])
        four = [self.ss, dh(s["fssk"], self.peer_public), dh(self.secret, fssk_r), dh(s["fssk"], fssk_r)]
        local, remote = roots_4dh(four, self.me, self.peer)
        self.sessions[sid] = {"state": "L44", "v_local": version, "v_remote": version,
                              "l4": (local, 1), "r4": (remote, 1), "updated": s["updated"]}
        self.events.append({"event": "state_changed", "sessionId": hx(sid), "from": "L20", "to": "L44"})

    def mismatch(self, sid, mid, group, code):  # FS-26
        body = {"messageId": hx(mid), "cause": 0}
        if group:
            body["groupIdentity"] = group
        self.control(sid, "reject", body)
        self.remove(sid, "state_mismatch")
        raise Rejected(code)

    def on_encapsulated(self, now, mid, sid, e):
        group = e.get("groupIdentity")
        if sid not in self.sessions:
            body = {"messageId": hx(mid), "cause": 1}
            if group:
                body["groupIdentity"] = group
            self.control(sid, "reject", body)
            raise Rejected("unknown_session")
        s = self.sessions[sid]
        offered = e["offeredVersion"] or V1_0  # FS-13
        applied = e["appliedVersion"] or offered
        if applied > offered:
            self.mismatch(sid, mid, group, "version_mismatch")
        pending = None
        if e["dhType"] == 0:
            if s["state"] != "R24":
                self.mismatch(sid, mid, group, "dh_type_mismatch")
            if offered != s["range"][0] or applied != s["range"][0]:
                self.mismatch(sid, mid, group, "version_mismatch")
            chain_name = "r2"
        else:
            if s["state"] not in ("R24", "L44", "R44"):
                self.mismatch(sid, mid, group, "dh_type_mismatch")
            lo, ro = s["v_local"], s["v_remote"]
            if (offered >> 8 != lo >> 8 or offered < lo or applied >> 8 != ro >> 8 or applied < ro
                    or applied > V1_2):  # FS-32
                self.mismatch(sid, mid, group, "version_mismatch")
            pending = (min(offered, V1_2), applied)
            chain_name = "r4"
        previous = s[chain_name][1]
        ck, n = ratchet(s[chain_name], e["counter"])
        try:
            inner = secretbox_open(message_key(ck), ZERO_NONCE, bytes.fromhex(e["encryptedInner"]))
        except Rejected:
            self.mismatch(sid, mid, group, "decryption_failed")
        s[chain_name] = (next_ck(ck), n + 1)
        rose = False
        if e["dhType"] == 1:
            rose = pending[0] > s["v_local"]
            s["v_local"], s["v_remote"] = pending
        if e["counter"] > previous:
            self.events.append({"event": "messages_skipped", "sessionId": hx(sid),
                                "count": e["counter"] - previous})
        if e["dhType"] == 1 and s["state"] == "R24":
            del s["r2"], s["range"]
            s["state"] = "R44"
            self.events.append({"event": "state_changed", "sessionId": hx(sid), "from": "R24", "to": "R44"})
        if e["dhType"] == 1:
            if rose:
                self.outputs.append({"kind": "control", "envelope": self.seal(sid, now, EMPTY, b"", None)})
            bidi = [x for x in self.ordered() if self.sessions[x]["state"] in ("L44", "R44")]
            if bidi and bidi[0] == sid:
                for other in self.ordered():
                    if other != sid:
                        self.remove(other, "superseded")
        self.deliver(sid, mid, e, applied, group, inner)

    def deliver(self, sid, mid, e, applied, group, inner):  # FS-26 step 8
        if not inner:
            raise Rejected("invalid_inner")
        code, body = inner[0], inner[1:]
        if not covers(applied, code):
            raise Rejected("inner_type_not_allowed")
        try:
            decode_message(code, body)
        except Rejected:
            raise Rejected("invalid_inner") from None
        expected = self.group_of(code, body, self.peer, self.me)
        if expected != group:
            raise Rejected("group_identity_mismatch")
        if code != EMPTY:
            self.events.append({"event": "received", "sessionId": hx(sid), "messageId": hx(mid),
                                "dhType": "2dh" if e["dhType"] == 0 else "4dh", "counter": e["counter"],
                                "appliedVersion": applied, "innerType": code, "innerBody": hx(body)})

    def checkpoint(self):  # FS-36
        out = []
        for sid in self.ordered():
            s = self.sessions[sid]
            c = {"sessionId": hx(sid), "state": s["state"]}
            for name, field in (("l2", "local2dh"), ("r2", "remote2dh"), ("l4", "local4dh"), ("r4", "remote4dh")):
                if name in s:
                    c[field] = {"counter": s[name][1], "keyHash": hx(b2b(32, data=s[name][0]))}
            if "v_local" in s:
                c["local4dhVersion"], c["remote4dhVersion"] = s["v_local"], s["v_remote"]
            out.append(c)
        return out


INPUTS = ("actor", "action", "now", "messageId", "innerType", "innerBody", "envelope", "cause")


def transcripts(case):
    a, b = case["alice"], case["bob"]
    a_sk, b_sk = bytes.fromhex(a["secretKey"]), bytes.fromhex(b["secretKey"])
    sides = {
        "alice": Peer(a["identity"], a_sk, b["identity"], pub(b_sk), h(case, "aliceRandom")),
        "bob": Peer(b["identity"], b_sk, a["identity"], pub(a_sk), h(case, "bobRandom")),
    }
    steps = []
    for step in case["steps"]:
        inputs = {k: v for k, v in step.items() if k in INPUTS}
        p = sides[step["actor"]]
        p.outputs, p.events = [], []
        error = None
        try:
            if step["action"] == "send":
                p.send(step["now"], bytes.fromhex(step["messageId"]), step["innerType"], h(step, "innerBody"))
            elif step["action"] == "receive":
                p.receive(step["now"], bytes.fromhex(step["messageId"]), h(step, "envelope"))
            elif step["action"] == "terminate":
                p.terminate(step["cause"])
            else:  # lose_state
                fresh = Peer(p.me, p.secret, p.peer, p.peer_public, p.random)
                fresh.used = p.used
                sides[step["actor"]] = p = fresh
        except Rejected as rejection:
            error = rejection.code
        result = dict(inputs, outputs=p.outputs, events=p.events)
        if error:
            result["error"] = error
        result["checkpoint"] = p.checkpoint()
        steps.append(result)
    if any(p.used != len(p.random) for p in sides.values()):
        raise Rejected("random_not_consumed")
    return {"steps": steps}


CHECKERS = {
    "fs_kdf.json": kdf,
    "fs_envelope.json": envelope,
    "fs_transcripts.json": transcripts,
}
