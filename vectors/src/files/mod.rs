//! One module per vector file: its generator (fixed seed) and its check.

pub(crate) mod e2e_blob;
pub(crate) mod e2e_container;
pub(crate) mod e2e_messages;
pub(crate) mod e2e_open;
pub(crate) mod e2e_payload;
pub(crate) mod fs_envelope;
pub(crate) mod fs_kdf;
pub(crate) mod fs_transcripts;
pub(crate) mod group_scenarios;
pub(crate) mod identity_fingerprint;
pub(crate) mod identity_generate;
pub(crate) mod identity_key_file;
pub(crate) mod identity_parse;
pub(crate) mod poll_scenarios;
pub(crate) mod prim_blake2b;
pub(crate) mod prim_box;
pub(crate) mod prim_box_beforenm;
pub(crate) mod prim_box_large;
pub(crate) mod prim_kdf;
pub(crate) mod prim_keygen;
pub(crate) mod prim_secretbox;
pub(crate) mod prim_x25519;
pub(crate) mod transport_frames;
pub(crate) mod transport_handshake;
pub(crate) mod transport_transcripts;

mod builder;
mod common;
mod e2e_common;
mod flags;
pub(crate) mod fs_common;
pub(crate) mod fs_runner;
mod group_cases_creator;
mod group_cases_member;
mod group_cases_misc;
mod group_common;
pub(crate) mod group_runner;
mod low_order;
mod transport_cases_client;
mod transport_cases_relay;
mod transport_common;
mod transport_runner;

pub(crate) use builder::FileBuilder;
