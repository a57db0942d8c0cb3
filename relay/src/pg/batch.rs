//! What one group commit sends to PostgreSQL besides its deletions
//! (spec/09-relay-cluster.md, CLU-8, CLU-13): the arrays of the batch's one insert, the
//! record ID of every message from the rows it returned, and the payloads of its wake-ups.

use std::collections::{BTreeMap, HashMap};

use saltrelay_protocol::identity::Identity;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::store::{BufferedMessage, RecordId, StoreError};

/// CLU-13: PostgreSQL refuses a notification payload of 8,000 bytes or more; ours stay
/// below this.
pub(crate) const MAX_WAKE_UP_BYTES: usize = 7_900;

/// What names a stored message (the unique key of CLU-4).
type Key = (Identity, Identity, [u8; 8]);

/// The insert of CLU-8: one array per column, each message once, in batch order.
pub(crate) struct InsertBatch<'a> {
    recipients: Vec<&'a str>,
    senders: Vec<&'a str>,
    message_ids: Vec<&'a [u8]>,
    flags: Vec<i16>,
    deadlines: Vec<i64>,
    payloads: Vec<&'a [u8]>,
    /// The key of each message of the batch, duplicates included, in batch order.
    keys: Vec<Key>,
}

impl<'a> InsertBatch<'a> {
    /// The arrays for `appends`. A message whose key came earlier in the batch (a resend
    /// that caught up with its first copy) is left out: one statement may not update a row
    /// twice (CLU-8); it gets the first copy's ID.
    pub(crate) fn new(appends: &'a [BufferedMessage]) -> Self {
        let mut batch = Self {
            recipients: Vec::with_capacity(appends.len()),
            senders: Vec::with_capacity(appends.len()),
            message_ids: Vec::with_capacity(appends.len()),
            flags: Vec::with_capacity(appends.len()),
            deadlines: Vec::with_capacity(appends.len()),
            payloads: Vec::with_capacity(appends.len()),
            keys: Vec::with_capacity(appends.len()),
        };
        let mut seen = std::collections::HashSet::with_capacity(appends.len());
        for m in appends {
            let key = (m.recipient, m.sender, m.message_id);
            batch.keys.push(key);
            if !seen.insert(key) {
                continue;
            }
            batch.recipients.push(m.recipient.as_str());
            batch.senders.push(m.sender.as_str());
            batch.message_ids.push(&m.message_id);
            batch.flags.push(i16::from(m.flags));
            batch
                .deadlines
                .push(i64::try_from(m.deadline.as_millis()).unwrap_or(i64::MAX));
            batch.payloads.push(&m.payload);
        }
        batch
    }

    /// Whether there is nothing to insert.
    pub(crate) fn is_empty(&self) -> bool {
        self.recipients.is_empty()
    }

    /// The statement's six parameters, in the order of `queries::INSERT_MESSAGES`.
    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 6] {
        [
            &self.recipients,
            &self.senders,
            &self.message_ids,
            &self.flags,
            &self.deadlines,
            &self.payloads,
        ]
    }

    /// The record ID of every message of the batch, in batch order, from the rows the insert
    /// returned (`id, recipient, sender, message_id`), matched by key.
    ///
    /// # Errors
    /// [`StoreError::Database`] if a returned row does not parse or a message got no row.
    pub(crate) fn ids(&self, rows: &[Row]) -> Result<Vec<RecordId>, StoreError> {
        let bad = |reason: &str| StoreError::Database {
            op: "commit",
            reason: reason.into(),
        };
        let mut by_key: HashMap<Key, RecordId> = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get(0);
            let recipient: Identity = row
                .get::<_, &str>(1)
                .parse()
                .map_err(|_| bad("a stored identity does not parse"))?;
            let sender: Identity = row
                .get::<_, &str>(2)
                .parse()
                .map_err(|_| bad("a stored identity does not parse"))?;
            let message_id: [u8; 8] = row
                .get::<_, &[u8]>(3)
                .try_into()
                .map_err(|_| bad("a stored message ID is not 8 bytes"))?;
            by_key.insert(
                (recipient, sender, message_id),
                RecordId(u64::try_from(id).unwrap_or(0)),
            );
        }
        self.keys
            .iter()
            .map(|key| {
                by_key
                    .get(key)
                    .copied()
                    .ok_or_else(|| bad("the insert returned no row for a message"))
            })
            .collect()
    }
}

/// CLU-13: the `saltrelay_mailbox` payloads announcing `ids` (one per message of `appends`,
/// in the same order): per recipient `IDENTITY ID ID ...`, IDs increasing, each payload
/// shorter than [`MAX_WAKE_UP_BYTES`].
pub(crate) fn wake_up_payloads(appends: &[BufferedMessage], ids: &[RecordId]) -> Vec<String> {
    let mut by_recipient: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (message, id) in appends.iter().zip(ids) {
        by_recipient
            .entry(message.recipient.as_str())
            .or_default()
            .push(id.0);
    }
    let mut payloads = Vec::new();
    for (recipient, mut ids) in by_recipient {
        ids.sort_unstable();
        ids.dedup();
        let mut payload = String::from(recipient);
        for id in ids {
            let text = id.to_string();
            // Lengths of short strings: far from overflowing.
            if payload.len().saturating_add(1).saturating_add(text.len()) > MAX_WAKE_UP_BYTES {
                payloads.push(std::mem::replace(&mut payload, String::from(recipient)));
            }
            payload.push(' ');
            payload.push_str(&text);
        }
        payloads.push(payload);
    }
    payloads
}

/// CLU-13: the recipient and record IDs a `saltrelay_mailbox` payload names; `None` if it
/// does not parse.
pub(crate) fn parse_wake_up(payload: &str) -> Option<(Identity, Vec<RecordId>)> {
    let mut parts = payload.split(' ');
    let identity = parts.next()?.parse().ok()?;
    let ids = parts
        .map(|id| id.parse().ok().map(RecordId))
        .collect::<Option<Vec<_>>>()?;
    Some((identity, ids))
}

#[cfg(test)]
mod tests {
    use saltrelay_protocol::time::Timestamp;

    use super::*;

    fn message(to: &str, n: u8) -> BufferedMessage {
        BufferedMessage {
            recipient: to.parse().expect("identity"),
            sender: "SENDER01".parse().expect("identity"),
            message_id: [n; 8],
            flags: 0,
            deadline: Timestamp::from_millis(1),
            payload: vec![n],
        }
    }

    #[test]
    fn a_resend_in_the_same_batch_is_inserted_once() {
        let appends = [message("ALICE001", 1), message("ALICE001", 1)];
        let batch = InsertBatch::new(&appends);
        assert_eq!(batch.recipients.len(), 1);
        assert_eq!(batch.keys.len(), 2, "both copies get an ID");
    }

    #[test]
    fn wake_ups_name_each_recipient_with_its_ids_in_order_and_stay_short() {
        let mut appends = vec![message("BOB00001", 9), message("ALICE001", 1)];
        let mut ids = vec![RecordId(7), RecordId(5)];
        for n in 0..2_000_u64 {
            appends.push(message("ALICE001", 2));
            ids.push(RecordId(1_000_000 + n));
        }
        let payloads = wake_up_payloads(&appends, &ids);
        assert!(payloads.len() > 2, "alice's IDs need several payloads");
        let mut alice = Vec::new();
        for payload in &payloads {
            assert!(payload.len() <= MAX_WAKE_UP_BYTES);
            let (who, ids) = parse_wake_up(payload).expect("parses");
            if who.as_str() == "ALICE001" {
                alice.extend(ids);
            } else {
                assert_eq!(ids, vec![RecordId(7)]);
            }
        }
        assert_eq!(alice.first(), Some(&RecordId(5)));
        assert_eq!(alice.len(), 2_001);
        assert!(alice.windows(2).all(|w| w[0] < w[1]), "increasing");
    }

    #[test]
    fn a_malformed_wake_up_is_ignored() {
        assert!(parse_wake_up("ALICE001 12 x").is_none());
        assert!(parse_wake_up("").is_none());
        assert_eq!(parse_wake_up("ALICE001").map(|(_, ids)| ids.len()), Some(0));
    }
}
