//! `transport_frames.json`: frames after the handshake, one valid case per payload type and an
//! invalid case per frame or payload failure (TR-2, TR-16 to TR-25).

use saltrelay_protocol::crypto::{Nonce, TAG_LEN};
use saltrelay_protocol::transport::TransportError;
use saltrelay_protocol::transport::frame::{
    Cookie, CounterNonce, FrameDecoder, FrameKey, open_frame, seal_frame,
};
use saltrelay_protocol::transport::payload::{Direction, Payload, Role};

use super::FileBuilder;
use super::common::{flip_bit, hex_value, random_bytes};
use super::transport_common::{payload_json, sample_payloads};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "transport_frames.json",
    generate,
    compute,
};

const SEED: u64 = 0x7472_0002;
const UP: &str = "client_to_relay";
const DOWN: &str = "relay_to_client";

/// Reads the frame as the receiver would: length field, box under the counter (with the
/// replay window), container, direction.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let key = FrameKey::from_slice(&case.hex("key")?)
        .map_err(|_| Malformed::new("key", "not 32 bytes"))?;
    let cookie: Cookie = case
        .hex("cookie")?
        .try_into()
        .map_err(|_| Malformed::new("cookie", "not 16 bytes"))?;
    let counter = case.u64("counter")?;
    let sender = match case.str("direction")? {
        UP => Role::Client,
        DOWN => Role::Relay,
        _ => return Err(Malformed::new("direction", "unknown direction")),
    };
    let frame = case.hex("frame")?;
    Ok(match receive(&key, cookie, counter, sender, &frame) {
        Ok((container, payload)) => {
            let resealed = seal_frame(&key, &mut CounterNonce::new(cookie, counter), &container)
                .map_err(|e| Malformed::new("container", e.code()))?;
            Computed::Accepted(vec![
                ("container", hex_value(&container)),
                ("payload", payload_json(&payload)),
                ("frame", hex_value(resealed)),
            ])
        }
        Err(error) => Computed::Rejected(error.code()),
    })
}

fn receive(
    key: &FrameKey,
    cookie: Cookie,
    counter: u64,
    sender: Role,
    frame: &[u8],
) -> Result<(Vec<u8>, Payload), TransportError> {
    let mut decoder = FrameDecoder::new();
    decoder.push(frame);
    // TR-29: a frame cut short is what the receiver holds when the stream ends.
    let mut sealed = decoder
        .next_box()?
        .ok_or(TransportError::Truncated { message: "frame" })?;
    let container = open_frame(key, &mut CounterNonce::new(cookie, counter), &mut sealed)?.to_vec();
    let payload = Payload::decode(&container)?;
    let entry = payload.registry_entry();
    if !entry.direction.allows(sender) {
        return Err(TransportError::UnexpectedPayload {
            payload: entry.name,
        });
    }
    Ok((container, payload))
}

/// comment, flags, direction, counter, container.
type Special = (
    &'static str,
    &'static [&'static str],
    &'static str,
    u64,
    Vec<u8>,
);
/// comment, flags, spec refs, counter, frame, error.
type BadFrame = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    u64,
    Vec<u8>,
    &'static str,
);
/// comment, flags, direction, container, error.
type BadContainer = (
    &'static str,
    &'static [&'static str],
    &'static str,
    Vec<u8>,
    &'static str,
);

struct Ctx {
    key: FrameKey,
    cck: Cookie,
    sck: Cookie,
}

impl Ctx {
    fn cookie(&self, direction: &str) -> Cookie {
        if direction == UP { self.cck } else { self.sck }
    }

    fn case(
        &self,
        comment: &str,
        flags: &[&str],
        refs: &[&str],
        direction: &str,
        counter: u64,
        frame: &[u8],
    ) -> CaseBuilder {
        CaseBuilder::new(comment, flags, refs)
            .value("direction", direction)
            .hex("key", self.key.expose_secret())
            .hex("cookie", self.cookie(direction))
            .value("counter", counter)
            .hex("frame", frame)
    }

    fn seal(&self, direction: &str, counter: u64, container: &[u8]) -> Vec<u8> {
        seal_frame(
            &self.key,
            &mut CounterNonce::new(self.cookie(direction), counter),
            container,
        )
        .expect("fits")
    }

    /// A frame with any length field and body, sealed or not.
    fn raw(&self, direction: &str, counter: u64, container: &[u8]) -> Vec<u8> {
        let sealed = self.key.seal(
            &Nonce::from_cookie_and_counter(&self.cookie(direction), counter),
            container,
        );
        let mut out = u16::try_from(sealed.len())
            .unwrap_or(u16::MAX)
            .to_le_bytes()
            .to_vec();
        out.extend_from_slice(&sealed);
        out
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let ctx = Ctx {
        key: FrameKey::from_slice(&random_bytes(&mut rng, 32)).expect("32 bytes"),
        cck: random_bytes(&mut rng, 16).try_into().expect("16"),
        sck: random_bytes(&mut rng, 16).try_into().expect("16"),
    };
    let mut file = FileBuilder::new("CSP frames: u16-le length || XSalsa20-Poly1305 box of a payload container, cookie||counter nonce", SEED)
        .encoding("byte strings are lowercase hex; counter is the receiver's next counter for the sender (u64); payload is the decoded container (vectors/README.md)")
        .note("PayloadType", "one payload type of the registry, in a direction its sender may use")
        .note("Extension", "a saltrelay extension payload type")
        .note("ReservedBytes", "the container's reserved bytes are not zero; receivers ignore them")
        .note("MaxSize", "the largest frame: an 8192-byte box")
        .note("MinSize", "the smallest frame: a 20-byte box")
        .note("Counter", "a counter at an edge of its range")
        .note("Replayed", "the frame was sealed under an earlier counter")
        .note("Skipped", "the frame was sealed under a later counter")
        .note("Oversize", "the length field exceeds 8192")
        .note("Undersize", "the length field is below 20")
        .note("UnknownType", "a type code in no registry")
        .note("WrongDirection", "a registered type sent by the side that must not send it")
        .note("MalformedPayload", "the container data breaks its type's layout")
        .note("IdleTimeout", "a set_idle_timeout value at or past its bounds");
    for payload in sample_payloads(&mut rng) {
        let entry = payload.registry_entry();
        let directions: &[&str] = match entry.direction {
            Direction::Both => &[UP, DOWN],
            Direction::ClientToRelay => &[UP],
            Direction::RelayToClient => &[DOWN],
        };
        for &direction in directions {
            let container = payload.encode();
            let frame = ctx.seal(direction, 3, &container);
            let flags: &[&str] = if entry.extension {
                &["PayloadType", "Extension"]
            } else {
                &["PayloadType"]
            };
            let refs: &[&str] = &["TR-2", "TR-16", "TR-18", spec_ref(entry.code)];
            file.push(
                ctx.case(
                    &format!("{} (0x{:02x})", entry.name, entry.code),
                    flags,
                    refs,
                    direction,
                    3,
                    &frame,
                )
                .hex("container", &container)
                .value("payload", payload_json(&payload))
                .valid(),
            );
        }
    }
    let echo = Payload::EchoRequest(b"ping".to_vec()).encode();
    let valid_specials: Vec<Special> = vec![
        (
            "reserved bytes 01 02 03 are ignored",
            &["ReservedBytes"],
            UP,
            3,
            vec![0xd3, 1, 2, 3],
        ),
        (
            "an 8172-byte outgoing message fills an 8192-byte box",
            &["MaxSize"],
            UP,
            4,
            Payload::OutgoingMessage(random_bytes(&mut rng, 8172)).encode(),
        ),
        (
            "queue_send_complete is the smallest frame",
            &["MinSize"],
            DOWN,
            3,
            Payload::QueueSendComplete.encode(),
        ),
        (
            "idle timeout of 30 s",
            &["IdleTimeout"],
            UP,
            5,
            Payload::SetIdleTimeout(30).encode(),
        ),
        (
            "the last usable counter, 2^64 - 2",
            &["Counter"],
            UP,
            u64::MAX - 1,
            echo.clone(),
        ),
        ("counter 1", &["Counter"], DOWN, 1, echo.clone()),
    ];
    for (comment, flags, direction, counter, container) in valid_specials {
        let frame = ctx.seal(direction, counter, &container);
        let payload = Payload::decode(&container).expect("valid container");
        file.push(
            ctx.case(
                comment,
                flags,
                &["TR-2", "TR-16", "TR-18"],
                direction,
                counter,
                &frame,
            )
            .hex("container", &container)
            .value("payload", payload_json(&payload))
            .valid(),
        );
    }
    let good = ctx.seal(UP, 10, &echo);
    let other_key = FrameKey::from_bytes([0x42; 32]);
    let wrong_key =
        seal_frame(&other_key, &mut CounterNonce::new(ctx.cck, 10), &echo).expect("fits");
    let mut oversize = 8193u16.to_le_bytes().to_vec();
    oversize.extend_from_slice(&random_bytes(&mut rng, 8193));
    let mut undersize = 19u16.to_le_bytes().to_vec();
    undersize.extend_from_slice(&random_bytes(&mut rng, 19));
    let bad_frames: Vec<BadFrame> = vec![
        (
            "a tag bit flipped",
            &["ModifiedTag"],
            &["TR-17"],
            10,
            flip_bit(&good, 2, 0),
            "frame_auth_failed",
        ),
        (
            "a ciphertext bit flipped",
            &["ModifiedCiphertext"],
            &["TR-17"],
            10,
            flip_bit(&good, 2 + TAG_LEN, 3),
            "frame_auth_failed",
        ),
        (
            "sealed under another key",
            &["WrongKey"],
            &["TR-17"],
            10,
            wrong_key,
            "frame_auth_failed",
        ),
        (
            "sealed at counter 9, expected 10",
            &["Replayed"],
            &["TR-17"],
            10,
            ctx.seal(UP, 9, &echo),
            "frame_replayed",
        ),
        (
            "sealed 16 counters back, the edge of the window",
            &["Replayed"],
            &["TR-17"],
            26,
            ctx.seal(UP, 10, &echo),
            "frame_replayed",
        ),
        (
            "sealed 17 counters back, outside the window",
            &["Replayed"],
            &["TR-17"],
            27,
            ctx.seal(UP, 10, &echo),
            "frame_auth_failed",
        ),
        (
            "sealed at counter 11, expected 10",
            &["Skipped"],
            &["TR-17"],
            10,
            ctx.seal(UP, 11, &echo),
            "frame_skipped",
        ),
        (
            "sealed 16 counters ahead, the edge of the window",
            &["Skipped"],
            &["TR-17"],
            10,
            ctx.seal(UP, 26, &echo),
            "frame_skipped",
        ),
        (
            "sealed 17 counters ahead, outside the window",
            &["Skipped"],
            &["TR-17"],
            10,
            ctx.seal(UP, 27, &echo),
            "frame_auth_failed",
        ),
        (
            "the receiver's counter is 2^64 - 1",
            &["Counter"],
            &["TR-2"],
            u64::MAX,
            ctx.raw(UP, u64::MAX, &echo),
            "counter_overflow",
        ),
        (
            "length field 8193",
            &["Oversize"],
            &["TR-16"],
            10,
            oversize,
            "frame_too_large",
        ),
        (
            "length field 19",
            &["Undersize"],
            &["TR-16"],
            10,
            undersize,
            "frame_too_short",
        ),
        (
            "the last byte is missing",
            &["Truncated"],
            &["TR-16", "TR-29"],
            10,
            good[..good.len() - 1].to_vec(),
            "truncated",
        ),
    ];
    for (comment, flags, refs, counter, frame, error) in bad_frames {
        file.push(
            ctx.case(comment, flags, refs, UP, counter, &frame)
                .invalid(error),
        );
    }
    let identity_bytes = b"ECHOECHO".as_slice();
    let containers: Vec<BadContainer> = vec![
        (
            "type 0x99",
            &["UnknownType"],
            UP,
            vec![0x99, 0, 0, 0],
            "unknown_payload_type",
        ),
        (
            "type 0x04 just after Threema's 0x03",
            &["UnknownType"],
            DOWN,
            vec![0x04, 0, 0, 0, 1],
            "unknown_payload_type",
        ),
        (
            "type 0xff at the end of our block",
            &["UnknownType"],
            UP,
            vec![0xff, 0, 0, 0],
            "unknown_payload_type",
        ),
        (
            "outgoing_message from the relay",
            &["WrongDirection"],
            DOWN,
            Payload::OutgoingMessage(vec![1; 10]).encode(),
            "unexpected_payload",
        ),
        (
            "incoming_message from the client",
            &["WrongDirection"],
            UP,
            Payload::IncomingMessage(vec![1; 10]).encode(),
            "unexpected_payload",
        ),
        (
            "close_error from the client",
            &["WrongDirection"],
            UP,
            Payload::CloseError {
                can_reconnect: true,
                message: "x".into(),
            }
            .encode(),
            "unexpected_payload",
        ),
        (
            "key_lookup_request from the relay",
            &["WrongDirection", "Extension"],
            DOWN,
            Payload::KeyLookupRequest {
                request_id: 1,
                identity: "ECHOECHO".parse().expect("valid"),
            }
            .encode(),
            "unexpected_payload",
        ),
        (
            "message ack of 15 bytes",
            &["MalformedPayload"],
            DOWN,
            [&[0x81, 0, 0, 0][..], identity_bytes, &[0; 7]].concat(),
            "malformed_payload",
        ),
        (
            "message ack with a lowercase identity",
            &["MalformedPayload"],
            UP,
            [&[0x82, 0, 0, 0][..], b"echoecho", &[0; 8]].concat(),
            "malformed_payload",
        ),
        (
            "close_error text not UTF-8",
            &["MalformedPayload"],
            DOWN,
            vec![0xe0, 0, 0, 0, 1, 0xc3, 0x28],
            "malformed_payload",
        ),
        (
            "close_error without its can-reconnect byte",
            &["MalformedPayload"],
            DOWN,
            vec![0xe0, 0, 0, 0],
            "malformed_payload",
        ),
        (
            "queue_send_complete with a data byte",
            &["MalformedPayload"],
            DOWN,
            vec![0xd0, 0, 0, 0, 0],
            "malformed_payload",
        ),
        (
            "push token of 256 bytes",
            &["MalformedPayload"],
            UP,
            [&[0x20, 0, 0, 0, 0x11][..], &[0x61; 256]].concat(),
            "malformed_payload",
        ),
        (
            "delete_push_tokens of 9 bytes",
            &["MalformedPayload"],
            UP,
            [&[0x25, 0, 0, 0][..], &[1; 9]].concat(),
            "malformed_payload",
        ),
        (
            "idle timeout of 29 s",
            &["IdleTimeout"],
            UP,
            vec![0x30, 0, 0, 0, 29, 0],
            "invalid_idle_timeout",
        ),
        (
            "idle timeout of 601 s",
            &["IdleTimeout"],
            UP,
            vec![0x30, 0, 0, 0, 0x59, 0x02],
            "invalid_idle_timeout",
        ),
        (
            "idle timeout with a third byte",
            &["MalformedPayload"],
            UP,
            vec![0x30, 0, 0, 0, 60, 0, 0],
            "malformed_payload",
        ),
        (
            "blob upload with reserved flag 0x02",
            &["MalformedPayload", "Extension"],
            UP,
            vec![0xf2, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0x02],
            "malformed_payload",
        ),
        (
            "empty upload chunk",
            &["MalformedPayload", "Extension"],
            UP,
            vec![0xf3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
            "malformed_payload",
        ),
        (
            "lookup response status 0x02",
            &["MalformedPayload", "Extension"],
            DOWN,
            vec![0xf1, 0, 0, 0, 1, 0, 0, 0, 2],
            "malformed_payload",
        ),
        (
            "lookup response found but 31 key bytes",
            &["MalformedPayload", "Extension"],
            DOWN,
            [&[0xf1, 0, 0, 0, 1, 0, 0, 0, 0][..], &[7; 31]].concat(),
            "malformed_payload",
        ),
        (
            "upload response status 0x09",
            &["MalformedPayload", "Extension"],
            DOWN,
            vec![0xf4, 0, 0, 0, 1, 0, 0, 0, 9],
            "malformed_payload",
        ),
        (
            "blob_done with a 15-byte id",
            &["MalformedPayload", "Extension"],
            UP,
            [&[0xf8, 0, 0, 0][..], &[5; 15]].concat(),
            "malformed_payload",
        ),
    ];
    for (comment, flags, direction, container, error) in containers {
        let frame = ctx.seal(direction, 3, &container);
        file.push(
            ctx.case(comment, flags, &["TR-18", "TR-21"], direction, 3, &frame)
                .invalid(error),
        );
    }
    file.finish()
}

/// The paragraph that defines a payload type.
fn spec_ref(code: u8) -> &'static str {
    match code {
        0x00 | 0x80 => "TR-19",
        0x01 | 0x02 | 0x81 | 0x82 => "TR-20",
        0x03 | 0x20..=0x25 | 0x30 | 0x31 | 0xd1 => "TR-21",
        0xd0 | 0xd2 | 0xd3 | 0xe1 => "TR-22",
        0xe0 => "TR-26",
        0xf0 | 0xf1 => "TR-23",
        0xf2..=0xf4 => "TR-24",
        _ => "TR-25",
    }
}
