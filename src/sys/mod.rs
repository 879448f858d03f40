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
pub mod slots;
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
    /// openat2's struct open_how, printed by its fields.
    How(&'a OpenHow),
    /// Bit flags, decoded with names: `names` has one space-separated word per bit, from
    /// bit 0 up, "-" for a bit without a name (a packed table costs a few bytes per flag).
    Flags(&'static str, u64),
    /// One value out of a list of names, one word per value from 0 up (a signal, a family).
    Named(&'static str, u64),
    /// clone(2)/unshare(2) flags: CLONE_* bits and, in the low byte, the exit signal.
    Clone(u64),
    /// A socket type: SOCK_* value in the low bits, flags above.
    Sock(u64),
    /// An ioctl request number.
    Ioctl(u64),
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
            Arg::How(h) => h as *const OpenHow as usize,
            Arg::Flags(_, v) | Arg::Named(_, v) | Arg::Clone(v) | Arg::Sock(v) | Arg::Ioctl(v) => v as usize,
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

/// A `&'static str` in 12 bytes: a thin pointer and a 32-bit length. It keeps Error at 16 bytes, so
/// every `Result<_, Error>` comes back in registers instead of through memory.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
#[repr(C, packed(4))]
pub struct Name {
    ptr: core::ptr::NonNull<u8>,
    len: u32,
}

impl Name {
    pub fn new(s: &'static str) -> Name {
        Name { ptr: core::ptr::NonNull::from(s).cast(), len: s.len() as u32 }
    }

    pub fn get(self) -> &'static str {
        // SAFETY: ptr and len come from a &'static str in `new` (runix's texts are far shorter
        // than 4 GiB), so they describe live, valid UTF-8.
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize)) }
    }
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
    /// Sets `KEY=VALUE`: replaces the entry with the same KEY, or appends. False when full.
    pub fn set(&mut self, s: &'static CStr) -> bool {
        let b = s.to_bytes();
        let key = &b[..b.iter().position(|&c| c == b'=').map_or(b.len(), |p| p + 1)];
        match (0..self.len).find(|&i| self.get(i).is_some_and(|e| e.to_bytes().starts_with(key))) {
            Some(i) => {
                self.ptrs[i] = s.as_ptr();
                true
            }
            None => self.push(s),
        }
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

/// O_* bits 0 to 21 (O_RDONLY is "none of the access-mode bits").
pub const O_FLAGS: &str = "O_WRONLY O_RDWR - - - - O_CREAT O_EXCL O_NOCTTY O_TRUNC O_APPEND O_NONBLOCK - - - - O_DIRECTORY O_NOFOLLOW - O_CLOEXEC - O_PATH";
/// AT_* bits 0 to 12.
const AT_FLAGS: &str = "- - - - - - - - AT_SYMLINK_NOFOLLOW AT_REMOVEDIR - - AT_EMPTY_PATH";

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
    unit(
        call(Sysno::unlinkat, &[Arg::Fd(AT_FDCWD), Arg::Str(path), Arg::Flags(AT_FLAGS, libc::AT_REMOVEDIR as u64)]),
        "rmdir",
        path.to_bytes(),
    )
}

pub const RESOLVE_FLAGS: &str = "RESOLVE_NO_XDEV RESOLVE_NO_MAGICLINKS RESOLVE_NO_SYMLINKS RESOLVE_BENEATH RESOLVE_IN_ROOT";

/// struct open_how of <linux/openat2.h> (libc's is non-exhaustive, so it cannot be built here).
#[repr(C)]
pub struct OpenHow {
    pub flags: u64,
    pub mode: u64,
    pub resolve: u64,
}

/// int openat2(int dirfd, const char *path, struct open_how *how, size_t size);
/// Used with RESOLVE_IN_ROOT: `path` is looked up as if `dirfd` were `/`, so neither `..` nor
/// a symlink in a hostile root filesystem can lead outside it (openat2(2), Linux 5.6).
pub fn openat2(dirfd: Fd, path: &CStr, flags: i32, resolve: u64) -> Result<Fd, Error> {
    let how = OpenHow { flags: (flags | libc::O_CLOEXEC) as u64, mode: 0, resolve };
    let size = core::mem::size_of::<OpenHow>() as isize;
    sys(call(Sysno::openat2, &[Arg::Fd(dirfd), Arg::Str(path), Arg::How(&how), Arg::Int(size)]), "openat2", path.to_bytes()).map(|fd| fd as Fd)
}

/// int mkdirat(int dirfd, const char *pathname, mode_t mode);
pub fn mkdirat(dirfd: Fd, path: &CStr, mode: u32) -> Result<(), Error> {
    unit(call(Sysno::mkdirat, &[Arg::Fd(dirfd), Arg::Str(path), Arg::Oct(mode)]), "mkdir", path.to_bytes())
}

/// int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev);
pub fn mknodat(dirfd: Fd, path: &CStr, mode: u32, major: u32, minor: u32) -> Result<(), Error> {
    // The kernel's new_encode_dev: minor's low byte, major, then minor's high bits.
    let dev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
    unit(
        call(Sysno::mknodat, &[Arg::Fd(dirfd), Arg::Str(path), Arg::Oct(mode), Arg::Int(dev as isize)]),
        "mknod",
        path.to_bytes(),
    )
}

/// int symlinkat(const char *target, int newdirfd, const char *linkpath);
pub fn symlinkat(target: &CStr, dirfd: Fd, path: &CStr) -> Result<(), Error> {
    unit(call(Sysno::symlinkat, &[Arg::Str(target), Arg::Fd(dirfd), Arg::Str(path)]), "symlink", path.to_bytes())
}

/// mode_t umask(mode_t mask); returns the previous mask.
pub fn umask(mask: u32) -> u32 {
    call(Sysno::umask, &[Arg::Oct(mask)]).unwrap_or(0o022) as u32
}

/// The fields of fstat(2) runix looks at.
pub struct Stat {
    pub dev: u64,
    pub mode: u32,
}

/// int newfstatat(int dirfd, const char *path, struct stat *st, AT_EMPTY_PATH): fstat of an fd.
pub fn fstat(fd: Fd) -> Result<Stat, Error> {
    // SAFETY: struct stat is plain data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let flags = (libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) as u64;
    unit(call(Sysno::newfstatat, &[Arg::Fd(fd), Arg::Str(c""), Arg::Ptr(&mut st as *mut _ as usize), Arg::Flags(AT_FLAGS, flags)]), "fstat", b"")?;
    Ok(Stat { dev: st.st_dev, mode: st.st_mode })
}

// ---------------------------------------------------------------------------------------------
// Processes: clone(2), wait4(2), kill(2), execve(2), exit_group(2), getpid(2)

/// CLONE_* bits 0 to 30 (the low byte of clone's flags is the exit signal).
pub const CLONE_FLAGS: &str = "- - - - - - - - CLONE_VM CLONE_FS CLONE_FILES CLONE_SIGHAND CLONE_PIDFD CLONE_PTRACE CLONE_VFORK CLONE_PARENT CLONE_THREAD CLONE_NEWNS CLONE_SYSVSEM CLONE_SETTLS - - - - - CLONE_NEWCGROUP CLONE_NEWUTS CLONE_NEWIPC CLONE_NEWUSER CLONE_NEWPID CLONE_NEWNET";

/// The child's stack: an anonymous mapping with a PROT_NONE guard page below it, so an
/// overflow faults instead of silently writing over other memory.
pub struct Stack {
    top: usize,
}

/// void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
pub fn mmap_stack(size: usize) -> Result<Stack, Error> {
    const PAGE: usize = 4096;
    const PROT: &str = "PROT_READ PROT_WRITE PROT_EXEC";
    const MAP: &str = "MAP_SHARED MAP_PRIVATE - - MAP_FIXED MAP_ANONYMOUS - - - - - - - - - - - MAP_STACK";
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
    let args = [Arg::Clone(flags), Arg::Ptr(stack.top)];
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
/// Address families by number.
const AF: &str = "AF_UNSPEC AF_UNIX AF_INET";

/// Signal names by number.
pub const SIGNALS: &str = "0 SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 SIGPIPE SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG SIGXCPU SIGXFSZ SIGVTALRM SIGPROF SIGWINCH";

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
    let mut sv = [0 as Fd; 2];
    if trace::dry_run() {
        sv = [trace::FAKE_FD, trace::FAKE_FD + 1];
    }
    let ty = (libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC) as u64;
    unit(
        call(Sysno::socketpair, &[Arg::Named(AF, libc::AF_UNIX as u64), Arg::Sock(ty), Arg::Int(0), Arg::Ptr(sv.as_mut_ptr() as usize)]),
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

/// Read from `fd` until EOF or `out` is full, into an array of plain-integer structs (a BPF
/// program). Returns the bytes read; more data than fits is E2BIG.
pub fn read_plain<T: Copy>(fd: Fd, out: &mut [T]) -> Result<usize, Error> {
    // SAFETY: T is plain data made of integers (sock_filter): every byte pattern is a valid T,
    // and the view covers exactly `out`.
    let bytes = unsafe { core::slice::from_raw_parts_mut(out.as_mut_ptr() as *mut u8, core::mem::size_of_val(out)) };
    let mut len = 0;
    loop {
        match read(fd, &mut bytes[len..])? {
            0 => return Ok(len),
            n => len += n,
        }
        if len == bytes.len() {
            let mut more = [0u8; 1];
            return match read(fd, &mut more)? {
                0 => Ok(len),
                _ => Err(Error::sys("read", libc::E2BIG, b"")),
            };
        }
    }
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

/// MS_* bits 0 to 24.
pub const MS_FLAGS: &str = "MS_RDONLY MS_NOSUID MS_NODEV MS_NOEXEC MS_SYNCHRONOUS MS_REMOUNT MS_MANDLOCK MS_DIRSYNC MS_NOSYMFOLLOW - MS_NOATIME MS_NODIRATIME MS_BIND MS_MOVE MS_REC MS_SILENT MS_POSIXACL MS_UNBINDABLE MS_PRIVATE MS_SLAVE MS_SHARED MS_RELATIME - - MS_STRICTATIME";

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
    unit(call(Sysno::umount2, &[Arg::Str(target), Arg::Flags("MNT_FORCE MNT_DETACH MNT_EXPIRE", flags as u64)]), "umount2", target.to_bytes())
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
// Namespaces, network, identity: unshare(2), socket(2), ioctl(2), setgroups(2), setres[ug]id(2)

/// int unshare(int flags);
pub fn unshare(flags: u64) -> Result<(), Error> {
    unit(call(Sysno::unshare, &[Arg::Clone(flags)]), "unshare", b"")
}

/// Bring the loopback interface up: socket(AF_INET, SOCK_DGRAM), then SIOCSIFFLAGS.
/// A new network namespace has `lo` down (network_namespaces(7)); no netlink needed for this.
pub fn loopback_up() -> Result<(), Error> {
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: i16,
        _pad: [u8; 22],
    }
    let fd = sys(
        call(Sysno::socket, &[Arg::Named(AF, libc::AF_INET as u64), Arg::Sock((libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as u64), Arg::Int(0)]),
        "socket",
        b"",
    )? as Fd;
    // Nothing else about a new namespace's lo needs keeping: set its flags outright. The
    // socket is close-on-exec; it goes with the execve.
    let mut ifr = IfReq { name: [0; 16], flags: (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as i16, _pad: [0; 22] };
    ifr.name[..2].copy_from_slice(b"lo");
    unit(call(Sysno::ioctl, &[Arg::Fd(fd), Arg::Ioctl(0x8914), Arg::Ptr(&mut ifr as *mut IfReq as usize)]), "ioctl(SIOCSIFFLAGS)", b"lo")
}

/// int setgroups(size_t size, const gid_t *list): the supplementary groups, here always none.
pub fn setgroups_none() -> Result<(), Error> {
    unit(call(Sysno::setgroups, &[Arg::Int(0), Arg::Ptr(0)]), "setgroups", b"")
}

/// int setresgid(gid_t rgid, gid_t egid, gid_t sgid);
pub fn setresgid(gid: u32) -> Result<(), Error> {
    let g = gid as isize;
    unit(call(Sysno::setresgid, &[Arg::Int(g), Arg::Int(g), Arg::Int(g)]), "setresgid", b"")
}

/// int setresuid(uid_t ruid, uid_t euid, uid_t suid);
pub fn setresuid(uid: u32) -> Result<(), Error> {
    let u = uid as isize;
    unit(call(Sysno::setresuid, &[Arg::Int(u), Arg::Int(u), Arg::Int(u)]), "setresuid", b"")
}

// ---------------------------------------------------------------------------------------------
// Privileges: prctl(2), capset(2), seccomp(2), prlimit64(2); fds: close_range(2); getcwd(2)

const PR_OPTIONS: &str = "0 PR_SET_PDEATHSIG - - PR_SET_DUMPABLE - - - PR_SET_KEEPCAPS - - - - - - - - - - - - - - - PR_CAPBSET_DROP - - - - - - - - - - - - - PR_SET_NO_NEW_PRIVS";

/// int prctl(int option, unsigned long arg2, ...): the options runix uses take one argument.
pub fn prctl(option: i32, arg: u64) -> Result<(), Error> {
    unit(call(Sysno::prctl, &[Arg::Named(PR_OPTIONS, option as u64), Arg::Int(arg as isize), Arg::Int(0), Arg::Int(0), Arg::Int(0)]), "prctl", b"")
}

/// int capset(cap_user_header_t hdr, const cap_user_data_t data): version 3, 64-bit sets.
pub fn capset(effective: u64, permitted: u64, inheritable: u64) -> Result<(), Error> {
    // <linux/capability.h>: _LINUX_CAPABILITY_VERSION_3, then two 32-bit halves of each set.
    let header: [u32; 2] = [0x2008_0522, 0];
    let lo = |v: u64| v as u32;
    let hi = |v: u64| (v >> 32) as u32;
    let data: [u32; 6] = [lo(effective), lo(permitted), lo(inheritable), hi(effective), hi(permitted), hi(inheritable)];
    unit(call(Sysno::capset, &[Arg::Ptr(header.as_ptr() as usize), Arg::Ptr(data.as_ptr() as usize)]), "capset", b"")
}

/// int seccomp(SECCOMP_SET_MODE_FILTER, 0, struct sock_fprog *prog).
pub fn seccomp_filter(prog: &[libc::sock_filter]) -> Result<(), Error> {
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() as *mut libc::sock_filter };
    unit(
        call(Sysno::seccomp, &[Arg::Named("SECCOMP_SET_MODE_STRICT SECCOMP_SET_MODE_FILTER", 1), Arg::Int(0), Arg::Ptr(&fprog as *const _ as usize)]),
        "seccomp",
        b"",
    )
}

/// int prlimit64(0, int resource, const struct rlimit64 *new, NULL): this process's limit.
pub fn setrlimit(resource: u32, soft: u64, hard: u64) -> Result<(), Error> {
    let new = [soft, hard];
    unit(call(Sysno::prlimit64, &[Arg::Int(0), Arg::Int(resource as isize), Arg::Ptr(new.as_ptr() as usize), Arg::Ptr(0)]), "prlimit64", b"")
}

/// int close_range(unsigned first, unsigned last, 0) (Linux 5.9).
pub fn close_range(first: u32, last: u32) -> Result<(), Error> {
    unit(call(Sysno::close_range, &[Arg::Int(first as isize), Arg::Int(last as isize), Arg::Int(0)]), "close_range", b"")
}

/// char *getcwd(char *buf, size_t size): the path of the working directory, as a length.
pub fn getcwd(buf: &mut [u8]) -> Result<usize, Error> {
    sys(call(Sysno::getcwd, &[Arg::Buf(buf.as_mut_ptr(), buf.len()), Arg::Int(buf.len() as isize)]), "getcwd", b"")
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
