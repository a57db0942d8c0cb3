//! The small-order X25519 u-coordinates (and non-canonical encodings of them) used by negative
//! cases: with a clamped scalar, each gives an all-zero result (PRIM-5).

/// Name and little-endian encoding of each small-order point.
pub(crate) const POINTS: &[(&str, &str)] = &[
    ("u = 0", "0000000000000000000000000000000000000000000000000000000000000000"),
    ("u = 1", "0100000000000000000000000000000000000000000000000000000000000000"),
    ("order-8 point (libsodium blacklist)", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    ("order-8 point (libsodium blacklist)", "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    ("u = p - 1 (order 2)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("u = p, non-canonical 0", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("u = p + 1, non-canonical 1", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("u = 1 with bit 255 set", "0100000000000000000000000000000000000000000000000000000000000080"),
];

/// The decoded points.
pub(crate) fn points() -> impl Iterator<Item = (&'static str, [u8; 32])> {
    POINTS.iter().map(|(name, hex)| {
        let bytes = hex::decode(hex).expect("constant hex");
        (*name, bytes.try_into().expect("constant has 32 bytes"))
    })
}
