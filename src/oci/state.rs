//! The OCI runtime's commands (runc's): a container's state, kept in ROOT/ID, and what each
//! command does with it.
//!
//! ROOT/ID/state.json is written whole or not at all (a temporary file renamed over it): the
//! state document `runix state` prints, less its status, plus the init's start time (field 22
//! of /proc/PID/stat: a pid used again by another process is not the container's) and the
//! cgroups `delete` removes. ROOT/ID/exec.fifo is there while the init waits for `start`.
//! `create`, `start` and `delete` of one ID take turns: flock(2) on ROOT/ID. A `create` that
//! fails leaves no ROOT/ID (and the sequence, run.rs, no process and no cgroup).

use crate::buf::CBuf;
use crate::cgroup::{self, Cgroups};
use crate::cli::oci::{ALL, BUNDLE, CONSOLE_SOCKET, Cmd, FORCE, FORMAT, LOG, LOG_FORMAT, NO_PIVOT, Oci, PID_FILE};
use crate::error::Error;
use crate::oci::json::{Value, Writer};
use crate::spec::{RootMode, Spec};
use crate::sys::{self, AT_FDCWD, Fd};
use crate::text::{itoa, number, word};
use core::ffi::CStr;
use libc::{EEXIST, ENOENT, O_DIRECTORY, O_RDONLY, O_WRONLY};

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
    match o.cmd {
        Cmd::Create | Cmd::Run => return create(o),
        Cmd::Features => return features(),
        Cmd::List => return list(o),
        _ => {}
    }
    let dir = Path::from(&[o.root().to_bytes(), b"/", o.id.to_bytes()])?;
    let buf = READ.take();
    let s = match open(dir.as_cstr(), buf, matches!(o.cmd, Cmd::Start | Cmd::Delete)) {
        Err(e) if e.errno() == ENOENT => return if o.has(FORCE) { Ok(0) } else { Err(Error::msg("container does not exist", o.id.to_bytes())) },
        s => s?,
    };
    match o.cmd {
        Cmd::State => print_state(&s, b"\n"),
        Cmd::Start => start(&s),
        Cmd::Kill => {
            if s.status == STOPPED {
                return Err(Error::msg("container not running", o.id.to_bytes()));
            }
            let mut r = sys::kill(s.pid, o.signal);
            if o.has(ALL) {
                r = each_pid(&s, &mut |pid| sys::kill(pid, o.signal));
            }
            r.map(|_| 0)
        }
        Cmd::Ps => ps(&s),
        _ => delete(o, &s, &dir),
    }
}

/// A container, as its state says.
struct State<'a> {
    /// ROOT/ID, open (and locked, for `start` and `delete`).
    dir: Fd,
    text: &'a [u8],
    doc: Value<'a>,
    pid: i32,
    status: &'static str,
}

/// Open ROOT/ID (`dir`), lock it if asked, read its state.json into `buf`; ENOENT when there
/// is none (not made, gone, or not written yet).
fn open<'a>(dir: &CStr, buf: &'a mut [u8], lock: bool) -> Result<State<'a>, Error> {
    let d = sys::openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0)?;
    if lock {
        sys::flock(d, libc::LOCK_EX)?;
    }
    let fd = sys::openat(d, STATE, O_RDONLY, 0)?;
    let n = sys::read_plain(fd, buf);
    sys::close(fd)?;
    let text = &buf[..n?];
    let doc = Value::parse(text, "malformed state.json at byte")?;
    let get = |k: &[u8]| doc.get(k).and_then(Value::as_u64).unwrap_or(0);
    let pid = get(b"pid") as i32;
    // The init, unless it is gone (a zombie is: it runs nothing), or its pid is another's now.
    let status = match proc_start(pid) {
        Some(t) if t == get(b"start") => match sys::openat(d, FIFO, libc::O_PATH, 0) {
            Ok(f) => sys::close(f).map(|_| CREATED)?,
            Err(_) => RUNNING,
        },
        _ => STOPPED,
    };
    Ok(State { dir: d, text, doc, pid, status })
}

/// When process `pid` started (field 22 of /proc/PID/stat, in clock ticks since boot), unless
/// it has exited (a zombie) or there is none.
fn proc_start(pid: i32) -> Option<u64> {
    let p = CBuf::<32>::from(&[b"/proc/", itoa(pid as u64, &mut [0; 20]), b"/stat"]).ok()?;
    let mut buf = [0u8; 1024];
    let s = crate::file::read_file(p.as_cstr(), &mut buf).ok()?;
    // After the command's name, which may hold spaces and parentheses: field 3 on.
    let mut f = s.get(s.iter().rposition(|&c| c == b')')? + 2..)?.split(|&c| c == b' ');
    f.next().filter(|&st| st != b"Z" && st != b"X")?;
    number(f.nth(18)?)
}

/// runc's state document: the stored one, with the status first.
fn print_state(s: &State, end: &[u8]) -> Result<i32, Error> {
    for part in [&b"{\"status\":\""[..], s.status.as_bytes(), b"\",", &s.text[1..], end] {
        sys::write_all(1, part)?;
    }
    Ok(0)
}

/// `runix start`: open exec.fifo for reading, which lets the init's open for writing return; it
/// writes a byte, and execs the command. Its exit meanwhile (pidfd) is an error, not a hang.
#[inline(never)]
fn start(s: &State) -> Result<i32, Error> {
    if s.status != CREATED {
        return Err(Error::msg("container not in created state", s.status.as_bytes()));
    }
    let fifo = sys::openat(s.dir, FIFO, O_RDONLY | libc::O_NONBLOCK, 0)?;
    let pidfd = sys::pidfd_open(s.pid)?;
    let ev = libc::POLLIN;
    let mut fds = [libc::pollfd { fd: fifo, events: ev, revents: 0 }, libc::pollfd { fd: pidfd, events: ev, revents: 0 }];
    sys::poll(&mut fds, None)?;
    let r = sys::read(fifo, &mut [0]);
    sys::close(fifo)?;
    sys::close(pidfd)?;
    if !matches!(r, Ok(1)) {
        return Err(Error::msg("container exited before start", b""));
    }
    sys::unlinkat(s.dir, FIFO, 0).map(|_| 0)
}

/// `f` for each process of the container: those in its first cgroup's cgroup.procs (all of
/// them, on v1 too), or without cgroups its init, while it runs.
fn each_pid(s: &State, f: &mut dyn FnMut(i32) -> Result<(), Error>) -> Result<(), Error> {
    let mut space = [0u8; 4096];
    let first = s.doc.get(b"cgroups").and_then(|c| c.elements()?.next()).and_then(|d| d.as_str(&mut space));
    match first {
        Some(d) => crate::file::for_each_line(Path::from(&[d, b"/cgroup.procs"])?.as_cstr(), &mut |l| {
            number(l).map_or(Ok(()), |p| f(p as i32)).map(|_| true)
        }),
        None if s.status != STOPPED => f(s.pid),
        None => Ok(()),
    }
}

/// `runix ps --format json`: the host pids of the container's processes, as a JSON array.
#[inline(never)]
fn ps(s: &State) -> Result<i32, Error> {
    let t = TEXT.take();
    let mut w = Writer::new(t);
    w.arr();
    each_pid(s, &mut |pid| {
        w.num(pid as u64);
        Ok(())
    })?;
    w.end();
    sys::write_all(1, w.done()?).map(|_| 0)
}

/// `runix delete`: a running container only with --force, which kills it and waits until it
/// is gone; then its cgroups (what is left in them is killed) and ROOT/ID.
#[inline(never)]
fn delete(o: &Oci, s: &State, dir: &Path) -> Result<i32, Error> {
    if s.status == RUNNING && !o.has(FORCE) {
        return Err(Error::msg("cannot delete a running container (use --force)", o.id.to_bytes()));
    }
    if s.status != STOPPED {
        sys::kill(s.pid, libc::SIGKILL)?;
        // Its parent (conmon, a shim) reaps it; gone is when it has exited.
        if let Ok(pidfd) = sys::pidfd_open(s.pid) {
            let mut fds = [libc::pollfd { fd: pidfd, events: libc::POLLIN, revents: 0 }];
            let n = sys::poll(&mut fds, Some(10_000))?;
            sys::close(pidfd)?;
            if n == 0 {
                return Err(Error::msg("container did not exit after SIGKILL", o.id.to_bytes()));
            }
        }
    }
    let mut space = [0u8; 4096];
    for d in s.doc.get(b"cgroups").and_then(Value::elements).into_iter().flatten() {
        cgroup::remove_dir(d.as_str(&mut space).unwrap_or(b""))?;
    }
    remove(s.dir, dir.as_cstr()).map(|_| 0)
}

/// Remove ROOT/ID (open as `d`) and what is in it.
#[inline(never)]
fn remove(d: Fd, dir: &CStr) -> Result<(), Error> {
    for f in [STATE, FIFO] {
        match sys::unlinkat(d, f, 0) {
            Err(e) if e.errno() != ENOENT => return Err(e),
            _ => {}
        }
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
    let mut spec = load(o.values[BUNDLE].unwrap_or(c"."))?;
    if o.has(NO_PIVOT) {
        spec.root_mode = RootMode::Chroot;
    }
    if creating && spec.tty && o.values[CONSOLE_SOCKET].is_none() {
        return Err(Error::msg("process.terminal needs --console-socket", b""));
    }
    let root = o.root().to_bytes();
    for end in (1..=root.len()).filter(|&i| i == root.len() || root[i] == b'/') {
        mkdir(&root[..end], true)?;
    }
    let dir = Path::from(&[root, b"/", o.id.to_bytes()])?;
    mkdir(dir.bytes(), false).map_err(|e| if e.errno() == EEXIST { Error::msg("container already exists", o.id.to_bytes()) } else { e })?;
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
        let ready = |pid, cg: &Cgroups| write_state(o, d, &spec, pid, cg);
        crate::run::run_oci(&spec, Some(&crate::run::Oci { fifo, console: o.values[CONSOLE_SOCKET], ready: &ready }))
    });
    if r.is_err() || !creating {
        // (The lock goes with the last fd of the directory.)
        let gone = d.and_then(|d| remove(d, dir.as_cstr()));
        if r.is_ok() {
            gone?;
        }
    }
    r
}

/// mkdir(2), mode 0700; `exists_ok`: one there already is fine.
#[inline(never)]
fn mkdir(p: &[u8], exists_ok: bool) -> Result<(), Error> {
    match sys::mkdir(Path::from(&[p])?.as_cstr(), 0o700) {
        Err(e) if exists_ok && e.errno() == EEXIST => Ok(()),
        r => r,
    }
}

/// The state of the container `pid`, into ROOT/ID/state.json, and its pid into --pid-file
/// (each written whole, then renamed into place, as runc does).
#[inline(never)]
fn write_state(o: &Oci, dir: Fd, spec: &Spec, pid: i32, cg: &Cgroups) -> Result<(), Error> {
    let t = TEXT.take();
    let mut w = Writer::new(t);
    let mut date = [0; 20];
    w.obj().key(b"ociVersion").str(b"1.2.0").key(b"id").str(o.id.to_bytes()).key(b"pid").num(pid as u64);
    w.key(b"bundle").str(absolute(o.values[BUNDLE].map_or(b"", |b| b.to_bytes()))?.bytes());
    w.key(b"rootfs").str(absolute(spec.rootfs.to_bytes())?.bytes());
    w.key(b"created").str(crate::text::rfc3339(sys::realtime_secs(), &mut date)).key(b"owner").str(b"");
    if !spec.annotations.is_empty() {
        w.key(b"annotations").raw(spec.annotations);
    }
    w.key(b"start").num(proc_start(pid).unwrap_or(0)).key(b"cgroups").arr();
    for d in cg.dirs() {
        w.str(d.to_bytes());
    }
    w.end().end();
    write_file(dir, STATE, w.done()?)?;
    if let Some(f) = o.values[PID_FILE] {
        write_file(AT_FDCWD, f, itoa(pid as u64, &mut [0; 20]))?;
    }
    // `run --bundle` keeps the container while it runs: `delete --force` may stop it meanwhile.
    if o.cmd == Cmd::Run {
        sys::flock(dir, libc::LOCK_UN)?;
    }
    Ok(())
}

/// `data` into `path` (relative to `dir`): written into PATH.tmp, renamed over PATH.
#[inline(never)]
fn write_file(dir: Fd, path: &CStr, data: &[u8]) -> Result<(), Error> {
    let tmp = Path::from(&[path.to_bytes(), b".tmp"])?;
    let fd = sys::openat(dir, tmp.as_cstr(), O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o644)?;
    let r = sys::write_all(fd, data);
    sys::close(fd)?;
    r?;
    sys::rename(dir, tmp.as_cstr(), path)
}

/// `p` from `/`: as it is, or after the working directory.
#[inline(never)]
fn absolute(p: &[u8]) -> Result<Path, Error> {
    let mut a = Path::new();
    if !p.starts_with(b"/") {
        let mut cwd = [0u8; 4096];
        let n = sys::getcwd(&mut cwd)?;
        a.push(&cwd[..n.saturating_sub(1)])?;
        if !p.is_empty() {
            a.push(b"/")?;
        }
    }
    a.push(p)?;
    Ok(a)
}

/// `runix list`: runc's table (`--format json`: an array of the states).
#[inline(never)]
fn list(o: &Oci) -> Result<i32, Error> {
    let buf = READ.take();
    let mut first = true;
    sys::write_all(1, if o.json(FORMAT) { b"[" } else { b"ID          PID         STATUS      BUNDLE      CREATED     OWNER\n" })?;
    let r = cgroup::for_each_entry(o.root(), &mut |name, kind| {
        let dir = Path::from(&[o.root().to_bytes(), b"/", name])?;
        let Some(s) = (kind == libc::DT_DIR && name[0] != b'.').then(|| open(dir.as_cstr(), buf, false).ok()).flatten() else { return Ok(()) };
        let r = if o.json(FORMAT) {
            sys::write_all(1, if first { b"" } else { b"," })?;
            print_state(&s, b"").map(drop)
        } else {
            let (mut bundle, mut created, mut owner, mut digits) = ([0u8; 4096], [0u8; 64], [0u8; 64], [0u8; 20]);
            let get = |k: &[u8], space| s.doc.get(k).and_then(|v| v.as_str(space)).unwrap_or(b"");
            let pid = if s.status == STOPPED { 0 } else { s.pid as u64 };
            let cells = [name, itoa(pid, &mut digits), s.status.as_bytes(), get(b"bundle", &mut bundle), get(b"created", &mut created), get(b"owner", &mut owner)];
            // Columns of at least 12, 3 spaces apart, as runc's tabwriter makes them for short cells.
            let mut line = Path::new();
            for (i, c) in cells.iter().enumerate() {
                line.push(c)?;
                for _ in 0..if i == 5 { 0 } else { 12usize.saturating_sub(c.len()).max(3) } {
                    line.push(b" ")?;
                }
            }
            line.push(b"\n")?;
            sys::write_all(1, line.bytes())
        };
        first = false;
        sys::close(s.dir)?;
        r
    });
    match r {
        Err(e) if e.errno() != ENOENT => return Err(e),
        _ => {}
    }
    sys::write_all(1, if o.json(FORMAT) { b"]\n" } else { b"" }).map(|_| 0)
}

/// `runix features`: the runtime-spec's features document, of what runix honours.
#[inline(never)]
fn features() -> Result<i32, Error> {
    let t = TEXT.take();
    let mut w = Writer::new(t);
    w.obj().key(b"ociVersionMin").str(b"1.0.0").key(b"ociVersionMax").str(b"1.2.0");
    w.key(b"hooks").arr().end();
    w.key(b"mountOptions");
    words(&mut w, b"", "ro rw nosuid suid nodev dev noexec exec bind rbind private rprivate");
    w.key(b"linux").obj().key(b"namespaces");
    words(&mut w, b"", "pid network ipc uts mount cgroup");
    w.key(b"capabilities");
    words(&mut w, b"CAP_", sys::CAP_NAMES);
    w.key(b"cgroup").obj().key(b"v1").bool(true).key(b"v2").bool(true).key(b"systemd").bool(false).key(b"systemdUser").bool(false).end();
    w.key(b"seccomp").obj().key(b"enabled").bool(true).key(b"actions");
    words(&mut w, b"SCMP_ACT_", crate::oci::seccomp::ACTIONS);
    w.key(b"operators");
    words(&mut w, b"SCMP_CMP_", crate::oci::seccomp::OPS);
    w.key(b"archs");
    words(&mut w, b"SCMP_ARCH_", sys::arch::SCMP_ARCH);
    w.end().end().end();
    sys::write_all(1, w.done()?)?;
    sys::write_all(1, b"\n").map(|_| 0)
}

/// The words of `list` as a JSON array of strings, each after `prefix`.
#[inline(never)]
fn words(w: &mut Writer, prefix: &[u8], list: &str) {
    w.arr();
    let mut i = 0;
    while let Some(x) = word(list, i) {
        let _ = CBuf::<64>::from(&[prefix, x.as_bytes()]).map(|b| w.str(b.bytes()).done().map(drop));
        i += 1;
    }
    w.end();
}

/// With --log: the error in that file too, as a line or (--log-format json) as
/// `{"level":"error","msg":"...","time":"RFC 3339"}` (what podman and containerd read).
#[inline(never)]
pub fn log_error(o: &Oci, e: &Error) {
    let Some(path) = o.values[LOG] else { return };
    let mut msg = sys::Line::new();
    let _ = ufmt::uwrite!(msg, "{}", e);
    let mut b = CBuf::<1024>::new();
    let mut date = [0; 20];
    if o.json(LOG_FORMAT) {
        let mut w = Writer::new(&mut b);
        w.obj().key(b"level").str(b"error").key(b"msg").str(msg.bytes()).key(b"time").str(crate::text::rfc3339(sys::realtime_secs(), &mut date)).end();
    } else {
        let _ = b.push(b"runix: ").and_then(|b| b.push(msg.bytes()));
    }
    let _ = b.push(b"\n");
    if let Ok(fd) = sys::openat(AT_FDCWD, path, O_WRONLY | libc::O_APPEND | libc::O_CREAT, 0o644) {
        let _ = sys::write_all(fd, b.bytes());
        let _ = sys::close(fd);
    }
}

/// Until oci/config.rs is merged: no config.json is read.
fn load(_bundle: &'static CStr) -> Result<Spec, Error> {
    Err(Error::msg("config.json not read yet", b""))
}

#[cfg(test)]
mod tests;
