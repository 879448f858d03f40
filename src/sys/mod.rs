//! The system-call layer: the only module with raw syscalls, and the only one with `unsafe`
//! (the error type's packed name and path slots included: sys/error).
//!
//! Each wrapper is named after its syscall, documents the C prototype and man page, and returns
//! `Result<_, Error>` carrying the syscall name, errno and the path it was about. Every call
//! passes through [`call`], which is where `--trace` and `--dry-run` hook in, so nothing can
//! bypass them, and where a failure becomes an Error (named and shown by trace.rs's table).
//!
//! The wrappers by kernel area: fs.rs (files and fds), mount.rs (mounts, roots, namespaces),
//! proc.rs (processes, signals, clocks), privs.rs (ids, capabilities, seccomp, rlimits),
//! channel.rs (the socket pair between runix and the container's process). Besides: args.rs
//! (argv and envp), diag.rs (runix's own lines on stderr), trace.rs (--trace and --dry-run),
//! record.rs (the tests' backend), arch/ (all that differs between CPUs), start.rs (the
//! entry), mem.rs (memcpy & co.), once.rs (large statics).

mod args;
pub mod arch;
pub mod channel;
mod diag;
pub mod error;
mod fs;
#[cfg(not(test))]
mod mem;
mod mount;
pub mod once;
mod privs;
mod proc;
#[cfg(test)]
pub mod record;
#[cfg(not(test))]
mod start;
pub mod trace;

pub use args::{Args, CList, cstr_in};
pub use channel::{peer_alive, socketpair};
pub use diag::{Line, realtime_secs, write_diag};
pub use fs::*;
pub use mount::*;
pub use once::{Once, carve};
pub use privs::*;
pub use proc::*;

use crate::error::Error;
use core::ffi::CStr;
use syscalls::Sysno;

pub type Fd = i32;
pub const AT_FDCWD: Fd = libc::AT_FDCWD;

/// Values that any bytes make, with no padding between or after their fields: integers, and
/// arrays and `repr(C)` structs of them. Only these may be filled from bytes (ioctl_with,
/// read_plain).
///
/// # Safety
///
/// Implement it only for such types.
pub unsafe trait Plain {}

// SAFETY: integers, arrays of integers, and repr(C) structs of integers whose fields leave no
// gap (Termios: four u32, then 20 bytes; sock_filter: u16, u8, u8, u32).
unsafe impl Plain for u8 {}
unsafe impl Plain for i32 {}
unsafe impl Plain for u32 {}
unsafe impl Plain for [u16; 4] {}
unsafe impl Plain for arch::Termios {}
unsafe impl Plain for libc::sock_filter {}

fn s(c: &CStr) -> usize {
    c.as_ptr() as usize
}

fn os(c: Option<&CStr>) -> usize {
    c.map_or(0, s)
}

fn p<T>(r: &T) -> usize {
    r as *const T as usize
}

/// For a value the kernel writes into.
fn pm<T>(r: &mut T) -> usize {
    r as *mut T as usize
}

/// Issue one syscall: the single door to the kernel, and where --trace and --dry-run hook in.
/// The wrappers below pass what each syscall's prototype takes: integers, or pointers to live
/// values (trace.rs has the table of how each one shows). A failure comes back as an Error
/// named after the call, about its path argument, if it has one.
#[inline(never)]
pub fn call5(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> Result<usize, Error> {
    let a = [a0, a1, a2, a3, a4, 0];
    let r = if trace::mode() == trace::OFF { raw(nr, &a) } else { trace::call(nr, &a) };
    if trace::failed(r) {
        return Err(trace::error(nr, &a, r));
    }
    Ok(r as usize)
}

/// `call5` for the syscalls of up to four arguments (all but mount and mmap): the fifth would
/// be passed on the stack.
#[inline(never)]
pub fn call(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<usize, Error> {
    call5(nr, a0, a1, a2, a3, 0)
}

/// `call` for the syscalls whose result is only success or failure.
#[inline(never)]
pub fn call0(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<(), Error> {
    call5(nr, a0, a1, a2, a3, 0).map(drop)
}

/// `call` for the syscalls that return a file descriptor.
#[inline(never)]
pub fn call_fd(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<Fd, Error> {
    call5(nr, a0, a1, a2, a3, 0).map(|fd| fd as Fd)
}

/// Where the door leads: the kernel, or in test builds, the recording backend (record.rs),
/// which passes calls on to the kernel only when no recording is on.
#[cfg(not(test))]
use kernel as raw;
#[cfg(test)]
use record::call as raw;

/// The syscall itself: the kernel's return value, -errno on failure.
fn kernel(nr: Sysno, a: &[usize; 6]) -> isize {
    // SAFETY: every argument is a plain integer or a pointer to a live value (C string,
    // buffer, struct) of the kind the syscall's prototype takes, valid for the call.
    unsafe { syscalls::raw::syscall6(nr as usize, a[0], a[1], a[2], a[3], a[4], a[5]) as isize }
}

