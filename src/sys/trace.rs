//! `--trace` and `--dry-run`: every syscall runix makes, printed the way strace prints it,
//! from the one door to the kernel (`sys::call`), so nothing can slip past. Off, it costs one
//! load and branch per syscall.
//!
//! `[parent] mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0`
//!
//! Under `--dry-run` only calls that observe (open for reading, read, close of such fds,
//! getpid) reach the kernel; every other call is printed and answered with a harmless fake,
//! so the whole sequence shows without creating anything.

use super::{OpenHow, k};
use core::ffi::{CStr, c_char};
use crate::error::{errno_name, strerror};
use crate::log::Line;
use core::sync::atomic::{AtomicU8, Ordering};
use syscalls::{Errno, Sysno};
use ufmt::uWrite;

pub const OFF: u8 = 0;
pub const TRACE: u8 = 1;
pub const DRY_RUN: u8 = 2;

static MODE: AtomicU8 = AtomicU8::new(OFF);
static CHILD: AtomicU8 = AtomicU8::new(0);

/// File descriptors handed out by --dry-run's fake open and socketpair.
pub const FAKE_FD: i32 = 1000;

pub fn set_mode(m: u8) {
    MODE.store(m, Ordering::Relaxed);
}

pub fn mode() -> u8 {
    MODE.load(Ordering::Relaxed)
}

pub fn dry_run() -> bool {
    mode() == DRY_RUN
}

/// Lines from now on are tagged `[child]` (called first thing in the child).
pub fn set_child(child: bool) {
    CHILD.store(child as u8, Ordering::Relaxed);
}

/// What is known of a call's result when its line is printed.
pub enum Outcome {
    Done(Result<usize, Errno>),
    /// Printed before a call that does not return when it succeeds (execve, exit_group).
    Unknown,
    /// --dry-run: not issued.
    NotIssued,
}

/// Trace or fake one syscall; `issue` really makes it.
pub fn call(nr: Sysno, sig: u64, raw: &[usize; 6], issue: impl FnOnce() -> Result<usize, Errno>) -> Result<usize, Errno> {
    let no_return = matches!(nr, Sysno::execve | Sysno::exit_group);
    if dry_run() && !observes(nr, raw) {
        show(nr, sig, raw, Outcome::NotIssued);
        return Ok(match nr {
            Sysno::openat | Sysno::openat2 | Sysno::socket => FAKE_FD as usize,
            Sysno::write => raw[2],
            _ => 0,
        });
    }
    if no_return {
        show(nr, sig, raw, Outcome::Unknown);
    }
    let r = issue();
    if !no_return {
        show(nr, sig, raw, Outcome::Done(r));
    } else if let Err(e) = r {
        // strace's notation for the end of a call whose start was printed before.
        let mut l = line_start();
        let _ = l.write_str("<... ");
        name(&mut l, nr);
        let _ = l.write_str(" resumed>");
        result(&mut l, Err(e), nr);
        l.flush();
    }
    r
}

/// Calls that only look, made for real under --dry-run: the parent's checks of its input and
/// its reading of /proc/self. The child's calls would look at a root it has not entered.
fn observes(nr: Sysno, a: &[usize; 6]) -> bool {
    let writes = (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as usize;
    if nr == Sysno::exit_group || nr == Sysno::getcwd {
        return true;
    }
    if CHILD.load(Ordering::Relaxed) != 0 {
        return false;
    }
    match nr {
        Sysno::openat => a[2] & writes == 0,
        Sysno::read | Sysno::close | Sysno::newfstatat => (a[0] as i32) < FAKE_FD,
        Sysno::getpid | Sysno::geteuid | Sysno::getegid | Sysno::clock_gettime | Sysno::statfs => true,
        _ => false,
    }
}

fn line_start() -> Line {
    let mut l = Line::new();
    let _ = l.write_str(if CHILD.load(Ordering::Relaxed) != 0 { "[child] " } else { "[parent] " });
    l
}

/// Print one call: `[side] name(arg, arg) = result`.
pub fn show(nr: Sysno, sig: u64, a: &[usize; 6], outcome: Outcome) {
    let mut l = line_start();
    name(&mut l, nr);
    let _ = l.write_char('(');
    for i in 0..(sig >> 40) as usize {
        if i > 0 {
            let _ = l.write_str(", ");
        }
        arg(&mut l, sig >> (5 * i) & 31, a[i], a.get(i + 1).copied().unwrap_or(0));
    }
    let _ = l.write_char(')');
    match outcome {
        Outcome::Done(r) => result(&mut l, r, nr),
        Outcome::Unknown => {
            let _ = l.write_str(" = ?");
        }
        Outcome::NotIssued => {}
    }
    l.flush();
}

fn result(l: &mut Line, r: Result<usize, Errno>, nr: Sysno) {
    match r {
        Ok(v) if nr == Sysno::mmap => {
            let _ = l.write_str(" = ");
            hex(l, v);
        }
        Ok(v) => {
            let _ = ufmt::uwrite!(l, " = {}", v as isize);
        }
        Err(e) => {
            let n = e.into_raw();
            let _ = ufmt::uwrite!(l, " = -1 {} ({})", errno_name(n), strerror(n));
        }
    }
}

/// Names for the flag and value kinds, from k::O on: one word per bit (flags) or per value,
/// "-" where there is none (a packed string costs a few bytes per name).
const NAMES: [&str; 12] = [
    "O_|WRONLY RDWR - - - - CREAT EXCL NOCTTY - - - - - - - DIRECTORY NOFOLLOW - CLOEXEC - PATH",
    "AT_|- - - - - - - - SYMLINK_NOFOLLOW REMOVEDIR - - EMPTY_PATH",
    "MS_|RDONLY NOSUID NODEV NOEXEC - REMOUNT - - - - NOATIME NODIRATIME BIND MOVE REC - - - PRIVATE SLAVE SHARED RELATIME - - STRICTATIME",
    "MNT_|FORCE DETACH",
    "RESOLVE_|NO_XDEV NO_MAGICLINKS NO_SYMLINKS BENEATH IN_ROOT",
    "PROT_|READ WRITE",
    "MAP_|SHARED PRIVATE - - - ANONYMOUS - - - - - - - - - - - STACK",
    SIGNALS,
    "AF_|UNSPEC UNIX INET",
    "PR_|- SET_PDEATHSIG - - SET_DUMPABLE - - - SET_KEEPCAPS - - - - - - - - - - - - - - - CAPBSET_DROP - - - - - - - - - - - - - SET_NO_NEW_PRIVS",
    "SECCOMP_SET_MODE_|STRICT FILTER",
    "",
];
/// Which NAMES entries are values, not flags (bit per entry, from k::O).
const VALUES: u32 = 1 << (k::SIG - k::O) | 1 << (k::AF - k::O) | 1 << (k::PR - k::O) | 1 << (k::SECCOMP - k::O);
/// The signals runix passes on or sends, by number (the others show as numbers).
const SIGNALS: &str = "SIG|- HUP INT QUIT - - - - - KILL USR1 - USR2 PIPE - TERM - CHLD - - - - - - - - - - WINCH";
const CLONE_FLAGS: &str = "CLONE_|- - - - - - - - - - - - - - - - - NEWNS - - - - - - - NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET";

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

/// One argument `v` of kind `kind`; `next` is the argument after it (a length for k::DATA).
fn arg(l: &mut Line, kind: u64, v: usize, next: usize) {
    match kind {
        k::FD if v as i32 == libc::AT_FDCWD => {
            let _ = l.write_str("AT_FDCWD");
        }
        k::FD => {
            let _ = ufmt::uwrite!(l, "{}", v as i32);
        }
        k::OCT => {
            let _ = l.write_char('0');
            let mut d = [0u8; 12];
            let mut i = d.len();
            let mut v = v;
            loop {
                i -= 1;
                d[i] = b'0' + (v & 7) as u8;
                v >>= 3;
                if v == 0 {
                    break;
                }
            }
            let _ = l.write_str(core::str::from_utf8(&d[i..]).unwrap_or("?"));
        }
        k::STR | k::OPTSTR if v != 0 => quote(l, cstr(v), usize::MAX),
        k::OPTSTR | k::PTR if v == 0 => {
            let _ = l.write_str("NULL");
        }
        k::DATA => {
            // SAFETY: k::DATA is a live buffer of `next` bytes (write(2)'s buf and count).
            quote(l, unsafe { core::slice::from_raw_parts(v as *const u8, next) }, 32)
        }
        k::BUF | k::PTR => hex(l, v),
        k::ARGV => {
            let _ = l.write_char('[');
            for (i, e) in list_at(v).enumerate() {
                if i > 0 {
                    let _ = l.write_str(", ");
                }
                quote(l, cstr(e), 32);
            }
            let _ = l.write_char(']');
        }
        k::ENV => {
            let _ = ufmt::uwrite!(l, "[/* {} vars */]", list_at(v).count());
        }
        k::HOW => {
            // SAFETY: k::HOW points to the caller's live struct open_how.
            let h = unsafe { &*(v as *const OpenHow) };
            let _ = l.write_str("{flags=");
            flags(l, NAMES[0], h.flags);
            let _ = l.write_str(", resolve=");
            flags(l, NAMES[4], h.resolve);
            let _ = l.write_char('}');
        }
        k::CLONE => {
            flags(l, CLONE_FLAGS, v as u64 & !0xff);
            if v & 0xff != 0 {
                let _ = l.write_char('|');
                named(l, SIGNALS, v as u64 & 0xff);
            }
        }
        k::SOCK => {
            named(l, "SOCK_|- STREAM DGRAM - - SEQPACKET", v as u64 & 0xf);
            if v & !0xf != 0 {
                let _ = l.write_char('|');
                flags(l, "SOCK_|- - - - - - - - - - - NONBLOCK - - - - - - - CLOEXEC", v as u64 & !0xf);
            }
        }
        k::IOCTL => {
            let name = match v {
                0x8914 => "SIOCSIFFLAGS",
                0x5401 => "TCGETS",
                0x5402 => "TCSETS",
                0x540E => "TIOCSCTTY",
                0x5413 => "TIOCGWINSZ",
                0x5414 => "TIOCSWINSZ",
                0x5441 => "TIOCGPTPEER",
                0x80045430 => "TIOCGPTN",
                0x40045431 => "TIOCSPTLCK",
                _ => return hex(l, v),
            };
            let _ = l.write_str(name);
        }
        k::CAP => {
            let _ = l.write_str("CAP_");
            let _ = l.write_str(crate::caps::name(v as u8));
        }
        k::O..=k::SECCOMP => {
            let i = (kind - k::O) as usize;
            if VALUES >> i & 1 != 0 { named(l, NAMES[i], v as u64) } else { flags(l, NAMES[i], v as u64) }
        }
        _ => {
            let _ = ufmt::uwrite!(l, "{}", v as isize);
        }
    }
}

/// Word `i` of a space-separated list of names, unless it is "-".
use crate::buf::word;

/// A list of names as "PREFIX|word word - word": (prefix, words).
fn parts(names: &str) -> (&str, &str) {
    match names.bytes().position(|c| c == b'|') {
        Some(i) => (&names[..i], &names[i + 1..]),
        None => ("", names),
    }
}

/// The name of value `v`, or the number.
fn named(l: &mut Line, names: &str, v: u64) {
    let (prefix, words) = parts(names);
    match word(words, v) {
        Some(w) => {
            let _ = l.write_str(prefix);
            let _ = l.write_str(w);
        }
        None => {
            let _ = ufmt::uwrite!(l, "{}", v);
        }
    }
}

/// `A|B|0x40`: the named bits, then whatever is left in hex; "0" when no bit is set.
/// For open flags, O_RDONLY stands for "none of the access-mode bits".
fn flags(l: &mut Line, names: &str, v: u64) {
    let (prefix, words) = parts(names);
    let mut rest = v;
    let mut first = true;
    let mut put = |l: &mut Line, w: &str| {
        if !first {
            let _ = l.write_char('|');
        }
        let _ = l.write_str(prefix);
        let _ = l.write_str(w);
        first = false;
    };
    if names.as_ptr() == NAMES[0].as_ptr() && v & 3 == 0 {
        put(l, "RDONLY");
    }
    for bit in 0..64 {
        if rest & 1 << bit != 0 {
            if let Some(w) = word(words, bit) {
                put(l, w);
                rest &= !(1 << bit);
            }
        }
    }
    if rest != 0 || first {
        if !first {
            let _ = l.write_char('|');
        }
        hex(l, rest as usize);
    }
}

fn hex(l: &mut Line, v: usize) {
    if v == 0 {
        let _ = l.write_char('0');
        return;
    }
    let _ = l.write_str("0x");
    let mut started = false;
    for shift in (0..16).rev() {
        let d = (v >> (shift * 4)) & 0xf;
        if d != 0 || started {
            started = true;
            let _ = l.write_char(b"0123456789abcdef"[d] as char);
        }
    }
}

/// A C string as strace shows it: quoted, escaped, cut at `max` bytes with "...".
fn quote(l: &mut Line, s: &[u8], max: usize) {
    let _ = l.write_char('"');
    for &c in s.iter().take(max) {
        let _ = match c {
            b'"' => l.write_str("\\\""),
            b'\\' => l.write_str("\\\\"),
            b'\n' => l.write_str("\\n"),
            b'\t' => l.write_str("\\t"),
            0x20..=0x7e => l.write_char(c as char),
            _ => {
                let h = b"0123456789abcdef";
                let _ = l.write_str("\\x");
                let _ = l.write_char(h[(c >> 4) as usize] as char);
                l.write_char(h[(c & 15) as usize] as char)
            }
        };
    }
    let _ = l.write_char('"');
    if s.len() > max {
        let _ = l.write_str("...");
    }
}

/// The syscalls runix makes, by name; any other shows as `syscall_NNN`, strace's notation
/// for unknown numbers. Two parallel lists, not a table of all ~450 names (kilobytes).
const NRS: [Sysno; 55] = [Sysno::read, Sysno::write, Sysno::openat, Sysno::close, Sysno::mkdirat, Sysno::unlinkat, Sysno::mmap, Sysno::mprotect, Sysno::clone, Sysno::wait4, Sysno::kill, Sysno::execve, Sysno::exit_group, Sysno::getpid, Sysno::socketpair, Sysno::mount, Sysno::umount2, Sysno::pivot_root, Sysno::chroot, Sysno::chdir, Sysno::sethostname, Sysno::rt_sigaction, Sysno::clock_gettime, Sysno::nanosleep, Sysno::openat2, Sysno::setsid, Sysno::geteuid, Sysno::getegid, Sysno::statfs, Sysno::dup3, Sysno::sendmsg, Sysno::recvmsg, Sysno::recvfrom, Sysno::rt_sigprocmask, Sysno::signalfd4, Sysno::ppoll, Sysno::fchown, Sysno::prctl, Sysno::capget, Sysno::capset, Sysno::seccomp, Sysno::prlimit64, Sysno::close_range, Sysno::getcwd, Sysno::umask, Sysno::getdents64, Sysno::mknodat, Sysno::symlinkat, Sysno::newfstatat, Sysno::unshare, Sysno::socket, Sysno::ioctl, Sysno::setgroups, Sysno::setresgid, Sysno::setresuid];
const SYSCALL_NAMES: &str = "read write openat close mkdirat unlinkat mmap mprotect clone wait4 kill execve exit_group getpid socketpair mount umount2 pivot_root chroot chdir sethostname rt_sigaction clock_gettime nanosleep openat2 setsid geteuid getegid statfs dup3 sendmsg recvmsg recvfrom rt_sigprocmask signalfd4 ppoll fchown prctl capget capset seccomp prlimit64 close_range getcwd umask getdents64 mknodat symlinkat newfstatat unshare socket ioctl setgroups setresgid setresuid";

fn name(l: &mut Line, nr: Sysno) {
    match NRS.iter().position(|&n| n == nr) {
        Some(i) => {
            let _ = l.write_str(word(SYSCALL_NAMES, i as u64).unwrap_or("?"));
        }
        None => {
            let _ = ufmt::uwrite!(l, "syscall_{}", nr.id());
        }
    }
}
