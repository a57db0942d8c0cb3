//! The forward-secret sessions of `send`, `receive` and the group commands
//! (spec/06-forward-secrecy.md, FS-41 to FS-45): the session file beside the identity key
//! file, each peer restored only when it is talked to, saved atomically and durably before
//! anything it caused is sent or acknowledged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::e2e::{GroupIdentity, Message, MessageId};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::session::{
    DhType, ENVELOPE_TYPE, Event, Output, PeerSessions, RejectCause, SESSION_ID_LEN, SessionError,
    SessionFile, SessionId, SessionStore as _, pb,
};
use saltrelay_protocol::time::Timestamp;

use saltrelay_relay::private_file;

use super::send::encode_at;
use crate::os_rng::os_rng;

/// FS-41: the session file of the key file `id`: `<id>.sessions`.
pub(crate) fn session_path(id: &Path) -> PathBuf {
    let mut name = id.as_os_str().to_owned();
    name.push(".sessions");
    PathBuf::from(name)
}

/// A message that arrived forward-secret (FS-44): how it was protected.
pub(crate) struct Protection {
    pub(crate) session_id: SessionId,
    pub(crate) dh_type: DhType,
    pub(crate) applied_version: u32,
    pub(crate) counter: u64,
}

impl Protection {
    /// The `fs` object of `receive --json` (FS-44).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "dh_type": self.dh_type.name().to_uppercase(),
            "version": version_name(self.applied_version),
            "session_id": self.session_id.to_hex(),
            "counter": self.counter,
        })
    }
}

/// `0x0102` as `1.2` (FS-4).
fn version_name(version: u32) -> String {
    format!("{}.{}", version >> 8, version & 0xff)
}

/// A message of ours the peer could not open (FS-27): reported as not delivered.
pub(crate) struct Rejected {
    pub(crate) message_id: MessageId,
    pub(crate) cause: RejectCause,
    pub(crate) group: Option<GroupIdentity>,
}

/// What one received envelope gave (FS-23, FS-35).
pub(crate) struct Opened {
    /// The envelope's own outcome; an error names the FS-39 code.
    pub(crate) result: Result<(), SessionError>,
    /// The decapsulated message, if it carried one (never for `0xfc`, FS-14).
    pub(crate) message: Option<(Message, Protection)>,
    /// Our messages the peer rejected.
    pub(crate) rejected: Vec<Rejected>,
    /// Outer messages to send back to the peer (Accept, Reject, Terminate, `0xfc`), in order.
    pub(crate) replies: Vec<Vec<u8>>,
}

/// The session file, loaded, and the peers restored from it so far.
pub(crate) struct Sessions {
    path: PathBuf,
    file: SessionFile,
    live: HashMap<Identity, PeerSessions>,
    /// FS-42: held while the file is in use, so two processes never advance one chain.
    _lock: std::fs::File,
}

/// FS-42: the exclusive lock `<id>.sessions.lock`, taken without waiting. A `flock` belongs
/// to the open file, so a killed process leaves no stale lock.
fn lock(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    #[cfg(unix)]
    if let Err(error) =
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
    {
        let error = std::io::Error::from(error);
        if error.kind() == std::io::ErrorKind::WouldBlock {
            anyhow::bail!(
                "{} is in use by another saltrelay process of this identity; run one at a time",
                path.display()
            );
        }
        return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()));
    }
    Ok(file)
}

impl Sessions {
    /// Loads `<id>.sessions`; an absent file is an empty one. A file others can read is refused
    /// as the key file is (ID-9, FS-41).
    ///
    /// # Errors
    /// The file is readable by others, unreadable, or not a session file (FS-41).
    pub(crate) fn load(id: &Path) -> anyhow::Result<Self> {
        let path = session_path(id);
        let lock = lock(&path)?;
        let file = match private_file::read(&path) {
            Ok(bytes) => SessionFile::decode(&bytes).with_context(|| {
                format!(
                    "{} is not a session file (move it away to start new sessions)",
                    path.display()
                )
            })?,
            Err(error) if error.is_not_found() => SessionFile::new(),
            Err(error) => return Err(error.into()),
        };
        Ok(Self {
            path,
            file,
            live: HashMap::new(),
            _lock: lock,
        })
    }

    /// The machine of `peer`, restored from the file on first use (no X25519 until then).
    fn machine(
        &mut self,
        keys: &IdentityKeys,
        peer: Identity,
        peer_key: &PublicKey,
    ) -> anyhow::Result<&mut PeerSessions> {
        if !self.live.contains_key(&peer) {
            let own_secret = SecretKey::from_bytes(*keys.secret_key().expose_secret());
            let machine = match self.file.sessions.load(&peer).expect("infallible") {
                Some(bytes) => {
                    PeerSessions::restore(keys.identity(), own_secret, peer, *peer_key, &bytes)
                        .with_context(|| {
                            format!("{}: the sessions with {peer}", self.path.display())
                        })?
                }
                None => PeerSessions::new(keys.identity(), own_secret, peer, *peer_key)?,
            };
            self.live.insert(peer, machine);
        }
        Ok(self.live.get_mut(&peer).expect("inserted above"))
    }

    /// FS-21 for one outgoing message: the outer messages to send to `to`, in order (an Init
    /// first when a session starts). Call [`Sessions::save`] before sending them (FS-42).
    ///
    /// # Errors
    /// The session machine's (FS-39) and the E2E encoder's.
    #[expect(clippy::too_many_arguments, reason = "the fields of one outer message")]
    pub(crate) fn seal(
        &mut self,
        keys: &IdentityKeys,
        to: Identity,
        their_key: &PublicKey,
        message_id: MessageId,
        message: &Message,
        flags: u8,
        created_at: Timestamp,
    ) -> anyhow::Result<Vec<Vec<u8>>> {
        let mut rng = os_rng()?;
        let machine = self.machine(keys, to, their_key)?;
        machine.send(created_at, &mut rng, message_id, message)?;
        let mut out = Vec::new();
        while let Some(output) = machine.poll_output() {
            let (id, inner, flags) = match output {
                // FS-20: a control envelope travels in its own message, fresh ID and nonce.
                Output::Control(envelope) => (MessageId::random(&mut rng), envelope, 0),
                Output::Encapsulated {
                    message_id,
                    envelope,
                } => (message_id, envelope, flags),
                Output::Plain { message_id } => {
                    out.push(encode_at(
                        keys,
                        to,
                        their_key,
                        message_id,
                        message.clone(),
                        flags,
                        created_at,
                    )?);
                    continue;
                }
                _ => continue,
            };
            let envelope = Message::Unknown {
                type_code: ENVELOPE_TYPE,
                body: inner,
            };
            out.push(encode_at(
                keys, to, their_key, id, envelope, flags, created_at,
            )?);
        }
        Ok(out)
    }

    /// Processes one received `0xa0` body from `from` (FS-23). Call [`Sessions::save`] before
    /// sending the replies or acknowledging the message (FS-42).
    ///
    /// # Errors
    /// Only the machine's restore and the encoding of replies; the envelope's own outcome is
    /// in [`Opened::result`].
    pub(crate) fn open(
        &mut self,
        keys: &IdentityKeys,
        from: Identity,
        from_key: &PublicKey,
        message_id: MessageId,
        body: &[u8],
        now: Timestamp,
    ) -> anyhow::Result<Opened> {
        let mut rng = os_rng()?;
        let machine = self.machine(keys, from, from_key)?;
        let result = machine.handle_envelope(now, &mut rng, message_id, body);
        let mut opened = Opened {
            result,
            message: None,
            rejected: Vec::new(),
            replies: Vec::new(),
        };
        let mut controls = Vec::new();
        while let Some(output) = machine.poll_output() {
            match output {
                Output::Control(envelope) => controls.push(envelope),
                Output::Event(Event::Received {
                    session_id,
                    dh_type,
                    counter,
                    applied_version,
                    message,
                    ..
                }) => {
                    opened.message = Some((
                        message,
                        Protection {
                            session_id,
                            dh_type,
                            applied_version,
                            counter,
                        },
                    ));
                }
                Output::Event(Event::MessageRejected {
                    message_id,
                    group_identity,
                    cause,
                    ..
                }) => opened.rejected.push(Rejected {
                    message_id,
                    cause,
                    group: group_identity,
                }),
                _ => {}
            }
        }
        for envelope in controls {
            let envelope = Message::Unknown {
                type_code: ENVELOPE_TYPE,
                body: envelope,
            };
            opened.replies.push(encode_at(
                keys,
                from,
                from_key,
                MessageId::random(&mut rng),
                envelope,
                0,
                now,
            )?);
        }
        Ok(opened)
    }

    /// FS-42: keeps a decapsulated message in the file, with the chain it advanced, until
    /// [`Sessions::delivered`]; a copy the relay delivers again after a crash is then shown from
    /// here instead of being taken for a duplicate. Saved by the next [`Sessions::save`].
    ///
    /// # Errors
    /// The message does not encode (it just decoded, so only an internal fault).
    pub(crate) fn hold(
        &mut self,
        sender: Identity,
        message_id: MessageId,
        message: &Message,
        protection: &Protection,
    ) -> anyhow::Result<()> {
        let mut inner = vec![message.type_code()];
        inner.extend(message.encode_body()?);
        self.file.undelivered.push(pb::Undelivered {
            sender: sender.as_str().to_owned(),
            message_id: message_id.as_u64(),
            inner,
            session_id: protection.session_id.0.to_vec(),
            dh_type: protection.dh_type.value(),
            applied_version: protection.applied_version,
            counter: protection.counter,
        });
        Ok(())
    }

    /// A held message of `sender` with this ID, if any (FS-42).
    pub(crate) fn held(
        &self,
        sender: Identity,
        message_id: MessageId,
    ) -> Option<(Message, Protection)> {
        let record = self
            .file
            .undelivered
            .iter()
            .find(|r| r.sender == sender.as_str() && r.message_id == message_id.as_u64())?;
        let (type_code, body) = record.inner.split_first()?;
        let message = Message::decode(*type_code, body).ok()?;
        let session_id: [u8; SESSION_ID_LEN] = record.session_id.as_slice().try_into().ok()?;
        let protection = Protection {
            session_id: SessionId(session_id),
            dh_type: if record.dh_type == 0 {
                DhType::TwoDh
            } else {
                DhType::FourDh
            },
            applied_version: record.applied_version,
            counter: record.counter,
        };
        Some((message, protection))
    }

    /// Forgets a held message once it was shown (FS-42). Saved by the next [`Sessions::save`].
    pub(crate) fn delivered(&mut self, sender: Identity, message_id: MessageId) {
        self.file
            .undelivered
            .retain(|r| !(r.sender == sender.as_str() && r.message_id == message_id.as_u64()));
    }

    /// Writes every peer's sessions to the file: a temporary file (mode 0600) flushed to
    /// stable storage, renamed over the file, then the folder flushed (FS-37, FS-42).
    ///
    /// # Errors
    /// Any I/O failure; the caller then sends and acknowledges nothing.
    pub(crate) fn save(&mut self) -> anyhow::Result<()> {
        for (peer, machine) in &self.live {
            if machine.checkpoint().is_empty() {
                self.file.sessions.remove(peer).expect("infallible");
            } else {
                self.file
                    .sessions
                    .store(peer, &machine.export())
                    .expect("infallible");
            }
        }
        private_file::replace(&self.path, &self.file.encode())?;
        Ok(())
    }
}
