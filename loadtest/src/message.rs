//! Building the load's messages as `saltrelay send` does: a real outer message in payload
//! version 1, sealed for its recipient, with a text body of the drawn size (E2E-8, E2E-23).

use rand_chacha::ChaCha20Rng;
use saltrelay_protocol::crypto::{BoxKey, Nonce};
use saltrelay_protocol::e2e::{
    self, Message, MessageFlags, MessageId, OutgoingMessage, PayloadVersion,
};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

/// Seals one text message of `size` bytes from `sender` to `receiver`.
pub(crate) fn build(
    rng: &mut ChaCha20Rng,
    box_key: &BoxKey,
    sender: Identity,
    receiver: Identity,
    message_id: u64,
    size: usize,
    now: Timestamp,
) -> Result<Vec<u8>, e2e::E2eError> {
    let message = Message::Text("x".repeat(size));
    let pad = e2e::draw_padding_length(rng, message.body_len()?);
    let outgoing = OutgoingMessage {
        sender,
        receiver,
        message_id: MessageId::from_u64(message_id),
        created_at: now,
        flags: MessageFlags(MessageFlags::SEND_PUSH),
        nickname: None,
        version: PayloadVersion::MetadataBox,
        expire_after_seconds: None,
        message,
    };
    e2e::encode_payload(box_key, &outgoing, &Nonce::random(rng), pad)
}

/// A message ID unique in the run: the sender's number above, its counter below.
pub(crate) fn message_id(sender: usize, counter: u64) -> u64 {
    let sender = u64::try_from(sender).expect("usize fits u64");
    ((sender + 1) << 40) | (counter & ((1 << 40) - 1))
}

/// The mean length of the end-to-end payload the load test sends for a text body of `size`
/// bytes, over `samples` messages (the padding is random, E2E-29): the simulator's message
/// size is this plus the frame overhead (simulator/MODEL.md, VAL-3).
///
/// # Errors
/// [`e2e::E2eError`] if `size` cannot be sent as one text message.
pub fn mean_payload_len(size: usize, samples: usize) -> Result<f64, e2e::E2eError> {
    use rand_core::SeedableRng as _;
    use saltrelay_protocol::identity::IdentityKeys;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let sender = IdentityKeys::generate(&mut rng);
    let receiver = IdentityKeys::generate(&mut rng);
    let key = BoxKey::derive(sender.secret_key(), &receiver.public_key())?;
    let mut total = 0_usize;
    for i in 0..samples.max(1) {
        let payload = build(
            &mut rng,
            &key,
            sender.identity(),
            receiver.identity(),
            i as u64,
            size,
            Timestamp::from_millis(0),
        )?;
        total += payload.len();
    }
    Ok(total as f64 / samples.max(1) as f64)
}
