#!/usr/bin/env python3
"""Interoperability of `saltrelay message` with the official Threema Gateway SDK (8.0.0).

For text, file, deprecated image (0x02) and every delivery-receipt status, in both directions:

  sdk->ours   the SDK seals a message (nonce and padding fixed); `saltrelay message open` opens
              it and every decoded field equals what the SDK was given;
  identical   `saltrelay message seal` with the same nonce, padding and fields gives a box
              byte-identical to the SDK's;
  ours->sdk   `saltrelay message seal` seals with a random nonce and padding; the SDK's
              `Message.receive` opens it and every decoded field equals ours.

The SDK talks to a local stand-in connection (keys, capabilities, an in-memory blob store): no
network. Blobs for our direction are sealed here with libsodium, as a sending client would.
Last line: 'gateway-interop: N passed, N failed'; exit status 1 on any failure.

Usage: gateway_interop.py PATH_TO_SALTRELAY_BINARY
"""
import asyncio
import hashlib
import json
import subprocess
import sys

import libnacl
import libnacl.public
import libnacl.secret
import threema.gateway.e2e as sdk_e2e
from threema.gateway import ReceptionCapability
from threema.gateway.e2e import DeliveryReceipt, FileMessage, ImageMessage, Message, TextMessage
from threema.gateway.key import Key

ALICE_ID, BOB_ID = "*SALTRLY", "ECHOECHO"


def keypair(label):
    secret = hashlib.sha256(label.encode()).digest()
    return libnacl.public.SecretKey(secret)


ALICE, BOB = keypair("interop alice"), keypair("interop bob")
PUBLIC = {ALICE_ID: libnacl.public.PublicKey(ALICE.pk), BOB_ID: libnacl.public.PublicKey(BOB.pk)}
FILE_NONCE, THUMB_NONCE = b"\x00" * 23 + b"\x01", b"\x00" * 23 + b"\x02"
RECEIPT_NAMES = {"received": "received", "read": "read",
                 "user_acknowledge": "acknowledged", "user_decline": "declined"}


class Blob:
    def __init__(self, data):
        self.data = data

    async def read(self):
        return self.data


class StandInConnection:
    """What the SDK's message classes ask of a gateway connection, served locally."""

    blocking = False

    def __init__(self, identity, secret):
        self.id = identity
        self.key = secret
        self.blobs = {}

    @property
    def unwrap(self):
        return self

    async def get_public_key(self, identity):
        return PUBLIC[identity]

    async def get_reception_capabilities(self, identity):
        return set(ReceptionCapability)

    async def upload(self, data):
        blob_id = hashlib.sha256(data).hexdigest()[:32]
        self.blobs[blob_id] = bytes(data)
        return blob_id

    async def download(self, blob_id):
        return Blob(self.blobs[blob_id])


class Fixed:
    """Fixes the SDK's random choices: box nonces (in call order), padding and file key."""

    def __init__(self):
        self.nonces, self.draw, self.file_key = [], 1, None
        original_encrypt = sdk_e2e._pk_encrypt

        def pk_encrypt(key_pair, data, nonce=None):
            return original_encrypt(key_pair, data, nonce=nonce or self.nonces.pop(0))

        sdk_e2e._pk_encrypt = pk_encrypt
        sdk_e2e.randint = lambda low, high: self.draw
        Key.generate_secret_key = staticmethod(lambda: (self.file_key, self.file_key.hex().encode()))


FIXED = Fixed()


def saltrelay(binary, command, request):
    done = subprocess.run([binary, "message", command], input=json.dumps(request).encode(),
                          capture_output=True, check=False)
    answer = json.loads(done.stdout)
    if done.returncode != 0 or "error" in answer:
        raise AssertionError(f"saltrelay message {command} failed: {answer}")
    return answer


def ours_open(binary, nonce, box):
    return saltrelay(binary, "open", {
        "recipient_secret_key": BOB.sk.hex(), "sender_public_key": ALICE.pk.hex(),
        "nonce": nonce.hex(), "box": box.hex()})


def ours_seal(binary, message, nonce=None, padding=None):
    request = {"sender_secret_key": BOB.sk.hex(), "recipient_public_key": ALICE.pk.hex(),
               "message": message}
    if nonce is not None:
        request.update(nonce=nonce.hex(), padding_length=padding,
                       sender_secret_key=ALICE.sk.hex(), recipient_public_key=BOB.pk.hex())
    answer = saltrelay(binary, "seal", request)
    return bytes.fromhex(answer["nonce"]), bytes.fromhex(answer["box"])


async def sdk_seal(message, nonces, draw, file_key=None):
    FIXED.nonces, FIXED.draw, FIXED.file_key = list(nonces), draw, file_key
    nonce, box = await message.send(get_data_only=True)
    return nonce, box


async def sdk_open(connection, nonce, box):
    return await Message.receive(connection, {"from_id": BOB_ID, "message_id": b"\x01" * 8,
                                              "date": None}, nonce, box)


def expect(results, name, ok, detail=""):
    results.append((name, ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")


async def run_case(binary, results, name, build_sdk, ours_json, check_ours, check_sdk, draw,
                   nonces, file_key=None, prepare_blobs=None):
    alice = StandInConnection(ALICE_ID, ALICE)  # the SDK's sending side
    bob = StandInConnection(BOB_ID, BOB)
    try:
        nonce, box = await sdk_seal(build_sdk(alice), nonces, draw, file_key)
        opened = ours_open(binary, nonce, box)
        problems = check_ours(opened, alice)
        expect(results, f"{name}: sdk->ours", not problems, str(problems))
        fields = ours_json(opened)
        _, our_box = ours_seal(binary, fields, nonce, opened["padding_length"])
        expect(results, f"{name}: identical box", our_box == box,
               f"ours {our_box.hex()[:40]}... sdk {box.hex()[:40]}...")
        # The other direction: Bob (ours) writes to Alice (the SDK) with random nonce/padding.
        if prepare_blobs:
            prepare_blobs(bob)
        nonce, box = ours_seal(binary, fields)
        bob_view = StandInConnection(ALICE_ID, ALICE)
        bob_view.blobs = {**alice.blobs, **bob.blobs}
        received = await Message.receive(bob_view, {"from_id": BOB_ID, "message_id": b"\x01" * 8,
                                                    "date": None}, nonce, box)
        problems = check_sdk(received)
        expect(results, f"{name}: ours->sdk", not problems, str(problems))
    except Exception as error:  # noqa: BLE001 - a crash is a failed case, reported by name
        expect(results, f"{name}: error", False, f"{type(error).__name__}: {error}")


def diff(pairs):
    return [f"{label}: {a!r} != {b!r}" for label, a, b in pairs if a != b]


async def main(binary):
    results = []
    nonce = lambda n: bytes([n]) * 24  # noqa: E731
    texts = [("text ascii", "Hello from the gateway", 9),
             ("text empty", "", 1),
             ("text unicode", "Grüezi 👋 — ünïcödé", 255),
             ("text 6000 bytes", "€" * 2000, 200)]
    for label, text, draw in texts:
        await run_case(
            binary, results, label,
            lambda c, t=text: TextMessage(c, text=t, to_id=BOB_ID, key=PUBLIC[BOB_ID]),
            lambda o: {"type": "text", "text": o["text"]},
            lambda o, c, t=text: diff([("type", o["type"], "text"), ("text", o["text"], t)]),
            lambda m, t=text: diff([("text", m.text, t)]),
            draw, [nonce(len(results) + 1)])

    for status in DeliveryReceipt.ReceiptType:
        for count in (1, 3):
            ids = [bytes([status.value, i]) * 4 for i in range(count)]
            await run_case(
                binary, results, f"receipt {status.name} x{count}",
                lambda c, s=status, i=ids: DeliveryReceipt(c, receipt_type=s, message_ids=i,
                                                           to_id=BOB_ID, key=PUBLIC[BOB_ID]),
                lambda o: {"type": "delivery_receipt", "status": o["status"],
                           "message_ids": o["message_ids"]},
                lambda o, c, s=status, i=ids: diff([
                    ("status", o["status"], RECEIPT_NAMES[s.name]),
                    ("ids", o["message_ids"], [x.hex() for x in i])]),
                lambda m, s=status, i=ids: diff([("status", m.receipt_type, s),
                                                 ("ids", list(m.message_ids), i)]),
                7 * count, [nonce(40 + status.value * 2 + count)])

    image = bytes(range(256)) * 9
    await run_case(
        binary, results, "deprecated image",
        lambda c: ImageMessage(c, image=image, mime_type="image/png", to_id=BOB_ID,
                               key=PUBLIC[BOB_ID]),
        lambda o: {"type": "deprecated_image", "blob_id": o["blob_id"], "size": o["size"],
                   "nonce": o["nonce"]},
        lambda o, c: diff([("type", o["type"], "deprecated_image"), ("size", o["size"], len(image)),
                           ("nonce", o["nonce"], nonce(61).hex()),
                           ("blob", libnacl.public.Box(BOB.sk, ALICE.pk).decrypt(
                               c.blobs[o["blob_id"]], bytes.fromhex(o["nonce"])), image)]),
        lambda m: diff([("image", m.image, image)]),
        20, [nonce(61), nonce(62)])

    files = [("file with caption and thumbnail", "report.pdf", "application/pdf", "Q3 — final",
              b"%PDF" * 300, b"\xff\xd8thumb"),
             ("file unicode name, no thumbnail", "Zürich 🗺.txt", "text/plain", None,
              b"plain text", None)]
    for index, (label, file_name, mime, caption, content, thumb) in enumerate(files):
        key = bytes([index + 1]) * 32

        def build(c, f=file_name, m=mime, d=caption, body=content, t=thumb):
            return FileMessage(c, file_content=body, mime_type=m, file_name=f,
                               thumbnail_content=t, caption=d, to_id=BOB_ID, key=PUBLIC[BOB_ID])

        def check_ours(o, c, f=file_name, m=mime, d=caption, body=content, t=thumb, k=key):
            got = o["file"]
            box = libnacl.secret.SecretBox(k)
            pairs = [("type", o["type"], "file"), ("n", got.get("n"), f), ("m", got.get("m"), m),
                     ("s", got.get("s"), len(body)), ("k", got.get("k"), k.hex()),
                     ("d", got.get("d"), d), ("i", got.get("i"), 0),
                     ("blob", box.decrypt(c.blobs[got["b"]], FILE_NONCE), body)]
            if t is not None:
                pairs.append(("thumb", box.decrypt(c.blobs[got["t"]], THUMB_NONCE), t))
            return diff(pairs)

        def check_sdk(msg, f=file_name, m=mime, d=caption, body=content, t=thumb):
            return diff([("name", msg._file_name, f), ("mime", msg.mime_type, m),
                         ("caption", msg._caption, d), ("content", msg.file_content, body),
                         ("thumbnail", msg.thumbnail_content, t)])

        await run_case(binary, results, label, build, lambda o: {"type": "file", "file": o["file"]},
                       check_ours, check_sdk, 3 + index, [nonce(70 + index)], file_key=key)

    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"gateway-interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(asyncio.run(main(sys.argv[1])))
