//! The receiving half of the session machine: Init, Accept, Reject, Terminate and
//! Encapsulated (spec/06-forward-secrecy.md, FS-23 to FS-34).

use rand_core::CryptoRng;

use super::envelope::{
    Content, DhType, Encapsulated, Envelope, RejectCause, SessionId, TerminateCause, V1_2,
    VersionRange,
};
use super::keys::{Chain, FourDh, ZERO_NONCE, root_2dh, roots_4dh};
use super::machine::PeerSessions;
use super::state::{EMPTY_TYPE, GROUP_TYPES, Session, State, covers, major, negotiate};
use super::{Event, Output, RemovedReason, SessionError};
use crate::crypto::{PublicKey, SecretKey};
use crate::e2e::{E2eError, GroupIdentity, Message, MessageId};
use crate::time::Timestamp;

/// What the checks of an incoming message found (FS-26, FS-32).
struct Checked {
    /// The normalised applied version.
    applied: u32,
    /// `(local-4dhv, remote-4dhv)` to commit for a 4DH message.
    pending: Option<(u32, u32)>,
}

impl PeerSessions {
    /// Processes one received `0xa0` body (FS-23); `message_id` is its outer message ID.
    ///
    /// # Errors
    /// Every FS-39 code a received envelope can cause; outputs queued before the error (a
    /// Reject, a Terminate) are still to be sent.
    pub fn handle_envelope(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        message_id: MessageId,
        bytes: &[u8],
    ) -> Result<(), SessionError> {
        let envelope = Envelope::decode(bytes)?;
        let id = envelope.session_id;
        match envelope.content {
            Content::Init {
                fssk,
                supported_version,
            } => self.handle_init(now, rng, id, &fssk, supported_version),
            Content::Accept {
                fssk,
                supported_version,
            } => self.handle_accept(id, &fssk, supported_version),
            Content::Reject {
                message_id: rejected,
                cause,
                group_identity,
            } => {
                // FS-27
                if let Some(index) = self.index(id) {
                    self.remove(index, RemovedReason::Rejected);
                }
                self.outputs
                    .push_back(Output::Event(Event::MessageRejected {
                        session_id: id,
                        message_id: rejected,
                        group_identity,
                        cause,
                    }));
                Ok(())
            }
            Content::Terminate { .. } => {
                // FS-28
                if let Some(index) = self.index(id) {
                    self.remove(index, RemovedReason::Terminated);
                }
                Ok(())
            }
            Content::Encapsulated(encapsulated) => {
                self.handle_encapsulated(now, message_id, id, &encapsulated)
            }
        }
    }

    /// FS-24.
    fn handle_init(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        id: SessionId,
        fssk: &PublicKey,
        range: VersionRange,
    ) -> Result<(), SessionError> {
        if self.index(id).is_some() {
            return Err(SessionError::InitForExistingSession);
        }
        let version = negotiate(range)?;
        let static_ephemeral = self.dh(&self.own_secret, fssk)?;
        // The peer key is checked before any session is removed.
        self.static_static()?;
        // FS-24 step 3, Decision (saltrelay): an Init means the peer holds no session with
        // us; keep only our own L20 sessions, which may carry messages sent in a race.
        while let Some(index) = self.sessions.iter().position(|s| s.state != State::L20) {
            self.remove(index, RemovedReason::Superseded);
        }
        let remote_2dh = root_2dh(self.peer, self.static_static()?, &static_ephemeral);
        let fssk_r = SecretKey::generate(rng);
        let ephemeral_static = self.dh(&fssk_r, &self.peer_public)?;
        let ephemeral_ephemeral = self.dh(&fssk_r, fssk)?;
        let (local, remote) = roots_4dh(
            &FourDh {
                static_static: self.static_static()?,
                initiator_ephemeral_static: &static_ephemeral,
                initiator_static_ephemeral: &ephemeral_static,
                ephemeral_ephemeral: &ephemeral_ephemeral,
            },
            self.own,
            self.peer,
        );
        let public = fssk_r.public_key();
        drop(fssk_r);
        self.outputs.push_back(Output::Event(Event::SessionCreated {
            session_id: id,
            state: State::R20,
        }));
        self.insert(Session {
            id,
            state: State::R24,
            local_fssk: None,
            version_range: Some(range),
            local_4dhv: Some(version),
            remote_4dhv: Some(version),
            local_2dh: None,
            remote_2dh: Some(Chain::from_root(remote_2dh)),
            local_4dh: Some(Chain::from_root(local)),
            remote_4dh: Some(Chain::from_root(remote)),
            updated: now,
        });
        self.control(
            id,
            Content::Accept {
                fssk: public,
                supported_version: VersionRange::SUPPORTED,
            },
        );
        self.outputs.push_back(Output::Event(Event::StateChanged {
            session_id: id,
            from: State::R20,
            to: State::R24,
        }));
        Ok(())
    }

    /// FS-25.
    fn handle_accept(
        &mut self,
        id: SessionId,
        fssk: &PublicKey,
        range: VersionRange,
    ) -> Result<(), SessionError> {
        let Some(index) = self.index(id) else {
            self.control(
                id,
                Content::Terminate {
                    cause: TerminateCause::UnknownSession,
                },
            );
            return Err(SessionError::UnknownSession);
        };
        let session = self
            .sessions
            .get(index)
            .ok_or(SessionError::UnknownSession)?;
        let Some(local_fssk) = session
            .local_fssk
            .as_ref()
            .filter(|_| session.state == State::L20)
        else {
            return Err(SessionError::UnexpectedAccept);
        };
        let version = negotiate(range)?;
        let ephemeral_static = self.dh(local_fssk, &self.peer_public)?;
        let static_ephemeral = self.dh(&self.own_secret, fssk)?;
        let ephemeral_ephemeral = self.dh(local_fssk, fssk)?;
        let (local, remote) = roots_4dh(
            &FourDh {
                static_static: self.static_static()?,
                initiator_ephemeral_static: &ephemeral_static,
                initiator_static_ephemeral: &static_ephemeral,
                ephemeral_ephemeral: &ephemeral_ephemeral,
            },
            self.own,
            self.peer,
        );
        let session = self
            .sessions
            .get_mut(index)
            .ok_or(SessionError::UnknownSession)?;
        // FS-25 step 3: the FSSK secret and the local 2DH chain are wiped by drop.
        session.local_fssk = None;
        session.local_2dh = None;
        session.version_range = None;
        session.local_4dhv = Some(version);
        session.remote_4dhv = Some(version);
        session.local_4dh = Some(Chain::from_root(local));
        session.remote_4dh = Some(Chain::from_root(remote));
        session.state = State::L44;
        self.outputs.push_back(Output::Event(Event::StateChanged {
            session_id: id,
            from: State::L20,
            to: State::L44,
        }));
        Ok(())
    }

    /// Removes the session and emits a Reject `STATE_MISMATCH` (FS-26).
    fn reject_state_mismatch(
        &mut self,
        index: usize,
        message_id: MessageId,
        group_identity: Option<GroupIdentity>,
        error: SessionError,
    ) -> SessionError {
        if let Some(session) = self.sessions.get(index) {
            let id = session.id;
            self.control(
                id,
                Content::Reject {
                    message_id,
                    cause: RejectCause::StateMismatch,
                    group_identity,
                },
            );
            self.remove(index, RemovedReason::StateMismatch);
        }
        error
    }

    /// FS-26 steps 3 to 5 and FS-32: the versions and DH type against the session's state.
    /// Returns the normalised applied version and the pending 4DH versions.
    fn check_incoming(session: &Session, e: &Encapsulated) -> Result<Checked, SessionError> {
        // FS-13
        let offered = if e.offered_version == 0 {
            super::V1_0
        } else {
            e.offered_version
        };
        let applied = if e.applied_version == 0 {
            offered
        } else {
            e.applied_version
        };
        if applied > offered {
            return Err(SessionError::VersionMismatch);
        }
        match e.dh_type {
            DhType::TwoDh => {
                if session.state != State::R24 {
                    return Err(SessionError::DhTypeMismatch);
                }
                let expected = session.version_range.map_or(super::V1_0, |r| r.min);
                if offered != expected || applied != expected {
                    return Err(SessionError::VersionMismatch);
                }
                Ok(Checked {
                    applied,
                    pending: None,
                })
            }
            DhType::FourDh => {
                if !matches!(session.state, State::R24 | State::L44 | State::R44) {
                    return Err(SessionError::DhTypeMismatch);
                }
                let local = session.local_4dhv.unwrap_or(super::V1_0);
                let remote = session.remote_4dhv.unwrap_or(super::V1_0);
                // FS-32: the downgrade check.
                if major(offered) != major(local)
                    || offered < local
                    || major(applied) != major(remote)
                    || applied < remote
                    || applied > V1_2
                {
                    return Err(SessionError::VersionMismatch);
                }
                Ok(Checked {
                    applied,
                    pending: Some((offered.min(V1_2), applied)),
                })
            }
        }
    }

    /// FS-26, FS-31, FS-32.
    fn handle_encapsulated(
        &mut self,
        now: Timestamp,
        message_id: MessageId,
        id: SessionId,
        e: &Encapsulated,
    ) -> Result<(), SessionError> {
        let group = e.group_identity;
        let Some(index) = self.index(id) else {
            self.control(
                id,
                Content::Reject {
                    message_id,
                    cause: RejectCause::UnknownSession,
                    group_identity: group,
                },
            );
            return Err(SessionError::UnknownSession);
        };
        let session = self
            .sessions
            .get(index)
            .ok_or(SessionError::UnknownSession)?;
        let checked = match Self::check_incoming(session, e) {
            Ok(checked) => checked,
            Err(error) => return Err(self.reject_state_mismatch(index, message_id, group, error)),
        };
        let chain = match e.dh_type {
            DhType::TwoDh => session.remote_2dh.as_ref(),
            DhType::FourDh => session.remote_4dh.as_ref(),
        };
        let Some(chain) = chain else {
            let error = SessionError::DhTypeMismatch;
            return Err(self.reject_state_mismatch(index, message_id, group, error));
        };
        let previous = chain.counter();
        // FS-31: tentative; counter errors leave the session as it was.
        let mut ratcheted = chain.ratcheted_to(e.counter)?;
        let Ok(inner) = ratcheted
            .message_key()
            .open(&ZERO_NONCE, &e.encrypted_inner)
        else {
            let error = SessionError::DecryptionFailed;
            return Err(self.reject_state_mismatch(index, message_id, group, error));
        };
        // FS-26 step 9: commit.
        ratcheted.advance();
        self.commit(index, now, e, ratcheted, previous, checked.pending)?;
        self.deliver(
            id,
            message_id,
            e.dh_type,
            e.counter,
            checked.applied,
            group,
            &inner,
        )
    }

    /// FS-26 step 9: replace the chain, apply versions, move R24 to R44, drop superseded
    /// sessions and answer a risen version with `0xfc` (FS-32).
    fn commit(
        &mut self,
        index: usize,
        now: Timestamp,
        e: &Encapsulated,
        ratcheted: Chain,
        previous: u64,
        pending: Option<(u32, u32)>,
    ) -> Result<(), SessionError> {
        let session = self
            .sessions
            .get_mut(index)
            .ok_or(SessionError::UnknownSession)?;
        let id = session.id;
        let mut local_rose = false;
        let mut changed = None;
        match e.dh_type {
            DhType::TwoDh => session.remote_2dh = Some(ratcheted),
            DhType::FourDh => {
                session.remote_4dh = Some(ratcheted);
                if let Some((local, remote)) = pending {
                    local_rose = session.local_4dhv.is_some_and(|v| local > v);
                    session.local_4dhv = Some(local);
                    session.remote_4dhv = Some(remote);
                }
                if session.state == State::R24 {
                    // FS-18: the remote 2DH chain is no longer needed.
                    session.remote_2dh = None;
                    session.version_range = None;
                    session.state = State::R44;
                    changed = Some((State::R24, State::R44));
                }
            }
        }
        let skipped = e.counter.saturating_sub(previous);
        if skipped > 0 {
            self.outputs
                .push_back(Output::Event(Event::MessagesSkipped {
                    session_id: id,
                    count: skipped,
                }));
        }
        if let Some((from, to)) = changed {
            self.outputs.push_back(Output::Event(Event::StateChanged {
                session_id: id,
                from,
                to,
            }));
        }
        if e.dh_type == DhType::FourDh {
            if local_rose {
                let envelope = self.seal(index, now, EMPTY_TYPE, &[], None)?;
                self.outputs.push_back(Output::Control(envelope));
            }
            self.drop_superseded(id);
        }
        Ok(())
    }

    /// FS-26 step 9: a 4DH message in the sending session removes every other session.
    fn drop_superseded(&mut self, id: SessionId) {
        let best = self
            .sessions
            .iter()
            .find(|s| s.state.is_bidirectional())
            .map(|s| s.id);
        if best == Some(id) {
            while let Some(index) = self.sessions.iter().position(|s| s.id != id) {
                self.remove(index, RemovedReason::Superseded);
            }
        }
    }

    /// FS-26 step 8: decode the inner container and check FS-5 and FS-16.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site; each argument is reported"
    )]
    fn deliver(
        &mut self,
        session_id: SessionId,
        message_id: MessageId,
        dh_type: DhType,
        counter: u64,
        applied: u32,
        group: Option<GroupIdentity>,
        inner: &[u8],
    ) -> Result<(), SessionError> {
        let [type_code, body @ ..] = inner else {
            return Err(SessionError::InvalidInner(E2eError::ContainerTooShort {
                len: 0,
            }));
        };
        if !covers(applied, *type_code) {
            return Err(SessionError::InnerTypeNotAllowed {
                type_code: *type_code,
                version: applied,
            });
        }
        let message = Message::decode(*type_code, body).map_err(SessionError::InvalidInner)?;
        let expected_group = Self::group_of(&message, self.peer, self.own);
        let is_group = GROUP_TYPES.contains(type_code);
        if expected_group != group || (is_group && group.is_none()) {
            return Err(SessionError::GroupIdentityMismatch);
        }
        if *type_code != EMPTY_TYPE {
            self.outputs.push_back(Output::Event(Event::Received {
                session_id,
                message_id,
                dh_type,
                counter,
                applied_version: applied,
                message,
            }));
        }
        Ok(())
    }
}
