//! The command line, turned into a Spec. Pure: no syscalls, so it is tested without root.
//! Options are a table, parsed by one loop and applied by one match: each new option costs a
//! table row and a match arm, not another copy of the parsing code.

use crate::cgroup::{self, CPU_PERIOD, Limits};
use crate::error::Error;
use crate::caps::{self, CapList};
use crate::spec::{DEFAULT_HOME, DEFAULT_HOSTNAME, DEFAULT_PATH, Mount, MountKind, Overlay, RootMode, Seccomp, Spec, Ulimit};
use crate::sys::{Args, CList};
use crate::buf::List;
use core::ffi::CStr;

pub const USAGE: &str = "\
usage: runix run -r ROOTFS [OPTIONS] [--] COMMAND [ARG...]
       runix --help | --version

Run COMMAND in new PID, mount, UTS, IPC, network and cgroup namespaces, with ROOTFS as its
root, /proc, /sys (read-only) and a minimal /dev.

Options of run (they stop at the first non-option, so COMMAND's own options pass through):
  -r, --rootfs DIR       root filesystem directory for the container (required)
      --hostname NAME    hostname inside the container (default: container)
      --chroot           enter the root with chroot(2) instead of pivot_root(2), for
                         initramfs hosts where pivot_root fails with EINVAL
      --net host|none    share the host's network (default none: own namespace, lo up)
  -b, --bind SRC:DST[:ro]  bind-mount host path SRC at DST (repeatable)
      --tmpfs DST[:size=N] mount a tmpfs at DST (repeatable)
      --read-only        mount the root read-only (binds and tmpfs keep their own mode)
      --overlay          write to a tmpfs layer over ROOTFS; ROOTFS stays unchanged
      --overlay-upper DIR  keep the overlay's changes in DIR/upper (DIR/work: scratch)
  -e, --env KEY=VALUE    set a variable (repeatable); -e KEY copies yours
  -w, --workdir DIR      working directory inside (default /)
  -u, --user USER[:GROUP]  run as USER (name or uid) and GROUP, from the root's
                         /etc/passwd and /etc/group; no supplementary groups
Limits (cgroup v1 or v2; nothing is created without one):
  -p, --pids N           at most N processes
  -m, --memory SIZE      memory limit, bytes with k, m or g
      --memory-swap SIZE memory plus swap (-1: unlimited swap)
      --cpus N.NN        CPU time, in CPUs (quota over a 100 ms period)
      --cpu-shares N     relative CPU weight, 2 to 262144 (cpu.weight on v2)
      --cpuset-cpus LIST CPUs allowed, e.g. 0-1,3
      --cpuset-mems LIST memory nodes allowed
      --cgroup-parent P  make the cgroup under P instead of runix's own cgroup
Security (defaults as Docker's: 14 capabilities, no_new_privs, seccomp, device rules):
      --cap-add CAP      add a capability (NAME or CAP_NAME, or ALL) (repeatable)
      --cap-drop CAP     drop a capability, or ALL (repeatable)
      --privileged       all capabilities, no seccomp filter, no masked paths
      --seccomp P        unconfined, or a file holding a raw BPF program
      --ulimit N=S[:H]   resource limit, e.g. nofile=1024:2048 (repeatable)
Process:
  -t, --tty              a terminal of its own, relayed to yours (raw mode)
      --init             runix stays as PID 1: reaps zombies, passes signals on
      --userns           a user namespace also for root (always without root)
      --map-user UID     your uid inside the user namespace (default 0)
      --map-group GID    your gid inside the user namespace (default 0)
Output:
  -v, --verbose          log each step (-vv: more)
      --trace            print every syscall runix makes, strace-style, on stderr
      --dry-run          print the syscalls runix would make, and make none that
                         changes anything (no root needed)
  -h, --help             this help

Exit status: the command's own; 128+N if it was killed by signal N; 125 when runix
itself fails; 126 when the command cannot be executed; 127 when it is not found.
";

pub const VERSION: &str = concat!("runix ", env!("CARGO_PKG_VERSION"), "\n");

/// HOST_NAME_MAX in <limits.h>: sethostname(2) refuses longer names.
const HOST_NAME_MAX: usize = 64;
/// PATH_MAX: a longer path could not be passed to any syscall.
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum O {
    Rootfs,
    Hostname,
    Chroot,
    Net,
    Bind,
    Tmpfs,
    ReadOnly,
    Overlay,
    OverlayUpper,
    Env,
    Workdir,
    User,
    Pids,
    Memory,
    MemorySwap,
    Cpus,
    CpuShares,
    CpusetCpus,
    CpusetMems,
    CgroupParent,
    CapAdd,
    CapDrop,
    Privileged,
    Seccomp,
    Ulimit,
    Tty,
    Init,
    Userns,
    MapUser,
    MapGroup,
    Verbose,
    Trace,
    DryRun,
    Help,
}

/// (short, long, takes a value, option)
const OPTIONS: &[(u8, &str, bool, O)] = &[
    (b'r', "rootfs", true, O::Rootfs),
    (0, "hostname", true, O::Hostname),
    (0, "chroot", false, O::Chroot),
    (0, "net", true, O::Net),
    (b'b', "bind", true, O::Bind),
    (0, "tmpfs", true, O::Tmpfs),
    (0, "read-only", false, O::ReadOnly),
    (0, "overlay", false, O::Overlay),
    (0, "overlay-upper", true, O::OverlayUpper),
    (b'e', "env", true, O::Env),
    (b'w', "workdir", true, O::Workdir),
    (b'u', "user", true, O::User),
    (b'p', "pids", true, O::Pids),
    (b'm', "memory", true, O::Memory),
    (0, "memory-swap", true, O::MemorySwap),
    (0, "cpus", true, O::Cpus),
    (0, "cpu-shares", true, O::CpuShares),
    (0, "cpuset-cpus", true, O::CpusetCpus),
    (0, "cpuset-mems", true, O::CpusetMems),
    (0, "cgroup-parent", true, O::CgroupParent),
    (0, "cap-add", true, O::CapAdd),
    (0, "cap-drop", true, O::CapDrop),
    (0, "privileged", false, O::Privileged),
    (0, "seccomp", true, O::Seccomp),
    (0, "ulimit", true, O::Ulimit),
    (b't', "tty", false, O::Tty),
    (0, "init", false, O::Init),
    (0, "userns", false, O::Userns),
    (0, "map-user", true, O::MapUser),
    (0, "map-group", true, O::MapGroup),
    (b'v', "verbose", false, O::Verbose),
    (0, "trace", false, O::Trace),
    (0, "dry-run", false, O::DryRun),
    (b'h', "help", false, O::Help),
];

/// Parse `runix ...` (args[0] is the program name). `env` is the caller's environment, read only
/// for what passes into the container on purpose (TERM, `-e KEY`).
pub fn parse(args: Args, env: Args) -> Result<Command, Error> {
    match args.get(1).map(CStr::to_bytes) {
        Some(b"run") => parse_run(args.skip(2), env),
        Some(b"-h" | b"--help" | b"help") => Ok(Command::Help),
        Some(b"-V" | b"--version" | b"version") => Ok(Command::Version),
        Some(other) => Err(Error::msg("unknown command (try 'runix --help')", other)),
        None => Err(Error::msg("no command given (try 'runix --help')", b"")),
    }
}

/// Find an option: `-x`, `--name`, or `--name=value` (the value returned).
fn lookup(a: &'static [u8]) -> Option<(bool, O, Option<&'static [u8]>)> {
    let (name, inline) = match a.strip_prefix(b"--") {
        Some(long) => match long.iter().position(|&c| c == b'=') {
            Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
            None => (long, None),
        },
        None => (&a[1..], None),
    };
    let long = a.starts_with(b"--");
    OPTIONS
        .iter()
        .find(|o| if long { o.1.as_bytes() == name } else { name.len() == 1 && name[0] == o.0 })
        .map(|o| (o.2, o.3, inline))
}

#[inline(never)]
fn parse_run(args: Args, env: Args) -> Result<Command, Error> {
    let mut spec = Spec {
        rootfs: c"",
        argv: args,
        env: CList::new(),
        hostname: DEFAULT_HOSTNAME,
        root_mode: RootMode::PivotRoot,
        limits: Limits::default(),
        cgroup_parent: None,
        new_net: true,
        mounts: List::new(),
        overlay: Overlay::Off,
        read_only: false,
        workdir: None,
        user: None,
        caps: 0,
        privileged: false,
        seccomp: Seccomp::Default,
        ulimits: List::new(),
        tty: false,
        init: false,
        userns: false,
        map_user: 0,
        map_group: 0,
    };
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
            out.verbosity = out.verbosity.saturating_add(a.len() as u8 - 1); // -vv, -vvv
            continue;
        }
        let (takes, opt, inline) = lookup(a).ok_or(Error::msg("unknown option (try 'runix run --help')", a))?;
        let value: &'static CStr = match (takes, inline) {
            (false, Some(_)) => return Err(Error::msg("option takes no value", a)),
            (false, None) => c"",
            // `--name=value`: the value is the tail of this argument, NUL-terminated with it.
            (true, Some(v)) => CStr::from_bytes_with_nul(&arg.to_bytes_with_nul()[a.len() - v.len()..]).unwrap_or(c""),
            (true, None) => {
                let v = args.get(i).ok_or(Error::msg("option needs a value", a))?;
                i += 1;
                v
            }
        };
        if opt == O::Rootfs {
            have_root = true;
        }
        if apply(&mut spec, &mut out, &mut caps, opt, value, env)? {
            return Ok(Command::Help);
        }
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
    spec.limits.check()?;
    spec.caps = caps::bounding(caps[0], caps[1], spec.privileged);
    if spec.privileged {
        spec.seccomp = Seccomp::Unconfined;
    } else {
        // The device rules keep host devices out of reach of CAP_MKNOD (hardening.md).
        spec.limits.devices = true;
    }
    // With -v, report memory and CPU use, where a cgroup is made anyway.
    let l = &spec.limits;
    spec.limits.stats = out.verbosity > 0
        && (l.pids.is_some() || l.memory.is_some() || l.cpus.is_some() || l.cpu_shares.is_some() || l.cpuset_cpus.is_some() || l.cpuset_mems.is_some());
    Ok(Command::Run(spec, out))
}

/// Apply one option to the spec. Ok(true): help was asked for.
#[inline(never)]
fn apply(spec: &mut Spec, out: &mut Output, caps: &mut [CapList; 2], opt: O, value: &'static CStr, env: Args) -> Result<bool, Error> {
    let v = value.to_bytes();
    let bad = |what: &'static str| Error::msg(what, v);
    match opt {
        O::Rootfs => spec.rootfs = path(value, "invalid --rootfs")?,
        O::Hostname => {
            if v.is_empty() || v.len() > HOST_NAME_MAX {
                return Err(bad("invalid --hostname (1 to 64 bytes)"));
            }
            spec.hostname = value;
        }
        O::Chroot => spec.root_mode = RootMode::Chroot,
        O::Net => {
            spec.new_net = match v {
                b"host" => false,
                b"none" => true,
                _ => return Err(bad("invalid --net (host or none)")),
            }
        }
        O::Bind => {
            let m = parse_bind(v).ok_or(bad("invalid --bind (want SRC:DST or SRC:DST:ro, DST absolute, no ..)"))?;
            push_mount(spec, m, v)?;
        }
        O::Tmpfs => {
            let m = parse_tmpfs(v).ok_or(bad("invalid --tmpfs (want DST or DST:size=N, DST absolute, no ..)"))?;
            push_mount(spec, m, v)?;
        }
        O::ReadOnly => spec.read_only = true,
        O::Overlay => {
            if spec.overlay == Overlay::Off {
                spec.overlay = Overlay::Tmpfs;
            }
        }
        O::OverlayUpper => spec.overlay = Overlay::Upper(path(value, "invalid --overlay-upper")?),
        O::Env => {
            let eq = v.iter().position(|&c| c == b'=');
            let key = &v[..eq.unwrap_or(v.len())];
            if key.is_empty() {
                return Err(bad("invalid --env (want KEY=VALUE or KEY)"));
            }
            // `-e KEY` copies the caller's KEY=VALUE; a KEY the caller has not set is skipped.
            let entry = if eq.is_some() { Some(value) } else { env.find_env(key) };
            if let Some(e) = entry {
                if !spec.env.set(e) {
                    return Err(Error::msg("too many --env (at most 60)", v));
                }
            }
        }
        O::Workdir => {
            if !v.starts_with(b"/") {
                return Err(bad("invalid --workdir (want an absolute path)"));
            }
            spec.workdir = Some(path(value, "invalid --workdir")?);
        }
        O::User => {
            if v.is_empty() || v.starts_with(b":") || v.ends_with(b":") {
                return Err(bad("invalid --user (want USER or USER:GROUP)"));
            }
            spec.user = Some(value);
        }
        O::Pids => spec.limits.pids = Some(parse_count(v).ok_or(bad("invalid --pids (want a whole number from 1)"))?),
        O::Memory => spec.limits.memory = Some(cgroup::parse_size(v).ok_or(bad("invalid --memory (want bytes with k, m or g, from 1)"))?),
        O::MemorySwap => spec.limits.memory_swap = Some(cgroup::parse_swap(v).ok_or(bad("invalid --memory-swap (want bytes with k, m or g, or -1)"))?),
        O::Cpus => spec.limits.cpus = Some((cgroup::parse_cpus(v).ok_or(bad("invalid --cpus (want a decimal from 0.01)"))?, CPU_PERIOD)),
        O::CpuShares => {
            spec.limits.cpu_shares = Some(parse_count(v).filter(|&n| (2..=262144).contains(&n)).ok_or(bad("invalid --cpu-shares (2 to 262144)"))?)
        }
        O::CpusetCpus => spec.limits.cpuset_cpus = Some(cpu_list(v)?),
        O::CpusetMems => spec.limits.cpuset_mems = Some(cpu_list(v)?),
        O::CgroupParent => {
            if v.is_empty() || v.split(|&c| c == b'/').any(|c| c == b"..") {
                return Err(bad("invalid --cgroup-parent"));
            }
            spec.cgroup_parent = Some(v);
        }
        O::CapAdd => caps[0].push(v)?,
        O::CapDrop => caps[1].push(v)?,
        O::Privileged => spec.privileged = true,
        O::Seccomp => spec.seccomp = if v == b"unconfined" { Seccomp::Unconfined } else { Seccomp::File(path(value, "invalid --seccomp")?) },
        O::Ulimit => {
            let u = parse_ulimit(v).ok_or(bad("invalid --ulimit (want NAME=SOFT[:HARD], e.g. nofile=1024:2048)"))?;
            if !spec.ulimits.push(u) {
                return Err(Error::msg("too many --ulimit (at most 16)", v));
            }
        }
        O::Tty => spec.tty = true,
        O::Init => spec.init = true,
        O::Userns => spec.userns = true,
        O::MapUser | O::MapGroup => {
            let id = crate::user::number(v).ok_or(bad("invalid --map-user/--map-group (want a number)"))?;
            if opt == O::MapUser { spec.map_user = id } else { spec.map_group = id }
        }
        O::Verbose => out.verbosity = out.verbosity.saturating_add(1),
        O::Trace => out.trace = out.trace.max(crate::sys::trace::TRACE),
        O::DryRun => out.trace = crate::sys::trace::DRY_RUN,
        O::Help => return Ok(true),
    }
    Ok(false)
}

fn push_mount(spec: &mut Spec, m: Mount, v: &[u8]) -> Result<(), Error> {
    if spec.mounts.push(m) { Ok(()) } else { Err(Error::msg("too many mounts (at most 32)", v)) }
}

fn cpu_list(v: &'static [u8]) -> Result<&'static [u8], Error> {
    if cgroup::parse_cpu_list(v) { Ok(v) } else { Err(Error::msg("invalid cpu or memory-node list (want e.g. 0-1,3)", v)) }
}

fn path(v: &'static CStr, what: &'static str) -> Result<&'static CStr, Error> {
    let n = v.to_bytes().len();
    if n == 0 || n >= PATH_MAX {
        return Err(Error::msg(what, if n == 0 { b"empty path" } else { b"longer than PATH_MAX (4096)" }));
    }
    Ok(v)
}

/// A container path for a mount: absolute, under PATH_MAX, no `..` (it could only mean a
/// place outside the root, and no mount goes there).
pub fn container_path(p: &[u8]) -> bool {
    p.starts_with(b"/") && p.len() < PATH_MAX && !p.split(|&c| c == b'/').any(|c| c == b"..")
}

/// `SRC:DST`, `SRC:DST:ro` or `SRC:DST:rw`.
pub fn parse_bind(v: &'static [u8]) -> Option<Mount> {
    let mut parts = v.splitn(3, |&c| c == b':');
    let (src, dst) = (parts.next()?, parts.next()?);
    let ro = match parts.next() {
        None | Some(b"rw") => false,
        Some(b"ro") => true,
        Some(_) => return None,
    };
    (!src.is_empty() && src.len() < PATH_MAX && container_path(dst)).then_some(Mount { dst, kind: MountKind::Bind { src, ro } })
}

/// `DST` or `DST:size=N`.
pub fn parse_tmpfs(v: &'static [u8]) -> Option<Mount> {
    let (dst, size) = match v.iter().position(|&c| c == b':') {
        Some(i) => (&v[..i], Some(cgroup::parse_size(v[i + 1..].strip_prefix(b"size=")?)?)),
        None => (v, None),
    };
    container_path(dst).then_some(Mount { dst, kind: MountKind::Tmpfs { size } })
}

/// RLIMIT_* resources by number (<asm-generic/resource.h>), as `ulimit` and Docker name them.
const RLIMITS: &str = "cpu fsize data stack core rss nproc nofile memlock as locks sigpending msgqueue nice rtprio rttime";

/// `nofile=1024` or `nofile=1024:2048`: a limit for RLIMIT_NOFILE; `unlimited` or -1 is none.
/// Without a hard limit, the hard limit is the soft one (as Docker does).
pub fn parse_ulimit(v: &[u8]) -> Option<Ulimit> {
    let eq = v.iter().position(|&c| c == b'=')?;
    let resource = RLIMITS.split(' ').position(|n| n.as_bytes() == &v[..eq])? as u8;
    let value = |s: &[u8]| if s == b"unlimited" || s == b"-1" { Some(u64::MAX) } else { parse_count(s).or((s == b"0").then_some(0)) };
    let mut parts = v[eq + 1..].splitn(2, |&c| c == b':');
    let soft = value(parts.next()?)?;
    let hard = match parts.next() {
        Some(h) => value(h)?,
        None => soft,
    };
    (soft <= hard).then_some(Ulimit { resource, soft, hard })
}

/// A positive decimal number that fits in i64 (what cgroup files accept): no sign, no spaces.
pub fn parse_count(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = s.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add((d - b'0') as u64))?;
    (n >= 1 && n <= i64::MAX as u64).then_some(n)
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
        assert_eq!(m[0], Mount { dst: b"/dst", kind: MountKind::Bind { src: b"/src", ro: false } });
        assert_eq!(m[1], Mount { dst: b"/b/c", kind: MountKind::Bind { src: b"/a", ro: true } });
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
        assert!(!l.stats);
        let (s, _) = run(&["runix", "run", "-v", "-r", "/", "-m", "1g", "sh"]).unwrap();
        assert!(s.limits.stats, "-v with a cgroup reports usage");
        let (s, _) = run(&["runix", "run", "-v", "-r", "/", "sh"]).unwrap();
        assert!(!s.limits.stats, "-v alone makes no cgroup");
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
    fn counts() {
        assert_eq!(parse_count(b"1"), Some(1));
        assert_eq!(parse_count(b"9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(parse_count(b"9223372036854775808"), None);
        assert_eq!(parse_count(b"+1"), None);
        assert_eq!(parse_count(b" 1"), None);
        assert_eq!(parse_count(b""), None);
    }

    #[test]
    fn trace_and_dry_run() {
        use crate::sys::trace::{DRY_RUN, TRACE};
        assert_eq!(run_out(&["runix", "run", "--trace", "-r", "/", "sh"]).unwrap().1, Output { verbosity: 0, trace: TRACE });
        assert_eq!(run_out(&["runix", "run", "--dry-run", "-r", "/", "sh"]).unwrap().1.trace, DRY_RUN);
        assert_eq!(run_out(&["runix", "run", "--dry-run", "--trace", "-r", "/", "sh"]).unwrap().1.trace, DRY_RUN);
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse(Args::from_strs(&["runix", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "run", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "run", "-h"]), Args::from_strs(&[])), Ok(Command::Help)));
        assert!(matches!(parse(Args::from_strs(&["runix", "--version"]), Args::from_strs(&[])), Ok(Command::Version)));
    }
}
