//! Messages: sends, fan-out, the two relay hops, delivery, acks, receipts (MODEL.md, "Traffic").

use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::core::{CoreError, EntryId, Flags, MailboxId};

use super::clients::{Clients, ONLINE, to_micros};
use super::item::{NO_NEXT, SimItem, Transit, msg};
use super::{Sim, kind};

/// Ack frame on the wire: length 2 + container 4 + sender 8 + message id 8 + tag 16.
const ACK_FRAME_LEN: u32 = 38;

impl Sim<'_> {
    /// Schedules client `c`'s next send, counted from `from`: after an exponential gap, or
    /// for `periodic` sends after exactly one period (the `first` of a session at a uniform
    /// phase within the period, as the load test's senders start spread out).
    pub(super) fn schedule_send(&mut self, c: u32, session: u32, from: u64, first: bool) {
        let rate = f64::from(self.clients.all[c as usize].weight) * self.base_rate;
        if rate <= 0.0 {
            return;
        }
        let gap = if self.scenario.traffic.send_process == "periodic" {
            let period = 1.0 / rate;
            if first {
                to_micros(self.client_rng(c).uniform() * period)
            } else {
                to_micros(period)
            }
        } else {
            to_micros(self.client_rng(c).exponential(1.0 / rate))
        };
        self.at(from + gap, kind::SEND, c, session);
    }

    /// SEND: the user sends a text, a file or a typing indicator, 1:1 or to a group.
    pub(super) fn on_send(&mut self, c: u32, session: u32) {
        if self.clients.all[c as usize].session != session || self.clients.conn(c) != ONLINE {
            return;
        }
        self.schedule_send(c, session, self.now, false);
        let t = &self.scenario.traffic;
        let clients = self.scenario.clients;
        let (text_w, file_w, typing_w) = (t.text_weight, t.file_weight, t.typing_weight);
        let mut rng = self.client_rng(c);
        let pick = rng.uniform() * (text_w + file_w + typing_w);
        let is_typing = pick >= text_w + file_w;
        let is_file = !is_typing && pick >= text_w;
        let group = !is_typing && rng.chance(t.group_fraction);
        let copies = if group && t.group_size_dist == "fixed" {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "validated to lie in 3..=group_size_max"
            )]
            let members = t.group_size_mean.round() as u32;
            members - 1
        } else if group {
            group_size(&mut rng, t.group_size_mean, t.group_size_max) - 1
        } else {
            1
        };
        let (kind_, size, mut flags) = if is_typing {
            (
                msg::TYPING,
                t.typing_size,
                Flags::NO_QUEUE.union(Flags::NO_ACK),
            )
        } else if is_file {
            (
                if group { msg::GROUP_FILE } else { msg::FILE },
                t.file_message_size,
                Flags::NONE,
            )
        } else {
            let size = if t.text_size_dist == "fixed" {
                t.text_size_mean.round()
            } else if t.text_size_dist == "exponential" {
                rng.exponential(t.text_size_mean).ceil()
            } else {
                rng.lognormal_mean(t.text_size_mean, t.text_size_sigma)
                    .round()
            };
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped"
            )]
            let size = size.clamp(1.0, f64::from(t.text_size_max)) as u32;
            (
                if group { msg::GROUP_TEXT } else { msg::TEXT },
                size,
                Flags::NONE,
            )
        };
        if kind_ == msg::TEXT || kind_ == msg::GROUP_TEXT {
            if rng.chance(t.short_lived_fraction) {
                flags = flags.union(Flags::SHORT_LIVED);
            }
            if rng.chance(t.no_ack_fraction) {
                flags = flags.union(Flags::NO_ACK);
            }
        }
        let blob = if is_file {
            rng.lognormal_median(t.blob_size_median, t.blob_size_sigma)
        } else {
            0.0
        };
        let owd = u64::from(self.clients.all[c as usize].owd);
        self.stats.blob_bytes(blob, copies);
        // Client-side fan-out: one frame per member, back to back; they travel as one chain
        // and reach the relay as one event.
        let mut head = NO_NEXT;
        let senders = self.scenario.traffic.senders;
        for _ in 0..copies {
            let to = if senders > 0 {
                // VAL-2: the load test's recipients are the clients that do not send.
                senders + self.client_rng(c).below(clients - senders)
            } else {
                let r = self.client_rng(c).below(clients - 1);
                if r >= c { r + 1 } else { r }
            };
            head = self.enqueue(c, to, size, kind_, flags, head);
        }
        self.at(self.now + owd, kind::INGRESS, head, 0);
    }

    /// Client `from` puts one message on the wire to its relay, arriving `owd` µs later.
    fn emit(&mut self, from: u32, to: u32, size: u32, kind_: u8, flags: Flags, owd: u64) {
        let slot = self.enqueue(from, to, size, kind_, flags, NO_NEXT);
        self.at(self.now + owd, kind::INGRESS, slot, 0);
    }

    /// Parks one message in front of the chain `next` and returns its slot.
    pub(super) fn enqueue(
        &mut self,
        from: u32,
        to: u32,
        size: u32,
        kind_: u8,
        flags: Flags,
        next: u32,
    ) -> u32 {
        let item = SimItem::new(self.now, from, size, kind_);
        self.stats.created(kind_);
        self.stats.in_transit += 1;
        self.park(Transit {
            item,
            recipient: to,
            flags,
            attempt: 0,
            awaits_ack: false,
            entry: 0,
            next,
        })
    }

    /// INGRESS: the sender's relay opens the frame, acks it to the sender unless no-ack, and
    /// forwards it to the recipient's relay (RELAY-1), where it arrives after the relay link.
    /// The arrival is handled right here with its own (later) time, which saves an event per
    /// message (MODEL.md, "Engine").
    pub(super) fn on_ingress(&mut self, head: u32) {
        let sender = self.transit[head as usize].item.sender;
        let relay = self.clients.relay[sender as usize] as usize;
        if !self.relays[relay].up {
            // MODEL.md: the client resends after it reconnects; approximated by the restart.
            self.at(self.relays[relay].up_at, kind::INGRESS, head, 0);
            return;
        }
        self.warm_mailboxes(head);
        let mut slot = head;
        while slot != NO_NEXT {
            let m = self.transit[slot as usize];
            let mut cost = self.open_cost(m.item.size());
            if !m.flags.contains(Flags::NO_ACK) {
                cost += self.seal_cost(ACK_FRAME_LEN);
            }
            let done = self.cpu(relay, self.now * 1000, cost);
            let home = self.clients.relay[m.recipient as usize] as usize;
            let link = if home == relay {
                0
            } else {
                self.scenario.network.relay_link.micros()
            };
            if self.relays[home].up {
                self.arrive(slot, home, done + link * 1000);
            } else {
                self.at(self.relays[home].up_at, kind::ARRIVE, slot, 0);
            }
            slot = m.next;
        }
    }

    /// Reads the mailbox of every copy of a chain before any is changed: the loads do not
    /// depend on each other, so the processor overlaps their cache misses.
    fn warm_mailboxes(&self, head: u32) {
        let mut slot = head;
        let mut sum = 0_u32;
        while slot != NO_NEXT {
            let m = &self.transit[slot as usize];
            sum = sum.wrapping_add(self.core.queued(MailboxId(m.recipient)).map_or(0, |q| q.0));
            slot = m.next;
        }
        std::hint::black_box(sum);
    }

    /// ARRIVE: a message held back by an outage of the recipient's relay arrives.
    pub(super) fn on_arrive(&mut self, slot: u32) {
        let m = self.transit[slot as usize];
        let home = self.clients.relay[m.recipient as usize] as usize;
        if self.relays[home].up {
            self.arrive(slot, home, self.now * 1000);
        } else {
            self.at(self.relays[home].up_at, kind::ARRIVE, slot, 0);
        }
    }

    /// The recipient's relay applies the policy core (RELAY-3 to RELAY-11) at `at_ns`.
    fn arrive(&mut self, slot: u32, relay: usize, at_ns: u64) {
        let m = self.unpark(slot);
        self.stats.in_transit -= 1;
        let mailbox = Clients::mailbox_id(m.recipient);
        match self
            .core
            .push(now_ms(at_ns / 1000), mailbox, m.flags, m.item)
        {
            Ok(_) => {
                if !m.flags.contains(Flags::NO_QUEUE) {
                    self.add_records(relay, 1);
                }
                // The core knows who is connected; asking it saves loading the client record.
                if self.core.is_online(mailbox).expect("mailbox made at setup") {
                    self.pump(relay, m.recipient, at_ns);
                }
            }
            Err(CoreError::RecipientOffline | CoreError::MailboxFull { .. }) => {}
            Err(other) => unreachable!("mailboxes exist and the arena has room: {other}"),
        }
    }

    /// Transmits everything the core hands out for `c`, each frame sealed on the relay's CPU
    /// from `at_ns` on.
    pub(super) fn pump(&mut self, relay: usize, c: u32, at_ns: u64) {
        let mailbox = Clients::mailbox_id(c);
        let owd = u64::from(self.clients.all[c as usize].owd);
        let session = self.clients.all[c as usize].session;
        while let Some(d) = self
            .core
            .poll_send(now_ms(self.now), mailbox)
            .expect("mailbox made at setup")
        {
            let done = self
                .cpu(relay, at_ns, self.seal_cost(d.item.size()))
                .div_ceil(1000);
            let transit = Transit {
                item: d.item,
                recipient: c,
                flags: Flags::NONE,
                attempt: d.attempt,
                awaits_ack: d.awaits_ack,
                entry: d.id.to_bits(),
                next: NO_NEXT,
            };
            let slot = self.park(transit);
            self.at(done + owd, kind::DELIVER, slot, session);
        }
    }

    /// DELIVER: the recipient gets the message, acks it and may send a delivery receipt. The
    /// ack reaches the relay one one-way delay later; the relay's work on it is submitted now
    /// with that arrival time, which saves an event per message (MODEL.md, "Engine").
    pub(super) fn on_deliver(&mut self, slot: u32, session: u32) {
        let d = self.unpark(slot);
        let c = d.recipient;
        let client = self.clients.all[c as usize];
        if client.session != session {
            if !d.awaits_ack {
                self.stats.count.lost_in_flight += 1;
            }
            return;
        }
        let kind_ = d.item.kind();
        self.stats
            .received(kind_, d.attempt, d.item.sent_at, self.now);
        let owd = u64::from(client.owd);
        let relay = self.clients.relay[c as usize] as usize;
        if d.awaits_ack && self.relays[relay].up {
            // RELAY-9: the relay opens the ack and deletes the message.
            self.cpu(
                relay,
                (self.now + owd) * 1000,
                self.open_cost(ACK_FRAME_LEN),
            );
            match self
                .core
                .ack(Clients::mailbox_id(c), EntryId::from_bits(d.entry))
            {
                // Every acked message was stored (only typing indicators skip the store, and
                // they are never acked), so its deletion is a store record.
                Ok(_) => self.add_records(relay, 1),
                Err(_) => self.stats.count.stale_acks += 1,
            }
        }
        match kind_ {
            msg::GROUP_TEXT | msg::GROUP_FILE => self.maybe_sync_request(c, d.item.sender, owd),
            msg::SYNC_REQUEST => self.answer_sync_request(c, d.item.sender),
            _ => {}
        }
        if (kind_ == msg::TEXT || kind_ == msg::FILE) && self.scenario.traffic.delivery_receipts {
            let size = self.scenario.traffic.receipt_size;
            self.emit(c, d.item.sender, size, msg::RECEIPT, Flags::NONE, owd);
        }
    }
}

/// Group size: 3 plus a geometric number of further members, mean `mean`, at most `max`.
pub(super) fn group_size(rng: &mut crate::rng::Stream<'_>, mean: f64, max: u32) -> u32 {
    let extra_mean = mean - 3.0;
    if extra_mean <= 0.0 {
        return 3;
    }
    let p = 1.0 / (extra_mean + 1.0);
    let extra = (rng.open_uniform().ln() / (1.0 - p).ln()).floor();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped"
    )]
    let extra = extra.clamp(0.0, f64::from(max - 3)) as u32;
    3 + extra
}

/// Simulated µs to the core's millisecond timestamps.
pub(crate) fn now_ms(now_us: u64) -> Timestamp {
    Timestamp::from_millis(now_us / 1000)
}
