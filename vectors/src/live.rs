//! Long-lived state machines for the stateful interop operations (spec/08-interop.md, IOP-20,
//! IOP-21): one side of forward secrecy and one group client, each created from a request
//! and stepped one request at a time. They run the very step code that computes
//! `fs_transcripts.json` and `group_scenarios.json`, so a step answered here is written
//! exactly as a step of those files.
//!
//! Randomness is the runner's (IOP-20): one byte string per machine, drawn in order across
//! all its steps, never ambient, so this module stays fit for the release binary.

use saltrelay_protocol::group::GroupClient;
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use serde_json::{Map, Value};

use crate::case::{Case, Malformed};
use crate::files::fs_common::identity;
use crate::files::fs_runner::Party;
use crate::files::group_runner::{run_input, step_outputs};
use crate::rng::ReplayRng;

/// The error code of a step that needed more random bytes than the machine was given (IOP-20).
pub const RANDOM_EXHAUSTED: &str = "random_exhausted";

/// What one step did (IOP-21): its outputs, and the error code when the step failed.
#[derive(Debug, Clone, PartialEq)]
pub struct StepAnswer {
    /// The step's fields as the vector file writes them, without `error`.
    pub output: Map<String, Value>,
    /// The code of the error that stopped the step, if it failed.
    pub error: Option<String>,
}

impl StepAnswer {
    fn from_map(mut output: Map<String, Value>) -> Self {
        let error = output
            .remove("error")
            .and_then(|e| e.as_str().map(str::to_owned));
        Self { output, error }
    }
}

/// One side of forward secrecy with one peer (`fs.session.new`, IOP-21).
pub struct FsSession {
    party: Party,
}

impl FsSession {
    /// Builds the side from `identity`, `secretKey`, `peer`, `peerPublicKey` and `random`.
    ///
    /// # Errors
    /// [`Malformed`] when a field is missing or not what it should be.
    pub fn new(input: Case<'_>) -> Result<Self, Malformed> {
        let me = identity(input.str("identity")?, "identity")?;
        let peer = identity(input.str("peer")?, "peer")?;
        let secret: [u8; 32] = input
            .hex("secretKey")?
            .try_into()
            .map_err(|_| Malformed::new("secretKey", "not 32 bytes"))?;
        let peer_public =
            saltrelay_protocol::crypto::PublicKey::from_slice(&input.hex("peerPublicKey")?)
                .map_err(|_| Malformed::new("peerPublicKey", "not 32 bytes"))?;
        let party = Party::new(me, secret, peer, peer_public, &input.hex("random")?)?;
        Ok(Self { party })
    }

    /// Runs one `fs_transcripts` step (without `actor`) and says what it did (FS-35, FS-36).
    ///
    /// # Errors
    /// [`Malformed`] when the step's input fields are missing or malformed.
    pub fn step(&mut self, input: Case<'_>) -> Result<StepAnswer, Malformed> {
        let mut answer = StepAnswer::from_map(self.party.apply(input)?);
        if self.party.rng.overrun() {
            answer.error = Some(RANDOM_EXHAUSTED.into());
        }
        Ok(answer)
    }
}

/// A group client (`group.client.new`, IOP-21, GRP-28).
pub struct GroupMachine {
    client: GroupClient,
    rng: ReplayRng,
}

impl GroupMachine {
    /// Builds the client of `me`, drawing from `random`.
    ///
    /// # Errors
    /// [`Malformed`] when `me` is not an identity or `random` not hex.
    pub fn new(input: Case<'_>) -> Result<Self, Malformed> {
        let me: Identity = identity(input.str("me")?, "me")?;
        Ok(Self {
            client: GroupClient::new(me),
            rng: ReplayRng::new(&input.hex("random")?),
        })
    }

    /// Runs one step, `input` at `at` (a `group_scenarios` step without `random`).
    ///
    /// # Errors
    /// [`Malformed`] when the step's fields are missing or malformed.
    pub fn step(&mut self, step: Case<'_>) -> Result<StepAnswer, Malformed> {
        let now = Timestamp::from_millis(step.u64("at")?);
        let input = step
            .value("input")?
            .as_object()
            .ok_or_else(|| Malformed::new("input", "not an object"))?;
        let result = run_input(&mut self.client, input, now, &mut self.rng)?;
        let output: Map<String, Value> = step_outputs(&self.client, &result)?
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let mut answer = StepAnswer::from_map(output);
        if self.rng.overrun() {
            answer.error = Some(RANDOM_EXHAUSTED.into());
        }
        Ok(answer)
    }
}
