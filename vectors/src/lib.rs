//! saltrelay's test vectors: generation from fixed seeds and verification, one module per file.
//!
//! Every file uses the `kat_v1` envelope (spec/00-conventions.md, CONV-5): [`KatFile`] holds
//! it, [`case`] reads and builds the test cases, [`check`] decides whether our implementation
//! agrees with one case, [`registry`] lists every file with its generator and its check,
//! [`interface`] says what an interop peer is asked for each file and which capabilities each
//! case needs, [`verify`] runs them all and [`generate`] rebuilds them. `vectors/README.md`
//! documents every file's fields and checks.

pub mod case;
pub mod check;
mod files;
pub mod generate;
pub mod interface;
pub mod kat_dir;
pub mod kat_file;
pub mod registry;
pub mod spec_ids;
pub mod verify;

pub use kat_file::KatFile;
