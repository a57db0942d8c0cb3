//! The kernel's cost of one frame on a loopback TCP connection (simulator/MODEL.md, VAL-9):
//! what the relay pays beside the cryptography for every frame it reads or writes (a
//! `write` or `read` system call and loopback TCP), measured on this machine; and what a frame
//! costs when it finds its reader asleep (VAL-10, VAL-11): a thread wake-up in CPU and in time.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};

use crate::LoadError;

/// CPU nanoseconds per frame read or written: `frames` frames of `frame_len` bytes written
/// one `write` each on a loopback connection and read one `read_exact` each on the other
/// end, this process's CPU time (both ends) over twice the frame count.
///
/// A relay under load often reads several frames per system call, so this is an upper
/// bound for reads; writes are one call per frame in the relay too.
///
/// # Errors
/// [`LoadError::Io`] if the loopback connection fails.
pub fn ns_per_frame(frame_len: usize, frames: usize) -> Result<f64, LoadError> {
    let io = |e: std::io::Error| LoadError::io("loopback frame measurement", e);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let reader = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        let mut frame = vec![0_u8; frame_len];
        for _ in 0..frames {
            stream.read_exact(&mut frame)?;
        }
        Ok(())
    });
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let frame = vec![0x5a_u8; frame_len];
    let before = crate::cpu::self_secs();
    for _ in 0..frames {
        stream.write_all(&frame).map_err(io)?;
    }
    drop(stream);
    reader
        .join()
        .map_err(|_| {
            LoadError::io(
                "loopback frame measurement",
                std::io::Error::other("reader panicked"),
            )
        })?
        .map_err(io)?;
    let secs = crate::cpu::self_secs() - before;
    Ok(secs * 1e9 / (2 * frames.max(1)) as f64)
}

/// A loopback round trip through a sleeping reader at each end (VAL-10, VAL-11).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PingPong {
    /// Wall-clock nanoseconds per round trip: two loopback one-way trips, each ending in a
    /// wake-up of the reader (a parked tokio worker on one end, a blocked thread on the other).
    pub wall_ns: f64,
    /// CPU nanoseconds of this process per round trip (both ends: two frames written, two
    /// read, two wake-ups).
    pub cpu_ns: f64,
}

impl PingPong {
    /// CPU nanoseconds a frame costs beyond [`ns_per_frame`]'s streaming cost when it finds
    /// its reader asleep: `(cpu_ns − 4 · frame_io_ns) / 2`, at least 0 (VAL-10). A round
    /// trip is two frames, each written and read once (four times `frame_io_ns`).
    #[must_use]
    pub fn wakeup_ns(&self, frame_io_ns: f64) -> f64 {
        ((self.cpu_ns - 4.0 * frame_io_ns) / 2.0).max(0.0)
    }
}

/// `rounds` round trips of one `frame_len`-byte frame between a blocking thread and an echo
/// task on a two-worker tokio runtime (the relay's kind of runtime), one frame in flight at a
/// time, so every frame finds its reader asleep (VAL-10, VAL-11).
///
/// # Errors
/// [`LoadError::Io`] if the runtime or the loopback connection fails.
pub fn ping_pong(frame_len: usize, rounds: usize) -> Result<PingPong, LoadError> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let io = |e: std::io::Error| LoadError::io("loopback ping-pong", e);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .map_err(io)?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let echo = runtime.spawn(async move {
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let mut frame = vec![0_u8; frame_len];
        for _ in 0..rounds {
            stream.read_exact(&mut frame).await?;
            stream.write_all(&frame).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let mut frame = vec![0x5a_u8; frame_len];
    let (cpu_before, wall_before) = (crate::cpu::self_secs(), std::time::Instant::now());
    for _ in 0..rounds {
        stream.write_all(&frame).map_err(io)?;
        stream.read_exact(&mut frame).map_err(io)?;
    }
    let wall = wall_before.elapsed().as_secs_f64();
    let cpu = crate::cpu::self_secs() - cpu_before;
    runtime
        .block_on(echo)
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)?;
    let per = |secs: f64| secs * 1e9 / rounds.max(1) as f64;
    Ok(PingPong {
        wall_ns: per(wall),
        cpu_ns: per(cpu),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_frame_costs_some_cpu() {
        let ns = super::ns_per_frame(1024, 20_000).expect("loopback works");
        // Only that it is a positive, finite figure: the value depends on the machine.
        assert!(ns.is_finite() && ns >= 0.0, "{ns}");
    }

    #[test]
    fn a_round_trip_takes_time_and_cpu() {
        let p = super::ping_pong(1024, 2_000).expect("loopback works");
        assert!(p.wall_ns > 0.0 && p.cpu_ns >= 0.0, "{p:?}");
        // The wake-up share is what the round trip costs beyond four streamed frame ends.
        let q = super::PingPong {
            wall_ns: 1.0,
            cpu_ns: 50_000.0,
        };
        assert!((q.wakeup_ns(5_000.0) - 15_000.0).abs() < 1e-9);
        assert!(q.wakeup_ns(20_000.0).abs() < f64::EPSILON, "never negative");
    }
}
