//! The state digest: BLAKE2b-256 of a canonical encoding of a client's whole group state
//! (GRP-27), so two implementations can compare states with one hash.

use super::client::GroupClient;
use super::poll::PollStatus;
use crate::crypto::blake2b;

/// The digest input's prefix (GRP-27).
const DIGEST_PREFIX: &[u8] = b"saltrelay-group-state-v1";

fn put_len(out: &mut Vec<u8>, len: usize) {
    // GRP-27: counts and lengths are u32; no state comes near 2^32 items or bytes.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_len(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

impl GroupClient {
    /// The canonical encoding the digest hashes (GRP-27).
    #[must_use]
    pub fn digest_input(&self) -> Vec<u8> {
        let mut out = DIGEST_PREFIX.to_vec();
        out.extend_from_slice(self.me().as_bytes());
        put_len(&mut out, self.groups.len());
        for (group, state) in &self.groups {
            out.extend_from_slice(group.creator.as_bytes());
            out.extend_from_slice(&group.group_id.0);
            out.push(state.status.byte());
            put_str(&mut out, &state.name);
            match &state.picture {
                None => out.push(0),
                Some(blob) => {
                    out.push(1);
                    out.extend_from_slice(&blob.blob_id);
                    out.extend_from_slice(&blob.size.to_le_bytes());
                    out.extend_from_slice(&blob.key);
                }
            }
            out.extend_from_slice(&state.last_sync.as_millis().to_le_bytes());
            put_len(&mut out, state.members.len());
            state
                .members
                .iter()
                .for_each(|m| out.extend_from_slice(m.as_bytes()));
            put_len(&mut out, state.messages.len());
            for (id, entry) in &state.messages {
                out.extend_from_slice(&id.0);
                out.extend_from_slice(entry.sender.as_bytes());
                out.push(entry.state.byte());
            }
            put_len(&mut out, state.polls.len());
            for (key, poll) in &state.polls {
                out.extend_from_slice(key.creator.as_bytes());
                out.extend_from_slice(&key.poll_id);
                out.push(u8::from(poll.status == PollStatus::Closed));
                out.push(u8::from(poll.multiple));
                out.extend_from_slice(&poll.announce.to_le_bytes());
                put_str(&mut out, &poll.description);
                put_len(&mut out, poll.choices.len());
                for (id, text) in &poll.choices {
                    out.extend_from_slice(&id.to_le_bytes());
                    put_str(&mut out, text);
                }
                let voters: Vec<_> = poll.votes.iter().filter(|(_, c)| !c.is_empty()).collect();
                put_len(&mut out, voters.len());
                for (voter, chosen) in voters {
                    out.extend_from_slice(voter.as_bytes());
                    put_len(&mut out, chosen.len());
                    for choice in chosen {
                        out.extend_from_slice(&choice.to_le_bytes());
                    }
                }
            }
        }
        put_len(&mut out, self.sync_marks.len());
        for ((group, peer), at) in &self.sync_marks {
            out.extend_from_slice(group.creator.as_bytes());
            out.extend_from_slice(&group.group_id.0);
            out.extend_from_slice(peer.as_bytes());
            out.extend_from_slice(&at.as_millis().to_le_bytes());
        }
        out
    }

    /// The state digest (GRP-27): `BLAKE2b-256` of [`GroupClient::digest_input`], unkeyed.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        blake2b(&mut out, &[], &[], &[], &self.digest_input())
            .expect("32-byte unkeyed BLAKE2b without salt or personal is always valid");
        out
    }
}
