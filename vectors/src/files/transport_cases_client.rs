//! The client-side cases of `transport_transcripts.json` (TR-3, TR-5, TR-14, TR-17 to TR-31).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::transport::handshake;
use saltrelay_protocol::transport::payload::Payload;

use super::common::flip_bit;
use super::transport_common::Secrets;
use super::transport_runner::Step;
use super::transport_transcripts::{Gen, T, container, input};

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
pub(super) fn client_cases(g: &mut Gen, s: &Secrets) {
    let relay_key = [s.relay.public_key()];
    let server_hello = s.server_hello();
    let ack = s.login_ack(T + 1, 2);
    let incoming = s.relay_frame(3, &container(&Payload::IncomingMessage(vec![0x49; 90])));
    let done = s.relay_frame(4, &container(&Payload::QueueSendComplete));
    let hs = ["TR-5", "TR-14"];
    g.client(
        "login-ack, a queued message and queue-send-complete",
        &["Normal"],
        &["TR-5", "TR-6", "TR-7", "TR-9", "TR-14", "TR-20", "TR-22"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(2, &[ack.clone(), incoming.clone(), done.clone()].concat()),
        ],
    );
    let all = [server_hello.clone(), ack.clone(), incoming.clone()].concat();
    let bytewise: Vec<Step> = all
        .iter()
        .enumerate()
        .map(|(i, b)| input(1 + i as u64 / 64, &[*b]))
        .collect();
    g.client(
        "the same stream one byte per input",
        &["Split"],
        &["TR-31"],
        s,
        &relay_key,
        300,
        &bytewise,
    );
    let others: Vec<PublicKey> = (7u8..9)
        .map(|i| SecretKey::from_bytes([i; 32]).public_key())
        .collect();
    g.client(
        "the third relay key opens the server-hello",
        &["SeveralRelayKeys"],
        &["TR-5"],
        s,
        &[others[0], others[1], s.relay.public_key()],
        300,
        &[input(1, &server_hello), input(2, &ack)],
    );
    g.client(
        "an idle timeout of 60 s is requested after the login-ack",
        &["IdleTimeout"],
        &["TR-21"],
        s,
        &relay_key,
        60,
        &[input(1, &server_hello), input(2, &ack)],
    );
    let echo_back = s.relay_frame(
        3,
        &container(&Payload::EchoResponse(1u64.to_le_bytes().to_vec())),
    );
    g.client(
        "keep-alive after 150 s and its echo-response",
        &["KeepAlive"],
        &["TR-28"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(2, &ack),
            Step::Timeout(T + 2 + 150_000),
            input(150_010, &echo_back),
        ],
    );
    let relay_echo = s.relay_frame(3, &container(&Payload::EchoRequest(b"relay".to_vec())));
    g.client(
        "an echo-request from the relay is answered",
        &["Normal"],
        &["TR-19"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(2, &[ack.clone(), relay_echo].concat()),
        ],
    );

    let other = SecretKey::from_bytes([0x21; 32]);
    let challenge = handshake::server_challenge(&s.tsk.public_key(), &s.cck);
    g.client(
        "the server-hello sealed by an unknown relay key",
        &["WrongKey"],
        &["TR-5"],
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.sck, &other, &challenge))],
    );
    g.client(
        "the relay cookie equals the client cookie",
        &["CookieReuse"],
        &hs,
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.cck, &s.relay, &challenge))],
    );
    let wrong = handshake::server_challenge(&s.tsk.public_key(), &s.sck);
    g.client(
        "the server-hello repeats the wrong client cookie",
        &["CookieMismatch"],
        &hs,
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.sck, &s.relay, &wrong))],
    );
    let zero = handshake::server_challenge(&PublicKey::from_bytes([0; 32]), &s.cck);
    g.client(
        "an all-zero TSK",
        &["LowOrderPublic"],
        &["TR-6"],
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.sck, &s.relay, &zero))],
    );
    g.client(
        "a login-ack bit flipped",
        &["ModifiedTag"],
        &hs,
        s,
        &relay_key,
        300,
        &[input(1, &server_hello), input(2, &flip_bit(&ack, 20, 5))],
    );
    g.client(
        "a frame where the login-ack belongs",
        &["EarlyData"],
        &["TR-13", "TR-14"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(
                2,
                &s.relay_frame(2, &container(&Payload::IncomingMessage(vec![1; 40]))),
            ),
        ],
    );
    let up = [input(1, &server_hello), input(2, &ack)];
    let after = |steps: &[Step]| [up.to_vec(), steps.to_vec()].concat();
    g.client(
        "the same frame twice",
        &["Replayed"],
        &["TR-17"],
        s,
        &relay_key,
        300,
        &after(&[input(3, &incoming), input(4, &incoming)]),
    );
    g.client(
        "the frame with counter 4 first",
        &["Skipped"],
        &["TR-17"],
        s,
        &relay_key,
        300,
        &after(&[input(3, &done)]),
    );
    g.client(
        "outgoing_message from the relay",
        &["WrongDirection"],
        &["TR-18"],
        s,
        &relay_key,
        300,
        &after(&[input(
            3,
            &s.relay_frame(3, &container(&Payload::OutgoingMessage(vec![1]))),
        )]),
    );
    let close = Payload::CloseError {
        can_reconnect: false,
        message: "identity_taken: this identity is bound to another public key".into(),
    };
    g.client(
        "a close-error",
        &["CloseError"],
        &["TR-26"],
        s,
        &relay_key,
        300,
        &after(&[input(3, &s.relay_frame(3, &container(&close)))]),
    );
    g.client(
        "no server-hello before the deadline",
        &["Timeout"],
        &["TR-27"],
        s,
        &relay_key,
        300,
        &[Step::Timeout(T + 20_000)],
    );
    g.client(
        "an unanswered keep-alive",
        &["Timeout"],
        &["TR-28"],
        s,
        &relay_key,
        300,
        &after(&[
            Step::Timeout(T + 2 + 150_000),
            Step::Timeout(T + 2 + 180_000),
        ]),
    );
    g.client(
        "the stream ends inside the server-hello",
        &["Truncated"],
        &["TR-29"],
        s,
        &relay_key,
        300,
        &[input(1, &server_hello[..40]), Step::Eof(T + 2)],
    );
    g.client(
        "an idle timeout of 20 s in the configuration",
        &["IdleTimeout"],
        &["TR-21", "TR-30"],
        s,
        &relay_key,
        20,
        &[],
    );
}
