//! runix's own messages to stderr (logs, trace lines, errors): never traced, so printing a
//! trace line does not trace itself. Each line is one write(2), so the parent's and the
//! child's lines never interleave mid-line.

use super::arch::nr;
use ufmt::uWrite;

/// write(2) of runix's own messages (logs, trace lines, errors) to stderr: not traced, so
/// printing a trace line does not trace itself.
pub fn write_diag(mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: buf is a live slice for the duration of the call.
        match unsafe { syscalls::syscall3(nr::write, 2, buf.as_ptr() as usize, buf.len()) } {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.into_raw() == libc::EINTR => {}
            Err(_) => return,
        }
    }
}

/// One line of output, written to stderr in one go; what does not fit ends in "...".
pub struct Line {
    buf: [u8; 512],
    len: usize,
    cut: bool,
}

impl Line {
    pub const fn new() -> Line {
        Line { buf: [0; 512], len: 0, cut: false }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Ends the line and writes it to fd 2. Errors writing to stderr have nowhere to go.
    pub fn flush(mut self) {
        if self.cut {
            self.len = self.buf.len() - 4;
            self.buf[self.len..self.len + 3].copy_from_slice(b"...");
            self.len += 3;
        }
        self.buf[self.len] = b'\n';
        write_diag(&self.buf[..self.len + 1]);
    }
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl uWrite for Line {
    type Error = core::convert::Infallible;
    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        // One byte stays free for the newline.
        let end = self.buf.len() - 1;
        let free = self.buf.get_mut(self.len..end).unwrap_or_default();
        let n = s.len().min(free.len());
        free[..n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        self.cut |= n < s.len();
        Ok(())
    }
}

/// int clock_gettime(CLOCK_REALTIME, struct __kernel_timespec *tp); seconds since the epoch.
/// Only for log lines and state timestamps, so not traced either.
pub fn realtime_secs() -> u64 {
    let mut ts = super::arch::Timespec { sec: 0, nsec: 0 };
    // SAFETY: ts is a live timespec the kernel fills.
    let _ = unsafe { syscalls::syscall2(nr::clock_gettime, libc::CLOCK_REALTIME as usize, &mut ts as *mut _ as usize) };
    ts.sec as u64
}
