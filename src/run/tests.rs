//! The sequence without root, through the recording backend (sys/record.rs): the child's
//! steps on the fake kernel, and the parent's, `run` whole, on a fake host (a fake cgroupfs,
//! cgroup/fake.rs, and a script for what the container does), each error path's cleanup
//! included.

use super::*;
use crate::cgroup::fake::{Fake, v1_host, v2_host};
use crate::error::tests::show;
use crate::sys::record::{self, Kernel, Recording, positions};
use crate::sys::{Args, trace};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::format;
use std::rc::Rc;
use std::string::{String, ToString};
use std::vec::Vec;
use syscalls::Sysno;

/// The Spec of `runix run ARGS`.
pub(super) fn spec(args: &[&str]) -> Spec {
    let argv: Vec<&str> = ["runix", "run"].iter().chain(args).copied().collect();
    match crate::cli::parse(Args::from_strs(&argv), Args::from_strs(&[])) {
        Ok(crate::cli::Command::Run(s, _)) => s,
        _ => panic!("{args:?}"),
    }
}

/// A recording whose fstat says "the null device" (runix's /dev/null is checked), whose
/// fstatfs says proc or sysfs after an open of "proc" or "sys" (the tops the masks are made
/// in are checked), and whose getcwd says "/"; the other calls get --dry-run's fakes, but
/// those that contain `fail`.
pub(super) fn fake(fail: &'static str, errno: i32) -> Recording {
    let rec = Recording::start(Kernel::Fake);
    let fs = std::cell::Cell::new(0);
    rec.answer(move |nr, a| {
        let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
        if !fail.is_empty() && line.contains(fail) {
            return Some(-errno as isize);
        }
        if nr == Sysno::openat {
            fs.set(if line.contains("\"proc\"") { 0x9fa0 } else if line.contains("\"sys\"") { 0x6265_6572 } else { 0 });
        }
        if nr == Sysno::fstatfs {
            return record::reply_statfs(nr, a, fs.get());
        }
        // runix's /dev/null is checked; the working directory too, once in the root.
        let null = crate::sys::Stat { dev: 1, ino: 3, mode: libc::S_IFCHR, rdev: crate::sys::dev(1, 3), size: 0 };
        match nr {
            Sysno::newfstatat => record::reply_stat(nr, a, &null),
            Sysno::getcwd => record::reply_getcwd(nr, a, b"/"),
            _ => None,
        }
    });
    rec
}

/// The child's steps for `args` as root, with no cgroup, on the fake: its error, and its
/// calls.
fn child(args: &[&str], fail: &'static str, errno: i32) -> (Error, Vec<String>) {
    child_with(args, fail, errno, -1)
}

/// `child`, with exec.fifo open as `fifo` (`runix create`'s child), or -1.
fn child_with(args: &[&str], fail: &'static str, errno: i32, fifo: Fd) -> (Error, Vec<String>) {
    let spec = spec(args);
    let mut plan = Plan::new(&spec);
    plan.fill(Facts { userns: false, nodev: false, tty_gid: true }).unwrap();
    let cg = Cgroups::EMPTY;
    let rec = fake(fail, errno);
    let c = Child { spec: &spec, sock: 5, parent_sock: 6, cg: &cg, joins: cg.open_joins().unwrap(), old_mask: 0, map: None, caps: spec.caps, plan: &plan, fifo };
    let Err(e) = setup(&c);
    (e, rec.calls())
}

#[test]
fn the_child_sets_up_in_this_order() {
    let (e, calls) = child(&["-r", "/r", "true"], "", 0);
    // The fake's execve returns: the first one tried is the error.
    assert_eq!((e.what(), e.errno()), ("execve", 0), "{calls:?}");
    let steps = [
        "close(6)",
        "prctl(PR_SET_PDEATHSIG",
        "setsid()",
        "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)",
        "sethostname(\"container\"",
        "socket(AF_INET",
        "openat(AT_FDCWD, \"/r\"",
        "mount(\"/r\", \"/r\", NULL, MS_BIND|MS_REC",
        "mount(\"proc\"",
        "mount(\"tmpfs\", \"acpi\"",
        "pivot_root(\".\", \".\")",
        "umount2(\".\", MNT_DETACH)",
        "chdir(\"/\")",
        "close_range(3, 4, 0)",
        "close_range(6, 4294967295, 0)",
        "prctl(PR_CAPBSET_DROP",
        "setgroups(0, NULL)",
        "capset(",
        "prctl(PR_SET_NO_NEW_PRIVS",
        "getcwd(",
        "rt_sigprocmask(2,",
        "seccomp(SECCOMP_SET_MODE_FILTER",
        // (execve shows as strace shows a call that returned.)
        "<... execve resumed>",
    ];
    let at = positions(&calls, &steps);
    assert!(at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{calls:#?}");
    // The host's fds go before anything of the image's is read: no call after the switch
    // into the root opens a path of the host's.
    let switch = at[11].unwrap();
    assert!(calls[switch..].iter().all(|c| !c.contains("\"/r\"")), "{calls:#?}");
}

/// `runix create`'s child: all set up, it says Ready, closes its end, and waits on exec.fifo
/// (kept through the closing of the host's fds) before the last steps of the command.
#[test]
fn the_created_child_waits_for_start_before_its_command() {
    let (e, calls) = child_with(&["-r", "/r", "true"], "", 0, 7);
    assert_eq!((e.what(), e.errno()), ("execve", 0), "{calls:?}");
    let steps = [
        "pivot_root(",
        "close_range(3, 4, 0)",
        "close_range(6, 6, 0)",
        "close_range(8, 4294967295, 0)",
        "prctl(PR_SET_NO_NEW_PRIVS",
        "getcwd(",
        // It outlives `runix create`.
        "prctl(PR_SET_PDEATHSIG, 0",
        "write(5, \"r\", 1)",
        "close(5)",
        "openat(AT_FDCWD, \"/proc/self/fd/7\", O_WRONLY|O_CLOEXEC",
        "write(1000, \"0\", 1)",
        "close(1000)",
        "rt_sigprocmask(2,",
        "seccomp(SECCOMP_SET_MODE_FILTER",
        "<... execve resumed>",
    ];
    let at = positions(&calls, &steps);
    assert!(at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{calls:#?}");
    // Start's open failing is the child's error, and no command runs.
    let (e, calls) = child_with(&["-r", "/r", "true"], "/proc/self/fd/7", libc::ENOENT, 7);
    assert_eq!(show(&e), "open(/proc/self/fd/7): No such file or directory");
    assert!(!calls.iter().any(|c| c.contains("execve")), "{calls:#?}");
}

#[test]
fn a_failed_step_ends_the_setup_there() {
    let (e, calls) = child(&["-r", "/r", "true"], "sethostname", libc::EPERM);
    assert_eq!((e.what(), e.errno()), ("sethostname", libc::EPERM));
    assert!(calls.last().unwrap().starts_with("sethostname(") && !calls.iter().any(|c| c.starts_with("openat")), "{calls:#?}");
    let (e, calls) = child(&["-r", "/r", "true"], "pivot_root", libc::EINVAL);
    // Not on an initramfs (the fake's statfs says f_type 0): --chroot is the advice.
    assert_eq!(crate::error::tests::show(&e), "pivot_root(/r): Invalid argument (--chroot where / cannot be pivoted from)");
    // After it only the look at / that tells it from an initramfs.
    let tail: Vec<_> = calls.iter().skip_while(|c| !c.starts_with("pivot_root(")).map(|c| &c[..7]).collect();
    assert_eq!(tail, ["pivot_r", "statfs("], "{calls:#?}");
}

// ---------------------------------------------------------------------------------------------
// The parent's side: `run` whole, on a fake host.

/// The container's pid, and runix's end and the child's end of the socket pair, and the
/// signalfd, as the fake host hands them out.
const PID: i32 = 4321;
const SOCK: [Fd; 2] = [900, 901];
const SIGFD: Fd = 902;

/// A message of the child's, its error kept whole (an error's path waits in a slot that
/// errors made meanwhile reuse).
enum Said {
    Msg(Msg),
    Failed(std::boxed::Box<crate::error::Kept>),
}

/// What the host and the container do, as runix's parent sees it.
#[derive(Default)]
struct Script {
    /// Calls whose line contains the pattern fail with the errno.
    fails: Vec<(String, i32)>,
    /// Signals sent to runix while the container sets up: read from the signalfd before the
    /// socket is ready.
    signals: VecDeque<i32>,
    /// What the child says, in order (recvmsg's replies); then the end of the channel, its
    /// execve, after which it exits (SIGCHLD) with `status`.
    says: VecDeque<Said>,
    ended: bool,
    status: i32,
    /// runix's effective uid and gid.
    euid: u32,
}

/// The kernel's part, but for the fake cgroupfs's: the calls that tell runix about the
/// container (clone, the socket, the signalfd, wait4) answered from the script.
fn play(s: &mut Script, nr: Sysno, a: &[usize; 6]) -> Option<isize> {
    let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
    if let Some((_, e)) = s.fails.iter().find(|(p, _)| line.contains(p.as_str())) {
        return Some(-*e as isize);
    }
    let ready = |yes: bool| if yes { libc::POLLIN } else { 0 };
    match nr {
        Sysno::getpid => Some(42),
        Sysno::geteuid | Sysno::getegid => Some(s.euid as isize),
        Sysno::socketpair => record::reply_socketpair(nr, a, SOCK),
        Sysno::clone => Some(PID as isize),
        Sysno::signalfd4 => Some(SIGFD as isize),
        Sysno::ppoll => record::reply_poll(nr, a, |fd| ready(if fd == SIGFD { !s.signals.is_empty() || s.ended } else { fd == SOCK[0] && s.signals.is_empty() })),
        Sysno::read if a[0] == SIGFD as usize => record::reply_signal(nr, a, s.signals.pop_front().unwrap_or(libc::SIGCHLD)),
        Sysno::recvmsg => {
            let m = s.says.pop_front().map(|m| match m {
                Said::Msg(m) => m,
                Said::Failed(k) => Msg::Failed(k.error()),
            });
            s.ended |= m.is_none();
            record::reply_recvmsg(nr, a, m)
        }
        Sysno::wait4 => record::reply_wait4(nr, a, PID, s.status),
        _ => None,
    }
}

/// A host for `run`: a fake cgroupfs with runix's /proc/self files, and the script.
struct Host {
    fake: Fake,
    script: Rc<RefCell<Script>>,
    before: Vec<String>,
}

impl Host {
    fn new(fake: Fake) -> Host {
        // runix's /proc/self/status: no signal blocked, ignored or caught.
        let none = "0000000000000000";
        fake.file("proc/status", &format!("SigBlk:\t{none}\nSigIgn:\t{none}\nSigCgt:\t{none}\n"));
        let script: Rc<RefCell<Script>> = Rc::default();
        let s = script.clone();
        fake.around(move |nr, a| play(&mut s.borrow_mut(), nr, a));
        let before = fake.tree();
        Host { fake, script, before }
    }

    /// A cgroup v2 host.
    fn v2() -> Host {
        Host::new(v2_host("cpuset cpu memory pids"))
    }

    /// A cgroup v1 host.
    fn v1() -> Host {
        Host::new(v1_host())
    }

    fn fail(&self, pattern: &str, errno: i32) -> &Self {
        self.script.borrow_mut().fails.push((pattern.into(), errno));
        self
    }

    fn says(&self, m: Msg) -> &Self {
        let m = match m {
            Msg::Failed(e) => Said::Failed(std::boxed::Box::new(crate::error::Kept::new(e))),
            m => Said::Msg(m),
        };
        self.script.borrow_mut().says.push_back(m);
        self
    }

    fn signal(&self, sig: i32) -> &Self {
        self.script.borrow_mut().signals.push_back(sig);
        self
    }

    fn exits(&self, status: i32) -> &Self {
        self.script.borrow_mut().status = status;
        self
    }

    fn euid(&self, id: u32) -> &Self {
        self.script.borrow_mut().euid = id;
        self
    }

    /// `runix run ARGS` on this host.
    fn run(&self, args: &[&str]) -> Result<i32, Error> {
        run(&spec(args))
    }

    /// The calls so far, made short: paths relative to the fake root, a real fd by the file it
    /// is open on (its reads and close left out), addresses as PTR.
    fn calls(&self) -> Vec<String> {
        let root = format!("{}/", self.fake.root.display());
        let mut files: HashMap<String, String> = HashMap::new();
        let mut out = Vec::new();
        for c in self.fake.calls() {
            let c = c.replace(&root, "");
            let (name, rest) = c.split_once('(').unwrap();
            let fd = rest.split([',', ')']).next().unwrap().to_string();
            let mut c = match files.get(&fd) {
                Some(_) if name == "read" || name == "getdents64" => continue,
                Some(_) if name == "close" => {
                    files.remove(&fd);
                    continue;
                }
                Some(file) => format!("{name}({file}{}", &rest[fd.len()..]),
                None => c.clone(),
            };
            let real = c.rsplit_once(" = ").and_then(|(_, r)| r.parse::<i32>().ok()).filter(|&n| (0..SOCK[0]).contains(&n));
            if let (Some(n), "openat") = (real, name) {
                files.insert(n.to_string(), rest.split('"').nth(1).unwrap().to_string());
                c.truncate(c.rfind(" = ").unwrap());
            }
            out.push(ptrs(&c));
        }
        out
    }

    /// The fake cgroupfs as it was before the run.
    fn as_before(&self) -> bool {
        self.fake.tree() == self.before
    }
}

/// `0x...` as PTR.
fn ptrs(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("0x") {
        out += &rest[..i];
        out += "PTR";
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out + rest
}

/// Whether each of `steps` is in `calls` (a call that starts with it), each after the one
/// before.
fn in_order(calls: &[String], steps: &[&str]) -> bool {
    let mut rest = calls.iter();
    steps.iter().all(|s| rest.any(|c| c.starts_with(s)))
}

fn has(calls: &[String], step: &str) -> bool {
    calls.iter().any(|c| c.starts_with(step))
}

/// The options of the runs below: a memory limit, so that there is a cgroup to remove.
const ARGS: [&str; 5] = ["-r", "/r", "-m", "32m", "true"];

#[test]
fn the_parent_runs_in_this_order() {
    let host = Host::v2();
    host.exits(3 << 8);
    let r = host.run(&ARGS);
    let calls = host.calls();
    assert_eq!(r.map_err(|e| show(&e)), Ok(3));
    let want = [
        // Every signal runix passes on is blocked first: none is lost, none kills it midway.
        "rt_sigprocmask(0, PTR, PTR, 8) = 0",
        "openat(AT_FDCWD, \"/proc/self/status\", O_RDONLY|O_CLOEXEC, 00)",
        "openat(AT_FDCWD, \"/r\", O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, 00) = 1000",
        "geteuid() = 0",
        "getpid() = 42",
        "openat(AT_FDCWD, \"/proc/self/cgroup\", O_RDONLY|O_CLOEXEC, 00)",
        "openat(AT_FDCWD, \"/proc/self/mountinfo\", O_RDONLY|O_CLOEXEC, 00)",
        // The sweep of cgroups left behind, then the container's.
        "openat(AT_FDCWD, \"unified/user\", O_RDONLY|O_DIRECTORY|O_CLOEXEC, 00)",
        "mkdirat(AT_FDCWD, \"unified/user/runix-42\", 0755) = 0",
        "openat(AT_FDCWD, \"unified/user/cgroup.subtree_control\", O_WRONLY|O_CLOEXEC, 00)",
        "write(unified/user/cgroup.subtree_control, \"+memory\", 7) = 7",
        "openat(AT_FDCWD, \"unified/user/runix-42/memory.max\", O_WRONLY|O_CLOEXEC, 00)",
        "write(unified/user/runix-42/memory.max, \"33554432\", 8) = 8",
        // The plan is made here, with no call; then what the child joins its cgroup by.
        "openat(AT_FDCWD, \"unified/user/runix-42/cgroup.procs\", O_WRONLY|O_CLOEXEC, 00)",
        "socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC, 0, PTR) = 0",
        "mmap(NULL, 135168, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0) = 0",
        "mprotect(NULL, 4096, 0) = 0",
        "clone(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET|SIGCHLD, PTR) = 4321",
        "close(901) = 0",
        "signalfd4(-1, PTR, 8, 524288) = 902",
        // Sync 2: the end of the channel is the child's execve.
        "ppoll(PTR, 2, NULL, NULL, 0) = 1",
        "recvmsg(900, PTR, 1073741824) = 0",
        "ppoll(PTR, 1, NULL, NULL, 0) = 1",
        "read(902, PTR, 128) = 128",
        "wait4(4321, PTR, 1, NULL) = 4321",
        // -v's usage, then the cgroup goes.
        "openat(AT_FDCWD, \"unified/user/runix-42/memory.peak\", O_RDONLY|O_CLOEXEC, 00)",
        "openat(AT_FDCWD, \"unified/user/runix-42/cpu.stat\", O_RDONLY|O_CLOEXEC, 00)",
        "close(900) = 0",
        "unlinkat(AT_FDCWD, \"unified/user/runix-42\", AT_REMOVEDIR) = 0",
    ];
    assert_eq!(calls.join("\n"), want.join("\n"));
    assert!(host.as_before());
}

#[test]
fn a_user_namespace_gets_its_maps_before_go() {
    let host = Host::v2();
    host.euid(1000);
    assert_eq!(host.run(&["-r", "/r", "true"]).map_err(|e| show(&e)), Ok(0));
    let calls = host.calls();
    let steps = [
        // A user namespace; no cgroup, so a cgroup namespace of runix's.
        "clone(CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|SIGCHLD, PTR) = 4321",
        "close(901)",
        "openat(AT_FDCWD, \"/proc/4321/setgroups\", O_WRONLY",
        "write(1000, \"deny\"",
        "openat(AT_FDCWD, \"/proc/4321/uid_map\", O_WRONLY",
        "write(1000, \"0 1000 1\", 8)",
        "openat(AT_FDCWD, \"/proc/4321/gid_map\", O_WRONLY",
        "write(1000, \"0 1000 1\", 8)",
        // Sync 1: go.
        "write(900, \"g\", 1)",
        "signalfd4(",
        "recvmsg(900",
        "wait4(4321",
        "close(900)",
    ];
    assert!(in_order(&calls, &steps), "{calls:#?}");
    // No limit: no cgroup, and nothing of the cgroupfs read.
    assert!(!calls.iter().any(|c| c.contains("cgroup\"") || c.starts_with("mkdirat")), "{calls:#?}");
}

/// The cgroups of `ARGS` on a v1 host as root, in the order they are made.
const V1_MADE: [&str; 2] = ["memory/user/runix-42", "devices/user/runix-42"];

/// A run that fails: its error, shown, its exit status, and its calls. Every cgroup made is
/// removed again, last first, and the cgroupfs is as before; runix's ends of the socket pair
/// are closed, when they were made.
fn failed(host: &Host, args: &[&str]) -> (String, i32, Vec<String>) {
    let e = host.run(args).unwrap_err();
    let calls = host.calls();
    let rmdirs: Vec<&String> = calls.iter().filter(|c| c.starts_with("unlinkat")).collect();
    let made = V1_MADE.iter().filter(|d| has(&calls, &format!("mkdirat(AT_FDCWD, \"{d}\", 0755) = 0")));
    let want: Vec<String> = made.rev().map(|d| format!("unlinkat(AT_FDCWD, \"{d}\", AT_REMOVEDIR) = 0")).collect();
    assert_eq!(rmdirs, want.iter().collect::<Vec<_>>(), "{calls:#?}");
    assert!(host.as_before(), "{calls:#?}");
    if calls.iter().any(|c| c.starts_with("socketpair(") && c.ends_with(" = 0")) {
        let closes: Vec<&String> = calls.iter().filter(|c| c.starts_with("close(90")).collect();
        assert_eq!(closes, ["close(901) = 0", "close(900) = 0"], "{calls:#?}");
    }
    (show(&e), e.exit_code(), calls)
}

#[test]
fn a_failure_before_the_clone_removes_the_cgroups() {
    for (pattern, errno, error) in [
        // A limit the kernel refuses.
        ("\"33554432\"", libc::EINVAL, "cgroup refused the value"),
        // The files the child joins by.
        ("devices/user/runix-42/tasks", libc::EACCES, "open("),
        ("socketpair", libc::EMFILE, "socketpair: Too many open files"),
        ("mmap", libc::ENOMEM, "mmap: Cannot allocate memory"),
        ("clone(", libc::EAGAIN, "clone: Resource temporarily unavailable"),
    ] {
        let host = Host::v1();
        host.fail(pattern, errno);
        let (e, code, calls) = failed(&host, &ARGS);
        assert!(e.starts_with(error) && (error != "open(" || e.ends_with("runix-42/tasks): Permission denied")), "{e}");
        assert_eq!(code, 125);
        // No child, nothing to stop.
        assert!(!calls.iter().any(|c| c.starts_with("kill(") || c.starts_with("wait4(") || c.starts_with("clone(") && !c.contains("= -1")), "{calls:#?}");
    }
}

#[test]
fn a_failure_after_the_clone_kills_and_reaps_the_child() {
    for (pattern, errno, euid, error) in [
        // Sync 1: the user namespace's maps (here the cgroups, not runix, would need root).
        ("/proc/4321/uid_map", libc::EPERM, 1000, "open(/proc/4321/uid_map): Operation not permitted"),
        ("write(900, \"g\"", libc::EPIPE, 1000, "write: Broken pipe"),
        ("signalfd4", libc::EMFILE, 0, "signalfd4: Too many open files"),
        ("ppoll", libc::ENOMEM, 0, "ppoll: Cannot allocate memory"),
        ("recvmsg", libc::EBADF, 0, "recvmsg: Bad file descriptor"),
    ] {
        let host = Host::v1();
        host.fail(pattern, errno).euid(euid);
        let (e, code, calls) = failed(&host, &ARGS);
        assert_eq!((e.as_str(), code), (error, 125), "{calls:#?}");
        let steps = ["clone(", "close(901)", "kill(4321, SIGKILL) = 0", "wait4(4321, PTR, 0, NULL) = 4321", "close(900)", "unlinkat("];
        assert!(in_order(&calls, &steps), "{calls:#?}");
    }
}

#[test]
fn a_message_of_no_kind_the_child_sends_is_an_error() {
    let host = Host::v1();
    host.says(Msg::Go);
    let (e, _, calls) = failed(&host, &ARGS);
    assert_eq!(e, "recvmsg: Protocol error");
    assert!(in_order(&calls, &["recvmsg(900", "kill(4321, SIGKILL)", "wait4(4321, PTR, 0, NULL)", "close(900)"]), "{calls:#?}");
}

#[test]
fn the_childs_own_failure_is_the_error() {
    let mount = || Error::sys("mount", libc::EPERM, b"/proc");
    let exec = || Error::exec(libc::ENOENT, b"/bin/nope");
    for (theirs, shown, code) in [(mount as fn() -> Error, "mount(/proc): Operation not permitted", 125), (exec, "execve(/bin/nope): No such file or directory", 127)] {
        let host = Host::v1();
        host.says(Msg::Failed(theirs())).exits(code << 8);
        let (e, c, calls) = failed(&host, &ARGS);
        assert_eq!((e.as_str(), c), (shown, code));
        // It exits by itself: reaped, not killed.
        assert!(in_order(&calls, &["recvmsg(900", "wait4(4321, PTR, 0, NULL) = 4321", "close(900)", "unlinkat("]), "{calls:#?}");
        assert!(!has(&calls, "kill("), "{calls:#?}");
    }
    // While runix writes the maps, the child's own report of an earlier failure (joining its
    // cgroups, say) is the cause shown.
    let host = Host::v1();
    host.euid(1000).fail("/proc/4321/uid_map", libc::EPERM).says(Msg::Failed(Error::sys("write", libc::EACCES, b"/sys/fs/cgroup/x/tasks")));
    let (e, _, calls) = failed(&host, &ARGS);
    assert_eq!(e, "write(/sys/fs/cgroup/x/tasks): Permission denied");
    assert!(in_order(&calls, &["kill(4321, SIGKILL)", "wait4(4321", "recvmsg(900", "close(900)"]), "{calls:#?}");
}

#[test]
fn a_signal_during_the_setup_stops_it() {
    let host = Host::v1();
    host.signal(libc::SIGTERM);
    assert_eq!(host.run(&ARGS).map_err(|e| show(&e)), Ok(128 + libc::SIGTERM));
    let calls = host.calls();
    assert!(in_order(&calls, &["read(902, PTR, 128)", "kill(4321, SIGKILL) = 0", "wait4(4321, PTR, 0, NULL) = 4321", "close(900)", "unlinkat("]), "{calls:#?}");
    assert!(!has(&calls, "recvmsg(") && host.as_before(), "{calls:#?}");
    // Any other is passed on, and the setup goes on.
    let host = Host::v1();
    host.signal(libc::SIGUSR1);
    assert_eq!(host.run(&ARGS).map_err(|e| show(&e)), Ok(0));
    let calls = host.calls();
    assert!(in_order(&calls, &["read(902, PTR, 128)", "kill(4321, SIGUSR1) = 0", "recvmsg(900", "wait4(4321, PTR, 1, NULL)", "unlinkat("]), "{calls:#?}");
    assert!(!has(&calls, "kill(4321, SIGKILL)") && host.as_before(), "{calls:#?}");
}

#[test]
fn a_refused_mount_makes_nothing() {
    let refused = ["-r", "/r", "-b", "/x:/proc/x", "true"];
    let host = Host::v2();
    let e = host.run(&refused).unwrap_err();
    assert_eq!(show(&e), "refused: runix mounts /proc, /sys and /dev itself, at: /proc/x");
    let calls = host.calls();
    // (The devices hierarchy is looked for: this v2 host has none.)
    assert!(!calls.iter().any(|c| ["mkdirat", "socketpair", "mmap", "clone"].iter().any(|s| c.starts_with(s))), "{calls:#?}");
    // With a limit, its cgroups are made first (the plan needs to know of device rules), and
    // removed again.
    let host = Host::v1();
    let args: Vec<&str> = ARGS[..4].iter().chain(&refused[2..]).copied().collect();
    let (e, _, calls) = failed(&host, &args);
    assert_eq!(e, "refused: runix mounts /proc, /sys and /dev itself, at: /proc/x");
    assert!(has(&calls, "mkdirat") && !calls.iter().any(|c| ["socketpair", "mmap", "clone"].iter().any(|s| c.starts_with(s))), "{calls:#?}");
}

#[test]
fn a_cgroup_that_cannot_be_removed_is_the_error_or_said() {
    // After the command: the removal's error is runix's.
    let host = Host::v2();
    host.fail("runix-42\", AT_REMOVEDIR", libc::EACCES);
    let e = host.run(&ARGS).unwrap_err();
    assert_eq!(show(&e), format!("rmdir({}): Permission denied", host.fake.path("unified/user/runix-42")));
    // After a failure: that failure is the error (the removal's is printed).
    let host = Host::v2();
    host.fail("runix-42\", AT_REMOVEDIR", libc::EACCES).fail("clone(", libc::EPERM);
    assert_eq!(show(&host.run(&ARGS).unwrap_err()), "clone: Operation not permitted");
}

#[test]
fn cgroups_refused_without_root_say_how_to_delegate() {
    let host = Host::v2();
    host.euid(1000).fail("mkdirat", libc::EACCES);
    let e = show(&host.run(&ARGS).unwrap_err());
    assert!(e.starts_with(&format!("mkdir({}): Permission denied (", host.fake.path("unified/user/runix-42"))) && e.contains("delegat"), "{e}");
    assert!(!has(&host.calls(), "clone("));
}

/// A config.json's device nodes where no device rule can keep them to what it allows (cgroup
/// v2 has no devices hierarchy): refused, with the cgroup gone and no child made.
#[test]
fn device_nodes_without_device_rules_are_refused() {
    static NODES: [crate::spec::Node; 1] = [crate::spec::Node { path: c"/dev/sda", mode: 0o60660, major: 8, minor: 0, uid: 0, gid: 0 }];
    let host = Host::v2();
    let mut s = spec(&ARGS);
    s.nodes = &NODES;
    let e = run_oci(&s, None).map_err(|e| show(&e));
    assert_eq!(e, Err("unsupported linux.devices without a v1 devices cgroup for its rules".into()));
    assert!(!has(&host.calls(), "clone("));
    assert!(host.as_before());
    // One rule that allows all: nothing to keep them to, as asked.
    let host = Host::v2();
    host.exits(0);
    s.all_devices = true;
    assert_eq!(run_oci(&s, None).map_err(|e| show(&e)), Ok(0));
}

#[test]
fn a_config_json_s_child_joins_sets_and_keeps_what_it_says() {
    const PROG: [libc::sock_filter; 1] = [libc::sock_filter { code: 6, jt: 0, jf: 0, k: libc::SECCOMP_RET_ALLOW }];
    let mut spec = spec(&["-r", "/r", "true"]);
    let nbs = crate::security::caps::bit(crate::security::caps::CAP_NET_BIND_SERVICE);
    (spec.ids, spec.groups[0], spec.ngroups, spec.umask, spec.oom_score_adj) = (Some((1000, 1000)), 1000, 1, Some(0o22), Some(-5));
    (spec.caps, spec.cap_sets, spec.no_new_privs, spec.hostname, spec.new_net) = (nbs, Some([nbs; 4]), false, c"h", false);
    spec.seccomp = crate::spec::Seccomp::Program(crate::spec::Program { insns: &PROG, flags: 0 });
    assert!(spec.joins.push((libc::CLONE_NEWNET as u32, c"/run/netns/n")) && spec.sysctls.push((c"/proc/sys/net/ipv4/ping_group_range", c"0 0")));
    let mut plan = Plan::new(&spec);
    plan.fill(Facts { userns: false, nodev: false, tty_gid: true }).unwrap();
    let cg = Cgroups::EMPTY;
    let rec = fake("", 0);
    let c = Child { spec: &spec, sock: 5, parent_sock: 6, cg: &cg, joins: cg.open_joins().unwrap(), old_mask: 0, map: None, caps: spec.caps, plan: &plan, fifo: -1 };
    let Err(e) = setup(&c);
    let calls = rec.calls();
    assert_eq!((e.what(), e.errno()), ("execve", 0), "{calls:#?}");
    let steps = [
        "setsid()",
        "openat(AT_FDCWD, \"/run/netns/n\"",
        "setns(",
        "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)",
        "sethostname(\"h\"",
        "openat(AT_FDCWD, \"/proc/sys/net/ipv4/ping_group_range\", O_WRONLY",
        "write(1000, \"0 0\"",
        "openat(AT_FDCWD, \"/proc/self/oom_score_adj\", O_WRONLY",
        "write(1000, \"-5\"",
        "pivot_root(\".\", \".\")",
        "umask(022)",
        // Without no_new_privs, the filter goes on while runix has CAP_SYS_ADMIN, after the
        // bounding set (whose end, EINVAL, a filter could fake).
        "prctl(PR_CAPBSET_DROP",
        "seccomp(SECCOMP_SET_MODE_FILTER",
        "setgroups(1,",
        "setresgid(1000",
        "setresuid(1000",
        "capset(",
        "prctl(47, 2, 10",
        "<... execve resumed>",
    ];
    let at = positions(&calls, &steps);
    assert!(at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{calls:#?}");
    assert!(!calls.iter().any(|c| c.contains("NO_NEW_PRIVS") || c.starts_with("socket(")), "{calls:#?}");
    assert_eq!(calls.iter().filter(|c| c.starts_with("seccomp(")).count(), 1);
}

/// `runix create` on the fake host: the child says Ready, the state is written with its pid
/// and cgroups, and runix returns, leaving the child and its cgroup (for `delete`).
#[test]
fn create_returns_once_the_child_waits_leaving_it_and_its_cgroup() {
    let host = Host::v2();
    host.says(Msg::Ready);
    let got = RefCell::new(Vec::new());
    let ready = |pid: i32, cg: &Cgroups, _: u64| {
        got.borrow_mut().push(format!("{pid} {:?}", cg.dirs().map(|d| d.to_str().unwrap().rsplit('/').next().unwrap().to_string()).collect::<Vec<_>>()));
        Ok(())
    };
    let oci = Oci { fifo: 7, console: None, ready: &ready };
    assert_eq!(run_oci(&spec(&ARGS), Some(&oci)).map_err(|e| show(&e)), Ok(0));
    assert_eq!(*got.borrow(), ["4321 [\"runix-42\"]"]);
    let calls = host.calls();
    assert!(!has(&calls, "wait4") && !has(&calls, "kill") && !has(&calls, "unlinkat"), "{calls:#?}");
    assert!(!host.as_before(), "the cgroup stays");

    // The state cannot be written: the child is killed and reaped, the cgroup removed.
    let host = Host::v2();
    host.says(Msg::Ready);
    let ready = |_: i32, _: &Cgroups, _: u64| Err(Error::sys("rename", libc::ENOSPC, b"state.json.tmp"));
    let oci = Oci { fifo: 7, console: None, ready: &ready };
    assert_eq!(run_oci(&spec(&ARGS), Some(&oci)).map_err(|e| show(&e)), Err("rename(state.json.tmp): No space left on device".into()));
    let calls = host.calls();
    assert!(in_order(&calls, &["kill(4321, SIGKILL)", "wait4(4321,", "unlinkat(AT_FDCWD, \"unified/user/runix-42\", AT_REMOVEDIR)"]), "{calls:#?}");
    assert!(host.as_before());

    // `run --bundle`: the state once the command runs, then the run as ever.
    let host = Host::v2();
    host.exits(5 << 8);
    let n = RefCell::new(0);
    let ready = |_: i32, _: &Cgroups, _: u64| {
        *n.borrow_mut() += 1;
        Ok(())
    };
    let oci = Oci { fifo: -1, console: None, ready: &ready };
    assert_eq!(run_oci(&spec(&ARGS), Some(&oci)).map_err(|e| show(&e)), Ok(5));
    assert_eq!(*n.borrow(), 1);
    assert!(host.as_before());
}
