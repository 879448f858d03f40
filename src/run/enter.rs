//! `runix exec`: one more process in a container that runs.
//!
//! runix (host)            child (host PID namespace)              process (container's)
//!   (lib.rs: runix runs from a sealed memfd copy of itself: see sys::reexec_sealed)
//!   [--no-pivot: open /proc/PID/root]; the init
//!   still the one its pidfd is (signal 0), in
//!   runix's user namespace
//!   [--console-socket: connect]
//!   prctl(PR_SET_DUMPABLE, 0)
//!   socketpair, clone ──▶ join the container's cgroups (write "0"
//!                         to cgroup.procs, /sys/fs/cgroup still the
//!                         host's); [oomScoreAdj, through the host's
//!                         /proc]; setns(pidfd, mount|uts|ipc|net|
//!                         cgroup|pid); [--no-pivot: fchdir(root),
//!                         chroot(".")]; close every other fd;
//!                         run.rs's last steps (user, cwd,
//!                         rlimits, pty, caps, no_new_privs)
//!   [-t: the pty's master ◀─ (to the console socket, or relayed)]
//!                         clone(CLONE_PARENT) ───────────────▶  close fds; signal mask;
//!   its pid ◀──────────── Started(pid); exit                    close the channel; setsid,
//!   read error or EOF ◀── (EOF: the child is gone)                [-t: TIOCSCTTY]; seccomp;
//!                                                               execve (or its error on
//!                                                               stderr, status 126/127)
//!   --pid-file; --detach: return; else relay signals, wait4, exit with its status
//!
//! Only the process, with its own privileges, is ever in the container's PID namespace (a
//! process there with CAP_SYS_PTRACE could trace it); runix stays on the host, its pid
//! file, log and console socket host paths.

use super::{Proc, STACK_SIZE, kill_child, report};
use crate::buf::{CBuf, List};
use crate::error::{Error, Kept};
use crate::process::{exec, tty};
use crate::spec::Spec;
use crate::sys::channel::{self, Msg};
use crate::sys::{self, Fd, trace};
use core::convert::Infallible;
use core::ffi::CStr;

/// The container to enter, as its state says.
pub struct Target<'a> {
    /// Its init, and the init's pidfd (opened before its start time was checked).
    pub pid: i32,
    pub pidfd: Fd,
    /// Its cgroups' directories.
    pub cgroups: &'a List<&'a [u8], 16>,
    /// Made with --no-pivot: its root is not its mount namespace's.
    pub chroot: bool,
}

/// The namespaces the child joins; the PID namespace, for its children only.
const NAMESPACES: u32 = (libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWNET | libc::CLONE_NEWCGROUP | libc::CLONE_NEWPID) as u32;

struct Entering<'a> {
    spec: &'a Spec,
    t: &'a Target<'a>,
    sock: Fd,
    parent_sock: Fd,
    /// The init's root directory, O_PATH (--no-pivot), or -1.
    root: Fd,
    caps: u64,
    old_mask: u64,
}

/// Run `spec`'s process in the container `t`. `ready` gets its host pid once it has exec'd
/// (--pid-file); with `detach` runix returns then, else it waits for the process and returns
/// its exit status. With `console` (a socket's path) its pty's master goes there.
pub fn enter(spec: &Spec, t: &Target, console: Option<&CStr>, detach: bool, ready: &dyn Fn(i32) -> Result<(), Error>) -> Result<i32, Error> {
    let old_mask = sys::sigprocmask(libc::SIG_BLOCK, sys::FORWARDED | sys::SIGCHLD_SET | sys::SIGPIPE_SET)?;
    super::reset_ignored_signals();
    let mut d = [0u8; 20];
    let mut path = CBuf::<40>::from(&[b"/proc/", crate::text::itoa(t.pid as u64, &mut d), b"/root"])?;
    let root = if t.chroot { sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_PATH | libc::O_DIRECTORY, 0)? } else { -1 };
    // Opened before: a pid used again since is not the container's root.
    let alive = sys::pidfd_send_signal(t.pidfd, 0).map_err(|e| if e.errno() == libc::ESRCH { Error::msg("container is not running", b"") } else { e });
    let r = alive.and_then(|_| {
        // runix makes no user namespace for a config.json: an init in another has made it
        // itself, and the namespaces it now has are its own (owned by that one).
        let n = path.len() - 4;
        path.truncate(n);
        if ns_id(c"/proc/self/ns/user")? != ns_id(path.push(b"ns/user")?.as_cstr())? {
            return Err(Error::msg("the container's init is in a user namespace of its own", b""));
        }
        // A host path: connected while runix is on the host's side.
        let csock = match console {
            Some(p) => sys::connect(p.to_bytes()).map_err(|e| e.at(p.to_bytes()))?,
            None => -1,
        };
        let r = start(spec, t, root, spec.caps, old_mask, csock, detach, ready);
        if csock >= 0 {
            let _ = sys::close(csock);
        }
        r
    });
    if root >= 0 {
        let _ = sys::close(root);
    }
    r
}

/// Which namespace the ns file `path` is.
fn ns_id(path: &CStr) -> Result<(u64, u64), Error> {
    let fd = sys::openat(sys::AT_FDCWD, path, libc::O_PATH, 0)?;
    let st = sys::fstat(fd);
    sys::close(fd)?;
    st.map(|st| (st.dev, st.ino))
}

#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn start(spec: &Spec, t: &Target, root: Fd, caps: u64, old_mask: u64, csock: Fd, detach: bool, ready: &dyn Fn(i32) -> Result<(), Error>) -> Result<i32, Error> {
    // Until its execve, the process is runix in the container's PID namespace: not dumpable,
    // no process there may open its /proc/PID/exe (CVE-2019-5736).
    sys::prctl(libc::PR_SET_DUMPABLE, 0)?;
    let [ours, theirs] = sys::socketpair()?;
    let child = Entering { spec, t, sock: theirs, parent_sock: ours, root, caps, old_mask };
    let pid = sys::mmap_stack(STACK_SIZE).and_then(|stack| sys::clone(libc::SIGCHLD as u64, &stack, enter_main, &child));
    let _ = sys::close(theirs);
    let r = pid.and_then(|pid| relay(pid, ours, csock, detach, spec.stop_timeout, ready));
    let _ = sys::close(ours);
    r
}

/// Until the process's execve: its pty's master, its pid, or an error (the child's or the
/// process's). Then its pid out, and unless `detach` its signals and (-t without a console
/// socket) its terminal relayed until it exits.
fn relay(child: i32, sock: Fd, csock: Fd, detach: bool, stop_s: u32, ready: &dyn Fn(i32) -> Result<(), Error>) -> Result<i32, Error> {
    let (mut master, mut pid) = (-1, 0);
    let failed = loop {
        match channel::recv(sock) {
            Ok(Some(Msg::Console(fd))) if csock >= 0 => {
                let r = channel::send_fd(csock, fd, b"/dev/ptmx");
                let _ = sys::close(fd);
                if let Err(e) = r {
                    break Some(Kept::new(e));
                }
            }
            Ok(Some(Msg::Console(fd))) => master = fd,
            // Once, and runix's own child (CLONE_PARENT): never a pid runix would signal else.
            Ok(Some(Msg::Started(p))) if pid == 0 && p > 0 && sys::is_child(p) => pid = p,
            Ok(None) => break None,
            Ok(Some(Msg::Failed(e))) => break Some(Kept::new(e)),
            Ok(Some(Msg::Go | Msg::Ready | Msg::Started(_))) => break Some(Kept::new(Error::sys("recvmsg", libc::EPROTO, b""))),
            Err(e) => break Some(Kept::new(e)),
        }
    };
    // The child ends once it has started the process (or failed): reaped.
    if failed.is_some() {
        let _ = sys::kill(child, libc::SIGKILL);
    }
    let _ = sys::wait4(child);
    let failed = match (failed, pid) {
        (None, 0) => Some(Kept::new(Error::msg("exec's process did not start", b""))),
        (f, _) => f,
    };
    if let Some(e) = failed {
        if pid > 0 {
            kill_child(pid, Error::msg("", b""));
        }
        return Err(e.error());
    }
    ready(pid).map_err(|e| kill_child(pid, e))?;
    if detach {
        return Ok(0);
    }
    let sigfd = sys::signalfd(sys::FORWARDED | sys::SIGCHLD_SET)?;
    let raw = if master >= 0 { tty::Raw::enter(0) } else { None };
    let status = tty::supervise(pid, sigfd, master, stop_s);
    if let Some(raw) = raw {
        raw.restore();
    }
    Ok(crate::process::exit_status(status?))
}

fn enter_main(c: &Entering) -> ! {
    trace::set_child(true);
    let Err(e) = setup(c);
    report(c.sock, e)
}

/// The child: into the container, then the process's last steps (run.rs).
#[inline(never)]
fn setup(c: &Entering) -> Result<Infallible, Error> {
    sys::close(c.parent_sock)?;
    // Into its cgroups before anything of the container's: no process of it escapes a limit,
    // and the cgroup namespace joined next has its root above.
    for d in c.t.cgroups.iter() {
        crate::cgroup::join_below(d, c.t.pid)?;
    }
    super::set_oom_score_adj(c.spec)?;
    // Its root and working directory are now the mount namespace's root: the container's,
    // which pivot_root made it (not the init's, which the init may have changed).
    sys::setns(c.t.pidfd, NAMESPACES)?;
    // --no-pivot: the init's root, which is not its mount namespace's.
    if c.root >= 0 {
        sys::fchdir(c.root)?;
        sys::chroot(c".")?;
    }
    // Nothing of the host's open while the image's files are read (/etc/passwd for HOME), or
    // in the command (CVE-2024-21626): the init's pidfd and root, runix's state directory.
    exec::close_fds(&[c.sock])?;
    super::last_steps(&Proc { spec: c.spec, sock: c.sock, old_mask: c.old_mask, map: None, caps: c.caps, fifo: -1, seccomp_file: -1, exec: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::tests::show;
    use crate::run::tests::{fake, spec};
    use crate::sys::record::positions;
    use std::vec::Vec;
    use std::string::String;

    /// The child's steps for `runix run ARGS`' spec, on the fake kernel: its error and calls.
    fn child(args: &[&str], fail: &'static str, errno: i32) -> (Option<Error>, Vec<String>) {
        child_in(args, fail, errno, 8)
    }

    /// `child`, with the init's root as `root` (--no-pivot) or -1.
    /// (Its error: None when it got to its end, exit_group, which cannot return here.)
    fn child_in(args: &[&str], fail: &'static str, errno: i32, root: Fd) -> (Option<Error>, Vec<String>) {
        let spec = spec(args);
        let mut cgroups = List::new();
        cgroups.push(&b"/sys/fs/cgroup/pids/c"[..]);
        let t = Target { pid: 42, pidfd: 7, cgroups: &cgroups, chroot: root >= 0 };
        let rec = fake(fail, errno);
        let c = Entering { spec: &spec, t: &t, sock: 5, parent_sock: 6, root, caps: spec.caps, old_mask: 0 };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| setup(&c)));
        (r.ok().map(|Err(e)| e), rec.calls())
    }

    #[test]
    fn the_exec_child_joins_then_takes_the_commands_last_steps() {
        let (e, calls) = child(&["-r", "/r", "-t", "true"], "", 0);
        assert!(e.is_none(), "{e:?} {calls:#?}");
        let steps = [
            "close(6)",
            "openat(AT_FDCWD, \"/sys/fs/cgroup/pids/c/cgroup.procs\", O_WRONLY",
            "write(1000, \"0\", 1)",
            "setns(7, CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET)",
            "fchdir(8)",
            "chroot(\".\")",
            "close_range(3, 4, 0)",
            "close_range(6, 4294967295, 0)",
            "openat(AT_FDCWD, \"/dev/ptmx\"",
            "prctl(PR_CAPBSET_DROP",
            "capset(",
            "getcwd(",
            // The process, in the container's PID namespace, runix's child; its pid to runix.
            "clone(CLONE_PARENT|SIGCHLD",
            "write(5, ",
            "<... exit_group resumed>",
        ];
        let at = positions(&calls, &steps);
        assert!(at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{calls:#?}");
        // Its filter is the process's (after the clone: exec_command, as run.rs's command).
        assert!(!calls.iter().any(|c| c.contains("seccomp(")), "{calls:#?}");
        // It outlives runix, and its pty is its own, not the container's console, the
        // process's terminal (not the child's, whose end would hang it up).
        assert!(!calls.iter().any(|c| c.contains("PR_SET_PDEATHSIG") || c.contains("/dev/console") || c.contains("TIOCSCTTY")), "{calls:#?}");
        // Made with pivot_root: the mount namespace's root is the container's, whatever the
        // init's is now.
        let (_, calls) = child_in(&["-r", "/r", "true"], "", 0, -1);
        assert!(!calls.iter().any(|c| c.contains("chroot") || c.contains("fchdir")), "{calls:#?}");
    }

    /// cgroup::join_below(dir, 42) where dir's cgroup.procs says EBUSY and the init's
    /// /proc/42/cgroup is `cgroup`: its error, and the cgroup.procs files opened.
    fn join_busy(dir: &[u8], cgroup: &'static str) -> (Result<(), Error>, Vec<String>) {
        use crate::sys::record::{self, Kernel, Recording};
        use syscalls::Sysno;
        let rec = Recording::start(Kernel::Fake);
        let mut left = cgroup.as_bytes();
        rec.answer(move |nr, a| {
            let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
            match nr {
                Sysno::openat if line.contains("/proc/42/cgroup") => Some(31),
                Sysno::openat => Some(if line.contains("/c/cgroup.procs") || line.contains("/a/a/cgroup.procs") { 30 } else { 32 }),
                Sysno::write if a[0] == 30 => Some(-libc::EBUSY as isize),
                _ => record::reply_read(nr, a, 31, &mut left),
            }
        });
        let r = crate::cgroup::join_below(dir, 42);
        (r, rec.calls().into_iter().filter(|c| c.contains("cgroup.procs")).collect())
    }

    #[test]
    fn a_cgroup_that_gives_its_controllers_below_is_joined_where_the_init_is() {
        let (r, calls) = join_busy(b"/sys/fs/cgroup/c", "1:name=systemd:/\n0::/c/init.scope\n");
        assert!(r.is_ok(), "{r:?}");
        assert!(calls[1].contains("\"/sys/fs/cgroup/c/init.scope/cgroup.procs\""), "{calls:#?}");
        // The longest leading part of the init's path that the container's cgroup ends with.
        let (r, calls) = join_busy(b"/sys/fs/cgroup/a/a", "0::/a/a/x\n");
        assert!(r.is_ok() && calls[1].contains("\"/sys/fs/cgroup/a/a/x/cgroup.procs\""), "{r:?} {calls:#?}");
        // The init in the cgroup itself, elsewhere, or a path out of it: the cgroup's EBUSY.
        for cgroup in ["0::/c\n", "0::/d/x\n", "0::/c/../../../tmp\n", "0::/c/x/..\n", "1:devices:/x\n"] {
            let (r, calls) = join_busy(b"/sys/fs/cgroup/c", cgroup);
            assert_eq!(show(&r.unwrap_err()), "write(/sys/fs/cgroup/c/cgroup.procs): Device or resource busy", "{cgroup}");
            assert_eq!(calls.len(), 1, "{cgroup}: {calls:#?}");
        }
    }

    #[test]
    fn a_process_files_oom_score_adj_is_set_before_the_container_is_entered() {
        let mut spec = spec(&["-r", "/r", "true"]);
        spec.oom_score_adj = Some(-17);
        let mut cgroups = List::new();
        cgroups.push(&b"/sys/fs/cgroup/pids/c"[..]);
        let t = Target { pid: 42, pidfd: 7, cgroups: &cgroups, chroot: false };
        let rec = fake("", 0);
        let c = Entering { spec: &spec, t: &t, sock: 5, parent_sock: 6, root: -1, caps: spec.caps, old_mask: 0 };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| setup(&c)));
        let calls = rec.calls();
        let steps = ["openat(AT_FDCWD, \"/sys/fs/cgroup/pids/c/cgroup.procs\"", "openat(AT_FDCWD, \"/proc/self/oom_score_adj\", O_WRONLY", "write(1000, \"-17\", 3)", "setns(7, "];
        let at = positions(&calls, &steps);
        assert!(at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{calls:#?}");
    }

    #[test]
    fn a_failed_join_ends_it_there() {
        let (e, calls) = child(&["-r", "/r", "true"], "setns(", libc::EINVAL);
        assert_eq!(show(&e.unwrap()), "setns: Invalid argument");
        assert!(!calls.iter().any(|c| c.contains("chroot") || c.contains("execve")), "{calls:#?}");
        let (e, _) = child(&["-r", "/r", "true"], "cgroup.procs", libc::ENOENT);
        assert_eq!(show(&e.unwrap()), "open(/sys/fs/cgroup/pids/c/cgroup.procs): No such file or directory");
    }
}
