//! Errors of the relay policy core (spec/05-relay.md).

/// Why the core refused an input.
///
/// Split by cause: caller misuse (`UnknownMailbox`, `Capacity`), policy refusals the sender is
/// told about (`RecipientOffline`, `MailboxFull`), forbidden peer behaviour (`UnknownEntry`,
/// `NotInFlight`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// The mailbox id was never handed out by this core (caller misuse).
    #[error("unknown mailbox {0}")]
    UnknownMailbox(u32),
    /// A no-queue message for a recipient that is not connected (RELAY-5).
    #[error("recipient offline and the message must not be queued")]
    RecipientOffline,
    /// The recipient's mailbox is at its cap (RELAY-11).
    #[error("mailbox full: {limit} cap reached")]
    MailboxFull {
        /// Which cap: `messages` or `bytes`.
        limit: &'static str,
    },
    /// An ack named a message that is not (or no longer) queued for this recipient (RELAY-9).
    #[error("ack for an unknown message")]
    UnknownEntry,
    /// An ack named a queued message that was never transmitted in this connection (RELAY-9).
    #[error("ack for a message that was not sent")]
    NotInFlight,
    /// The arena of queued messages reached 2^32 - 1 entries (caller must shard).
    #[error("relay core capacity exhausted")]
    Capacity,
}

impl CoreError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownMailbox(_) => "unknown_mailbox",
            Self::RecipientOffline => "recipient_offline",
            Self::MailboxFull { .. } => "mailbox_full",
            Self::UnknownEntry => "unknown_entry",
            Self::NotInFlight => "not_in_flight",
            Self::Capacity => "capacity",
        }
    }
}
