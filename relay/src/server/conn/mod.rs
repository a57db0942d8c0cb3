//! One client connection: a thin tokio loop around the sans-IO
//! [`RelayConnection`](saltrelay_protocol::transport::RelayConnection) that feeds it socket
//! bytes, time and the relay's decisions, and writes what it returns (TR-12 to TR-30,
//! RELAY-13 to RELAY-24).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::transport::{
    CloseCause, Payload, RelayConnection, RelayOutput, TransportError,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

mod login;
mod payload;

use self::login::{PendingBind, wait_bind};
use super::blobs::{Download, Upload};
use super::conn_ref::{ConnEvent, ConnRef};
use super::deliver::{Deliveries, Fetched};
use super::limits::{Progress, RateLimit};
use super::{ConnectionError, Shared, close_error};
use crate::core::MailboxId;
use crate::runtime::clock::{Clock, sleep_until_opt};
use crate::runtime::trace::{Splitter, Tracer, describe};

const READ_BUFFER_LEN: usize = 16 * 1024;
/// Deliveries and download chunks are added only while less than this waits to be written.
const WRITE_LOW_WATER: usize = 64 * 1024;

pub(crate) struct Conn {
    id: u64,
    shared: Arc<Shared>,
    machine: RelayConnection,
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    clock: Clock,
    tracer: Tracer,
    splitter: Option<Splitter>,
    wbuf: Vec<u8>,
    events: mpsc::UnboundedReceiver<ConnEvent>,
    me: ConnRef,
    notify: Arc<Notify>,
    pending_bind: Option<PendingBind>,
    identity: Option<Identity>,
    mailbox: Option<MailboxId>,
    /// This connection's messages awaiting the relay's ack (RELAY-20).
    unacked: usize,
    /// The recipient's queue on its way out (RELAY-22).
    deliveries: Deliveries,
    upload: Option<Upload>,
    download: Option<Download>,
    /// Payloads received in the last input, handled after the machine's outputs are drained.
    inbox: VecDeque<Payload>,
    rate: RateLimit,
    /// Frames received in the last input (echo-requests included), for the rate limit.
    frames_in: u64,
    progress: Progress,
    ending: Option<ConnectionError>,
    draining: bool,
    rng: ChaCha20Rng,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, shared: Arc<Shared>, id: u64) -> Self {
        let clock = Clock::new();
        let mut rng = crate::runtime::os_rng();
        let machine = RelayConnection::start(shared.transport.clone(), &mut rng, clock.now());
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        let (event_tx, events) = mpsc::unbounded_channel();
        let notify = Arc::new(Notify::new());
        let me = ConnRef::new(id, event_tx, Arc::clone(&notify));
        let trace = shared.config.trace;
        let now = Instant::now();
        let rate = RateLimit::new(
            shared.config.rate_limit_per_sec,
            shared.config.rate_limit_burst,
            now,
        );
        let progress = Progress::new(shared.config.slow_reader_timeout_ms, now);
        Self {
            id,
            machine,
            reader,
            writer,
            clock,
            tracer: if trace {
                Tracer::new(format!("relay conn {id}"))
            } else {
                Tracer::off()
            },
            splitter: None,
            wbuf: Vec::new(),
            events,
            me,
            notify,
            pending_bind: None,
            identity: None,
            mailbox: None,
            unacked: 0,
            deliveries: Deliveries::default(),
            upload: None,
            download: None,
            inbox: VecDeque::new(),
            rate,
            frames_in: 0,
            progress,
            ending: None,
            draining: false,
            rng,
            shared,
        }
    }

    /// Serves the connection until it ends, then deregisters it.
    pub(crate) async fn run(mut self) {
        let outcome = self.run_loop().await;
        let code = outcome.code();
        self.shared.count_close(code);
        if self.shared.config.verbose {
            let who = self
                .identity
                .map_or_else(String::new, |id| format!(" ({id})"));
            eprintln!(
                "saltrelay relay: connection {}{who} ended: {outcome}",
                self.id
            );
        }
        self.tracer.note(&format!("connection ended: {outcome}"));
        if let Some(upload) = self.upload.take() {
            upload.abort().await;
        }
        if let Some(identity) = self.identity {
            self.shared.hub.logout(identity, self.id);
        }
        self.finish().await;
    }

    async fn run_loop(&mut self) -> ConnectionError {
        let mut rbuf = vec![0u8; READ_BUFFER_LEN];
        let mut shutdown = self.shared.shutdown.clone();
        let mut drain_deadline = None;
        self.drain_outputs();
        loop {
            if let Some(error) = self.machine.error() {
                return self
                    .ending
                    .clone()
                    .unwrap_or_else(|| ConnectionError::Transport(error.clone()));
            }
            if let Some(ending) = &self.ending {
                return ending.clone();
            }
            if self.draining
                && (self.unacked == 0 || drain_deadline.is_some_and(|d| Instant::now() >= d))
            {
                self.end(ConnectionError::ShuttingDown);
                continue;
            }
            self.handle_inbox().await;
            self.deliver();
            self.pump_download().await;
            if self.wbuf.is_empty() {
                self.progress.moved(Instant::now());
            }
            let config = &self.shared.config;
            let can_read = !self.draining
                && self.ending.is_none()
                && self.wbuf.len() < config.write_buffer_limit
                && self.unacked < config.max_unacked_per_connection;
            let wants_delivery = self.mailbox.is_some()
                && !self.deliveries.is_fetching()
                && self.wbuf.len() < WRITE_LOW_WATER;
            let deadline = self.machine.poll_timeout();
            let stall = (!self.wbuf.is_empty()).then(|| self.progress.deadline());
            tokio::select! {
                biased;
                written = self.writer.write(&self.wbuf), if !self.wbuf.is_empty() => match written {
                    Ok(n) if n > 0 => {
                        self.wbuf.drain(..n);
                        self.progress.moved(Instant::now());
                    }
                    _ => return ConnectionError::Transport(TransportError::ConnectionClosed),
                },
                event = self.events.recv() => {
                    if let Some(event) = event {
                        self.on_event(event);
                    }
                }
                decided = wait_bind(&mut self.pending_bind), if self.pending_bind.is_some() => {
                    let (request, _) = self.pending_bind.take().expect("a pending bind");
                    if matches!(decided, Err(crate::server::ServerError::IdentityTaken)) {
                        // TR-15: another node bound the identity first (CLU-12).
                        let _ = self.machine.refuse(request, CloseCause::IdentityTaken, self.clock.now());
                        self.drain_outputs();
                    } else {
                        self.decide(request, decided.is_ok());
                    }
                }
                fetched = self.deliveries.wait(), if self.deliveries.is_fetching() => {
                    self.on_fetched(fetched);
                }
                read = self.reader.read(&mut rbuf), if can_read => match read {
                    Ok(0) | Err(_) => {
                        let _ = self.machine.handle_eof();
                        self.drain_outputs();
                    }
                    Ok(n) => self.input(rbuf.get(..n).expect("read returns at most the buffer's length")),
                },
                () = self.notify.notified(), if wants_delivery => {}
                () = sleep_until_opt(&self.clock, deadline) => {
                    let _ = self.machine.handle_timeout(self.clock.now());
                    self.drain_outputs();
                }
                () = crate::runtime::clock::sleep_until_instant(drain_deadline), if self.draining => {
                    // RELAY-23: the grace time is over; end even with acks outstanding.
                    self.end(ConnectionError::ShuttingDown);
                }
                () = crate::runtime::clock::sleep_until_instant(stall) => {
                    // RELAY-20: the client has not read for the slow-reader timeout.
                    self.end(ConnectionError::SlowReader);
                }
                changed = shutdown.changed(), if !self.draining => {
                    let _ = changed;
                    // RELAY-23: stop reading; end once this connection's commits are acked.
                    self.draining = true;
                    drain_deadline = Some(crate::runtime::clock::instant_after(Instant::now(), Duration::from_millis(self.shared.config.shutdown_grace_ms / 2)));
                    if !self.machine.is_established() {
                        return ConnectionError::ShuttingDown;
                    }
                }
            }
        }
    }

    /// Socket bytes into the machine: all at once, or one frame at a time when tracing.
    fn input(&mut self, bytes: &[u8]) {
        let now = self.clock.now();
        let traced = self.tracer.enabled() && self.machine.is_established();
        if traced {
            let mut splitter = self.splitter.take().unwrap_or_default();
            splitter.push(bytes);
            while let Some(frame) = splitter.next_unit() {
                let before = self.inbox.len();
                let sent = self.wbuf.len();
                let result = self.machine.handle_bytes(self.clock.now(), &frame);
                self.drain_outputs();
                let mut what: Vec<String> = self.inbox.iter().skip(before).map(describe).collect();
                if what.is_empty() && self.wbuf.len() > sent {
                    what.push("echo_request (0x00), answered".into());
                }
                if let Err(error) = result {
                    what.push(format!("failed: {error}"));
                }
                self.tracer.received(&frame, &what.join("; "));
                if self.machine.error().is_some() {
                    break;
                }
            }
            self.splitter = Some(splitter);
        } else {
            let _ = self.machine.handle_bytes(now, bytes);
            self.drain_outputs();
        }
        self.check_rate();
    }

    /// RELAY-20: every frame counts against the rate limit except blob chunks and acks.
    fn check_rate(&mut self) {
        // Frames of one read: a saturated count still exceeds any bucket.
        let counted = self.frames_in.saturating_add(
            self.inbox
                .iter()
                // CLIENT-2: acks are charged when handled, and only if they name nothing.
                .filter(|p| {
                    !matches!(
                        p,
                        Payload::BlobUploadChunk(_) | Payload::IncomingMessageAck(_)
                    )
                })
                .count() as u64,
        );
        self.frames_in = 0;
        if counted > 0 && !self.rate.take(counted, Instant::now()) {
            self.inbox.clear();
            self.end(ConnectionError::RateLimited);
        }
    }

    /// Drains every machine output (STYLE: drain all outputs after every input).
    fn drain_outputs(&mut self) {
        let established = self.machine.is_established();
        while let Some(output) = self.machine.poll_output() {
            match output {
                RelayOutput::Send(bytes) => {
                    if established {
                        // Frames the machine sends by itself on input: echo-responses.
                        self.frames_in = self.frames_in.saturating_add(1);
                        self.tracer.sent(
                            &bytes,
                            None,
                            "echo_response (0x80) or close_error (0xe0), by the transport",
                        );
                    } else {
                        self.tracer
                            .note(&format!("-> handshake message {} B", bytes.len()));
                    }
                    self.wbuf.extend_from_slice(&bytes);
                }
                RelayOutput::KeyRequest(request) => {
                    let key = self.shared.directory.lookup(&request.identity());
                    self.tracer.note(&format!(
                        "login of {} without key: directory has {}",
                        request.identity(),
                        if key.is_some() { "a key" } else { "none" }
                    ));
                    let _ = self.machine.provide_key(request, key, self.clock.now());
                }
                RelayOutput::LoginRequest(request) => self.on_login(request),
                RelayOutput::Received(payload) => self.inbox.push_back(payload),
            }
        }
    }

    /// Takes the next batch from the recipient's mailbox while the socket keeps up.
    fn deliver(&mut self) {
        let (Some(identity), Some(mailbox)) = (self.identity, self.mailbox) else {
            return;
        };
        if self.ending.is_some() || self.wbuf.len() >= WRITE_LOW_WATER {
            return;
        }
        let room = WRITE_LOW_WATER.saturating_sub(self.wbuf.len());
        let now = self.clock.now();
        for payload in self
            .deliveries
            .next(&self.shared, now, (identity, mailbox), room)
        {
            self.transmit(&payload);
        }
    }

    /// The store answered a fetch: send the batch, or end if the store failed.
    fn on_fetched(&mut self, fetched: Fetched) {
        let Some(mailbox) = self.mailbox else {
            return;
        };
        match self.deliveries.fetched(&self.shared, mailbox, fetched) {
            Ok(payloads) => {
                for payload in payloads {
                    self.transmit(&payload);
                }
            }
            Err(_) => self.end(ConnectionError::Unavailable),
        }
    }

    /// Seals and queues one payload of ours, traced.
    fn transmit(&mut self, payload: &Payload) {
        if self.machine.send(self.clock.now(), payload).is_ok() {
            while let Some(output) = self.machine.poll_output() {
                if let RelayOutput::Send(bytes) = output {
                    self.tracer.sent(&bytes, Some(payload), "");
                    self.wbuf.extend_from_slice(&bytes);
                }
            }
        }
    }

    fn on_event(&mut self, event: ConnEvent) {
        match event {
            ConnEvent::SenderAck(ack) => {
                self.unacked = self.unacked.saturating_sub(1);
                self.transmit(&Payload::OutgoingMessageAck(ack));
            }
            ConnEvent::Close(error) => self.end(error),
        }
    }

    /// Ends the connection with the close-error of RELAY-21, once.
    fn end(&mut self, error: ConnectionError) {
        if self.ending.is_some() || self.machine.error().is_some() {
            return;
        }
        let now = self.clock.now();
        match &error {
            ConnectionError::Replaced => {
                let _ = self.machine.close(CloseCause::Replaced, now);
            }
            ConnectionError::Unavailable | ConnectionError::ShuttingDown => {
                let _ = self.machine.close(CloseCause::Unavailable, now);
            }
            ConnectionError::Transport(_) => {}
            other => {
                if let Some(close) = close_error(other) {
                    self.transmit(&Payload::CloseError {
                        can_reconnect: close.can_reconnect,
                        message: close.message,
                    });
                }
            }
        }
        while let Some(output) = self.machine.poll_output() {
            if let RelayOutput::Send(bytes) = output {
                self.tracer.sent(&bytes, None, "close_error (0xe0)");
                self.wbuf.extend_from_slice(&bytes);
            }
        }
        self.ending = Some(error);
    }

    /// Writes what is left (the close-error last) within the slow-reader timeout, closes
    /// the sending side, and reads until the client closes too, so the kernel does not
    /// reset the connection and drop the close-error.
    async fn finish(&mut self) {
        let grace = Duration::from_millis(
            self.shared
                .config
                .slow_reader_timeout_ms
                .clamp(1_000, 5_000),
        );
        let _ = tokio::time::timeout(grace, self.writer.write_all(&self.wbuf)).await;
        self.wbuf.clear();
        let _ = self.writer.shutdown().await;
        let mut sink = [0u8; 4096];
        let _ = tokio::time::timeout(grace, async {
            while matches!(self.reader.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}
