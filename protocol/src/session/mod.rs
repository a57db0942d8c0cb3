//! Forward secrecy: Threema's Ibex sessions (spec/06-forward-secrecy.md), sans-IO.
//!
//! - [`keys`]: the 2DH and 4DH roots, chains, the ratchet and message keys (FS-6 to FS-12);
//! - [`Envelope`]: the `0xa0` body and its codec (FS-1 to FS-3);
//! - [`PeerSessions`]: every session with one peer, taking received envelopes and outgoing
//!   messages with `now` and an RNG, returning envelopes to send and [`Event`]s (FS-17 to
//!   FS-36);
//! - [`SessionStore`]: where a caller keeps each peer's sessions, in the FS-38 format;
//!   [`SessionFile`] keeps every peer's in one file (FS-41).
//!
//! Sending: `send(now, rng, message_id, &message)`, then drain `poll_output`: a `Control`
//! envelope (an Init, an `0xfc`) goes in its own `0xa0` message with a fresh message ID and a
//! random nonce; `Encapsulated` goes as the `0xa0` message with the caller's message ID and
//! nonce; `Plain` means: send the message as it is. Receiving: `handle_envelope` with the
//! outer message ID, then drain; `Event::Received` carries the decapsulated message.

mod envelope;
mod error;
mod file;
mod json;
pub mod keys;
mod machine;
mod receive;
mod state;
mod store;

pub use envelope::{
    Content, DhType, Encapsulated, Envelope, RejectCause, SESSION_ID_LEN, SessionId,
    TerminateCause, V1_0, V1_1, V1_2, VersionRange, pb,
};
pub use error::SessionError;
pub use file::{SESSION_FILE_FORMAT, SessionFile};
pub use json::{envelope_from_json, envelope_to_json};
pub use keys::SKIP_LIMIT;
pub use machine::{PeerSessions, REFRESH_AFTER_MS};
pub use state::{
    ChainCheckpoint, EMPTY_TYPE, ENVELOPE_TYPE, GROUP_TYPES, SessionCheckpoint, State, covers,
    negotiate,
};
pub use store::{InMemorySessionStore, STORE_FORMAT, SessionStore};

use crate::e2e::{GroupIdentity, Message, MessageId};

/// Why a session was removed (FS-35).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedReason {
    /// The peer rejected a message in it (FS-27).
    Rejected,
    /// The peer terminated it (FS-28).
    Terminated,
    /// A received message failed the state checks or did not open (FS-26).
    StateMismatch,
    /// Another session replaced it (FS-19, FS-24, FS-26).
    Superseded,
    /// We terminated it (FS-29).
    LocalTerminate,
}

impl RemovedReason {
    /// The name used in vectors (FS-35).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Terminated => "terminated",
            Self::StateMismatch => "state_mismatch",
            Self::Superseded => "superseded",
            Self::LocalTerminate => "local_terminate",
        }
    }
}

/// What the machine reports (FS-35).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A session was created in `state`.
    SessionCreated {
        /// The session.
        session_id: SessionId,
        /// Its first state.
        state: State,
    },
    /// A session changed state.
    StateChanged {
        /// The session.
        session_id: SessionId,
        /// Before.
        from: State,
        /// After.
        to: State,
    },
    /// A message was decapsulated (never for `0xfc`, FS-14).
    Received {
        /// The session.
        session_id: SessionId,
        /// Its outer message ID.
        message_id: MessageId,
        /// Its DH type.
        dh_type: DhType,
        /// Its counter.
        counter: u64,
        /// The version applied to it.
        applied_version: u32,
        /// The inner message.
        message: Message,
    },
    /// Messages were skipped to reach a counter (FS-31).
    MessagesSkipped {
        /// The session.
        session_id: SessionId,
        /// How many.
        count: u64,
    },
    /// The peer could not open one of our messages: report it as not delivered (FS-27).
    MessageRejected {
        /// The session it was sent in.
        session_id: SessionId,
        /// Our message ID.
        message_id: MessageId,
        /// Its group, if any.
        group_identity: Option<GroupIdentity>,
        /// Why.
        cause: RejectCause,
    },
    /// A session was removed.
    SessionRemoved {
        /// The session.
        session_id: SessionId,
        /// Why.
        reason: RemovedReason,
    },
}

/// One output of the machine, in order (FS-35).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// An envelope to send as its own `0xa0` message with a fresh ID and random nonce.
    Control(Vec<u8>),
    /// The caller's message, encapsulated: send as `0xa0` with its ID and nonce.
    Encapsulated {
        /// The caller's message ID.
        message_id: MessageId,
        /// The envelope.
        envelope: Vec<u8>,
    },
    /// The caller's message is not covered by the session's version: send it plain.
    Plain {
        /// The caller's message ID.
        message_id: MessageId,
    },
    /// Something to report.
    Event(Event),
}
