//! The per-peer session machine: sending (FS-19 to FS-22) and receiving (FS-23 to FS-34).

use std::collections::VecDeque;
use std::sync::OnceLock;

use rand_core::CryptoRng;

use super::envelope::{
    Content, DhType, Encapsulated, Envelope, SessionId, TerminateCause, VersionRange,
};
use super::keys::{Chain, ZERO_NONCE, root_2dh};
use super::state::{EMPTY_TYPE, ENVELOPE_TYPE, Session, State, covers};
use super::{Event, Output, RemovedReason, SessionError};
use crate::crypto::{BoxKey, PublicKey, SecretKey};
use crate::e2e::{GroupControl, GroupIdentity, Message, MessageId};
use crate::identity::Identity;
use crate::time::Timestamp;

/// 24 hours in milliseconds (FS-15).
pub const REFRESH_AFTER_MS: u64 = 86_400_000;

/// All forward-secrecy sessions with one peer, as a sans-IO machine (FS-17 to FS-36).
///
/// Driving steps:
/// 1. Build it with [`PeerSessions::new`] or [`PeerSessions::restore`] (stored bytes, FS-38).
/// 2. Feed each `0xa0` message from the peer to [`PeerSessions::handle_envelope`] with its
///    outer message ID; hand each outgoing message to [`PeerSessions::send`].
/// 3. After every call, drain [`PeerSessions::poll_output`]: envelopes to send and events.
///    Outputs are queued even when the call returns an error (a Reject, for instance).
/// 4. Persist [`PeerSessions::export`] with a [`SessionStore`](super::SessionStore) after
///    every call that changed state, before acknowledging the message that caused it.
///
/// Unlike the transport machines, an error here never poisons the machine: errors belong
/// to one envelope or one session, and the spec says for each what happens to the session.
#[derive(Debug)]
pub struct PeerSessions {
    pub(super) own: Identity,
    pub(super) own_secret: SecretKey,
    pub(super) peer: Identity,
    pub(super) peer_public: PublicKey,
    /// `DH(CK, CK_peer)`, the same for every session. Derived on first use: restoring the
    /// sessions of many peers costs no X25519 until a peer is talked to. Wiped on drop.
    pub(super) static_static: OnceLock<BoxKey>,
    /// Sorted by session ID.
    pub(crate) sessions: Vec<Session>,
    pub(super) outputs: VecDeque<Output>,
}

impl PeerSessions {
    /// A machine with no sessions.
    ///
    /// # Errors
    /// [`SessionError::InvalidPeerKey`] when the peer's public key has small order (PRIM-5).
    pub fn new(
        own: Identity,
        own_secret: SecretKey,
        peer: Identity,
        peer_public: PublicKey,
    ) -> Result<Self, SessionError> {
        let static_static =
            BoxKey::derive(&own_secret, &peer_public).map_err(|_| SessionError::InvalidPeerKey)?;
        Ok(Self {
            own,
            own_secret,
            peer,
            peer_public,
            static_static: OnceLock::from(static_static),
            sessions: Vec::new(),
            outputs: VecDeque::new(),
        })
    }

    /// The next output, in order (FS-35).
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The sessions as checkpoints, in session-ID order (FS-36).
    #[must_use]
    pub fn checkpoint(&self) -> Vec<super::SessionCheckpoint> {
        self.sessions.iter().map(Session::checkpoint).collect()
    }

    /// The peer's identity.
    #[must_use]
    pub fn peer(&self) -> Identity {
        self.peer
    }

    /// A machine with no sessions whose `DH(CK, CK_peer)` is derived on first use
    /// ([`PeerSessions::restore`]): a small-order peer key fails there, not here.
    pub(super) fn new_lazy(
        own: Identity,
        own_secret: SecretKey,
        peer: Identity,
        peer_public: PublicKey,
    ) -> Self {
        Self {
            own,
            own_secret,
            peer,
            peer_public,
            static_static: OnceLock::new(),
            sessions: Vec::new(),
            outputs: VecDeque::new(),
        }
    }

    /// `DH(CK, CK_peer)`, derived once.
    ///
    /// # Errors
    /// [`SessionError::InvalidPeerKey`] when the peer's public key has small order (PRIM-5).
    pub(super) fn static_static(&self) -> Result<&BoxKey, SessionError> {
        if let Some(key) = self.static_static.get() {
            return Ok(key);
        }
        let key = BoxKey::derive(&self.own_secret, &self.peer_public)
            .map_err(|_| SessionError::InvalidPeerKey)?;
        Ok(self.static_static.get_or_init(|| key))
    }

    pub(super) fn dh(
        &self,
        secret: &SecretKey,
        public: &PublicKey,
    ) -> Result<BoxKey, SessionError> {
        let _ = self;
        BoxKey::derive(secret, public).map_err(|_| SessionError::InvalidFssk)
    }

    pub(super) fn index(&self, id: SessionId) -> Option<usize> {
        self.sessions.binary_search_by(|s| s.id.cmp(&id)).ok()
    }

    pub(super) fn insert(&mut self, session: Session) {
        let at = self
            .sessions
            .binary_search_by(|s| s.id.cmp(&session.id))
            .unwrap_or_else(|at| at);
        self.sessions.insert(at, session);
    }

    pub(super) fn remove(&mut self, index: usize, reason: RemovedReason) {
        if index < self.sessions.len() {
            let session = self.sessions.remove(index);
            self.outputs.push_back(Output::Event(Event::SessionRemoved {
                session_id: session.id,
                reason,
            }));
        }
    }

    pub(super) fn control(&mut self, session_id: SessionId, content: Content) {
        let envelope = Envelope {
            session_id,
            content,
        };
        self.outputs.push_back(Output::Control(envelope.encode()));
    }

    /// The sending session of FS-19, removing superseded bidirectional sessions.
    fn sending_session(&mut self) -> Option<usize> {
        let lowest =
            |sessions: &[Session], f: fn(State) -> bool| sessions.iter().position(|s| f(s.state));
        if let Some(best) = lowest(&self.sessions, State::is_bidirectional) {
            let best_id = self.sessions.get(best).map(|s| s.id);
            let others: Vec<SessionId> = self
                .sessions
                .iter()
                .filter(|s| s.state.is_bidirectional() && Some(s.id) != best_id)
                .map(|s| s.id)
                .collect();
            for id in others {
                if let Some(i) = self.index(id) {
                    self.remove(i, RemovedReason::Superseded);
                }
            }
            return best_id.and_then(|id| self.index(id));
        }
        lowest(&self.sessions, |s| s == State::R24)
            .or_else(|| lowest(&self.sessions, |s| s == State::L20))
    }

    /// Creates an L20 session and emits its Init (FS-20).
    fn create_l20(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
    ) -> Result<usize, SessionError> {
        let id = SessionId::random(rng);
        let fssk = SecretKey::generate(rng);
        let ephemeral_static = self.dh(&fssk, &self.peer_public)?;
        let root = root_2dh(self.own, self.static_static()?, &ephemeral_static);
        let public = fssk.public_key();
        self.insert(Session {
            id,
            state: State::L20,
            local_fssk: Some(fssk),
            version_range: Some(VersionRange::SUPPORTED),
            local_4dhv: None,
            remote_4dhv: None,
            local_2dh: Some(Chain::from_root(root)),
            remote_2dh: None,
            local_4dh: None,
            remote_4dh: None,
            updated: now,
        });
        self.control(
            id,
            Content::Init {
                fssk: public,
                supported_version: VersionRange::SUPPORTED,
            },
        );
        self.outputs.push_back(Output::Event(Event::SessionCreated {
            session_id: id,
            state: State::L20,
        }));
        self.index(id).ok_or(SessionError::UnknownSession)
    }

    /// Seals `type || body` in session `index` (FS-11) and returns the envelope.
    pub(super) fn seal(
        &mut self,
        index: usize,
        now: Timestamp,
        type_code: u8,
        body: &[u8],
        group_identity: Option<GroupIdentity>,
    ) -> Result<Vec<u8>, SessionError> {
        let session = self
            .sessions
            .get_mut(index)
            .ok_or(SessionError::UnknownSession)?;
        let (offered_version, applied_version) = session.outgoing_versions();
        let (chain, dh_type) = match session.state {
            State::L20 => (session.local_2dh.as_mut(), DhType::TwoDh),
            _ => (session.local_4dh.as_mut(), DhType::FourDh),
        };
        let chain = chain.ok_or(SessionError::DhTypeMismatch)?;
        let mut inner = Vec::with_capacity(body.len().saturating_add(1));
        inner.push(type_code);
        inner.extend_from_slice(body);
        let encrypted_inner = chain.message_key().seal(&ZERO_NONCE, &inner);
        let counter = chain.counter();
        // FS-9: the key just used is replaced and wiped.
        chain.advance();
        session.updated = now;
        Ok(Envelope {
            session_id: session.id,
            content: Content::Encapsulated(Encapsulated {
                dh_type,
                counter,
                offered_version,
                applied_version,
                group_identity,
                encrypted_inner,
            }),
        }
        .encode())
    }

    /// The group a message belongs to (FS-16): a creator container's creator is its sender,
    /// except for the sync request (0x51), which a member sends to the creator (E2E-22).
    pub(super) fn group_of(
        message: &Message,
        sender: Identity,
        receiver: Identity,
    ) -> Option<GroupIdentity> {
        match message {
            Message::Group(group) => Some(group.group),
            Message::GroupControl(control) => Some(GroupIdentity {
                creator: if matches!(control.content, GroupControl::SyncRequest) {
                    receiver
                } else {
                    sender
                },
                group_id: control.group_id,
            }),
            _ => None,
        }
    }

    /// FS encapsulation steps for an outgoing message (FS-21).
    ///
    /// # Errors
    /// [`SessionError::NotEncapsulable`] for type 0xa0, [`SessionError::InvalidMessage`] when
    /// the message does not encode.
    pub fn send(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        message_id: MessageId,
        message: &Message,
    ) -> Result<(), SessionError> {
        let type_code = message.type_code();
        if type_code == ENVELOPE_TYPE {
            return Err(SessionError::NotEncapsulable);
        }
        let body = message
            .encode_body()
            .map_err(SessionError::InvalidMessage)?;
        let (index, created) = match self.sending_session() {
            Some(index) => (index, false),
            None => (self.create_l20(now, rng)?, true),
        };
        let session = self
            .sessions
            .get(index)
            .ok_or(SessionError::UnknownSession)?;
        let applied = session.outgoing_versions().1;
        if covers(applied, type_code) {
            let group = Self::group_of(message, self.own, self.peer);
            let envelope = self.seal(index, now, type_code, &body, group)?;
            self.outputs.push_back(Output::Encapsulated {
                message_id,
                envelope,
            });
        } else {
            if !created && now.millis_since(session.updated) >= REFRESH_AFTER_MS {
                // FS-15: an empty message keeps the peer's session fresh.
                let envelope = self.seal(index, now, EMPTY_TYPE, &[], None)?;
                self.outputs.push_back(Output::Control(envelope));
            }
            self.outputs.push_back(Output::Plain { message_id });
        }
        Ok(())
    }

    /// Sends a Terminate for every session and removes them (FS-29).
    pub fn terminate(&mut self, cause: TerminateCause) {
        while let Some(session) = self.sessions.first() {
            let id = session.id;
            self.control(id, Content::Terminate { cause });
            self.remove(0, RemovedReason::LocalTerminate);
        }
    }
}
