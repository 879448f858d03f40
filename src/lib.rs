//! runix: a Linux container runtime in one tiny static executable.
//! `no_std` in the binary; the unit tests build it with std so they run under `cargo test`.
#![cfg_attr(not(test), no_std)]

/// `invalid!("--pids")`: the error message `invalid --pids`, its first word kept as one byte
/// (sys/error's PREFIXES): the word is in the executable once, not in each of 80 messages.
macro_rules! invalid {
    ($s:literal) => {
        concat!("\u{1}", $s)
    };
}

/// `unsupported!("linux.sysctl")`: the message `unsupported linux.sysctl`, as `invalid!`.
macro_rules! unsupported {
    ($s:literal) => {
        concat!("\u{2}", $s)
    };
}

pub mod buf;
pub mod cgroup;
pub mod cli;
pub mod file;
#[macro_use]
pub mod log;
pub mod oci;
pub mod plan;
pub mod process;
pub mod rootfs;
pub mod run;
pub mod security;
pub mod spec;
pub mod sys;
pub mod text;

/// The error type is born at the syscall door (sys/error): reached as `crate::error`.
pub use sys::error;

use cli::Command;

/// The program: parse, dispatch, report an error once, and return the exit status.
pub fn main(args: sys::Args, env: sys::Args) -> i32 {
    let r = match cli::parse(args, env) {
        Ok(Command::Help) => help(),
        Ok(Command::Version(oci)) => sys::write_all(1, if oci { cli::OCI_VERSION } else { cli::VERSION }.as_bytes()).map(|_| 0),
        Ok(Command::Oci(o)) => oci_main(&o, args, env),
        Ok(Command::Run(ref spec, out)) => {
            set_output(out);
            start(args, env, spec.runix_beside_command()).and_then(|_| run::run(spec))
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

/// The OCI runtime's commands, in a frame of their own: `run`'s stack never holds their
/// buffers.
#[inline(never)]
fn oci_main(o: &cli::oci::Oci, args: sys::Args, env: sys::Args) -> Result<i32, error::Error> {
    log::set_level(o.has(cli::oci::DEBUG) as u8);
    let makes = matches!(o.cmd, cli::oci::Cmd::Create | cli::oci::Cmd::Run | cli::oci::Cmd::Exec);
    if makes { start(args, env, true) } else { Ok(()) }.and_then(|_| oci::state::main(o)).inspect_err(|e| oci::state::log_error(o, e))
}

/// SIGPIPE ignored; then, where needed, runix again from a sealed copy of itself
/// (sys::reexec_sealed), before anything of a container exists. A process of the container
/// that opens /proc/PID/exe of a runix running from the host's binary can write that binary
/// once the runix has exited (CVE-2019-5736). So the copy is for a runix `beside` the
/// container's processes, in their PID namespace (`run --init`, a joined PID namespace, the
/// OCI runtime's `create`, `run` and `exec`), and for a runix that is PID 1: only a plain
/// run's first execve (an image's `#!/proc/self/exe`) brings the host's binary into a
/// container, as its PID 1. A plain run's own runix stays outside the container's new PID
/// namespace. --dry-run makes no container.
fn start(args: sys::Args, env: sys::Args, beside: bool) -> Result<(), error::Error> {
    // SIGPIPE ignored (not blocked: the mask would reach the command) until runix blocks it:
    // --trace's lines to a closed stderr are an error, not runix's death. runix resets it
    // with every signal it finds ignored (run.rs).
    sys::signal(libc::SIGPIPE, true)?;
    if (beside || sys::getpid() == 1) && !sys::trace::dry_run() { sys::reexec_sealed(args, env) } else { Ok(()) }
}

fn set_output(out: cli::Output) {
    log::set_level(out.verbosity);
    sys::trace::set_mode(out.trace);
}

/// --help, written in one go from a buffer in a frame of its own: no other path has it on
/// its stack.
#[inline(never)]
fn help() -> Result<i32, error::Error> {
    let mut b = [0; cli::HELP_LEN];
    cli::unpack_help(&mut b);
    sys::write_all(1, &b).map(|_| 0)
}
