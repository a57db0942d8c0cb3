//! The relay-side cases of `transport_transcripts.json` (TR-4, TR-12 to TR-31).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::transport::LoginExtensions;
use saltrelay_protocol::transport::handshake;
use saltrelay_protocol::transport::payload::Payload;

use super::common::flip_bit;
use super::transport_common::Secrets;
use super::transport_runner::Step;
use super::transport_transcripts::{Gen, T, client_extensions, container, input};

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
pub(super) fn relay_cases(g: &mut Gen, s: &Secrets) {
    let ext = client_extensions(s);
    let hello = s.client_hello();
    let login = s.login(&ext);
    let mine = Some(s.client.public_key());
    let echo = s.client_frame(3, &container(&Payload::EchoRequest(b"rtt".to_vec())));
    let message = s.client_frame(4, &container(&Payload::OutgoingMessage(vec![0x4d; 100])));
    let hs = ["TR-4", "TR-12", "TR-14"];
    g.relay(
        "first login, an echo and a message",
        &["FirstLogin"],
        &["TR-4", "TR-12", "TR-14", "TR-15", "TR-19", "TR-20"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &login),
            input(3, &[echo.clone(), message.clone()].concat()),
        ],
    );
    let all = [hello.clone(), login.clone(), echo.clone()].concat();
    let bytewise: Vec<Step> = all
        .iter()
        .enumerate()
        .map(|(i, b)| input(1 + i as u64 / 64, &[*b]))
        .collect();
    g.relay(
        "the same stream one byte per input",
        &["Split"],
        &["TR-31"],
        s,
        None,
        &bytewise,
    );
    let bare = LoginExtensions {
        client_key: None,
        ..ext.clone()
    };
    g.relay(
        "a later login without the key uses the bound one",
        &["KnownKey"],
        &["TR-12", "TR-15"],
        s,
        mine,
        &[input(1, &hello), input(2, &s.login(&bare))],
    );
    let mut unknown = ext.encode();
    unknown.extend_from_slice(&[0x42, 3, 0, 1, 2, 3]);
    let len = u16::try_from(unknown.len() + 16).expect("short");
    let data = handshake::login_data(&s.client.identity(), len, &s.sck, &s.vouch());
    g.relay(
        "an unknown extension is skipped",
        &["UnknownExtension"],
        &["TR-10"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &s.login_with(&data, Some(&unknown))),
        ],
    );
    let mut legacy = handshake::login_data(&s.client.identity(), 0, &s.sck, &s.vouch());
    legacy[8..40].copy_from_slice(&[0; 32]);
    legacy[8..20].copy_from_slice(b"4.9A;A;de/CH");
    let legacy_echo = s.client_frame(2, &container(&Payload::EchoRequest(vec![7])));
    g.relay(
        "a legacy login without extensions; its frames count from 2",
        &["Legacy", "KnownKey"],
        &["TR-8", "TR-9", "TR-12"],
        s,
        mine,
        &[
            input(1, &hello),
            input(2, &s.login_with(&legacy, None)),
            input(3, &legacy_echo),
        ],
    );

    let mut small = hello.clone();
    small[..32].copy_from_slice(&[0; 32]);
    g.relay(
        "client-hello with an all-zero TCK",
        &["LowOrderPublic"],
        &["TR-4"],
        s,
        None,
        &[input(1, &small)],
    );
    g.relay(
        "a login-data box bit flipped",
        &["ModifiedTag"],
        &["TR-12"],
        s,
        None,
        &[input(1, &hello), input(2, &flip_bit(&login, 5, 1))],
    );
    g.relay(
        "a second client-hello where the login belongs",
        &["LoginTwice"],
        &["TR-12", "TR-13"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &[hello.clone(), hello.clone(), vec![0; 48]].concat()),
        ],
    );
    let vouch = s.vouch();
    let with_data = |identity: &[u8; 8], len: u16, sck: &[u8; 16], vouch: &[u8; 32], ext: &[u8]| {
        let mut data = handshake::login_data(&s.client.identity(), len, sck, vouch);
        data[..8].copy_from_slice(identity);
        s.login_with(&data, Some(ext))
    };
    let ext_bytes = ext.encode();
    let ext_len = u16::try_from(ext_bytes.len() + 16).expect("short");
    let id = *s.client.identity().as_bytes();
    let mut lower = id;
    lower[0] = lower[0].to_ascii_lowercase() | 0x20;
    g.relay(
        "a lowercase identity in the login",
        &["MalformedLogin"],
        &hs,
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&lower, ext_len, &s.sck, &vouch, &ext_bytes)),
        ],
    );
    g.relay(
        "an extensions length of 15",
        &["MalformedLogin"],
        &hs,
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&id, 15, &s.sck, &vouch, &ext_bytes)),
        ],
    );
    g.relay(
        "the login repeats the wrong relay cookie",
        &["CookieMismatch"],
        &hs,
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&id, ext_len, &s.cck, &vouch, &ext_bytes)),
        ],
    );
    g.relay(
        "an extensions box bit flipped",
        &["ModifiedTag"],
        &hs,
        s,
        None,
        &[input(1, &hello), input(2, &flip_bit(&login, 150, 0))],
    );
    let bad_ext = [ext_bytes.clone(), vec![0x02, 2, 0, 1, 1]].concat();
    let bad_len = u16::try_from(bad_ext.len() + 16).expect("short");
    g.relay(
        "a payload version of two bytes",
        &["MalformedExtensions"],
        &["TR-10", "TR-12"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&id, bad_len, &s.sck, &vouch, &bad_ext)),
        ],
    );
    g.relay(
        "a byte after the login, before the login-ack",
        &["EarlyData"],
        &["TR-13"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &[login.clone(), vec![0]].concat()),
        ],
    );
    g.relay(
        "a login and a frame in one write",
        &["EarlyData"],
        &["TR-13"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &[login.clone(), echo.clone()].concat()),
        ],
    );
    g.relay(
        "no key offered and none bound",
        &["IdentityUnknown"],
        &["TR-15"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&bare))],
    );
    g.relay(
        "a vouch that is not the key's",
        &["VouchMismatch"],
        &["TR-7", "TR-12"],
        s,
        mine,
        &[
            input(1, &hello),
            input(2, &with_data(&id, ext_len, &s.sck, &[0x55; 32], &ext_bytes)),
        ],
    );
    let other = SecretKey::from_bytes([0x33; 32]).public_key();
    let offer_other = LoginExtensions {
        client_key: Some(other),
        ..ext.clone()
    };
    g.relay(
        "the offered key is not the one that vouched",
        &["VouchMismatch"],
        &["TR-7", "TR-12"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&offer_other))],
    );
    let offer_zero = LoginExtensions {
        client_key: Some(PublicKey::from_bytes([0; 32])),
        ..ext.clone()
    };
    g.relay(
        "the offered key is all zero",
        &["LowOrderPublic"],
        &["TR-7"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&offer_zero))],
    );
    let version = LoginExtensions {
        payload_version: Some(0x04),
        ..ext.clone()
    };
    g.relay(
        "payload version bit 2",
        &["UnsupportedVersion"],
        &["TR-11", "TR-12"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&version))],
    );
    g.relay(
        "the identity is bound to another key",
        &["IdentityTaken"],
        &["TR-15", "TR-26"],
        s,
        Some(other),
        &[input(1, &hello), input(2, &login)],
    );
    g.relay(
        "no login before the deadline",
        &["Timeout"],
        &["TR-27"],
        s,
        None,
        &[input(1, &hello), Step::Timeout(T + 20_000)],
    );
    g.relay(
        "the extensions box never completes before the deadline",
        &["Timeout"],
        &["TR-26", "TR-27"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &login[..150]),
            Step::Timeout(T + 20_000),
        ],
    );

    let up = [input(1, &hello), input(2, &login)];
    let after = |steps: &[Step]| [up.to_vec(), steps.to_vec()].concat();
    g.relay(
        "a forged frame",
        &["ModifiedTag"],
        &["TR-17", "TR-26"],
        s,
        None,
        &after(&[input(3, &flip_bit(&echo, 3, 2))]),
    );
    g.relay(
        "the same frame twice",
        &["Replayed"],
        &["TR-17"],
        s,
        None,
        &after(&[input(3, &echo), input(4, &echo)]),
    );
    g.relay(
        "the frame with counter 4 first",
        &["Skipped"],
        &["TR-17"],
        s,
        None,
        &after(&[input(3, &message)]),
    );
    g.relay(
        "length field 9000",
        &["Oversize"],
        &["TR-16"],
        s,
        None,
        &after(&[input(3, &[0x28, 0x23])]),
    );
    g.relay(
        "unknown payload type 0x99",
        &["UnknownType"],
        &["TR-18"],
        s,
        None,
        &after(&[input(3, &s.client_frame(3, &[0x99, 0, 0, 0]))]),
    );
    g.relay(
        "incoming_message from the client",
        &["WrongDirection"],
        &["TR-18"],
        s,
        None,
        &after(&[input(
            3,
            &s.client_frame(3, &container(&Payload::IncomingMessage(vec![1]))),
        )]),
    );
    g.relay(
        "idle timeout of 10 s",
        &["IdleTimeout"],
        &["TR-21"],
        s,
        None,
        &after(&[input(3, &s.client_frame(3, &[0x30, 0, 0, 0, 10, 0]))]),
    );
    g.relay(
        "nothing received for 300 s",
        &["Timeout"],
        &["TR-28"],
        s,
        None,
        &after(&[Step::Timeout(T + 2 + 300_000)]),
    );
    g.relay(
        "half a frame, then the end of the stream",
        &["Truncated"],
        &["TR-29"],
        s,
        None,
        &after(&[input(3, &echo[..10]), Step::Eof(T + 4)]),
    );
    g.relay(
        "the end of the stream between frames",
        &["Closed"],
        &["TR-29"],
        s,
        None,
        &after(&[Step::Eof(T + 3)]),
    );
    g.relay(
        "the login again after the login-ack",
        &["LoginTwice"],
        &["TR-13", "TR-16"],
        s,
        None,
        &after(&[input(3, &login)]),
    );
}
