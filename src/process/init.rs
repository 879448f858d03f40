//! `--init`: runix stays in the container as its PID 1, as tini and `docker run --init` do.
//! The command runs as its child; PID 1 passes the signals on to it, reaps every orphan that
//! ends up with it (so no zombie piles up), and exits with the command's status.

use crate::error::Error;
use crate::sys;
use core::convert::Infallible;

/// Start `command(arg)` as a child and be its init. Returns only if the start fails.
pub fn run<T>(command: fn(&T) -> !, arg: &T) -> Result<Infallible, Error> {
    // A container process must not reach runix's own binary through /proc/1/exe, or write to
    // it (CVE-2019-5736): a process that is not dumpable cannot be ptrace-accessed, and
    // /proc/<pid>/exe needs that access.
    sys::prctl(libc::PR_SET_DUMPABLE, 0)?;
    let sigfd = sys::signalfd(sys::FORWARDED | sys::SIGCHLD_SET)?;
    let stack = sys::mmap_stack(64 * 1024)?;
    let pid = sys::clone(libc::SIGCHLD as u64, &stack, command, arg)?;
    // PID 1 never execs, so what CLOEXEC would close must be closed here: runix's end of the
    // channel (the command reports a failed execve to runix itself; this copy would hide the
    // channel's end) and runix's fds of host directories, which a process that can ptrace
    // PID 1 would reach through /proc/1/fd (CVE-2024-21626).
    crate::process::exec::close_fds(&[sigfd])?;
    loop {
        match sys::read_signal(sigfd)? {
            (libc::SIGCHLD, _) => {
                // Reap all that have ended: the command, and orphans reparented to PID 1.
                while let Ok((p @ 1.., status)) = sys::wait(-1, libc::WNOHANG) {
                    if p == pid {
                        sys::exit_group(super::exit_status(status));
                    }
                }
            }
            // What a terminal sends (^C, a resize) goes to its whole foreground process group,
            // the command with init: passed on, it would reach the command twice.
            (_, libc::SI_KERNEL) => {}
            (s, _) => {
                let _ = sys::kill(pid, s);
            }
        }
    }
}
