//! The network between a client and the reference relay, for the client-check faults no
//! conforming relay produces on purpose but every network does (IOP-19): a relay that hangs
//! after the login (a half-open connection), and a connection cut in the middle of a queued
//! delivery. The proxy reads the relay's bytes only to count them: the 80-byte server-hello
//! and the 32-byte login-ack (TR-4, TR-14), then frames by their length fields (TR-16). It
//! never opens a box.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The relay's bytes before its first frame: server-hello (TR-4) and login-ack (TR-14).
const HANDSHAKE: usize = 80 + 32;

/// What the proxy does to the relay's side of the connection.
#[derive(Debug, Clone, Copy)]
pub(super) enum Plan {
    /// Forwards the handshake, then nothing: the relay's later frames are read and dropped,
    /// the client's bytes still reach the relay, the client's socket stays open.
    SilentAfterLogin,
    /// Forwards the handshake and this many frames, then closes both sockets (no close-error).
    CutAfterFrames(usize),
}

/// A proxy on a free loopback port in front of `upstream`; it serves one connection.
pub(super) struct Proxy {
    pub(super) addr: String,
    task: JoinHandle<()>,
}

impl Proxy {
    pub(super) async fn start(upstream: &str, plan: Plan) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("proxy: {e}"))?;
        let addr: SocketAddr = listener.local_addr().map_err(|e| format!("proxy: {e}"))?;
        let upstream = upstream.to_owned();
        let task = tokio::spawn(async move {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let Ok(relay) = TcpStream::connect(upstream.as_str()).await else {
                return;
            };
            serve(client, relay, plan).await;
        });
        Ok(Self {
            addr: addr.to_string(),
            task,
        })
    }

    pub(super) fn stop(self) {
        self.task.abort();
    }
}

async fn serve(client: TcpStream, relay: TcpStream, plan: Plan) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut relay_read, mut relay_write) = relay.into_split();
    let upward = async {
        let _ = tokio::io::copy(&mut client_read, &mut relay_write).await;
    };
    let downward = async {
        let mut counter = Counter::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match relay_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let pass = counter.forwardable(&buf[..n], plan);
            if pass > 0 && client_write.write_all(&buf[..pass]).await.is_err() {
                return;
            }
            if let Plan::CutAfterFrames(frames) = plan
                && counter.frames >= frames
            {
                return;
            }
        }
    };
    match plan {
        // The client's side stays open until the scenario stops the proxy.
        Plan::SilentAfterLogin => {
            tokio::join!(upward, downward);
            std::future::pending::<()>().await;
        }
        // Whichever side ends first ends both: dropping the halves closes the sockets.
        Plan::CutAfterFrames(_) => {
            tokio::select! {
                () = upward => {}
                () = downward => {}
            }
        }
    }
}

/// Where the relay's byte stream stands: handshake bytes seen, complete frames seen, and the
/// bytes still owed to the frame in progress.
struct Counter {
    seen: usize,
    frames: usize,
    /// Bytes of the current frame still to come (its length field included until read).
    header: Vec<u8>,
    remaining: usize,
}

impl Counter {
    fn new() -> Self {
        Self {
            seen: 0,
            frames: 0,
            header: Vec::new(),
            remaining: 0,
        }
    }

    /// How many leading bytes of `chunk` to forward under `plan`, counting as it goes.
    fn forwardable(&mut self, chunk: &[u8], plan: Plan) -> usize {
        let mut pass = 0;
        for &byte in chunk {
            let allowed = match plan {
                Plan::SilentAfterLogin => self.seen < HANDSHAKE,
                Plan::CutAfterFrames(frames) => self.frames < frames,
            };
            if !allowed {
                break;
            }
            self.step(byte);
            pass += 1;
        }
        pass
    }

    fn step(&mut self, byte: u8) {
        if self.seen < HANDSHAKE {
            self.seen += 1;
            return;
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            if self.remaining == 0 {
                self.frames += 1;
            }
            return;
        }
        // TR-16: a two-byte little-endian length field, then that many bytes of box.
        self.header.push(byte);
        if let [low, high] = self.header[..] {
            self.remaining = usize::from(u16::from_le_bytes([low, high]));
            self.header.clear();
            if self.remaining == 0 {
                self.frames += 1;
            }
        }
    }
}
