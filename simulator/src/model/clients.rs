//! Clients in flat arrays, churn, and the connection life cycle (MODEL.md, "Clients").

use saltrelay_relay::core::MailboxId;

use super::{Sim, kind};
use crate::rng::Stream;

/// Connection states (bits 0-1 of `state`).
pub(crate) const OFFLINE: u8 = 0;
pub(crate) const CONNECTING: u8 = 1;
pub(crate) const ONLINE: u8 = 2;
const CONN_MASK: u8 = 0b11;
/// Bit 2: the user wants to be online.
const WANT: u8 = 0b100;
/// Bits 4-7: failed attempts in a row (saturating at 15).
const ATTEMPT_SHIFT: u8 = 4;

/// One client's state: 20 bytes (the relay core adds 24 for its mailbox, whose id is the
/// client's index).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Client {
    /// Activity weight (mean 1); the send rate is this times the scenario's base rate.
    pub(crate) weight: f32,
    /// One-way delay to the relay, µs.
    pub(crate) owd: u32,
    /// Bumped whenever a connection ends or a new connection chain starts; events carry it.
    pub(crate) session: u32,
    /// Draw counter of the client's random stream.
    pub(crate) draws: u32,
    /// Connection state, wish to be online, failed attempts.
    pub(crate) state: u8,
}

/// All clients, in one flat array.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    pub(crate) all: Vec<Client>,
    /// Home relay of each client, apart from the records: 2 bytes each, so the whole array
    /// stays in cache when messages look up their recipient's relay.
    pub(crate) relay: Vec<u16>,
}

impl Clients {
    pub(crate) fn conn(&self, c: u32) -> u8 {
        self.all[c as usize].state & CONN_MASK
    }

    pub(crate) fn wants_online(&self, c: u32) -> bool {
        self.all[c as usize].state & WANT != 0
    }

    fn set_conn(&mut self, c: u32, conn: u8) {
        let s = &mut self.all[c as usize].state;
        *s = (*s & !CONN_MASK) | conn;
    }

    fn set_want(&mut self, c: u32, want: bool) {
        let s = &mut self.all[c as usize].state;
        *s = if want { *s | WANT } else { *s & !WANT };
    }

    fn attempts(&self, c: u32) -> u8 {
        self.all[c as usize].state >> ATTEMPT_SHIFT
    }

    fn set_attempts(&mut self, c: u32, n: u8) {
        let s = &mut self.all[c as usize].state;
        *s = (*s & 0x0f) | (n.min(15) << ATTEMPT_SHIFT);
    }

    /// The mailbox of client `c` in the cluster's policy core: its index.
    pub(crate) fn mailbox_id(c: u32) -> MailboxId {
        MailboxId(c)
    }
}

impl Sim<'_> {
    /// The random stream of client `c`.
    pub(crate) fn client_rng(&mut self, c: u32) -> Stream<'_> {
        Stream::new(
            self.scenario.seed,
            u64::from(c),
            &mut self.clients.all[c as usize].draws,
        )
    }

    /// TOGGLE: the user comes online or goes offline.
    pub(super) fn on_toggle(&mut self, c: u32, target: u32) {
        let want = match target {
            0 => false,
            1 => true,
            _ => !self.clients.wants_online(c),
        };
        if target == 2 {
            let next = if want {
                self.online_span(c)
            } else {
                self.offline_span(c)
            };
            self.at(self.now + next, kind::TOGGLE, c, 2);
        }
        if want == self.clients.wants_online(c) {
            return;
        }
        self.clients.set_want(c, want);
        if want {
            self.begin_connect(c, 0);
        } else {
            self.drop_connection(c);
        }
    }

    /// Starts a new connection chain after `delay` µs.
    pub(crate) fn begin_connect(&mut self, c: u32, delay: u64) {
        self.clients.all[c as usize].session = self.clients.all[c as usize].session.wrapping_add(1);
        self.clients.set_conn(c, CONNECTING);
        self.clients.set_attempts(c, 0);
        let session = self.clients.all[c as usize].session;
        if delay == 0 {
            self.on_connect(c, session);
        } else {
            self.at(self.now + delay, kind::CONNECT, c, session);
        }
    }

    /// Ends whatever connection the client has; events of the old session die.
    pub(crate) fn drop_connection(&mut self, c: u32) {
        if self.clients.conn(c) == ONLINE {
            let relay = self.clients.relay[c as usize] as usize;
            let mailbox = Clients::mailbox_id(c);
            self.core
                .disconnect(mailbox)
                .expect("mailbox made at setup");
            self.relays[relay].connected -= 1;
        }
        self.clients.all[c as usize].session = self.clients.all[c as usize].session.wrapping_add(1);
        self.clients.set_conn(c, OFFLINE);
    }

    /// CONNECT: TCP and client-hello go out; the login reaches the relay 1.5 RTT later.
    pub(super) fn on_connect(&mut self, c: u32, session: u32) {
        if self.clients.all[c as usize].session != session {
            return;
        }
        let relay = self.clients.relay[c as usize] as usize;
        if !self.relays[relay].up {
            self.retry_connect(c, session, 0);
            return;
        }
        let owd = u64::from(self.clients.all[c as usize].owd);
        self.at(self.now + 3 * owd, kind::LOGIN, c, session);
    }

    /// LOGIN: the relay runs the handshake; a login that waited past the timeout fails.
    pub(super) fn on_login(&mut self, c: u32, session: u32) {
        if self.clients.all[c as usize].session != session {
            return;
        }
        let relay = self.clients.relay[c as usize] as usize;
        if !self.relays[relay].up {
            self.retry_connect(c, session, 0);
            return;
        }
        let done_ns = self.cpu(relay, self.now * 1000, self.costs.relay_handshake_ns.value);
        let timeout = self.scenario.relays.handshake_timeout.micros();
        if done_ns / 1000 > self.now + timeout {
            self.stats.count.handshake_timeouts += 1;
            self.retry_connect(c, session, timeout);
            return;
        }
        self.stats.count.logins += 1;
        self.clients.set_conn(c, ONLINE);
        self.clients.set_attempts(c, 0);
        self.relays[relay].connected += 1;
        let mailbox = Clients::mailbox_id(c);
        self.core.connect(mailbox).expect("mailbox made at setup");
        self.pump(relay, c, done_ns);
        // RELAY-3: queue-send-complete after the queue has been transmitted once.
        let qsc_ns = self.cpu(relay, done_ns, self.seal_cost(QUEUE_SEND_COMPLETE_LEN));
        let owd = u64::from(self.clients.all[c as usize].owd);
        self.schedule_send(c, session, qsc_ns.div_ceil(1000) + owd, true);
    }

    /// Schedules the next connection attempt of a failed chain, with exponential backoff.
    fn retry_connect(&mut self, c: u32, session: u32, extra: u64) {
        let attempt = self.clients.attempts(c);
        self.clients.set_attempts(c, attempt.saturating_add(1));
        let reconnect = &self.scenario.reconnect;
        let cap = reconnect.max.micros();
        let backoff = reconnect
            .base
            .micros()
            .saturating_mul(1 << attempt.min(30))
            .min(cap);
        let jitter = reconnect.jitter;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let delay = if jitter {
            (self.client_rng(c).uniform() * backoff as f64) as u64
        } else {
            backoff
        };
        self.stats.count.reconnect_attempts += 1;
        self.at(self.now + extra + delay.max(1), kind::CONNECT, c, session);
    }

    /// Length of an online session, µs.
    pub(crate) fn online_span(&mut self, c: u32) -> u64 {
        let mean = self.scenario.churn.online_mean.as_secs_f64() * 1e6;
        to_micros(self.client_rng(c).exponential(mean))
    }

    /// Length of an offline spell starting now, µs: exponential, or for the diurnal model a
    /// non-homogeneous Poisson process sampled by thinning.
    pub(crate) fn offline_span(&mut self, c: u32) -> u64 {
        let churn = &self.scenario.churn;
        let mean = churn.offline_mean.as_secs_f64() * 1e6;
        if churn.model != "diurnal" {
            return to_micros(self.client_rng(c).exponential(mean));
        }
        let (amplitude, peak, now) = (
            churn.diurnal_amplitude,
            churn.diurnal_peak.as_secs_f64() * 1e6,
            self.now,
        );
        let peak_rate_mean = mean / (1.0 + amplitude);
        let day = 86_400e6;
        let mut rng = self.client_rng(c);
        let mut t = 0.0;
        loop {
            t += rng.exponential(peak_rate_mean);

            let phase = core::f64::consts::TAU * ((now as f64 + t - peak) / day);
            let accept = (1.0 + amplitude * phase.cos()) / (1.0 + amplitude);
            if rng.uniform() < accept {
                return to_micros(t);
            }
        }
    }
}

/// Frame length of queue-send-complete: length 2 + container 4 + tag 16.
const QUEUE_SEND_COMPLETE_LEN: u32 = 22;

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to a day-scale range"
)]
pub(crate) fn to_micros(x: f64) -> u64 {
    x.clamp(1.0, 1e16) as u64
}
