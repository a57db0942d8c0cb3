//! BLAKE2b with key, salt and personal (PRIM-8) and the key derivation built on it (PRIM-9).

use blake2::Blake2bMac;
use blake2::digest::Mac;
use blake2::digest::array::ArraySize;
use blake2::digest::consts::{
    U1, U2, U3, U4, U5, U6, U7, U8, U9, U10, U11, U12, U13, U14, U15, U16, U17, U18, U19, U20,
    U21, U22, U23, U24, U25, U26, U27, U28, U29, U30, U31, U32, U33, U34, U35, U36, U37, U38, U39,
    U40, U41, U42, U43, U44, U45, U46, U47, U48, U49, U50, U51, U52, U53, U54, U55, U56, U57, U58,
    U59, U60, U61, U62, U63, U64,
};
use blake2::digest::typenum::{IsLessOrEqual, True};
use zeroize::Zeroizing;

use super::CryptoError;
use super::labels::Label;

/// Longest BLAKE2b key, and longest digest, in bytes.
pub const BLAKE2B_MAX_LEN: usize = 64;
/// Longest BLAKE2b salt or personal string; shorter ones are zero-padded to this length.
pub const BLAKE2B_SALT_LEN: usize = 16;
/// Length of a derived key.
pub const DERIVED_KEY_LEN: usize = 32;

/// BLAKE2b of `input` into `out` (1 to 64 bytes), keyed when `key` is non-empty (PRIM-8).
///
/// # Errors
/// [`CryptoError::InvalidLength`] for a key over 64 bytes, a salt or personal string over 16,
/// or an output length outside 1..=64.
pub fn blake2b(
    out: &mut [u8],
    key: &[u8],
    salt: &[u8],
    personal: &[u8],
    input: &[u8],
) -> Result<(), CryptoError> {
    check_len("key", key.len(), 0, BLAKE2B_MAX_LEN)?;
    check_len("salt", salt.len(), 0, BLAKE2B_SALT_LEN)?;
    check_len("personal", personal.len(), 0, BLAKE2B_SALT_LEN)?;
    // PRIM-8: an empty key means unkeyed (key length 0 in the parameter block).
    let key = (!key.is_empty()).then_some(key);
    macro_rules! by_len {
        ($($n:literal => $u:ty),* $(,)?) => {
            match out.len() {
                $($n => mac::<$u>(out, key, salt, personal, input),)*
                len => Err(CryptoError::InvalidLength { what: "output", len }),
            }
        };
    }
    by_len!(
        1 => U1, 2 => U2, 3 => U3, 4 => U4, 5 => U5, 6 => U6, 7 => U7, 8 => U8, 9 => U9,
        10 => U10, 11 => U11, 12 => U12, 13 => U13, 14 => U14, 15 => U15, 16 => U16, 17 => U17,
        18 => U18, 19 => U19, 20 => U20, 21 => U21, 22 => U22, 23 => U23, 24 => U24, 25 => U25,
        26 => U26, 27 => U27, 28 => U28, 29 => U29, 30 => U30, 31 => U31, 32 => U32, 33 => U33,
        34 => U34, 35 => U35, 36 => U36, 37 => U37, 38 => U38, 39 => U39, 40 => U40, 41 => U41,
        42 => U42, 43 => U43, 44 => U44, 45 => U45, 46 => U46, 47 => U47, 48 => U48, 49 => U49,
        50 => U50, 51 => U51, 52 => U52, 53 => U53, 54 => U54, 55 => U55, 56 => U56, 57 => U57,
        58 => U58, 59 => U59, 60 => U60, 61 => U61, 62 => U62, 63 => U63, 64 => U64,
    )
}

/// `BLAKE2b-256(key = key, salt = label.salt, personal = label.personal, input = empty)`
/// (PRIM-9). The result is wiped when dropped.
///
/// # Errors
/// [`CryptoError::InvalidLength`] when `key` is empty or longer than 64 bytes: a derivation
/// without key material would be a constant.
pub fn derive_key(
    key: &[u8],
    label: &Label,
) -> Result<Zeroizing<[u8; DERIVED_KEY_LEN]>, CryptoError> {
    check_len("key", key.len(), 1, BLAKE2B_MAX_LEN)?;
    let mut out = Zeroizing::new([0u8; DERIVED_KEY_LEN]);
    blake2b(
        out.as_mut_slice(),
        key,
        label.salt.as_bytes(),
        label.personal.as_bytes(),
        &[],
    )?;
    Ok(out)
}

fn check_len(what: &'static str, len: usize, min: usize, max: usize) -> Result<(), CryptoError> {
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(CryptoError::InvalidLength { what, len })
    }
}

fn mac<N>(
    out: &mut [u8],
    key: Option<&[u8]>,
    salt: &[u8],
    personal: &[u8],
    input: &[u8],
) -> Result<(), CryptoError>
where
    N: ArraySize + IsLessOrEqual<U64, Output = True>,
{
    let mut state = Blake2bMac::<N>::new_with_salt_and_personal(key, salt, personal).map_err(
        |_| CryptoError::InvalidLength {
            what: "key",
            len: key.map_or(0, <[u8]>::len),
        },
    )?;
    state.update(input);
    let digest = state.finalize().into_bytes();
    out.copy_from_slice(&digest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_lengths() {
        let mut out = [0u8; 65];
        assert_eq!(
            blake2b(&mut out, &[], &[], &[], b"").unwrap_err().code(),
            "invalid_length"
        );
        assert!(blake2b(&mut out[..32], &[0; 65], &[], &[], b"").is_err());
        assert!(blake2b(&mut out[..32], &[], &[0; 17], &[], b"").is_err());
        assert!(blake2b(&mut out[..32], &[], &[], &[0; 17], b"").is_err());
        assert!(blake2b(&mut out[..0], &[], &[], &[], b"").is_err());
        let label = Label { salt: "x", personal: "y" };
        assert!(derive_key(&[], &label).is_err());
    }

    #[test]
    fn abc_matches_rfc_7693() {
        let mut out = [0u8; 64];
        blake2b(&mut out, &[], &[], &[], b"abc").unwrap();
        assert_eq!(hex::encode(&out[..8]), "ba80a53f981c4d0d");
    }
}
