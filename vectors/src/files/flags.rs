//! What every flag means: one sentence each, shared by all files so a flag means the same
//! everywhere (CONV-5).

/// The note for a shared `flag`; flags of one file only are described with
/// `FileBuilder::note` instead.
pub(crate) fn describe(flag: &str) -> Option<&'static str> {
    Some(match flag {
        "Normal" => "an ordinary input drawn from the file's seeded RNG",
        "EmptyMessage" => "the message is empty: the box is the 16-byte tag alone",
        "BlockBoundary" => "message length at or next to a multiple of the 64-byte cipher block",
        "LargeMessage" => "a message of 16 KiB or more",
        "ClampedBits" => {
            "the secret key has bits set that X25519 clamping ignores; the result equals the \
             clamped key's"
        }
        "PublicKeyTopBit" => {
            "bit 255 of the public key is set; X25519 masks it, so the result equals the \
             unmasked key's"
        }
        "NonCanonicalPublic" => {
            "the public key encodes a u-coordinate of at least p = 2^255 - 19; it is reduced \
             mod p"
        }
        "LowOrderPublic" => {
            "the public key has small order: the shared secret is all zero, so the key is \
             rejected (PRIM-5)"
        }
        "ZeroPublicKey" => "the public key is 32 zero bytes (the non-contributory key)",
        "WrongLength" => "an input has the wrong length and is rejected before any computation",
        "ModifiedTag" => "one bit of the Poly1305 tag is flipped",
        "ModifiedCiphertext" => "one bit of the ciphertext body is flipped",
        "ModifiedNonce" => "the box is opened with a different nonce",
        "WrongKey" => "the box is opened with a key other than the one that sealed it",
        "Truncated" => "bytes are missing from the end",
        "BothDirections" => "the same key derived from the other party's side",
        "Salt" => "a BLAKE2b salt is set",
        "Personal" => "a BLAKE2b personal string is set",
        "Keyed" => "a BLAKE2b key is set",
        "Unkeyed" => "no BLAKE2b key: key length 0 in the parameter block",
        "ShortOutput" => "a digest shorter than 32 bytes",
        "MultiBlock" => "the input spans more than one 128-byte BLAKE2b block",
        "Label" => "a key-derivation label the protocol uses (PRIM-10)",
        "Gateway" => "a gateway identity, starting with '*'",
        "Lowercase" => "the identity has a lowercase letter",
        "InvalidCharacter" => "the identity has a byte outside its alphabet",
        "NonAscii" => "the input is not ASCII",
        "DiscardedBytes" => "the random stream holds bytes >= 252 that generation discards",
        _ => return None,
    })
}
