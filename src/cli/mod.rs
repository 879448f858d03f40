//! The command line, turned into a Spec. Pure: no syscalls, so it is tested without root.
//! Options are a table (USAGE), parsed by one loop and applied by one match: each new option
//! costs a line of the table and a match arm, not another copy of the parsing code.

use crate::security::caps::{self, CapList};
use crate::error::Error;
use crate::buf::List;
use crate::spec::{CPU_PERIOD, Limits, DEFAULT_HOME, DEFAULT_HOSTNAME, DEFAULT_PATH, Mount, MountKind, Overlay, RootMode, Seccomp, Spec, Ulimit};
use crate::sys::{Args, CList};
use core::ffi::CStr;

mod value;
pub use value::*;

/// --help, and the options of `run`. A line with a tab is an option, in the order of `O`:
/// the short letter or a space, the long name, ` VALUE` when it takes one, a tab and its help
/// (README has the long form).
const USAGE: &str = "\
usage: runix run -r ROOTFS [OPTIONS] [--] COMMAND [ARG...]
       runix cleanup [--cgroup-parent P]   (removes the cgroups of killed runs)
       runix --help | --version
Runs COMMAND with ROOTFS as its root, /proc, /sys (read-only) and a minimal /dev, in
new PID, mount, UTS, IPC, network and cgroup namespaces. Options end at COMMAND.
(+): repeatable.
rrootfs DIR\troot filesystem directory (required)
 hostname NAME\thostname inside (default: container)
 chroot\tchroot(2) in place of pivot_root(2), for initramfs hosts
 net host|none\tthe host's network, or (default) its own with lo up
bbind SRC:DST[:ro]\tbind-mount host path SRC at DST (+)
 tmpfs DST[:size=N]\tmount a tmpfs at DST (+)
 read-only\tread-only root (binds and tmpfs keep their own mode)
 overlay\twrite to a tmpfs over ROOTFS, which stays unchanged
 overlay-upper DIR\tkeep those changes in DIR/upper (DIR/work: scratch)
eenv KEY[=VALUE]\tset a variable, or copy yours (+)
wworkdir DIR\tworking directory inside (default /)
uuser USER[:GROUP]\tname or id in the root's /etc/passwd, /etc/group
Limits (cgroup v1 or v2; root on v1 also gets a devices cgroup):
ppids N\tat most N processes
mmemory SIZE\tmemory limit, bytes with k, m or g
 memory-swap SIZE\tmemory plus swap (-1: unlimited swap)
 cpus N.NN\tCPU time, in CPUs (quota per 100 ms)
 cpu-shares N\trelative CPU weight, 2 to 262144
 cpuset-cpus LIST\tCPUs allowed, e.g. 0-1,3
 cpuset-mems LIST\tmemory nodes allowed
 cgroup-parent P\tmake the cgroup under P, not runix's own
Security (defaults as Docker's: 14 capabilities, seccomp, no_new_privs):
 cap-add CAP\tadd a capability, or ALL (+)
 cap-drop CAP\tdrop a capability, or ALL (+)
 privileged\tall capabilities, no seccomp, no masked paths
 seccomp P\tunconfined, or a file of raw BPF
 ulimit N=S[:H]\tresource limit, e.g. nofile=1024:2048 (+)
Process:
ttty\ta terminal of its own, relayed to yours (raw mode)
 init\trunix stays as PID 1: reaps zombies, passes signals on
 stop-timeout N\tafter a SIGTERM or SIGINT, SIGKILL past N s (default 10)
 userns\ta user namespace also for root (always without root)
 map-user UID\tyour uid inside the user namespace (default 0)
 map-group GID\tyour gid inside the user namespace (default 0)
Output:
vverbose\tlog each step (-vv: more)
 trace\tprint runix's syscalls on stderr
 dry-run\tprint them, and make none that changes anything
hhelp\tthis help
Exit status: COMMAND's; 128+N if killed by signal N; 125 if runix fails; 126 if COMMAND
cannot be executed; 127 if it is not found.";

/// The lines of USAGE.
fn lines() -> core::slice::Split<'static, u8, fn(&u8) -> bool> {
    USAGE.as_bytes().split(|&c| c == b'\n')
}

/// The option lines of USAGE, in the order of `O`.
fn option_lines() -> impl Iterator<Item = &'static [u8]> {
    lines().filter(|l| l.contains(&b'\t'))
}

/// --help into `out`: its length.
#[inline(never)]
pub fn usage(out: &mut [u8; 4096]) -> usize {
    let mut n = 0;
    for l in lines() {
        if let Some(tab) = l.iter().position(|&c| c == b'\t') {
            // `  -r, --rootfs DIR`, the help from column 28.
            let start = n;
            n = put(out, n, if l[0] == b' ' { b"      --" } else { b"  -x, --" });
            out[start + 3] = l[0];
            n = put(out, n, &l[1..tab]);
            while n < start + 28 {
                n = put(out, n, b" ");
            }
            n = put(out, n, &l[tab + 1..]);
        } else {
            n = put(out, n, l);
        }
        n = put(out, n, b"\n");
    }
    n
}

/// Copy `s` into `out` at `n`; the new length.
fn put(out: &mut [u8], n: usize, s: &[u8]) -> usize {
    out[n..n + s.len()].copy_from_slice(s);
    n + s.len()
}

pub const VERSION: &str = concat!("runix ", env!("CARGO_PKG_VERSION"), "\n");

/// HOST_NAME_MAX in <limits.h>: sethostname(2) refuses longer names.
const HOST_NAME_MAX: usize = 64;
/// PATH_MAX: a longer path could not be passed to any syscall.
const PATH_MAX: usize = 4096;

pub enum Command {
    Help,
    Version,
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

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
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
    StopTimeout,
    Userns,
    MapUser,
    MapGroup,
    Verbose,
    Trace,
    DryRun,
    Help,
}

/// The options by their line in USAGE.
const ORDER: [O; 35] = [
    O::Rootfs,
    O::Hostname,
    O::Chroot,
    O::Net,
    O::Bind,
    O::Tmpfs,
    O::ReadOnly,
    O::Overlay,
    O::OverlayUpper,
    O::Env,
    O::Workdir,
    O::User,
    O::Pids,
    O::Memory,
    O::MemorySwap,
    O::Cpus,
    O::CpuShares,
    O::CpusetCpus,
    O::CpusetMems,
    O::CgroupParent,
    O::CapAdd,
    O::CapDrop,
    O::Privileged,
    O::Seccomp,
    O::Ulimit,
    O::Tty,
    O::Init,
    O::StopTimeout,
    O::Userns,
    O::MapUser,
    O::MapGroup,
    O::Verbose,
    O::Trace,
    O::DryRun,
    O::Help,
];

/// Parse `runix ...` (args[0] is the program name). `env` is the caller's environment, read only
/// for what passes into the container on purpose (TERM, `-e KEY`).
pub fn parse(args: Args, env: Args) -> Result<Command, Error> {
    match args.get(1).map(CStr::to_bytes) {
        Some(b"run") => parse_run(args.skip(2), env, false),
        Some(b"cleanup") => parse_run(args.skip(2), env, true),
        Some(b"-h" | b"--help" | b"help") => Ok(Command::Help),
        Some(b"-V" | b"--version" | b"version") => Ok(Command::Version),
        Some(other) => Err(Error::msg("unknown command (try 'runix --help')", other)),
        None => Err(Error::msg("no command given (try 'runix --help')", b"")),
    }
}

/// Find an option by its long name, or by its letter (`long` false): which, and whether it
/// takes a value.
fn lookup(name: &[u8], long: bool) -> Option<(O, bool)> {
    option_lines().zip(ORDER).find_map(|(l, o)| {
        let end = 1 + l[1..].iter().position(|&c| c == b' ' || c == b'\t')?;
        let hit = if long { l[1..end] == *name } else { l[0] != b' ' && l[..1] == *name };
        hit.then_some((o, l[end] == b' '))
    })
}

/// The Spec before any option.
#[inline(never)]
fn new_spec(args: Args) -> Spec {
    Spec {
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
        stop_timeout: 10,
    }
}

const CLEANUP_ONLY: &str = "cleanup takes --cgroup-parent, -v and --trace alone";

/// `run`'s options and command; with `cleanup`, only the options cleanup takes, and no command.
#[inline(never)]
fn parse_run(args: Args, env: Args, cleanup: bool) -> Result<Command, Error> {
    let mut spec = new_spec(args);
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
        let Some((opt, takes)) = lookup(&name[..eq.unwrap_or(name.len())], long) else {
            return Err(Error::msg("unknown option (try 'runix run --help')", a));
        };
        if cleanup && !matches!(opt, O::CgroupParent | O::Verbose | O::Trace | O::Help) {
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
        have_root |= opt == O::Rootfs;
        if apply(&mut spec, &mut out, &mut caps, opt, value, env)? {
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
fn apply(spec: &mut Spec, out: &mut Output, caps: &mut [CapList; 2], opt: O, value: &'static CStr, env: Args) -> Result<bool, Error> {
    let v = value.to_bytes();
    let l = &mut spec.limits;
    // An invalid value: what it is told, and with what (the value, or what is wrong with a path).
    let mut detail = v;
    let wrong: Option<&'static str> = match opt {
        O::Rootfs => {
            spec.rootfs = value;
            bad_path(&mut detail, "invalid --rootfs")
        }
        O::Hostname => {
            spec.hostname = value;
            (v.is_empty() || v.len() > HOST_NAME_MAX).then_some("invalid --hostname (1 to 64 bytes)")
        }
        O::Chroot => {
            spec.root_mode = RootMode::Chroot;
            None
        }
        O::Net => {
            spec.new_net = v == b"none";
            (v != b"host" && v != b"none").then_some("invalid --net (host or none)")
        }
        O::Bind => match parse_bind(v) {
            Some(m) => push_mount(spec, m),
            None => Some("invalid --bind (want SRC:DST or SRC:DST:ro, DST absolute, no ..)"),
        },
        O::Tmpfs => match parse_tmpfs(v) {
            Some(m) => push_mount(spec, m),
            None => Some("invalid --tmpfs (want DST or DST:size=N, DST absolute, no ..)"),
        },
        O::ReadOnly => {
            spec.read_only = true;
            None
        }
        O::Overlay => {
            if spec.overlay == Overlay::Off {
                spec.overlay = Overlay::Tmpfs;
            }
            None
        }
        O::OverlayUpper => {
            spec.overlay = Overlay::Upper(value);
            bad_path(&mut detail, "invalid --overlay-upper")
        }
        O::Env => {
            let eq = v.iter().position(|&c| c == b'=');
            let key = &v[..eq.unwrap_or(v.len())];
            // `-e KEY` copies the caller's KEY=VALUE; a KEY the caller has not set is skipped.
            let entry = if eq.is_some() { Some(value) } else { env.find_env(key) };
            if key.is_empty() {
                Some("invalid --env (want KEY=VALUE or KEY)")
            } else {
                entry.is_some_and(|e| !spec.env.set(e)).then_some("too many --env (at most 60)")
            }
        }
        O::Workdir => {
            spec.workdir = Some(value);
            if v.starts_with(b"/") { bad_path(&mut detail, "invalid --workdir") } else { Some("invalid --workdir (want an absolute path)") }
        }
        O::User => {
            spec.user = Some(value);
            (v.is_empty() || v.starts_with(b":") || v.ends_with(b":")).then_some("invalid --user (want USER or USER:GROUP)")
        }
        O::Pids => {
            l.pids = parse_count(v);
            l.pids.is_none().then_some("invalid --pids (want a whole number from 1)")
        }
        O::Memory => {
            l.memory = value::parse_size(v);
            l.memory.is_none().then_some("invalid --memory (want bytes with k, m or g, from 1)")
        }
        O::MemorySwap => {
            l.memory_swap = value::parse_swap(v);
            l.memory_swap.is_none().then_some("invalid --memory-swap (want bytes with k, m or g, or -1)")
        }
        O::Cpus => {
            l.cpus = value::parse_cpus(v).map(|q| (q, CPU_PERIOD));
            l.cpus.is_none().then_some("invalid --cpus (want a decimal from 0.01)")
        }
        O::CpuShares => {
            l.cpu_shares = parse_count(v).filter(|n| (2..=262144).contains(n));
            l.cpu_shares.is_none().then_some("invalid --cpu-shares (2 to 262144)")
        }
        O::CpusetCpus | O::CpusetMems => {
            *if opt == O::CpusetCpus { &mut l.cpuset_cpus } else { &mut l.cpuset_mems } = Some(v);
            (!value::parse_cpu_list(v)).then_some("invalid cpu or memory-node list (want e.g. 0-1,3)")
        }
        O::CgroupParent => {
            spec.cgroup_parent = Some(v);
            (v.is_empty() || has_dotdot(v)).then_some("invalid --cgroup-parent")
        }
        O::CapAdd | O::CapDrop => {
            caps[(opt == O::CapDrop) as usize].push(v)?;
            None
        }
        O::Privileged => {
            spec.privileged = true;
            None
        }
        O::Seccomp => {
            let unconfined = v == b"unconfined";
            spec.seccomp = if unconfined { Seccomp::Unconfined } else { Seccomp::File(value) };
            if unconfined { None } else { bad_path(&mut detail, "invalid --seccomp") }
        }
        O::Ulimit => match parse_ulimit(v) {
            Some(u) => (!spec.ulimits.push(u)).then_some("too many --ulimit (at most 16)"),
            None => Some("invalid --ulimit (want NAME=SOFT[:HARD], e.g. nofile=1024:2048)"),
        },
        O::Verbose => {
            out.verbosity = out.verbosity.saturating_add(1);
            None
        }
        O::Trace => {
            out.trace = out.trace.max(crate::sys::trace::TRACE);
            None
        }
        O::DryRun => {
            out.trace = crate::sys::trace::DRY_RUN;
            None
        }
        O::Tty => {
            spec.tty = true;
            None
        }
        O::Init => {
            spec.init = true;
            None
        }
        O::StopTimeout => {
            let n = crate::process::user::number(v);
            spec.stop_timeout = n.unwrap_or(0);
            n.is_none().then_some("invalid --stop-timeout (want whole seconds)")
        }
        O::Userns => {
            spec.userns = true;
            None
        }
        O::MapUser | O::MapGroup => {
            let id = crate::process::user::number(v);
            *if opt == O::MapUser { &mut spec.map_user } else { &mut spec.map_group } = id.unwrap_or(0);
            id.is_none().then_some("invalid --map-user/--map-group (want a number)")
        }
        O::Help => return Ok(true),
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

/// A container path for a mount: absolute, under PATH_MAX, no `..` (it could only mean a
/// place outside the root, and no mount goes there).
pub fn container_path(p: &[u8]) -> bool {
    p.starts_with(b"/") && p.len() < PATH_MAX && !has_dotdot(p)
}

fn has_dotdot(p: &[u8]) -> bool {
    p.split(|&c| c == b'/').any(|c| c == b"..")
}

fn is_colon(c: &u8) -> bool {
    *c == b':'
}

/// `SRC:DST`, `SRC:DST:ro` or `SRC:DST:rw`.
pub fn parse_bind(v: &'static [u8]) -> Option<Mount> {
    let mut parts = v.splitn(3, is_colon);
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
        Some(i) => (&v[..i], Some(value::parse_size(v[i + 1..].strip_prefix(b"size=")?)?)),
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
    let resource = crate::text::word_index(RLIMITS, &v[..eq])? as u8;
    let value = |s: &[u8]| if s == b"unlimited" || s == b"-1" { Some(u64::MAX) } else { parse_count(s).or((s == b"0").then_some(0)) };
    let mut parts = v[eq + 1..].splitn(2, is_colon);
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
    fn the_option_table_is_in_the_order_of_o() {
        let lines: Vec<&str> = USAGE.lines().filter(|l| l.contains('\t')).collect();
        assert_eq!(lines.len(), ORDER.len());
        for (l, o) in lines.iter().zip(ORDER) {
            let name = l[1..].split([' ', '\t']).next().unwrap();
            assert_eq!(name.replace('-', ""), std::format!("{o:?}").to_lowercase(), "{l}");
            assert_eq!(lookup(name.as_bytes(), true).map(|x| x.0), Some(o));
            if !l.starts_with(' ') {
                assert_eq!(lookup(l[..1].as_bytes(), false).map(|x| x.0), Some(o));
            }
        }
        assert_eq!(lookup(b" ", false), None);
        assert_eq!(lookup(b"", true), None);
        assert_eq!(lookup(b"rootfs", false), None);
        assert_eq!(lookup(b"r", true), None);
    }

    #[test]
    fn usage_documents_every_option_on_one_line() {
        let mut b = [0; 4096];
        let n = usage(&mut b);
        let u = std::str::from_utf8(&b[..n]).unwrap();
        assert!(u.starts_with("usage: runix run -r ROOTFS"));
        assert!(u.contains("\n  -r, --rootfs DIR          root filesystem directory (required)\n"), "{u}");
        assert!(u.contains("\n      --chroot              chroot(2)"), "{u}");
        assert!(u.ends_with(" is not found.\n"), "{u}");
        assert!(!u.contains('\t'), "{u}");
        for l in USAGE.lines().filter(|l| l.contains('\t')) {
            let name = l[1..].split([' ', '\t']).next().unwrap();
            assert_eq!(u.lines().filter(|x| x.trim_start().starts_with('-') && x.contains(&std::format!("--{name} "))).count(), 1, "{name}");
        }
        assert!(u.lines().all(|l| !l.is_empty() && l.len() <= 90), "{u}");
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
        assert!(matches!(parse(Args::from_strs(&["runix", "--version"]), Args::from_strs(&[])), Ok(Command::Version)));
    }
}
