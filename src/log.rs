//! A tiny logger in the original's format: `HH:MM:SS INFO  src/run.rs:42: message`.
//! `-v` shows INFO, `-vv` DEBUG. Each line is one write(2), so the parent's and the
//! child's lines never interleave mid-line.

use crate::error::Bytes;
use crate::sys;
pub use crate::sys::Line;
use core::sync::atomic::{AtomicU8, Ordering};
use ufmt::uWrite;

pub const ERROR: u8 = 0;
pub const INFO: u8 = 1;
pub const DEBUG: u8 = 2;

static LEVEL: AtomicU8 = AtomicU8::new(ERROR);

pub fn set_level(l: u8) {
    LEVEL.store(l, Ordering::Relaxed);
}

pub fn enabled(l: u8) -> bool {
    l <= LEVEL.load(Ordering::Relaxed)
}

/// The start of a log line: `HH:MM:SS LEVEL src/file.rs:LINE: ` (UTC: there is no tz database).
pub fn header(level: u8, file: &str, line: u32) -> Line {
    let mut l = Line::new();
    let t = sys::realtime_secs() % 86400;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    let two = |l: &mut Line, v: u64| {
        let _ = l.write_char((b'0' + (v / 10) as u8) as char);
        let _ = l.write_char((b'0' + (v % 10) as u8) as char);
    };
    two(&mut l, h);
    let _ = l.write_char(':');
    two(&mut l, m);
    let _ = l.write_char(':');
    two(&mut l, s);
    let _ = l.write_str(if level == DEBUG { " DEBUG " } else { " INFO  " });
    let _ = ufmt::uwrite!(l, "{}:{}: ", file, line);
    // Which side wrote it: the child's lines from its first step (sys::trace::set_child).
    let _ = l.write_str(if sys::trace::child() { "(child) " } else { "(parent) " });
    l
}

#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log_at!($crate::log::INFO, $($arg)*) };
}

#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log_at!($crate::log::DEBUG, $($arg)*) };
}

/// `info!("text ", value)` or `info!("text ", value, " unit")`: a message is text, one value
/// and an optional tail, so every log statement is one call to one of a few functions.
#[macro_export]
macro_rules! log_at {
    ($level:expr, $text:expr, $value:expr) => {
        $crate::log::Value::log(&$value, $level, file!(), line!(), $text, "")
    };
    ($level:expr, $text:expr, $value:expr, $tail:expr) => {
        $crate::log::Value::log(&$value, $level, file!(), line!(), $text, $tail)
    };
}

/// What a log line's value is: a number, or bytes (a path, a name). One `emit` for both.
pub trait Value {
    fn log(&self, level: u8, file: &str, line: u32, text: &str, tail: &str);
}

impl Value for u64 {
    fn log(&self, level: u8, file: &str, line: u32, text: &str, tail: &str) {
        emit_number(level, file, line, text, *self, tail)
    }
}

impl Value for Bytes<'_> {
    fn log(&self, level: u8, file: &str, line: u32, text: &str, tail: &str) {
        emit(level, file, line, text, self.0, tail)
    }
}

#[inline(never)]
fn emit_number(level: u8, file: &str, line: u32, text: &str, value: u64, tail: &str) {
    emit(level, file, line, text, crate::text::itoa(value, &mut [0; 20]), tail)
}

/// One log line, when its level is on.
#[inline(never)]
pub fn emit(level: u8, file: &str, line: u32, text: &str, value: &[u8], tail: &str) {
    if enabled(level) {
        let mut l = header(level, file, line);
        let _ = ufmt::uwrite!(l, "{}{}{}", text, Bytes(value), tail);
        l.flush();
    }
}

/// Print an error the one time it is printed: `runix: <error>`.
pub fn error(e: &crate::error::Error) {
    error_line(e).flush();
}

/// `runix: <error>`, the line `error` prints.
#[inline(never)]
pub fn error_line(e: &crate::error::Error) -> Line {
    let mut l = Line::new();
    let _ = ufmt::uwrite!(l, "runix: {}", e);
    l
}

/// Print a plain message line to stderr (help, warnings).
pub fn say(s: &str) {
    sys::write_diag(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_which_side_wrote_it() {
        let parent = header(INFO, "src/log.rs", 7);
        assert!(parent.bytes().ends_with(b" INFO  src/log.rs:7: (parent) "));
        sys::trace::set_child(true);
        let child = header(DEBUG, "src/log.rs", 7);
        sys::trace::set_child(false);
        assert!(child.bytes().ends_with(b" DEBUG src/log.rs:7: (child) "));
    }
}
