//! Every SQL statement the relay sends to PostgreSQL, verbatim as spec/09-relay-cluster.md
//! lists them, each under the CLU- ID that specifies it. No other file holds SQL.

/// CLU-30: sent first on every connection that reads or writes rows: the churning `message`
/// table looks nearly empty to the planner, whose cached plans then scan every dead row.
pub(crate) const PLANNER_SETTINGS: &str = "SET enable_seqscan = off";

/// CLU-5: serialises migrations of nodes that start at the same time (the key is
/// `0x73616c7472656c61`, "saltrela" read as a big-endian i64).
pub(crate) const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(8314893517441363041)";

/// CLU-5: the migrations table; created before anything else.
pub(crate) const CREATE_SCHEMA_VERSION: &str = "CREATE TABLE IF NOT EXISTS schema_version (\
    version integer PRIMARY KEY, \
    applied_at timestamptz NOT NULL DEFAULT now())";

/// CLU-5: the migrations applied so far.
pub(crate) const APPLIED_VERSIONS: &str = "SELECT version FROM schema_version ORDER BY version";

/// CLU-5: records a migration as applied, in its transaction.
pub(crate) const RECORD_VERSION: &str = "INSERT INTO schema_version (version) VALUES ($1)";

/// CLU-4: migration 1, the queue, the key directory, nodes and presence.
pub(crate) const MIGRATION_1: &str = "\
CREATE TABLE message (
    id bigserial PRIMARY KEY,
    recipient text NOT NULL,
    sender text NOT NULL,
    message_id bytea NOT NULL,
    flags smallint NOT NULL,
    deadline_ms bigint NOT NULL,
    payload bytea NOT NULL,
    UNIQUE (recipient, sender, message_id)
);
CREATE INDEX message_queue ON message (recipient, id);
CREATE INDEX message_deadline ON message (deadline_ms);
CREATE TABLE key_binding (
    identity text PRIMARY KEY,
    public_key bytea NOT NULL
);
CREATE TABLE node (
    node_id text PRIMARY KEY,
    instance bigint NOT NULL,
    listen text NOT NULL,
    started_at timestamptz NOT NULL,
    lease_until timestamptz NOT NULL,
    draining boolean NOT NULL DEFAULT false
);
CREATE TABLE presence (
    identity text PRIMARY KEY,
    node_id text NOT NULL,
    session bigint NOT NULL,
    lease_until timestamptz NOT NULL
);
CREATE INDEX presence_node ON presence (node_id);
CREATE SEQUENCE presence_session;";

/// CLU-25: migration 2, blobs shared by every node. The chunks' bytes are stored out of
/// line and not compressed (they are encrypted: compression would only cost CPU).
pub(crate) const MIGRATION_2: &str = "\
CREATE TABLE blob (
    id bytea PRIMARY KEY,
    length bigint NOT NULL,
    persist boolean NOT NULL,
    complete boolean NOT NULL DEFAULT false,
    node_id text NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blob_stored ON blob (stored_at);
CREATE INDEX blob_uploading ON blob (node_id) WHERE NOT complete;
CREATE TABLE blob_chunk (
    blob_id bytea NOT NULL REFERENCES blob (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
ALTER TABLE blob_chunk ALTER COLUMN data SET STORAGE EXTERNAL;";

/// CLU-26: an upload begins: its row, not yet complete.
pub(crate) const CREATE_BLOB: &str =
    "INSERT INTO blob (id, length, persist, node_id) VALUES ($1, $2, $3, $4)";

/// CLU-26: one row of an upload's bytes.
pub(crate) const INSERT_BLOB_CHUNK: &str =
    "INSERT INTO blob_chunk (blob_id, seq, data) VALUES ($1, $2, $3)";

/// CLU-26: the commit point of an upload: complete only if every byte is stored.
pub(crate) const COMPLETE_BLOB: &str = "UPDATE blob SET complete = true, stored_at = now() \
    WHERE id = $1 AND NOT complete AND length = \
    (SELECT coalesce(sum(octet_length(data)), 0) FROM blob_chunk WHERE blob_id = $1)";

/// CLU-26: an upload that failed or was cut off is dropped with its rows.
pub(crate) const ABORT_BLOB: &str = "DELETE FROM blob WHERE id = $1 AND NOT complete";

/// CLU-27: a download begins: the blob's length, if it is complete.
pub(crate) const OPEN_BLOB: &str = "SELECT length FROM blob WHERE id = $1 AND complete";

/// CLU-27: one row of a blob's bytes.
pub(crate) const READ_BLOB_CHUNK: &str =
    "SELECT data FROM blob_chunk WHERE blob_id = $1 AND seq = $2";

/// CLU-28: `blob_done` deletes a blob not uploaded with persist.
pub(crate) const DONE_BLOB: &str = "DELETE FROM blob WHERE id = $1 AND NOT persist";

/// CLU-28: blobs past their TTL; rows locked by another node's sweep are skipped.
pub(crate) const EXPIRE_BLOBS: &str = "DELETE FROM blob WHERE id IN (\
    SELECT id FROM blob WHERE stored_at <= now() - $1::bigint * interval '1 millisecond' \
    ORDER BY stored_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id";

/// CLU-28: unfinished uploads of nodes whose lease lapsed (they died mid-upload).
pub(crate) const SWEEP_ORPHAN_UPLOADS: &str = "DELETE FROM blob b WHERE NOT b.complete \
    AND NOT EXISTS (SELECT 1 FROM node n WHERE n.node_id = b.node_id \
    AND n.lease_until > now())";

/// CLU-28: at start, unfinished uploads of an earlier instance of this node.
pub(crate) const CLEAR_NODE_UPLOADS: &str = "DELETE FROM blob WHERE node_id = $1 AND NOT complete";

/// CLU-29: how many blobs are stored, for the relay's statistics.
pub(crate) const COUNT_BLOBS: &str = "SELECT count(*) FROM blob WHERE complete";

/// CLU-8: a batch of messages into the queue, in batch order, with the ID of each (of the
/// row stored before, for a sender's resend after a lost ack).
pub(crate) const INSERT_MESSAGES: &str = "INSERT INTO message \
    (recipient, sender, message_id, flags, deadline_ms, payload) \
    SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::smallint[], $5::bigint[], \
    $6::bytea[]) \
    ON CONFLICT (recipient, sender, message_id) \
    DO UPDATE SET deadline_ms = GREATEST(message.deadline_ms, EXCLUDED.deadline_ms) \
    RETURNING id, recipient, sender, message_id";

/// CLU-10: deletion on the recipient's ack (and of what expired while in flight).
pub(crate) const DELETE_MESSAGES: &str = "DELETE FROM message WHERE id = ANY($1)";

/// CLU-13, CLU-15: a notifying transaction commits without waiting for its WAL flush, so
/// that it holds PostgreSQL's server-wide NOTIFY lock for microseconds, not for a flush.
pub(crate) const WAKE_UP_ASYNC: &str = "SELECT set_config('synchronous_commit', 'off', true)";

/// CLU-13: wakes the nodes serving these recipients (one payload `IDENTITY ID ID ...` each);
/// sent in the wake-up transaction, after the data commit returned.
pub(crate) const NOTIFY_MAILBOXES: &str =
    "SELECT pg_notify('saltrelay_mailbox', r) FROM unnest($1::text[]) AS r";

/// CLU-9: a page of one recipient's queue with payloads, oldest first.
pub(crate) const QUEUE_PAGE: &str = "SELECT id, recipient, sender, message_id, flags, \
    deadline_ms, payload FROM message WHERE recipient = $1 AND id > $2 ORDER BY id LIMIT $3";

/// CLU-9: the payloads of the queued messages a node is about to send, by record ID.
pub(crate) const RECORDS_BY_ID: &str = "SELECT id, recipient, sender, message_id, flags, \
    deadline_ms, payload FROM message WHERE recipient = $1 AND id = ANY($2) ORDER BY id";

/// CLU-14: a page of one recipient's queue without payloads, from the mirror's cursor.
pub(crate) const QUEUE_INDEX: &str = "SELECT id, sender, message_id, flags, deadline_ms, \
    octet_length(payload) FROM message WHERE recipient = $1 AND id > $2 ORDER BY id LIMIT $3";

/// CLU-14: the rows notifications announced, with payloads (the wake-up read).
pub(crate) const ANNOUNCED_RECORDS: &str = "SELECT id, recipient, sender, message_id, flags, \
    deadline_ms, payload FROM message WHERE id = ANY($1) ORDER BY id";

/// CLU-11: the expiry sweep. Rows locked by another node's sweep are skipped, not waited
/// for, and each row is deleted by exactly one statement.
pub(crate) const EXPIRE_MESSAGES: &str = "DELETE FROM message WHERE id IN (\
    SELECT id FROM message WHERE deadline_ms <= $1 ORDER BY deadline_ms LIMIT $2 \
    FOR UPDATE SKIP LOCKED) RETURNING id, recipient";

/// CLU-20: recipients with a queue.
pub(crate) const RECIPIENTS: &str = "SELECT DISTINCT recipient FROM message ORDER BY recipient";

/// CLU-20: one queue's depth.
pub(crate) const QUEUE_STATS: &str = "SELECT count(*), coalesce(sum(octet_length(payload)), 0)::bigint FROM message \
    WHERE recipient = $1";

/// CLU-20: the whole queue's depth.
pub(crate) const STORE_STATS: &str = "SELECT count(*), \
    coalesce(sum(octet_length(payload)), 0)::bigint, count(DISTINCT recipient) FROM message";

/// CLU-12: binds an identity's key, first come first served across all nodes.
pub(crate) const BIND_KEY: &str = "INSERT INTO key_binding (identity, public_key) \
    VALUES ($1, $2) ON CONFLICT (identity) DO NOTHING";

/// CLU-12: the key an identity is bound to.
pub(crate) const LOOKUP_KEY: &str = "SELECT public_key FROM key_binding WHERE identity = $1";

/// CLU-12: how many identities are bound.
pub(crate) const COUNT_KEYS: &str = "SELECT count(*) FROM key_binding";

/// CLU-16: a node announces itself (or takes its ID over from a dead or replaced instance).
pub(crate) const REGISTER_NODE: &str = "INSERT INTO node \
    (node_id, instance, listen, started_at, lease_until, draining) \
    VALUES ($1, $2, $3, now(), now() + $4::bigint * interval '1 millisecond', false) \
    ON CONFLICT (node_id) DO UPDATE SET instance = EXCLUDED.instance, \
    listen = EXCLUDED.listen, started_at = now(), lease_until = EXCLUDED.lease_until, \
    draining = false \
    RETURNING (SELECT n.lease_until > now() FROM node n WHERE n.node_id = $1)";

/// CLU-16: presence left by an earlier instance of this node is stale.
pub(crate) const CLEAR_NODE_PRESENCE: &str = "DELETE FROM presence WHERE node_id = $1";

/// CLU-16: a node that stops gracefully ends its lease at once.
pub(crate) const STOP_NODE: &str =
    "UPDATE node SET lease_until = now() WHERE node_id = $1 AND instance = $2";

/// CLU-17: renews this node's lease; no row if another instance took the node ID over.
pub(crate) const RENEW_NODE: &str = "UPDATE node SET lease_until = now() + $3::bigint * \
    interval '1 millisecond' WHERE node_id = $1 AND instance = $2 RETURNING draining";

/// CLU-17: renews the leases of the identities this node holds; returns those still held.
pub(crate) const RENEW_PRESENCE: &str = "UPDATE presence SET lease_until = now() + $2::bigint * \
    interval '1 millisecond' WHERE node_id = $1 RETURNING identity, session";

/// CLU-15: a login takes the identity's presence, whoever held it (committed durably; the
/// holder is told right after, by `NOTIFY_PRESENCE`).
pub(crate) const CLAIM_PRESENCE: &str = "INSERT INTO presence \
    (identity, node_id, session, lease_until) \
    VALUES ($1, $2, nextval('presence_session'), now() + $3::bigint * interval \
    '1 millisecond') \
    ON CONFLICT (identity) DO UPDATE SET node_id = EXCLUDED.node_id, \
    session = EXCLUDED.session, lease_until = EXCLUDED.lease_until RETURNING session";

/// CLU-15: the presence notification (payload `identity node_id session`).
pub(crate) const NOTIFY_PRESENCE: &str = "SELECT pg_notify('saltrelay_presence', $1)";

/// CLU-15: a logout gives the presence up, unless a later login took it.
pub(crate) const RELEASE_PRESENCE: &str =
    "DELETE FROM presence WHERE identity = $1 AND node_id = $2 AND session = $3";

/// CLU-17: presence whose lease ran out (its node died or stalled) is removed by any node.
pub(crate) const SWEEP_PRESENCE: &str = "DELETE FROM presence WHERE lease_until < now()";

/// CLU-13: the listener connection subscribes to both channels.
pub(crate) const LISTEN: &str = "LISTEN saltrelay_mailbox; LISTEN saltrelay_presence";

/// CLU-19: marks a node as draining (set by `relay drain`, read at its next renewal).
pub(crate) const DRAIN_NODE: &str = "UPDATE node SET draining = true WHERE node_id = $1";

/// CLU-20: the nodes, with whether their lease is live.
pub(crate) const HEALTH_NODES: &str = "SELECT node_id, listen, instance, \
    (extract(epoch FROM started_at) * 1000)::bigint, \
    (extract(epoch FROM (lease_until - now())) * 1000)::bigint, draining, \
    (SELECT count(*) FROM presence p WHERE p.node_id = node.node_id \
        AND p.lease_until > now()) \
    FROM node ORDER BY node_id";

/// CLU-20: the deepest queues.
pub(crate) const HEALTH_QUEUES: &str = "SELECT recipient, count(*), \
    coalesce(sum(octet_length(payload)), 0)::bigint FROM message GROUP BY recipient \
    ORDER BY count(*) DESC, recipient LIMIT $1";

/// CLU-20: the complete blobs and their bytes, from `blob` alone (no chunk is read).
pub(crate) const HEALTH_BLOBS: &str =
    "SELECT count(*), coalesce(sum(length), 0)::bigint FROM blob WHERE complete";

/// CLU-20: uploads in progress, the bytes of the rows they stored (`octet_length` reads the
/// out-of-line value's stored size, not its data), and how many belong to a node without a
/// live lease (the orphans CLU-28's sweep deletes, by the same condition as
/// `SWEEP_ORPHAN_UPLOADS`).
pub(crate) const HEALTH_UPLOADS: &str = "SELECT count(*), coalesce(sum((\
    SELECT sum(octet_length(c.data)) FROM blob_chunk c WHERE c.blob_id = b.id)), 0)::bigint, \
    count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM node n WHERE n.node_id = b.node_id \
    AND n.lease_until > now())) FROM blob b WHERE NOT b.complete";

#[cfg(test)]
mod tests {
    /// Every statement above, as the spec shows it (CLU-4 to CLU-20: "every query, verbatim").
    const ALL: &[&str] = &[
        super::PLANNER_SETTINGS,
        super::MIGRATION_LOCK,
        super::CREATE_SCHEMA_VERSION,
        super::APPLIED_VERSIONS,
        super::RECORD_VERSION,
        super::MIGRATION_1,
        super::MIGRATION_2,
        super::CREATE_BLOB,
        super::INSERT_BLOB_CHUNK,
        super::COMPLETE_BLOB,
        super::ABORT_BLOB,
        super::OPEN_BLOB,
        super::READ_BLOB_CHUNK,
        super::DONE_BLOB,
        super::EXPIRE_BLOBS,
        super::SWEEP_ORPHAN_UPLOADS,
        super::CLEAR_NODE_UPLOADS,
        super::COUNT_BLOBS,
        super::INSERT_MESSAGES,
        super::DELETE_MESSAGES,
        super::WAKE_UP_ASYNC,
        super::NOTIFY_MAILBOXES,
        super::QUEUE_PAGE,
        super::RECORDS_BY_ID,
        super::QUEUE_INDEX,
        super::ANNOUNCED_RECORDS,
        super::EXPIRE_MESSAGES,
        super::RECIPIENTS,
        super::QUEUE_STATS,
        super::STORE_STATS,
        super::BIND_KEY,
        super::LOOKUP_KEY,
        super::COUNT_KEYS,
        super::REGISTER_NODE,
        super::CLEAR_NODE_PRESENCE,
        super::STOP_NODE,
        super::RENEW_NODE,
        super::RENEW_PRESENCE,
        super::CLAIM_PRESENCE,
        super::NOTIFY_PRESENCE,
        super::RELEASE_PRESENCE,
        super::SWEEP_PRESENCE,
        super::LISTEN,
        super::DRAIN_NODE,
        super::HEALTH_NODES,
        super::HEALTH_QUEUES,
        super::HEALTH_BLOBS,
        super::HEALTH_UPLOADS,
    ];

    #[test]
    fn every_statement_is_in_the_spec_verbatim() {
        let spec = include_str!("../../../spec/09-relay-cluster.md");
        for statement in ALL {
            assert!(spec.contains(statement), "not in the spec: {statement}");
        }
        let listed = include_str!("queries.rs")
            .matches("\npub(crate) const ")
            .count();
        assert_eq!(listed, ALL.len(), "a statement is missing from this test");
    }
}
