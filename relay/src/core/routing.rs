//! Which relay is a client's home (RELAY-2): jump consistent hashing of the identity.

/// The home relay of `identity` among `relay_count` relays, in `0..relay_count` (RELAY-2).
///
/// Jump consistent hashing (Lamping and Veach, 2014) of the identity's bytes read as `u64-le`
/// and mixed with the `SplitMix64` finaliser: uniform over relays, and growing the cluster from
/// `n` to `n + 1` relays moves only about `1 / (n + 1)` of the clients. A `relay_count` of 0 is
/// treated as 1.
#[must_use]
pub fn home_relay(identity: &[u8; 8], relay_count: u32) -> u32 {
    let mut key = mix64(u64::from_le_bytes(*identity));
    let buckets = i64::from(relay_count.max(1));
    let mut chosen: i64 = -1;
    let mut next: i64 = 0;
    while next < buckets {
        chosen = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        #[expect(
            clippy::cast_precision_loss,
            clippy::arithmetic_side_effects,
            reason = "the published algorithm works in f64; (key >> 33) + 1 is at most 2^31"
        )]
        let scale = (1_u64 << 31) as f64 / ((key >> 33) + 1) as f64;
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_precision_loss,
            clippy::arithmetic_side_effects,
            reason = "the published algorithm truncates the f64 product; values stay below 2^63, \
                      and chosen + 1 is at most u32::MAX"
        )]
        let jump = ((chosen + 1) as f64 * scale) as i64;
        next = jump;
    }
    u32::try_from(chosen).expect("the loop ran at least once, so 0 <= chosen < relay_count")
}

/// The `SplitMix64` finaliser: a bijective mix so that similar identities spread out.
const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
