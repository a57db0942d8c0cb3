//! Errors of the relay server, and the one function that maps a connection's failure to the
//! close-error it sends (TR-26, RELAY-21).

use std::path::{Path, PathBuf};

use saltrelay_protocol::transport::{CloseError, TransportError};

use crate::store::StoreError;

/// Why the relay could not start or had to stop.
///
/// Split by cause: a data directory in use by another relay (`Locked`), a data directory
/// that is not usable (`DataDir`, `KeyFile`, `Directory`, `Blobs`, `Store`), the network
/// (`Listen`). Display text names files and addresses, never identities.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Another process holds the data directory's lock (RELAY-25).
    #[error(
        "data directory {} is in use by another relay ({}); stop it first or choose another --data",
        dir.display(),
        holder.map_or_else(|| "PID unknown".to_owned(), |pid| format!("PID {pid}"))
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The PID the holder wrote into the lock file, if readable.
        holder: Option<u32>,
    },
    /// The data directory or its lock file cannot be used (RELAY-25, RELAY-26).
    #[error("data directory {}: {reason}", path.display())]
    DataDir {
        /// The directory or file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The relay key file cannot be read, written or trusted (RELAY-14).
    #[error("relay key file {}: {reason}", path.display())]
    KeyFile {
        /// The file or directory.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The key directory file cannot be read or written (RELAY-15).
    #[error("key directory {}: {reason}", path.display())]
    Directory {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The blob directory cannot be used (RELAY-19).
    #[error("blob directory {}: {reason}", path.display())]
    Blobs {
        /// The directory.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The message store failed (spec/05-relay-storage.md).
    #[error("message store: {0}")]
    Store(#[from] StoreError),
    /// Another key is bound to the identity, on this node or another (TR-15, CLU-12).
    #[error("identity is bound to another key")]
    IdentityTaken,
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// The operating system's text.
        reason: String,
    },
}

impl ServerError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Locked { .. } => "data_dir_locked",
            Self::DataDir { .. } => "data_dir",
            Self::KeyFile { .. } => "key_file",
            Self::Directory { .. } => "directory",
            Self::Blobs { .. } => "blobs",
            Self::Store(error) => error.code(),
            Self::IdentityTaken => "identity_taken",
            Self::Listen { .. } => "listen",
        }
    }

    pub(crate) fn data_dir(path: &Path, op: &str, error: &std::io::Error) -> Self {
        Self::DataDir {
            path: path.to_owned(),
            reason: format!("{op}: {error}"),
        }
    }

    pub(crate) fn key_file(path: &Path, op: &str, error: &std::io::Error) -> Self {
        Self::KeyFile {
            path: path.to_owned(),
            reason: format!("{op}: {error}"),
        }
    }

    pub(crate) fn directory(path: &Path, op: &str, error: &std::io::Error) -> Self {
        Self::Directory {
            path: path.to_owned(),
            reason: format!("{op}: {error}"),
        }
    }

    pub(crate) fn blobs(path: &Path, op: &str, error: &std::io::Error) -> Self {
        Self::Blobs {
            path: path.to_owned(),
            reason: format!("{op}: {error}"),
        }
    }
}

/// Why the relay ended one connection.
///
/// Split by cause: the transport's own failures (malformed frames, authentication, timeouts,
/// the client's end of stream, a refused login), the relay's limits on a misbehaving client
/// (`RateLimited`, `SlowReader`), a message that breaks the relay's rules (`SenderMismatch`,
/// `MalformedMessage`), and the relay's own state (`StorageFull`, `Unavailable`, `Replaced`,
/// `ShuttingDown`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The transport machine failed (TR-26 to TR-30); it already queued its close-error.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The client sent frames faster than the per-connection rate limit (RELAY-20).
    #[error("rate limit exceeded")]
    RateLimited,
    /// The client did not read what the relay sent within the slow-reader timeout (RELAY-20).
    #[error("client stopped reading")]
    SlowReader,
    /// An outgoing message names another sender than the logged-in identity (RELAY-16).
    #[error("message sender differs from the logged-in identity")]
    SenderMismatch,
    /// An outgoing message's header does not parse (RELAY-16, E2E-23).
    #[error("malformed message header")]
    MalformedMessage,
    /// A newer login of the same identity replaced this connection (TR-15).
    #[error("replaced by a newer login")]
    Replaced,
    /// The relay's storage has no space for the connection's message (RELAY-28, STORE-15):
    /// retry later.
    #[error("relay storage full")]
    StorageFull,
    /// The relay cannot serve the connection: its store failed or its limits are reached.
    #[error("relay unavailable")]
    Unavailable,
    /// The relay is shutting down (RELAY-23).
    #[error("relay shutting down")]
    ShuttingDown,
}

impl ConnectionError {
    /// The stable code (CONV-7): the transport's code, or the relay's.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transport(error) => error.code(),
            Self::RateLimited => "rate_limited",
            Self::SlowReader => "slow_reader",
            Self::SenderMismatch => "sender_mismatch",
            Self::MalformedMessage => "malformed_message",
            Self::Replaced => "replaced",
            Self::StorageFull => "storage_full",
            Self::Unavailable | Self::ShuttingDown => "unavailable",
        }
    }
}

/// RELAY-21: the close-error the relay sends for each way a connection ends, or `None` when
/// it sends none (the transport's silent cases: failures before the login box opened, the
/// client's own end of stream). Transport failures use the transport's table (TR-26); the
/// relay's own codes follow the same `code: sentence` form.
#[must_use]
pub fn close_error(error: &ConnectionError) -> Option<CloseError> {
    let (can_reconnect, sentence) = match error {
        ConnectionError::Transport(error) => return error.close_error(),
        ConnectionError::Replaced => return TransportError::Replaced.close_error(),
        ConnectionError::Unavailable => return TransportError::Unavailable.close_error(),
        ConnectionError::RateLimited => (true, "the connection sent faster than the rate limit"),
        ConnectionError::SlowReader => (true, "the connection did not read what the relay sent"),
        ConnectionError::SenderMismatch => (
            false,
            "a message names another sender than the logged-in identity",
        ),
        ConnectionError::MalformedMessage => (false, "a message header is malformed"),
        ConnectionError::StorageFull => (
            true,
            "the relay's storage is full; the message was not accepted, try again later",
        ),
        ConnectionError::ShuttingDown => (true, "the relay is shutting down; try again later"),
    };
    Some(CloseError {
        can_reconnect,
        message: format!("{}: {sentence}", error.code()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use saltrelay_protocol::transport::CloseReason;

    #[test]
    fn every_relay_close_text_starts_with_its_code() {
        let errors = [
            ConnectionError::RateLimited,
            ConnectionError::SlowReader,
            ConnectionError::SenderMismatch,
            ConnectionError::MalformedMessage,
            ConnectionError::StorageFull,
            ConnectionError::Replaced,
            ConnectionError::Unavailable,
            ConnectionError::ShuttingDown,
            ConnectionError::Transport(TransportError::FrameTooLarge { len: 9000 }),
        ];
        for error in &errors {
            let close = close_error(error).expect("a close-error");
            assert_eq!(CloseReason::parse(&close.message).code(), error.code());
        }
        assert!(
            close_error(&ConnectionError::Transport(
                TransportError::ConnectionClosed
            ))
            .is_none()
        );
    }
}
