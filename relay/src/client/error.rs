//! Errors of the relay client (spec/04-transport.md, spec/05-relay.md).

use saltrelay_protocol::transport::TransportError;
use saltrelay_protocol::transport::payload::BlobStatus;

/// Why a client operation failed.
///
/// Split by cause: the network (`Io`), the transport machine (`Transport`, which includes the
/// relay's close-error as `closed_by_relay`), the relay's refusal of one request (`Refused`,
/// `Blob`), a request that got no answer in time (`Timeout`), and a connection that is gone
/// (`Disconnected`). Display text names no message contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A socket call failed (connect, read or write).
    #[error("network error during {op}: {message}")]
    Io {
        /// What the client was doing: `connect`, `read`, `write`.
        op: &'static str,
        /// The operating system's text.
        message: String,
    },
    /// The transport failed: a protocol error on either side, a timeout of the handshake or
    /// keep-alive, the end of the stream, or the relay's close-error (TR-26 to TR-30).
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The relay refused a message with an alert (RELAY-16): `mailbox_full`,
    /// `recipient_unknown`.
    #[error("the relay refused the message ({code}): {text}")]
    Refused {
        /// The code at the start of the alert text.
        code: String,
        /// The whole alert text.
        text: String,
    },
    /// A blob request failed with this status (TR-24, TR-25).
    #[error("blob request failed: {}", .0.name())]
    Blob(BlobStatus),
    /// A download ended with more or fewer bytes than announced (TR-25).
    #[error("blob download did not match its announced length")]
    BlobMismatch,
    /// No answer within the caller's time limit.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The connection's task has ended; the reason was reported earlier.
    #[error("the connection is closed")]
    Disconnected,
}

impl ClientError {
    /// The stable error code (CONV-7); for a close by the relay, `closed_by_relay`.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::Io { .. } => "io",
            Self::Transport(error) => error.code(),
            Self::Refused { .. } => "refused",
            Self::Blob(_) => "blob_failed",
            Self::BlobMismatch => "blob_mismatch",
            Self::Timeout(_) => "timeout",
            Self::Disconnected => "disconnected",
        }
    }

    /// The relay's close-error code (TR-26) when the relay closed the connection.
    #[must_use]
    pub fn close_reason(&self) -> Option<&str> {
        match self {
            Self::Transport(TransportError::ClosedByRelay { reason, .. }) => Some(reason.code()),
            _ => None,
        }
    }

    pub(crate) fn io(op: &'static str, error: &std::io::Error) -> Self {
        Self::Io {
            op,
            message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saltrelay_protocol::transport::CloseReason;

    #[test]
    fn close_reason_is_the_relays_code() {
        let error = ClientError::Transport(TransportError::ClosedByRelay {
            can_reconnect: true,
            reason: CloseReason::parse("rate_limited: too fast"),
        });
        assert_eq!(error.close_reason(), Some("rate_limited"));
        assert_eq!(error.code(), "closed_by_relay");
        assert_eq!(ClientError::Disconnected.close_reason(), None);
    }
}
