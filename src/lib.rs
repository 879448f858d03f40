//! runix: a Linux container runtime in one tiny static executable.
//! `no_std` in the binary; the unit tests build it with std so they run under `cargo test`.
#![cfg_attr(not(test), no_std)]

pub mod buf;
pub mod caps;
pub mod cgroup;
pub mod cli;
pub mod error;
pub mod exec;
pub mod init;
#[macro_use]
pub mod log;
pub mod rootfs;
pub mod run;
pub mod seccomp;
pub mod spec;
pub mod sys;
pub mod tty;
pub mod user;
pub mod userns;

use cli::Command;

/// The program: a stack limit runix can live with first, while next to nothing is on the
/// stack (below it, the frames that follow would end in SIGSEGV); then the command.
pub fn main(args: sys::Args, env: sys::Args) -> i32 {
    if !stack_limit_ok() {
        return 125;
    }
    command(args, env)
}

/// Parse, dispatch, report an error once, and return the exit status.
#[inline(never)]
fn command(args: sys::Args, env: sys::Args) -> i32 {
    let r = match cli::parse(args, env) {
        Ok(Command::Help) => help(),
        Ok(Command::Version) => sys::write_all(1, cli::VERSION.as_bytes()).map(|_| 0),
        Ok(Command::Run(spec, out)) => {
            set_output(out);
            run::run(&spec)
        }
        Ok(Command::Cleanup(parent, out)) => {
            set_output(out);
            cgroup::cleanup(parent)
        }
        Err(e) => Err(e),
    };
    r.unwrap_or_else(|e| {
        log::error(&e);
        e.exit_code()
    })
}

fn set_output(out: cli::Output) {
    log::set_level(out.verbosity);
    sys::trace::set_mode(out.trace);
}

/// --help, written in one go from a buffer in a frame of its own: no other path has it on
/// its stack.
#[inline(never)]
fn help() -> Result<i32, error::Error> {
    let mut b = [0; 4096];
    let n = cli::usage(&mut b);
    sys::write_all(1, &b[..n]).map(|_| 0)
}

/// What runix may need of the stack the kernel gave it, whose size `ulimit -s` limits, in KiB.
/// Its deepest paths (making a cgroup, or --dry-run's child steps; tests/stack.rs) take 24,
/// and the kernel puts the arguments, the environment and a random gap of up to 8 KiB on the
/// same stack: 16 are left for the arguments and the environment.
const STACK_KIB: u64 = 48;

/// A stack limit too small for runix is said plainly, before anything is made, rather than
/// ending in a SIGSEGV halfway through (with cgroups left behind). A limit that cannot be read
/// is no reason to stop. Read before --trace is known: sys::trace keeps the call to show it.
fn stack_limit_ok() -> bool {
    let kib = sys::rlimit(libc::RLIMIT_STACK).unwrap_or(u64::MAX) >> 10;
    if kib < STACK_KIB {
        let mut l = log::Line::new();
        let _ = ufmt::uwrite!(l, "runix: stack limit {} KiB is below the {} KiB runix needs", kib, STACK_KIB);
        l.flush();
    }
    kib >= STACK_KIB
}
