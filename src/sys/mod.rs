//! The system-call layer: the only module with `unsafe` and raw syscalls.
//!
//! Each wrapper is named after its syscall, documents the C prototype and man page, and returns
//! `Result<_, Error>` carrying the syscall name, errno and the path it was about. Every call
//! passes through [`call`], which is where `--trace` and `--dry-run` hook in, so nothing can
//! bypass them.

pub mod arch;
#[cfg(not(test))]
mod mem;
#[cfg(not(test))]
mod start;
pub mod trace;

use crate::error::Error;
use core::ffi::{CStr, c_char};
use syscalls::{Errno, Sysno};

pub type Fd = i32;
pub const AT_FDCWD: Fd = libc::AT_FDCWD;

/// One syscall argument, typed so `--trace` can print it the way strace does.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    Int(isize),
    /// A file descriptor, or AT_FDCWD.
    Fd(i32),
    /// A file mode, printed in octal.
    Oct(u32),
    Str(&'a CStr),
    /// A pointer argument that may be NULL; printed as a string when set.
    OptStr(Option<&'a CStr>),
    /// Bytes passed to the kernel (write); printed as a quoted string.
    Data(&'a [u8]),
    /// A buffer the kernel fills (read); printed as its address.
    Buf(*const u8, usize),
    /// An argv array; printed as a list of strings.
    Argv(Args),
    /// An envp array: the number of entries and the pointer.
    Env(usize, usize),
    /// Bit flags, decoded with the table of names.
    Flags(&'static [(u64, &'static str)], u64),
    /// One value out of a table of names (a signal, an address family).
    Named(&'static [(u64, &'static str)], u64),
    Ptr(usize),
}

impl Arg<'_> {
    fn raw(&self) -> usize {
        match *self {
            Arg::Int(v) => v as usize,
            Arg::Fd(fd) => fd as isize as usize,
            Arg::Oct(m) => m as usize,
            Arg::Str(s) => s.as_ptr() as usize,
            Arg::OptStr(s) => s.map_or(0, |s| s.as_ptr() as usize),
            Arg::Data(d) => d.as_ptr() as usize,
            Arg::Buf(p, _) => p as usize,
            Arg::Argv(a) => a.ptrs.as_ptr() as usize,
            Arg::Env(_, p) => p,
            Arg::Flags(_, v) | Arg::Named(_, v) => v as usize,
            Arg::Ptr(p) => p,
        }
    }
}

/// Issue one syscall. The single door to the kernel, and where --trace and --dry-run hook in.
#[inline(never)]
pub fn call(nr: Sysno, args: &[Arg]) -> Result<usize, Errno> {
    let mut a = [0usize; 6];
    for (slot, arg) in a.iter_mut().zip(args) {
        *slot = arg.raw();
    }
    // SAFETY: every Arg carries either a plain integer or a pointer derived from a live
    // reference (CStr, slice, struct) that outlives this call; the wrappers below pick the
    // argument kinds that match each syscall's prototype.
    let issue = || unsafe { syscalls::syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if trace::mode() == trace::OFF {
        return issue();
    }
    trace::call(nr, args, &a, issue)
}

fn sys<T>(r: Result<T, Errno>, name: &'static str, path: &[u8]) -> Result<T, Error> {
    r.map_err(|e| Error::sys(name, e.into_raw(), path))
}

fn unit(r: Result<usize, Errno>, name: &'static str, path: &[u8]) -> Result<(), Error> {
    sys(r, name, path).map(drop)
}

/// A NULL-terminated list of `'static` C strings: the process's argv or envp.
#[derive(Clone, Copy)]
pub struct Args {
    ptrs: &'static [*const c_char], // the last element is NULL
}

impl Args {
    /// SAFETY: `ptrs` ends with NULL and every other element points to a NUL-terminated
    /// string that lives, unchanged, for the rest of the process.
    unsafe fn from_raw(ptrs: &'static [*const c_char]) -> Args {
        Args { ptrs }
    }

    pub fn len(&self) -> usize {
        self.ptrs.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        // SAFETY: the invariant of `from_raw`; the NULL at the end is never returned.
        (i < self.len()).then(|| unsafe { CStr::from_ptr(self.ptrs[i]) })
    }

    /// The list without its first `n` entries (still NULL-terminated).
    pub fn skip(&self, n: usize) -> Args {
        Args { ptrs: &self.ptrs[n.min(self.len())..] }
    }

    /// The environment entry `KEY=VALUE` for `key`, whole.
    pub fn find_env(&self, key: &[u8]) -> Option<&'static CStr> {
        (0..self.len()).filter_map(|i| self.get(i)).find(|e| {
            let b = e.to_bytes();
            b.len() > key.len() && b.starts_with(key) && b[key.len()] == b'='
        })
    }

    /// For tests: a list made of Rust strings, leaked so it lives as long as the real argv.
    #[cfg(test)]
    pub fn from_strs(v: &[&str]) -> Args {
        let mut ptrs: std::vec::Vec<*const c_char> = v
            .iter()
            .map(|s| std::ffi::CString::new(*s).unwrap().into_raw() as *const c_char)
            .collect();
        ptrs.push(core::ptr::null());
        // SAFETY: leaked CStrings live forever, and the list ends with NULL.
        unsafe { Args::from_raw(std::boxed::Box::leak(ptrs.into_boxed_slice())) }
    }
}

/// A fixed-capacity, NULL-terminated list of `'static` C strings: an envp for execve.
pub struct CList<const N: usize> {
    ptrs: [*const c_char; N],
    len: usize,
}

impl<const N: usize> CList<N> {
    pub const fn new() -> Self {
        CList { ptrs: [core::ptr::null(); N], len: 0 }
    }
    /// Appends `s`; false when full (one slot stays for the terminating NULL).
    pub fn push(&mut self, s: &'static CStr) -> bool {
        if self.len + 1 >= N {
            return false;
        }
        self.ptrs[self.len] = s.as_ptr();
        self.len += 1;
        true
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        // SAFETY: only 'static CStrs are pushed.
        (i < self.len).then(|| unsafe { CStr::from_ptr(self.ptrs[i]) })
    }
}

impl<const N: usize> Default for CList<N> {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Files: read(2), write(2), openat(2), close(2), mkdirat(2), unlinkat(2)

/// ssize_t write(int fd, const void *buf, size_t count);
pub fn write(fd: Fd, buf: &[u8]) -> Result<usize, Error> {
    sys(call(Sysno::write, &[Arg::Fd(fd), Arg::Data(buf), Arg::Int(buf.len() as isize)]), "write", b"")
}

/// write(2) until the whole buffer is written.
pub fn write_all(fd: Fd, mut buf: &[u8]) -> Result<(), Error> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.errno() == libc::EINTR => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// write(2) of runix's own messages (logs, trace lines, errors) to stderr: not traced, so
/// printing a trace line does not trace itself.
pub fn write_diag(mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: buf is a live slice for the duration of the call.
        match unsafe { syscalls::syscall3(Sysno::write, 2, buf.as_ptr() as usize, buf.len()) } {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.into_raw() == libc::EINTR => {}
            Err(_) => return,
        }
    }
}

/// ssize_t read(int fd, void *buf, size_t count);
pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize, Error> {
    sys(call(Sysno::read, &[Arg::Fd(fd), Arg::Buf(buf.as_mut_ptr(), buf.len()), Arg::Int(buf.len() as isize)]), "read", b"")
}

pub const O_FLAGS: &[(u64, &str)] = &[
    (0, "O_RDONLY"),
    (libc::O_WRONLY as u64, "O_WRONLY"),
    (libc::O_RDWR as u64, "O_RDWR"),
    (libc::O_CREAT as u64, "O_CREAT"),
    (libc::O_EXCL as u64, "O_EXCL"),
    (libc::O_TRUNC as u64, "O_TRUNC"),
    (libc::O_APPEND as u64, "O_APPEND"),
    (libc::O_DIRECTORY as u64, "O_DIRECTORY"),
    (libc::O_NOFOLLOW as u64, "O_NOFOLLOW"),
    (libc::O_CLOEXEC as u64, "O_CLOEXEC"),
    (libc::O_PATH as u64, "O_PATH"),
];

/// int openat(int dirfd, const char *pathname, int flags, mode_t mode);
/// Every fd runix opens is O_CLOEXEC, so none leaks into the container's command.
pub fn openat(dirfd: Fd, path: &CStr, flags: i32, mode: u32) -> Result<Fd, Error> {
    let flags = (flags | libc::O_CLOEXEC) as u64;
    sys(
        call(Sysno::openat, &[Arg::Fd(dirfd), Arg::Str(path), Arg::Flags(O_FLAGS, flags), Arg::Oct(mode)]),
        "open",
        path.to_bytes(),
    )
    .map(|fd| fd as Fd)
}

/// int close(int fd);
pub fn close(fd: Fd) -> Result<(), Error> {
    unit(call(Sysno::close, &[Arg::Fd(fd)]), "close", b"")
}

/// int mkdirat(int dirfd, const char *pathname, mode_t mode);
pub fn mkdir(path: &CStr, mode: u32) -> Result<(), Error> {
    unit(call(Sysno::mkdirat, &[Arg::Fd(AT_FDCWD), Arg::Str(path), Arg::Oct(mode)]), "mkdir", path.to_bytes())
}

/// int unlinkat(int dirfd, const char *pathname, AT_REMOVEDIR);
pub fn rmdir(path: &CStr) -> Result<(), Error> {
    const F: &[(u64, &str)] = &[(libc::AT_REMOVEDIR as u64, "AT_REMOVEDIR")];
    unit(
        call(Sysno::unlinkat, &[Arg::Fd(AT_FDCWD), Arg::Str(path), Arg::Flags(F, libc::AT_REMOVEDIR as u64)]),
        "rmdir",
        path.to_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// Processes: clone(2), wait4(2), kill(2), execve(2), exit_group(2), getpid(2)

pub const CLONE_FLAGS: &[(u64, &str)] = &[
    (libc::CLONE_NEWNS as u64, "CLONE_NEWNS"),
    (libc::CLONE_NEWCGROUP as u64, "CLONE_NEWCGROUP"),
    (libc::CLONE_NEWUTS as u64, "CLONE_NEWUTS"),
    (libc::CLONE_NEWIPC as u64, "CLONE_NEWIPC"),
    (libc::CLONE_NEWUSER as u64, "CLONE_NEWUSER"),
    (libc::CLONE_NEWPID as u64, "CLONE_NEWPID"),
    (libc::CLONE_NEWNET as u64, "CLONE_NEWNET"),
    (libc::SIGCHLD as u64, "SIGCHLD"),
];

/// The child's stack: an anonymous mapping with a PROT_NONE guard page below it, so an
/// overflow faults instead of silently writing over other memory.
pub struct Stack {
    top: usize,
}

/// void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
pub fn mmap_stack(size: usize) -> Result<Stack, Error> {
    const PAGE: usize = 4096;
    const PROT: &[(u64, &str)] = &[(libc::PROT_READ as u64, "PROT_READ"), (libc::PROT_WRITE as u64, "PROT_WRITE")];
    const MAP: &[(u64, &str)] = &[
        (libc::MAP_PRIVATE as u64, "MAP_PRIVATE"),
        (libc::MAP_ANONYMOUS as u64, "MAP_ANONYMOUS"),
        (libc::MAP_STACK as u64, "MAP_STACK"),
    ];
    let base = sys(
        call(
            Sysno::mmap,
            &[
                Arg::Ptr(0),
                Arg::Int((size + PAGE) as isize),
                Arg::Flags(PROT, (libc::PROT_READ | libc::PROT_WRITE) as u64),
                Arg::Flags(MAP, (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK) as u64),
                Arg::Int(-1),
                Arg::Int(0),
            ],
        ),
        "mmap",
        b"",
    )?;
    // int mprotect(void *addr, size_t len, int prot): the lowest page becomes the guard.
    unit(call(Sysno::mprotect, &[Arg::Ptr(base), Arg::Int(PAGE as isize), Arg::Flags(PROT, 0)]), "mprotect", b"")?;
    Ok(Stack { top: base + PAGE + size })
}

/// long clone(unsigned long flags, void *stack, ...): the child runs `child(arg)` on `stack`
/// and never returns into the caller's frames (see arch::runix_clone).
pub fn clone<T>(flags: u64, stack: &Stack, child: fn(&T) -> !, arg: &T) -> Result<i32, Error> {
    struct Start<'a, T> {
        child: fn(&T) -> !,
        arg: &'a T,
    }
    extern "C" fn trampoline<T>(start: usize) -> ! {
        // SAFETY: `start` is the address of the Start below, in the parent's stack frame as it
        // was at clone time. Without CLONE_VM the child owns a copy of that memory, which
        // nobody else changes, so the reference and what it points to stay valid.
        let s: &Start<'_, T> = unsafe { &*(start as *const Start<'_, T>) };
        (s.child)(s.arg)
    }
    let start = Start { child, arg };
    debug_assert!(flags & libc::CLONE_VM as u64 == 0);
    let args = [Arg::Flags(CLONE_FLAGS, flags), Arg::Ptr(stack.top)];
    if trace::dry_run() {
        trace::show(Sysno::clone, &args, trace::Outcome::NotIssued);
        return Ok(trace::FAKE_FD);
    }
    // SAFETY: the stack mapping is live and unused; see the trampoline for `start`.
    let r = Errno::from_ret(unsafe { arch::runix_clone(flags as usize, stack.top, trampoline::<T>, &start as *const _ as usize) } as usize);
    if trace::mode() != trace::OFF && r != Ok(0) {
        trace::show(Sysno::clone, &args, trace::Outcome::Done(r));
    }
    sys(r, "clone", b"").map(|pid| pid as i32)
}

/// pid_t wait4(pid_t pid, int *wstatus, int options, struct rusage *rusage);
/// Retries on EINTR; returns the raw wait status.
pub fn wait4(pid: i32) -> Result<i32, Error> {
    let mut status: i32 = 0;
    loop {
        let r = call(Sysno::wait4, &[Arg::Int(pid as isize), Arg::Ptr(&mut status as *mut i32 as usize), Arg::Int(0), Arg::Ptr(0)]);
        match r {
            Err(e) if e.into_raw() == libc::EINTR => continue,
            r => return sys(r, "wait4", b"").map(|_| status),
        }
    }
}

/// Signal names for the trace.
pub const SIGNALS: &[(u64, &str)] = &[
    (libc::SIGHUP as u64, "SIGHUP"),
    (libc::SIGINT as u64, "SIGINT"),
    (libc::SIGQUIT as u64, "SIGQUIT"),
    (libc::SIGKILL as u64, "SIGKILL"),
    (libc::SIGUSR1 as u64, "SIGUSR1"),
    (libc::SIGUSR2 as u64, "SIGUSR2"),
    (libc::SIGPIPE as u64, "SIGPIPE"),
    (libc::SIGTERM as u64, "SIGTERM"),
    (libc::SIGCHLD as u64, "SIGCHLD"),
    (libc::SIGWINCH as u64, "SIGWINCH"),
];

/// int kill(pid_t pid, int sig);
pub fn kill(pid: i32, sig: i32) -> Result<(), Error> {
    unit(call(Sysno::kill, &[Arg::Int(pid as isize), Arg::Named(SIGNALS, sig as u64)]), "kill", b"")
}

/// int execve(const char *path, char *const argv[], char *const envp[]);
/// Returns only on failure.
pub fn execve<const N: usize>(path: &CStr, argv: Args, envp: &CList<N>) -> Error {
    let r = call(Sysno::execve, &[Arg::Str(path), Arg::Argv(argv), Arg::Env(envp.len, envp.ptrs.as_ptr() as usize)]);
    match r {
        Ok(_) => Error::sys("execve", 0, path.to_bytes()),
        Err(e) => Error::sys("execve", e.into_raw(), path.to_bytes()),
    }
}

/// void exit_group(int status);
pub fn exit_group(code: i32) -> ! {
    let _ = call(Sysno::exit_group, &[Arg::Int(code as isize)]);
    unreachable!()
}

/// pid_t getpid(void);
pub fn getpid() -> i32 {
    call(Sysno::getpid, &[]).unwrap_or(0) as i32
}

// ---------------------------------------------------------------------------------------------
// Sockets: socketpair(2) for the parent/child sync and error channel

/// int socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, int sv[2]);
/// SEQPACKET keeps message boundaries, so one error report is one read.
pub fn socketpair() -> Result<[Fd; 2], Error> {
    const T: &[(u64, &str)] = &[(libc::SOCK_SEQPACKET as u64, "SOCK_SEQPACKET"), (libc::SOCK_CLOEXEC as u64, "SOCK_CLOEXEC")];
    let mut sv = [0 as Fd; 2];
    if trace::dry_run() {
        sv = [trace::FAKE_FD, trace::FAKE_FD + 1];
    }
    let ty = (libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC) as u64;
    unit(
        call(Sysno::socketpair, &[Arg::Named(&[(libc::AF_UNIX as u64, "AF_UNIX")], libc::AF_UNIX as u64), Arg::Flags(T, ty), Arg::Int(0), Arg::Ptr(sv.as_mut_ptr() as usize)]),
        "socketpair",
        b"",
    )?;
    Ok(sv)
}

/// Sync point, child side: block until the parent says go (one byte), or fail if it died.
pub fn sync_wait(fd: Fd) -> Result<(), Error> {
    let mut go = [0u8; 1];
    match read(fd, &mut go)? {
        _ if trace::dry_run() => Ok(()),
        1 => Ok(()),
        _ => Err(Error::msg("parent exited during setup", b"")),
    }
}

/// Sync point, parent side: let the child go on.
pub fn sync_wake(fd: Fd) -> Result<(), Error> {
    write(fd, b"g").map(drop)
}

/// Send a plain-data value (an Error) to our own forked child or parent.
pub fn send<T: Copy>(fd: Fd, v: &T) -> Result<(), Error> {
    // SAFETY: T is Copy plain data; we only view its bytes.
    let bytes = unsafe { core::slice::from_raw_parts(v as *const T as *const u8, core::mem::size_of::<T>()) };
    write(fd, bytes).map(drop)
}

/// Receive a value sent by `send` from the other side of a fork of this same image.
/// Ok(None) on EOF: the other side closed the channel (for the child, by a successful execve).
pub fn recv<T: Copy>(fd: Fd, out: &mut T) -> Result<bool, Error> {
    // SAFETY: only our own forked process, running this same binary, writes to this socket,
    // and it writes whole values of exactly this type with `send` (SEQPACKET: all or nothing),
    // so the bytes form a valid T, pointers to 'static data in our image included.
    let bytes = unsafe { core::slice::from_raw_parts_mut(out as *mut T as *mut u8, core::mem::size_of::<T>()) };
    loop {
        match read(fd, bytes) {
            Ok(0) => return Ok(false),
            Ok(n) if n == bytes.len() => return Ok(true),
            Ok(_) => return Err(Error::sys("read", libc::EPROTO, b"")),
            Err(e) if e.errno() == libc::EINTR => {}
            Err(e) => return Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mounts and roots: mount(2), umount2(2), pivot_root(2), chroot(2), chdir(2), sethostname(2)

pub const MS_FLAGS: &[(u64, &str)] = &[
    (libc::MS_RDONLY, "MS_RDONLY"),
    (libc::MS_NOSUID, "MS_NOSUID"),
    (libc::MS_NODEV, "MS_NODEV"),
    (libc::MS_NOEXEC, "MS_NOEXEC"),
    (libc::MS_REMOUNT, "MS_REMOUNT"),
    (libc::MS_BIND, "MS_BIND"),
    (libc::MS_MOVE, "MS_MOVE"),
    (libc::MS_REC, "MS_REC"),
    (libc::MS_PRIVATE, "MS_PRIVATE"),
    (libc::MS_SLAVE, "MS_SLAVE"),
    (libc::MS_STRICTATIME, "MS_STRICTATIME"),
];

/// int mount(const char *source, const char *target, const char *fstype,
///           unsigned long flags, const void *data);
pub fn mount(src: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>) -> Result<(), Error> {
    unit(
        call(Sysno::mount, &[Arg::OptStr(src), Arg::Str(target), Arg::OptStr(fstype), Arg::Flags(MS_FLAGS, flags), Arg::OptStr(data)]),
        "mount",
        target.to_bytes(),
    )
}

/// int umount2(const char *target, int flags);
pub fn umount2(target: &CStr, flags: i32) -> Result<(), Error> {
    const F: &[(u64, &str)] = &[(libc::MNT_DETACH as u64, "MNT_DETACH")];
    unit(call(Sysno::umount2, &[Arg::Str(target), Arg::Flags(F, flags as u64)]), "umount2", target.to_bytes())
}

/// int pivot_root(const char *new_root, const char *put_old);
pub fn pivot_root(new_root: &CStr, put_old: &CStr) -> Result<(), Error> {
    unit(call(Sysno::pivot_root, &[Arg::Str(new_root), Arg::Str(put_old)]), "pivot_root", new_root.to_bytes())
}

/// int chroot(const char *path);
pub fn chroot(path: &CStr) -> Result<(), Error> {
    unit(call(Sysno::chroot, &[Arg::Str(path)]), "chroot", path.to_bytes())
}

/// int chdir(const char *path);
pub fn chdir(path: &CStr) -> Result<(), Error> {
    unit(call(Sysno::chdir, &[Arg::Str(path)]), "chdir", path.to_bytes())
}

/// int sethostname(const char *name, size_t len);
pub fn sethostname(name: &CStr) -> Result<(), Error> {
    let b = name.to_bytes();
    unit(call(Sysno::sethostname, &[Arg::Str(name), Arg::Int(b.len() as isize)]), "sethostname", b)
}

// ---------------------------------------------------------------------------------------------
// Signals: rt_sigaction(2)

/// The kernel's struct sigaction on x86_64 (not glibc's): handler, flags, restorer, mask.
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// rt_sigaction(sig, {SIG_IGN or SIG_DFL}, NULL, 8): ignore a signal, or restore its default.
pub fn signal(sig: i32, ignore: bool) -> Result<(), Error> {
    let act = KernelSigaction { handler: if ignore { libc::SIG_IGN } else { libc::SIG_DFL }, flags: 0, restorer: 0, mask: 0 };
    unit(
        call(Sysno::rt_sigaction, &[Arg::Named(SIGNALS, sig as u64), Arg::Ptr(&act as *const _ as usize), Arg::Ptr(0), Arg::Int(8)]),
        "rt_sigaction",
        b"",
    )
}

// ---------------------------------------------------------------------------------------------
// Time: clock_gettime(2) for log timestamps, nanosleep(2) for retries

/// int nanosleep(const struct timespec *req, struct timespec *rem);
pub fn sleep_ms(ms: u64) {
    let ts = libc::timespec { tv_sec: (ms / 1000) as i64, tv_nsec: ((ms % 1000) * 1_000_000) as i64 };
    let _ = call(Sysno::nanosleep, &[Arg::Ptr(&ts as *const _ as usize), Arg::Ptr(0)]);
}

/// int clock_gettime(CLOCK_REALTIME, struct timespec *tp); seconds since the epoch.
/// Only for log lines, so not traced either.
pub fn realtime_secs() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a live timespec the kernel fills.
    let _ = unsafe { syscalls::syscall2(Sysno::clock_gettime, libc::CLOCK_REALTIME as usize, &mut ts as *mut _ as usize) };
    ts.tv_sec as u64
}

// ---------------------------------------------------------------------------------------------
// Directories: getdents64(2), to find runix-<pid> cgroups left behind.

/// ssize_t getdents64(int fd, void *dirp, size_t count);
pub fn getdents64(fd: Fd, buf: &mut [u8]) -> Result<usize, Error> {
    sys(call(Sysno::getdents64, &[Arg::Fd(fd), Arg::Buf(buf.as_mut_ptr(), buf.len()), Arg::Int(buf.len() as isize)]), "getdents64", b"")
}
