//! The OCI runtime's commands (runc's): a container's state, kept in ROOT/ID, and what each
//! command does with it.
//!
//! ROOT/ID/state.json is written whole or not at all (a temporary file renamed over it): the
//! state document `runix state` prints, less its status, plus the init's start time (field 22
//! of /proc/PID/stat: a pid used again by another process is not the container's) and the
//! cgroups `delete` removes. ROOT/ID/exec.fifo is there while the init waits for `start`.
//! `create`, `start` and `delete` of one ID take turns: flock(2) on ROOT/ID. A `create` that
//! fails leaves no ROOT/ID (and the sequence, run.rs, no process and no cgroup).

use crate::buf::{Buf, CBuf};
use crate::cgroup::{self, Cgroups};
use crate::cli::oci::{check_id, ALL, BUNDLE, CONSOLE_SOCKET, CWD, Cmd, DETACH, FORCE, FORMAT, LOG, LOG_FORMAT, NO_PIVOT, Oci, PID_FILE, PRESERVE_FDS, PROCESS, SYSTEMD_CGROUP, TTY, USER};
use crate::error::{Error, Kept};
use crate::oci::config::{load, load_process};
use crate::oci::json::{Value, Writer};
use crate::spec::{RootMode, Spec};
use crate::sys::{self, AT_FDCWD, Fd};
use crate::text::{fields, itoa, number, rfc3339, word};
use core::ffi::CStr;
use libc::{EEXIST, ENOENT, ESRCH, O_DIRECTORY, O_RDONLY, O_WRONLY};

type Path = CBuf<4096>;

const STATE: &CStr = c"state.json";
const FIFO: &CStr = c"exec.fifo";
const CREATED: &str = "created";
const RUNNING: &str = "running";
const STOPPED: &str = "stopped";

/// The text a command reads (state.json) and the one it writes (the state, features, ps):
/// outside the stack, in .bss.
static READ: sys::Once<[u8; 1 << 16]> = sys::Once::new([0; 1 << 16]);
static TEXT: sys::Once<CBuf<{ 1 << 16 }>> = sys::Once::new(CBuf::new());

/// `runix COMMAND ...` of the OCI runtime; Ok(the exit status).
#[inline(never)]
pub fn main(o: &Oci) -> Result<i32, Error> {
    if o.has(SYSTEMD_CGROUP) {
        return Err(Error::msg(unsupported!("--systemd-cgroup: with podman, use --cgroup-manager=cgroupfs"), b""));
    }
    // The caller's fds passed on: none but 0 to 2 (conmon passes none unless asked).
    if let Some(v) = o.values[PRESERVE_FDS].filter(|&v| v != c"0") {
        return Err(Error::msg(unsupported!("--preserve-fds"), v.to_bytes()));
    }
    if o.cmd < Cmd::List {
        check_id(o.id)?;
    }
    match o.cmd {
        Cmd::Create | Cmd::Run => return create(o),
        Cmd::Features => return features(),
        Cmd::List => return list(o),
        _ => {}
    }
    let dir = join(o.root().to_bytes(), b"/", o.id.to_bytes())?;
    let lock = match o.cmd {
        Cmd::Start => 1,
        Cmd::Delete => DELETING,
        _ => 0,
    };
    let s = match open(dir.as_cstr(), READ.take(), lock) {
        // `delete --force` of a container that is gone already: done (containerd's shim asks).
        Err(e) if e.errno() == ENOENT => return if o.has(FORCE) { Ok(0) } else { Err(Error::msg("container does not exist", o.id.to_bytes())) },
        s => s?,
    };
    let stopped = s.status == STOPPED;
    match o.cmd {
        Cmd::State => print_state(&s, b"\n"),
        Cmd::Start if s.status == CREATED => start(&s),
        // (0: the init, through its pidfd.)
        Cmd::Kill if !stopped => each_pid(&s, o.has(ALL), &mut |pid| if pid == 0 { signal(&s, o.signal) } else { sys::kill(pid, o.signal) }).map(|_| 0),
        Cmd::Ps => ps(&s),
        // Not into a created one, whose process would start before the container's (runc
        // allows it; podman and containerd never ask).
        Cmd::Exec if s.status == RUNNING => exec(o, &s),
        Cmd::Delete if s.status != RUNNING || o.has(FORCE) => delete(&s, &dir),
        _ => Err(Error::msg("not in this state (delete a running one with --force)", s.status.as_bytes())),
    }
}

/// A container, as its state says.
struct State<'a> {
    /// ROOT/ID, open (and locked, for `start` and `delete`).
    dir: Fd,
    text: &'a [u8],
    doc: Value<'a>,
    pid: i32,
    /// The init's pidfd, opened before its start time was checked (-1: none, Linux < 5.3).
    pidfd: Fd,
    status: &'static str,
}

/// `open`'s lock for `delete`.
const DELETING: u8 = 2;

/// Open ROOT/ID (`dir`), locked unless `lock` is 0, read its state.json into `buf`; ENOENT
/// when there is none (not made, gone, or not written yet).
#[inline(never)]
fn open<'a>(dir: &CStr, buf: &'a mut [u8], lock: u8) -> Result<State<'a>, Error> {
    let d = sys::openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0)?;
    if lock != 0 {
        sys::flock(d, libc::LOCK_EX)?;
    }
    let fd = match sys::openat(d, STATE, O_RDONLY, 0) {
        // Under the lock, no state is a create killed half-way: `delete` removes what it left.
        Err(e) if e.errno() == ENOENT && lock == DELETING => {
            let _ = remove(d, dir);
            return Err(e);
        }
        r => r?,
    };
    let n = sys::read_plain(fd, buf);
    sys::close(fd)?;
    let text = &buf[..n?];
    let doc = Value::parse(text, "malformed state.json at byte")?;
    let get = |k: &[u8]| doc.get(k).and_then(Value::as_u64).unwrap_or(0);
    let pid = get(b"pid") as i32;
    // The init, unless it has exited, or its pid is another's now: checked once its pidfd is
    // open, so that what is signalled through it is what was checked.
    let pidfd = sys::pidfd_open(pid).unwrap_or(-1);
    let status = match proc_start(pid) {
        Some(t) if t == get(b"start") => match sys::openat(d, FIFO, libc::O_PATH, 0) {
            Ok(f) => sys::close(f).map(|_| CREATED)?,
            Err(_) => RUNNING,
        },
        _ => STOPPED,
    };
    Ok(State { dir: d, text, doc, pid, pidfd, status })
}

/// When process `pid` started (field 22 of /proc/PID/stat, in clock ticks since boot), unless
/// it has exited (a zombie) or there is none.
#[inline(never)]
fn proc_start(pid: i32) -> Option<u64> {
    let mut buf = [0u8; 1024];
    let s = crate::file::read_file(join(b"/proc/", itoa(pid as u64, &mut [0; 20]), b"/stat").ok()?.as_cstr(), &mut buf).ok()?;
    // After the command's name, which may hold spaces and parentheses: field 3 on.
    let rest = s.get(s.iter().rposition(|&c| c == b')')? + 2..)?;
    if matches!(rest.first(), Some(b'Z' | b'X')) {
        return None;
    }
    number(fields(rest, b' ').nth(19)?)
}

/// runc's state document: the stored one, with the status first.
fn print_state(s: &State, end: &[u8]) -> Result<i32, Error> {
    for part in [&b"{\"status\":\""[..], s.status.as_bytes(), b"\",", &s.text[1..], end] {
        out(part)?;
    }
    Ok(0)
}

/// `a`, `b`, `c` as one path.
#[inline(never)]
fn join(a: &[u8], b: &[u8], c: &[u8]) -> Result<Path, Error> {
    Path::from(&[a, b, c])
}

fn out(b: &[u8]) -> Result<(), Error> {
    sys::write_all(1, b)
}

/// Poll `fd` (-1: none) and the exit of the init, at most `ms`: poll's count.
fn wait(fd: Fd, s: &State, ms: Option<u64>) -> Result<usize, Error> {
    let pidfd = if s.pidfd >= 0 { s.pidfd } else { sys::pidfd_open(s.pid)? };
    let ev = libc::POLLIN;
    let mut fds = [libc::pollfd { fd, events: ev, revents: 0 }, libc::pollfd { fd: pidfd, events: ev, revents: 0 }];
    sys::poll(&mut fds, ms)
}

/// Signal the init: through its pidfd where there is one.
fn signal(s: &State, sig: i32) -> Result<(), Error> {
    if s.pidfd >= 0 { sys::pidfd_send_signal(s.pidfd, sig) } else { sys::kill(s.pid, sig) }
}

/// `runix start`: open exec.fifo for reading, which lets the init's open for writing return;
/// it writes a byte, and execs the command. Its exit meanwhile is an error, not a hang.
fn start(s: &State) -> Result<i32, Error> {
    let fifo = sys::openat(s.dir, FIFO, O_RDONLY | libc::O_NONBLOCK, 0)?;
    let r = wait(fifo, s, None).and_then(|_| sys::read(fifo, &mut [0]));
    sys::close(fifo)?;
    if !matches!(r, Ok(1)) {
        return Err(Error::msg("container exited before start", b""));
    }
    sys::unlinkat(s.dir, FIFO, 0).map(|_| 0)
}

/// `f` for each process of the container: with `all` those in its first cgroup's
/// cgroup.procs (all of them, on v1 too), else (or without cgroups) its init, as 0, unless
/// stopped.
fn each_pid(s: &State, all: bool, f: &mut dyn FnMut(i32) -> Result<(), Error>) -> Result<(), Error> {
    match s.doc.get(b"cgroups").and_then(|c| c.elements()?.next()?.as_str(&mut [])).filter(|_| all) {
        Some(d) => crate::file::for_each_line(join(d, b"/", b"cgroup.procs")?.as_cstr(), &mut |l| {
            // 0: a process of another PID namespace, or leaving (never kill(0)); one that
            // has exited meanwhile (ESRCH) stops nothing.
            match number(l).filter(|&p| p > 0).map_or(Ok(()), |p| f(p as i32)) {
                Err(e) if e.errno() == ESRCH => Ok(true),
                r => r.map(|_| true),
            }
        }),
        None if s.status != STOPPED => f(0),
        None => Ok(()),
    }
}

/// `runix ps --format json`: the host pids of the container's processes, as a JSON array.
fn ps(s: &State) -> Result<i32, Error> {
    let mut sep = &b"["[..];
    each_pid(s, true, &mut |pid| {
        out(sep)?;
        sep = b",";
        out(itoa(if pid == 0 { s.pid } else { pid } as u64, &mut [0; 20]))
    })?;
    out(if sep == b"[" { b"[]\n" } else { b"]\n" }).map(|_| 0)
}

/// `runix delete`: a container not stopped yet is killed first, and waited for until it has
/// exited (its parent, conmon or a shim, reaps it); then its cgroups go (killing what is left
/// in them), and ROOT/ID.
#[inline(never)]
fn delete(s: &State, dir: &Path) -> Result<i32, Error> {
    if s.status != STOPPED {
        // ESRCH: it has exited meanwhile.
        match signal(s, libc::SIGKILL) {
            Err(e) if e.errno() != ESRCH => return Err(e),
            _ => {}
        }
        match wait(-1, s, Some(10_000)) {
            Ok(0) => return Err(Error::msg("container did not exit after SIGKILL", b"")),
            Err(e) if e.errno() != ESRCH => return Err(e),
            _ => {}
        }
    }
    if let Some(dirs) = s.doc.get(b"cgroups").and_then(Value::elements) {
        for d in dirs {
            cgroup::remove_dir(d.as_str(&mut []).unwrap_or(b""))?;
        }
    }
    remove(s.dir, dir.as_cstr()).map(|_| 0)
}

/// Remove ROOT/ID (open as `d`) and what is in it.
fn remove(d: Fd, dir: &CStr) -> Result<(), Error> {
    // (state.json.tmp: what a create killed while writing it left.)
    for f in [STATE, FIFO, c"state.json.tmp"] {
        let _ = sys::unlinkat(d, f, 0);
    }
    sys::close(d)?;
    sys::rmdir(dir)
}

/// `runix create` and `runix run --bundle`: ROOT/ID made (refused if it is there), the
/// container made by the sequence, its state written once its init waits (create) or runs.
/// Whatever fails, ROOT/ID goes again; after `run`, too.
#[inline(never)]
fn create(o: &Oci) -> Result<i32, Error> {
    let creating = o.cmd == Cmd::Create;
    // Read whole before anything is made: a config.json runix cannot honour makes nothing.
    let bundle = bundle(o.values[BUNDLE].unwrap_or(c".").to_bytes())?;
    let mut spec = load(bundle)?;
    if o.has(NO_PIVOT) {
        spec.root_mode = RootMode::Chroot;
    }
    if creating && spec.tty && o.values[CONSOLE_SOCKET].is_none() {
        return Err(Error::msg("process.terminal needs --console-socket", b""));
    }
    // ROOT and what leads to it, as far as they are missing; ROOT/ID says what failed.
    let root = o.root().to_bytes();
    for end in (1..=root.len()).filter(|&i| i == root.len() || root[i] == b'/') {
        let _ = sys::mkdir(join(&root[..end], b"", b"")?.as_cstr(), 0o700);
    }
    let dir = join(root, b"/", o.id.to_bytes())?;
    sys::mkdir(dir.as_cstr(), 0o700).map_err(|e| if e.errno() == EEXIST { Error::msg("container exists already", o.id.to_bytes()) } else { e })?;
    let d = sys::openat(AT_FDCWD, dir.as_cstr(), O_RDONLY | O_DIRECTORY, 0);
    let r = d.and_then(|d| {
        sys::flock(d, libc::LOCK_EX)?;
        let mut fifo = -1;
        if creating {
            // Writable by the container's user, whoever it is (its open is through the fd).
            let mask = sys::umask(0);
            let made = sys::mknodat(d, FIFO, libc::S_IFIFO | 0o622, 0, 0);
            sys::umask(mask);
            made?;
            fifo = sys::openat(d, FIFO, libc::O_PATH, 0)?;
        }
        let ready = |pid, cg: &Cgroups, caps| write_state(o, d, &spec, bundle, pid, cg, caps);
        crate::run::run_oci(&spec, Some(&crate::run::Oci { fifo, console: o.values[CONSOLE_SOCKET], ready: &ready }))
    });
    // The error's path outlives the failed calls of the removal (error/slots.rs).
    let r = r.map_err(Kept::new);
    if r.is_err() || !creating {
        // (The lock goes with the directory's last fd.)
        let _ = d.and_then(|d| remove(d, dir.as_cstr()));
    }
    r.map_err(|k| k.error())
}

/// The bundle `b` as an absolute path (state.json's, for `exec` from anywhere), kept for the
/// process.
fn bundle(b: &[u8]) -> Result<&'static CStr, Error> {
    static BUNDLE: sys::Once<Path> = sys::Once::new(Path::new());
    let p = BUNDLE.take();
    if !b.starts_with(b"/") {
        let mut cwd = [0u8; 4096];
        let n = sys::getcwd(&mut cwd)?;
        p.push_all(&[&cwd[..n.saturating_sub(1)], b"/"])?;
    }
    Ok(p.push(b)?.as_cstr())
}

/// `runix exec`: a process in the container, its config.json's with the changes of --process's
/// file (in place of the config's process) or of the options and command (runc's).
#[inline(never)]
fn exec(o: &Oci, s: &State) -> Result<i32, Error> {
    let mut buf = [0u8; 4096];
    let b = s.doc.get(b"bundle").and_then(|b| b.as_str(&mut buf)).unwrap_or(b"");
    let mut spec = load(bundle(b)?)?;
    // What runix dropped from the config's bounding set at create (CAP_MKNOD without device
    // rules) it drops from this process's too: as create recorded it, not as the container
    // may show it now.
    let dropped = spec.caps & !s.doc.get(b"caps").and_then(Value::as_u64).unwrap_or(u64::MAX);
    match o.values[PROCESS] {
        Some(p) => load_process(p, &mut spec)?,
        None => {
            if o.argv.is_empty() {
                return Err(Error::msg("exec needs a command or --process", b""));
            }
            spec.argv = o.argv;
            for e in (0..o.env.len()).filter_map(|i| o.env.get(i)) {
                if !spec.env.set(e) {
                    return Err(Error::msg("too many --env", e.to_bytes()));
                }
            }
            if let Some(d) = o.values[CWD] {
                spec.workdir = Some(d).filter(|d| d.to_bytes().starts_with(b"/"));
                spec.workdir.ok_or_else(|| Error::msg(invalid!("--cwd (an absolute path)"), d.to_bytes()))?;
            }
            if let Some(u) = o.values[USER] {
                let mut ids = fields(u.to_bytes(), b':').map(number);
                let (uid, gid) = (ids.next().flatten(), ids.next().unwrap_or(Some(0)));
                match (uid, gid, ids.next()) {
                    (Some(uid), Some(gid), None) if uid.max(gid) < u32::MAX as u64 => (spec.ids, spec.ngroups) = (Some((uid as u32, gid as u32)), 0),
                    _ => return Err(Error::msg(invalid!("--user (UID[:GID])"), u.to_bytes())),
                }
            }
            spec.tty = o.has(TTY);
        }
    }
    if spec.tty && o.has(DETACH) && o.values[CONSOLE_SOCKET].is_none() {
        return Err(Error::msg("exec --tty --detach needs --console-socket", b""));
    }
    if spec.tty && spec.own & crate::spec::OWN_PTS == 0 {
        return Err(Error::msg(unsupported!("--tty (the config has no devpts on /dev/pts)"), b""));
    }
    let mut cgroups = crate::buf::List::<&[u8], 16>::new();
    for d in s.doc.get(b"cgroups").and_then(Value::elements).into_iter().flatten() {
        if !cgroups.push(d.as_str(&mut []).unwrap_or(b"")) {
            return Err(Error::msg("too many cgroups in state.json", b""));
        }
    }
    let ready = |pid: i32| match o.values[PID_FILE] {
        Some(f) => write_file(AT_FDCWD, f, itoa(pid as u64, &mut [0; 20])),
        None => Ok(()),
    };
    spec.caps &= !dropped;
    // The pidfd opened before the init's start time was checked, or none: setns(2) through one
    // needs Linux 5.8.
    if s.pidfd < 0 {
        return Err(Error::msg("exec needs a pidfd of the container's init (Linux 5.3, and 5.8 for setns)", b""));
    }
    let chroot = s.doc.get(b"chroot").and_then(Value::as_bool).unwrap_or(true);
    let t = crate::run::enter::Target { pid: s.pid, pidfd: s.pidfd, cgroups: &cgroups, chroot };
    crate::run::enter::enter(&spec, &t, o.values[CONSOLE_SOCKET], o.has(DETACH), &ready)
}

/// The state of the container `pid`, into ROOT/ID/state.json, and its pid into --pid-file
/// (each written whole, then renamed into place, as runc does). The bundle and root as the
/// caller gave them (podman and containerd give absolute paths), the bundle absolute.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn write_state(o: &Oci, dir: Fd, spec: &Spec, bundle: &CStr, pid: i32, cg: &Cgroups, caps: u64) -> Result<(), Error> {
    let t = TEXT.take();
    let (mut date, mut digits, mut start, mut bounding) = ([0; 20], [0; 20], [0; 20], [0; 20]);
    let annotations = if spec.annotations.is_empty() { b"{}" } else { spec.annotations };
    let values = [
        o.id.to_bytes(),
        bundle.to_bytes(),
        spec.rootfs.to_bytes(),
        rfc3339(sys::realtime_secs(), &mut date),
        itoa(pid as u64, &mut digits),
        itoa(proc_start(pid).unwrap_or(0), &mut start),
        annotations,
        itoa(caps, &mut bounding),
        if spec.root_mode == RootMode::Chroot { b"true" } else { b"false" },
    ];
    fill(t, b"{\"ociVersion\":\"1.2.0\",\"id\":\x00,\"bundle\":\x01,\"rootfs\":\x02,\"created\":\x03,\"owner\":\"\",\"pid\":\x14,\"start\":\x15,\"annotations\":\x16,\"caps\":\x17,\"chroot\":\x18,\"cgroups\":[", &values)?;
    let mut w = Writer::new(t);
    for d in cg.dirs() {
        w.str(d.to_bytes());
    }
    w.done()?;
    write_file(dir, STATE, t.push(b"]}")?.bytes())?;
    if let Some(f) = o.values[PID_FILE] {
        write_file(AT_FDCWD, f, itoa(pid as u64, &mut [0; 20]))?;
    }
    // `run --bundle` keeps the container while it runs: `delete --force` may stop it meanwhile.
    if o.cmd == Cmd::Run {
        sys::flock(dir, libc::LOCK_UN)?;
    }
    Ok(())
}

/// `template` into `t`, with each byte below 0x20 replaced by `values[byte & 0xf]`: from 0x10
/// as it is (JSON text), below as a JSON string.
#[inline(never)]
fn fill(t: &mut Buf<[u8]>, template: &[u8], values: &[&[u8]]) -> Result<(), Error> {
    for &c in template {
        match values.get(c as usize & 0xf).filter(|_| c < 0x20) {
            Some(v) if c < 0x10 => Writer::new(t).str(v).done().map(drop)?,
            Some(v) => drop(t.push(v)?),
            None => drop(t.push(&[c])?),
        }
    }
    Ok(())
}

/// `data` into `path` (relative to `dir`): written into PATH.tmp, renamed over PATH.
fn write_file(dir: Fd, path: &CStr, data: &[u8]) -> Result<(), Error> {
    let tmp = join(path.to_bytes(), b".tmp", b"")?;
    // A new file, never one a symlink leads to (--pid-file is anywhere the caller says).
    let _ = sys::unlinkat(dir, tmp.as_cstr(), 0);
    let fd = sys::openat(dir, tmp.as_cstr(), O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW, 0o644)?;
    let r = sys::write_all(fd, data);
    sys::close(fd)?;
    r?;
    sys::rename(dir, tmp.as_cstr(), path)
}

/// `runix list`: runc's table (`--format json`: an array of the states).
#[inline(never)]
fn list(o: &Oci) -> Result<i32, Error> {
    let buf = READ.take();
    let json = o.json(FORMAT);
    let mut sep = &b""[..];
    out(if json { b"[" } else { b"ID          PID         STATUS      BUNDLE      CREATED     OWNER\n" })?;
    let r = cgroup::for_each_entry(o.root(), &mut |name, _| {
        let dir = join(o.root().to_bytes(), b"/", name)?;
        let Some(Ok(s)) = (name != b"." && name != b"..").then(|| open(dir.as_cstr(), buf, 0)) else { return Ok(()) };
        if json {
            out(sep)?;
            sep = b",";
            print_state(&s, b"")?;
        } else {
            let get = |k: &[u8]| s.doc.get(k).and_then(|v| v.as_str(&mut [])).unwrap_or(b"");
            let mut digits = [0; 20];
            let cells = [name, itoa(s.pid as u64, &mut digits), s.status.as_bytes(), get(b"bundle"), get(b"created"), get(b"owner")];
            // Columns 3 spaces apart, of 12 at least, as runc's tabwriter makes short ones.
            for (i, c) in cells.iter().enumerate() {
                out(c)?;
                out(if i == 5 { b"\n" } else { &b"            "[..12usize.saturating_sub(c.len()).max(3)] })?;
            }
        }
        if s.pidfd >= 0 {
            sys::close(s.pidfd)?;
        }
        sys::close(s.dir)
    });
    match r {
        Err(e) if e.errno() != ENOENT => return Err(e),
        _ => {}
    }
    out(if json { b"]\n" } else { b"" }).map(|_| 0)
}

/// `runix features`: the runtime-spec's features document, of what runix honours; each piece
/// of text is followed by a list of names (each after a prefix).
const FEATURES: [(&str, &str, &str); 7] = [
    (r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.2.0","hooks":"#, "", ""),
    (r#","mountOptions":"#, "", "ro bind rbind rw rprivate private nosuid nodev noexec relatime strictatime"),
    (r#","linux":{"namespaces":"#, "", "pid mount ipc uts network cgroup"),
    (r#","capabilities":"#, "CAP_", sys::CAP_NAMES),
    (r#","cgroup":{"v1":true,"v2":true,"systemd":false,"systemdUser":false},"seccomp":{"enabled":true,"actions":"#, "SCMP_ACT_", crate::oci::seccomp::ACTIONS),
    (r#","operators":"#, "SCMP_CMP_", crate::oci::seccomp::OPS),
    (r#","archs":"#, "SCMP_ARCH_", sys::arch::SCMP_ARCH),
];

#[inline(never)]
fn features() -> Result<i32, Error> {
    let t = TEXT.take();
    for (text, prefix, names) in FEATURES {
        t.push_all(&[text.as_bytes(), b"["])?;
        let mut i = 0;
        while let Some(n) = word(names, i) {
            t.push_all(&[if i == 0 { b"\"" } else { b",\"" }, prefix.as_bytes(), n.as_bytes(), b"\""])?;
            i += 1;
        }
        t.push(b"]")?;
    }
    out(t.push(b"}}}\n")?.bytes()).map(|_| 0)
}

/// With --log: the error in that file too, as a line or (--log-format json) as
/// `{"level":"error","msg":"...","time":"RFC 3339"}` (what podman and containerd read).
#[inline(never)]
pub fn log_error(o: &Oci, e: &Error) {
    let Some(path) = o.values[LOG] else { return };
    let line = crate::log::error_line(e);
    let mut b = CBuf::<2048>::new();
    let mut date = [0; 20];
    let _ = match o.json(LOG_FORMAT) {
        true => fill(&mut b, b"{\"level\":\"error\",\"msg\":\x00,\"time\":\"\x11\"}\n", &[&line.bytes()[7..], rfc3339(sys::realtime_secs(), &mut date)]),
        false => fill(&mut b, b"\x10\n", &[line.bytes()]),
    };
    if let Ok(fd) = sys::openat(AT_FDCWD, path, O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NOFOLLOW, 0o644) {
        let _ = sys::write_all(fd, b.bytes());
        let _ = sys::close(fd);
    }
}

#[cfg(test)]
mod tests;
