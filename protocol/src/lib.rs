//! The saltrelay protocol core: primitives, identities and (later) messages and transport.
//!
//! Sans-IO throughout: no sockets, no clock reads, no ambient randomness. Time arrives as a
//! [`time::Timestamp`] argument and randomness as an RNG argument, so every output can be
//! reproduced from a seed (spec/00-conventions.md, CONV-9).
//!
//! # Errors
//! Each public module has one error enum, split by cause (malformed input, forbidden peer
//! behaviour, authentication failure, caller misuse). Every variant has a stable `snake_case`
//! code (`code()`) that the test vectors and the CLI use (CONV-7). Authentication failures
//! carry no detail, and no error text holds secrets or plaintext.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod bytes;
pub mod crypto;
pub mod e2e;
pub mod group;
pub mod identity;
pub mod session;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod time;
pub mod transport;
