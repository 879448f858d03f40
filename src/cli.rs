//! The command line, turned into a Spec. Pure: no syscalls, so it is tested without root.

use crate::error::Error;
use crate::spec::{DEFAULT_HOME, DEFAULT_HOSTNAME, DEFAULT_PATH, RootMode, Spec};
use crate::sys::{Args, CList};
use core::ffi::CStr;

pub const USAGE: &str = "\
usage: runix run -r ROOTFS [OPTIONS] [--] COMMAND [ARG...]
       runix --help | --version

Run COMMAND isolated in new PID, mount, UTS and IPC namespaces, with ROOTFS as its root.

Options of run (they stop at the first non-option, so COMMAND's own options pass through):
  -r, --rootfs DIR     root filesystem directory for the container (required)
  -p, --pids N         at most N processes in the container (cgroup pids.max)
      --hostname NAME  hostname inside the container (default: container)
      --chroot         enter the root with chroot(2) instead of pivot_root(2), for
                       initramfs hosts where pivot_root fails with EINVAL
  -v, --verbose        log each step (-vv: more)
      --trace          print every syscall runix makes, strace-style, on stderr
      --dry-run        print the syscalls runix would make, and make none that
                       changes anything (no root needed)
  -h, --help           this help

Exit status: the command's own; 128+N if it was killed by signal N; 125 when runix
itself fails; 126 when the command cannot be executed; 127 when it is not found.
";

pub const VERSION: &str = concat!("runix ", env!("CARGO_PKG_VERSION"), "\n");

/// HOST_NAME_MAX in <limits.h>: sethostname(2) refuses longer names.
const HOST_NAME_MAX: usize = 64;
/// PATH_MAX: a longer rootfs path could not be passed to any syscall.
const PATH_MAX: usize = 4096;

pub enum Command {
    Help,
    Version,
    Run(Spec, Output),
}

/// What runix prints besides errors: log level, and the syscall trace mode.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Output {
    pub verbosity: u8,
    /// crate::sys::trace::{OFF, TRACE, DRY_RUN}
    pub trace: u8,
}

/// Parse `runix ...` (args[0] is the program name). `env` is the caller's environment, read only
/// for what passes into the container on purpose (TERM).
pub fn parse(args: Args, env: Args) -> Result<Command, Error> {
    match args.get(1).map(CStr::to_bytes) {
        Some(b"run") => parse_run(args.skip(2), env),
        Some(b"-h" | b"--help" | b"help") => Ok(Command::Help),
        Some(b"-V" | b"--version" | b"version") => Ok(Command::Version),
        Some(other) => Err(Error::msg("unknown command (try 'runix --help')", other)),
        None => Err(Error::msg("no command given (try 'runix --help')", b"")),
    }
}

fn parse_run(args: Args, env: Args) -> Result<Command, Error> {
    let mut rootfs = None;
    let mut pids = None;
    let mut hostname = DEFAULT_HOSTNAME;
    let mut root_mode = RootMode::PivotRoot;
    let mut out = Output::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let a = arg.to_bytes();
        if a == b"--" {
            i += 1;
            break;
        }
        if a.len() < 2 || a[0] != b'-' {
            break; // the command: everything from here on is its own
        }
        i += 1;
        // `--name=value` and `--name value`; short options take the next argument.
        let (name, inline) = match a.iter().position(|&c| c == b'=') {
            Some(eq) if a.starts_with(b"--") => (&a[..eq], Some(&arg.to_bytes_with_nul()[eq + 1..])),
            _ => (a, None),
        };
        let mut value = || -> Result<&'static CStr, Error> {
            if let Some(v) = inline {
                return CStr::from_bytes_with_nul(v).map_err(|_| Error::msg("bad option", a));
            }
            let v = args.get(i).ok_or(Error::msg("option needs a value", name))?;
            i += 1;
            Ok(v)
        };
        match name {
            b"-r" | b"--rootfs" => rootfs = Some(path_arg(value()?, "invalid --rootfs")?),
            b"-p" | b"--pids" => {
                let v = value()?.to_bytes();
                pids = Some(parse_count(v).ok_or(Error::msg("invalid --pids (want a whole number from 1)", v))?);
            }
            b"--hostname" => hostname = hostname_arg(value()?)?,
            b"--chroot" => root_mode = RootMode::Chroot,
            b"-h" | b"--help" => return Ok(Command::Help),
            _ if is_verbose(a) => out.verbosity = out.verbosity.saturating_add((a.len() - 1) as u8),
            b"--verbose" => out.verbosity = out.verbosity.saturating_add(1),
            b"--trace" => out.trace = out.trace.max(crate::sys::trace::TRACE),
            b"--dry-run" => out.trace = crate::sys::trace::DRY_RUN,
            _ => return Err(Error::msg("unknown option (try 'runix run --help')", a)),
        }
        if inline.is_some() && matches!(name, b"--chroot" | b"--verbose" | b"--trace" | b"--dry-run") {
            return Err(Error::msg("option takes no value", a));
        }
    }
    let rootfs = rootfs.ok_or(Error::msg("missing -r ROOTFS (try 'runix run --help')", b""))?;
    let argv = args.skip(i);
    if argv.is_empty() {
        return Err(Error::msg("no command to run (try 'runix run --help')", b""));
    }
    if argv.get(0).is_some_and(|c| c.is_empty()) {
        return Err(Error::msg("empty command", b""));
    }
    Ok(Command::Run(Spec { rootfs, argv, env: default_env(env), hostname, root_mode, pids }, out))
}

fn is_verbose(a: &[u8]) -> bool {
    a.len() >= 2 && a[0] == b'-' && a[1..].iter().all(|&c| c == b'v')
}

fn path_arg(v: &'static CStr, what: &'static str) -> Result<&'static CStr, Error> {
    let n = v.to_bytes().len();
    if n == 0 || n >= PATH_MAX {
        return Err(Error::msg(what, if n == 0 { b"empty path" } else { b"longer than PATH_MAX (4096)" }));
    }
    Ok(v)
}

fn hostname_arg(v: &'static CStr) -> Result<&'static CStr, Error> {
    let n = v.to_bytes().len();
    if n == 0 || n > HOST_NAME_MAX {
        return Err(Error::msg("invalid --hostname (1 to 64 bytes)", v.to_bytes()));
    }
    Ok(v)
}

/// A positive decimal number that fits in i64 (what cgroup files accept): no sign, no spaces.
pub fn parse_count(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = s.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add((d - b'0') as u64))?;
    (n >= 1 && n <= i64::MAX as u64).then_some(n)
}

/// PATH, HOME, and TERM when the caller has one: the only things that enter the container.
fn default_env(env: Args) -> CList<{ crate::spec::MAX_ENV }> {
    let mut e = CList::new();
    e.push(DEFAULT_PATH);
    e.push(DEFAULT_HOME);
    if let Some(term) = env.find_env(b"TERM") {
        e.push(term);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn run(v: &[&str]) -> Result<(Spec, u8), Error> {
        run_env(v, &["HOME=/home/me", "TERM=xterm", "SECRET=1"])
    }

    fn run_out(v: &[&str]) -> Result<(Spec, Output), Error> {
        match parse(Args::from_strs(v), Args::from_strs(&[]))? {
            Command::Run(s, o) => Ok((s, o)),
            _ => panic!("not a run"),
        }
    }

    #[test]
    fn trace_and_dry_run() {
        use crate::sys::trace::{DRY_RUN, TRACE};
        assert_eq!(run_out(&["runix", "run", "--trace", "-r", "/", "sh"]).unwrap().1, Output { verbosity: 0, trace: TRACE });
        assert_eq!(run_out(&["runix", "run", "--dry-run", "-r", "/", "sh"]).unwrap().1.trace, DRY_RUN);
        assert_eq!(run_out(&["runix", "run", "--dry-run", "--trace", "-r", "/", "sh"]).unwrap().1.trace, DRY_RUN);
    }

    fn run_env(v: &[&str], env: &[&str]) -> Result<(Spec, u8), Error> {
        match parse(Args::from_strs(v), Args::from_strs(env))? {
            Command::Run(s, o) => Ok((s, o.verbosity)),
            _ => panic!("not a run"),
        }
    }

    fn argv(s: &Spec) -> Vec<&str> {
        (0..s.argv.len()).map(|i| s.argv.get(i).unwrap().to_str().unwrap()).collect()
    }

    fn err(v: &[&str]) -> &'static str {
        match parse(Args::from_strs(v), Args::from_strs(&[])) {
            Err(e) => e.what(),
            Ok(_) => panic!("{v:?} should fail"),
        }
    }

    #[test]
    fn the_originals_invocation_works_as_written() {
        let (s, v) = run(&["runix", "run", "-r", "../fs/ubuntu-fs", "-p", "20", "-v", "/bin/bash"]).unwrap();
        assert_eq!(s.rootfs, c"../fs/ubuntu-fs");
        assert_eq!(s.pids, Some(20));
        assert_eq!(v, 1);
        assert_eq!(argv(&s), ["/bin/bash"]);
        assert_eq!(s.hostname, c"container");
        assert_eq!(s.root_mode, RootMode::PivotRoot);
    }

    #[test]
    fn options_stop_at_the_command() {
        let (s, _) = run(&["runix", "run", "-r", "R", "/bin/sh", "-c", "x", "-p", "3"]).unwrap();
        assert_eq!(argv(&s), ["/bin/sh", "-c", "x", "-p", "3"]);
        assert_eq!(s.pids, None);
        let (s, _) = run(&["runix", "run", "-r", "R", "--", "-weird"]).unwrap();
        assert_eq!(argv(&s), ["-weird"]);
    }

    #[test]
    fn long_options_and_forms() {
        let (s, v) = run(&["runix", "run", "--rootfs=/x", "--pids", "7", "--hostname=box", "--chroot", "-vv", "sh"]).unwrap();
        assert_eq!((s.rootfs, s.pids, s.hostname, s.root_mode, v), (c"/x", Some(7), c"box", RootMode::Chroot, 2));
        let (_, v) = run(&["runix", "run", "-v", "-v", "--verbose", "-r", "/", "sh"]).unwrap();
        assert_eq!(v, 3);
    }

    #[test]
    fn clean_environment_keeps_only_term() {
        let (s, _) = run(&["runix", "run", "-r", "/", "sh"]).unwrap();
        let env: Vec<_> = (0..s.env.len()).map(|i| s.env.get(i).unwrap().to_str().unwrap()).collect();
        assert_eq!(env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=xterm"]);
        let (s, _) = run_env(&["runix", "run", "-r", "/", "sh"], &["TERMINAL=x"]).unwrap();
        assert_eq!(s.env.len(), 2);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "0", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "abc", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "-3", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "99999999999999999999", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--bogus", "sh"]), "unknown option (try 'runix run --help')");
        assert_eq!(err(&["runix", "run", "-r", "/"]), "no command to run (try 'runix run --help')");
        assert_eq!(err(&["runix", "run", "sh"]), "missing -r ROOTFS (try 'runix run --help')");
        assert_eq!(err(&["runix", "run", "-r"]), "option needs a value");
        assert_eq!(err(&["runix", "run", "-r", ""]), "invalid --rootfs");
        assert_eq!(err(&["runix", "run", "-r", "/", "--hostname", &"h".repeat(65), "sh"]), "invalid --hostname (1 to 64 bytes)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--chroot=yes", "sh"]), "option takes no value");
        assert_eq!(err(&["runix", "frobnicate"]), "unknown command (try 'runix --help')");
        assert_eq!(err(&["runix"]), "no command given (try 'runix --help')");
        let long = "/".repeat(4096);
        assert_eq!(err(&["runix", "run", "-r", &long, "sh"]), "invalid --rootfs");
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count(b"1"), Some(1));
        assert_eq!(parse_count(b"9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(parse_count(b"9223372036854775808"), None);
        assert_eq!(parse_count(b"+1"), None);
        assert_eq!(parse_count(b" 1"), None);
        assert_eq!(parse_count(b""), None);
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse(Args::from_strs(&["runix", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "run", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "--version"]), Args::from_strs(&[])), Ok(Command::Version)));
    }
}
