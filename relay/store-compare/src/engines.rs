//! The candidate stores behind one small interface: put a batch durably, delete, maintain,
//! count. Each is configured to be durable at every commit (except `fjall-buffer`, shown
//! for contrast with fjall's default).

use std::collections::HashMap;
use std::path::Path;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::{BufferedMessage, LogStore, LogStoreConfig, MessageStore, RecordId};

/// A record: a key (recipient number, sequence) and a 1 KiB value.
pub type Item = (u64, Vec<u8>);

pub trait Engine {
    /// Writes every item and returns once they are durable.
    fn commit(&mut self, items: &[Item]);
    /// Deletes items by key and returns once the deletion is durable.
    fn delete(&mut self, keys: &[u64]);
    /// The engine's normal space reclamation.
    fn maintain(&mut self);
    /// Counts every record by reading them all.
    fn count(&mut self) -> u64;
}

pub const NAMES: &[&str] = &[
    "log",
    "fjall",
    "fjall-buffer",
    "redb",
    "sqlite",
    "sqlite-secure-delete",
];

pub fn open(name: &str, dir: &Path) -> Box<dyn Engine> {
    match name {
        "log" => Box::new(Log::open(dir)),
        "fjall" => Box::new(Fjall::open(dir, Some(fjall::PersistMode::SyncData))),
        "fjall-buffer" => Box::new(Fjall::open(dir, Some(fjall::PersistMode::Buffer))),
        "redb" => Box::new(Redb::open(dir)),
        "sqlite" => Box::new(Sqlite::open(dir, false)),
        "sqlite-secure-delete" => Box::new(Sqlite::open(dir, true)),
        other => panic!("unknown engine {other}"),
    }
}

fn key_bytes(key: u64) -> [u8; 16] {
    let mut out = [0; 16];
    out[..8].copy_from_slice(&(key % 1000).to_be_bytes());
    out[8..].copy_from_slice(&key.to_be_bytes());
    out
}

// --- our segmented log ---------------------------------------------------------------

struct Log {
    store: LogStore,
    ids: HashMap<u64, RecordId>,
    identities: Vec<Identity>,
}

impl Log {
    fn open(dir: &Path) -> Self {
        let store = LogStore::open(dir, LogStoreConfig::default()).expect("open log store");
        let identities = (0..1000u32)
            .map(|i| Identity::from_bytes(format!("R{i:07}").as_bytes()).expect("identity"))
            .collect();
        Self {
            store,
            ids: HashMap::new(),
            identities,
        }
    }
}

impl Engine for Log {
    fn commit(&mut self, items: &[Item]) {
        let messages: Vec<BufferedMessage> = items
            .iter()
            .map(|(key, value)| BufferedMessage {
                recipient: self.identities[(key % 1000) as usize],
                sender: self.identities[((key / 1000) % 1000) as usize],
                message_id: key.to_le_bytes(),
                flags: 0,
                deadline: Timestamp::from_secs(4_000_000_000),
                payload: value.clone(),
            })
            .collect();
        let ids = self.store.append(&messages).expect("append");
        for ((key, _), id) in items.iter().zip(ids) {
            self.ids.insert(*key, id);
        }
    }

    fn delete(&mut self, keys: &[u64]) {
        let ids: Vec<RecordId> = keys.iter().filter_map(|k| self.ids.remove(k)).collect();
        self.store.delete(&ids).expect("delete");
    }

    fn maintain(&mut self) {
        self.store.maintain().expect("maintain");
    }

    fn count(&mut self) -> u64 {
        // Opening already read and checked every record; count what it indexed.
        self.store.stats().messages
    }
}

// --- fjall -------------------------------------------------------------------------------

struct Fjall {
    db: fjall::Database,
    keyspace: fjall::Keyspace,
    mode: Option<fjall::PersistMode>,
}

impl Fjall {
    fn open(dir: &Path, mode: Option<fjall::PersistMode>) -> Self {
        let db = fjall::Database::builder(dir).open().expect("open fjall");
        let keyspace = db
            .keyspace("messages", fjall::KeyspaceCreateOptions::default)
            .expect("keyspace");
        Self { db, keyspace, mode }
    }
}

impl Engine for Fjall {
    fn commit(&mut self, items: &[Item]) {
        let mut batch = self.db.batch().durability(self.mode);
        for (key, value) in items {
            batch.insert(&self.keyspace, key_bytes(*key), value.as_slice());
        }
        batch.commit().expect("fjall commit");
    }

    fn delete(&mut self, keys: &[u64]) {
        let mut batch = self.db.batch().durability(self.mode);
        for key in keys {
            batch.remove(&self.keyspace, key_bytes(*key));
        }
        batch.commit().expect("fjall delete");
    }

    fn maintain(&mut self) {
        self.keyspace.rotate_memtable_and_wait().expect("flush");
        self.keyspace.major_compact().expect("compact");
        self.db
            .persist(fjall::PersistMode::SyncAll)
            .expect("persist");
    }

    fn count(&mut self) -> u64 {
        self.keyspace.iter().count() as u64
    }
}

// --- redb --------------------------------------------------------------------------------

const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("messages");

struct Redb {
    db: redb::Database,
}

impl Redb {
    fn open(dir: &Path) -> Self {
        let db = redb::Database::create(dir.join("store.redb")).expect("open redb");
        Self { db }
    }
}

impl Engine for Redb {
    fn commit(&mut self, items: &[Item]) {
        let txn = self.db.begin_write().expect("begin");
        {
            let mut table = txn.open_table(TABLE).expect("table");
            for (key, value) in items {
                table.insert(*key, value.as_slice()).expect("insert");
            }
        }
        txn.commit().expect("redb commit"); // Durability::Immediate is the default
    }

    fn delete(&mut self, keys: &[u64]) {
        let txn = self.db.begin_write().expect("begin");
        {
            let mut table = txn.open_table(TABLE).expect("table");
            for key in keys {
                table.remove(*key).expect("remove");
            }
        }
        txn.commit().expect("redb delete");
    }

    fn maintain(&mut self) {
        while self.db.compact().expect("compact") {}
    }

    fn count(&mut self) -> u64 {
        use redb::{ReadableDatabase, ReadableTableMetadata};
        let txn = self.db.begin_read().expect("read");
        let table = txn.open_table(TABLE).expect("table");
        let mut n = 0;
        for entry in redb::ReadableTable::iter(&table).expect("iter") {
            let (_, v) = entry.expect("entry");
            n += u64::from(!v.value().is_empty());
        }
        assert_eq!(n, table.len().expect("len"));
        n
    }
}

// --- SQLite ------------------------------------------------------------------------------

struct Sqlite {
    conn: rusqlite::Connection,
}

impl Sqlite {
    fn open(dir: &Path, secure_delete: bool) -> Self {
        let conn = rusqlite::Connection::open(dir.join("store.sqlite")).expect("open sqlite");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("sync");
        conn.pragma_update(
            None,
            "secure_delete",
            if secure_delete { "ON" } else { "OFF" },
        )
        .expect("secure_delete");
        conn.execute(
            "CREATE TABLE IF NOT EXISTS messages (k INTEGER PRIMARY KEY, v BLOB NOT NULL)",
            [],
        )
        .expect("table");
        Self { conn }
    }
}

impl Engine for Sqlite {
    fn commit(&mut self, items: &[Item]) {
        let txn = self.conn.transaction().expect("begin");
        {
            let mut insert = txn
                .prepare_cached("INSERT INTO messages (k, v) VALUES (?1, ?2)")
                .expect("prepare");
            for (key, value) in items {
                insert
                    .execute(rusqlite::params![*key as i64, value])
                    .expect("insert");
            }
        }
        txn.commit().expect("sqlite commit");
    }

    fn delete(&mut self, keys: &[u64]) {
        let txn = self.conn.transaction().expect("begin");
        {
            let mut delete = txn
                .prepare_cached("DELETE FROM messages WHERE k = ?1")
                .expect("prepare");
            for key in keys {
                delete.execute([*key as i64]).expect("delete");
            }
        }
        txn.commit().expect("sqlite delete");
    }

    fn maintain(&mut self) {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }

    fn count(&mut self) -> u64 {
        let mut stmt = self.conn.prepare("SELECT v FROM messages").expect("select");
        let rows = stmt
            .query_map([], |row| row.get::<_, Vec<u8>>(0))
            .expect("query");
        rows.map(|r| u64::from(!r.expect("row").is_empty())).sum()
    }
}
