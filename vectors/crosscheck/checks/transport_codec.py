"""The transport's payload registry, payload decoding and login extensions (TR-10, TR-11,
TR-18 to TR-26), re-implemented from spec/04-transport.md for transport.py."""
from .common import Rejected, hx
from .identity import parse_identity

# TR-18: type -> (name, sender): C client, R relay, B both.
REGISTRY = {
    0x00: ("echo_request", "B"), 0x01: ("outgoing_message", "C"), 0x02: ("incoming_message", "R"),
    0x03: ("unblock_incoming_messages", "C"), 0x20: ("set_push_token", "C"),
    0x21: ("obsolete", "C"), 0x22: ("obsolete", "C"), 0x23: ("obsolete", "C"),
    0x24: ("set_voip_push_token", "C"), 0x25: ("delete_push_tokens", "C"),
    0x30: ("set_idle_timeout", "C"), 0x31: ("obsolete", "C"), 0x80: ("echo_response", "B"),
    0x81: ("outgoing_message_ack", "R"), 0x82: ("incoming_message_ack", "C"),
    0xd0: ("queue_send_complete", "R"), 0xd1: ("obsolete", "C"),
    0xd2: ("device_cookie_change_indication", "R"),
    0xd3: ("clear_device_cookie_change_indication", "C"), 0xe0: ("close_error", "R"),
    0xe1: ("alert", "R"), 0xf0: ("key_lookup_request", "C"), 0xf1: ("key_lookup_response", "R"),
    0xf2: ("blob_upload_request", "C"), 0xf3: ("blob_upload_chunk", "C"),
    0xf4: ("blob_upload_response", "R"), 0xf5: ("blob_download_request", "C"),
    0xf6: ("blob_download_response", "R"), 0xf7: ("blob_download_chunk", "R"),
    0xf8: ("blob_done", "C"),
}
BLOB_STATUS = {1: "not_found", 2: "too_large", 3: "bad_chunk", 4: "unavailable"}  # TR-24
# TR-26: code -> (can-reconnect, sentence)
CLOSE_TEXT = {
    "frame_too_large": (0, "a frame exceeded 8192 bytes"),
    "frame_too_short": (0, "a frame was shorter than 20 bytes"),
    "malformed_login": (0, "the login data is malformed"),
    "malformed_extensions": (0, "the login extensions are malformed"),
    "malformed_payload": (0, "a payload is malformed"),
    "unknown_payload_type": (0, "a payload type is unknown"),
    "unexpected_payload": (0, "a payload was sent in the wrong direction"),
    "cookie_mismatch": (0, "the login repeats the wrong cookie"),
    "early_data": (0, "data was sent before the login-ack"),
    "unsupported_payload_version": (0, "the message payload version is not supported"),
    "invalid_idle_timeout": (0, "the idle timeout is outside 30 to 600 s"),
    "non_contributory": (0, "a public key is non-contributory"),
    "frame_replayed": (1, "a frame was replayed"),
    "frame_skipped": (1, "a frame is missing"),
    "counter_overflow": (1, "the sequence counter is exhausted"),
    "frame_auth_failed": (1, "a frame failed authentication"),
    "login_auth_failed": (0, "the login could not be authenticated"),
    "vouch_mismatch": (0, "the login could not be authenticated"),
    "identity_unknown": (0, "no public key is bound to this identity; log in with the client-key extension"),
    "identity_taken": (0, "this identity is bound to another public key"),
    "replaced": (0, "another connection of this identity logged in"),
    "unavailable": (1, "the relay is unavailable; try again later"),
    "idle_timeout": (1, "nothing was received within the idle timeout"),
    "handshake_timeout": (1, "the handshake did not finish in time"),
}


def u16(b, i=0):
    return int.from_bytes(b[i:i + 2], "little")


def u32(b, i=0):
    return int.from_bytes(b[i:i + 4], "little")


def u64(b, i=0):
    return int.from_bytes(b[i:i + 8], "little")


def le(value, size):
    return value.to_bytes(size, "little")


# ---- payloads (TR-18 to TR-26) ---------------------------------------------------------------

def decode_payload(container):
    """A container as the JSON object the vectors use; Rejected on any layout rule."""
    code, data = container[0], container[4:]
    if code not in REGISTRY:
        raise Rejected("unknown_payload_type")
    name = REGISTRY[code][0]

    def bad():
        return Rejected("malformed_payload")

    def need(n):
        if len(data) != n:
            raise bad()

    def ident(raw):
        try:
            return parse_identity(raw)
        except Rejected:
            raise bad() from None

    def text(raw):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bad() from None

    out = {"type": name}
    if code in (0x00, 0x80, 0x01, 0x02):
        out["data"] = hx(data)
    elif code in (0x81, 0x82):
        need(16)
        out.update(identity=ident(data[:8]), messageId=u64(data, 8))
    elif code in (0x03, 0xd0, 0xd2, 0xd3):
        need(0)
    elif code in (0x20, 0x24):
        if not 1 <= len(data) <= 256:
            raise bad()
        out.update(kind=data[0], token=hx(data[1:]))
    elif code == 0x25:
        if len(data) % 8:
            raise bad()
        out["deviceIds"] = [u64(data, i) for i in range(0, len(data), 8)]
    elif code == 0x30:
        need(2)
        if not 30 <= u16(data) <= 600:
            raise Rejected("invalid_idle_timeout")
        out["seconds"] = u16(data)
    elif name == "obsolete":
        out.update(code=code, data=hx(data))
    elif code == 0xe0:
        if not data:
            raise bad()
        out.update(canReconnect=data[0] != 0, message=text(data[1:]))
    elif code == 0xe1:
        out["message"] = text(data)
    elif code == 0xf0:
        need(12)
        out.update(requestId=u32(data), identity=ident(data[4:]))
    elif code == 0xf1:
        if len(data) < 5 or data[4] not in (0, 1):
            raise bad()
        need(37 if data[4] == 0 else 5)
        out.update(requestId=u32(data), publicKey=hx(data[5:]) if data[4] == 0 else None)
    elif code == 0xf2:
        need(9)
        if data[8] & ~1:
            raise bad()
        out.update(requestId=u32(data), length=u32(data, 4), persist=bool(data[8] & 1))
    elif code in (0xf3, 0xf7):
        if len(data) < 9:
            raise bad()
        out.update(requestId=u32(data), offset=u32(data, 4), data=hx(data[8:]))
    elif code in (0xf4, 0xf6):
        if len(data) < 5 or (data[4] != 0 and data[4] not in BLOB_STATUS):
            raise bad()
        out["requestId"] = u32(data)
        if data[4] == 0:
            need(5 + (16 if code == 0xf4 else 4))
            if code == 0xf4:
                out.update(status="ok", blobId=hx(data[5:]))
            else:
                out.update(status="ok", length=u32(data, 5))
        else:
            need(5)
            out["status"] = BLOB_STATUS[data[4]]
    elif code == 0xf5:
        need(20)
        out.update(requestId=u32(data), blobId=hx(data[4:]))
    elif code == 0xf8:
        need(16)
        out["blobId"] = hx(data)
    return out


def close_error_container(code):
    reconnect, sentence = CLOSE_TEXT[code]
    return bytes([0xe0, 0, 0, 0, reconnect]) + f"{code}: {sentence}".encode()


def encode_extensions(ext):
    """TR-10, TR-11: ascending type order."""
    out = b""

    def item(kind, payload):
        return bytes([kind]) + le(len(payload), 2) + payload

    if ext.get("clientInfo") is not None:
        out += item(0x00, ext["clientInfo"].encode())
    if ext.get("deviceId") is not None:
        out += item(0x01, le(ext["deviceId"], 8))
    if ext.get("payloadVersion") is not None:
        out += item(0x02, bytes([ext["payloadVersion"]]))
    if ext.get("deviceCookie") is not None:
        out += item(0x03, bytes.fromhex(ext["deviceCookie"]))
    if ext.get("clientKey") is not None:
        out += item(0xf0, bytes.fromhex(ext["clientKey"]))
    return out


def decode_extensions(raw):
    """TR-10: unknown types skipped; overruns, wrong lengths, repeats rejected."""
    ext = {"clientInfo": None, "deviceId": None, "payloadVersion": None, "deviceCookie": None, "clientKey": None}
    sizes = {0x01: 8, 0x02: 1, 0x03: 16, 0xf0: 32}
    names = {0x00: "clientInfo", 0x01: "deviceId", 0x02: "payloadVersion", 0x03: "deviceCookie", 0xf0: "clientKey"}
    i = 0
    while i < len(raw):
        if len(raw) - i < 3:
            raise Rejected("malformed_extensions")
        kind, length = raw[i], u16(raw, i + 1)
        payload = raw[i + 3:i + 3 + length]
        if len(payload) != length:
            raise Rejected("malformed_extensions")
        i += 3 + length
        if kind not in names:
            continue
        if kind in sizes and length != sizes[kind]:
            raise Rejected("malformed_extensions")
        if ext[names[kind]] is not None:
            raise Rejected("malformed_extensions")
        if kind == 0x00:
            try:
                ext["clientInfo"] = payload.decode("utf-8")
            except UnicodeDecodeError:
                raise Rejected("malformed_extensions") from None
        elif kind == 0x01:
            ext["deviceId"] = u64(payload)
        elif kind == 0x02:
            ext["payloadVersion"] = payload[0]
        else:
            ext[names[kind]] = hx(payload)
    return ext
