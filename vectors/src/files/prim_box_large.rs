//! `prim_box_large.json`: `crypto_box` with a 1-MiB message (PRIM-13), kept apart so the
//! other files stay readable.

use super::FileBuilder;
use super::common::random_bytes;
use crate::KatFile;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_box_large.json",
    generate,
    compute: super::prim_box::compute,
};

const SEED: u64 = 0x7072_696d_0006;

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new("NaCl crypto_box with a 1 MiB message", SEED);
    let msg = random_bytes(&mut rng, 1 << 20);
    file.push(super::prim_box::sealed_case(
        &mut rng,
        &msg,
        "1 MiB (1,048,576-byte) message",
        &["LargeMessage"],
    ));
    file.finish()
}
