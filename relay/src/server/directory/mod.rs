//! The key directory: identity → public key, bound at the first login that proves the key
//! and kept durably (TR-15, RELAY-15).
//!
//! One file, `directory.log`: a 16-byte header, then 44-byte records `identity 8 || key 32 ||
//! CRC-32C u32-le of the first 40`. Records are only appended; a torn last record (a crash
//! mid-write) is cut off at start. A writer thread appends new bindings in groups with one
//! `fdatasync` per group; a login is accepted only once its binding is durable.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use saltrelay_protocol::crypto::{KEY_LEN, PublicKey};
use saltrelay_protocol::identity::{IDENTITY_LEN, Identity};
use tokio::sync::oneshot;

use super::ServerError;

mod check;

pub use check::{DirectoryCheck, check};

/// File name of the directory in the data directory.
pub const DIRECTORY_FILE_NAME: &str = "directory.log";
/// The file's first 16 bytes: magic and format version 1.
pub const DIRECTORY_MAGIC: &[u8; 16] = b"saltrelay-dir\0\x01\0";
/// Length of one record.
pub const RECORD_LEN: usize = IDENTITY_LEN + KEY_LEN + 4;

/// The outcome of [`Directory::bind`].
#[derive(Debug)]
pub enum Binding {
    /// The identity is bound to this key already: accept.
    Bound,
    /// The identity is bound to another key: refuse with `identity_taken`.
    Taken,
    /// The binding is new; accept once this reports it durable.
    New(oneshot::Receiver<Result<(), ServerError>>),
}

struct Request {
    identity: Identity,
    record: [u8; RECORD_LEN],
    done: oneshot::Sender<Result<(), ServerError>>,
}

/// The directory, shared by every connection. Lookups and binds are one atomic step per
/// identity (TR-15).
#[derive(Debug)]
pub struct Directory {
    keys: Arc<RwLock<HashMap<Identity, PublicKey>>>,
    writer: Mutex<Option<mpsc::Sender<Request>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
}

impl Directory {
    /// Opens (or creates) the directory file in `dir` and starts its writer thread.
    ///
    /// # Errors
    /// [`ServerError::Directory`] if the file cannot be read or written, or has no magic.
    pub fn open(dir: &Path) -> Result<Self, ServerError> {
        let path = dir.join(DIRECTORY_FILE_NAME);
        let io = |op: &str| {
            let path = path.clone();
            let op = op.to_owned();
            move |e: std::io::Error| ServerError::directory(&path, &op, &e)
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io("open"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("read"))?;
        if bytes.len() < DIRECTORY_MAGIC.len() {
            // New file, or a crash while writing its header.
            file.set_len(0).map_err(io("truncate"))?;
            file.write_all(DIRECTORY_MAGIC).map_err(io("write"))?;
            file.sync_all().map_err(io("sync"))?;
            super::sync_dir(dir).map_err(io("sync directory"))?;
            bytes = DIRECTORY_MAGIC.to_vec();
        }
        if !bytes.starts_with(DIRECTORY_MAGIC) {
            return Err(ServerError::Directory {
                path,
                reason: "not a saltrelay key directory".into(),
            });
        }
        let scan = parse(bytes.get(DIRECTORY_MAGIC.len()..).unwrap_or_default());
        if !scan.damaged.is_empty() {
            // RELAY-15: a binding is never dropped silently; the operator decides.
            return Err(ServerError::Directory {
                reason: format!(
                    "{} damaged records (at byte offsets {}) among {} intact bindings; the \
                     relay will not start and drop bindings: run `saltrelay relay check --data \
                     {} --repair` to keep the intact ones",
                    scan.damaged.len(),
                    offsets_text(&scan.damaged),
                    scan.keys.len(),
                    dir.display()
                ),
                path,
            });
        }
        // Offsets into `bytes`, which is in memory: no sum reaches usize::MAX.
        let valid_len = DIRECTORY_MAGIC.len().saturating_add(scan.valid_len) as u64;
        if valid_len < bytes.len() as u64 {
            // RELAY-15: a write never acknowledged (its login was not accepted); said anyway.
            eprintln!(
                "saltrelay relay: key directory {}: cut off a torn tail of {} bytes after \
                 {} bindings",
                path.display(),
                (bytes.len() as u64).saturating_sub(valid_len),
                scan.keys.len()
            );
            file.set_len(valid_len)
                .map_err(io("truncate torn record"))?;
            file.sync_all().map_err(io("sync"))?;
        }
        let keys = scan.keys;
        let keys = Arc::new(RwLock::new(keys));
        let (sender, receiver) = mpsc::channel();
        let thread_keys = Arc::clone(&keys);
        let thread_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("key-directory".into())
            .spawn(move || write_loop(file, &receiver, &thread_keys, &thread_path))
            .map_err(io("start writer"))?;
        Ok(Self {
            keys,
            writer: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
            path,
        })
    }

    /// The key bound to `identity`, if any (TR-23).
    #[must_use]
    pub fn lookup(&self, identity: &Identity) -> Option<PublicKey> {
        self.keys
            .read()
            .expect("no panic under the directory lock")
            .get(identity)
            .copied()
    }

    /// Number of bound identities.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys
            .read()
            .expect("no panic under the directory lock")
            .len()
    }

    /// Whether no identity is bound.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies the binding rules of TR-15 for a login whose vouch proved `key`: first come,
    /// first served. A new binding is visible to lookups at once and written durably; if the
    /// write fails, it is withdrawn.
    pub fn bind(&self, identity: Identity, key: PublicKey) -> Binding {
        let mut keys = self
            .keys
            .write()
            .expect("no panic under the directory lock");
        match keys.get(&identity) {
            Some(bound) if bound.ct_eq(&key) => return Binding::Bound,
            Some(_) => return Binding::Taken,
            None => {}
        }
        let (done, receiver) = oneshot::channel();
        let writer = self.writer.lock().expect("no panic under the writer lock");
        let Some(writer) = writer.as_ref() else {
            let _ = done.send(Err(closed(&self.path)));
            return Binding::New(receiver);
        };
        keys.insert(identity, key);
        let request = Request {
            identity,
            record: encode(identity, &key),
            done,
        };
        if let Err(mpsc::SendError(request)) = writer.send(request) {
            keys.remove(&identity);
            let _ = request.done.send(Err(closed(&self.path)));
        }
        Binding::New(receiver)
    }

    /// Stops the writer after it wrote every binding requested so far.
    pub fn shutdown(&self) {
        self.writer
            .lock()
            .expect("no panic under the writer lock")
            .take();
        if let Some(thread) = self.thread.lock().expect("no panic").take() {
            let _ = thread.join();
        }
    }
}

fn closed(path: &Path) -> ServerError {
    ServerError::Directory {
        path: path.to_owned(),
        reason: "the directory writer has stopped".into(),
    }
}

/// One record (RELAY-15).
fn encode(identity: Identity, key: &PublicKey) -> [u8; RECORD_LEN] {
    let mut record = [0u8; RECORD_LEN];
    record[..IDENTITY_LEN].copy_from_slice(identity.as_bytes());
    record[IDENTITY_LEN..IDENTITY_LEN + KEY_LEN].copy_from_slice(key.as_bytes());
    let crc = crc32c::crc32c(&record[..IDENTITY_LEN + KEY_LEN]);
    record[IDENTITY_LEN + KEY_LEN..].copy_from_slice(&crc.to_le_bytes());
    record
}

/// What the records of a directory file hold (RELAY-15).
#[derive(Debug, Default)]
struct Scan {
    /// Every intact binding; the first of an identity counts (TR-15).
    keys: HashMap<Identity, PublicKey>,
    /// The intact records, in file order, for a repair.
    intact: Vec<[u8; RECORD_LEN]>,
    /// File offsets of complete records that are damaged.
    damaged: Vec<u64>,
    /// Length (after the header) up to the end of the last intact record; what follows is
    /// a torn tail: a partial record or zeros, the remains of a write that never completed.
    valid_len: usize,
}

/// Reads every record. A complete record that is neither intact nor zero, or a zero record
/// before an intact one, is damage; after the last intact record, zeros and a partial record
/// are the torn tail of a write that was never acknowledged (RELAY-15).
fn parse(bytes: &[u8]) -> Scan {
    let mut scan = Scan::default();
    let mut zeros = Vec::new();
    // Offsets into `bytes`, which is in memory: no product or sum reaches usize::MAX.
    for (i, record) in bytes.chunks_exact(RECORD_LEN).enumerate() {
        let offset = DIRECTORY_MAGIC
            .len()
            .saturating_add(i.saturating_mul(RECORD_LEN)) as u64;
        let (body, crc) = record.split_at(IDENTITY_LEN + KEY_LEN);
        let intact = crc32c::crc32c(body).to_le_bytes() == crc;
        let (identity, key) = body.split_at(IDENTITY_LEN);
        let identity = Identity::from_bytes(identity).ok();
        let key = PublicKey::from_slice(key).ok();
        match (intact, identity, key) {
            (true, Some(identity), Some(key)) => {
                // TR-15: the first binding of an identity is the one that counts.
                scan.keys.entry(identity).or_insert(key);
                scan.intact
                    .push(record.try_into().expect("chunks of RECORD_LEN"));
                scan.damaged.append(&mut zeros);
                scan.valid_len = i.saturating_add(1).saturating_mul(RECORD_LEN);
            }
            _ if record.iter().all(|&b| b == 0) => zeros.push(offset),
            _ => scan.damaged.push(offset),
        }
    }
    scan
}

fn offsets_text(offsets: &[u64]) -> String {
    let shown: Vec<String> = offsets.iter().take(10).map(u64::to_string).collect();
    let more = offsets.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The writer thread: one write and one flush per group of bindings.
fn write_loop(
    mut file: File,
    requests: &mpsc::Receiver<Request>,
    keys: &RwLock<HashMap<Identity, PublicKey>>,
    path: &Path,
) {
    let mut failed = false;
    // The file's length after the last durable group (the file is opened for appending).
    let mut len = file.metadata().map(|m| m.len()).ok();
    while let Ok(first) = requests.recv() {
        let mut group = vec![first];
        group.extend(requests.try_iter());
        let mut bytes = Vec::with_capacity(group.len().saturating_mul(RECORD_LEN));
        for request in &group {
            bytes.extend_from_slice(&request.record);
        }
        let result = if failed {
            Err(std::io::Error::other("an earlier write failed"))
        } else {
            match file.write_all(&bytes) {
                // RELAY-28: no space for the group. Nothing of it was flushed; cut off what
                // part reached the file (that frees space, it needs none) and stay usable.
                Err(error) if out_of_space(&error) => {
                    let restored = len.is_some_and(|len| file.set_len(len).is_ok());
                    failed = !restored;
                    Err(error)
                }
                Err(error) => {
                    failed = true;
                    Err(error)
                }
                Ok(()) => file.sync_data().inspect_err(|_| failed = true),
            }
        };
        if let Err(error) = &result {
            // After a failed flush or an unrepaired write the file cannot be trusted (as
            // STORE-7): `failed` refuses every later group.
            let mut keys = keys.write().expect("no panic under the directory lock");
            for request in &group {
                keys.remove(&request.identity);
            }
            drop(keys);
            for request in group {
                let _ = request
                    .done
                    .send(Err(ServerError::directory(path, "write", error)));
            }
            continue;
        }
        // A file length: bounded by `off_t`, far below u64::MAX.
        len = len.map(|len| len.saturating_add(bytes.len() as u64));
        for request in group {
            let _ = request.done.send(Ok(()));
        }
    }
}

/// `ENOSPC` or `EDQUOT` (RELAY-28).
fn out_of_space(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PublicKey {
        saltrelay_protocol::crypto::SecretKey::from_bytes([byte; 32]).public_key()
    }

    #[tokio::test]
    async fn binds_first_come_first_served_and_survives_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let alice: Identity = "ALICE123".parse().expect("identity");
        let directory = Directory::open(dir.path()).expect("open");
        let Binding::New(done) = directory.bind(alice, key(1)) else {
            panic!("a new binding");
        };
        done.await.expect("answered").expect("durable");
        assert!(matches!(directory.bind(alice, key(1)), Binding::Bound));
        assert!(matches!(directory.bind(alice, key(2)), Binding::Taken));
        directory.shutdown();
        // A torn record after the good one is cut off at the next open.
        let path = dir.path().join(DIRECTORY_FILE_NAME);
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(&[0xab; 10]).expect("append garbage");
        drop(file);
        let reopened = Directory::open(dir.path()).expect("reopen");
        assert_eq!(reopened.lookup(&alice), Some(key(1)));
        assert_eq!(reopened.len(), 1);
        let len = std::fs::metadata(&path).expect("stat").len();
        assert_eq!(len, (DIRECTORY_MAGIC.len() + RECORD_LEN) as u64);
        reopened.shutdown();
    }

    #[tokio::test]
    async fn damage_mid_file_stops_the_open_until_repaired() {
        let dir = tempfile::tempdir().expect("temp dir");
        let directory = Directory::open(dir.path()).expect("open");
        let ids: Vec<Identity> = ["ALICE123", "BOBBY123", "CAROL123"]
            .iter()
            .map(|s| s.parse().expect("identity"))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            let Binding::New(done) = directory.bind(*id, key(u8::try_from(i).expect("small") + 1))
            else {
                panic!("a new binding");
            };
            done.await.expect("answered").expect("durable");
        }
        directory.shutdown();
        let path = dir.path().join(DIRECTORY_FILE_NAME);
        let mut bytes = std::fs::read(&path).expect("read");
        let second = DIRECTORY_MAGIC.len() + RECORD_LEN;
        bytes[second + 3] ^= 0x55;
        std::fs::write(&path, &bytes).expect("damage");
        let error = Directory::open(dir.path()).expect_err("refused");
        let text = error.to_string();
        assert!(text.contains("relay check"), "{text}");
        assert!(text.contains(&second.to_string()), "{text}");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            bytes,
            "nothing dropped"
        );
        let found = check(dir.path(), false).expect("check");
        assert_eq!(found.damaged, vec![second as u64]);
        assert_eq!(found.bindings, 2);
        assert!(check(dir.path(), true).expect("repair").repaired);
        let reopened = Directory::open(dir.path()).expect("opens after the repair");
        assert_eq!(reopened.lookup(&ids[0]), Some(key(1)));
        assert_eq!(reopened.lookup(&ids[1]), None);
        assert_eq!(reopened.lookup(&ids[2]), Some(key(3)));
        reopened.shutdown();
    }
}
