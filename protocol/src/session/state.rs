//! One session: its state, chains and versions (spec/06-forward-secrecy.md, FS-4, FS-5,
//! FS-17, FS-36).

use super::SessionError;
use super::envelope::{SessionId, V1_0, V1_1, V1_2, VersionRange};
use super::keys::Chain;
use crate::crypto::SecretKey;
use crate::time::Timestamp;

/// A session state (FS-17).
///
/// ```text
///            send, no session                     Init received
///   (none) ------------------> L20      (none) ---------------> R20 --Accept sent--> R24
///                               |                                                     |
///                       Accept received                               4DH message opened
///                               v                                                     v
///                              L44                                                   R44
///   any state --(Reject, Terminate, state mismatch, local terminate)--> removed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// `local-out-2dh-in-none`: Init sent.
    L20,
    /// `local-out-4dh-in-4dh`: Accept received.
    L44,
    /// `remote-in-2dh-out-none`: Init received (transient, FS-17).
    R20,
    /// `remote-in-2dh-out-4dh`: Accept sent.
    R24,
    /// `remote-in-4dh-out-4dh`: 4DH message received.
    R44,
}

impl State {
    /// The spec's short name (`L20`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::L20 => "L20",
            Self::L44 => "L44",
            Self::R20 => "R20",
            Self::R24 => "R24",
            Self::R44 => "R44",
        }
    }

    /// The FS-38 stored value.
    pub(crate) fn stored(self) -> u32 {
        match self {
            Self::L20 => 1,
            Self::L44 => 2,
            Self::R20 => 3,
            Self::R24 => 4,
            Self::R44 => 5,
        }
    }

    /// Whether the state is bidirectional 4DH (FS-17).
    #[must_use]
    pub fn is_bidirectional(self) -> bool {
        matches!(self, Self::L44 | Self::R44)
    }
}

/// Group-container type codes (E2E-21, E2E-22): encapsulated only from V1.2 on (FS-5).
pub const GROUP_TYPES: &[u8] = &[
    0x41, 0x42, 0x46, 0x4a, 0x4b, 0x4c, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x81, 0x83, 0x93, 0x94,
];

/// The empty message type (FS-14).
pub const EMPTY_TYPE: u8 = 0xfc;

/// The envelope type, never encapsulated (FS-5).
pub const ENVELOPE_TYPE: u8 = 0xa0;

/// Whether `version` may encapsulate `type_code` (FS-5).
#[must_use]
pub fn covers(version: u32, type_code: u8) -> bool {
    match type_code {
        ENVELOPE_TYPE => false,
        EMPTY_TYPE => true,
        _ if version >= V1_2 => true,
        _ if version >= V1_1 => !GROUP_TYPES.contains(&type_code),
        _ => matches!(type_code, 0x01 | 0x10 | 0x15 | 0x16 | 0x17),
    }
}

/// The negotiated version of two ranges (FS-4).
///
/// # Errors
/// [`SessionError::UnsupportedVersion`] when the peer's range is inverted or does not overlap.
pub fn negotiate(peer: VersionRange) -> Result<u32, SessionError> {
    let own = VersionRange::SUPPORTED;
    if peer.min > peer.max || peer.min > own.max || own.min > peer.max {
        return Err(SessionError::UnsupportedVersion {
            min: peer.min,
            max: peer.max,
        });
    }
    Ok(own.max.min(peer.max))
}

/// The major version byte (FS-4).
#[must_use]
pub(crate) fn major(version: u32) -> u32 {
    version >> 8
}

/// One session with the peer (FS-17). Holds only what its state lists.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: SessionId,
    pub(crate) state: State,
    /// L20: our FSSK secret, wiped on Accept.
    pub(crate) local_fssk: Option<SecretKey>,
    /// L20: our range; R24: the peer's Init range.
    pub(crate) version_range: Option<VersionRange>,
    /// R24, L44, R44.
    pub(crate) local_4dhv: Option<u32>,
    /// R24, L44, R44.
    pub(crate) remote_4dhv: Option<u32>,
    pub(crate) local_2dh: Option<Chain>,
    pub(crate) remote_2dh: Option<Chain>,
    pub(crate) local_4dh: Option<Chain>,
    pub(crate) remote_4dh: Option<Chain>,
    /// Time of the last message sealed (FS-15).
    pub(crate) updated: Timestamp,
}

impl Session {
    /// The (offered, applied) versions of the next outgoing message (FS-13).
    pub(crate) fn outgoing_versions(&self) -> (u32, u32) {
        match self.state {
            State::L20 | State::R20 => {
                let min = self.version_range.map_or(V1_0, |r| r.min);
                (min, min)
            }
            _ => (V1_2, self.local_4dhv.unwrap_or(V1_0)),
        }
    }

    /// Checks that the chains present are exactly those FS-17 lists for the state (FS-38).
    pub(crate) fn check_shape(&self) -> Result<(), SessionError> {
        let shape = (
            self.local_2dh.is_some(),
            self.remote_2dh.is_some(),
            self.local_4dh.is_some(),
            self.remote_4dh.is_some(),
        );
        let ok = match self.state {
            State::L20 => {
                shape == (true, false, false, false)
                    && self.local_fssk.is_some()
                    && self.version_range.is_some()
            }
            State::R24 => {
                shape == (false, true, true, true)
                    && self.version_range.is_some()
                    && self.local_4dhv.is_some()
                    && self.remote_4dhv.is_some()
            }
            State::L44 | State::R44 => {
                shape == (false, false, true, true)
                    && self.local_4dhv.is_some()
                    && self.remote_4dhv.is_some()
            }
            State::R20 => false,
        };
        if ok {
            Ok(())
        } else {
            Err(SessionError::InvalidStoredSession {
                what: "chains do not match the state",
            })
        }
    }
}

/// A chain in a checkpoint: counter and FS-12 hash of the key (FS-36).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCheckpoint {
    /// The counter of the current key.
    pub counter: u64,
    /// `BLAKE2b-256(input = CK)` (FS-12).
    pub key_hash: [u8; 32],
}

/// A session as a checkpoint shows it (FS-36): no secret leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCheckpoint {
    /// The session ID.
    pub session_id: SessionId,
    /// The state.
    pub state: State,
    /// Local 2DH chain.
    pub local_2dh: Option<ChainCheckpoint>,
    /// Remote 2DH chain.
    pub remote_2dh: Option<ChainCheckpoint>,
    /// Local 4DH chain.
    pub local_4dh: Option<ChainCheckpoint>,
    /// Remote 4DH chain.
    pub remote_4dh: Option<ChainCheckpoint>,
    /// Outgoing 4DH version.
    pub local_4dhv: Option<u32>,
    /// Incoming 4DH version.
    pub remote_4dhv: Option<u32>,
}

fn chain_checkpoint(chain: Option<&Chain>) -> Option<ChainCheckpoint> {
    chain.map(|c| ChainCheckpoint {
        counter: c.counter(),
        key_hash: c.key().checkpoint(),
    })
}

impl Session {
    pub(crate) fn checkpoint(&self) -> SessionCheckpoint {
        SessionCheckpoint {
            session_id: self.id,
            state: self.state,
            local_2dh: chain_checkpoint(self.local_2dh.as_ref()),
            remote_2dh: chain_checkpoint(self.remote_2dh.as_ref()),
            local_4dh: chain_checkpoint(self.local_4dh.as_ref()),
            remote_4dh: chain_checkpoint(self.remote_4dh.as_ref()),
            local_4dhv: self.local_4dhv,
            remote_4dhv: self.remote_4dhv,
        }
    }
}
