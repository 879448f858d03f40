//! The system-call layer: the only module with `unsafe` and raw syscalls.
//!
//! Each wrapper is named after its syscall, documents the C prototype and man page, and returns
//! `Result<_, Error>` carrying the syscall name, errno and the path it was about. Every call
//! passes through [`call`], which is where `--trace` and `--dry-run` hook in, so nothing can
//! bypass them, and where a failure becomes an Error (named and shown by trace.rs's table).

pub mod arch;
#[cfg(not(test))]
mod mem;
#[cfg(not(test))]
mod start;
pub mod once;
#[cfg(test)]
pub mod record;
pub mod slots;
pub mod trace;

use crate::error::Error;
pub use once::Once;
use core::ffi::{CStr, c_char};
use syscalls::Sysno;

pub type Fd = i32;
pub const AT_FDCWD: Fd = libc::AT_FDCWD;

fn s(c: &CStr) -> usize {
    c.as_ptr() as usize
}

fn os(c: Option<&CStr>) -> usize {
    c.map_or(0, s)
}

fn p<T>(r: &T) -> usize {
    r as *const T as usize
}

/// For a value the kernel writes into.
fn pm<T>(r: &mut T) -> usize {
    r as *mut T as usize
}

/// Issue one syscall: the single door to the kernel, and where --trace and --dry-run hook in.
/// The wrappers below pass what each syscall's prototype takes: integers, or pointers to live
/// values (trace.rs has the table of how each one shows). A failure comes back as an Error
/// named after the call, about its path argument, if it has one.
#[inline(never)]
pub fn call5(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> Result<usize, Error> {
    let a = [a0, a1, a2, a3, a4, 0];
    let r = if trace::mode() == trace::OFF { raw(nr, &a) } else { trace::call(nr, &a) };
    if trace::failed(r) {
        return Err(trace::error(nr, &a, r));
    }
    Ok(r as usize)
}

/// `call5` for the syscalls of up to four arguments (all but mount and mmap): the fifth would
/// be passed on the stack.
#[inline(never)]
pub fn call(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<usize, Error> {
    call5(nr, a0, a1, a2, a3, 0)
}

/// `call` for the syscalls whose result is only success or failure.
#[inline(never)]
pub fn call0(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<(), Error> {
    call5(nr, a0, a1, a2, a3, 0).map(drop)
}

/// `call` for the syscalls that return a file descriptor.
#[inline(never)]
pub fn call_fd(nr: Sysno, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<Fd, Error> {
    call5(nr, a0, a1, a2, a3, 0).map(|fd| fd as Fd)
}

/// Where the door leads: the kernel, or in test builds, the recording backend (record.rs),
/// which passes calls on to the kernel only when no recording is on.
#[cfg(not(test))]
use kernel as raw;
#[cfg(test)]
use record::call as raw;

/// The syscall itself: the kernel's return value, -errno on failure.
fn kernel(nr: Sysno, a: &[usize; 6]) -> isize {
    // SAFETY: every argument is a plain integer or a pointer to a live value (C string,
    // buffer, struct) of the kind the syscall's prototype takes, valid for the call.
    unsafe { syscalls::raw::syscall6(nr as usize, a[0], a[1], a[2], a[3], a[4], a[5]) as isize }
}

/// A `&'static str` in 5 bytes (its address and length) and 3 bytes for its owner: all of
/// Error is 8 bytes, so that every `Result<_, Error>` comes back in registers, which takes a
/// tenth less code in all of runix than a 16-byte error. The address fits in 32 bits because
/// runix is linked at 0x400000 (linker/*.ld).
#[cfg(not(test))]
#[derive(Clone, Copy)]
pub struct Name {
    addr: core::num::NonZeroU32,
    len: u8,
    /// Error's hint and slot.
    pub tag: u8,
    /// Error's errno.
    pub errno: i16,
}

#[cfg(not(test))]
impl Name {
    pub fn new(s: &'static str) -> Name {
        let addr = s.as_ptr() as usize;
        // Never true for runix's own image (see above); a wrong build stops here, not later.
        assert!(addr >> 32 == 0 && s.len() < 256);
        Name { addr: core::num::NonZeroU32::new(addr as u32).unwrap_or(core::num::NonZeroU32::MIN), len: s.len() as u8, tag: 0, errno: 0 }
    }

    pub fn get(self) -> &'static str {
        // SAFETY: addr and len are those of a &'static str, checked to fit in `new`, so they
        // describe live, valid UTF-8.
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.addr.get() as usize as *const u8, self.len as usize)) }
    }
}

/// The tests run in a std program loaded anywhere in memory: there the name stays whole.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub struct Name {
    s: &'static str,
    pub tag: u8,
    pub errno: i16,
}

#[cfg(test)]
impl Name {
    pub fn new(s: &'static str) -> Name {
        Name { s, tag: 0, errno: 0 }
    }

    pub fn get(self) -> &'static str {
        self.s
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
    call(Sysno::write, fd as usize, buf.as_ptr() as usize, buf.len(), 0)
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
    call(Sysno::read, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0)
}

/// int openat(int dirfd, const char *pathname, int flags, mode_t mode);
/// Every fd runix opens is O_CLOEXEC, so none leaks into the container's command.
pub fn openat(dirfd: Fd, path: &CStr, flags: i32, mode: u32) -> Result<Fd, Error> {
    let flags = (flags | libc::O_CLOEXEC) as u64;
    call_fd(Sysno::openat, dirfd as usize, s(path), flags as usize, mode as usize)
}

/// int close(int fd);
pub fn close(fd: Fd) -> Result<(), Error> {
    call0(Sysno::close, fd as usize, 0, 0, 0)
}

/// int mkdirat(int dirfd, const char *pathname, mode_t mode);
pub fn mkdir(path: &CStr, mode: u32) -> Result<(), Error> {
    call0(Sysno::mkdirat, AT_FDCWD as usize, s(path), mode as usize, 0)
}

/// int unlinkat(int dirfd, const char *pathname, AT_REMOVEDIR);
pub fn rmdir(path: &CStr) -> Result<(), Error> {
    call0(Sysno::unlinkat, AT_FDCWD as usize, s(path), libc::AT_REMOVEDIR as usize, 0)
}

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
    call_fd(Sysno::openat2, dirfd as usize, s(path), p(&how), size as usize)
}

/// int mkdirat(int dirfd, const char *pathname, mode_t mode);
pub fn mkdirat(dirfd: Fd, path: &CStr, mode: u32) -> Result<(), Error> {
    call0(Sysno::mkdirat, dirfd as usize, s(path), mode as usize, 0)
}

/// int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev);
pub fn mknodat(dirfd: Fd, path: &CStr, mode: u32, major: u32, minor: u32) -> Result<(), Error> {
    // The kernel's new_encode_dev: minor's low byte, major, then minor's high bits.
    let dev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
    call0(Sysno::mknodat, dirfd as usize, s(path), mode as usize, dev as usize)
}

/// int symlinkat(const char *target, int newdirfd, const char *linkpath);
pub fn symlinkat(target: &CStr, dirfd: Fd, path: &CStr) -> Result<(), Error> {
    call0(Sysno::symlinkat, s(target), dirfd as usize, s(path), 0)
}

/// mode_t umask(mode_t mask); returns the previous mask.
pub fn umask(mask: u32) -> u32 {
    call(Sysno::umask, mask as usize, 0, 0, 0).unwrap_or(0o022) as u32
}

/// The fields of fstat(2) runix looks at.
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    /// The device a node stands for (st_rdev), in the kernel's encoding (`dev`).
    pub rdev: u64,
    pub size: u64,
}

/// A device number as st_rdev holds it (glibc's makedev, for the majors and minors runix uses).
pub const fn dev(major: u32, minor: u32) -> u64 {
    ((major as u64) << 8) | (minor & 0xff) as u64 | (((minor & !0xff) as u64) << 12)
}

/// int newfstatat(int dirfd, const char *path, struct stat *st, AT_EMPTY_PATH): fstat of an fd.
pub fn fstat(fd: Fd) -> Result<Stat, Error> {
    // SAFETY: struct stat is plain data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let flags = (libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) as u64;
    call0(Sysno::newfstatat, fd as usize, s(c""), pm(&mut st), flags as usize)?;
    Ok(Stat { dev: st.st_dev, ino: st.st_ino, mode: st.st_mode, rdev: st.st_rdev, size: st.st_size as u64 })
}

// ---------------------------------------------------------------------------------------------
// Processes: clone(2), wait4(2), kill(2), execve(2), exit_group(2), getpid(2)

/// The child's stack: an anonymous mapping with a PROT_NONE guard page below it, so an
/// overflow faults instead of silently writing over other memory.
pub struct Stack {
    top: usize,
}

/// void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
pub fn mmap_stack(size: usize) -> Result<Stack, Error> {
    const PAGE: usize = 4096;
    let base = call5(Sysno::mmap, 0, size + PAGE, (libc::PROT_READ | libc::PROT_WRITE) as usize, (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK) as usize, usize::MAX)?;
    // int mprotect(void *addr, size_t len, int prot): the lowest page becomes the guard.
    call0(Sysno::mprotect, base, PAGE, 0, 0)?;
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
    clone_raw(flags, stack, trampoline::<T>, &start as *const _ as usize)
}

/// The part of `clone` that does not depend on T (one copy in the binary, not one per T).
#[inline(never)]
fn clone_raw(flags: u64, stack: &Stack, f: extern "C" fn(usize) -> !, arg: usize) -> Result<i32, Error> {
    debug_assert!(flags & libc::CLONE_VM as u64 == 0);
    let args = [flags as usize, stack.top, 0, 0, 0, 0];
    if trace::dry_run() {
        trace::show(Sysno::clone, &args, trace::NOT_ISSUED);
        return Ok(trace::FAKE_FD);
    }
    // SAFETY: the stack mapping is live and unused, and `f` starts the child on it without
    // returning into our frames (see arch::runix_clone and `clone`).
    let r = unsafe { arch::runix_clone(flags as usize, stack.top, f, arg) };
    if trace::mode() == trace::TRACE && r != 0 {
        trace::show(Sysno::clone, &args, r);
    }
    if trace::failed(r) {
        return Err(trace::error(Sysno::clone, &args, r));
    }
    Ok(r as i32)
}

/// pid_t wait4(pid_t pid, int *wstatus, int options, struct rusage *rusage);
/// Retries on EINTR; returns the raw wait status.
pub fn wait4(pid: i32) -> Result<i32, Error> {
    wait(pid, 0).map(|(_, status)| status)
}

/// wait4(pid, &status, options, NULL): (pid, status); pid 0 when WNOHANG found nothing.
pub fn wait(pid: i32, options: i32) -> Result<(i32, i32), Error> {
    let mut status: i32 = 0;
    loop {
        let r = call(Sysno::wait4, pid as usize, pm(&mut status), options as usize, 0);
        match r {
            Err(e) if e.errno() == libc::EINTR => continue,
            r => return r.map(|p| (p as i32, status)),
        }
    }
}

/// int kill(pid_t pid, int sig);
pub fn kill(pid: i32, signal: i32) -> Result<(), Error> {
    call0(Sysno::kill, pid as usize, signal as usize, 0, 0)
}

/// int execve(const char *path, char *const argv[], char *const envp[]);
/// Returns only on failure.
pub fn execve<const N: usize>(path: &CStr, argv: Args, envp: &CList<N>) -> Error {
    let r = call(Sysno::execve, s(path), argv.ptrs.as_ptr() as usize, envp.ptrs.as_ptr() as usize, 0);
    match r {
        Ok(_) => Error::sys("execve", 0, path.to_bytes()),
        Err(e) => e,
    }
}

/// Run the program `argv[0]` (an absolute path) with `argv` and an empty environment, and
/// wait for it: fork (a clone on a stack of its own) and execve, as posix_spawn(3) does.
/// Returns the wait status; 127 << 8 when it could not be executed.
pub fn spawn(argv: &[&CStr]) -> Result<i32, Error> {
    let mut ptrs = [core::ptr::null::<c_char>(); 12];
    for (slot, a) in ptrs.iter_mut().zip(argv.iter().take(11)) {
        *slot = a.as_ptr();
    }
    fn child(ptrs: &[*const c_char; 12]) -> ! {
        let env = [core::ptr::null::<c_char>()];
        let _ = call(Sysno::execve, ptrs[0] as usize, ptrs.as_ptr() as usize, env.as_ptr() as usize, 0);
        exit_group(127)
    }
    let stack = mmap_stack(16 * 1024)?;
    let pid = clone(libc::SIGCHLD as u64, &stack, child, &ptrs)?;
    wait4(pid)
}

/// uid_t geteuid(void);
pub fn geteuid() -> u32 {
    call(Sysno::geteuid, 0, 0, 0, 0).unwrap_or(0) as u32
}

/// gid_t getegid(void);
pub fn getegid() -> u32 {
    call(Sysno::getegid, 0, 0, 0, 0).unwrap_or(0) as u32
}

/// The MS_* flags of the mount holding `path` that a remount must keep: statfs(2)'s f_flags
/// (ST_* has the same bits as MS_* for these). In a user namespace a remount may not clear
/// them: they are locked (mount_namespaces(7)). The atime mode is left out: a remount given
/// none of MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME keeps the mount's own
/// (mount(2)), and statfs shows relatime in another bit (ST_RELATIME is MS_BIND's) and
/// strictatime in none.
pub fn mount_flags(path: &CStr) -> Result<u64, Error> {
    // The kernel's struct statfs on 64-bit: ten longs, then f_flags, then spare.
    let mut st = [0u64; 15];
    call0(Sysno::statfs, s(path), pm(&mut st), 0, 0)?;
    Ok(st[10] & (libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC))
}

/// int fstatfs(int fd, struct statfs *buf): the type (f_type, a magic number) of the
/// filesystem `fd` is on.
pub fn fs_type(fd: Fd) -> Result<u64, Error> {
    let mut st = [0u64; 15];
    call0(Sysno::fstatfs, fd as usize, pm(&mut st), 0, 0)?;
    Ok(st[0])
}

/// int sched_getaffinity(0, size_t size, cpu_set_t *mask): how many CPUs runix may run on
/// (of the first 1024).
pub fn cpus() -> Result<u32, Error> {
    let mut mask = [0u64; 16];
    let n = call(Sysno::sched_getaffinity, 0, core::mem::size_of_val(&mask), pm(&mut mask), 0)?;
    Ok(mask[..n / 8].iter().map(|w| w.count_ones()).sum())
}

/// void exit_group(int status);
pub fn exit_group(code: i32) -> ! {
    let _ = call(Sysno::exit_group, code as usize, 0, 0, 0);
    unreachable!()
}

/// pid_t getpid(void);
pub fn getpid() -> i32 {
    call(Sysno::getpid, 0, 0, 0, 0).unwrap_or(0) as i32
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
    call0(Sysno::socketpair, libc::AF_UNIX as usize, ty as usize, 0, sv.as_mut_ptr() as usize)?;
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

/// What `recv` got.
pub enum Recv {
    /// EOF: the other side closed the channel (for the child, by a successful execve).
    Eof,
    /// A whole value, in `out`.
    Value,
    /// An fd passed with SCM_RIGHTS (the pty master).
    Fd(Fd),
}

/// Receive what the other side of a fork of this same image sent with `send` or `send_fd`.
pub fn recv<T: Copy>(fd: Fd, out: &mut T) -> Result<Recv, Error> {
    let mut m = msg();
    msg_ptrs(&mut m);
    m.iov = libc::iovec { iov_base: out as *mut T as *mut core::ffi::c_void, iov_len: core::mem::size_of::<T>() };
    let flags = libc::MSG_CMSG_CLOEXEC as usize;
    loop {
        let r = call(Sysno::recvmsg, fd as usize, pm(&mut m.msghdr), flags, 0);
        match r {
            Err(e) if e.errno() == libc::EINTR => {}
            // The child died with something unread in its socket (killed during setup, by
            // the OOM killer say): the same as EOF; its wait status says the rest.
            Ok(0) => return Ok(Recv::Eof),
            Err(e) if e.errno() == libc::ECONNRESET => return Ok(Recv::Eof),
            Err(e) => return Err(e),
            Ok(_) if m.msghdr.msg_controllen >= 20 => return Ok(Recv::Fd(m.cmsg[2] as u32 as Fd)),
            // SAFETY (of what `out` now holds): only our own forked process, running this
            // same binary, writes to this socket, and it writes whole values of exactly this
            // type with `send` (SEQPACKET: all or nothing), so the bytes form a valid T.
            Ok(n) if n == core::mem::size_of::<T>() => return Ok(Recv::Value),
            Ok(_) => return Err(Error::sys("recvmsg", libc::EPROTO, b"")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mounts and roots: mount(2), umount2(2), pivot_root(2), chroot(2), chdir(2), sethostname(2)

/// int mount(const char *source, const char *target, const char *fstype,
///           unsigned long flags, const void *data);
pub fn mount(src: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>) -> Result<(), Error> {
    call5(Sysno::mount, os(src), s(target), os(fstype), flags as usize, os(data)).map(drop)
}

/// struct mount_attr of <linux/mount.h>: the MOUNT_ATTR_* bits to set and to clear.
#[repr(C)]
struct MountAttr {
    set: u64,
    clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// int mount_setattr(int dirfd, const char *path, AT_RECURSIVE, struct mount_attr *attr,
/// size_t size) (Linux 5.12): `set` (MOUNT_ATTR_RDONLY, _NODEV...) on the mount at `path` and
/// on every mount below it, which no flag of mount(2) can do.
pub fn mount_setattr_rec(path: &CStr, set: u64) -> Result<(), Error> {
    let attr = MountAttr { set, clr: 0, propagation: 0, userns_fd: 0 };
    let size = core::mem::size_of::<MountAttr>();
    call5(Sysno::mount_setattr, AT_FDCWD as usize, s(path), libc::AT_RECURSIVE as usize, p(&attr), size).map(drop)
}

/// int open_tree(int dirfd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [|
/// AT_RECURSIVE]) (Linux 5.2): a detached copy of the mount at `fd` (with those below it for
/// MS_REC), as an fd, to attach with `move_mount`.
pub fn open_tree(fd: Fd, rec: u64) -> Result<Fd, Error> {
    let rec = if rec != 0 { libc::AT_RECURSIVE } else { 0 };
    let flags = libc::AT_EMPTY_PATH | 1 | libc::O_CLOEXEC | rec;
    call_fd(Sysno::open_tree, fd as usize, s(c""), flags as usize, 0)
}

/// int move_mount(int from, "", int to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
/// (Linux 5.2): attach the mount `from` onto what `to` is.
pub fn move_mount(from: Fd, to: Fd) -> Result<(), Error> {
    call5(Sysno::move_mount, from as usize, s(c""), to as usize, s(c""), 0x4 | 0x40).map(drop)
}

/// int umount2(const char *target, int flags);
pub fn umount2(target: &CStr, flags: i32) -> Result<(), Error> {
    call0(Sysno::umount2, s(target), flags as usize, 0, 0)
}

/// int pivot_root(const char *new_root, const char *put_old);
pub fn pivot_root(new_root: &CStr, put_old: &CStr) -> Result<(), Error> {
    call0(Sysno::pivot_root, s(new_root), s(put_old), 0, 0)
}

/// int chroot(const char *path);
pub fn chroot(path: &CStr) -> Result<(), Error> {
    call0(Sysno::chroot, s(path), 0, 0, 0)
}

/// int chdir(const char *path);
pub fn chdir(path: &CStr) -> Result<(), Error> {
    call0(Sysno::chdir, s(path), 0, 0, 0)
}

/// int sethostname(const char *name, size_t len);
pub fn sethostname(name: &CStr) -> Result<(), Error> {
    let b = name.to_bytes();
    call0(Sysno::sethostname, s(name), b.len(), 0, 0)
}

// ---------------------------------------------------------------------------------------------
// Namespaces, network, identity: unshare(2), socket(2), ioctl(2), setgroups(2), setres[ug]id(2)

/// int unshare(int flags);
pub fn unshare(flags: u64) -> Result<(), Error> {
    call0(Sysno::unshare, flags as usize, 0, 0, 0)
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
    let fd = call(Sysno::socket, libc::AF_INET as usize, (libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as usize, 0, 0)?;
    // Nothing else about a new namespace's lo needs keeping: set its flags outright. The
    // socket is close-on-exec; it goes with the execve.
    let mut ifr = IfReq { name: [0; 16], flags: (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as i16, _pad: [0; 22] };
    ifr.name[..2].copy_from_slice(b"lo");
    call0(Sysno::ioctl, fd, 0x8914, p(&ifr), 0).map_err(|e| Error::sys("ioctl(SIOCSIFFLAGS)", e.errno(), b"lo"))
}

/// int setgroups(size_t size, const gid_t *list): the supplementary groups, here always none.
pub fn setgroups_none() -> Result<(), Error> {
    call0(Sysno::setgroups, 0, 0, 0, 0)
}

/// int setresgid(gid_t rgid, gid_t egid, gid_t sgid);
pub fn setresgid(gid: u32) -> Result<(), Error> {
    let g = gid as usize;
    call0(Sysno::setresgid, g, g, g, 0)
}

/// int setresuid(uid_t ruid, uid_t euid, uid_t suid);
pub fn setresuid(uid: u32) -> Result<(), Error> {
    let u = uid as usize;
    call0(Sysno::setresuid, u, u, u, 0)
}

// ---------------------------------------------------------------------------------------------
// Privileges: prctl(2), capset(2), seccomp(2), prlimit64(2); fds: close_range(2); getcwd(2)

/// int prctl(int option, unsigned long arg2, ...): the options runix uses take one argument.
pub fn prctl(option: i32, arg: u64) -> Result<(), Error> {
    call0(Sysno::prctl, option as usize, arg as usize, 0, 0)
}

/// prctl(PR_CAPBSET_DROP, cap): the capability leaves the bounding set.
pub fn capbset_drop(cap: u8) -> Result<(), Error> {
    let r = call(Sysno::prctl, libc::PR_CAPBSET_DROP as usize, cap as usize, 0, 0);
    r.map(drop)
}

/// int capset(cap_user_header_t hdr, const cap_user_data_t data): version 3, 64-bit sets.
pub fn capset(effective: u64, permitted: u64, inheritable: u64) -> Result<(), Error> {
    // <linux/capability.h>: _LINUX_CAPABILITY_VERSION_3, then two 32-bit halves of each set.
    let header: [u32; 2] = [0x2008_0522, 0];
    let lo = |v: u64| v as u32;
    let hi = |v: u64| (v >> 32) as u32;
    let data: [u32; 6] = [lo(effective), lo(permitted), lo(inheritable), hi(effective), hi(permitted), hi(inheritable)];
    call0(Sysno::capset, p(&header), p(&data), 0, 0)
}

/// int capget(cap_user_header_t hdr, cap_user_data_t data): this process's permitted set.
pub fn capget_permitted() -> Result<u64, Error> {
    let header: [u32; 2] = [0x2008_0522, 0];
    let mut data = [0u32; 6];
    call(Sysno::capget, p(&header), pm(&mut data), 0, 0)?;
    Ok(data[1] as u64 | (data[4] as u64) << 32)
}

/// int seccomp(SECCOMP_SET_MODE_FILTER, 0, struct sock_fprog *prog).
pub fn seccomp_filter(prog: &[libc::sock_filter]) -> Result<(), Error> {
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() as *mut libc::sock_filter };
    call0(Sysno::seccomp, 1, 0, p(&fprog), 0)
}

/// int prlimit64(0, int resource, const struct rlimit64 *new, NULL): this process's limit.
pub fn setrlimit(resource: u32, soft: u64, hard: u64) -> Result<(), Error> {
    let new = [soft, hard];
    call0(Sysno::prlimit64, 0, resource as usize, p(&new), 0)
}

/// prlimit64(0, resource, NULL, &old): this process's soft limit.
pub fn rlimit(resource: u32) -> Result<u64, Error> {
    let mut old = [0u64; 2];
    let r = call(Sysno::prlimit64, 0, resource as usize, 0, pm(&mut old));
    r.map(|_| old[0])
}

/// int close_range(unsigned first, unsigned last, 0) (Linux 5.9).
pub fn close_range(first: u32, last: u32) -> Result<(), Error> {
    call0(Sysno::close_range, first as usize, last as usize, 0, 0)
}

/// char *getcwd(char *buf, size_t size): the path of the working directory, as a length.
pub fn getcwd(buf: &mut [u8]) -> Result<usize, Error> {
    call(Sysno::getcwd, buf.as_mut_ptr() as usize, buf.len(), 0, 0)
}

// ---------------------------------------------------------------------------------------------
// Sessions and terminals: setsid(2), ioctl(2), dup3(2), sendmsg(2)/recvmsg(2) with SCM_RIGHTS

/// pid_t setsid(void): a new session and process group, and no controlling terminal, so the
/// container cannot push input into the caller's terminal with TIOCSTI (CVE-2017-5226).
pub fn setsid() -> Result<(), Error> {
    call0(Sysno::setsid, 0, 0, 0, 0)
}

/// int ioctl(int fd, unsigned long request, arg): `arg` is a number or a pointer.
pub fn ioctl(fd: Fd, request: u32, arg: usize) -> Result<usize, Error> {
    call(Sysno::ioctl, fd as usize, request as usize, arg, 0)
}

/// ioctl(fd, request, &value): for requests that read or fill a struct.
pub fn ioctl_with<T>(fd: Fd, request: u32, value: &mut T) -> Result<usize, Error> {
    ioctl(fd, request, pm(value))
}

/// int dup3(int oldfd, int newfd, 0): `newfd` becomes `oldfd`, without close-on-exec.
pub fn dup3(old: Fd, new: Fd) -> Result<(), Error> {
    call0(Sysno::dup3, old as usize, new as usize, 0, 0)
}

/// sendmsg/recvmsg with one SCM_RIGHTS fd (unix(7)): the pty master, child to parent, as
/// runc's console socket passes it.
#[repr(C)]
struct Msg {
    msghdr: libc::msghdr,
    iov: libc::iovec,
    byte: u8,
    // cmsghdr (len, level, type) and one int, aligned as CMSG_SPACE(sizeof(int)) wants.
    cmsg: [u64; 3],
}

fn msg() -> Msg {
    // SAFETY: msghdr and iovec are plain data; all-zero is valid (pointers set below).
    let mut m: Msg = unsafe { core::mem::zeroed() };
    m.cmsg[0] = 20; // CMSG_LEN(sizeof(int))
    m.cmsg[1] = (libc::SOL_SOCKET as u64) | (libc::SCM_RIGHTS as u64) << 32;
    m
}

fn msg_ptrs(m: &mut Msg) {
    m.iov = libc::iovec { iov_base: &mut m.byte as *mut u8 as *mut core::ffi::c_void, iov_len: 1 };
    m.msghdr.msg_iov = &mut m.iov;
    m.msghdr.msg_iovlen = 1;
    m.msghdr.msg_control = m.cmsg.as_mut_ptr() as *mut core::ffi::c_void;
    m.msghdr.msg_controllen = 24;
}

pub fn send_fd(sock: Fd, fd: Fd) -> Result<(), Error> {
    let mut m = msg();
    m.cmsg[2] = fd as u32 as u64;
    msg_ptrs(&mut m);
    call0(Sysno::sendmsg, sock as usize, pm(&mut m.msghdr), 0, 0)
}

/// int fchown(int fd, uid_t owner, gid_t group);
pub fn fchown(fd: Fd, uid: u32, gid: u32) -> Result<(), Error> {
    call0(Sysno::fchown, fd as usize, uid as usize, gid as usize, 0)
}

/// Whether the other end of a socket pair is still open: ppoll with a zero timeout reports
/// POLLHUP once it is closed, even while a message it sent ("go") waits unread, where a peek
/// would see that message and not the EOF behind it. Takes nothing from the socket.
pub fn peer_alive(sock: Fd) -> bool {
    let mut fds = [libc::pollfd { fd: sock, events: 0, revents: 0 }];
    let zero = [0u64; 2];
    let r = call(Sysno::ppoll, pm(&mut fds), 1, p(&zero), 0);
    r.is_err() || fds[0].revents & libc::POLLHUP == 0
}

// ---------------------------------------------------------------------------------------------
// Signals as data: rt_sigprocmask(2), signalfd4(2), ppoll(2)

/// The signals runix passes on to the container, and SIGCHLD, as a sigset.
pub const FORWARDED: u64 = 1 << (libc::SIGHUP - 1)
    | 1 << (libc::SIGINT - 1)
    | 1 << (libc::SIGQUIT - 1)
    | 1 << (libc::SIGUSR1 - 1)
    | 1 << (libc::SIGUSR2 - 1)
    | 1 << (libc::SIGTERM - 1)
    | 1 << (libc::SIGWINCH - 1);
pub const SIGCHLD_SET: u64 = 1 << (libc::SIGCHLD - 1);
pub const SIGPIPE_SET: u64 = 1 << (libc::SIGPIPE - 1);

/// int rt_sigprocmask(int how, const sigset_t *set, sigset_t *old, 8); returns the old mask.
pub fn sigprocmask(how: i32, set: u64) -> Result<u64, Error> {
    let mut old = 0u64;
    let r = call(Sysno::rt_sigprocmask, how as usize, p(&set), pm(&mut old), 8);
    r.map(|_| old)
}

/// int signalfd4(-1, const sigset_t *mask, 8, SFD_CLOEXEC): the blocked signals in `set`,
/// to be read as data, so none is lost between fork and exec, and none interrupts runix.
pub fn signalfd(set: u64) -> Result<Fd, Error> {
    call_fd(Sysno::signalfd4, usize::MAX, p(&set), 8, libc::SFD_CLOEXEC as usize)
}

/// Read one signal from a signalfd: its number and how it was sent (struct signalfd_siginfo's
/// ssi_signo and ssi_code: SI_USER from kill(2), SI_KERNEL from a terminal).
pub fn read_signal(fd: Fd) -> Result<(i32, i32), Error> {
    let mut info = [0u32; 32];
    // SAFETY: a [u32; 32] viewed as its 128 bytes, the size of struct signalfd_siginfo.
    let bytes = unsafe { core::slice::from_raw_parts_mut(info.as_mut_ptr() as *mut u8, 128) };
    read(fd, bytes)?;
    Ok((info[0] as i32, info[2] as i32))
}

/// int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, NULL, 0): wait until
/// one of `fds` is ready, or (Some) `ms` milliseconds have passed; 0 then.
pub fn poll(fds: &mut [libc::pollfd], ms: Option<u64>) -> Result<usize, Error> {
    let ts = ms.map(|ms| libc::timespec { tv_sec: (ms / 1000) as i64, tv_nsec: (ms % 1000 * 1_000_000) as i64 });
    loop {
        let r = call(Sysno::ppoll, fds.as_mut_ptr() as usize, fds.len(), ts.as_ref().map_or(0, p), 0);
        match r {
            Err(e) if e.errno() == libc::EINTR => continue,
            r => return r,
        }
    }
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
pub fn signal(signal: i32, ignore: bool) -> Result<(), Error> {
    let act = KernelSigaction { handler: if ignore { libc::SIG_IGN } else { libc::SIG_DFL }, flags: 0, restorer: 0, mask: 0 };
    call0(Sysno::rt_sigaction, signal as usize, p(&act), 0, 8)
}

// ---------------------------------------------------------------------------------------------
// Time: clock_gettime(2) for log timestamps, nanosleep(2) for retries

/// int nanosleep(const struct timespec *req, struct timespec *rem);
pub fn sleep_ms(ms: u64) {
    let ts = libc::timespec { tv_sec: (ms / 1000) as i64, tv_nsec: ((ms % 1000) * 1_000_000) as i64 };
    let _ = call(Sysno::nanosleep, p(&ts), 0, 0, 0);
}

/// int clock_gettime(CLOCK_MONOTONIC, struct timespec *tp): milliseconds since some start.
pub fn monotonic_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    let _ = call(Sysno::clock_gettime, libc::CLOCK_MONOTONIC as usize, pm(&mut ts), 0, 0);
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
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
    call(Sysno::getdents64, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0)
}
