//! saltrelay's test vectors: generation from fixed seeds and verification, one module per file.
//!
//! Every file uses the `kat_v1` envelope (spec/00-conventions.md, CONV-5): [`KatFile`] holds
//! it, [`case`] reads and builds the test cases, [`check`] decides whether our implementation
//! agrees with one case, [`registry`] lists every file with its generator and its check,
//! [`interface`] says what an interop peer is asked for each file and which capabilities each
//! case needs, [`verify`] runs them all and [`generate`] rebuilds them; [`live`] keeps the FS and
//! group step machines alive for the stateful interop operations (IOP-20). `vectors/README.md`
//! documents every file's fields and checks.
//!
//! # Adding a vector file
//!
//! The `saltrelay` release binary links this crate (for `saltrelay vectors generate` and
//! `verify`), so nothing here may enable `saltrelay-protocol`'s `test-support` feature: CI fails
//! if `cargo tree -e features -p saltrelay-cli` shows it. A new file follows one pattern:
//!
//! 1. A module `files/<area>_<name>.rs` with a `pub(crate) const FILE: VectorFile`, a `SEED`
//!    constant, a `generate()` that draws every random input from [`rng::seeded_rng`]`(SEED)`
//!    and writes each one out, and a `compute()` that rebuilds the case from its fields only.
//! 2. Randomness a function under test draws itself (ephemeral keys, nonces, padding) is
//!    captured with [`rng::RecordingRng`] when generating, written into the case as hex, and
//!    fed back with [`rng::ReplayRng`] in `compute()` ([`rng::ReplayRng::used_exactly`] says
//!    whether the function drew exactly those bytes). Never use `protocol::testing`.
//! 3. Secret keys have no `Clone`: keep the bytes (they are written into the case anyway) and
//!    rebuild the key with `SecretKey::from_bytes`, or `files::common::rebuilt_secret(&key)`
//!    where one key goes to two machines. Time is a `Timestamp` taken from the case.
//! 4. Register it in [`registry::FILES`], add its line to [`interface::INTERFACES`] (the
//!    capabilities its cases need and the fields an interop peer answers), give it a section in
//!    `vectors/README.md` and a checker in `crosscheck/checks/`, then run
//!    `saltrelay vectors generate`.

pub mod case;
pub mod check;
mod files;
pub mod generate;
pub mod interface;
pub mod kat_file;
pub mod live;
pub mod registry;
pub mod rng;
pub mod spec_ids;
pub mod verify;

pub use kat_file::KatFile;
