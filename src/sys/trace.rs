//! `--trace` and `--dry-run`: every syscall runix makes, printed the way strace prints it,
//! from the one door to the kernel (`sys::call`), so nothing can slip past. Off, it costs one
//! load and branch per syscall.
//!
//! `[parent] mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0`
//!
//! Under `--dry-run` only calls that observe (open for reading, read, close of such fds,
//! getpid) reach the kernel; every other call is printed and answered with a harmless fake,
//! so the whole sequence shows without creating anything.
//!
//! How each syscall's arguments show is in one table here (`calls!`), not at the call sites: a
//! call site passes only the number and the arguments.

use super::OpenHow;
use super::arch::{TCGETS, TCSETS, TIOCGPTN, TIOCGPTPEER, TIOCGWINSZ, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ};
use crate::text::word;
use crate::error::{Error, errno_name, strerror};
use super::Line;
use core::ffi::{CStr, c_char};
use core::sync::atomic::{AtomicU8, Ordering};
use super::arch::nr;
use syscalls::Sysno;
use ufmt::uWrite;

pub const OFF: u8 = 0;
pub const TRACE: u8 = 1;
pub const DRY_RUN: u8 = 2;

#[cfg(not(test))]
static MODE: AtomicU8 = AtomicU8::new(OFF);
#[cfg(not(test))]
static CHILD: AtomicU8 = AtomicU8::new(0);
// The tests run on many threads: a mode and a side each.
#[cfg(test)]
std::thread_local! {
    static MODE: AtomicU8 = const { AtomicU8::new(OFF) };
    static CHILD: AtomicU8 = const { AtomicU8::new(0) };
}

#[cfg(not(test))]
fn with(a: &'static AtomicU8) -> &'static AtomicU8 {
    a
}

#[cfg(test)]
fn with(a: &'static std::thread::LocalKey<AtomicU8>) -> &'static AtomicU8 {
    // SAFETY: the thread's own value lives as long as the thread, which is as long as any
    // caller on it can use the reference.
    a.with(|v| unsafe { &*(v as *const AtomicU8) })
}

/// File descriptors handed out by --dry-run's fake open and socketpair.
pub const FAKE_FD: i32 = 1000;

pub fn set_mode(m: u8) {
    with(&MODE).store(m, Ordering::Relaxed);
}

pub fn mode() -> u8 {
    with(&MODE).load(Ordering::Relaxed)
}

pub fn dry_run() -> bool {
    mode() == DRY_RUN
}

/// Lines from now on are tagged `[child]` (called first thing in the child).
pub fn set_child(child: bool) {
    with(&CHILD).store(child as u8, Ordering::Relaxed);
}

/// Whether this process is the child's side (log lines say so too).
pub fn child() -> bool {
    with(&CHILD).load(Ordering::Relaxed) != 0
}

/// What a line says of a call's result, besides the kernel's own return value (a result, or
/// -errno): nothing yet, before a call that does not return when it succeeds (` = ?`)...
const UNKNOWN: isize = isize::MIN;
/// ...or that --dry-run did not issue it (no result at all).
pub const NOT_ISSUED: isize = isize::MIN + 1;

/// The kernel's return value `r` is an error: -4095..=-1.
pub fn failed(r: isize) -> bool {
    r as usize > -4096isize as usize
}

/// Trace or fake one syscall; returns what the kernel (or --dry-run) answered.
pub fn call(nr: Sysno, a: &[usize; 6]) -> isize {
    if dry_run() && !observes(nr, a) {
        show(nr, a, NOT_ISSUED);
        return fake(nr, a);
    }
    if no_return(nr) {
        show(nr, a, UNKNOWN);
    }
    let r = super::raw(nr, a);
    show(nr, a, r);
    r
}

/// --dry-run's answer to a call it does not issue: harmless, and enough for runix to go on.
pub fn fake(nr: Sysno, a: &[usize; 6]) -> isize {
    match nr {
        nr::openat | nr::openat2 | nr::socket => FAKE_FD as isize,
        nr::write => a[2] as isize,
        _ => 0,
    }
}

/// Calls that do not return when they succeed: their line is printed before, and if they
/// fail, strace's `<... execve resumed> = -1 ...` after.
fn no_return(nr: Sysno) -> bool {
    matches!(nr, nr::execve | nr::execveat | nr::exit_group)
}

/// Calls that only look, made for real under --dry-run: the parent's checks of its input and
/// its reading of /proc/self. The child's calls would look at a root it has not entered.
fn observes(nr: Sysno, a: &[usize; 6]) -> bool {
    let writes = (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as usize;
    if nr == nr::exit_group || nr == nr::getcwd {
        return true;
    }
    if child() {
        return false;
    }
    match nr {
        nr::openat => a[2] & writes == 0,
        nr::read | nr::close | nr::newfstatat => (a[0] as i32) < FAKE_FD,
        nr::getpid | nr::geteuid | nr::getegid | nr::statfs | nr::sched_getaffinity => true,
        _ => false,
    }
}

/// Print one call: `[side] name(arg, arg) = result`.
pub fn show(nr: Sysno, a: &[usize; 6], r: isize) {
    core::mem::take(line(nr, a, r)).flush();
}

/// One call as `show` prints it, in the line buffer.
pub fn line(nr: Sysno, a: &[usize; 6], r: isize) -> &'static mut Line {
    let resumed = no_return(nr) && r != UNKNOWN && r != NOT_ISSUED;
    *out() = Line::new();
    put(if child() { "[child] " } else { "[parent] " });
    if resumed {
        put("<... ");
    }
    let (i, mut kinds) = find(nr);
    match word(SYSCALL_NAMES, i) {
        Some(w) => put(w),
        None => {
            put("syscall_");
            dec(nr as isize);
        }
    }
    if resumed {
        put(" resumed>");
    } else {
        putc(b'(');
        if nr == nr::prctl && a[0] == libc::PR_CAPBSET_DROP as usize {
            kinds = sig(&[k::PR, k::CAP, k::INT, k::INT, k::INT]);
        }
        for (i, &v) in a.iter().enumerate() {
            if kinds & 31 == 0 {
                break;
            }
            if i > 0 {
                put(", ");
            }
            arg(kinds & 31, v, a[(i + 1).min(5)]);
            kinds >>= 5;
        }
        putc(b')');
    }
    match r {
        NOT_ISSUED => {}
        UNKNOWN => put(" = ?"),
        r if failed(r) => {
            let n = -r as i32;
            put(" = -1 ");
            put(errno_name(n));
            put(" (");
            put(strerror(n));
            putc(b')');
        }
        r => {
            put(" = ");
            if nr == nr::mmap { hex(r as usize) } else { dec(r) }
        }
    }
    out()
}

/// The error for a failed call: named after it (a few by what runix meant: `open`, `mkdir`),
/// about its last path argument.
#[inline(never)]
pub fn error(nr: Sysno, a: &[usize; 6], r: isize) -> Error {
    let (i, mut kinds) = find(nr);
    let name = if i < RENAMED { word(ERR_NAMES, i) } else { word(SYSCALL_NAMES, i) };
    let mut path: &[u8] = b"";
    for &v in a {
        if kinds & 31 == k::STR {
            path = cstr(v);
        }
        kinds >>= 5;
    }
    Error::sys(name.unwrap_or("?"), -r as i32, path)
}

/// The syscall's place in the tables (past their end if it is not there), and its kinds.
fn find(nr: Sysno) -> (u64, u32) {
    match NRS.iter().position(|&n| n == nr as u16) {
        Some(i) => (i as u64, SIGS[i]),
        None => (NRS.len() as u64, 0),
    }
}

/// How `--trace` shows each argument: a kind per argument, 5 bits each, packed by `sig`
/// into one word per syscall; 0 ends the list.
mod k {
    pub const INT: u32 = 1;
    pub const FD: u32 = 2; // a file descriptor, or AT_FDCWD
    pub const OCT: u32 = 3; // a file mode
    pub const STR: u32 = 4; // a C string (the path an error is about)
    pub const OPTSTR: u32 = 5; // a C string or NULL
    pub const DATA: u32 = 6; // bytes given to the kernel; the next argument is their length
    pub const PTR: u32 = 7; // an address (a buffer's, or a struct's), or NULL
    pub const ARGV: u32 = 8; // a NULL-terminated list of C strings
    pub const ENV: u32 = 9; // the same, shown by its length
    pub const HOW: u32 = 10; // openat2's struct open_how
    pub const CLONE: u32 = 11; // CLONE_* flags and the exit signal
    pub const SOCK: u32 = 12; // SOCK_* type and flags
    pub const IOCTL: u32 = 13; // an ioctl request
    pub const CAP: u32 = 14; // a capability number
    // From here on: names from NAMES, flags (bits) or values.
    pub const O: u32 = 15;
    pub const AT: u32 = 16;
    pub const MS: u32 = 17;
    pub const MNT: u32 = 18;
    pub const PROT: u32 = 19;
    pub const MAP: u32 = 20;
    pub const SIG: u32 = 21;
    pub const AF: u32 = 22;
    pub const PR: u32 = 23;
    pub const SECCOMP: u32 = 24;
}

/// The kinds of a call's arguments as one word: 5 bits each, first argument lowest.
const fn sig(kinds: &[u32]) -> u32 {
    let mut v = 0;
    let mut i = kinds.len();
    while i > 0 {
        i -= 1;
        v = v << 5 | kinds[i];
    }
    v
}

/// The syscalls runix makes: numbers, argument kinds and names, in parallel tables. Any other
/// shows as `syscall_NNN`, strace's notation for unknown numbers. A call marked `[as NAME]`
/// fails under that name, what runix meant by it (ERR_NAMES); those come first.
macro_rules! calls {
    ($($name:ident($($k:ident),*) $([as $err:ident])?)*) => {
        static NRS: [u16; [$(nr::$name),*].len()] = [$(nr::$name as u16),*];
        static SIGS: [u32; [$(nr::$name),*].len()] = [$(sig(&[$(k::$k),*])),*];
        const SYSCALL_NAMES: &str = concat!($(stringify!($name), " "),*).trim_ascii_end();
        const ERR_NAMES: &str = concat!($($(stringify!($err), " ",)?)*).trim_ascii_end();
        /// How many are marked: checked to be the first ones.
        const RENAMED: u64 = first_marked(&[$(false $(|| !stringify!($err).is_empty())?),*]);
    };
}

/// How many of `marked` are true, all of them before any false (a build error otherwise).
const fn first_marked(marked: &[bool]) -> u64 {
    let mut n = 0;
    while n < marked.len() && marked[n] {
        n += 1;
    }
    let mut i = n;
    while i < marked.len() {
        assert!(!marked[i], "calls! wants the calls marked [as NAME] first");
        i += 1;
    }
    n as u64
}

calls! {
    openat(FD, STR, O, OCT) [as open]
    mkdirat(FD, STR, OCT) [as mkdir]
    unlinkat(FD, STR, AT) [as rmdir]
    mknodat(FD, STR, OCT, INT) [as mknod]
    symlinkat(STR, FD, STR) [as symlink]
    newfstatat(FD, STR, PTR, AT) [as fstat]
    read(FD, PTR, INT)
    write(FD, DATA, INT)
    close(FD)
    mmap(PTR, INT, PROT, MAP, INT, INT)
    mprotect(PTR, INT, PROT)
    clone(CLONE, PTR)
    wait4(INT, PTR, INT, PTR)
    waitid(INT, INT, PTR, INT, PTR)
    kill(INT, SIG)
    execve(STR, ARGV, ENV)
    execveat(FD, STR, ARGV, ENV, AT)
    memfd_create(STR, INT)
    sendfile(FD, FD, PTR, INT)
    fcntl(FD, INT, INT)
    exit_group(INT)
    getpid()
    socketpair(AF, SOCK, INT, PTR)
    mount(OPTSTR, STR, OPTSTR, MS, OPTSTR)
    umount2(STR, MNT)
    mount_setattr(FD, STR, AT, PTR, INT)
    open_tree(FD, STR, INT)
    move_mount(FD, STR, FD, STR, INT)
    pivot_root(STR, STR)
    chroot(STR)
    chdir(STR)
    fchdir(FD)
    sethostname(STR, INT)
    rt_sigaction(SIG, PTR, PTR, INT)
    nanosleep(PTR, PTR)
    openat2(FD, STR, HOW, INT)
    setsid()
    geteuid()
    getegid()
    statfs(STR, PTR)
    fstatfs(FD, PTR)
    dup3(FD, FD, INT)
    sendmsg(FD, PTR, INT)
    recvmsg(FD, PTR, INT)
    recvfrom(FD, PTR, INT, INT, PTR, PTR)
    rt_sigprocmask(INT, PTR, PTR, INT)
    signalfd4(INT, PTR, INT, INT)
    ppoll(PTR, INT, PTR, PTR, INT)
    fchown(FD, INT, INT)
    fchownat(FD, STR, INT, INT, AT)
    prctl(PR, INT, INT, INT, INT)
    capset(PTR, PTR)
    capget(PTR, PTR)
    seccomp(SECCOMP, INT, PTR)
    prlimit64(INT, INT, PTR, PTR)
    close_range(INT, INT, INT)
    getcwd(PTR, INT)
    sched_getaffinity(INT, INT, PTR)
    clock_gettime(INT, PTR)
    umask(OCT)
    getdents64(FD, PTR, INT)
    unshare(CLONE)
    setns(FD, CLONE)
    socket(AF, SOCK, INT)
    ioctl(FD, IOCTL, PTR)
    setgroups(INT, PTR)
    setresgid(INT, INT, INT)
    setresuid(INT, INT, INT)
    renameat2(FD, STR, FD, STR, INT)
    flock(FD, INT)
    connect(FD, PTR, INT)
    pidfd_open(INT, INT)
    pidfd_send_signal(FD, SIG, PTR, INT)
}

/// Lists of names, one a line: a prefix, then one word per bit (flags) or per value, "-"
/// where there is none (a packed string costs a few bytes per name). Line `kind - k::O` is for
/// the kinds from k::O on; the last four are parts of k::HOW, k::CLONE and k::SOCK.
const LISTS: &str = "\
O_ WRONLY RDWR - - - - CREAT EXCL NOCTTY - - NONBLOCK - - - - DIRECTORY NOFOLLOW - CLOEXEC - PATH
AT_ - - - - - - - - SYMLINK_NOFOLLOW REMOVEDIR - - EMPTY_PATH
MS_ RDONLY NOSUID NODEV NOEXEC - REMOUNT - - - - NOATIME NODIRATIME BIND MOVE REC - - - PRIVATE SLAVE SHARED RELATIME - - STRICTATIME
MNT_ FORCE DETACH
PROT_ READ WRITE
MAP_ SHARED PRIVATE - - - ANONYMOUS - - - - - - - - - - - STACK
SIG - HUP INT QUIT - - - - - KILL USR1 - USR2 PIPE - TERM - CHLD - - - - - - - - - - WINCH
AF_ UNSPEC UNIX INET
PR_ - SET_PDEATHSIG - - SET_DUMPABLE - - - SET_KEEPCAPS - - - - - - SET_NAME - - - - - - - - CAPBSET_DROP - - - - - - - - - - - - - SET_NO_NEW_PRIVS
SECCOMP_SET_MODE_ STRICT FILTER
RESOLVE_ NO_XDEV NO_MAGICLINKS NO_SYMLINKS BENEATH IN_ROOT
CLONE_ - - - - - - - - - - - - - - - PARENT - NEWNS - - - - - - - NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET
SOCK_ - STREAM DGRAM - - SEQPACKET
SOCK_ - - - - - - - - - - - NONBLOCK - - - - - - - CLOEXEC";
const L_O: usize = 0;
const L_SIG: usize = (k::SIG - k::O) as usize;
const L_RESOLVE: usize = 10;
const L_CLONE: usize = 11;
const L_SOCK_TYPE: usize = 12;
const L_SOCK_FLAGS: usize = 13;
/// Which lists are values, not flags (bit per line).
const VALUES: u32 = 1 << (k::SIG - k::O) | 1 << (k::AF - k::O) | 1 << (k::PR - k::O) | 1 << (k::SECCOMP - k::O);

fn list(i: usize) -> &'static str {
    crate::text::field(LISTS, b'\n', i as u64).unwrap_or("")
}

/// ioctl requests by number, and their names.
const IOCTLS: [u32; 9] = [libc::SIOCSIFFLAGS as u32, TCGETS, TCSETS, TIOCSCTTY, TIOCGWINSZ, TIOCSWINSZ, TIOCGPTPEER, TIOCGPTN, TIOCSPTLCK];
const IOCTL_NAMES: &str = "SIOCSIFFLAGS TCGETS TCSETS TIOCSCTTY TIOCGWINSZ TIOCSWINSZ TIOCGPTPEER TIOCGPTN TIOCSPTLCK";

/// The C string at `p` (a wrapper passed a live one).
fn cstr<'a>(p: usize) -> &'a [u8] {
    // SAFETY: the wrappers in sys pass, for k::STR, k::OPTSTR (non-zero) and the entries of
    // k::ARGV and k::ENV, pointers to NUL-terminated strings alive for the whole call.
    unsafe { CStr::from_ptr(p as *const c_char) }.to_bytes()
}

/// The entries of the NULL-terminated list at `p`.
fn list_at(p: usize) -> impl Iterator<Item = usize> {
    // SAFETY: k::ARGV and k::ENV arguments point to NULL-terminated arrays of pointers.
    (0..).map(move |i| unsafe { *(p as *const usize).add(i) }).take_while(|&e| e != 0)
}

/// The line being written: one at a time, as runix has one thread and printing a line makes
/// no traced call.
#[cfg(not(test))]
fn out() -> &'static mut Line {
    struct Out(core::cell::UnsafeCell<Line>);
    // SAFETY: runix never starts a thread.
    unsafe impl Sync for Out {}
    static OUT: Out = Out(core::cell::UnsafeCell::new(Line::new()));
    // SAFETY: single-threaded (above), and no caller keeps the reference across another call
    // of out(), so it is the only one while it lives.
    unsafe { &mut *OUT.0.get() }
}

/// The tests run on many threads: a line each.
#[cfg(test)]
fn out() -> &'static mut Line {
    std::thread_local!(static OUT: *mut Line = Box::leak(Box::new(Line::new())));
    // SAFETY: this thread's own line, leaked so it lives on; no caller keeps the reference
    // across another call of out().
    OUT.with(|&p| unsafe { &mut *p })
}

fn put(s: &str) {
    let _ = out().write_str(s);
}

/// One ASCII character.
fn putc(c: u8) {
    // SAFETY: only ASCII is passed.
    put(unsafe { core::str::from_utf8_unchecked(core::slice::from_ref(&c)) });
}

/// One argument `v` of kind `kind`; `next` is the argument after it (a length for k::DATA).
fn arg(kind: u32, v: usize, next: usize) {
    match kind {
        k::FD if v as i32 == libc::AT_FDCWD => put("AT_FDCWD"),
        k::OCT => {
            putc(b'0');
            digits(v, 3);
        }
        k::STR | k::OPTSTR if v != 0 => quote(cstr(v), usize::MAX),
        k::OPTSTR | k::PTR if v == 0 => put("NULL"),
        k::DATA => {
            // SAFETY: k::DATA is a live buffer of `next` bytes (write(2)'s buf and count).
            quote(unsafe { core::slice::from_raw_parts(v as *const u8, next) }, 32)
        }
        k::PTR => hex(v),
        k::ARGV => {
            putc(b'[');
            for (i, e) in list_at(v).enumerate() {
                if i > 0 {
                    put(", ");
                }
                quote(cstr(e), 32);
            }
            putc(b']');
        }
        k::ENV => {
            put("[/* ");
            dec(list_at(v).count() as isize);
            put(" vars */]");
        }
        k::HOW => {
            // SAFETY: k::HOW points to the caller's live struct open_how.
            let h = unsafe { &*(v as *const OpenHow) };
            put("{flags=");
            flags(L_O, h.flags as usize);
            put(", resolve=");
            flags(L_RESOLVE, h.resolve as usize);
            putc(b'}');
        }
        k::CLONE => {
            flags(L_CLONE, v & !0xff);
            if v & 0xff != 0 {
                putc(b'|');
                named(L_SIG, v & 0xff);
            }
        }
        k::SOCK => {
            named(L_SOCK_TYPE, v & 0xf);
            if v & !0xf != 0 {
                putc(b'|');
                flags(L_SOCK_FLAGS, v & !0xf);
            }
        }
        k::IOCTL => match IOCTLS.iter().position(|&r| r as usize == v) {
            Some(i) => put(word(IOCTL_NAMES, i as u64).unwrap_or("")),
            None => hex(v),
        },
        k::CAP => {
            put("CAP_");
            put(super::cap_name(v as u8));
        }
        k::O..=k::SECCOMP => {
            let i = (kind - k::O) as usize;
            if VALUES >> i & 1 != 0 { named(i, v) } else { flags(i, v) }
        }
        _ => dec(v as isize),
    }
}

/// The name of value `v` in list `i`, or the number.
fn named(i: usize, v: usize) {
    let names = list(i);
    match word(names, v as u64 + 1) {
        Some(w) => {
            put(word(names, 0).unwrap_or(""));
            put(w);
        }
        None => dec(v as isize),
    }
}

/// `A|B|0x40`: the named bits of list `i`, then whatever is left in hex; "0" when no bit is
/// set. For open flags, O_RDONLY stands for "none of the access-mode bits".
fn flags(i: usize, v: usize) {
    let names = list(i);
    let prefix = word(names, 0).unwrap_or("");
    let mut rest = v;
    let mut sep = "";
    let mut name = |w: &str| {
        put(sep);
        put(prefix);
        put(w);
        sep = "|";
    };
    if i == L_O && v & 3 == 0 {
        name("RDONLY");
    }
    for bit in 0..64 {
        if rest >> bit & 1 != 0
            && let Some(w) = word(names, bit + 1)
        {
            name(w);
            rest ^= 1 << bit;
        }
    }
    if rest != 0 || sep.is_empty() {
        put(sep);
        hex(rest);
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `v` in base 1 << `shift` (8 or 16), no prefix.
fn digits(mut v: usize, shift: u32) {
    let mut d = [0u8; 22];
    let mut i = d.len();
    loop {
        i -= 1;
        d[i] = HEX[v & ((1 << shift) - 1)];
        v >>= shift;
        if v == 0 {
            break;
        }
    }
    // SAFETY: ASCII digits.
    put(unsafe { core::str::from_utf8_unchecked(&d[i..]) });
}

fn hex(v: usize) {
    if v != 0 {
        put("0x");
    }
    digits(v, 4);
}

fn dec(v: isize) {
    let _ = ufmt::uwrite!(out(), "{}", v);
}

/// A C string as strace shows it: quoted, escaped, cut at `max` bytes with "...".
fn quote(s: &[u8], max: usize) {
    putc(b'"');
    for &c in s.iter().take(max) {
        let esc = match c {
            b'"' | b'\\' => c,
            b'\n' => b'n',
            b'\t' => b't',
            0x20..=0x7e => 0,
            _ => b'x',
        };
        if esc == 0 {
            putc(c);
        } else {
            putc(b'\\');
            putc(esc);
        }
        if esc == b'x' {
            putc(HEX[c as usize >> 4]);
            putc(HEX[c as usize & 15]);
        }
    }
    putc(b'"');
    if s.len() > max {
        put("...");
    }
}
