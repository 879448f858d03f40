//! The OCI runtime's command line, runc's, as podman's conmon and containerd's shim call it:
//! `runix [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID [SIGNAL]]`. Options may come anywhere, in the
//! form `--name VALUE` or `--name=VALUE`; `exec ID CMD...`'s command ends them. Pure, as the
//! rest of cli/.

use super::Command;
use crate::error::Error;
use crate::sys::{Args, CList};
use crate::text::{After, number, word_index};
use core::ffi::CStr;

/// The commands, in the order of `Cmd`.
const COMMANDS: &str = "create start state kill delete ps run exec list features";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd)]
#[cfg_attr(test, derive(Debug))]
pub enum Cmd {
    Create,
    Start,
    State,
    Kill,
    Delete,
    Ps,
    Run,
    Exec,
    /// Those from here on take no ID.
    List,
    Features,
}

const CMDS: [Cmd; 10] = [Cmd::Create, Cmd::Start, Cmd::State, Cmd::Kill, Cmd::Delete, Cmd::Ps, Cmd::Run, Cmd::Exec, Cmd::List, Cmd::Features];

/// Every command's options; the first VALUED take a value.
const OPTIONS: &str = "root log log-format bundle pid-file console-socket preserve-fds format process cwd user env debug systemd-cgroup force all no-pivot no-new-keyring version help detach tty";
pub const ROOT: usize = 0;
pub const LOG: usize = 1;
pub const LOG_FORMAT: usize = 2;
pub const BUNDLE: usize = 3;
pub const PID_FILE: usize = 4;
pub const CONSOLE_SOCKET: usize = 5;
pub const PRESERVE_FDS: usize = 6;
pub const FORMAT: usize = 7;
pub const PROCESS: usize = 8;
pub const CWD: usize = 9;
pub const USER: usize = 10;
const ENV: usize = 11;
const VALUED: usize = 12;
pub const DEBUG: usize = 12;
pub const SYSTEMD_CGROUP: usize = 13;
pub const FORCE: usize = 14;
pub const ALL: usize = 15;
pub const NO_PIVOT: usize = 16;
const VERSION: usize = 18;
const HELP: usize = 19;
pub const DETACH: usize = 20;
pub const TTY: usize = 21;

/// runc's longest ID is as long as a path component may be; runix's too.
const ID_MAX: usize = 255;


/// `runix COMMAND ...` of the OCI runtime.
#[cfg_attr(test, derive(Debug))]
pub struct Oci {
    pub cmd: Cmd,
    /// The container's ID (empty for `list` and `features`).
    pub id: &'static CStr,
    /// The values of the options that take one, by OPTIONS' index: --root (the containers'
    /// state), --log (a file that gets each error too), --log-format, --bundle (default: the
    /// working directory), --pid-file, --console-socket, --preserve-fds, --format.
    pub values: [Option<&'static CStr>; VALUED],
    /// Bit k: option k was given (those without a value: --debug, --force...).
    pub flags: u32,
    /// kill's signal (default SIGTERM).
    pub signal: i32,
    /// exec's command, and its --env values (KEY=VALUE; each may be given again).
    pub argv: Args,
    pub env: CList<32>,
}

impl Oci {
    pub fn has(&self, option: usize) -> bool {
        self.flags >> option & 1 != 0
    }

    /// Whether option `k` is `json` (--log-format, --format).
    pub fn json(&self, k: usize) -> bool {
        self.values[k] == Some(c"json")
    }

    pub fn root(&self) -> &'static CStr {
        self.values[ROOT].unwrap_or(c"/run/runix")
    }
}

/// Whether `arg` is one of these options: `runix run` with one is `run --bundle`.
pub fn is_option(arg: Option<&CStr>) -> bool {
    arg.and_then(|a| a.to_bytes().after(b"--")).is_some_and(|n| word_index(OPTIONS, name(n)).is_some())
}

/// An option's name: before `=`.
fn name(n: &[u8]) -> &[u8] {
    n.split(|&c| c == b'=').next().unwrap_or(n)
}

/// Parse the words after the program's name.
#[inline(never)]
pub fn parse(args: Args) -> Result<Command, Error> {
    let mut o = Oci { cmd: Cmd::List, id: c"", values: [None; VALUED], flags: 0, signal: libc::SIGTERM, argv: args.skip(args.len()), env: CList::new() };
    // The command, the ID, the signal: how many, and the first three.
    let mut words: [Option<&'static CStr>; 3] = [None; 3];
    let mut n = 0;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        // exec's command, after its ID: the rest, options or not (runc's way).
        if n == 2 && words[0] == Some(c"exec") {
            o.argv = args.skip(i);
            break;
        }
        i += 1;
        let a = arg.to_bytes();
        if a.len() < 2 || a[0] != b'-' {
            if let Some(w) = words.get_mut(n) {
                *w = Some(arg);
            }
            n += 1;
            continue;
        }
        // (`-x` is no option: its name is empty.)
        let long = a.after(b"--").unwrap_or(b"");
        let k = word_index(OPTIONS, name(long)).ok_or_else(|| Error::msg("unknown option (try 'runix --help')", a))?;
        let eq = long.len() > name(long).len();
        o.flags |= 1 << k;
        match (o.values.get_mut(k), eq) {
            (Some(v), true) => *v = Some(&arg[name(long).len() + 3..]),
            (Some(v), false) => {
                *v = args.get(i);
                i += 1;
                if v.is_none() {
                    return Err(Error::msg("option needs a value", a));
                }
            }
            (None, true) => return Err(Error::msg("option takes no value", a)),
            (None, false) => {}
        }
        if k == ENV && !o.values[ENV].is_some_and(|e| o.env.set(e)) {
            return Err(Error::msg("too many --env", a));
        }
    }
    if o.has(VERSION) || o.has(HELP) {
        return Ok(if o.has(HELP) { Command::Help } else { Command::Version(true) });
    }
    let Some(cmd) = words[0] else { return Err(Error::msg("no command given (try 'runix --help')", b"")) };
    o.cmd = match word_index(COMMANDS, cmd.to_bytes()) {
        Some(c) => CMDS[c],
        None => return Err(Error::msg("unknown command (try 'runix --help')", cmd.to_bytes())),
    };
    let takes_id = o.cmd < Cmd::List;
    if n > 1 + takes_id as usize + (o.cmd == Cmd::Kill) as usize {
        return Err(Error::msg("too many arguments", b""));
    }
    if takes_id {
        o.id = words[1].ok_or_else(|| Error::msg("missing container id", b""))?;
    }
    if let Some(s) = words[2] {
        o.signal = signal(s.to_bytes()).ok_or_else(|| Error::msg("unknown signal", s.to_bytes()))?;
    }
    Ok(Command::Oci(o))
}

/// A container ID as runc takes it, and one that is a single path component: checked by the
/// commands (oci/state.rs), so that an error goes to --log too.
pub fn check_id(id: &CStr) -> Result<(), Error> {
    let id = id.to_bytes();
    if !(1..=ID_MAX).contains(&id.len()) || id == b"." || id == b".." || !id.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'.' | b'-')) {
        return Err(Error::msg(invalid!("container id (want 1 to 255 of A-Z a-z 0-9 _ + . -)"), id));
    }
    Ok(())
}

/// The signals by name, from 1.
const SIGNALS: &str = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS";

/// A signal as kill(1) and runc take it: a number from 1 to 64, or a name, with or without
/// `SIG`, in any case.
fn signal(s: &[u8]) -> Option<i32> {
    if let Some(n) = number(s) {
        return (1..=64).contains(&n).then_some(n as i32);
    }
    let mut up = [0u8; 9];
    let up = up.get_mut(..s.len())?;
    for (u, c) in up.iter_mut().zip(s) {
        *u = c.to_ascii_uppercase();
    }
    let name = up.after(b"SIG").unwrap_or(up);
    word_index(SIGNALS, name).filter(|_| !name.is_empty()).map(|i| i as i32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse as parse_all;

    fn oci(v: &[&str]) -> Oci {
        match parse_all(Args::from_strs(v), Args::from_strs(&[])) {
            Ok(Command::Oci(o)) => o,
            _ => panic!("{v:?} is not an OCI command"),
        }
    }

    fn err(v: &[&str]) -> &'static str {
        match parse_all(Args::from_strs(v), Args::from_strs(&[])) {
            Err(e) => e.what(),
            Ok(_) => panic!("{v:?} should fail"),
        }
    }

    #[test]
    fn conmon_and_the_shim_are_understood() {
        let o = oci(&["runix", "--log-format=json", "--log", "/l", "create", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "abc"]);
        assert_eq!((o.cmd, o.id, o.root(), o.values[LOG], o.json(LOG_FORMAT)), (Cmd::Create, c"abc", c"/run/runix", Some(c"/l"), true));
        assert_eq!((o.values[BUNDLE], o.values[PID_FILE], o.values[CONSOLE_SOCKET]), (Some(c"/b"), Some(c"/p"), Some(c"/s")));
        let o = oci(&["runix", "--root", "/run/containerd/runc/default", "--log", "/l", "--log-format", "json", "ps", "--format", "json", "c2"]);
        assert_eq!((o.cmd, o.id, o.root(), o.json(FORMAT)), (Cmd::Ps, c"c2", c"/run/containerd/runc/default", true));
        let o = oci(&["runix", "delete", "--force", "x"]);
        assert_eq!((o.cmd, o.has(FORCE), o.has(ALL)), (Cmd::Delete, true, false));
        let o = oci(&["runix", "kill", "--all", "x", "9"]);
        assert_eq!((o.cmd, o.has(ALL), o.signal), (Cmd::Kill, true, 9));
        assert_eq!(oci(&["runix", "kill", "x"]).signal, libc::SIGTERM);
        let o = oci(&["runix", "--debug", "list"]);
        assert_eq!((o.cmd, o.id, o.has(DEBUG), o.json(FORMAT)), (Cmd::List, c"", true, false));
        let o = oci(&["runix", "create", "--no-pivot", "--no-new-keyring", "--preserve-fds", "0", "x"]);
        assert!(o.has(NO_PIVOT) && o.values[BUNDLE].is_none());
        assert_eq!(oci(&["runix", "features"]).cmd, Cmd::Features);
    }

    #[test]
    fn run_with_a_bundle_is_the_runtimes_run() {
        let o = oci(&["runix", "run", "--bundle", "/b", "x"]);
        assert_eq!((o.cmd, o.values[BUNDLE], o.id), (Cmd::Run, Some(c"/b"), c"x"));
        assert_eq!(oci(&["runix", "run", "--bundle=/b", "x"]).values[BUNDLE], Some(c"/b"));
        // -b is still --bind, and `run -r` is runix's own.
        assert!(matches!(parse_all(Args::from_strs(&["runix", "run", "-r", "/", "-b", "/a:/a", "sh"]), Args::from_strs(&[])), Ok(Command::Run(..))));
        assert!(matches!(parse_all(Args::from_strs(&["runix", "run", "--rootfs=/", "sh"]), Args::from_strs(&[])), Ok(Command::Run(..))));
    }

    #[test]
    fn exec_takes_podmans_options_and_a_command_after_the_id() {
        let o = oci(&["runix", "exec", "--pid-file", "/p", "--process", "/x.json", "--detach", "--tty", "--console-socket", "/s", "c"]);
        assert_eq!((o.cmd, o.id, o.values[PROCESS], o.has(DETACH), o.has(TTY), o.argv.len()), (Cmd::Exec, c"c", Some(c"/x.json"), true, true, 0));
        // After the ID, the rest is the command, options or not; --env may come again.
        let o = oci(&["runix", "exec", "--env", "A=1", "--cwd", "/t", "--user", "1:2", "--env=B=2", "--env", "A=3", "c", "sh", "--tty", "-c"]);
        assert_eq!((o.values[CWD], o.values[USER], o.has(TTY)), (Some(c"/t"), Some(c"1:2"), false));
        assert_eq!(format!("{:?} {:?}", o.argv, o.env), r#"["sh", "--tty", "-c"] ["A=3", "B=2"]"#);
        assert_eq!(err(&["runix", "exec"]), "missing container id");
        assert_eq!(err(&["runix", "exec", "--detach=1", "c", "sh"]), "option takes no value");
    }

    #[test]
    fn signals_by_name_and_number() {
        for (s, n) in [("TERM", 15), ("SIGTERM", 15), ("sigkill", 9), ("kill", 9), ("9", 9), ("64", 64), ("HUP", 1), ("SYS", 31), ("WINCH", 28)] {
            assert_eq!(signal(s.as_bytes()), Some(n), "{s}");
        }
        for s in ["0", "65", "SIG", "", "TERMS", "SIGSIGTERM", "-9", "VERYLONGNAME"] {
            assert_eq!(signal(s.as_bytes()), None, "{s}");
        }
        assert_eq!(err(&["runix", "kill", "x", "FOO"]), "unknown signal");
    }

    #[test]
    fn ids_are_runcs() {
        let bad = "invalid container id (want 1 to 255 of A-Z a-z 0-9 _ + . -)";
        let check = |id: &str| check_id(&std::ffi::CString::new(id).unwrap()).map_err(|e| e.what());
        for id in ["", ".", "..", "a/b", "../x", "a b", "é", &"a".repeat(256)] {
            assert_eq!(check(id), Err(bad), "{id}");
        }
        for id in ["a", "A-b_c+d.e", "...", &"f".repeat(255)] {
            assert_eq!(check(id), Ok(()), "{id}");
            assert_eq!(oci(&["runix", "state", id]).id.to_bytes(), id.as_bytes());
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(err(&["runix", "start"]), "missing container id");
        assert_eq!(err(&["runix", "start", "a", "b"]), "too many arguments");
        assert_eq!(err(&["runix", "list", "a"]), "too many arguments");
        assert_eq!(err(&["runix", "kill", "a", "9", "x"]), "too many arguments");
        assert_eq!(err(&["runix", "--root"]), "option needs a value");
        assert_eq!(err(&["runix", "--force=1", "delete", "x"]), "option takes no value");
        assert_eq!(err(&["runix", "--bogus", "list"]), "unknown option (try 'runix --help')");
        assert_eq!(err(&["runix", "delete", "-f", "x"]), "unknown option (try 'runix --help')");
        // (Refused by the command, oci/state.rs, so that the error goes to --log too.)
        assert_eq!(oci(&["runix", "create", "--preserve-fds", "2", "x"]).values[PRESERVE_FDS], Some(c"2"));
        assert_eq!(err(&["runix", "--root", "/r"]), "no command given (try 'runix --help')");
        assert_eq!(err(&["runix", "--root", "/r", "frob"]), "unknown command (try 'runix --help')");
        assert!(oci(&["runix", "--systemd-cgroup", "create", "x"]).has(SYSTEMD_CGROUP));
    }

    #[test]
    fn version_in_runcs_shape_after_a_global_option() {
        assert!(matches!(parse_all(Args::from_strs(&["runix", "--version"]), Args::from_strs(&[])), Ok(Command::Version(false))));
        assert!(matches!(parse_all(Args::from_strs(&["runix", "--debug", "--version"]), Args::from_strs(&[])), Ok(Command::Version(true))));
        assert!(matches!(parse_all(Args::from_strs(&["runix", "--root", "/r", "--help"]), Args::from_strs(&[])), Ok(Command::Help)));
    }
}
