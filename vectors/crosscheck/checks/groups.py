"""Checkers for group_scenarios.json and poll_scenarios.json (spec/07-groups.md).

A group client written from GRP-1 to GRP-28 alone: it replays each scenario's steps with the
step's `random` bytes and must produce every step's `sent`, `events`, `error` and
`checkpoint`, including the state digest (GRP-27, hashlib's BLAKE2b). Incoming bodies are
decoded with this cross-check's own E2E decoder (checks/e2e.py); outgoing bodies are built
here byte by byte.
"""
import copy
import hashlib
import struct

from .common import Rejected
from .e2e import canonical, decode_message, is_identity

HOUR = 3_600_000  # GRP-16
WEEK = 604_800_000  # GRP-17
STATUS = {"active": 0, "left": 1, "kicked": 2, "disbanded": 3}
MSG_STATE = {"sent": 0, "edited": 1, "deleted": 2}
LOGGED = ("group_text", "group_location", "group_file", "group_call_start")


class Diverged(Exception):
    pass


class Group:
    def __init__(self, members, name=""):
        self.status = "active"
        self.members = set(members)
        self.name = name
        self.picture = None  # (blob_id bytes, size, key bytes)
        self.last_sync = 0
        self.messages = {}  # message id bytes -> [sender, state]
        self.polls = {}  # (creator, poll id bytes) -> Poll


class Poll:
    def __init__(self, description, multiple, announce, choices):
        self.closed = False
        self.description = description
        self.multiple = multiple
        self.announce = announce
        self.choices = choices  # [(id, text)]
        self.votes = {}  # voter -> set of ids

    def check(self, votes):  # GRP-24
        named = [v[0] for v in votes]
        if len(set(named)) != len(named) or set(named) != {c[0] for c in self.choices}:
            return None
        chosen = {v[0] for v in votes if v[1]}
        if not self.multiple and len(chosen) > 1:
            return None
        return chosen

    def record(self, voter, chosen):
        if chosen:
            self.votes[voter] = chosen
        else:
            self.votes.pop(voter, None)

    def json(self):  # GRP-23, GRP-25: key order d s a t u o (p) c; i n o (r t)
        voters = sorted(self.votes)
        out = {"d": self.description, "s": 1 if self.closed else 0, "a": 1 if self.multiple else 0,
               "t": self.announce, "u": 0, "o": 0}
        if self.closed:
            out["p"] = voters
        choices = []
        for index, (cid, text) in enumerate(self.choices):
            c = {"i": cid, "n": text, "o": index}
            if self.closed:
                row = [1 if cid in self.votes[v] else 0 for v in voters]
                c["r"] = row
                c["t"] = sum(row)
            choices.append(c)
        out["c"] = choices
        return out


class Client:
    def __init__(self, me):
        self.me = me
        self.groups = {}  # (creator, group id bytes) -> Group
        self.marks = {}  # (creator, group id bytes, peer) -> ms

    # --- one input ---------------------------------------------------------------------

    def start(self, now, random):
        self.now, self.random, self.sent, self.events = now, random, [], []

    def draw(self):  # GRP-3
        if len(self.random) < 8:
            raise Diverged("the step draws more bytes than recorded")
        b, self.random = self.random[:8], self.random[8:]
        return b

    def entry(self, to, code, body, mid=None):
        to = sorted(set(to))
        if not to:
            return None
        mid = mid if mid is not None else self.draw()
        # GRP-3: send-push for texts, locations, files and poll setups (group or 1:1), else none
        push = code in (0x41, 0x42, 0x46, 0x52, 0x01, 0x10, 0x17, 0x15)
        self.sent.append({"to": to, "messageId": mid.hex(), "createdAt": self.now,
                          "flags": 1 if push else 0, "type": code, "body": body.hex()})
        return mid

    def event(self, name, g, **extra):
        self.events.append({"event": name, "group": gjson(g), **extra})

    def ignore(self, g, reason):
        self.event("ignored", g, reason=reason)

    # --- bodies (E2E-21, E2E-22) ---------------------------------------------------------

    @staticmethod
    def setup(g, members):
        return 0x4A, g[1] + b"".join(m.encode() for m in sorted(members))

    @staticmethod
    def picture_body(g, grp):
        if grp.picture is None:
            return 0x54, g[1]
        blob, size, key = grp.picture
        return 0x50, g[1] + blob + struct.pack("<I", size) + key

    @staticmethod
    def member_body(g, inner):
        return g[0].encode() + g[1] + inner

    def others(self, g, grp):
        return [m for m in grp.members | {g[0]} if m != self.me]

    def marked(self, key):
        return key in self.marks and self.now < self.marks[key] + HOUR

    # --- shared send rules ----------------------------------------------------------------

    def update_bundle(self, g, grp, removed):  # GRP-4
        first = None
        if removed:
            first = self.entry(removed, *self.setup(g, []))
        if not grp.members:
            return
        self.entry(grp.members, *self.setup(g, grp.members), mid=first)
        self.entry(grp.members, 0x4B, g[1] + grp.name.encode())
        self.entry(grp.members, *self.picture_body(g, grp))

    def resync_bundle(self, g, targets):  # GRP-5
        grp = self.groups[g]
        if not targets:
            return
        self.entry(targets, *self.setup(g, grp.members))
        self.entry(targets, 0x4B, g[1] + grp.name.encode())
        self.entry(targets, *self.picture_body(g, grp))
        for t in targets:
            self.marks[(g[0], g[1], t)] = self.now

    def request_sync(self, g):  # GRP-16
        if g[0] == self.me:
            return
        key = (g[0], g[1], g[0])
        if self.marked(key):
            self.event("sync_request_suppressed", g)
            return
        self.entry([g[0]], 0x51, g[1])
        self.marks[key] = self.now
        self.event("sync_requested", g)

    def periodic(self, g):  # GRP-17
        grp = self.groups.get(g)
        if g[0] != self.me or grp is None or grp.status != "active" or self.now - grp.last_sync <= WEEK:
            return
        grp.last_sync = self.now
        targets = [m for m in grp.members if not self.marked((g[0], g[1], m))]
        self.event("periodic_sync", g)
        self.resync_bundle(g, targets)

    # --- receiving (GRP-12 to GRP-25) -------------------------------------------------------

    def receive(self, sender, mid, msg):
        if sender == self.me:
            raise Rejected("sender_is_self")
        kind = msg["type"]
        if kind in ("group_setup", "group_name", "group_set_profile_picture",
                    "group_delete_profile_picture", "group_sync_request"):
            gid = bytes.fromhex(msg["group_id"])
            if kind == "group_sync_request":
                return self.on_sync_request(sender, (self.me, gid))
            g = (sender, gid)
            if kind == "group_setup":
                return self.on_setup(sender, g, msg["members"])
            return self.on_property(sender, g, msg)
        if not kind.startswith("group_"):
            raise Rejected("invalid_action")
        g = (msg["group_creator"], bytes.fromhex(msg["group_id"]))
        if kind == "group_leave":
            return self.on_leave(sender, g)
        if self.common(sender, g):
            self.on_conversation(sender, mid, g, msg)

    def common(self, sender, g):  # GRP-12
        grp = self.groups.get(g)
        if grp is None:
            if g[0] != self.me:
                self.request_sync(g)
            self.ignore(g, "unknown_group")
            return False
        if grp.status != "active":
            if g[0] == self.me:
                self.entry([sender], *self.setup(g, []))
            else:
                self.entry([sender], 0x4C, self.member_body(g, b""))
            self.ignore(g, "group_not_active")
            return False
        if sender != g[0] and sender not in grp.members:
            if g[0] == self.me:
                self.entry([sender], *self.setup(g, []))
            else:
                self.request_sync(g)
            self.ignore(g, "sender_not_member")
            return False
        return True

    def on_setup(self, sender, g, members):  # GRP-13
        listed = set(members) - {sender}
        grp = self.groups.get(g)
        if grp is not None and ((grp.status == "active" and grp.members == listed)
                                or (grp.status != "active" and not listed)):
            return self.ignore(g, "no_change")
        if self.me not in listed:
            if grp is None:
                return self.ignore(g, "unknown_group")
            if grp.status != "active":
                return self.ignore(g, "group_not_active")
            grp.status = "kicked"
            return self.event("kicked", g)
        if grp is None:
            self.groups[g] = Group(listed)
            return self.event("joined", g)
        was = grp.status == "active"
        grp.members, grp.status = listed, "active"
        self.event("members_changed" if was else "joined", g)

    def on_property(self, sender, g, msg):  # GRP-14
        if not self.common(sender, g):
            return
        grp = self.groups[g]
        kind = msg["type"]
        if kind == "group_name":
            if msg["name"] == grp.name:
                return self.ignore(g, "no_change")
            grp.name = msg["name"]
            return self.event("renamed", g)
        if kind == "group_set_profile_picture":
            pic = (bytes.fromhex(msg["blob_id"]), msg["size"], bytes.fromhex(msg["key"]))
        else:
            pic = None
        if pic == grp.picture:
            return self.ignore(g, "no_change")
        grp.picture = pic
        self.event("picture_changed", g)

    def on_leave(self, sender, g):  # GRP-15
        if sender == g[0]:
            return self.ignore(g, "creator_cannot_leave")
        grp = self.groups.get(g)
        if grp is None or grp.status != "active":
            if g[0] != self.me:
                self.request_sync(g)
            return self.ignore(g, "unknown_group" if grp is None else "group_not_active")
        if sender not in grp.members:
            return self.ignore(g, "sender_not_member")
        grp.members.discard(sender)
        self.event("member_left", g, member=sender)

    def on_sync_request(self, sender, g):  # GRP-16, creator side
        grp = self.groups.get(g)
        if grp is None:
            return self.ignore(g, "unknown_group")
        if self.marked((g[0], g[1], sender)):
            return self.ignore(g, "recently_resynced")
        if grp.status == "active" and sender in grp.members:
            self.resync_bundle(g, [sender])
        else:
            self.entry([sender], *self.setup(g, []))
        self.event("sync_answered", g)

    def on_conversation(self, sender, mid, g, msg):  # GRP-18 to GRP-25
        grp, kind = self.groups[g], msg["type"]
        counts = False
        if kind in LOGGED:
            if mid in grp.messages:
                return self.ignore(g, "duplicate_message")
            grp.messages[mid] = [sender, "sent"]
            name, counts = "message", True
        elif kind == "group_delivery_receipt":
            if msg["status"] in ("received", "read"):
                return self.ignore(g, "receipt_in_group")
            name = "reaction"
        elif kind == "group_reaction":
            if bytes.fromhex(msg["message_id"]) not in grp.messages:
                return self.ignore(g, "unknown_message")
            name = "reaction"
        elif kind in ("group_edit_message", "group_delete_message"):
            entry = grp.messages.get(bytes.fromhex(msg["message_id"]))
            if entry is None or entry[0] != sender:
                return self.ignore(g, "unknown_message")
            if entry[1] == "deleted":
                return self.ignore(g, "message_deleted")
            entry[1] = "edited" if kind == "group_edit_message" else "deleted"
            name = entry[1]
        elif kind == "group_poll_setup":
            reason = self.on_poll_setup(sender, grp, msg)
            if reason.startswith("!"):
                return self.ignore(g, reason[1:])
            name, counts = reason, True
        elif kind == "group_poll_vote":
            poll = grp.polls.get((msg["poll_creator"], bytes.fromhex(msg["poll_id"])))
            if poll is None:
                return self.ignore(g, "unknown_poll")
            if poll.closed:
                return self.ignore(g, "poll_closed")
            chosen = poll.check([(v[0], v[1] == 1) for v in msg["votes"]])
            if chosen is None:
                return self.ignore(g, "invalid_vote")
            poll.record(sender, chosen)
            name, counts = "poll_vote", True
        else:
            raise AssertionError(kind)
        self.event(name, g)
        if counts:
            self.periodic(g)

    @staticmethod
    def on_poll_setup(sender, grp, msg):  # GRP-25; "!reason" discards
        key = (sender, bytes.fromhex(msg["poll_id"]))
        poll, json = grp.polls.get(key), msg["poll"]
        closing = json["s"] == 1
        if poll is None:
            if closing:
                return "!unknown_poll"
            choices = [(c["i"], c["n"]) for c in json["c"]]
            if len({c[0] for c in choices}) != len(choices):
                return "!invalid_poll"
            grp.polls[key] = Poll(json["d"], json["a"] == 1, json["t"], choices)
            return "poll_opened"
        if poll.closed:
            return "!poll_closed"
        if not closing:
            return "!poll_exists"
        if json.get("u", 0) == 0:
            if "p" not in json:
                return "!invalid_poll"
            voters, votes = json["p"], {}
            for c in json["c"]:
                row = c.get("r")
                if row is None or len(row) != len(voters):
                    return "!invalid_poll"
                for voter, mark in zip(voters, row):
                    if mark != 0:
                        votes.setdefault(voter, set()).add(c["i"])
            poll.votes = votes
        poll.closed = True
        return "poll_closed"

    # --- local actions (GRP-6 to GRP-11, GRP-23 to GRP-25) -----------------------------------

    def active(self, g):
        grp = self.groups.get(g)
        if grp is None:
            raise Rejected("unknown_group")
        if grp.status != "active":
            raise Rejected("group_not_active")
        return grp

    def own_active(self, g):
        grp = self.groups.get(g)
        if grp is None:
            raise Rejected("unknown_group")
        if g[0] != self.me:
            raise Rejected("not_creator")
        if grp.status != "active":
            raise Rejected("group_not_active")
        return grp

    def act(self, a):
        kind = a["action"]
        if kind == "create":
            members = set(a["members"])
            if self.me in members:
                raise Rejected("member_is_self")
            g = (self.me, self.draw())
            if g in self.groups:
                raise Rejected("group_exists")
            grp = Group(members, a["name"])
            grp.picture = picture_of(a["picture"])
            grp.last_sync = self.now
            self.update_bundle(g, grp, [])
            self.groups[g] = grp
            return
        if kind == "distribute":
            msg = decode_message(a["type"], bytes.fromhex(a["body"]))
            if msg["type"].startswith("group_"):
                raise Rejected("invalid_action")
            if self.me in a["recipients"]:
                raise Rejected("member_is_self")
            for r in sorted(set(a["recipients"])):
                self.entry([r], a["type"], bytes.fromhex(a["body"]))
            return
        g = group_of(a["group"])
        if kind == "update":
            if self.me in a["add"]:
                raise Rejected("member_is_self")
            grp = self.own_active(g)
            new = (grp.members | set(a["add"])) - set(a["remove"])
            removed = grp.members - new
            grp.members = new
            if a["name"] is not None:
                grp.name = a["name"]
            if a["picture"] != "keep":
                grp.picture = picture_of(a["picture"])
            self.update_bundle(g, grp, removed)
        elif kind == "disband":
            grp = self.own_active(g)
            self.entry(grp.members, *self.setup(g, []))
            grp.status = "disbanded"
        elif kind == "leave":
            if g in self.groups and g[0] == self.me:
                raise Rejected("creator_cannot_leave")
            grp = self.active(g)
            self.entry(self.others(g, grp), 0x4C, self.member_body(g, b""))
            grp.status = "left"
        elif kind == "resync":
            grp = self.own_active(g)
            self.resync_bundle(g, list(grp.members))
            grp.last_sync = self.now
        elif kind == "send":
            self.send(g, a)
        elif kind == "poll_create":
            self.poll_create(g, a)
        elif kind == "poll_vote":
            self.poll_vote(g, a)
        elif kind == "poll_close":
            self.poll_close(g, a)
        else:
            raise AssertionError(kind)

    def send(self, g, a):  # GRP-11
        body = self.member_body(g, bytes.fromhex(a["body"]))
        msg = decode(a["type"], body)
        grp = self.active(g)
        kind = msg["type"]
        if kind in ("group_leave", "group_poll_setup", "group_poll_vote"):
            raise Rejected("invalid_action")
        change = None
        if kind in ("group_edit_message", "group_delete_message"):
            target = bytes.fromhex(msg["message_id"])
            entry = grp.messages.get(target)
            if entry is None or entry[0] != self.me:
                raise Rejected("unknown_message")
            if entry[1] == "deleted":
                raise Rejected("message_deleted")
            change = (target, "edited" if kind == "group_edit_message" else "deleted")
        if kind == "group_reaction" and bytes.fromhex(msg["message_id"]) not in grp.messages:
            raise Rejected("unknown_message")
        if kind in LOGGED:
            self.periodic(g)
        mid = self.entry(self.others(g, grp), a["type"], body)
        if change:
            grp.messages[change[0]][1] = change[1]
        if kind in LOGGED and mid is not None:
            grp.messages[mid] = [self.me, "sent"]

    def poll_create(self, g, a):  # GRP-23
        self.active(g)
        choices = [(c[0], c[1]) for c in a["choices"]]
        if len({c[0] for c in choices}) != len(choices):
            raise Rejected("invalid_poll")
        poll = Poll(a["description"], a["multiple"], a["announce"], choices)
        key = (self.me, self.draw())
        grp = self.groups[g]
        if key in grp.polls:
            raise Rejected("invalid_poll")
        self.periodic(g)
        inner = key[1] + canonical(poll.json())
        self.entry(self.others(g, grp), 0x52, self.member_body(g, inner))
        grp.polls[key] = poll

    def poll_vote(self, g, a):  # GRP-24
        grp = self.active(g)
        key = (a["poll"]["creator"], bytes.fromhex(a["poll"]["pollId"]))
        poll = grp.polls.get(key)
        if poll is None:
            raise Rejected("unknown_poll")
        if poll.closed:
            raise Rejected("poll_closed")
        chosen = poll.check([(c[0], c[1] == 1) for c in a["choices"]])
        if chosen is None:
            raise Rejected("invalid_vote")
        to = [key[0]] if poll.announce == 0 else self.others(g, grp)
        to = [t for t in to if t != self.me]
        self.periodic(g)
        inner = key[0].encode() + key[1] + canonical([[c[0], c[1]] for c in a["choices"]])
        self.entry(to, 0x53, self.member_body(g, inner))
        poll.record(self.me, chosen)

    def poll_close(self, g, a):  # GRP-25
        grp = self.active(g)
        key = (a["poll"]["creator"], bytes.fromhex(a["poll"]["pollId"]))
        if key[0] != self.me or key not in grp.polls:
            raise Rejected("unknown_poll")
        poll = grp.polls[key]
        if poll.closed:
            raise Rejected("poll_closed")
        poll.closed = True
        self.periodic(g)
        self.entry(self.others(g, grp), 0x52, self.member_body(g, key[1] + canonical(poll.json())))

    # --- checkpoint (GRP-27, GRP-28) --------------------------------------------------------

    def digest(self):
        def u32(n):
            return struct.pack("<I", n)

        def s(text):
            raw = text.encode("utf-8")
            return u32(len(raw)) + raw
        out = b"saltrelay-group-state-v1" + self.me.encode() + u32(len(self.groups))
        for g in sorted(self.groups, key=lambda g: (g[0].encode(), g[1])):
            grp = self.groups[g]
            out += g[0].encode() + g[1] + bytes([STATUS[grp.status]]) + s(grp.name)
            if grp.picture is None:
                out += b"\x00"
            else:
                out += b"\x01" + grp.picture[0] + struct.pack("<I", grp.picture[1]) + grp.picture[2]
            out += struct.pack("<Q", grp.last_sync) + u32(len(grp.members))
            out += b"".join(m.encode() for m in sorted(grp.members))
            out += u32(len(grp.messages))
            for mid in sorted(grp.messages):
                sender, state = grp.messages[mid]
                out += mid + sender.encode() + bytes([MSG_STATE[state]])
            out += u32(len(grp.polls))
            for key in sorted(grp.polls, key=lambda k: (k[0].encode(), k[1])):
                p = grp.polls[key]
                out += key[0].encode() + key[1] + bytes([int(p.closed), int(p.multiple)])
                out += struct.pack("<Q", p.announce) + s(p.description) + u32(len(p.choices))
                for cid, text in p.choices:
                    out += struct.pack("<Q", cid) + s(text)
                voters = sorted(v for v in p.votes if p.votes[v])
                out += u32(len(voters))
                for v in voters:
                    out += v.encode() + u32(len(p.votes[v]))
                    out += b"".join(struct.pack("<Q", c) for c in sorted(p.votes[v]))
        out += u32(len(self.marks))
        for key in sorted(self.marks, key=lambda k: (k[0].encode(), k[1], k[2].encode())):
            out += key[0].encode() + key[1] + key[2].encode() + struct.pack("<Q", self.marks[key])
        return hashlib.blake2b(out, digest_size=32).hexdigest()

    def checkpoint(self):
        groups = [{"group": gjson(g), "status": self.groups[g].status, "name": self.groups[g].name,
                   "members": sorted(self.groups[g].members)}
                  for g in sorted(self.groups, key=lambda g: (g[0].encode(), g[1]))]
        return {"groups": groups, "digest": self.digest()}


def gjson(g):
    return {"creator": g[0], "groupId": g[1].hex()}


def group_of(value):
    return (value["creator"], bytes.fromhex(value["groupId"]))


def picture_of(value):
    if value is None:
        return None
    return (bytes.fromhex(value["blobId"]), value["size"], bytes.fromhex(value["key"]))


def copy_state(client):
    """A deep copy, so a failing step can be rolled back (GRP-28: errors change nothing)."""
    return copy.deepcopy((client.groups, client.marks))


def decode(code, body):
    """E2E decoding (E2E-20 to E2E-22); `group_creator` is the member container's creator."""
    msg = decode_message(code, body)
    if code not in (0x4A, 0x4B, 0x50, 0x51, 0x54) and msg["type"].startswith("group_"):
        msg["group_creator"] = msg["creator"]
    return msg


def scenario(case):
    """GRP-28: replay every step; the first output that differs is reported."""
    me = case["me"]
    if not is_identity(me):
        raise Rejected("invalid_identity")
    client = Client(me)
    replayed = []
    for index, step in enumerate(case["steps"]):
        client.start(step["at"], bytes.fromhex(step["random"]))
        saved = copy_state(client)
        inp = step["input"]
        error = None
        try:
            if "receive" in inp:
                r = inp["receive"]
                msg = decode(r["type"], bytes.fromhex(r["body"]))
                client.receive(r["from"], bytes.fromhex(r["messageId"]), msg)
            else:
                client.act(inp)
        except Rejected as rejection:
            error = rejection.code
            client.groups, client.marks = saved
            client.sent, client.events = [], []
        if client.random:
            raise Diverged(f"step {index}: {len(client.random)} recorded bytes were not drawn")
        actual = {"sent": client.sent, "events": client.events, "checkpoint": client.checkpoint()}
        if error is not None:
            actual["error"] = error
        if not any(name in step for name in ("sent", "events", "error", "checkpoint")):
            replayed.append({**step, **actual})  # an interop request (IOP-7): answer the steps
            continue
        for name in ("sent", "events", "error", "checkpoint"):
            if step.get(name) != actual.get(name):
                raise Diverged(f"step {index} field {name}: expected {step.get(name)} "
                               f"computed {actual.get(name)}")
    return {"me": me, "steps": replayed} if replayed else {"me": me}


CHECKERS = {
    "group_scenarios.json": scenario,
    "poll_scenarios.json": scenario,
}
