//! The options of `runix run`, as one table: the parser looks names up in it and --help is
//! printed from it, so a new option is one row here, a variant of `Set` and its arm in `apply`
//! (cli/mod.rs).
//!
//! The table is read at compile time only: the binary keeps --help packed (its repeats as
//! back-references, `PACKED`), the options' names (`KEYS`) and what each of them sets (`SETS`).

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
struct Opt {
    short: u8,
    long: &'static str,
    value: &'static str,
    help: &'static str,
    set: Set,
}

/// A line of --help: text, or an option.
enum Line {
    Text(&'static str),
    Opt(Opt),
}

const fn opt(short: u8, long: &'static str, value: &'static str, help: &'static str, set: Set) -> Line {
    Line::Opt(Opt { short, long, value, help, set })
}

/// --help, top to bottom (README has the long form of each option).
const TABLE: &[Line] = &[
    Line::Text("usage: runix run -r ROOTFS [OPTIONS] [--] COMMAND [ARG...]"),
    Line::Text("       runix cleanup [--cgroup-parent P]   (removes the cgroups of killed runs)"),
    Line::Text("       runix [--root DIR] create|start|state|kill|delete|exec|ps|list|features ... ID"),
    Line::Text("         (an OCI runtime, as runc: README)"),
    Line::Text("       runix --help | --version"),
    Line::Text("Runs COMMAND with ROOTFS as its root, /proc, /sys (read-only) and a minimal /dev, in"),
    Line::Text("new PID, mount, UTS, IPC, network and cgroup namespaces. Options end at COMMAND."),
    Line::Text("(+): repeatable."),
    opt(b'r', "rootfs", "DIR", "root filesystem directory (required)", Set::Rootfs),
    opt(0, "hostname", "NAME", "hostname inside (default: container)", Set::Hostname),
    opt(0, "chroot", "", "chroot(2) in place of pivot_root(2) (initramfs: by itself)", Set::Chroot),
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

/// --help as printed, into `out` (as far as it goes): its length. Text lines as they are; an
/// option as `  -r, --rootfs DIR`, its help from HELP_COLUMN.
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
                assert!(n < start + HELP_COLUMN, "an option's name and value reach into its help");
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

/// The length of --help.
pub const HELP_LEN: usize = render(&mut []);

/// --help, which only the compiler keeps whole.
const HELP: [u8; HELP_LEN] = {
    let mut b = [0; HELP_LEN];
    render(&mut b);
    b
};

/// PACKED's back-references (LZ77): this bit, the length less MIN_COPY (4 bits) and the
/// distance (11 bits, with the next byte). The help is ASCII, so a byte without it is itself.
const COPY: u8 = 0x80;
const MIN_COPY: usize = 3;
const MAX_COPY: usize = MIN_COPY + 15;
const MAX_DISTANCE: usize = 2047;

/// HELP with each repeat of 3 to 18 bytes seen up to 2047 bytes before as 2 bytes (the help
/// repeats its padding, `--` and words: it is a bit over half its size).
const fn pack(out: &mut [u8]) -> usize {
    // The last place of each 2-byte pair, and before each place the last one of its pair:
    // the search looks only where a copy can start.
    let mut last = [usize::MAX; 1 << 14];
    let mut prev = [usize::MAX; HELP_LEN];
    let (mut i, mut n) = (0, 0);
    while i < HELP_LEN {
        assert!(HELP[i] < COPY, "--help is ASCII");
        let (mut best, mut from) = (0, 0);
        let mut j = if i + 1 < HELP_LEN { last[pair(i)] } else { usize::MAX };
        while j != usize::MAX && i - j <= MAX_DISTANCE {
            let mut len = 0;
            while i + len < HELP_LEN && len < MAX_COPY && HELP[j + len] == HELP[i + len] {
                len += 1;
            }
            if len > best {
                (best, from) = (len, j);
            }
            j = prev[j];
        }
        let step = if best >= MIN_COPY { best } else { 1 };
        if step > 1 {
            let d = i - from;
            n = put(out, n, &[COPY | ((best - MIN_COPY) << 3) as u8 | (d >> 8) as u8, d as u8]);
        } else {
            n = put(out, n, &[HELP[i]]);
        }
        // Every place passed becomes a start to copy from.
        let end = i + step;
        while i < end {
            if i + 1 < HELP_LEN {
                prev[i] = last[pair(i)];
                last[pair(i)] = i;
            }
            i += 1;
        }
    }
    n
}

/// The 2 bytes of HELP at `i`, as one number.
const fn pair(i: usize) -> usize {
    (HELP[i] as usize) << 7 | HELP[i + 1] as usize
}

const PACKED_LEN: usize = pack(&mut []);
static PACKED: [u8; PACKED_LEN] = {
    let mut b = [0; PACKED_LEN];
    pack(&mut b);
    b
};

/// --help into `out`.
#[inline(never)]
pub fn unpack_help(out: &mut [u8; HELP_LEN]) {
    let (mut i, mut n) = (0, 0usize);
    while let Some(&c) = PACKED.get(i) {
        i += 1;
        let (len, d) = match c & COPY {
            0 => (1, 0),
            _ => {
                i += 1;
                ((c as usize >> 3 & 15) + MIN_COPY, (c as usize & 7) << 8 | PACKED.get(i - 1).copied().unwrap_or(0) as usize)
            }
        };
        for _ in 0..len {
            // A literal is its own byte; a copy may overlap what it makes (a run of spaces).
            let b = if d == 0 { c } else { out.get(n.wrapping_sub(d)).copied().unwrap_or(0) };
            if let Some(o) = out.get_mut(n) {
                *o = b;
            }
            n += 1;
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, parse};
    use crate::sys::Args;
    extern crate std;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    fn opts() -> impl Iterator<Item = &'static Opt> {
        TABLE.iter().filter_map(|l| match l {
            Line::Opt(o) => Some(o),
            Line::Text(_) => None,
        })
    }

    /// A valid value for each option that takes one.
    fn sample(long: &str) -> &'static str {
        match long {
            "rootfs" | "workdir" | "overlay-upper" | "seccomp" | "cgroup-parent" => "/x",
            "hostname" => "box",
            "net" => "host",
            "bind" => "/a:/b:ro",
            "tmpfs" => "/tmp:size=1m",
            "env" => "A=1",
            "user" => "1000:100",
            "pids" | "stop-timeout" | "map-user" | "map-group" => "5",
            "memory" => "32m",
            "memory-swap" => "128m",
            "cpus" => "0.5",
            "cpu-shares" => "512",
            "cpuset-cpus" | "cpuset-mems" => "0",
            "cap-add" | "cap-drop" => "NET_RAW",
            "ulimit" => "nofile=64:128",
            _ => panic!("--{long}: give it a sample value here"),
        }
    }

    fn parse_strs(v: &[&str]) -> Result<Command, &'static str> {
        parse(Args::from_strs(v), Args::from_strs(&[])).map_err(|e| e.what())
    }

    #[test]
    fn names_are_unique_and_match_what_they_set() {
        let all: Vec<&Opt> = opts().collect();
        assert_eq!(all.len(), SETS.len());
        for (i, o) in all.iter().enumerate() {
            assert!(!o.long.is_empty() && o.long.bytes().all(|c| c.is_ascii_lowercase() || c == b'-'), "{}", o.long);
            assert_eq!(o.long.replace('-', ""), format!("{:?}", o.set).to_lowercase(), "--{} sets {:?}", o.long, o.set);
            assert!(o.short == 0 || o.short.is_ascii_lowercase(), "--{}", o.long);
            assert!(o.value.bytes().all(|c| c.is_ascii_graphic()), "--{} {}", o.long, o.value);
            for p in &all[..i] {
                assert!(p.long != o.long && (o.short == 0 || p.short != o.short) && p.set != o.set, "--{} and --{}", p.long, o.long);
            }
        }
    }

    #[test]
    fn lookup_finds_each_option_by_its_names_only() {
        for o in opts() {
            let want = Some((o.set, !o.value.is_empty()));
            assert_eq!(lookup(o.long.as_bytes(), true), want, "--{}", o.long);
            assert_eq!(lookup(o.long.as_bytes(), false), None, "-{}", o.long);
            if o.short != 0 {
                assert_eq!(lookup(&[o.short], false), want, "-{}", o.short as char);
                assert_eq!(lookup(&[o.short], true), None, "--{}", o.short as char);
            }
        }
        for bad in [&b""[..], b" ", b"\n", b"=", b"roo", b"rootfsx", b"x", b"-rootfs", b"rootfs=", b"chroot\n"] {
            assert_eq!(lookup(bad, true), None, "{bad:?}");
            assert_eq!(lookup(bad, false), None, "{bad:?}");
        }
    }

    #[test]
    fn every_option_parses_in_each_form() {
        for o in opts() {
            let long = format!("--{}", o.long);
            let short = format!("-{}", o.short as char);
            let mut forms: Vec<Vec<String>> = Vec::new();
            if o.value.is_empty() {
                forms.push(std::vec![long.clone()]);
                if o.short != 0 {
                    forms.push(std::vec![short.clone()]);
                }
            } else {
                let v = sample(o.long);
                forms.push(std::vec![long.clone(), v.into()]);
                forms.push(std::vec![format!("{long}={v}")]);
                if o.short != 0 {
                    forms.push(std::vec![short.clone(), v.into()]);
                }
            }
            for f in forms {
                // --memory-swap needs a memory limit.
                let mut a = std::vec!["runix", "run", "-r", "/", "-m", "64m"];
                a.extend(f.iter().map(String::as_str));
                a.push("sh");
                match parse_strs(&a) {
                    Ok(Command::Help) => assert!(o.set == Set::Help, "{a:?}"),
                    Ok(Command::Run(..)) => assert!(o.set != Set::Help, "{a:?}"),
                    Ok(_) => panic!("{a:?}: neither a run nor help"),
                    Err(e) => panic!("{a:?}: {e}"),
                }
            }
            if o.value.is_empty() {
                assert_eq!(parse_strs(&["runix", "run", "-r", "/", &format!("{long}=x"), "sh"]).err(), Some("option takes no value"), "{long}");
            } else {
                assert_eq!(parse_strs(&["runix", "run", "-r", "/", &long]).err(), Some("option needs a value"), "{long}");
            }
        }
    }

    #[test]
    fn forms_that_are_no_option() {
        // No bundled letters and no value glued to a letter: `-vv...` is the one run of letters.
        for a in ["-r/", "-vt", "-tv", "-r=/", "---rootfs", "--", "-", "--Rootfs", "-R", "--rootfs-", "--=x"] {
            let e = parse_strs(&["runix", "run", a, "/", "sh"]).err();
            assert!(e == Some("unknown option (try 'runix run --help')") || a.len() < 3, "{a}: {e:?}");
        }
        assert!(matches!(parse_strs(&["runix", "run", "-vvv", "-r", "/", "sh"]), Ok(Command::Run(_, o)) if o.verbosity == 3));
    }

    #[test]
    fn help_lists_every_option_once() {
        let mut b = [0; HELP_LEN];
        unpack_help(&mut b);
        assert_eq!(b, HELP, "PACKED does not unpack to the help");
        assert!(PACKED_LEN < HELP_LEN);
        let u = std::str::from_utf8(&b).unwrap();
        assert!(u.starts_with("usage: runix run -r ROOTFS [OPTIONS] [--] COMMAND [ARG...]\n"), "{u}");
        assert!(u.contains("\n  -r, --rootfs DIR          root filesystem directory (required)\n"), "{u}");
        assert!(u.contains("\n      --chroot              chroot(2) in place of pivot_root(2) (initramfs: by itself)\n"), "{u}");
        assert!(u.contains("\nLimits (cgroup v1 or v2; root on v1 also gets a devices cgroup):\n  -p, --pids N"), "{u}");
        assert!(u.ends_with(" is not found.\n"), "{u}");
        assert!(u.lines().all(|l| !l.is_empty() && l.len() <= 90 && !l.contains('\t')), "{u}");
        let option_lines: Vec<&str> = u.lines().filter(|l| l.starts_with("  -") || l.starts_with("      --")).collect();
        assert_eq!(option_lines.len(), opts().count());
        for o in opts() {
            let mut head = if o.short == 0 { format!("      --{}", o.long) } else { format!("  -{}, --{}", o.short as char, o.long) };
            if !o.value.is_empty() {
                head = format!("{head} {}", o.value);
            }
            let line = format!("{head:<28}{}", o.help);
            assert_eq!(u.lines().filter(|l| *l == line).count(), 1, "{line}");
            let name = format!("--{}", o.long);
            assert_eq!(option_lines.iter().filter(|l| l.split([' ', ',']).any(|w| w == name)).count(), 1, "{name}");
        }
    }
}
