//! The clients' identities and who sends to whom: every identity from one seeded `ChaCha`
//! stream; each sender gets a few recipient groups with their box keys derived once, so a
//! message costs one seal, not one `X25519` (E2E-23).

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng as _, SeedableRng as _};
use saltrelay_protocol::crypto::BoxKey;
use saltrelay_protocol::identity::{Identity, IdentityKeys};

use crate::LoadError;

/// Recipient groups per sender: enough spread over the recipients, few box keys.
const TARGETS_PER_SENDER: usize = 4;

/// One recipient with the sender's box key for it.
pub(crate) struct Recipient {
    pub(crate) index: usize,
    pub(crate) identity: Identity,
    pub(crate) box_key: BoxKey,
}

/// Every client of a run and each sender's recipient groups.
pub(crate) struct Population {
    pub(crate) keys: Vec<IdentityKeys>,
    /// Per sender: `TARGETS_PER_SENDER` groups of `group_size` recipients.
    pub(crate) targets: Vec<Vec<Vec<Recipient>>>,
}

impl Population {
    /// `clients` identities; senders are `0..senders`, recipients are drawn from the
    /// non-senders when there are any, otherwise from every other client.
    pub(crate) fn new(
        seed: u64,
        clients: usize,
        senders: usize,
        group_size: usize,
    ) -> Result<Self, LoadError> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let keys: Vec<IdentityKeys> = (0..clients)
            .map(|_| IdentityKeys::generate(&mut rng))
            .collect();
        let pool: Vec<usize> = if clients > senders {
            (senders..clients).collect()
        } else {
            (0..clients).collect()
        };
        let mut targets = Vec::with_capacity(senders);
        for sender in 0..senders {
            let candidates: Vec<usize> = pool.iter().copied().filter(|&c| c != sender).collect();
            if candidates.len() < group_size {
                return Err(LoadError::Config(
                    "too few recipients for --group-size".into(),
                ));
            }
            let mut groups = Vec::with_capacity(TARGETS_PER_SENDER);
            for _ in 0..TARGETS_PER_SENDER {
                let start = pick(&mut rng, candidates.len());
                let group = (0..group_size)
                    .map(|k| {
                        let index = candidates[(start + k) % candidates.len()];
                        let box_key =
                            BoxKey::derive(keys[sender].secret_key(), &keys[index].public_key())
                                .map_err(|e| LoadError::Config(format!("box key: {e}")))?;
                        Ok(Recipient {
                            index,
                            identity: keys[index].identity(),
                            box_key,
                        })
                    })
                    .collect::<Result<Vec<_>, LoadError>>()?;
                groups.push(group);
            }
            targets.push(groups);
        }
        Ok(Self { keys, targets })
    }
}

/// A uniform index below `n` (`n` > 0); the modulo bias is irrelevant here.
fn pick(rng: &mut ChaCha20Rng, n: usize) -> usize {
    let n = u64::try_from(n).expect("usize fits u64");
    usize::try_from(rng.next_u64() % n).expect("below a usize")
}
