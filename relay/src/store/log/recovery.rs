//! Reading a segment back after a restart or a crash: which records are committed, where
//! the torn tail starts, what needs erasing again (spec/05-relay-storage.md, STORE-8).

use std::io::{BufReader, ErrorKind, Read};

use saltrelay_protocol::identity::{IDENTITY_LEN, Identity};
use saltrelay_protocol::time::Timestamp;

use super::segment::{SEGMENT_HEADER_LEN, SEGMENT_MAGIC, Segment};
use crate::store::StoreError;
use crate::store::record::{
    HEADER_LEN, Kind, MESSAGE_FIXED_LEN, MESSAGE_ID_LEN, RecordId, checksum, parse_header,
    record_len,
};

/// A message record that a commit record made durable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scanned {
    pub(crate) id: RecordId,
    pub(crate) offset: u64,
    pub(crate) body_len: u32,
    pub(crate) recipient: Identity,
    pub(crate) deadline: Timestamp,
}

/// A record to overwrite with its dead form: damaged, or deleted but not fully erased.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Repair {
    pub(crate) id: RecordId,
    pub(crate) offset: u64,
    pub(crate) body_len: u32,
}

/// What one segment holds.
#[derive(Debug, Default)]
pub(crate) struct SegmentScan {
    /// Committed live messages, in file order.
    pub(crate) committed: Vec<Scanned>,
    /// Committed records that must be erased again.
    pub(crate) repairs: Vec<Repair>,
    /// Of the repairs, how many failed their checksum (the rest were dead but not zero).
    pub(crate) damaged: u64,
    /// End of the last intact commit record: everything after it is dropped.
    pub(crate) valid_len: u64,
    /// Highest record ID seen in a committed record.
    pub(crate) max_id: u64,
    /// The segment has no intact file header and must be recreated (only ever the last one).
    pub(crate) needs_reset: bool,
}

/// Reads `segment` from the start. `sealed` is true for every segment but the last: a
/// sealed segment was completely flushed before its successor was created, so damage in it
/// is corruption, not a torn write, and is reported instead of cut off (STORE-8).
pub(crate) fn scan(segment: &Segment, sealed: bool) -> Result<SegmentScan, StoreError> {
    let corrupt = |offset: u64, what: &'static str| StoreError::Corrupt {
        file: segment.path.clone(),
        offset,
        what,
    };
    let mut reader = BufReader::with_capacity(1 << 20, &*segment.file);
    let mut scan = SegmentScan {
        valid_len: SEGMENT_HEADER_LEN,
        ..SegmentScan::default()
    };
    let mut magic = [0u8; SEGMENT_MAGIC.len()];
    let got = read_full(&mut reader, &mut magic)?;
    if got < magic.len() || magic != SEGMENT_MAGIC {
        // STORE-8: a last segment torn while being created is recreated; anything else
        // with our name but not our magic is refused.
        if !sealed && (got < magic.len() || magic == [0; 16]) {
            scan.needs_reset = true;
            return Ok(scan);
        }
        return Err(StoreError::NotAStore {
            file: segment.path.clone(),
        });
    }
    let mut offset = SEGMENT_HEADER_LEN;
    let mut pending: Vec<Scanned> = Vec::new();
    let mut pending_damaged: Vec<Repair> = Vec::new();
    let mut header = [0u8; HEADER_LEN];
    let mut body = Vec::new();
    loop {
        let got = read_full(&mut reader, &mut header)?;
        if got < HEADER_LEN {
            break; // clean end, or a torn header at the tail
        }
        if header == [0; HEADER_LEN] {
            break; // STORE-2: preallocated space, the end of the records
        }
        let Ok(parsed) = parse_header(&header) else {
            if sealed {
                return Err(corrupt(offset, "invalid record header"));
            }
            break; // STORE-8: the torn tail starts here
        };
        body.resize(parsed.body_len as usize, 0);
        if read_full(&mut reader, &mut body)? < body.len() {
            break;
        }
        let this = Repair {
            id: parsed.id,
            offset,
            body_len: parsed.body_len,
        };
        let intact = checksum(&header[..16], &body) == parsed.crc;
        match parsed.kind {
            Kind::Message => match intact.then(|| message_fields(&body)).flatten() {
                Some((recipient, deadline)) => pending.push(Scanned {
                    id: parsed.id,
                    offset,
                    body_len: parsed.body_len,
                    recipient,
                    deadline,
                }),
                None => pending_damaged.push(this),
            },
            // STORE-6: a deleted record whose erasure was torn is erased again.
            Kind::Dead if body.iter().any(|&b| b != 0) => scan.repairs.push(this),
            // STORE-8: an intact commit record makes everything before it durable.
            Kind::Commit if intact => {
                scan.max_id = scan.max_id.max(parsed.id.0);
                scan.max_id = pending.iter().fold(scan.max_id, |m, s| m.max(s.id.0));
                scan.committed.append(&mut pending);
                scan.damaged += pending_damaged.len() as u64;
                scan.repairs.append(&mut pending_damaged);
                scan.valid_len = offset + record_len(parsed.body_len);
            }
            // A damaged commit record commits nothing; the next intact one covers its batch.
            Kind::Dead | Kind::Commit => {}
        }
        offset += record_len(parsed.body_len);
    }
    Ok(scan)
}

/// The recipient and deadline of an intact message body, or `None` if they do not parse.
fn message_fields(body: &[u8]) -> Option<(Identity, Timestamp)> {
    if body.len() < MESSAGE_FIXED_LEN {
        return None;
    }
    let recipient = Identity::from_bytes(body.get(..IDENTITY_LEN)?).ok()?;
    let start = 2 * IDENTITY_LEN + MESSAGE_ID_LEN;
    let deadline = u64::from_le_bytes(body.get(start..start + 8)?.try_into().ok()?);
    Some((recipient, Timestamp::from_millis(deadline)))
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, StoreError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(StoreError::io("read", e)),
        }
    }
    Ok(filled)
}
