//! The kernel's cost of one frame on a loopback TCP connection (simulator/MODEL.md, VAL-9):
//! what the relay pays beside the cryptography for every frame it reads or writes (a
//! `write` or `read` system call and loopback TCP), measured on this machine.

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

#[cfg(test)]
mod tests {
    #[test]
    fn a_frame_costs_some_cpu() {
        let ns = super::ns_per_frame(1024, 20_000).expect("loopback works");
        // Only that it is a positive, finite figure: the value depends on the machine.
        assert!(ns.is_finite() && ns >= 0.0, "{ns}");
    }
}
