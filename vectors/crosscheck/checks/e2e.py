"""Checkers for e2e_*.json (spec/03-e2e-messages.md), re-implemented from the spec alone.

Crypto is libsodium (PyNaCl) and hashlib; the container, bodies, canonical JSON (E2E-14),
protobuf (E2E-34), outer message (E2E-23) and metadata box (E2E-25) are written out here.
"""
import json
import math
from decimal import Decimal

import nacl.bindings as sodium

from .common import Rejected, box_key, h, hx, nonce as need_nonce, secretbox_open, secretbox_seal
from .prim import blake2b

MAX_TEXT, MAX_BODY, MAX_BLOB = 6000, 7812, 100 * 1024 * 1024
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
RECEIPTS = {1: "received", 2: "read", 3: "acknowledged", 4: "declined"}
CALLS = {0x60: "call_offer", 0x61: "call_answer", 0x62: "call_ice_candidate",
         0x63: "call_hangup", 0x64: "call_ringing"}
MEMBER = {0x41: "text", 0x42: "location", 0x46: "file", 0x4C: "leave", 0x4F: "call_start",
          0x52: "poll_setup", 0x53: "poll_vote", 0x81: "delivery_receipt", 0x83: "reaction",
          0x93: "edit_message", 0x94: "delete_message"}
CREATOR = {0x4A: "setup", 0x4B: "name", 0x50: "set_profile_picture", 0x51: "sync_request",
           0x54: "delete_profile_picture"}
SIMPLE = {0x01: "text", 0x02: "deprecated_image", 0x10: "location", 0x15: "poll_setup",
          0x16: "poll_vote", 0x17: "file", 0x18: "contact_set_profile_picture",
          0x19: "contact_delete_profile_picture", 0x1A: "contact_request_profile_picture",
          0x80: "delivery_receipt", 0x82: "reaction", 0x90: "typing_indicator",
          0x91: "edit_message", 0x92: "delete_message"}


def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def is_identity(s):  # ID-1
    return isinstance(s, str) and len(s) == 8 and all(
        c in ALPHABET or (i == 0 and c == "*") for i, c in enumerate(s))


def hex_ok(v, n):
    return isinstance(v, str) and len(v) == 2 * n and all(c in "0123456789abcdefABCDEF" for c in v)


def canonical(value):  # E2E-14
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def parse_json(body, shape):  # E2E-14
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Rejected("invalid_json") from None
    if not isinstance(value, shape):
        raise Rejected("invalid_json")
    return value


# --- protobuf (E2E-34) ---------------------------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_fields(data):
    """(field, wire type, value) triples; malformed wire format → invalid_protobuf."""
    pos, out = 0, []

    def read_varint():
        nonlocal pos
        shift = result = 0
        while True:
            if pos >= len(data) or shift > 63:
                raise Rejected("invalid_protobuf")
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result
    while pos < len(data):
        key = read_varint()
        field, wire = key >> 3, key & 7
        if field == 0:
            raise Rejected("invalid_protobuf")
        if wire == 0:
            value = read_varint()
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(data):
                raise Rejected("invalid_protobuf")
            value, pos = int.from_bytes(data[pos:pos + size], "little"), pos + size
        elif wire == 2:
            size = read_varint()
            if pos + size > len(data):
                raise Rejected("invalid_protobuf")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise Rejected("invalid_protobuf")
        out.append((field, wire, value))
    return out


def pb_decode(data, schema):
    """schema: field → (kind, wire); last occurrence wins; unknown fields skipped."""
    result = {}
    for field, wire, value in pb_fields(data):
        if field not in schema:
            continue
        kind, want = schema[field]
        if wire != want:
            raise Rejected("invalid_protobuf")
        if kind == "string":
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise Rejected("invalid_protobuf") from None
        elif kind == "uint32":
            value &= 0xFFFFFFFF
        result[field] = value
    return result


def pb_fixed64(field, v):
    return varint(field << 3 | 1) + v.to_bytes(8, "little") if v else b""


def pb_bytes(field, v, always=False):
    return varint(field << 3 | 2) + varint(len(v)) + v if (v or always) else b""


def pb_varint(field, v, always=False):
    return varint(field << 3) + varint(v) if (v or always) else b""


def mid(hex_id):
    return int.from_bytes(bytes.fromhex(hex_id), "little")


def mid_hex(n):
    return n.to_bytes(8, "little").hex()


# --- bodies: decode to the JSON form (E2E-7 .. E2E-22, E2E-35 .. E2E-37) ---------------------

def text_of(body):  # E2E-8
    if len(body) > MAX_TEXT:
        raise Rejected("text_too_long")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("invalid_utf8") from None


def location_of(body):  # E2E-10
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("invalid_utf8") from None
    lines = text.split("\n")
    if len(lines) > 3:
        raise Rejected("invalid_location")
    parts = lines[0].split(",")
    if len(parts) not in (2, 3):
        raise Rejected("invalid_location")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise Rejected("invalid_location") from None
    limits = [90.0, 180.0, math.inf]
    if any(not math.isfinite(n) or abs(n) > lim for n, lim in zip(numbers, limits)):
        raise Rejected("invalid_location")
    if len(numbers) == 3 and numbers[2] < 0:
        raise Rejected("invalid_location")
    out = {"latitude": numbers[0], "longitude": numbers[1]}
    if len(numbers) == 3:
        out["accuracy"] = numbers[2]
    if len(lines) == 3:
        out["name"] = lines[1]
    if len(lines) >= 2:
        out["address"] = lines[-1].replace("\\n", "\n")
    return out


def check_poll(poll):  # E2E-11
    def need(m, k, ok):
        if k not in m or not ok(m[k]):
            raise Rejected("invalid_poll")

    def may(m, k, ok):
        if m.get(k) is not None and not ok(m[k]):
            raise Rejected("invalid_poll")
    need(poll, "d", lambda v: isinstance(v, str))
    need(poll, "s", lambda v: is_uint(v) and v in (0, 1))
    need(poll, "a", lambda v: is_uint(v) and v in (0, 1))
    need(poll, "t", is_uint)
    may(poll, "u", is_uint)
    may(poll, "o", is_uint)
    may(poll, "p", lambda v: isinstance(v, list) and all(is_identity(x) for x in v))
    if not isinstance(poll.get("c"), list):
        raise Rejected("invalid_poll")
    for choice in poll["c"]:
        if not isinstance(choice, dict):
            raise Rejected("invalid_poll")
        need(choice, "i", is_uint)
        need(choice, "n", lambda v: isinstance(v, str))
        need(choice, "o", is_uint)
        may(choice, "r", lambda v: isinstance(v, list) and all(is_uint(x) for x in v))
        may(choice, "t", is_uint)
    return poll


def votes_of(body):  # E2E-12
    if len(body) < 8:
        raise Rejected("invalid_body_length")
    creator = body[:8].decode("latin-1")
    if not is_identity(creator):
        raise Rejected("invalid_identity")
    if len(body) < 16:
        raise Rejected("invalid_body_length")
    votes = parse_json(body[16:], object)
    if not isinstance(votes, list) or not all(
            isinstance(p, list) and len(p) == 2 and is_uint(p[0]) and is_uint(p[1]) and p[1] in (0, 1)
            for p in votes):
        raise Rejected("invalid_poll")
    return {"creator": creator, "poll_id": body[8:16].hex(), "votes": votes}


def check_file(f):  # E2E-13, in the spec's order
    def present(k):
        return f.get(k) is not None
    for k, n in (("b", 16), ("k", 32)):
        if not hex_ok(f.get(k), n):
            raise Rejected("invalid_file_message")
    if not isinstance(f.get("m"), str):
        raise Rejected("invalid_file_message")
    if not is_uint(f.get("s")) or f["s"] > MAX_BLOB:
        raise Rejected("invalid_file_message")
    if present("n") and not isinstance(f["n"], str):
        raise Rejected("invalid_file_message")
    if present("t") and not hex_ok(f["t"], 16):
        raise Rejected("invalid_file_message")
    for k in "pdc":
        if present(k) and not isinstance(f[k], str):
            raise Rejected("invalid_file_message")
    for k in "ji":
        if present(k) and not is_uint(f[k]):
            raise Rejected("invalid_file_message")
    if present("x") and not isinstance(f["x"], dict):
        raise Rejected("invalid_file_message")
    return f


def receipt_of(body):  # E2E-18
    if len(body) < 9 or (len(body) - 1) % 8:
        raise Rejected("invalid_body_length")
    if body[0] not in RECEIPTS:
        raise Rejected("invalid_receipt_status")
    return {"status": RECEIPTS[body[0]],
            "message_ids": [body[i:i + 8].hex() for i in range(1, len(body), 8)]}


def reaction_of(body):  # E2E-35
    fields, action = pb_fields(body), None
    message_id = 0
    for field, wire, value in fields:
        if field == 1:
            if wire != 1:
                raise Rejected("invalid_protobuf")
            message_id = value
        elif field in (2, 3):
            if wire != 2:
                raise Rejected("invalid_protobuf")
            action = ("apply" if field == 2 else "withdraw", value)
    if action is None:
        raise Rejected("invalid_protobuf")
    try:
        emoji = action[1].decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("invalid_utf8") from None
    return {"message_id": mid_hex(message_id), action[0]: emoji}


def empty(body):
    if body:
        raise Rejected("invalid_body_length")
    return {}


def blob_ref(body):  # E2E-16
    if len(body) != 52:
        raise Rejected("invalid_body_length")
    return {"blob_id": body[:16].hex(), "size": int.from_bytes(body[16:20], "little"),
            "key": body[20:52].hex()}


def inner_of(name, body):
    """The JSON fields of a 1:1-style body `name`."""
    if name == "text":
        return {"text": text_of(body)}
    if name == "location":
        return location_of(body)
    if name == "poll_setup":
        if len(body) < 8:
            raise Rejected("invalid_body_length")
        return {"poll_id": body[:8].hex(), "poll": check_poll(parse_json(body[8:], dict))}
    if name == "poll_vote":
        return votes_of(body)
    if name == "file":
        return {"file": check_file(parse_json(body, dict))}
    if name == "delivery_receipt":
        return receipt_of(body)
    if name == "reaction":
        return reaction_of(body)
    if name == "edit_message":  # E2E-36
        m = pb_decode(body, {1: ("fixed64", 1), 2: ("string", 2)})
        text = m.get(2, "")
        if len(text.encode("utf-8")) > MAX_TEXT:
            raise Rejected("text_too_long")
        return {"message_id": mid_hex(m.get(1, 0)), "text": text}
    if name == "delete_message":
        return {"message_id": mid_hex(pb_decode(body, {1: ("fixed64", 1)}).get(1, 0))}
    if name == "call_start":  # E2E-37
        m = pb_decode(body, {1: ("uint32", 0), 2: ("bytes", 2), 3: ("string", 2)})
        if len(m.get(2, b"")) != 32:
            raise Rejected("invalid_protobuf")
        return {"protocol_version": m.get(1, 0), "gck": m[2].hex(), "sfu_base_url": m.get(3, "")}
    if name == "leave":
        return empty(body)
    raise AssertionError(name)


def decode_message(code, body):  # E2E-7
    if code in SIMPLE:
        name = SIMPLE[code]
        if name == "deprecated_image":  # E2E-9
            if len(body) != 44:
                raise Rejected("invalid_body_length")
            fields = {"blob_id": body[:16].hex(), "size": int.from_bytes(body[16:20], "little"),
                      "nonce": body[20:].hex()}
        elif name == "contact_set_profile_picture":
            fields = blob_ref(body)
        elif name.startswith("contact_"):
            fields = empty(body)
        elif name == "typing_indicator":  # E2E-19
            if len(body) != 1:
                raise Rejected("invalid_body_length")
            if body[0] not in (0, 1):
                raise Rejected("invalid_typing_indicator")
            fields = {"typing": body[0] == 1}
        else:
            fields = inner_of(name, body)
        return {"type": name, **fields}
    if code in CALLS:  # E2E-17
        return {"type": CALLS[code], "call": parse_json(body, dict)}
    if code in MEMBER:  # E2E-20, E2E-21
        if len(body) < 16:
            raise Rejected("invalid_body_length")
        creator = body[:8].decode("latin-1")
        if not is_identity(creator):
            raise Rejected("invalid_identity")
        inner = inner_of(MEMBER[code], body[16:])
        if MEMBER[code] == "poll_vote":  # E2E-21: the poll's creator beside the group's
            inner["poll_creator"] = inner.pop("creator")
        return {"type": "group_" + MEMBER[code], "creator": creator, "group_id": body[8:16].hex(),
                **inner}
    if code in CREATOR:  # E2E-22
        if len(body) < 8:
            raise Rejected("invalid_body_length")
        name, inner = CREATOR[code], body[8:]
        if name == "setup":
            if len(inner) % 8:
                raise Rejected("invalid_body_length")
            members = [inner[i:i + 8].decode("latin-1") for i in range(0, len(inner), 8)]
            if not all(is_identity(m) for m in members):
                raise Rejected("invalid_identity")
            fields = {"members": members}
        elif name == "name":
            try:
                fields = {"name": inner.decode("utf-8")}
            except UnicodeDecodeError:
                raise Rejected("invalid_utf8") from None
        elif name == "set_profile_picture":
            fields = blob_ref(inner)
        else:
            fields = empty(inner)
        return {"type": "group_" + name, "group_id": body[:8].hex(), **fields}
    return {"type": "unknown", "type_code": code, "body": body.hex()}


def open_container(plaintext):  # E2E-4
    if len(plaintext) < 2:
        raise Rejected("container_too_short")
    pad = plaintext[-1]
    if pad == 0:
        raise Rejected("padding_zero")
    if pad > len(plaintext) - 1:
        raise Rejected("padding_too_long")
    message = decode_message(plaintext[0], plaintext[1:len(plaintext) - pad])
    return {**message, "type_code": plaintext[0], "padding_length": pad}


# --- JSON form to body (E2E-43) --------------------------------------------------------------

def rust_number(x):  # E2E-10: shortest round-trip decimal, no exponent, no trailing ".0"
    return format(Decimal(repr(float(x))).normalize(), "f")


def field(m, k, check=lambda v: True):
    if k not in m or not check(m[k]):
        raise Rejected("invalid_message_json")
    return m[k]


def hexf(m, k, n=None):
    v = field(m, k, lambda v: isinstance(v, str))
    try:
        raw = bytes.fromhex(v)
    except ValueError:
        raise Rejected("invalid_message_json") from None
    if n is not None and len(raw) != n:
        raise Rejected("invalid_message_json")
    return raw


def encode_inner(name, m):
    if name == "text":
        text = field(m, "text", lambda v: isinstance(v, str)).encode("utf-8")
        if len(text) > MAX_TEXT:
            raise Rejected("text_too_long")
        return text
    if name == "location":
        lat, lon = field(m, "latitude"), field(m, "longitude")
        acc, label, address = m.get("accuracy"), m.get("name"), m.get("address")
        if abs(lat) > 90 or abs(lon) > 180 or (acc is not None and acc < 0):
            raise Rejected("invalid_location")
        if label is not None and ("\n" in label or address is None):
            raise Rejected("invalid_location")
        text = f"{rust_number(lat)},{rust_number(lon)}"
        if acc is not None:
            text += "," + rust_number(acc)
        if label is not None:
            text += "\n" + label
        if address is not None:
            text += "\n" + address.replace("\n", "\\n")
        return text.encode("utf-8")
    if name == "poll_setup":
        return hexf(m, "poll_id", 8) + canonical(check_poll(field(m, "poll")))
    if name == "poll_vote":
        creator = field(m, "creator", is_identity)
        return creator.encode() + hexf(m, "poll_id", 8) + canonical(field(m, "votes"))
    if name == "file":
        return canonical(check_file(field(m, "file")))
    if name == "delivery_receipt":
        codes = {v: k for k, v in RECEIPTS.items()}
        status = field(m, "status", lambda v: v in codes)
        return bytes([codes[status]]) + b"".join(bytes.fromhex(i) for i in m["message_ids"])
    if name == "reaction":
        key = "apply" if "apply" in m else "withdraw"
        return pb_fixed64(1, mid(m["message_id"])) + pb_bytes(
            2 if key == "apply" else 3, m[key].encode("utf-8"), always=True)
    if name == "edit_message":
        text = m["text"].encode("utf-8")
        if len(text) > MAX_TEXT:
            raise Rejected("text_too_long")
        return pb_fixed64(1, mid(m["message_id"])) + pb_bytes(2, text)
    if name == "delete_message":
        return pb_fixed64(1, mid(m["message_id"]))
    if name == "call_start":
        return (pb_varint(1, m["protocol_version"]) + pb_bytes(2, bytes.fromhex(m["gck"]))
                + pb_bytes(3, m["sfu_base_url"].encode("utf-8")))
    if name == "leave":
        return b""
    raise Rejected("invalid_message_json")


def encode_message(m):
    """(type code, body) of a message in its JSON form."""
    name = field(m, "type", lambda v: isinstance(v, str))
    codes = {v: k for k, v in SIMPLE.items()}
    if name in codes:
        code = codes[name]
        if name == "deprecated_image":
            return code, hexf(m, "blob_id", 16) + m["size"].to_bytes(4, "little") + hexf(m, "nonce", 24)
        if name == "contact_set_profile_picture":
            return code, hexf(m, "blob_id", 16) + m["size"].to_bytes(4, "little") + hexf(m, "key", 32)
        if name.startswith("contact_"):
            return code, b""
        if name == "typing_indicator":
            return code, bytes([1 if m["typing"] else 0])
        return code, encode_inner(name, m)
    calls = {v: k for k, v in CALLS.items()}
    if name in calls:
        return calls[name], canonical(field(m, "call", lambda v: isinstance(v, dict)))
    if name == "unknown":
        return m["type_code"], bytes.fromhex(m["body"])
    inner = name[len("group_"):] if name.startswith("group_") else None
    creator_codes = {v: k for k, v in CREATOR.items()}
    if inner in creator_codes:
        gid = hexf(m, "group_id", 8)
        if inner == "setup":
            return 0x4A, gid + b"".join(x.encode() for x in m["members"])
        if inner == "name":
            return 0x4B, gid + m["name"].encode("utf-8")
        if inner == "set_profile_picture":
            return 0x50, gid + hexf(m, "blob_id", 16) + m["size"].to_bytes(4, "little") + hexf(m, "key", 32)
        return creator_codes[inner], gid
    member_codes = {v: k for k, v in MEMBER.items()}
    if inner in member_codes:
        prefix = field(m, "creator", is_identity).encode() + hexf(m, "group_id", 8)
        if inner == "poll_vote":  # E2E-21: the poll's creator is `poll_creator` in a group
            m = {**m, "creator": field(m, "poll_creator", is_identity)}
        return member_codes[inner], prefix + encode_inner(inner, m)
    raise Rejected("invalid_message_json")


def make_container(message, pad):  # E2E-2, E2E-3, E2E-6
    code, body = encode_message(message)
    if len(body) > MAX_BODY:
        raise Rejected("body_too_large")
    if pad == 0 or len(body) + pad < 32:
        raise Rejected("invalid_padding_length")
    return bytes([code]) + body + bytes([pad]) * pad


# --- files ---------------------------------------------------------------------------------

def keys(case):
    return (box_key(h(case, "senderPrivate"), h(case, "recipientPublic")),
            box_key(h(case, "recipientPrivate"), h(case, "senderPublic")))


def container(case):
    if "randomBytes" in case:  # E2E-3
        stream, position = h(case, "randomBytes"), 0
        while stream[position] == 0:
            position += 1
        pad = max(stream[position], 32 - case["bodyLength"])
        return {"paddingLength": pad, "allBytesUsed": position + 1 == len(stream)}
    data = h(case, "container")
    opened_pad = data[-1] if data else 0
    split = open_container_raw(data)
    return {"typeCode": data[0], "body": hx(split), "paddingLength": opened_pad,
            "canonical": hx(bytes([data[0]]) + split + bytes([opened_pad]) * opened_pad)}


def open_container_raw(data):
    if len(data) < 2:
        raise Rejected("container_too_short")
    if data[-1] == 0:
        raise Rejected("padding_zero")
    if data[-1] > len(data) - 1:
        raise Rejected("padding_too_long")
    return data[1:len(data) - data[-1]]


def messages(case):
    sealer, opener = keys(case)
    n = need_nonce(h(case, "nonce"))
    plaintext = make_container(case["message"], case["paddingLength"])
    opened = open_container(secretbox_open(opener, n, h(case, "box")))
    return {"plaintext": hx(plaintext), "box": hx(secretbox_seal(sealer, n, plaintext)),
            "opened": opened}


def open_box(case):
    _, opener = keys(case)
    plaintext = secretbox_open(opener, need_nonce(h(case, "nonce")), h(case, "box"))
    return {"plaintext": hx(plaintext), "opened": open_container(plaintext)}


def metadata_key(k):  # E2E-25
    return blake2b(32, k, b"mm", b"3ma-csp", b"")


def check_expiry(seconds):  # E2E-39
    if seconds is not None and not 1 <= seconds <= 31536000:
        raise Rejected("invalid_expiry")


def encode_payload(case, sealer):  # E2E-23 .. E2E-30
    o = case["outgoing"]
    n = bytes.fromhex(o["nonce"])
    message = o["message"]
    encode_message(message)  # JSON-form errors come first
    nickname, expiry = o.get("nickname"), o.get("expire_after_seconds")
    legacy = bytes(32)
    if o["payload_version"] == 0:
        if expiry is not None:
            raise Rejected("metadata_in_legacy_payload")
        metadata_box = b""
        on = True
    else:
        check_expiry(expiry)
        nick = None if nickname is None else nickname.encode("utf-8")
        padding = bytes(max(0, 16 - len(nick)) if nick is not None else 16)
        plain = (pb_bytes(1, padding) + (pb_bytes(2, nick, always=True) if nick is not None else b"")
                 + pb_fixed64(3, mid(o["message_id"])) + pb_varint(4, o["created_at_ms"])
                 + (pb_varint(1000, expiry, always=True) if expiry is not None else b""))
        metadata_box = secretbox_seal(metadata_key(sealer), n, plain)
        on = o["receiver"].startswith("*")
    if nickname is not None and on:
        raw = nickname.encode("utf-8")[:32]
        while True:
            try:
                raw.decode("utf-8")
                break
            except UnicodeDecodeError:
                raw = raw[:-1]
        legacy = raw + bytes(32 - len(raw))
    body = secretbox_seal(sealer, n, make_container(message, o["padding_length"]))
    header = (o["sender"].encode() + o["receiver"].encode() + bytes.fromhex(o["message_id"])
              + min(o["created_at_ms"] // 1000, 2**32 - 1).to_bytes(4, "little")
              + bytes([o["flags"], 0]) + len(metadata_box).to_bytes(2, "little") + legacy)
    return header + metadata_box + n + body


def decode_payload(case, opener):  # E2E-28
    data = h(case, "payload")
    if len(data) < 64:
        raise Rejected("payload_too_short")
    m_len = int.from_bytes(data[30:32], "little")
    if len(data) < 88 + m_len:
        raise Rejected("payload_too_short")
    sender, receiver = data[:8].decode("latin-1"), data[8:16].decode("latin-1")
    if not is_identity(sender) or not is_identity(receiver):
        raise Rejected("invalid_identity")
    if data[29]:
        raise Rejected("reserved_not_zero")
    n = data[64 + m_len:88 + m_len]
    if n.hex() in case.get("seenNonces", []):
        raise Rejected("nonce_reused")
    header_id = data[16:24]
    metadata = None
    if m_len:
        try:
            plain = secretbox_open(metadata_key(opener), n, data[64:64 + m_len])
        except Rejected:
            raise Rejected("metadata_auth_failed") from None
        f = pb_decode(plain, {1: ("bytes", 2), 2: ("string", 2), 3: ("fixed64", 1),
                              4: ("uint64", 0), 1000: ("uint32", 0)})
        check_expiry(f.get(1000))
        metadata = {"nickname": f.get(2), "message_id": mid_hex(f.get(3, 0)),
                    "created_at_ms": f.get(4, 0), "padding": hx(f.get(1, b"")),
                    "expire_after_seconds": f.get(1000)}
        if metadata["message_id"] != header_id.hex():
            raise Rejected("metadata_message_id_mismatch")
    opened = open_container(secretbox_open(opener, n, data[88 + m_len:]))
    raw = data[32:64].split(b"\x00")[0]
    try:
        legacy = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        legacy = raw[:error.start].decode("utf-8")
    created = int.from_bytes(data[24:28], "little")
    expires = None
    if metadata and metadata["expire_after_seconds"] is not None:
        expires = metadata["created_at_ms"] + 1000 * metadata["expire_after_seconds"]
    decoded = {
        "payload_version": 1 if m_len else 0, "sender": sender, "receiver": receiver,
        "message_id": header_id.hex(), "created_at": created, "flags": data[28],
        "nickname": legacy, "nonce": n.hex(), "metadata": metadata,
        "effective_created_at_ms": metadata["created_at_ms"] if metadata else created * 1000,
        "effective_nickname": metadata["nickname"] if metadata else (legacy or None),
        "expires_at_ms": expires, "message": opened}
    return decoded, opened["type_code"] not in (0x62, 0x90)


def payload(case):
    sealer, opener = keys(case)
    out = {}
    if "outgoing" in case:
        out["payload"] = hx(encode_payload(case, sealer))
    if "payload" in case:
        decoded, stored = decode_payload(case, opener)
        out.update(metadataKey=hx(metadata_key(opener)), decoded=decoded, nonceStored=stored)
    return out


def blob(case):  # E2E-9, E2E-32, E2E-33
    if "boxLength" in case:
        if max(0, case["boxLength"] - 16) > MAX_BLOB:
            raise Rejected("blob_too_large")
        return {}
    data, sealed = h(case, "data"), h(case, "box")
    if case["kind"] == "deprecated_image":
        sealer, opener = keys(case)
        n = h(case, "nonce")
        return {"box": hx(secretbox_seal(sealer, n, data)), "data": hx(secretbox_open(opener, n, sealed))}
    last = {"file": 1, "thumbnail": 2, "profile_picture": 1, "deprecated_media": 1,
            "deprecated_video_thumbnail": 2}[case["kind"]]
    n = bytes(23) + bytes([last])
    k = h(case, "key")
    return {"nonce": hx(n), "box": hx(secretbox_seal(k, n, data)), "data": hx(secretbox_open(k, n, sealed))}


CHECKERS = {
    "e2e_container.json": container,
    "e2e_messages.json": messages,
    "e2e_open.json": open_box,
    "e2e_payload.json": payload,
    "e2e_blob.json": blob,
}
assert sodium  # libsodium is used through .common
