//! Reading a segment back after a restart or a crash: which records are committed, where
//! the torn tail starts, which bytes are damaged and where the next intact record begins,
//! what needs erasing again (spec/05-relay-storage.md, STORE-8, STORE-13).

use saltrelay_protocol::identity::{IDENTITY_LEN, Identity};
use saltrelay_protocol::time::Timestamp;

use super::segment::{SEGMENT_HEADER_LEN, SEGMENT_MAGIC, Segment};
use crate::store::StoreError;
use crate::store::record::{
    CHECKED_HEADER_LEN, HEADER_LEN, Kind, MESSAGE_FIXED_LEN, MESSAGE_ID_LEN, RecordId, checksum,
    parse_header,
};

/// The first 14 bytes of the magic: a segment of ours, whatever its format version.
const MAGIC_NAME_LEN: usize = 14;

/// A message record that a commit record made durable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scanned {
    pub(crate) id: RecordId,
    pub(crate) offset: u64,
    pub(crate) body_len: u32,
    pub(crate) recipient: Identity,
    pub(crate) deadline: Timestamp,
}

/// A record to overwrite with its dead form: deleted but not fully erased.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Repair {
    pub(crate) id: RecordId,
    pub(crate) offset: u64,
    pub(crate) body_len: u32,
}

/// Bytes between two intact records that are not a record (STORE-13): damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Damaged {
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// What one segment holds.
#[derive(Debug, Default)]
pub(crate) struct SegmentScan {
    /// Committed live messages, in file order.
    pub(crate) committed: Vec<Scanned>,
    /// Committed dead records whose body is not all zero: erased again.
    pub(crate) repairs: Vec<Repair>,
    /// Damaged ranges among the committed records (STORE-13), in file order.
    pub(crate) damaged: Vec<Damaged>,
    /// End of the last intact commit record: everything after it is not committed.
    pub(crate) valid_len: u64,
    /// Message records after the last intact commit record.
    pub(crate) uncommitted: u64,
    /// Bytes after the last intact commit record up to the last one that is not zero.
    pub(crate) tail_dirty: u64,
    /// Highest record ID seen in a committed record.
    pub(crate) max_id: u64,
    /// The segment has no file header and nothing after it: recreate it (last one only).
    pub(crate) needs_reset: bool,
    /// The file header is damaged but records follow it: rewrite it (STORE-13).
    pub(crate) header_damaged: bool,
    /// Not one record could be read: the file is left alone (STORE-13).
    pub(crate) refused: Option<&'static str>,
}

/// Reads `segment` from the start. A damaged record or header does not end the scan: the
/// scan resumes at the next offset where an intact record begins (STORE-13). Reads only.
///
/// # Errors
/// [`StoreError::NotAStore`] for a segment of another format version; [`StoreError::Io`].
pub(crate) fn scan(segment: &Segment, sealed: bool) -> Result<SegmentScan, StoreError> {
    let len = usize::try_from(segment.len).map_err(|_| StoreError::Corrupt {
        file: segment.path.clone(),
        offset: 0,
        what: "segment larger than memory",
    })?;
    let mut bytes = vec![0; len];
    segment.read_at(&mut bytes, 0)?;
    let mut scan = SegmentScan {
        valid_len: SEGMENT_HEADER_LEN,
        ..SegmentScan::default()
    };
    let header_ok = bytes.get(..SEGMENT_MAGIC.len()) == Some(&SEGMENT_MAGIC[..]);
    if !header_ok {
        let rest_zero = bytes.iter().skip(SEGMENT_MAGIC.len()).all(|&b| b == 0);
        // STORE-2: ours, but a format this build does not read: refuse rather than guess.
        if len >= SEGMENT_MAGIC.len()
            && bytes.get(..MAGIC_NAME_LEN) == SEGMENT_MAGIC.get(..MAGIC_NAME_LEN)
        {
            return Err(StoreError::NotAStore {
                file: segment.path.clone(),
            });
        }
        // STORE-8: a last segment torn while being created (no record after its header) is
        // recreated.
        if !sealed && rest_zero {
            scan.needs_reset = true;
            return Ok(scan);
        }
        scan.header_damaged = true;
    }
    let mut offset = SEGMENT_MAGIC.len().min(len);
    let mut pending: Vec<Scanned> = Vec::new();
    let mut pending_damaged: Vec<Damaged> = Vec::new();
    let mut found_any = false;
    // Offsets and lengths below point into `bytes` (each record lies inside it), so their
    // sums stay within its length and the saturating operations never saturate.
    while offset < len {
        let Some(record) = intact_at(&bytes, offset) else {
            // STORE-13: damage (or, at the end, preallocated zeros or a torn tail). Resume at
            // the next intact record; none means the records ended here.
            let Some(next) = next_intact(&bytes, offset.saturating_add(1)) else {
                break;
            };
            pending_damaged.push(Damaged {
                offset: offset as u64,
                len: next.saturating_sub(offset) as u64,
            });
            offset = next;
            continue;
        };
        found_any = true;
        let at = offset as u64;
        let body = record.body;
        match record.kind {
            Kind::Message => match message_fields(body) {
                Some((recipient, deadline)) => pending.push(Scanned {
                    id: record.id,
                    offset: at,
                    body_len: record.body_len,
                    recipient,
                    deadline,
                }),
                // STORE-4: intact but not valid identities: damage, erased like any other.
                None => pending_damaged.push(Damaged {
                    offset: at,
                    len: record.len as u64,
                }),
            },
            // STORE-6: a deleted record whose erasure was torn is erased again.
            Kind::Dead => {
                if body.iter().any(|&b| b != 0) {
                    scan.repairs.push(Repair {
                        id: record.id,
                        offset: at,
                        body_len: record.body_len,
                    });
                }
            }
            // STORE-8: an intact commit record makes everything before it durable.
            Kind::Commit => {
                scan.max_id = scan.max_id.max(record.id.0);
                scan.max_id = pending.iter().fold(scan.max_id, |m, s| m.max(s.id.0));
                scan.committed.append(&mut pending);
                scan.damaged.append(&mut pending_damaged);
                scan.valid_len = at.saturating_add(record.len as u64);
            }
        }
        offset = offset.saturating_add(record.len);
    }
    scan.uncommitted = pending.len() as u64;
    let tail = usize::try_from(scan.valid_len)
        .ok()
        .and_then(|start| bytes.get(start..))
        .unwrap_or_default();
    scan.tail_dirty = tail
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| (i as u64).saturating_add(1));
    // Dead records after the last commit are cut off with the tail; repair only the others.
    let valid_len = scan.valid_len;
    scan.repairs.retain(|r| r.offset < valid_len);
    if !found_any && !header_ok {
        scan.refused = Some("no segment header and no intact record");
    }
    Ok(scan)
}

/// An intact record's kind, ID, body length, total length and body.
struct Intact<'a> {
    kind: Kind,
    id: RecordId,
    body_len: u32,
    len: usize,
    body: &'a [u8],
}

/// The record starting at `offset` if it is intact: its header follows STORE-3, and a
/// message or commit matches its checksum; a dead record carries a zero checksum and is
/// followed by the end of the file, zeros or another valid header (it has no checksum of its
/// own, so its length is trusted only when it leads to where a record can start).
fn intact_at(bytes: &[u8], offset: usize) -> Option<Intact<'_>> {
    let rest = bytes.get(offset..)?;
    let parsed = parse_header(rest).ok()?;
    let len = usize::try_from(parsed.body_len)
        .ok()?
        .checked_add(HEADER_LEN)?;
    let body = rest.get(HEADER_LEN..len)?;
    let ok = match parsed.kind {
        Kind::Message | Kind::Commit => {
            checksum(rest.get(..CHECKED_HEADER_LEN)?, body) == parsed.crc
        }
        Kind::Dead => parsed.crc == 0 && leads_somewhere(rest, len),
    };
    ok.then_some(Intact {
        kind: parsed.kind,
        id: parsed.id,
        body_len: parsed.body_len,
        len,
        body,
    })
}

/// Whether `offset` is the end of the file, the start of zeros to the end of a header, or
/// the start of a header that follows STORE-3 (its record may itself be damaged).
fn leads_somewhere(bytes: &[u8], offset: usize) -> bool {
    let Some(rest) = bytes.get(offset..) else {
        return false;
    };
    match rest.get(..HEADER_LEN) {
        None => rest.iter().all(|&b| b == 0),
        Some(header) => header.iter().all(|&b| b == 0) || parse_header(header).is_ok(),
    }
}

/// The first offset at or after `from` where an intact record begins (STORE-13).
fn next_intact(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(step) = bytes
        .get(at..)?
        .iter()
        .position(|b| matches!(b, b'M' | b'C' | b'X'))
    {
        // `at + step` is the index of a byte of `bytes`, so neither sum can overflow.
        at = at.saturating_add(step);
        if intact_at(bytes, at).is_some() {
            return Some(at);
        }
        at = at.saturating_add(1);
    }
    None
}

/// The recipient and deadline of an intact message body, or `None` if they do not parse.
fn message_fields(body: &[u8]) -> Option<(Identity, Timestamp)> {
    if body.len() < MESSAGE_FIXED_LEN {
        return None;
    }
    let recipient = Identity::from_bytes(body.get(..IDENTITY_LEN)?).ok()?;
    Identity::from_bytes(body.get(IDENTITY_LEN..2 * IDENTITY_LEN)?).ok()?;
    let start = 2 * IDENTITY_LEN + MESSAGE_ID_LEN;
    let deadline = u64::from_le_bytes(body.get(start..start + 8)?.try_into().ok()?);
    Some((recipient, Timestamp::from_millis(deadline)))
}
