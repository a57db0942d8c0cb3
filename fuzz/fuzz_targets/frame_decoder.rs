//! Fuzz target: the frame decoder, frame opening and payload decoding (TR-16 to TR-18).
//!
//! Input: byte 0 picks the chunk size the stream is split into; the rest is the stream. Each
//! complete frame is opened under a fixed key with counters from 3 and its container decoded;
//! the bytes are also decoded directly as a container and as login extensions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saltrelay_protocol::transport::frame::{CounterNonce, FrameDecoder, FrameKey, open_frame};
use saltrelay_protocol::transport::{LoginExtensions, Payload};

fuzz_target!(|input: &[u8]| {
    let Some((&split, stream)) = input.split_first() else {
        return;
    };
    let _ = Payload::decode(stream);
    let _ = LoginExtensions::decode(stream);
    let key = FrameKey::from_bytes([0x46; 32]);
    let mut counter = CounterNonce::new([0x43; 16], 3);
    let mut decoder = FrameDecoder::new();
    for chunk in stream.chunks(usize::from(split).max(1)) {
        decoder.push(chunk);
        loop {
            match decoder.next_box() {
                Ok(Some(mut sealed)) => {
                    if let Ok(container) = open_frame(&key, &mut counter, &mut sealed) {
                        let _ = Payload::decode(container);
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
