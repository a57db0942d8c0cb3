//! Primitives (spec/01-primitives.md): X25519, the NaCl box, XSalsa20-Poly1305 and BLAKE2b.
//!
//! Nothing here draws randomness by itself: every function that needs it takes an RNG, so a
//! seed reproduces every output (PRIM-11). Secret types are wiped on drop and never printed.

mod error;
pub mod kdf;
pub mod labels;
mod nacl_box;
mod nonce;
pub(crate) mod secretbox;
mod x25519;

pub use error::CryptoError;
pub use kdf::{blake2b, derive_key};
pub use nacl_box::{BoxKey, hsalsa20};
pub use nonce::{NONCE_LEN, Nonce};
pub(crate) use secretbox::symmetric_key;
pub use secretbox::{SYMMETRIC_KEY_LEN, SecretBoxKey, TAG_LEN};
pub use x25519::{KEY_LEN, PublicKey, SecretKey, SharedSecret};

/// Compares two byte strings in constant time for equal lengths (PRIM-14). Lengths are public.
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}
