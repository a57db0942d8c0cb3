//! The libsodium baseline: the same primitives through the system libsodium (Debian
//! `libsodium-dev`), measured in the same run as ours so every primitive row has a ratio.
//!
//! Why `unsafe` here and nowhere else: calling C needs it, and comparing against the
//! reference C implementation on the same machine in the same run is the point of the
//! baseline. The workspace forbids `unsafe_code`; this crate only denies it, and this module
//! alone allows it. Every wrapper below checks lengths before the call, so the safe functions
//! cannot make libsodium read or write out of bounds. Only bench targets include this module:
//! the crate's library (linked by the CLI) never needs libsodium.
#![allow(
    unsafe_code,
    reason = "FFI to the system libsodium, the baseline the benches compare against"
)]

use core::ffi::{CStr, c_char, c_int, c_ulonglong};

/// X25519 key and shared-secret length.
pub(crate) const KEY_LEN: usize = 32;
/// XSalsa20 nonce length.
pub(crate) const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub(crate) const TAG_LEN: usize = 16;
/// BLAKE2b salt and personal length (libsodium reads exactly 16 bytes of each).
pub(crate) const SALT_LEN: usize = 16;

#[link(name = "sodium")]
unsafe extern "C" {
    fn sodium_init() -> c_int;
    fn sodium_version_string() -> *const c_char;
    fn crypto_scalarmult_base(q: *mut u8, n: *const u8) -> c_int;
    fn crypto_scalarmult(q: *mut u8, n: *const u8, p: *const u8) -> c_int;
    fn crypto_box_beforenm(k: *mut u8, pk: *const u8, sk: *const u8) -> c_int;
    fn crypto_box_easy_afternm(
        c: *mut u8,
        m: *const u8,
        mlen: c_ulonglong,
        n: *const u8,
        k: *const u8,
    ) -> c_int;
    fn crypto_box_open_easy_afternm(
        m: *mut u8,
        c: *const u8,
        clen: c_ulonglong,
        n: *const u8,
        k: *const u8,
    ) -> c_int;
    fn crypto_secretbox_easy(
        c: *mut u8,
        m: *const u8,
        mlen: c_ulonglong,
        n: *const u8,
        k: *const u8,
    ) -> c_int;
    fn crypto_secretbox_open_easy(
        m: *mut u8,
        c: *const u8,
        clen: c_ulonglong,
        n: *const u8,
        k: *const u8,
    ) -> c_int;
    fn crypto_generichash_blake2b_salt_personal(
        out: *mut u8,
        outlen: usize,
        input: *const u8,
        inlen: c_ulonglong,
        key: *const u8,
        keylen: usize,
        salt: *const u8,
        personal: *const u8,
    ) -> c_int;
}

/// Initialises libsodium (idempotent) and returns "libsodium <version>".
pub(crate) fn init() -> String {
    // SAFETY: sodium_init takes no arguments and may be called more than once.
    let status = unsafe { sodium_init() };
    assert!(status >= 0, "sodium_init failed");
    // SAFETY: libsodium returns a pointer to a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(sodium_version_string()) };
    format!("libsodium {}", version.to_string_lossy())
}

fn len_u64(len: usize) -> c_ulonglong {
    c_ulonglong::try_from(len).expect("usize fits in unsigned long long")
}

/// `crypto_scalarmult_base`: the X25519 public key of `secret`.
pub(crate) fn scalarmult_base(secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let mut public = [0u8; KEY_LEN];
    // SAFETY: both pointers address 32 valid bytes, as the function requires.
    let status = unsafe { crypto_scalarmult_base(public.as_mut_ptr(), secret.as_ptr()) };
    assert_eq!(status, 0, "crypto_scalarmult_base failed");
    public
}

/// `crypto_scalarmult`: X25519; `None` for an all-zero result, as libsodium reports it.
pub(crate) fn scalarmult(secret: &[u8; KEY_LEN], public: &[u8; KEY_LEN]) -> Option<[u8; KEY_LEN]> {
    let mut shared = [0u8; KEY_LEN];
    // SAFETY: all three pointers address 32 valid bytes.
    let status =
        unsafe { crypto_scalarmult(shared.as_mut_ptr(), secret.as_ptr(), public.as_ptr()) };
    (status == 0).then_some(shared)
}

/// `crypto_box_beforenm`: the box key; `None` for a small-order public key.
pub(crate) fn box_beforenm(
    public: &[u8; KEY_LEN],
    secret: &[u8; KEY_LEN],
) -> Option<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    // SAFETY: all three pointers address 32 valid bytes.
    let status = unsafe { crypto_box_beforenm(key.as_mut_ptr(), public.as_ptr(), secret.as_ptr()) };
    (status == 0).then_some(key)
}

/// `crypto_box_easy_afternm` into `out` (exactly `message.len() + 16` bytes).
pub(crate) fn box_seal(
    out: &mut [u8],
    message: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &[u8; KEY_LEN],
) {
    assert_eq!(
        out.len(),
        message.len() + TAG_LEN,
        "output must be message + tag"
    );
    // SAFETY: `out` holds mlen + 16 bytes, `message` mlen, nonce 24 and key 32; the buffers
    // are distinct Rust borrows, so they do not overlap.
    let status = unsafe {
        crypto_box_easy_afternm(
            out.as_mut_ptr(),
            message.as_ptr(),
            len_u64(message.len()),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert_eq!(status, 0, "crypto_box_easy_afternm failed");
}

/// `crypto_box_open_easy_afternm` into `out` (exactly `sealed.len() - 16` bytes); `false`
/// when the tag does not verify.
pub(crate) fn box_open(
    out: &mut [u8],
    sealed: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &[u8; KEY_LEN],
) -> bool {
    assert_eq!(
        out.len() + TAG_LEN,
        sealed.len(),
        "output must be sealed - tag"
    );
    // SAFETY: `out` holds clen - 16 bytes, `sealed` clen >= 16, nonce 24, key 32; distinct
    // borrows, no overlap.
    let status = unsafe {
        crypto_box_open_easy_afternm(
            out.as_mut_ptr(),
            sealed.as_ptr(),
            len_u64(sealed.len()),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    status == 0
}

/// `crypto_box_easy_afternm` in place: `buffer` is 16 bytes of room then the message, as
/// `BoxKey::seal_in_place` takes it; afterwards it holds `tag || ciphertext`.
pub(crate) fn box_seal_in_place(buffer: &mut [u8], nonce: &[u8; NONCE_LEN], key: &[u8; KEY_LEN]) {
    let mlen = buffer
        .len()
        .checked_sub(TAG_LEN)
        .expect("buffer holds the tag room");
    let c = buffer.as_mut_ptr();
    // SAFETY: `c` addresses mlen + 16 bytes and `m = c + 16` the last mlen of them. libsodium
    // documents in-place use; with m = c + 16 the ciphertext lands exactly on the message.
    let status = unsafe {
        crypto_box_easy_afternm(
            c,
            c.add(TAG_LEN),
            len_u64(mlen),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert_eq!(status, 0, "crypto_box_easy_afternm failed");
}

/// `crypto_box_open_easy_afternm` in place: `buffer` holds `tag || ciphertext`; on success
/// `buffer[16..]` holds the message. `false` when the tag does not verify.
pub(crate) fn box_open_in_place(
    buffer: &mut [u8],
    nonce: &[u8; NONCE_LEN],
    key: &[u8; KEY_LEN],
) -> bool {
    assert!(buffer.len() >= TAG_LEN, "buffer holds the tag");
    let c = buffer.as_mut_ptr();
    // SAFETY: `c` addresses clen bytes and `m = c + 16` the last clen - 16 of them, exactly
    // where libsodium writes the message when opening in place.
    let status = unsafe {
        crypto_box_open_easy_afternm(
            c.add(TAG_LEN),
            c,
            len_u64(buffer.len()),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    status == 0
}

/// `crypto_secretbox_easy` into `out` (exactly `message.len() + 16` bytes).
pub(crate) fn secretbox_seal(
    out: &mut [u8],
    message: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &[u8; KEY_LEN],
) {
    assert_eq!(
        out.len(),
        message.len() + TAG_LEN,
        "output must be message + tag"
    );
    // SAFETY: as in `box_seal`.
    let status = unsafe {
        crypto_secretbox_easy(
            out.as_mut_ptr(),
            message.as_ptr(),
            len_u64(message.len()),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert_eq!(status, 0, "crypto_secretbox_easy failed");
}

/// `crypto_secretbox_open_easy` into `out` (exactly `sealed.len() - 16` bytes); `false`
/// when the tag does not verify.
pub(crate) fn secretbox_open(
    out: &mut [u8],
    sealed: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &[u8; KEY_LEN],
) -> bool {
    assert_eq!(
        out.len() + TAG_LEN,
        sealed.len(),
        "output must be sealed - tag"
    );
    // SAFETY: as in `box_open`.
    let status = unsafe {
        crypto_secretbox_open_easy(
            out.as_mut_ptr(),
            sealed.as_ptr(),
            len_u64(sealed.len()),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    status == 0
}

/// `crypto_generichash_blake2b_salt_personal` with a 1..=64-byte key and output.
pub(crate) fn blake2b(
    out: &mut [u8],
    key: &[u8],
    salt: &[u8; SALT_LEN],
    personal: &[u8; SALT_LEN],
    input: &[u8],
) {
    assert!((1..=64).contains(&out.len()), "output of 1 to 64 bytes");
    assert!(key.len() <= 64, "key of at most 64 bytes");
    // SAFETY: every pointer addresses the length passed with it; salt and personal are the
    // 16 bytes libsodium reads.
    let status = unsafe {
        crypto_generichash_blake2b_salt_personal(
            out.as_mut_ptr(),
            out.len(),
            input.as_ptr(),
            len_u64(input.len()),
            key.as_ptr(),
            key.len(),
            salt.as_ptr(),
            personal.as_ptr(),
        )
    };
    assert_eq!(status, 0, "crypto_generichash_blake2b_salt_personal failed");
}

/// A label string zero-padded to the 16 bytes libsodium reads (PRIM-8).
pub(crate) fn pad16(label: &str) -> [u8; SALT_LEN] {
    let mut padded = [0u8; SALT_LEN];
    padded[..label.len()].copy_from_slice(label.as_bytes());
    padded
}
