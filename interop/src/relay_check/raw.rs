//! A client driven by hand over a raw socket, for the checks that misbehave on purpose: it
//! writes any bytes and reads what the relay sent until it closes (TR-26).

use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, Payload, TransportError,
};
use saltrelay_relay::runtime::clock::Clock;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One hand-driven connection.
pub(super) struct RawClient {
    pub(super) stream: TcpStream,
    machine: ClientConnection,
    clock: Clock,
}

impl RawClient {
    /// Connects and runs the handshake up to the login-ack.
    pub(super) async fn login(
        addr: &str,
        relay_key: PublicKey,
        keys: &IdentityKeys,
    ) -> Result<Self, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let clock = Clock::new();
        let keys = IdentityKeys::from_parts(
            keys.identity(),
            SecretKey::from_bytes(*keys.secret_key().expose_secret()),
        );
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| format!("randomness: {e}"))?;
        let config = ClientConfig::new(keys, vec![relay_key]);
        let machine =
            ClientConnection::start(config, &mut ChaCha20Rng::from_seed(seed), clock.now());
        let mut raw = Self {
            stream,
            machine,
            clock,
        };
        let mut buf = vec![0u8; 4096];
        while !raw.machine.is_established() {
            raw.flush().await?;
            let n = raw
                .stream
                .read(&mut buf)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the relay closed during the handshake".into());
            }
            raw.machine
                .handle_bytes(raw.clock.now(), &buf[..n])
                .map_err(|e| format!("handshake: {e}"))?;
        }
        raw.flush().await?;
        Ok(raw)
    }

    async fn flush(&mut self) -> Result<(), String> {
        while let Some(output) = self.machine.poll_output() {
            if let ClientOutput::Send(bytes) = output {
                self.stream
                    .write_all(&bytes)
                    .await
                    .map_err(|e| format!("write: {e}"))?;
            }
        }
        Ok(())
    }

    /// Sends one well-formed frame.
    pub(super) async fn send(&mut self, payload: &Payload) -> Result<(), String> {
        self.machine
            .send(self.clock.now(), payload)
            .map_err(|e| format!("send: {e}"))?;
        self.flush().await
    }

    /// Reads until `wanted` accepts a payload (returned), the relay closes, or `within` passes.
    pub(super) async fn read_until(
        &mut self,
        within: Duration,
        wanted: impl Fn(&Payload) -> bool,
    ) -> Result<Payload, String> {
        let mut buf = vec![0u8; 64 * 1024];
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut buf))
                .await
                .map_err(|_| format!("nothing within {} s", within.as_secs()))?;
            let result = match read {
                Ok(0) | Err(_) => self.machine.handle_eof(),
                Ok(n) => self.machine.handle_bytes(self.clock.now(), &buf[..n]),
            };
            while let Some(output) = self.machine.poll_output() {
                if let ClientOutput::Received(payload) = output
                    && wanted(&payload)
                {
                    return Ok(payload);
                }
            }
            result.map_err(|e| format!("connection ended: {e}"))?;
        }
    }

    /// Reads until the relay closes (at most `within`); the relay's close-error code (TR-26),
    /// or what ended the connection otherwise.
    pub(super) async fn close_code(&mut self, within: Duration) -> String {
        let mut buf = vec![0u8; 64 * 1024];
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let Ok(read) = tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await
            else {
                return format!("(still open after {} s)", within.as_secs());
            };
            let result = match read {
                Ok(0) | Err(_) => self.machine.handle_eof(),
                Ok(n) => self.machine.handle_bytes(self.clock.now(), &buf[..n]),
            };
            while self.machine.poll_output().is_some() {}
            match result {
                Ok(()) => {}
                Err(TransportError::ClosedByRelay { reason, .. }) => {
                    return reason.code().to_owned();
                }
                Err(other) => return format!("(not a close-error: {other})"),
            }
        }
    }
}
