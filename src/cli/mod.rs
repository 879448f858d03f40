//! The command line, turned into a Spec. Pure: no syscalls, so it is tested without root.
//! Options are a table (options.rs), parsed by one loop and applied by one match: each new
//! option costs a row of the table and a match arm, not another copy of the parsing code.

use crate::security::caps::{self, CapList};
use crate::error::Error;
use crate::spec::{CPU_PERIOD, DEFAULT_HOME, DEFAULT_PATH, Mount, Overlay, RootMode, Seccomp, Spec};
use crate::sys::Args;
use core::ffi::CStr;

pub mod oci;
mod options;
mod value;
pub use options::{HELP_LEN, unpack_help};
use options::{Set, lookup};
pub use value::*;

pub const VERSION: &str = concat!("runix ", env!("CARGO_PKG_VERSION"), "\n");
/// runc's shape, for OCI callers (after a global option: `runix --debug --version`).
pub const OCI_VERSION: &str = concat!("runix version ", env!("CARGO_PKG_VERSION"), "\nspec: 1.2.0\n");

/// HOST_NAME_MAX in <limits.h>: sethostname(2) refuses longer names.
const HOST_NAME_MAX: usize = 64;

pub enum Command {
    Help,
    /// true: in runc's shape.
    Version(bool),
    /// The OCI runtime's commands (cli/oci.rs).
    Oci(oci::Oci),
    Run(Spec, Output),
    /// `runix cleanup`, under runix's cgroup or --cgroup-parent.
    Cleanup(Option<&'static [u8]>, Output),
}

/// What runix prints besides errors: log level, and the syscall trace mode.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Output {
    pub verbosity: u8,
    /// crate::sys::trace::{OFF, TRACE, DRY_RUN}
    pub trace: u8,
}

/// Parse `runix ...` (args[0] is the program name). `env` is the caller's environment, read only
/// for what passes into the container on purpose (TERM, `-e KEY`).
pub fn parse(args: Args, env: Args) -> Result<Command, Error> {
    match args.get(1).map(CStr::to_bytes) {
        Some(b"run") if !oci::is_option(args.get(2)) => parse_run(args.skip(2), env, false),
        Some(b"cleanup") => parse_run(args.skip(2), env, true),
        Some(b"-h" | b"--help" | b"help") => Ok(Command::Help),
        Some(b"-V" | b"--version" | b"version") => Ok(Command::Version(false)),
        _ => oci::parse(args.skip(1)),
    }
}

const CLEANUP_ONLY: &str = "cleanup takes --cgroup-parent, -v and --trace alone";

/// `run`'s options and command; with `cleanup`, only the options cleanup takes, and no command.
#[inline(never)]
fn parse_run(args: Args, env: Args, cleanup: bool) -> Result<Command, Error> {
    let mut spec = Spec::new(args);
    let mut caps = [CapList::default(); 2];
    spec.env.push(DEFAULT_PATH);
    spec.env.push(DEFAULT_HOME);
    if let Some(term) = env.find_env(b"TERM") {
        spec.env.push(term);
    }
    let mut out = Output::default();
    let mut have_root = false;
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
        if a.len() > 2 && a[1] == b'v' && a[2..].iter().all(|&c| c == b'v') {
            out.verbosity = out.verbosity.saturating_add(u8::try_from(a.len() - 1).unwrap_or(u8::MAX)); // -vv, -vvv
            continue;
        }
        // `-x`, `--name` or `--name=value`.
        let long = a[1] == b'-';
        let name = &a[1 + long as usize..];
        let eq = if long { name.iter().position(|&c| c == b'=') } else { None };
        let Some((set, takes)) = lookup(&name[..eq.unwrap_or(name.len())], long) else {
            return Err(Error::msg("unknown option (try 'runix run --help')", a));
        };
        if cleanup && !matches!(set, Set::CgroupParent | Set::Verbose | Set::Trace | Set::Help) {
            return Err(Error::msg(CLEANUP_ONLY, a));
        }
        let value: &'static CStr = match (takes, eq) {
            (false, Some(_)) => return Err(Error::msg("option takes no value", a)),
            (false, None) => c"",
            // `--name=value`: the value is the tail of this argument, NUL-terminated with it.
            (true, Some(eq)) => &arg[eq + 3..],
            (true, None) => {
                let Some(v) = args.get(i) else { return Err(Error::msg("option needs a value", a)) };
                i += 1;
                v
            }
        };
        have_root |= set == Set::Rootfs;
        if apply(&mut spec, &mut out, &mut caps, set, value, env)? {
            return Ok(Command::Help);
        }
    }
    if cleanup {
        return match args.get(i) {
            Some(a) => Err(Error::msg(CLEANUP_ONLY, a.to_bytes())),
            None => Ok(Command::Cleanup(spec.cgroup_parent, out)),
        };
    }
    if !have_root {
        return Err(Error::msg("missing -r ROOTFS (try 'runix run --help')", b""));
    }
    spec.argv = args.skip(i);
    match spec.argv.get(0) {
        None => return Err(Error::msg("no command to run (try 'runix run --help')", b"")),
        Some(c) if c.is_empty() => return Err(Error::msg("empty command", b"")),
        _ => {}
    }
    value::check_limits(&spec.limits)?;
    spec.caps = caps::bounding(caps[0], caps[1], spec.privileged);
    if spec.privileged {
        spec.seccomp = Seccomp::Unconfined;
    } else {
        // The device rules keep host devices out of reach of CAP_MKNOD, as Docker's do.
        spec.limits.devices = true;
    }
    Ok(Command::Run(spec, out))
}

/// Apply one option to the spec. Ok(true): help was asked for.
#[inline(never)]
fn apply(spec: &mut Spec, out: &mut Output, caps: &mut [CapList; 2], set: Set, value: &'static CStr, env: Args) -> Result<bool, Error> {
    let v = value.to_bytes();
    let l = &mut spec.limits;
    // An invalid value: what it is told, and with what (the value, or what is wrong with a path).
    let mut detail = v;
    let wrong: Option<&'static str> = match set {
        Set::Rootfs => {
            spec.rootfs = value;
            bad_path(&mut detail, invalid!("--rootfs"))
        }
        Set::Hostname => {
            spec.hostname = value;
            (v.is_empty() || v.len() > HOST_NAME_MAX).then_some(invalid!("--hostname (1 to 64 bytes)"))
        }
        Set::Chroot => {
            spec.root_mode = RootMode::Chroot;
            None
        }
        Set::Net => {
            spec.new_net = v == b"none";
            (v != b"host" && v != b"none").then_some(invalid!("--net (host or none)"))
        }
        Set::Bind => match parse_bind(v) {
            Some(m) => push_mount(spec, m),
            None => Some(invalid!("--bind (want SRC:DST or SRC:DST:ro, DST absolute, no ..)")),
        },
        Set::Tmpfs => match parse_tmpfs(v) {
            Some(m) => push_mount(spec, m),
            None => Some(invalid!("--tmpfs (want DST or DST:size=N, DST absolute, no ..)")),
        },
        Set::ReadOnly => {
            spec.read_only = true;
            None
        }
        Set::Overlay => {
            if spec.overlay == Overlay::Off {
                spec.overlay = Overlay::Tmpfs;
            }
            None
        }
        Set::OverlayUpper => {
            spec.overlay = Overlay::Upper(value);
            bad_path(&mut detail, invalid!("--overlay-upper"))
        }
        Set::Env => {
            let eq = v.iter().position(|&c| c == b'=');
            let key = &v[..eq.unwrap_or(v.len())];
            // `-e KEY` copies the caller's KEY=VALUE; a KEY the caller has not set is skipped.
            let entry = if eq.is_some() { Some(value) } else { env.find_env(key) };
            if key.is_empty() {
                Some(invalid!("--env (want KEY=VALUE or KEY)"))
            } else {
                entry.is_some_and(|e| !spec.env.set(e)).then_some("too many --env (at most 60)")
            }
        }
        Set::Workdir => {
            spec.workdir = Some(value);
            if v.starts_with(b"/") { bad_path(&mut detail, invalid!("--workdir")) } else { Some(invalid!("--workdir (want an absolute path)")) }
        }
        Set::User => {
            spec.user = Some(value);
            (v.is_empty() || v.starts_with(b":") || v.ends_with(b":")).then_some(invalid!("--user (want USER or USER:GROUP)"))
        }
        Set::Pids => {
            l.pids = parse_count(v);
            l.pids.is_none().then_some(invalid!("--pids (want a whole number from 1)"))
        }
        Set::Memory => {
            l.memory = value::parse_size(v);
            l.memory.is_none().then_some(invalid!("--memory (want bytes with k, m or g, from 1)"))
        }
        Set::MemorySwap => {
            l.memory_swap = value::parse_swap(v);
            l.memory_swap.is_none().then_some(invalid!("--memory-swap (want bytes with k, m or g, or -1)"))
        }
        Set::Cpus => {
            l.cpus = value::parse_cpus(v).map(|q| (q, CPU_PERIOD));
            l.cpus.is_none().then_some(invalid!("--cpus (want a decimal from 0.01)"))
        }
        Set::CpuShares => {
            l.cpu_shares = parse_count(v).filter(|n| (2..=262144).contains(n));
            l.cpu_shares.is_none().then_some(invalid!("--cpu-shares (2 to 262144)"))
        }
        Set::CpusetCpus | Set::CpusetMems => {
            *if set == Set::CpusetCpus { &mut l.cpuset_cpus } else { &mut l.cpuset_mems } = Some(v);
            (!value::parse_cpu_list(v)).then_some(invalid!("cpu or memory-node list (want e.g. 0-1,3)"))
        }
        Set::CgroupParent => {
            spec.cgroup_parent = Some(v);
            (v.is_empty() || has_dotdot(v)).then_some(invalid!("--cgroup-parent"))
        }
        Set::CapAdd | Set::CapDrop => {
            caps[(set == Set::CapDrop) as usize].push(v)?;
            None
        }
        Set::Privileged => {
            spec.privileged = true;
            None
        }
        Set::Seccomp => {
            let unconfined = v == b"unconfined";
            spec.seccomp = if unconfined { Seccomp::Unconfined } else { Seccomp::File(value) };
            if unconfined { None } else { bad_path(&mut detail, invalid!("--seccomp")) }
        }
        Set::Ulimit => match parse_ulimit(v) {
            Some(u) => (!spec.ulimits.push(u)).then_some("too many --ulimit (at most 16)"),
            None => Some(invalid!("--ulimit (want NAME=SOFT[:HARD], e.g. nofile=1024:2048)")),
        },
        Set::Verbose => {
            out.verbosity = out.verbosity.saturating_add(1);
            None
        }
        Set::Trace => {
            out.trace = out.trace.max(crate::sys::trace::TRACE);
            None
        }
        Set::DryRun => {
            out.trace = crate::sys::trace::DRY_RUN;
            None
        }
        Set::Tty => {
            spec.tty = true;
            None
        }
        Set::Init => {
            spec.init = true;
            None
        }
        Set::StopTimeout => {
            let n = crate::process::user::number(v);
            spec.stop_timeout = n.unwrap_or(0);
            n.is_none().then_some(invalid!("--stop-timeout (want whole seconds)"))
        }
        Set::Userns => {
            spec.userns = true;
            None
        }
        Set::MapUser | Set::MapGroup => {
            let id = crate::process::user::number(v);
            *if set == Set::MapUser { &mut spec.map_user } else { &mut spec.map_group } = id.unwrap_or(0);
            id.is_none().then_some(invalid!("--map-user/--map-group (want a number)"))
        }
        Set::Help => return Ok(true),
    };
    match wrong {
        Some(what) => Err(Error::msg(what, detail)),
        None => Ok(false),
    }
}

fn push_mount(spec: &mut Spec, m: Mount) -> Option<&'static str> {
    (!spec.mounts.push(m)).then_some("too many mounts (at most 32)")
}

/// `what`, when the path is empty or too long for any syscall; `detail` then says which.
fn bad_path(detail: &mut &'static [u8], what: &'static str) -> Option<&'static str> {
    let n = detail.len();
    if n == 0 || n >= PATH_MAX {
        *detail = if n == 0 { b"empty path" } else { b"longer than PATH_MAX (4096)" };
        return Some(what);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{MountKind, Ulimit};
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

    fn run_env(v: &[&str], env: &[&str]) -> Result<(Spec, u8), Error> {
        match parse(Args::from_strs(v), Args::from_strs(env))? {
            Command::Run(s, o) => Ok((s, o.verbosity)),
            _ => panic!("not a run"),
        }
    }

    fn argv(s: &Spec) -> Vec<&str> {
        (0..s.argv.len()).map(|i| s.argv.get(i).unwrap().to_str().unwrap()).collect()
    }

    fn env(s: &Spec) -> Vec<&str> {
        (0..s.env.len()).map(|i| s.env.get(i).unwrap().to_str().unwrap()).collect()
    }

    fn err(v: &[&str]) -> &'static str {
        match parse(Args::from_strs(v), Args::from_strs(&["FOO=bar"])) {
            Err(e) => e.what(),
            Ok(_) => panic!("{v:?} should fail"),
        }
    }

    #[test]
    fn the_originals_invocation_works_as_written() {
        let (s, v) = run(&["runix", "run", "-r", "../fs/ubuntu-fs", "-p", "20", "-v", "/bin/bash"]).unwrap();
        assert_eq!(s.rootfs, c"../fs/ubuntu-fs");
        assert_eq!(s.limits.pids, Some(20));
        assert_eq!(v, 1);
        assert_eq!(argv(&s), ["/bin/bash"]);
        assert_eq!(s.hostname, c"container");
        assert_eq!(s.root_mode, RootMode::PivotRoot);
        assert!(s.new_net && s.mounts.is_empty() && s.overlay == Overlay::Off && !s.read_only);
    }

    #[test]
    fn options_stop_at_the_command() {
        let (s, _) = run(&["runix", "run", "-r", "R", "/bin/sh", "-c", "x", "-p", "3"]).unwrap();
        assert_eq!(argv(&s), ["/bin/sh", "-c", "x", "-p", "3"]);
        assert_eq!(s.limits.pids, None);
        let (s, _) = run(&["runix", "run", "-r", "R", "--", "-weird"]).unwrap();
        assert_eq!(argv(&s), ["-weird"]);
    }

    #[test]
    fn long_options_and_forms() {
        let (s, v) = run(&["runix", "run", "--rootfs=/x", "--pids", "7", "--hostname=box", "--chroot", "-vv", "sh"]).unwrap();
        assert_eq!((s.rootfs, s.limits.pids, s.hostname, s.root_mode, v), (c"/x", Some(7), c"box", RootMode::Chroot, 2));
        let (_, v) = run(&["runix", "run", "-v", "-v", "--verbose", "-r", "/", "sh"]).unwrap();
        assert_eq!(v, 3);
    }

    #[test]
    fn clean_environment_keeps_only_term() {
        let (s, _) = run(&["runix", "run", "-r", "/", "sh"]).unwrap();
        assert_eq!(env(&s), ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=xterm"]);
        let (s, _) = run_env(&["runix", "run", "-r", "/", "sh"], &["TERMINAL=x"]).unwrap();
        assert_eq!(s.env.len(), 2);
    }

    #[test]
    fn env_options_set_replace_and_copy() {
        let (s, _) = run(&["runix", "run", "-r", "/", "-e", "A=1", "-e", "HOME=/home/x", "-e", "SECRET", "-e", "UNSET", "-e", "A=2", "-e", "E=", "sh"]).unwrap();
        assert_eq!(env(&s), ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/home/x", "TERM=xterm", "A=2", "SECRET=1", "E="]);
        assert_eq!(err(&["runix", "run", "-r", "/", "-e", "=x", "sh"]), "invalid --env (want KEY=VALUE or KEY)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-e", "", "sh"]), "invalid --env (want KEY=VALUE or KEY)");
    }

    #[test]
    fn mounts_and_filesystem_options() {
        let (s, _) = run(&["runix", "run", "-r", "/", "-b", "/src:/dst", "--bind=/a:/b/c:ro", "--tmpfs", "/tmp", "--tmpfs", "/run:size=1m", "--read-only", "--overlay", "--net", "host", "-w", "/srv", "-u", "1000:100", "sh"]).unwrap();
        let m: Vec<Mount> = s.mounts.iter().collect();
        assert_eq!(m[0], Mount { dst: b"/dst", kind: MountKind::Bind { src: b"/src", attrs: 0 } });
        assert_eq!(m[1], Mount { dst: b"/b/c", kind: MountKind::Bind { src: b"/a", attrs: 1 } });
        assert_eq!(m[2], Mount { dst: b"/tmp", kind: MountKind::Tmpfs { size: None } });
        assert_eq!(m[3], Mount { dst: b"/run", kind: MountKind::Tmpfs { size: Some(1 << 20) } });
        assert!(s.read_only && !s.new_net);
        assert_eq!(s.overlay, Overlay::Tmpfs);
        assert_eq!((s.workdir, s.user), (Some(c"/srv"), Some(c"1000:100")));
        let (s, _) = run(&["runix", "run", "-r", "/", "--overlay-upper", "/keep", "sh"]).unwrap();
        assert_eq!(s.overlay, Overlay::Upper(c"/keep"));
    }

    #[test]
    fn bad_mounts_are_errors() {
        let b = "invalid --bind (want SRC:DST or SRC:DST:ro, DST absolute, no ..)";
        assert_eq!(err(&["runix", "run", "-r", "/", "-b", "/src:dst", "sh"]), b);
        assert_eq!(err(&["runix", "run", "-r", "/", "-b", "/src", "sh"]), b);
        assert_eq!(err(&["runix", "run", "-r", "/", "-b", "/src:/a/../../etc", "sh"]), b);
        assert_eq!(err(&["runix", "run", "-r", "/", "-b", ":/dst", "sh"]), b);
        assert_eq!(err(&["runix", "run", "-r", "/", "-b", "/s:/d:rx", "sh"]), b);
        let t = "invalid --tmpfs (want DST or DST:size=N, DST absolute, no ..)";
        assert_eq!(err(&["runix", "run", "-r", "/", "--tmpfs", "tmp", "sh"]), t);
        assert_eq!(err(&["runix", "run", "-r", "/", "--tmpfs", "/tmp:mode=1777", "sh"]), t);
        assert_eq!(err(&["runix", "run", "-r", "/", "--tmpfs", "/tmp:size=0", "sh"]), t);
        assert_eq!(err(&["runix", "run", "-r", "/", "--net", "bridge", "sh"]), "invalid --net (host or none)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-w", "rel", "sh"]), "invalid --workdir (want an absolute path)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-u", ":5", "sh"]), "invalid --user (want USER or USER:GROUP)");
        let mut many = std::vec!["runix", "run", "-r", "/"];
        for _ in 0..33 {
            many.extend(["--tmpfs", "/t"]);
        }
        many.push("sh");
        assert_eq!(err(&many), "too many mounts (at most 32)");
    }

    #[test]
    fn limits() {
        let (s, _) = run(&["runix", "run", "-r", "/", "-m", "32m", "--memory-swap", "64m", "--cpus", "0.25", "--cpu-shares", "512", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--cgroup-parent", "/a/b", "sh"]).unwrap();
        let l = s.limits;
        assert_eq!((l.memory, l.memory_swap, l.cpus, l.cpu_shares), (Some(32 << 20), Some(64 << 20), Some((25000, 100000)), Some(512)));
        assert_eq!((l.cpuset_cpus, l.cpuset_mems, s.cgroup_parent), (Some(&b"0-1"[..]), Some(&b"0"[..]), Some(&b"/a/b"[..])));
        assert_eq!(err(&["runix", "run", "-r", "/", "-m", "0", "sh"]), "invalid --memory (want bytes with k, m or g, from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-m", "12x", "sh"]), "invalid --memory (want bytes with k, m or g, from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--cpus", "0", "sh"]), "invalid --cpus (want a decimal from 0.01)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--cpus", "-1", "sh"]), "invalid --cpus (want a decimal from 0.01)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--cpu-shares", "1", "sh"]), "invalid --cpu-shares (2 to 262144)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--cpuset-cpus", "a", "sh"]), "invalid cpu or memory-node list (want e.g. 0-1,3)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--memory-swap", "1g", "sh"]), "memory-swap limit without a memory limit");
        assert_eq!(err(&["runix", "run", "-r", "/", "--cgroup-parent", "/a/../b", "sh"]), "invalid --cgroup-parent");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "0", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "abc", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "-3", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "-p", "99999999999999999999", "sh"]), "invalid --pids (want a whole number from 1)");
        assert_eq!(err(&["runix", "run", "-r", "/", "--bogus", "sh"]), "unknown option (try 'runix run --help')");
        assert_eq!(err(&["runix", "run", "-r", "/", "-x", "sh"]), "unknown option (try 'runix run --help')");
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
    fn security_options() {
        let (s, _) = run(&["runix", "run", "-r", "/", "sh"]).unwrap();
        assert_eq!((s.caps, s.privileged, s.seccomp, s.limits.devices), (0xa80425fb, false, Seccomp::Default, true));
        let (s, _) = run(&["runix", "run", "-r", "/", "--cap-add", "sys_admin", "--cap-drop", "CAP_MKNOD", "sh"]).unwrap();
        assert_eq!(s.caps, (0xa80425fb | 1 << 21) & !(1 << 27));
        let (s, _) = run(&["runix", "run", "-r", "/", "--cap-drop", "ALL", "--cap-add", "NET_RAW", "sh"]).unwrap();
        assert_eq!(s.caps, 1 << 13);
        let (s, _) = run(&["runix", "run", "-r", "/", "--privileged", "sh"]).unwrap();
        assert_eq!((s.caps, s.seccomp, s.limits.devices), (caps::ALL, Seccomp::Unconfined, false));
        let (s, _) = run(&["runix", "run", "-r", "/", "--seccomp", "unconfined", "sh"]).unwrap();
        assert_eq!(s.seccomp, Seccomp::Unconfined);
        let (s, _) = run(&["runix", "run", "-r", "/", "--seccomp", "/p.bpf", "sh"]).unwrap();
        assert_eq!(s.seccomp, Seccomp::File(c"/p.bpf"));
        assert_eq!(err(&["runix", "run", "-r", "/", "--cap-add", "FLY", "sh"]), "unknown capability");
        let (s, _) = run(&["runix", "run", "-r", "/", "--ulimit", "nofile=64:128", "--ulimit", "core=0", "--ulimit", "stack=unlimited", "sh"]).unwrap();
        let u: Vec<Ulimit> = s.ulimits.iter().collect();
        assert_eq!(u, [Ulimit { resource: 7, soft: 64, hard: 128 }, Ulimit { resource: 4, soft: 0, hard: 0 }, Ulimit { resource: 3, soft: u64::MAX, hard: u64::MAX }]);
        let bad = "invalid --ulimit (want NAME=SOFT[:HARD], e.g. nofile=1024:2048)";
        for v in ["nofile", "nofile=", "files=1", "nofile=2:1", "nofile=x", "nofile=1:2:3"] {
            assert_eq!(err(&["runix", "run", "-r", "/", "--ulimit", v, "sh"]), bad, "{v}");
        }
    }

    #[test]
    fn trace_and_dry_run() {
        use crate::sys::trace::{DRY_RUN, TRACE};
        assert_eq!(run_out(&["runix", "run", "--trace", "-r", "/", "sh"]).unwrap().1, Output { verbosity: 0, trace: TRACE });
        assert_eq!(run_out(&["runix", "run", "--dry-run", "-r", "/", "sh"]).unwrap().1.trace, DRY_RUN);
        assert_eq!(run_out(&["runix", "run", "--dry-run", "--trace", "-r", "/", "sh"]).unwrap().1.trace, DRY_RUN);
    }

    #[test]
    fn a_bad_path_is_told_with_the_option_alone() {
        let long = std::format!("/{}", "a".repeat(4096));
        assert_eq!(err(&["runix", "run", "-r", "/", "-w", &long, "sh"]), "invalid --workdir");
        assert_eq!(err(&["runix", "run", "-r", "/", "--seccomp", "", "sh"]), "invalid --seccomp");
        assert_eq!(err(&["runix", "run", "-r", "/", "--overlay-upper", "", "sh"]), "invalid --overlay-upper");
        let e = parse(Args::from_strs(&["runix", "run", "-r", "", "sh"]), Args::from_strs(&[])).err().unwrap();
        assert_eq!(crate::error::tests::show(&e), "invalid --rootfs: empty path");
        let e = parse(Args::from_strs(&["runix", "run", "-r", "/", "-w", "x", "sh"]), Args::from_strs(&[])).err().unwrap();
        assert_eq!(crate::error::tests::show(&e), "invalid --workdir (want an absolute path): x");
        let e = parse(Args::from_strs(&["runix", "run", "-r", "/", "--cpuset-mems", "", "sh"]), Args::from_strs(&[])).err().unwrap();
        assert_eq!(crate::error::tests::show(&e), "invalid cpu or memory-node list (want e.g. 0-1,3)");
    }

    #[test]
    fn cleanup_takes_a_cgroup_parent_and_output_options_only() {
        let parse_cleanup = |v: &[&str]| match parse(Args::from_strs(v), Args::from_strs(&[])) {
            Ok(Command::Cleanup(p, o)) => (p, o.verbosity),
            _ => panic!("{v:?} is not a cleanup"),
        };
        assert_eq!(parse_cleanup(&["runix", "cleanup"]), (None, 0));
        assert_eq!(parse_cleanup(&["runix", "cleanup", "--cgroup-parent", "/a/b", "-v"]), (Some(&b"/a/b"[..]), 1));
        assert_eq!(parse_cleanup(&["runix", "cleanup", "--cgroup-parent=/a"]), (Some(&b"/a"[..]), 0));
        assert!(matches!(parse(Args::from_strs(&["runix", "cleanup", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        for bad in [&["runix", "cleanup", "-p", "3"][..], &["runix", "cleanup", "-r", "/"], &["runix", "cleanup", "now"], &["runix", "cleanup", "--", "x"]] {
            assert_eq!(err(bad), CLEANUP_ONLY, "{bad:?}");
        }
        assert_eq!(err(&["runix", "cleanup", "--cgroup-parent", "/a/../b"]), "invalid --cgroup-parent");
        assert_eq!(err(&["runix", "cleanup", "--bogus"]), "unknown option (try 'runix run --help')");
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse(Args::from_strs(&["runix", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "run", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "run", "-h"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "--version"]), Args::from_strs(&[])), Ok(Command::Version(false))));
    }
}
