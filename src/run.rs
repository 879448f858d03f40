//! THE sequence: what runix asks of the kernel to make a container, in order.
//!
//! Parent                                   Child (new PID, mount, UTS, IPC, net namespaces)
//!   open rootfs (is it a directory?)
//!   mkdir cgroups, write limits
//!   open each cgroup's tasks file
//!   socketpair, mmap stack, clone  ───────▶  close parent's end; join the cgroups (write
//!                                            "0" to tasks); unshare cgroup namespace
//!   [user namespace: write maps, "go"] ───▶  [user namespace: wait for its maps]
//!                                            mount / MS_REC|MS_PRIVATE, sethostname, lo up
//!                                            open rootfs and bind sources (O_PATH)
//!                                            root mount (bind or overlay), /proc, /sys, /dev,
//!                                            binds, tmpfs; pivot_root, umount old root;
//!                                            masked paths; read-only root; workdir; user
//!   sync 2: read error or EOF ◀───────────  execve (EOF: the socket is CLOEXEC)
//!   wait4, OOM check, rmdir cgroups, exit with the command's status
//!
//! `runix create` (oci/state.rs) stops the child before its execve: it says Ready, and waits
//! until `runix start` opens exec.fifo; runix then returns, leaving it and its cgroups.
//!
//! docs/sequence.md walks through it syscall by syscall.

use crate::cgroup::{Cgroups, Joins};
use crate::error::{Bytes, Error, Kept};
use crate::plan::{Facts, Plan};
use crate::rootfs;
use crate::spec::Spec;
use crate::sys::channel::{self, Msg};
use crate::sys::{self, Fd, trace};
use crate::spec::Seccomp;
use crate::process::userns::{self, Map};
use crate::process::{exec, init, tty, user};
use crate::security::{caps, seccomp};
use core::convert::Infallible;
use core::ffi::CStr;

/// What `runix create` and `runix run --bundle` change in the sequence.
pub struct Oci<'a> {
    /// exec.fifo, opened O_PATH on the host: under `create` the child waits on it for `start`
    /// once set up, and runix returns, leaving the child and its cgroups; -1 (`run --bundle`):
    /// the command runs at once, supervised as under `runix run`.
    pub fifo: Fd,
    /// --console-socket: where the pty's master goes, in place of the relay.
    pub console: Option<&'static CStr>,
    /// Called with the container's pid, cgroups and bounding set once it waits (create) or
    /// runs: its state.
    pub ready: &'a dyn Fn(i32, &Cgroups, u64) -> Result<(), Error>,
}

/// The namespaces every container gets from clone (namespaces(7)); SIGCHLD makes it an
/// ordinary child for wait4.
const CLONE_FLAGS: u64 = (libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::SIGCHLD) as u64;
const NEWNET: u64 = libc::CLONE_NEWNET as u64;
const NEWCGROUP: u64 = libc::CLONE_NEWCGROUP as u64;

/// The child's stack before it execs. It runs only runix's setup code, whose deepest frame is
/// a few KiB of path buffers; mmap'd pages are touched only when used.
const STACK_SIZE: usize = 128 * 1024;

/// What the child needs: the spec and its end of the socket.
struct Child<'a> {
    spec: &'a Spec,
    sock: Fd,
    parent_sock: Fd,
    /// Its cgroups, and the files it joins them by.
    cg: &'a Cgroups,
    joins: Joins,
    /// The signal mask runix started with, for the command to get back.
    old_mask: u64,
    /// The user namespace's maps, when there is one.
    map: Option<Map>,
    /// The container's bounding set (spec.caps, less CAP_MKNOD without device rules).
    caps: u64,
    /// The mounts and files to make.
    plan: &'a Plan<'a>,
    /// exec.fifo (`Oci::fifo`), or -1.
    fifo: Fd,
}

/// Run the container described by `spec`; Ok(exit status of the command).
pub fn run(spec: &Spec) -> Result<i32, Error> {
    run_oci(spec, None)
}

/// `run`, or with `oci` the OCI runtime's `create` (Ok(0) once the child waits for `start`)
/// or `run --bundle`.
pub fn run_oci(spec: &Spec, oci: Option<&Oci>) -> Result<i32, Error> {
    // The signals runix passes on are blocked from the start and read from a signalfd later,
    // so none is lost while the container starts, and none kills runix between making a
    // cgroup and removing it. SIGPIPE too: a closed stdout or stderr (`--trace 2>&1 | head`)
    // is an error to runix, not its death.
    let old_mask = sys::sigprocmask(libc::SIG_BLOCK, sys::FORWARDED | sys::SIGCHLD_SET | sys::SIGPIPE_SET)?;
    reset_ignored_signals();
    rootfs::check_root(spec.rootfs)?;
    // Without root, a user namespace makes the caller root inside (and nothing more).
    let euid = sys::geteuid();
    let map = match spec.userns || euid != 0 {
        true => Some(userns::plan(euid, sys::getegid())?),
        false => None,
    };
    // More CPU time than the CPUs runix may run on would be a limit that never limits (Docker
    // refuses it too).
    if let Some((quota, period)) = spec.limits.cpus {
        let n = sys::cpus()?;
        if quota > n as u64 * period {
            return Err(Error::msg(invalid!("--cpus (from 0.01 to at most the CPUs runix may run on)"), crate::text::itoa(n as u64, &mut [0; 20])));
        }
    }
    // The caller's ids are placed inside only in a user namespace of a caller without root:
    // root's --userns maps none of root's own ids (that is its point), and without a user
    // namespace there is nothing to place them in.
    if !matches!(map, Some(Map::Single | Map::Range { .. })) && spec.map_user | spec.map_group != 0 {
        return Err(Error::msg("--map-user and --map-group are for a user namespace without root (root's --userns maps none of root's ids)", b""));
    }
    let mut limits = spec.limits;
    // mknod of a real device is refused in a user namespace anyway: no device rules needed.
    // Under --cgroup-parent (a place in the hierarchies of the limits asked for) the devices
    // hierarchy may have no such parent: there CAP_MKNOD goes instead, as on cgroup v2.
    limits.devices &= map.is_none() && spec.cgroup_parent.is_none();
    let cg = Cgroups::create(&limits, spec.cgroup_parent, spec.cgroup_path, sys::getpid()).map_err(|e| match e.errno() {
        libc::EACCES | libc::EPERM | libc::EROFS if euid != 0 => e.hint(crate::error::HINT_DELEGATE),
        _ => e,
    })?;
    for d in cg.dirs() {
        info!("created cgroup ", Bytes(d.to_bytes()));
    }
    // A config.json's device nodes need the rules that keep them to those it allows.
    if !spec.nodes.is_empty() && !spec.all_devices && !cg.device_rules() {
        let _ = cg.remove();
        return Err(Error::msg(unsupported!("linux.devices without a v1 devices cgroup for its rules"), b""));
    }
    let mut caps = spec.caps;
    if spec.limits.devices && !cg.device_rules() {
        // Without device rules (no v1 devices hierarchy), CAP_MKNOD would let root inside make
        // and open a node for a host disk: it goes instead.
        caps &= !caps::bit(caps::CAP_MKNOD);
        info!("no devices cgroup: dropping ", Bytes(b"CAP_MKNOD"));
    }
    // An error keeps its path in one of a few slots that later failed calls reuse (the
    // rmdir retries below): kept whole until it is printed.
    let r = start_and_wait(spec, &cg, map, caps, old_mask, oci).map_err(Kept::new);
    // A created container keeps its cgroups until `runix delete`.
    if r.is_ok() && oci.is_some_and(|o| o.fifo >= 0) {
        return r.map_err(|w| w.error());
    }
    // The cgroups go on every path: after the command, and after any failure.
    let removed = cg.remove();
    match (&r, removed) {
        (Ok(_), Err(e)) => return Err(e),
        (Err(_), Err(e)) => crate::log::error(&e),
        _ => {}
    }
    r.map_err(|w| w.error())
}

#[inline(never)]
fn start_and_wait(spec: &Spec, cg: &Cgroups, map: Option<Map>, caps: u64, old_mask: u64, oci: Option<&Oci>) -> Result<i32, Error> {
    // What the child will mount and make: a mount runix refuses is refused before it exists.
    // --privileged keeps every device, as Docker's does.
    let nodev = !spec.privileged && !spec.all_devices && !cg.device_rules();
    let tty_gid = map.is_none_or(|m| m.has_gid(5, spec.map_group));
    let mut plan = Plan::new(spec);
    plan.fill(Facts { userns: map.is_some(), nodev, tty_gid })?;
    // Left open: close-on-exec, and runix never execs.
    let joins = cg.open_joins()?;
    let [ours, theirs] = sys::socketpair()?;
    let fifo = oci.map_or(-1, |o| o.fifo);
    let child = Child { spec, sock: theirs, parent_sock: ours, cg, joins, old_mask, map, caps, plan: &plan, fifo };
    let mut flags = CLONE_FLAGS;
    for (ns, _) in spec.joins.iter() {
        flags &= !(ns as u64); // joined in the child instead
    }
    if spec.new_net {
        flags |= NEWNET;
    }
    if cg.is_empty() {
        flags |= NEWCGROUP; // its root is runix's cgroup, where the child stays
    }
    if map.is_some() {
        // Made first by the kernel, so every other namespace of this clone belongs to it.
        flags |= libc::CLONE_NEWUSER as u64;
    }
    let pid = sys::mmap_stack(STACK_SIZE).and_then(|stack| sys::clone(flags, &stack, container_main, &child)).map_err(|e| {
        // The usual reasons a user namespace is refused (user_namespaces(7)).
        if map.is_some() && matches!(e.errno(), libc::EPERM | libc::ENOSPC | libc::EUSERS | libc::EINVAL) { e.hint(crate::error::HINT_USERNS) } else { e }
    });
    let _ = sys::close(theirs);
    let pid = match pid {
        Ok(pid) => pid,
        Err(e) => {
            let _ = sys::close(ours);
            return Err(e);
        }
    };
    info!("container is pid ", pid as u64);
    let r = supervise(pid, ours, cg, &child, oci);
    let _ = sys::close(ours);
    r
}

#[inline(never)]
fn supervise(pid: i32, sock: Fd, cg: &Cgroups, child: &Child, oci: Option<&Oci>) -> Result<i32, Error> {
    // Sync 1: the child's user namespace gets its maps before it needs them.
    if let Some(m) = child.map {
        let ids = (child.spec.map_user, child.spec.map_group);
        if let Err(e) = userns::write_maps(pid, m, sys::geteuid(), sys::getegid(), ids).and_then(|_| channel::send(sock, Msg::Go)) {
            let ours = Kept::new(kill_child(pid, e));
            // The child may have failed first (joining its cgroups, say): then its report
            // waits in the socket, and that is the cause to show.
            return Err(match channel::recv(sock) {
                Ok(Some(Msg::Failed(theirs))) => theirs,
                _ => ours.error(),
            });
        }
    }
    if trace::dry_run() {
        // No child was made: show its steps here, where it would take them.
        trace::set_child(true);
        let Err(e) = setup(child);
        // Its execve "returns" (no errno): the end of the steps, not a failure.
        if !(e.is_exec() && e.errno() == 0) {
            crate::log::error(&e);
        }
        trace::set_child(false);
    }
    let sigfd = sys::signalfd(sys::FORWARDED | sys::SIGCHLD_SET).map_err(|e| kill_child(pid, e))?;
    // Sync 2: with -t first the pty's master; then a setup error from the child, or the end
    // of the channel once its execve closed the CLOEXEC socket.
    let mut master = -1;
    let failed = loop {
        if let Some(sig) = setup_signal(pid, sock, sigfd)? {
            kill_child(pid, Error::msg("", b""));
            return Ok(128 + sig);
        }
        match channel::recv(sock) {
            Ok(Some(Msg::Console(fd))) => match oci.and_then(|o| o.console) {
                // `create --console-socket`: the master goes to its caller, who relays.
                Some(path) => {
                    if let Err(e) = tty::send_console(path, fd) {
                        break Err(kill_child(pid, e));
                    }
                }
                None => master = fd,
            },
            // Sync 2 of `create`: the child waits for `start` (as the end of the channel is, for
            // `run --bundle`, that the command runs).
            Ok(Some(Msg::Ready)) if child.fifo >= 0 => break Ok(None),
            Ok(None) => break Ok(None),
            // The child never says Go (nor Started, exec's): not a message of runix's.
            Ok(Some(Msg::Go | Msg::Ready | Msg::Started(_))) => break Err(kill_child(pid, Error::sys("recvmsg", libc::EPROTO, b""))),
            // Kept whole: more errors may come before it is returned.
            Ok(Some(Msg::Failed(e))) => break Ok(Some(Kept::new(e))),
            Err(e) => break Err(kill_child(pid, e)),
        }
    };
    // The state of `create` and `run --bundle`: once the child waits for `start` (and then
    // `create`'s work is done) or runs.
    let failed = match (failed, oci) {
        (Ok(None), Some(o)) => match (o.ready)(pid, cg, child.caps) {
            Err(e) => Err(kill_child(pid, e)),
            Ok(()) if child.fifo >= 0 => return Ok(0),
            Ok(()) => Ok(None),
        },
        (f, _) => f,
    };
    info!("waiting for ", pid as u64);
    let status = match failed {
        // (--dry-run has no container to relay for.)
        Ok(None) if !trace::dry_run() => {
            let raw = if master >= 0 { tty::Raw::enter(0) } else { None };
            let r = tty::supervise(pid, sigfd, master, child.spec.stop_timeout);
            // The caller's terminal as it was, on every way out of the relay.
            if let Some(raw) = raw {
                raw.restore();
            }
            r
        }
        _ => sys::wait4(pid),
    };
    if let Some(e) = failed? {
        return Err(e.error());
    }
    let status = status?;
    let code = crate::process::exit_status(status);
    info!("container exited with status ", code as u64);
    report_usage(cg, child.spec, status)?;
    Ok(code)
}

/// While the child sets up: wait until it has something to say. A SIGINT, SIGTERM or SIGHUP
/// meanwhile ends the setup (Some: the caller stops the child and removes everything); any
/// other forwarded signal is passed on, to wait in the child's mask for the command.
#[inline(never)]
fn setup_signal(pid: i32, sock: Fd, sigfd: Fd) -> Result<Option<i32>, Error> {
    let ev = libc::POLLIN;
    let mut fds = [libc::pollfd { fd: sock, events: ev, revents: 0 }, libc::pollfd { fd: sigfd, events: ev, revents: 0 }];
    while !trace::dry_run() {
        sys::poll(&mut fds, None).map_err(|e| kill_child(pid, e))?;
        // The socket first: it is readable (EOF) before a SIGCHLD of the child's can be, and
        // that SIGCHLD is the supervisor's to read.
        if fds[0].revents != 0 {
            break;
        }
        match sys::read_signal(sigfd).map_err(|e| kill_child(pid, e))?.0 {
            s @ (libc::SIGINT | libc::SIGTERM | libc::SIGHUP) => return Ok(Some(s)),
            // A stopped child: nothing to do until it goes on.
            libc::SIGCHLD => {}
            s => {
                let _ = sys::kill(pid, s);
            }
        }
    }
    Ok(None)
}

/// Signals ignored when runix started (a shell's `cmd &` ignores SIGINT and SIGQUIT, nohup
/// SIGHUP) would be discarded before the signalfd could read them, and an ignored signal stays
/// ignored across execve(2): each goes back to its default, as for a command under Docker.
/// They are blocked already, so none arriving now can kill runix. Without /proc: all of them.
fn reset_ignored_signals() {
    let ignored = tty::status_signals(0).map_or(u64::MAX, |[_, ign, _]| ign);
    for sig in 1..=64 {
        if ignored >> (sig - 1) & 1 != 0 && sig != libc::SIGKILL && sig != libc::SIGSTOP {
            let _ = sys::signal(sig, false);
        }
    }
}

/// A failure before runix supervises the child: the child goes too, and is reaped, so the
/// cgroups can be removed and no process is left behind.
fn kill_child(pid: i32, e: Error) -> Error {
    let _ = sys::kill(pid, libc::SIGKILL);
    let _ = sys::wait4(pid);
    e
}

/// After the container: an OOM kill is said plainly (the status alone says only SIGKILL), and
/// with -v the peak memory and CPU time it used, as far as the cgroups the run has count them:
/// -v makes none of its own, so it changes nothing of what the run does.
#[inline(never)]
fn report_usage(cg: &Cgroups, spec: &Spec, status: i32) -> Result<(), Error> {
    if status & 0x7f == libc::SIGKILL {
        if let Some(limit) = spec.limits.memory.filter(|_| cg.oom_killed()) {
            let (n, unit) = crate::text::human(limit);
            let mut l = crate::log::Line::new();
            let _ = ufmt::uwrite!(l, "runix: container killed: out of memory (limit {} {})", n, unit);
            l.flush();
        }
    }
    let u = cg.usage();
    match u.memory_peak {
        Some(m) => info!("peak memory ", m >> 10, " KiB"),
        None => info!("peak memory ", Bytes(b"not counted (no memory cgroup: -m makes one)")),
    }
    match u.cpu_ns {
        Some(ns) => info!("cpu time ", ns / 1_000_000, " ms"),
        None => info!("cpu time ", Bytes(b"not counted (none of this run's cgroups counts it)")),
    }
    Ok(())
}

/// The child, PID 1 of the new PID namespace. On failure it reports the error to the parent
/// (which prints it once) and exits with the error's status.
fn container_main(c: &Child) -> ! {
    trace::set_child(true);
    let Err(e) = setup(c);
    report(c.sock, e)
}

/// The child's error goes to runix to print; once `runix create` has returned (the socket is
/// closed), the child prints it itself.
pub fn report(sock: Fd, e: Error) -> ! {
    if channel::send(sock, Msg::Failed(e)).is_err() {
        crate::log::error(&e);
    }
    sys::exit_group(e.exit_code())
}

/// Everything the child does, up to the command's execve, which ends it; returns only the
/// error that stopped it (the execve's own, when it fails).
#[inline(never)]
fn setup(c: &Child) -> Result<Infallible, Error> {
    let spec = c.spec;
    // Holding the parent's end would keep our own read from seeing EOF if the parent died.
    sys::close(c.parent_sock)?;
    die_with_parent(c.sock)?;
    if !c.cg.is_empty() {
        // Into its cgroups before it runs anything of the container's, so no process of the
        // container ever escapes a limit; then the cgroup namespace, whose root is where it
        // now is: /proc/self/cgroup inside shows "/" (cgroup_namespaces(7)).
        c.cg.join(&c.joins).map_err(|e| match e.errno() {
            libc::EACCES | libc::EPERM if c.map.is_some() => e.hint(crate::error::HINT_DELEGATE),
            _ => e,
        })?;
        sys::unshare(NEWCGROUP)?;
    }
    // Its own session: no controlling terminal, so no TIOCSTI into the caller's (CVE-2017-5226).
    sys::setsid()?;
    if c.map.is_some() {
        // Sync 1: its maps first (or, when runix is gone, the end of the channel).
        match channel::recv(c.sock)? {
            Some(Msg::Go) => {}
            _ if trace::dry_run() => {}
            _ => return Err(Error::msg("parent exited during setup", b"")),
        }
    }
    if let Some(Map::Root { .. }) = c.map {
        // Root's own ids are not in its range: until it takes the namespace's 0 (mapped now),
        // whatever it creates has no owner there, and mknod and mkdir fail with EOVERFLOW.
        user::switch(0, 0, Some(&[]))?;
        // Changing the uid clears the parent-death signal (prctl(2)): set it again.
        die_with_parent(c.sock)?;
    }
    // Namespaces of another's to join (podman's network): each path must be one of the right
    // type (setns(2) says EINVAL otherwise), opened before anything of the container exists.
    for (ns, path) in spec.joins.iter() {
        let fd = sys::openat(sys::AT_FDCWD, path, libc::O_RDONLY, 0)?;
        sys::setns(fd, ns).map_err(|e| e.at(path.to_bytes()))?;
        sys::close(fd)?;
    }
    rootfs::make_private()?;
    // None given (an OCI config may say none): the host's, as the new namespace copied it.
    if !spec.hostname.is_empty() {
        sys::sethostname(spec.hostname)?;
    }
    if spec.new_net {
        sys::loopback_up()?;
    }
    // Through the host's /proc still, in the container's own namespaces: what these files
    // set is the writer's namespaces' (a config.json's; sysctls checked to be namespaced).
    for (path, value) in spec.sysctls.iter() {
        rootfs::write_setting(path, value.to_bytes())?;
    }
    set_oom_score_adj(spec)?;
    // Everything is mounted before the switch, while the host's side (bind sources, host
    // device nodes) is still reachable; each target is opened inside the root first.
    let mut mounts = c.plan.open()?;
    // A --seccomp file is a host path: opened now, read at the end.
    let seccomp_file = match spec.seccomp {
        Seccomp::File(p) => sys::openat(sys::AT_FDCWD, p, libc::O_RDONLY, 0)?,
        _ => -1,
    };
    // The mounts, the switch into the root, and every fd of the host's closed but these: the
    // --seccomp file, a regular file the user named, is read at the end; exec.fifo is reopened
    // at the end.
    c.plan.execute(&mut mounts, &[c.sock, seccomp_file, c.fifo])?;
    let p = Proc { spec, sock: c.sock, old_mask: c.old_mask, map: c.map, caps: c.caps, fifo: c.fifo, seccomp_file, exec: false };
    last_steps(&p)
}

/// What the process's last steps need: the container's command, or `runix exec`'s process.
pub struct Proc<'a> {
    pub spec: &'a Spec,
    /// Its end of the channel to runix.
    pub sock: Fd,
    /// The signal mask runix started with, for the command to get back.
    pub old_mask: u64,
    pub map: Option<Map>,
    /// The bounding set.
    pub caps: u64,
    /// exec.fifo (`Oci::fifo`), or -1.
    pub fifo: Fd,
    /// The --seccomp file, open, or -1.
    pub seccomp_file: Fd,
    /// `runix exec`'s: it outlives runix, and its pty is not the container's /dev/console.
    pub exec: bool,
}

/// The process's oomScoreAdj (config.json's or exec's process file's), through the host's
/// /proc still: inherited from here by the command (runtime-spec: set when given, else left).
pub fn set_oom_score_adj(spec: &Spec) -> Result<(), Error> {
    let Some(adj) = spec.oom_score_adj else { return Ok(()) };
    let mut b = [b'-'; 8];
    let n = crate::text::itoa(adj.unsigned_abs() as u64, &mut b[1..]).len();
    rootfs::write_setting(c"/proc/self/oom_score_adj", &b[7 - n + (adj >= 0) as usize..])
}

/// The process's last steps, inside the root: its user, working directory, limits, terminal
/// and privileges; under `create` the wait for `start`; --init; the execve. Returns only the
/// error that stopped it.
#[inline(never)]
pub fn last_steps(c: &Proc) -> Result<Infallible, Error> {
    let spec = c.spec;
    let seccomp_file = c.seccomp_file;
    // The names are the image's own: its /etc/passwd and /etc/group, read inside the root.
    let (uid, gid) = match (spec.ids, spec.user) {
        (Some(ids), _) => ids,
        (None, Some(u)) => user::resolve(u.to_bytes())?,
        (None, None) => (0, 0),
    };
    // OCI: an environment without HOME gets the user's (runc's rule).
    let home = if spec.ids.is_some() { user::home(&spec.env, uid)? } else { None };
    if let Some(dir) = spec.workdir {
        sys::chdir(dir)?;
    }
    if let Some(m) = spec.umask {
        sys::umask(m);
    }
    for u in spec.ulimits.iter() {
        sys::setrlimit(u.resource as u32, u.soft, u.hard).map_err(|e| e.at(b"--ulimit").hint(if e.errno() == libc::EPERM { crate::error::HINT_RLIMIT } else { 0 }))?;
    }
    // The privileges go in the order that keeps each step possible: the bounding set, while
    // CAP_SETPCAP is still there; the ids; then the remaining sets, then no_new_privs
    // (prctl(2)) so that no setuid binary or file capability can give any of it back.
    if spec.tty {
        tty::make_console(c.sock, uid, gid, !c.exec)?;
    }
    // The bounding set first: its drops end at the first EINVAL (past the kernel's last
    // capability), which a filter could fake.
    caps::drop_bounding(c.caps)?;
    // Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN: the filter goes on while runix
    // still has it (the bounding set leaves the effective one as it is), and the rest of the
    // setup goes through it, failing where it refuses a step (runc does the same).
    if !spec.no_new_privs {
        seccomp::install(spec.seccomp, 0, seccomp_file)?;
    }
    if let Some(sets) = spec.cap_sets {
        // The sets given stay through the uid change (PR_SET_KEEPCAPS, cleared by execve).
        sys::prctl(libc::PR_SET_KEEPCAPS, (sets[1] != 0) as u64)?;
    }
    if spec.user.is_some() || spec.ids.is_some() {
        // With a single-id map, setgroups is denied (user_namespaces(7)): there are none.
        let groups = if spec.ids.is_some() { Some(&spec.groups[..spec.ngroups]) } else { Some(&[][..]) };
        user::switch(uid, gid, groups.filter(|_| c.map != Some(Map::Single)))?;
        // Changing the uid clears the parent-death signal (prctl(2)): set it again.
        if !c.exec {
            die_with_parent(c.sock)?;
        }
    } else if matches!(c.map, None | Some(Map::Range { .. })) {
        // The caller's supplementary groups would open what they open on the host (through a
        // bind): none stays, as with runc's empty additionalGids. (Root's --userns cleared
        // them above; a single-id map denies setgroups and maps no group anyway.)
        sys::setgroups_none()?;
    }
    let sets = match spec.cap_sets {
        Some([e, p, i, a]) => caps::Sets { bounding: c.caps, effective: e & c.caps, permitted: p & c.caps, inheritable: i, ambient: a & c.caps },
        None => caps::sets(c.caps, uid),
    };
    caps::apply(sets)?;
    if spec.no_new_privs {
        sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1)?;
    }
    exec::check_cwd()?;
    if c.fifo >= 0 {
        wait_start(c.sock, c.fifo)?;
    }
    if c.exec && !trace::dry_run() {
        // `exec`'s process is born in the container's PID namespace (joined for children only)
        // now, with its own privileges: a process there with CAP_SYS_PTRACE could trace it,
        // and runix's setup with the host's ran outside. Its parent is runix (CLONE_PARENT).
        let stack = sys::mmap_stack(64 * 1024)?;
        let pid = sys::clone(libc::CLONE_PARENT as u64 | libc::SIGCHLD as u64, &stack, command_main, &(c, sets.effective, seccomp_file, home))?;
        channel::send(c.sock, Msg::Started(pid))?;
        sys::exit_group(0)
    }
    if spec.init && !trace::dry_run() {
        init::run(command_main, &(c, sets.effective, seccomp_file, home))?;
    }
    Err(exec_command(c, sets.effective, seccomp_file, home))
}

/// --init's child (and `exec`'s process): the command, reporting a failure to runix as the
/// container's init would.
fn command_main(a: &(&Proc, u64, Fd, Option<&'static CStr>)) -> ! {
    // `exec`'s process, in the container's PID namespace, holds no channel to runix: a
    // process there with CAP_SYS_PTRACE could take it (pidfd_getfd) and speak as runix's
    // child. A failed execve it says itself; its status (126, 127) reaches runix.
    let mut sock = a.0.sock;
    if a.0.exec {
        let _ = sys::close(sock);
        sock = -1;
    }
    report(sock, exec_command(a.0, a.1, a.2, a.3))
}

/// `runix create`: the child is set up; it says so, and waits for `runix start`, which opens
/// exec.fifo for reading: opening its write end blocks until then (runc's way). Through
/// /proc/self/fd: the fd is O_PATH, opened on the host's side, before the switch into the root.
#[inline(never)]
fn wait_start(sock: Fd, fifo: Fd) -> Result<(), Error> {
    // It outlives `runix create`: its caller (conmon, a shim) reaps it.
    sys::prctl(libc::PR_SET_PDEATHSIG, 0)?;
    channel::send(sock, Msg::Ready)?;
    sys::close(sock)?;
    let fd = sys::openat(sys::AT_FDCWD, rootfs::fd_path(fifo).as_cstr(), libc::O_WRONLY, 0)?;
    // The fifo itself, not a file of the image's that the path could be.
    let (a, b) = (sys::fstat(fd)?, sys::fstat(fifo)?);
    let r = if (a.dev, a.ino) == (b.dev, b.ino) { sys::write(fd, b"0").map(drop) } else { Err(Error::msg("not runix's exec.fifo", b"/proc/self/fd")) };
    sys::close(fd)?;
    r
}

/// The last steps before the command: no fd of runix's left, the caller's signal mask back,
/// the seccomp filter, execve (with `home` added to the environment). Returns only on failure.
fn exec_command(c: &Proc, caps_effective: u64, seccomp_file: Fd, home: Option<&'static CStr>) -> Error {
    let spec = c.spec;
    if let Err(e) = exec::close_fds(&[c.sock, seccomp_file]).and_then(|_| sys::sigprocmask(libc::SIG_SETMASK, c.old_mask)) {
        return e;
    }
    // `exec`'s process: a session of its own (no TIOCSTI into the caller's terminal,
    // CVE-2017-5226), with -t the pty as its terminal. (Its parent's, which started it, ends
    // now: had it been the terminal's, its end would hang the process up.)
    if c.exec {
        if let Err(e) = sys::setsid().and_then(|_| if spec.tty { tty::take_terminal() } else { Ok(()) }) {
            return e;
        }
    }
    // Last: the filter constrains the command, not runix's setup (nor its own error report).
    if let Err(e) = if spec.no_new_privs { seccomp::install(spec.seccomp, caps_effective, seccomp_file) } else { Ok(()) } {
        return e;
    }
    info!("executing ", Bytes(spec.argv.get(0).map_or(&b""[..], |c| c.to_bytes())));
    let mut env = spec.env;
    if let Some(h) = home {
        env.set(h);
    }
    exec::exec(spec.argv, &env)
}

/// The container dies with runix (PR_SET_PDEATHSIG), and runix did not die already: the check
/// after the prctl closes the race (the socket's other end is runix's).
fn die_with_parent(sock: Fd) -> Result<(), Error> {
    sys::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as u64)?;
    if !sys::peer_alive(sock) && !trace::dry_run() {
        return Err(Error::msg("runix exited during setup", b""));
    }
    Ok(())
}

pub mod enter;

#[cfg(test)]
mod tests;
