"""The stateful operations of the Python peer (spec/08-interop.md, IOP-20, IOP-21): sessions of
forward secrecy (`checks.fs.Peer`) and group clients (`checks.groups.Client`) kept alive under
handles between requests. Both machines are the cross-check's own, written from the spec."""
from checks import fs, groups
from checks.common import Rejected
from checks.e2e import is_identity

CAPABILITIES = ["fs.session", "groups.client"]


class Machines:
    def __init__(self):
        self.fs, self.groups, self.next = {}, {}, 0

    def handle(self, kind):
        self.next += 1
        return f"{kind}-{self.next}"

    def respond(self, op, data):
        """(output, code) like peer.respond, or None when `op` is not a stateful operation."""
        if op == "fs.session.new":
            side = fs.Peer(data["identity"], bytes.fromhex(data["secretKey"]), data["peer"],
                           bytes.fromhex(data["peerPublicKey"]), bytes.fromhex(data["random"]))
            h = self.handle("fs")
            self.fs[h] = side
            return {"handle": h}, None
        if op == "group.client.new":
            if not is_identity(data["me"]):
                return {}, "invalid_identity"
            h = self.handle("group")
            self.groups[h] = [groups.Client(data["me"]), bytes.fromhex(data["random"])]
            return {"handle": h}, None
        if op == "fs.session.step":
            if data.get("handle") not in self.fs:
                return {}, "unknown_handle"
            return self.fs_step(data)
        if op == "group.client.step":
            if data.get("handle") not in self.groups:
                return {}, "unknown_handle"
            return self.group_step(data)
        return None

    def fs_step(self, step):
        """One fs_transcripts step (FS-35, FS-36), as `fs.transcripts` runs it."""
        p = self.fs[step["handle"]]
        p.outputs, p.events = [], []
        error = None
        try:
            if step["action"] == "send":
                p.send(step["now"], bytes.fromhex(step["messageId"]), step["innerType"],
                       bytes.fromhex(step["innerBody"]))
            elif step["action"] == "receive":
                p.receive(step["now"], bytes.fromhex(step["messageId"]),
                          bytes.fromhex(step["envelope"]))
            elif step["action"] == "terminate":
                p.terminate(step["cause"])
            else:  # lose_state
                fresh = fs.Peer(p.me, p.secret, p.peer, p.peer_public, p.random)
                fresh.used = p.used
                self.fs[step["handle"]] = p = fresh
        except Rejected as rejection:
            error = rejection.code
        return {"outputs": p.outputs, "events": p.events, "checkpoint": p.checkpoint()}, error

    def group_step(self, step):
        """One group_scenarios step (GRP-28) drawing from the machine's own bytes."""
        entry = self.groups[step["handle"]]
        client, pool = entry
        client.start(step["at"], pool)
        saved = groups.copy_state(client)
        inp = step["input"]
        error = None
        try:
            if "receive" in inp:
                r = inp["receive"]
                msg = groups.decode(r["type"], bytes.fromhex(r["body"]))
                client.receive(r["from"], bytes.fromhex(r["messageId"]), msg)
            else:
                client.act(inp)
        except (Rejected, groups.Diverged) as failure:
            error = failure.code if isinstance(failure, Rejected) else "random_exhausted"
            client.groups, client.marks = saved
            client.sent, client.events = [], []
        entry[1] = client.random
        return {"sent": client.sent, "events": client.events,
                "checkpoint": client.checkpoint()}, error
