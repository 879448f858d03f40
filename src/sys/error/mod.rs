//! One error type for all of runix: which call failed, with which errno, on which path.
//! It is Copy and allocation-free, so the child can send it to the parent over a socket, and
//! it is printed exactly once, by the parent, as `runix: pivot_root(/srv/rootfs): Invalid argument`.
//!
//! Part of sys, because errors are born at the syscall door; everything else reaches it as
//! `crate::error`. It uses nothing of sys's but the text functions below it, so the wrappers
//! can return it. Its packed name (name.rs) and its path's store (slots.rs) need `unsafe`.

mod errno;
mod name;
mod slots;

pub use errno::{errno_name, strerror};
use name::Name;
use ufmt::{uDisplay, uWrite, Formatter};

/// Advice for known errnos, as bwrap gives it: index 0 is none.
pub const HINT_CHROOT: u8 = 1;
pub const HINT_OVERLAY: u8 = 2;
pub const HINT_RLIMIT: u8 = 3;
pub const HINT_USERNS: u8 = 4;
pub const HINT_DELEGATE: u8 = 5;
const HINTS: [&str; 6] = [
    "",
    "--chroot where / cannot be pivoted from",
    "the kernel has no overlay filesystem: modprobe overlay",
    "a hard limit above runix's own needs CAP_SYS_RESOURCE",
    "user namespaces are off: check the sysctls user.max_user_namespaces, kernel.unprivileged_userns_clone and kernel.apparmor_restrict_unprivileged_userns",
    "limits without root need a cgroup delegated to your user; use --cgroup-parent, or run without limits",
];

/// The words that `invalid!` and `unsupported!` messages start with, by their first byte.
const PREFIXES: [&str; 3] = ["", "invalid ", "unsupported "];

/// The tag's bits: a HINT_* (0..=7), EXEC, and the slot of the path (NO_DETAIL: none).
const HINT: u8 = 0x7;
/// The error is the command's execve(2): its errno decides the exit status (`exit_code`).
const EXEC: u8 = 0x8;
const NO_DETAIL: u8 = 0xf;

/// 8 bytes, so any `Result<_, Error>` is returned in registers: passing it up through every
/// `?` costs little code. The path it is about waits in a slot of slots.rs.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct Error {
    /// The syscall (`mount`, `pivot_root`) or, for bad input, what was wrong (`invalid --pids`);
    /// its tag holds a HINT_* and EXEC (low 4 bits) and the slot of the path (high 4 bits, 15:
    /// none), and its errno the errno (below 4096; 0 for errors that are not a failed syscall).
    what: Name,
}

#[cfg(not(test))]
const _: () = assert!(core::mem::size_of::<Error>() == 8);

impl Error {
    /// A failed syscall, with the path (or value) it was about.
    #[inline(never)]
    pub fn sys(what: &'static str, errno: i32, path: &[u8]) -> Error {
        let mut what = Name::new(what);
        what.tag = NO_DETAIL << 4;
        what.errno = errno as i16;
        Error { what }.at(path)
    }

    /// The command's execve(2) of `path` failed with `errno` (or, only under --dry-run, which
    /// does not issue it, returned: errno 0).
    pub fn exec(errno: i32, path: &[u8]) -> Error {
        let mut e = Error::sys("execve", errno, path);
        e.what.tag |= EXEC;
        e
    }

    /// Bad input or a failed check: `what: detail`.
    pub fn msg(what: &'static str, detail: &[u8]) -> Error {
        Error::sys(what, 0, detail)
    }

    /// The same error about another path (the caller knows better what the call was about).
    #[inline(never)]
    pub fn at(mut self, path: &[u8]) -> Error {
        let slot = self.slot();
        if !path.is_empty() || slot != NO_DETAIL {
            let slot = slots::put((slot != NO_DETAIL).then_some(slot), path);
            self.what.tag = self.what.tag & 0xf | slot << 4;
        }
        self
    }

    fn slot(&self) -> u8 {
        self.what.tag >> 4
    }

    /// The same error with advice for the user (HINT_*).
    pub fn hint(mut self, hint: u8) -> Error {
        self.what.tag = self.what.tag & !HINT | hint;
        self
    }

    /// Whether this is the command's execve (`Error::exec`).
    pub fn is_exec(&self) -> bool {
        self.what.tag & EXEC != 0
    }

    pub fn errno(&self) -> i32 {
        self.what.errno as i32
    }

    pub fn what(&self) -> &'static str {
        self.what.get()
    }

    /// The path or value, copied out of its slot: (buffer, length).
    pub fn detail(&self) -> ([u8; slots::LEN], usize) {
        let mut b = [0; slots::LEN];
        let n = if self.slot() == NO_DETAIL { 0 } else { slots::get(self.slot(), &mut b) };
        (b, n)
    }

    /// The exit status runix ends with: 127 command not found, 126 found but not executable
    /// (as sh(1) and docker run do), 125 for everything else that went wrong in runix.
    #[inline(never)]
    pub fn exit_code(&self) -> i32 {
        match (self.is_exec(), self.errno()) {
            (true, libc::ENOENT) => 127,
            (true, _) => 126,
            _ => 125,
        }
    }
}

/// An error with its path copied out of the slots: kept whole while other errors are made,
/// which reuse the slots, and sent whole to another process of this same executable
/// (src/sys/channel.rs). The path first: what --trace shows of its bytes.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct Kept {
    detail: [u8; slots::LEN],
    len: u16,
    err: Error,
}

impl Kept {
    pub fn new(err: Error) -> Kept {
        let mut k = Kept { detail: [0; slots::LEN], len: 0, err };
        if err.slot() != NO_DETAIL {
            k.len = slots::get(err.slot(), &mut k.detail) as u16;
        }
        k
    }

    /// The error again, its path in a slot.
    pub fn error(&self) -> Error {
        let mut e = self.err;
        e.what.tag |= NO_DETAIL << 4;
        e.at(&self.detail[..self.len as usize])
    }
}

impl uDisplay for Error {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut Formatter<'_, W>) -> Result<(), W::Error> {
        // A message's first byte below 3 stands for its first word (`invalid!`, `unsupported!`).
        let what = self.what();
        let p = what.bytes().next().filter(|&c| c < 3).unwrap_or(0) as usize;
        f.write_str(PREFIXES.get(p).copied().unwrap_or(""))?;
        f.write_str(what.get((p != 0) as usize..).unwrap_or(""))?;
        let (buf, n) = self.detail();
        let detail = &buf[..n];
        if self.what.errno != 0 {
            if !detail.is_empty() {
                f.write_str("(")?;
                write_bytes(f, detail)?;
                f.write_str(")")?;
            }
            f.write_str(": ")?;
            f.write_str(strerror(self.errno()))?;
        } else if !detail.is_empty() {
            f.write_str(": ")?;
            write_bytes(f, detail)?;
        }
        if self.what.tag & HINT != 0 {
            f.write_str(" (")?;
            f.write_str(HINTS.get((self.what.tag & HINT) as usize).copied().unwrap_or(""))?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Bytes from the command line or the filesystem, shown as text (a non-UTF-8 name byte by
/// byte, with '?' for what is not ASCII).
pub fn write_bytes<W: uWrite + ?Sized>(f: &mut Formatter<'_, W>, b: &[u8]) -> Result<(), W::Error> {
    match utf8(b) {
        Some(s) => f.write_str(s),
        None => b.iter().try_for_each(|&c| f.write_char(if c.is_ascii() { c as char } else { '?' })),
    }
}

/// A path or name for a log line: `info!("... {}", Bytes(path))`.
pub struct Bytes<'a>(pub &'a [u8]);

impl uDisplay for Bytes<'_> {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut Formatter<'_, W>) -> Result<(), W::Error> {
        write_bytes(f, self.0)
    }
}

/// `b` as text when it is UTF-8 (RFC 3629: shortest forms, no surrogates, nothing past
/// U+10FFFF). A small check rather than core's validator, which is ten times its size.
pub fn utf8(b: &[u8]) -> Option<&str> {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        // The sequence's length, and the range its second byte must be in.
        let (n, lo, hi) = match c {
            0..=0x7f => (1, 0x80, 0xbf),
            0xc2..=0xdf => (2, 0x80, 0xbf),
            0xe0 => (3, 0xa0, 0xbf),
            0xed => (3, 0x80, 0x9f),
            0xe1..=0xef => (3, 0x80, 0xbf),
            0xf0 => (4, 0x90, 0xbf),
            0xf4 => (4, 0x80, 0x8f),
            0xf1..=0xf3 => (4, 0x80, 0xbf),
            _ => return None,
        };
        let rest = b.get(i + 1..i + n)?;
        if rest.first().is_some_and(|&x| x < lo || x > hi) || rest.iter().any(|&x| x & 0xc0 != 0x80) {
            return None;
        }
        i += n;
    }
    // SAFETY: every sequence was checked to be well-formed UTF-8 above.
    Some(unsafe { core::str::from_utf8_unchecked(b) })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    extern crate std;
    use std::string::String;

    pub struct S(pub String);
    impl ufmt::uWrite for S {
        type Error = core::convert::Infallible;
        fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
            self.0.push_str(s);
            Ok(())
        }
    }

    pub fn show(e: &Error) -> String {
        let mut s = S(String::new());
        ufmt::uwrite!(s, "{}", e).unwrap();
        s.0
    }

    #[test]
    fn utf8_is_checked_as_core_checks_it() {
        let cases: [&[u8]; 12] = [b"plain", "jos\u{e9}".as_bytes(), "\u{20ac}\u{10348}".as_bytes(), b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\xc3", b"a\xe2\x82", b"\xf0\x90\x8d\x88", b""];
        for c in cases {
            assert_eq!(utf8(c), core::str::from_utf8(c).ok(), "{c:?}");
        }
        // Every first and second byte, with endings that do and do not continue a sequence.
        for (a, b) in (0..=255u8).flat_map(|a| (0..=255u8).map(move |b| (a, b))) {
            for end in [[0x80, 0x80], [0xbf, 0x41], [0x41, 0x80]] {
                for s in [&[a, b][..], &[a, b, end[0]], &[a, b, end[0], end[1]]] {
                    assert_eq!(utf8(s).is_some(), core::str::from_utf8(s).is_ok(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn formats_syscall_errors_like_the_original() {
        assert_eq!(show(&Error::sys("pivot_root", libc::EINVAL, b"/srv/rootfs")), "pivot_root(/srv/rootfs): Invalid argument");
        assert_eq!(show(&Error::sys("socketpair", libc::EMFILE, b"")), "socketpair: Too many open files");
        assert_eq!(show(&Error::msg("unknown option", b"--foo")), "unknown option: --foo");
        assert_eq!(show(&Error::msg("no command given", b"")), "no command given");
        assert_eq!(show(&Error::sys("pivot_root", libc::EINVAL, b"/r").hint(HINT_CHROOT)), "pivot_root(/r): Invalid argument (--chroot where / cannot be pivoted from)");
    }

    #[test]
    fn long_paths_keep_their_tail() {
        let long = [b'a'; 300];
        let mut p = long.to_vec();
        p.extend_from_slice(b"/end");
        let s = show(&Error::sys("mkdir", libc::ENOENT, &p));
        assert!(s.starts_with("mkdir(...aaa"), "{s}");
        assert_eq!(s.len(), "mkdir(".len() + 256 + "): No such file or directory".len());
        assert!(s.ends_with("/end): No such file or directory"), "{s}");
    }

    #[test]
    fn a_waiting_error_keeps_its_path_while_another_is_made() {
        let a = Error::sys("mount", libc::EPERM, b"/first");
        let b = Error::sys("rmdir", libc::EBUSY, b"/second");
        assert_eq!(show(&b), "rmdir(/second): Device or resource busy");
        assert_eq!(show(&a), "mount(/first): Operation not permitted");
        let a2 = a.at(b"/moved");
        assert_eq!(show(&a2), "mount(/moved): Operation not permitted");
        assert_eq!(show(&b), "rmdir(/second): Device or resource busy");
        let k = Kept::new(a2);
        let _ = (Error::sys("a", 1, b"/a"), Error::sys("b", 1, b"/b"));
        assert_eq!(show(&k.error()), "mount(/moved): Operation not permitted");
    }

    #[test]
    fn exit_codes_follow_docker_and_sh() {
        assert_eq!(Error::exec(libc::ENOENT, b"x").exit_code(), 127);
        assert_eq!(Error::exec(libc::EACCES, b"x").exit_code(), 126);
        assert_eq!(Error::exec(libc::ENOEXEC, b"x").exit_code(), 126);
        assert_eq!(Error::exec(libc::ENOEXEC, b"x").hint(HINT_CHROOT).at(b"y").exit_code(), 126);
        assert_eq!(show(&Error::exec(libc::ENOENT, b"nope")), "execve(nope): No such file or directory");
        // What decides is the kind, not the name.
        assert_eq!(Error::sys("execve", libc::ENOENT, b"x").exit_code(), 125);
        assert_eq!(Error::sys("mount", libc::ENOENT, b"x").exit_code(), 125);
        assert_eq!(Error::msg("bad", b"").exit_code(), 125);
    }

    #[test]
    fn errno_text_matches_glibc() {
        assert_eq!(strerror(libc::EBADF), "Bad file descriptor");
        assert_eq!(strerror(libc::ENOTTY), "Inappropriate ioctl for device");
        assert_eq!(errno_name(libc::EPERM), "EPERM");
        assert_eq!(strerror(4000), "Unknown error");
        assert_eq!(strerror(libc::ENOTEMPTY), "Directory not empty");
        assert_eq!(strerror(libc::EOVERFLOW), "Value too large for defined data type");
        assert_eq!(strerror(libc::ESTALE), "Stale file handle");
        assert_eq!(errno_name(libc::EDQUOT), "EDQUOT");
        // clone's "user namespaces nested too deep", execve's bad ELF interpreter.
        assert_eq!((errno_name(libc::EUSERS), strerror(libc::EUSERS)), ("EUSERS", "Too many users"));
        assert_eq!(strerror(libc::ELIBBAD), "Accessing a corrupted shared library");
    }
}
