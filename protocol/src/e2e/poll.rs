//! Poll setup and vote (types 0x15/0x16, group 0x52/0x53) and the voice-call signalling bodies
//! (0x60 to 0x64): JSON bodies (E2E-11, E2E-12, E2E-17).

use serde_json::{Map, Value};

use super::E2eError;
use super::json::{optional, parse, parse_object, to_canonical_json};
use crate::bytes::Reader;
use crate::identity::Identity;

fn invalid(field: &'static str) -> E2eError {
    E2eError::InvalidPoll { field }
}

/// A poll (ballot) setup: an 8-byte poll ID and the poll's JSON object (E2E-11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSetup {
    /// The poll ID, chosen at random by the poll's creator.
    pub poll_id: [u8; 8],
    poll: Map<String, Value>,
}

fn need(
    map: &Map<String, Value>,
    key: &'static str,
    ok: fn(&Value) -> bool,
) -> Result<(), E2eError> {
    map.get(key)
        .filter(|v| ok(v))
        .map(|_| ())
        .ok_or(invalid(key))
}

fn may(
    map: &Map<String, Value>,
    key: &'static str,
    ok: fn(&Value) -> bool,
) -> Result<(), E2eError> {
    optional(map, key).map_or(Ok(()), |v| if ok(v) { Ok(()) } else { Err(invalid(key)) })
}

fn zero_or_one(v: &Value) -> bool {
    matches!(v.as_u64(), Some(0 | 1))
}

fn integer(v: &Value) -> bool {
    v.as_u64().is_some()
}

fn integers(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(integer))
}

impl PollSetup {
    /// Checks the poll JSON (E2E-11): `d` string, `s` and `a` 0 or 1, `t` integer, `c` a list of
    /// choices each with `i` integer, `n` string, `o` integer and optionally `r` (integers) and
    /// `t` (integer); optionally `u` and `o` integers and `p` a list of identities. Unknown
    /// fields are kept.
    ///
    /// # Errors
    /// [`E2eError::InvalidPoll`] naming the first bad field.
    pub fn new(poll_id: [u8; 8], poll: Map<String, Value>) -> Result<Self, E2eError> {
        need(&poll, "d", Value::is_string)?;
        need(&poll, "s", zero_or_one)?;
        need(&poll, "a", zero_or_one)?;
        need(&poll, "t", integer)?;
        may(&poll, "u", integer)?;
        may(&poll, "o", integer)?;
        may(&poll, "p", |v| {
            v.as_array().is_some_and(|ids| {
                ids.iter()
                    .all(|id| id.as_str().is_some_and(|s| s.parse::<Identity>().is_ok()))
            })
        })?;
        let choices = poll
            .get("c")
            .and_then(Value::as_array)
            .ok_or(invalid("c"))?;
        for choice in choices {
            let choice = choice.as_object().ok_or(invalid("c"))?;
            need(choice, "i", integer)?;
            need(choice, "n", Value::is_string)?;
            need(choice, "o", integer)?;
            may(choice, "r", integers)?;
            may(choice, "t", integer)?;
        }
        Ok(Self { poll_id, poll })
    }

    /// The poll JSON, every field in order.
    #[must_use]
    pub fn poll(&self) -> &Map<String, Value> {
        &self.poll
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.poll_id);
        out.extend_from_slice(to_canonical_json(&Value::Object(self.poll.clone())).as_bytes());
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, E2eError> {
        let mut reader = Reader::new(body);
        let poll_id = reader.array().map_err(|_| E2eError::InvalidBodyLength {
            what: "poll setup",
            len: body.len(),
        })?;
        Self::new(poll_id, parse_object(reader.rest(), "poll setup")?)
    }
}

/// A vote in a poll: the poll's creator and ID, and `[choice ID, chosen]` pairs (E2E-12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollVote {
    /// The identity that created the poll.
    pub creator: Identity,
    /// The poll ID.
    pub poll_id: [u8; 8],
    /// `(choice ID, chosen)` for the choices of the poll.
    pub votes: Vec<(u64, bool)>,
}

impl PollVote {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.creator.as_bytes());
        out.extend_from_slice(&self.poll_id);
        let list = self
            .votes
            .iter()
            .map(|(id, chosen)| Value::from(vec![Value::from(*id), Value::from(u8::from(*chosen))]))
            .collect();
        out.extend_from_slice(to_canonical_json(&Value::Array(list)).as_bytes());
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, E2eError> {
        let mut reader = Reader::new(body);
        let short = || E2eError::InvalidBodyLength {
            what: "poll vote",
            len: body.len(),
        };
        let creator = reader.take(8).map_err(|_| short())?;
        let creator = Identity::from_bytes(creator).map_err(|_| E2eError::InvalidIdentity {
            what: "poll creator",
        })?;
        let poll_id = reader.array().map_err(|_| short())?;
        let Value::Array(list) = parse(reader.rest(), "poll vote")? else {
            return Err(invalid("votes"));
        };
        let votes = list
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([id, chosen]) => match (id.as_u64(), chosen.as_u64()) {
                    (Some(id), Some(c @ (0 | 1))) => Ok((id, c == 1)),
                    _ => Err(invalid("votes")),
                },
                _ => Err(invalid("votes")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            creator,
            poll_id,
            votes,
        })
    }
}

/// The five voice-call signalling types (E2E-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// 0x60 call offer.
    Offer,
    /// 0x61 call answer.
    Answer,
    /// 0x62 ICE candidates.
    IceCandidate,
    /// 0x63 hang-up.
    Hangup,
    /// 0x64 ringing.
    Ringing,
}

impl CallKind {
    /// All kinds in code order.
    pub const ALL: [Self; 5] = [
        Self::Offer,
        Self::Answer,
        Self::IceCandidate,
        Self::Hangup,
        Self::Ringing,
    ];
}

/// A voice-call signalling body: a JSON object, checked to be one and carried as it is (E2E-17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSignal {
    /// Which signalling message.
    pub kind: CallKind,
    /// The JSON object.
    pub json: Map<String, Value>,
}

impl CallSignal {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(to_canonical_json(&Value::Object(self.json.clone())).as_bytes());
    }

    pub(crate) fn decode(kind: CallKind, body: &[u8]) -> Result<Self, E2eError> {
        Ok(Self {
            kind,
            json: parse_object(body, "call signalling")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_setup_checks_fields_and_round_trips() {
        let json = br#"{"d":"Lunch?","s":0,"a":0,"t":0,"o":0,"u":0,"c":[{"i":1,"n":"Pizza","o":0,"r":[],"t":0}]}"#;
        let body = [&[7u8; 8][..], json].concat();
        let setup = PollSetup::decode(&body).unwrap();
        let mut out = Vec::new();
        setup.encode_into(&mut out);
        assert_eq!(out, body);
        let bad = [&[7u8; 8][..], br#"{"d":"x","s":2,"a":0,"t":0,"c":[]}"#].concat();
        assert_eq!(PollSetup::decode(&bad), Err(invalid("s")));
    }

    #[test]
    fn poll_vote_round_trips() {
        let body = [&b"ECHOECHO"[..], &[1; 8], b"[[1,0],[2,1]]"].concat();
        let vote = PollVote::decode(&body).unwrap();
        assert_eq!(vote.votes, vec![(1, false), (2, true)]);
        let mut out = Vec::new();
        vote.encode_into(&mut out);
        assert_eq!(out, body);
        let bad = [&b"ECHOECHO"[..], &[1; 8], b"[[1,2]]"].concat();
        assert!(PollVote::decode(&bad).is_err());
    }
}
