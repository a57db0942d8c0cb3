//! The client–relay transport (spec/04-transport.md, TR-1): Threema's Chat Server Protocol
//! handshake and frames, plus our key-directory and blob extensions, as sans-IO machines.
//!
//! [`ClientConnection`] and [`RelayConnection`] take bytes, time and randomness and return
//! bytes and events; they never touch a socket or a clock. Both follow the same driving loop:
//!
//! ```text
//! start ─> poll_output* ─> { handle_bytes | handle_timeout | handle_eof | send } ─> poll_output* ─> ...
//! ```
//!
//! Every wrong input has one defined outcome: a [`TransportError`] with a stable code, the
//! machine in its terminal `Failed` state, and, on the relay once the login box opened, a
//! close-error frame queued for the client (TR-26, TR-30).

mod client;
mod connection;
mod error;
pub mod extensions;
pub mod frame;
pub mod handshake;
pub mod payload;
mod relay;
mod session;

pub use client::{ClientConfig, ClientConnection, ClientOutput, DEFAULT_ECHO_TIMEOUT_MS};
pub use error::{CloseError, CloseReason, TransportError};
pub use extensions::LoginExtensions;
pub use handshake::LoginAck;
pub use payload::{Payload, Role};
pub use relay::{CloseCause, KeyRequest, LoginRequest, RelayConfig, RelayConnection, RelayOutput};

/// Default handshake deadline: 20 s from `start` (TR-27).
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 20_000;
/// Default idle timeout: 300 s (TR-21, TR-28).
pub const DEFAULT_IDLE_TIMEOUT_SECS: u16 = 300;
