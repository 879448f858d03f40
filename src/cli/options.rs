//! The options of `runix run`, as one table: the parser looks names up in it and --help is
//! printed from it, so a new option is one row here and one arm in `apply` (cli/mod.rs).
//!
//! The table is read at compile time only: what the binary keeps is `KEYS` (one line per
//! option, which the parser and --help share) and `SETS` (what each of those lines sets).

/// What an option sets: one arm of `apply` each.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Set {
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

/// One option: `-SHORT` (0: none), `--LONG`, the placeholder of its value ("": it takes none),
/// its help, and what it sets.
pub struct Opt {
    pub short: u8,
    pub long: &'static str,
    pub value: &'static str,
    pub help: &'static str,
    pub set: Set,
}

/// A line of --help: text, or an option.
pub enum Line {
    Text(&'static str),
    Opt(Opt),
}

const fn opt(short: u8, long: &'static str, value: &'static str, help: &'static str, set: Set) -> Line {
    Line::Opt(Opt { short, long, value, help, set })
}

/// --help, top to bottom (README has the long form of each option).
pub const TABLE: &[Line] = &[
    Line::Text("usage: runix run -r ROOTFS [OPTIONS] [--] COMMAND [ARG...]"),
    Line::Text("       runix cleanup [--cgroup-parent P]   (removes the cgroups of killed runs)"),
    Line::Text("       runix --help | --version"),
    Line::Text("Runs COMMAND with ROOTFS as its root, /proc, /sys (read-only) and a minimal /dev, in"),
    Line::Text("new PID, mount, UTS, IPC, network and cgroup namespaces. Options end at COMMAND."),
    Line::Text("(+): repeatable."),
    opt(b'r', "rootfs", "DIR", "root filesystem directory (required)", Set::Rootfs),
    opt(0, "hostname", "NAME", "hostname inside (default: container)", Set::Hostname),
    opt(0, "chroot", "", "chroot(2) in place of pivot_root(2), for initramfs hosts", Set::Chroot),
    opt(0, "net", "host|none", "the host's network, or (default) its own with lo up", Set::Net),
    opt(b'b', "bind", "SRC:DST[:ro]", "bind-mount host path SRC at DST (+)", Set::Bind),
    opt(0, "tmpfs", "DST[:size=N]", "mount a tmpfs at DST (+)", Set::Tmpfs),
    opt(0, "read-only", "", "read-only root (binds and tmpfs keep their own mode)", Set::ReadOnly),
    opt(0, "overlay", "", "write to a tmpfs over ROOTFS, which stays unchanged", Set::Overlay),
    opt(0, "overlay-upper", "DIR", "keep those changes in DIR/upper (DIR/work: scratch)", Set::OverlayUpper),
    opt(b'e', "env", "KEY[=VALUE]", "set a variable, or copy yours (+)", Set::Env),
    opt(b'w', "workdir", "DIR", "working directory inside (default /)", Set::Workdir),
    opt(b'u', "user", "USER[:GROUP]", "name or id in the root's /etc/passwd, /etc/group", Set::User),
    Line::Text("Limits (cgroup v1 or v2; root on v1 also gets a devices cgroup):"),
    opt(b'p', "pids", "N", "at most N processes", Set::Pids),
    opt(b'm', "memory", "SIZE", "memory limit, bytes with k, m or g", Set::Memory),
    opt(0, "memory-swap", "SIZE", "memory plus swap (-1: unlimited swap)", Set::MemorySwap),
    opt(0, "cpus", "N.NN", "CPU time, in CPUs (quota per 100 ms)", Set::Cpus),
    opt(0, "cpu-shares", "N", "relative CPU weight, 2 to 262144", Set::CpuShares),
    opt(0, "cpuset-cpus", "LIST", "CPUs allowed, e.g. 0-1,3", Set::CpusetCpus),
    opt(0, "cpuset-mems", "LIST", "memory nodes allowed", Set::CpusetMems),
    opt(0, "cgroup-parent", "P", "make the cgroup under P, not runix's own", Set::CgroupParent),
    Line::Text("Security (defaults as Docker's: 14 capabilities, seccomp, no_new_privs):"),
    opt(0, "cap-add", "CAP", "add a capability, or ALL (+)", Set::CapAdd),
    opt(0, "cap-drop", "CAP", "drop a capability, or ALL (+)", Set::CapDrop),
    opt(0, "privileged", "", "all capabilities, no seccomp, no masked paths", Set::Privileged),
    opt(0, "seccomp", "P", "unconfined, or a file of raw BPF", Set::Seccomp),
    opt(0, "ulimit", "N=S[:H]", "resource limit, e.g. nofile=1024:2048 (+)", Set::Ulimit),
    Line::Text("Process:"),
    opt(b't', "tty", "", "a terminal of its own, relayed to yours (raw mode)", Set::Tty),
    opt(0, "init", "", "runix stays as PID 1: reaps zombies, passes signals on", Set::Init),
    opt(0, "stop-timeout", "N", "after a SIGTERM or SIGINT, SIGKILL past N s (default 10)", Set::StopTimeout),
    opt(0, "userns", "", "a user namespace also for root (always without root)", Set::Userns),
    opt(0, "map-user", "UID", "your uid inside the user namespace (default 0)", Set::MapUser),
    opt(0, "map-group", "GID", "your gid inside the user namespace (default 0)", Set::MapGroup),
    Line::Text("Output:"),
    opt(b'v', "verbose", "", "log each step (-vv: more)", Set::Verbose),
    opt(0, "trace", "", "print runix's syscalls on stderr", Set::Trace),
    opt(0, "dry-run", "", "print them, and make none that changes anything", Set::DryRun),
    opt(b'h', "help", "", "this help", Set::Help),
    Line::Text("Exit status: COMMAND's; 128+N if killed by signal N; 125 if runix fails; 126 if COMMAND"),
    Line::Text("cannot be executed; 127 if it is not found."),
];

/// The column where an option's help starts.
const HELP_COLUMN: usize = 28;

/// --help into `out` (when it is long enough): its length. Text lines as they are; an option
/// as `  -r, --rootfs DIR`, its help from HELP_COLUMN.
const fn render(out: &mut [u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < TABLE.len() {
        match &TABLE[i] {
            Line::Text(t) => n = put(out, n, t.as_bytes()),
            Line::Opt(o) => {
                let start = n;
                if o.short == 0 {
                    n = put(out, n, b"      --");
                } else {
                    n = put(out, n, b"  -");
                    n = put(out, n, &[o.short]);
                    n = put(out, n, b", --");
                }
                n = put(out, n, o.long.as_bytes());
                if !o.value.is_empty() {
                    n = put(out, n, b" ");
                    n = put(out, n, o.value.as_bytes());
                }
                while n < start + HELP_COLUMN {
                    n = put(out, n, b" ");
                }
                n = put(out, n, o.help.as_bytes());
            }
        }
        n = put(out, n, b"\n");
        i += 1;
    }
    n
}

/// Copy `s` into `out` at `n` (as far as `out` goes); the new length.
const fn put(out: &mut [u8], n: usize, s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        if n + i < out.len() {
            out[n + i] = s[i];
        }
        i += 1;
    }
    n + s.len()
}

const HELP_LEN: usize = render(&mut []);

/// --help, as printed.
pub static HELP: [u8; HELP_LEN] = {
    let mut b = [0; HELP_LEN];
    render(&mut b);
    b
};

/// The number of options.
const COUNT: usize = {
    let (mut i, mut n) = (0, 0);
    while i < TABLE.len() {
        if let Line::Opt(_) = TABLE[i] {
            n += 1;
        }
        i += 1;
    }
    n
};

/// The options' names for the parser: per option, its letter (or a space) and long name, then
/// `=` when it takes a value, else `\n`.
const fn keys(out: &mut [u8]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < TABLE.len() {
        if let Line::Opt(o) = &TABLE[i] {
            n = put(out, n, &[if o.short == 0 { b' ' } else { o.short }]);
            n = put(out, n, o.long.as_bytes());
            n = put(out, n, if o.value.is_empty() { b"\n" } else { b"=" });
        }
        i += 1;
    }
    n
}

const KEYS_LEN: usize = keys(&mut []);
static KEYS: [u8; KEYS_LEN] = {
    let mut b = [0; KEYS_LEN];
    keys(&mut b);
    b
};

/// What each option of KEYS sets.
static SETS: [Set; COUNT] = {
    let mut s = [Set::Help; COUNT];
    let (mut i, mut n) = (0, 0);
    while i < TABLE.len() {
        if let Line::Opt(o) = &TABLE[i] {
            s[n] = o.set;
            n += 1;
        }
        i += 1;
    }
    s
};

/// The option named `name` (its long name, or with `long` false its letter): what it sets,
/// and whether it takes a value.
pub fn lookup(name: &[u8], long: bool) -> Option<(Set, bool)> {
    let mut start = 0;
    let mut k = 0;
    for (i, &c) in KEYS.iter().enumerate() {
        if c == b'\n' || c == b'=' {
            let key = &KEYS[start..i];
            let hit = if long { key[1..] == *name } else { key[0] != b' ' && key[..1] == *name };
            if hit {
                return Some((SETS[k], c == b'='));
            }
            k += 1;
            start = i + 1;
        }
    }
    None
}
