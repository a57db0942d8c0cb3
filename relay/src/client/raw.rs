//! A client driven by hand over a raw socket (spec/04-transport.md), for conformance checks
//! and tests that misbehave on purpose: it can write any bytes, seal a frame and write it late,
//! twice or never (TR-2, TR-17), stop reading, and read what the relay sent until it closed
//! (TR-26). It is the one such client: `saltrelay interop relay-check` and the relay's own
//! tests both use it. Nothing here is a test-only power: it is the sans-IO client machine of
//! [`super::Client`] with the socket in the caller's hands.
//!
//! Driving steps:
//! 1. [`RawClient::login`] connects and runs the handshake to the login-ack (TR-14).
//! 2. [`RawClient::send`] a payload, or [`RawClient::seal`] one and [`RawClient::write_raw`]
//!    whatever bytes the check needs.
//! 3. [`RawClient::read_until`] a wanted payload, or [`RawClient::read_to_end`] to see how the
//!    relay closed.

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::time::Duration;

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, Payload, TransportError,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::runtime::clock::{Clock, instant_after};

/// Why a hand-driven connection could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RawClientError {
    /// The socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// The relay closed the stream before the login-ack (TR-14).
    #[error("the relay closed during the handshake")]
    ClosedDuringHandshake,
    /// The handshake failed (TR-3 to TR-14).
    #[error("handshake: {0}")]
    Handshake(TransportError),
    /// The machine refused to seal the payload (TR-16).
    #[error("send: {0}")]
    Send(TransportError),
    /// The connection ended before the wanted payload arrived.
    #[error("connection ended: {0}")]
    Ended(TransportError),
    /// Nothing wanted arrived, or the relay did not close, in time.
    #[error("nothing within {} s", .0.as_secs())]
    Timeout(Duration),
}

/// One hand-driven connection.
pub struct RawClient {
    stream: TcpStream,
    machine: ClientConnection,
    clock: Clock,
}

impl RawClient {
    /// Connects to `addr` and runs the handshake up to the login-ack, as `keys` and
    /// trusting `relay_key`.
    ///
    /// # Errors
    /// [`RawClientError`] when the socket or the handshake fails.
    pub async fn login(
        addr: impl ToSocketAddrs,
        relay_key: PublicKey,
        keys: &IdentityKeys,
    ) -> Result<Self, RawClientError> {
        let stream = TcpStream::connect(addr).await?;
        let clock = Clock::new();
        let keys = IdentityKeys::from_parts(
            keys.identity(),
            SecretKey::from_bytes(*keys.secret_key().expose_secret()),
        );
        let config = ClientConfig::new(keys, vec![relay_key]);
        let machine = ClientConnection::start(config, &mut crate::runtime::os_rng(), clock.now());
        let mut raw = Self {
            stream,
            machine,
            clock,
        };
        let mut buf = vec![0u8; 4096];
        while !raw.machine.is_established() {
            raw.flush().await?;
            let n = raw.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(RawClientError::ClosedDuringHandshake);
            }
            raw.machine
                .handle_bytes(raw.clock.now(), received(&buf, n))
                .map_err(RawClientError::Handshake)?;
        }
        raw.flush().await?;
        Ok(raw)
    }

    /// Writes what the machine has queued.
    async fn flush(&mut self) -> Result<(), RawClientError> {
        while let Some(output) = self.machine.poll_output() {
            if let ClientOutput::Send(bytes) = output {
                self.stream.write_all(&bytes).await?;
            }
        }
        Ok(())
    }

    /// Seals one well-formed frame under the next counter without writing it: the caller
    /// writes it late, twice or never (TR-2, TR-17).
    ///
    /// # Errors
    /// [`RawClientError::Send`] when the machine refuses the payload.
    pub fn seal(&mut self, payload: &Payload) -> Result<Vec<u8>, RawClientError> {
        self.machine
            .send(self.clock.now(), payload)
            .map_err(RawClientError::Send)?;
        let mut frame = Vec::new();
        while let Some(output) = self.machine.poll_output() {
            if let ClientOutput::Send(bytes) = output {
                frame.extend_from_slice(&bytes);
            }
        }
        Ok(frame)
    }

    /// Writes `bytes` as they are.
    ///
    /// # Errors
    /// [`RawClientError::Io`] when the socket fails.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), RawClientError> {
        Ok(self.stream.write_all(bytes).await?)
    }

    /// Seals and writes one well-formed frame.
    ///
    /// # Errors
    /// [`RawClientError`] when sealing or the socket fails.
    pub async fn send(&mut self, payload: &Payload) -> Result<(), RawClientError> {
        let frame = self.seal(payload)?;
        self.write_raw(&frame).await
    }

    /// Reads until `wanted` accepts a payload (returned), the connection ends, or `within`
    /// passes.
    ///
    /// # Errors
    /// [`RawClientError::Ended`] or [`RawClientError::Timeout`].
    pub async fn read_until(
        &mut self,
        within: Duration,
        wanted: impl Fn(&Payload) -> bool,
    ) -> Result<Payload, RawClientError> {
        let found = self
            .read(within, |payload| {
                if wanted(&payload) {
                    ControlFlow::Break(payload)
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await?;
        found.map_err(RawClientError::Ended)
    }

    /// Reads until the connection ends (at most `within`): every payload received, and the
    /// error the machine ended with (`closed_by_relay` with the relay's code, TR-26, normally).
    ///
    /// # Errors
    /// [`RawClientError::Timeout`] when the relay had not closed within `within`.
    pub async fn read_to_end(
        &mut self,
        within: Duration,
    ) -> Result<(Vec<Payload>, TransportError), RawClientError> {
        let mut payloads = Vec::new();
        let ended: Result<Infallible, TransportError> = self
            .read(within, |payload| {
                payloads.push(payload);
                ControlFlow::Continue(())
            })
            .await?;
        let Err(error) = ended;
        Ok((payloads, error))
    }

    /// The one frame reader: reads and feeds the machine, handing each received payload to
    /// `each`, until `each` breaks with a value (`Ok`) or the connection ends (`Err`, with
    /// the payloads of the last read handed over first).
    async fn read<T>(
        &mut self,
        within: Duration,
        mut each: impl FnMut(Payload) -> ControlFlow<T>,
    ) -> Result<Result<T, TransportError>, RawClientError> {
        let mut buf = vec![0u8; 64 * 1024];
        let deadline = instant_after(tokio::time::Instant::now(), within);
        loop {
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut buf))
                .await
                .map_err(|_| RawClientError::Timeout(within))?;
            let result = match read {
                Ok(0) | Err(_) => self.machine.handle_eof(),
                Ok(n) => self
                    .machine
                    .handle_bytes(self.clock.now(), received(&buf, n)),
            };
            while let Some(output) = self.machine.poll_output() {
                if let ClientOutput::Received(payload) = output
                    && let ControlFlow::Break(value) = each(payload)
                {
                    return Ok(Ok(value));
                }
            }
            if let Err(error) = result {
                return Ok(Err(error));
            }
        }
    }
}

/// The bytes a read of `n` put into `buf`.
fn received(buf: &[u8], n: usize) -> &[u8] {
    buf.get(..n)
        .expect("read returns at most the buffer's length")
}
