"""The relay-load model of simulator/MODEL.md, written independently in SimPy.

It exists to compare speed with the Rust engine on the same model (and to cross-check the
headline figures roughly: the random streams differ, so figures agree only statistically).
It implements the `default` scenario's features: exponential churn, Pareto activity, log-normal
RTT, Poisson sends while online, text/file/typing kinds, client-side group fan-out, automatic
delivery receipts, relays with FIFO cores (simpy.Resource), per-recipient FIFO mailboxes with
no-queue/no-ack flags, in-flight messages that go back to waiting on disconnect, acks, and
group commits with fsync. Expiry is left out (the default 14-day TTL never fires within hours).

    python relay_model.py --clients 100000 --duration 3600 [--seed 1] [--costs FILE]
"""

import argparse
import collections
import json
import math
import random
import time

import simpy

ACK_FRAME = 38
QSC_FRAME = 22
TEXT, GROUP_TEXT, FILE, GROUP_FILE, RECEIPT, TYPING = range(6)


class Relay:
    def __init__(self, env, cores):
        self.env = env
        self.cpu = simpy.Resource(env, capacity=cores)
        self.records = 0
        self.commit_pending = False


class Model:
    def __init__(self, args):
        self.env = simpy.Environment()
        self.rng = random.Random(args.seed)
        self.args = args
        costs = json.load(open(args.costs))["costs"]
        self.handshake = costs["relay_handshake_ns"]["value"] * 1e-9
        self.open_base = costs["frame_open_ns"]["base"] * 1e-9
        self.open_byte = costs["frame_open_ns"]["per_byte"] * 1e-9
        self.seal_base = costs["frame_seal_ns"]["base"] * 1e-9
        self.seal_byte = costs["frame_seal_ns"]["per_byte"] * 1e-9
        self.commit_base = (costs["store_commit_ns"]["base"] + costs["fsync_ns"]["value"]) * 1e-9
        self.commit_record = costs["store_commit_ns"]["per_record"] * 1e-9
        self.relays = [Relay(self.env, args.cores) for _ in range(args.relays)]
        n = args.clients
        on, off = args.online_mean, args.offline_mean
        self.online_fraction = on / (on + off)
        self.base_rate = args.messages_per_day / 86400.0 / self.online_fraction
        alpha = args.activity_shape
        scale = (alpha - 1) / alpha
        self.weight = [scale / (1.0 - self.rng.random()) ** (1 / alpha) for _ in range(n)]
        self.owd = [self.rng.lognormvariate(math.log(args.rtt_median), args.rtt_sigma) / 2 for _ in range(n)]
        self.home = [self.rng.randrange(args.relays) for _ in range(n)]
        self.session = [0] * n
        self.online = [False] * n
        self.mailbox = [collections.deque() for _ in range(n)]
        self.sent = 0
        self.received = 0
        self.latencies = []
        self.events = 0

    # --- relay CPU -------------------------------------------------------------------------
    def cpu(self, relay, seconds):
        """A job on the relay's cores (FIFO)."""
        with self.relays[relay].cpu.request() as request:
            yield request
            yield self.env.timeout(seconds)

    def add_record(self, relay):
        r = self.relays[relay]
        r.records += 1
        if not r.commit_pending:
            r.commit_pending = True
            self.env.process(self.commit(relay))

    def commit(self, relay):
        interval = self.args.commit_interval
        yield self.env.timeout(interval - self.env.now % interval)
        r = self.relays[relay]
        records, r.records, r.commit_pending = r.records, 0, False
        yield from self.cpu(relay, self.commit_base + self.commit_record * records)

    # --- clients ---------------------------------------------------------------------------
    def churn(self, c):
        if self.rng.random() < self.online_fraction:
            self.online[c] = True
            self.env.process(self.sender(c, self.session[c]))
            yield self.env.timeout(self.rng.expovariate(1 / self.args.online_mean))
            self.go_offline(c)
        while True:
            yield self.env.timeout(self.rng.expovariate(1 / self.args.offline_mean))
            session = self.session[c]
            yield self.env.timeout(3 * self.owd[c])
            yield from self.cpu(self.home[c], self.handshake)
            if self.session[c] != session:
                continue
            self.online[c] = True
            relay = self.home[c]
            for entry in list(self.mailbox[c]):
                if not entry["in_flight"]:
                    entry["in_flight"] = True
                    self.env.process(self.deliver(c, entry, session))
            self.env.process(self.cpu(relay, self.seal_base + self.seal_byte * QSC_FRAME))
            self.env.process(self.sender(c, session))
            yield self.env.timeout(self.rng.expovariate(1 / self.args.online_mean))
            self.go_offline(c)

    def go_offline(self, c):
        self.online[c] = False
        self.session[c] += 1
        box = self.mailbox[c]
        for entry in list(box):
            entry["in_flight"] = False
            if entry["no_queue"]:
                box.remove(entry)

    def sender(self, c, session):
        rate = self.weight[c] * self.base_rate
        while True:
            yield self.env.timeout(self.rng.expovariate(rate))
            if self.session[c] != session:
                return
            self.send(c)

    def send(self, c):
        a = self.args
        pick = self.rng.random() * (a.text_weight + a.file_weight + a.typing_weight)
        typing = pick >= a.text_weight + a.file_weight
        is_file = not typing and pick >= a.text_weight
        group = not typing and self.rng.random() < a.group_fraction
        copies = 1
        if group:
            p = 1 / (a.group_size_mean - 3 + 1)
            extra = int(math.log(1.0 - self.rng.random()) / math.log(1 - p))
            copies = 3 + min(extra, a.group_size_max - 3) - 1
        if typing:
            kind, size = TYPING, a.typing_size
        elif is_file:
            kind, size = (GROUP_FILE if group else FILE), a.file_message_size
        else:
            sigma = a.text_size_sigma
            size = a.text_size_mean * math.exp(sigma * self.rng.gauss(0, 1) - sigma * sigma / 2)
            size = min(max(round(size), 1), 7812)
            kind = GROUP_TEXT if group else TEXT
        for _ in range(copies):
            to = self.rng.randrange(a.clients - 1)
            to = to + 1 if to >= c else to
            self.env.process(self.message(c, to, size, kind, self.env.now))

    def message(self, sender, to, size, kind, sent_at):
        self.sent += 1
        no_ack = kind == TYPING
        yield self.env.timeout(self.owd[sender])
        relay = self.home[sender]
        cost = self.open_base + self.open_byte * size
        if not no_ack:
            cost += self.seal_base + self.seal_byte * ACK_FRAME
        yield from self.cpu(relay, cost)
        home = self.home[to]
        if home != relay:
            yield self.env.timeout(self.args.relay_link)
        if kind == TYPING and not self.online[to]:
            return
        entry = {"sender": sender, "size": size, "kind": kind, "sent_at": sent_at,
                 "in_flight": False, "no_queue": kind == TYPING}
        self.mailbox[to].append(entry)
        if kind != TYPING:
            self.add_record(home)
        if self.online[to]:
            entry["in_flight"] = True
            yield from self.deliver(to, entry, self.session[to])

    def deliver(self, c, entry, session):
        relay = self.home[c]
        yield from self.cpu(relay, self.seal_base + self.seal_byte * entry["size"])
        if entry["kind"] == TYPING and entry in self.mailbox[c]:
            self.mailbox[c].remove(entry)
        yield self.env.timeout(self.owd[c])
        if self.session[c] != session:
            return
        self.received += 1
        if entry["kind"] != TYPING and entry["sent_at"] >= self.args.warmup:
            self.latencies.append(self.env.now - entry["sent_at"])
        if entry["kind"] in (TEXT, FILE):
            self.env.process(self.message(c, entry["sender"], self.args.receipt_size, RECEIPT, self.env.now))
        if entry["kind"] != TYPING:
            yield self.env.timeout(self.owd[c])
            yield from self.cpu(relay, self.open_base + self.open_byte * ACK_FRAME)
            if self.session[c] == session and entry in self.mailbox[c]:
                self.mailbox[c].remove(entry)
                self.add_record(relay)

    def run(self):
        for c in range(self.args.clients):
            self.env.process(self.churn(c))
        self.env.run(until=self.args.duration)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [
        ("clients", 100_000), ("duration", 3600.0), ("warmup", 0.0), ("seed", 1), ("relays", 4), ("cores", 2),
        ("online_mean", 1200.0), ("offline_mean", 6000.0), ("messages_per_day", 40.0), ("activity_shape", 1.8),
        ("text_weight", 0.75), ("file_weight", 0.05), ("typing_weight", 0.20), ("group_fraction", 0.3),
        ("group_size_mean", 8.0), ("group_size_max", 256), ("text_size_mean", 300.0), ("text_size_sigma", 0.6),
        ("file_message_size", 420), ("receipt_size", 180), ("typing_size", 170), ("rtt_median", 0.08),
        ("rtt_sigma", 0.6), ("relay_link", 0.0005), ("commit_interval", 0.01),
    ]:
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=type(default), default=default)
    parser.add_argument("--costs", default="simulator/costs/default.json")
    args = parser.parse_args()
    model = Model(args)
    started = time.perf_counter()
    model.run()
    wall = time.perf_counter() - started
    lat = sorted(model.latencies)
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3 if lat else 0.0
    print(json.dumps({
        "clients": args.clients, "duration_s": args.duration, "wall_s": round(wall, 2),
        "sent": model.sent, "received": model.received,
        "latency_p50_ms": round(pct(0.5), 1), "latency_p99_ms": round(pct(0.99), 1),
    }))


if __name__ == "__main__":
    main()
