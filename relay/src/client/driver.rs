//! The tokio side of a client connection: a thin loop that feeds the sans-IO
//! [`ClientConnection`] with socket bytes, time and commands, and writes what it returns
//! (STYLE: sans-IO machines driven by a thin async loop).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rand_core::CryptoRng;
use saltrelay_protocol::e2e::MessageFlags;
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::transport::handshake::{LOGIN_ACK_LEN, SERVER_HELLO_LEN};
use saltrelay_protocol::transport::payload::MessageAck;
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, CloseReason, LoginAck, Payload, TransportError,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};

use super::requests::{Command, Reply};
use super::transfers::Transfers;
use super::{ClientError, ClientEvent, ClientOptions, IncomingMessage, message_header};
use crate::runtime::clock::{Clock, sleep_until_opt};
use crate::runtime::trace::{Splitter, Tracer, describe};

const READ_BUFFER_LEN: usize = 16 * 1024;
/// Above this many unwritten bytes the driver stops taking commands and reading.
const WRITE_HIGH_WATER: usize = 256 * 1024;
/// Upload chunks are queued only while fewer bytes than this wait to be written.
const WRITE_LOW_WATER: usize = 64 * 1024;

/// The first half of the data of a sync's echo-request (CLIENT-2).
const SYNC_TAG: &[u8; 8] = b"sr-sync\0";

/// Where the outputs being drained came from, for the trace.
#[derive(Clone, Copy)]
enum Origin<'a> {
    Payload(&'a Payload),
    Input,
    Timer,
}

pub(crate) struct Driver {
    machine: ClientConnection,
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    clock: Clock,
    tracer: Tracer,
    splitter: Option<Splitter>,
    handshake_sends: u8,
    wbuf: Vec<u8>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<ClientEvent>,
    overflow: VecDeque<ClientEvent>,
    established: Option<oneshot::Sender<Result<LoginAck, ClientError>>>,
    acks: HashMap<(Identity, u64), VecDeque<Reply<Option<MessageAck>>>>,
    /// Open echo round trips by their data (CLIENT-2), oldest first.
    syncs: VecDeque<(Vec<u8>, Reply<()>)>,
    sync_sequence: u64,
    transfers: Transfers,
    closing: Option<oneshot::Sender<()>>,
    /// Set when the received payloads of one input need describing for the trace.
    received: Vec<String>,
}

impl Driver {
    pub(crate) fn start(
        stream: TcpStream,
        keys: IdentityKeys,
        options: &ClientOptions,
        rng: &mut impl CryptoRng,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<ClientEvent>,
        established: oneshot::Sender<Result<LoginAck, ClientError>>,
    ) -> Self {
        let clock = Clock::new();
        let identity = keys.identity();
        let mut config = ClientConfig::new(keys, options.relay_keys.clone());
        config.handshake_timeout_ms = options.handshake_timeout_ms;
        config.idle_timeout_secs = options.idle_timeout_secs;
        let machine = ClientConnection::start(config, rng, clock.now());
        let (reader, writer) = stream.into_split();
        let tracer = if options.trace {
            Tracer::new(format!("client {identity}"))
        } else {
            Tracer::off()
        };
        let splitter = options
            .trace
            .then(|| Splitter::new(&[SERVER_HELLO_LEN, LOGIN_ACK_LEN]));
        let mut driver = Self {
            machine,
            reader,
            writer,
            clock,
            tracer,
            splitter,
            handshake_sends: 0,
            wbuf: Vec::new(),
            commands,
            events,
            overflow: VecDeque::new(),
            established: Some(established),
            acks: HashMap::new(),
            syncs: VecDeque::new(),
            sync_sequence: 0,
            transfers: Transfers::default(),
            closing: None,
            received: Vec::new(),
        };
        driver.drain(Origin::Input);
        driver
    }

    /// Runs until the connection ends; leaves the reason in `outcome` for the application.
    pub(crate) async fn run(mut self, outcome: Arc<Mutex<Option<ClientError>>>) {
        let error = self.run_loop().await;
        let reported = error.clone().unwrap_or(ClientError::Disconnected);
        if let Some(established) = self.established.take() {
            let _ = established.send(Err(reported.clone()));
        }
        for (_, replies) in self.acks.drain() {
            for reply in replies {
                let _ = reply.send(Err(reported.clone()));
            }
        }
        self.transfers.fail_all(&reported);
        for (_, reply) in self.syncs.drain(..) {
            let _ = reply.send(Err(reported.clone()));
        }
        if let Some(error) = error {
            self.tracer.note(&format!("connection ended: {error}"));
            *outcome.lock().expect("no panic while holding the outcome") = Some(error);
        }
        while let Some(event) = self.overflow.pop_front() {
            if self.events.send(event).await.is_err() {
                break;
            }
        }
        if let Some(closed) = self.closing.take() {
            let _ = closed.send(());
        }
    }

    /// The loop; `None` when the application closed the connection.
    async fn run_loop(&mut self) -> Option<ClientError> {
        let mut rbuf = vec![0u8; READ_BUFFER_LEN];
        loop {
            if let Some(error) = self.machine.error() {
                return Some(ClientError::Transport(error.clone()));
            }
            if self.closing.is_some() && self.wbuf.is_empty() {
                let _ = self.writer.shutdown().await;
                return None;
            }
            self.pump_uploads();
            let can_read = self.overflow.is_empty() && self.wbuf.len() < WRITE_HIGH_WATER;
            let can_command = self.machine.is_established()
                && self.closing.is_none()
                && self.wbuf.len() < WRITE_HIGH_WATER;
            let deadline = self.machine.poll_timeout();
            tokio::select! {
                biased;
                written = self.writer.write(&self.wbuf), if !self.wbuf.is_empty() => match written {
                    Ok(0) => return Some(ClientError::io("write", &std::io::ErrorKind::WriteZero.into())),
                    Ok(n) => { self.wbuf.drain(..n); }
                    Err(error) => return Some(ClientError::io("write", &error)),
                },
                permit = self.events.clone().reserve_owned(), if !self.overflow.is_empty() => match permit {
                    Ok(permit) => { permit.send(self.overflow.pop_front().expect("overflow is not empty")); }
                    Err(_) => self.overflow.clear(),
                },
                read = self.reader.read(&mut rbuf), if can_read => match read {
                    Ok(0) => {
                        let _ = self.machine.handle_eof();
                        self.drain(Origin::Input);
                    }
                    Ok(n) => self.input(rbuf.get(..n).expect("read returns at most the buffer's length")),
                    Err(error) => return Some(ClientError::io("read", &error)),
                },
                command = self.commands.recv(), if can_command => match command {
                    Some(command) => self.command(command),
                    None => self.closing = Some(oneshot::channel().0),
                },
                () = sleep_until_opt(&self.clock, deadline) => {
                    let _ = self.machine.handle_timeout(self.clock.now());
                    self.drain(Origin::Timer);
                }
            }
        }
    }

    /// Socket bytes into the machine: all at once, or one unit at a time when tracing.
    fn input(&mut self, bytes: &[u8]) {
        let Some(mut splitter) = self.splitter.take() else {
            let _ = self.machine.handle_bytes(self.clock.now(), bytes);
            self.drain(Origin::Input);
            return;
        };
        splitter.push(bytes);
        loop {
            let in_handshake = splitter.in_handshake();
            let Some(unit) = splitter.next_unit() else {
                break;
            };
            let result = self.machine.handle_bytes(self.clock.now(), &unit);
            self.drain(Origin::Input);
            let mut what = std::mem::take(&mut self.received).join("; ");
            if let Err(error) = result {
                what = format!("{what} failed: {error}");
            }
            if in_handshake {
                self.tracer
                    .note(&format!("<- handshake message {} B {what}", unit.len()));
            } else {
                self.tracer.received(&unit, &what);
            }
            if self.machine.error().is_some() {
                break;
            }
        }
        self.splitter = Some(splitter);
    }

    /// Seals a payload and queues its frame.
    fn transmit(&mut self, payload: &Payload) -> Result<(), TransportError> {
        let result = self.machine.send(self.clock.now(), payload);
        self.drain(Origin::Payload(payload));
        result
    }

    /// Drains every machine output (STYLE: drain all outputs after every input).
    fn drain(&mut self, origin: Origin<'_>) {
        while let Some(output) = self.machine.poll_output() {
            match output {
                ClientOutput::Send(bytes) => {
                    let handshake = match self.handshake_sends {
                        0 => Some("client-hello"),
                        1 => Some("login"),
                        _ => None,
                    };
                    if let Some(name) = handshake {
                        self.handshake_sends = self.handshake_sends.saturating_add(1);
                        self.tracer
                            .note(&format!("-> handshake {name} {} B", bytes.len()));
                    } else {
                        let (payload, what) = match origin {
                            Origin::Payload(payload) => (Some(payload), ""),
                            Origin::Input => (
                                None,
                                "echo_response (0x80) or set_idle_timeout (0x30), by the transport",
                            ),
                            Origin::Timer => (None, "echo_request (0x00) keep-alive"),
                        };
                        self.tracer.sent(&bytes, payload, what);
                    }
                    self.wbuf.extend_from_slice(&bytes);
                }
                ClientOutput::Established(ack) => {
                    self.tracer.note(&format!(
                        "established: server time {} ms, {} queued",
                        ack.server_time.as_millis(),
                        ack.queued_count
                    ));
                    if let Some(established) = self.established.take() {
                        let _ = established.send(Ok(ack));
                    }
                }
                ClientOutput::Received(payload) => {
                    if self.tracer.enabled() {
                        self.received.push(describe(&payload));
                    }
                    self.on_payload(payload);
                }
            }
        }
    }

    fn on_payload(&mut self, payload: Payload) {
        let Some(payload) = self.transfers.on_payload(payload) else {
            return;
        };
        match payload {
            Payload::IncomingMessage(bytes) => match message_header(&bytes) {
                Some((sender, _, message_id, flags)) => {
                    self.emit(ClientEvent::Message(IncomingMessage {
                        sender,
                        message_id,
                        flags,
                        payload: bytes,
                    }));
                }
                None => self
                    .tracer
                    .note("incoming message with a malformed header, ignored"),
            },
            Payload::OutgoingMessageAck(ack) => {
                let key = (ack.identity, ack.message_id);
                if let Some(replies) = self.acks.get_mut(&key) {
                    if let Some(reply) = replies.pop_front() {
                        let _ = reply.send(Ok(Some(ack)));
                    }
                    if replies.is_empty() {
                        self.acks.remove(&key);
                    }
                }
            }
            Payload::EchoResponse(data) => {
                // CLIENT-2: the relay handled everything sent before this sync.
                if let Some(at) = self.syncs.iter().position(|(d, _)| *d == data)
                    && let Some((_, reply)) = self.syncs.remove(at)
                {
                    let _ = reply.send(Ok(()));
                }
            }
            Payload::QueueSendComplete => self.emit(ClientEvent::QueueSendComplete),
            Payload::Alert(text) => {
                // RELAY-16: a refusal names the message; fail its pending send.
                let refused = parse_refusal(&text).and_then(|key| {
                    let replies = self.acks.get_mut(&key)?;
                    let reply = replies.pop_front();
                    if replies.is_empty() {
                        self.acks.remove(&key);
                    }
                    reply
                });
                match refused {
                    Some(reply) => {
                        let code = CloseReason::parse(&text).code().to_owned();
                        let _ = reply.send(Err(ClientError::Refused { code, text }));
                    }
                    None => self.emit(ClientEvent::Alert(text)),
                }
            }
            _ => {}
        }
    }

    fn emit(&mut self, event: ClientEvent) {
        if !self.overflow.is_empty() {
            self.overflow.push_back(event);
            return;
        }
        if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
            self.overflow.push_back(event);
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Message { bytes, reply } => {
                let Some((_, receiver, message_id, flags)) = message_header(&bytes) else {
                    let _ = reply.send(Err(ClientError::Transport(
                        TransportError::MalformedPayload {
                            payload: "outgoing_message",
                            reason: "not an outer message (E2E-23)",
                        },
                    )));
                    return;
                };
                match self.transmit(&Payload::OutgoingMessage(bytes)) {
                    Err(error) => {
                        let _ = reply.send(Err(error.into()));
                    }
                    Ok(()) if MessageFlags(flags).contains(MessageFlags::NO_SERVER_ACK) => {
                        let _ = reply.send(Ok(None));
                    }
                    Ok(()) => self
                        .acks
                        .entry((receiver, message_id.as_u64()))
                        .or_default()
                        .push_back(reply),
                }
            }
            Command::Raw(payload) => {
                let _ = self.transmit(&payload);
            }
            Command::Lookup { identity, reply } => {
                let payload = self.transfers.lookup(identity, reply);
                let _ = self.transmit(&payload);
            }
            Command::Upload {
                data,
                persist,
                reply,
            } => self.transfers.upload(data, persist, reply),
            Command::Download { blob_id, reply } => {
                let payload = self.transfers.download(blob_id, reply);
                let _ = self.transmit(&payload);
            }
            Command::Sync(reply) => {
                // CLIENT-2: data never used before on this connection; 16 bytes, so it never
                // equals the transport's own 8-byte keep-alive sequence (TR-28).
                // 2^64 syncs on one connection never happen: wrapping is unreachable.
                self.sync_sequence = self.sync_sequence.wrapping_add(1);
                let mut data = SYNC_TAG.to_vec();
                data.extend_from_slice(&self.sync_sequence.to_le_bytes());
                match self.transmit(&Payload::EchoRequest(data.clone())) {
                    Ok(()) => self.syncs.push_back((data, reply)),
                    Err(error) => {
                        let _ = reply.send(Err(error.into()));
                    }
                }
            }
            Command::Close(done) => self.closing = Some(done),
        }
    }

    /// Queues upload frames while the write buffer is short (bounded memory, TR-24).
    fn pump_uploads(&mut self) {
        while self.machine.is_established()
            && self.wbuf.len() < WRITE_LOW_WATER
            && self.transfers.has_upload()
        {
            if let Some(payload) = self.transfers.next_upload_payload()
                && self.transmit(&payload).is_err()
            {
                return;
            }
        }
    }
}

/// Reads `code: message <16 hex> to <identity> ...` (RELAY-16) into the pending-ack key.
fn parse_refusal(text: &str) -> Option<(Identity, u64)> {
    let rest = text.split_once(": message ")?.1;
    let (id_hex, rest) = rest.split_at_checked(16)?;
    let bytes: [u8; 8] = hex_bytes(id_hex)?;
    let receiver = rest.strip_prefix(" to ")?.get(..8)?.parse().ok()?;
    Some((receiver, u64::from_le_bytes(bytes)))
}

fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if Some(text.len()) != N.checked_mul(2) {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_message_a_refusal_names() {
        let text = "mailbox_full: message 0102030405060708 to ECHOECHO was not accepted";
        let (receiver, id) = parse_refusal(text).expect("a refusal");
        assert_eq!(receiver.as_str(), "ECHOECHO");
        assert_eq!(id, u64::from_le_bytes([1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(parse_refusal("hello: there"), None);
    }
}
