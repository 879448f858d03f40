//! One error type for all of runix: which call failed, with which errno, on which path.
//! It is Copy and allocation-free, so the child can send it to the parent over a socket, and
//! it is printed exactly once, by the parent, as `runix: pivot_root(/srv/rootfs): Invalid argument`.

use ufmt::{uDisplay, uWrite, Formatter};

/// Longest path or value kept for the message; longer ones keep their tail behind "...".
const DETAIL: usize = 200;

#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub struct Error {
    /// The syscall (`mount`, `pivot_root`) or, for bad input, what was wrong (`invalid --pids`).
    what: &'static str,
    /// errno, or 0 for errors that are not a failed syscall.
    errno: i32,
    /// What the user can do about it, shown after the errno text; "" for none.
    hint: &'static str,
    len: u8,
    detail: [u8; DETAIL],
}

impl Error {
    /// A failed syscall, with the path (or value) it was about.
    pub fn sys(what: &'static str, errno: i32, path: &[u8]) -> Error {
        Error { what, errno, hint: "", len: 0, detail: [0; DETAIL] }.at(path)
    }

    /// Bad input or a failed check: `what: detail`.
    pub fn msg(what: &'static str, detail: &[u8]) -> Error {
        Error::sys(what, 0, detail)
    }

    /// The same error about another path (the caller knows better what the call was about).
    pub fn at(mut self, path: &[u8]) -> Error {
        if path.len() <= DETAIL {
            self.detail[..path.len()].copy_from_slice(path);
            self.len = path.len() as u8;
        } else {
            let tail = &path[path.len() - (DETAIL - 3)..];
            self.detail[..3].copy_from_slice(b"...");
            self.detail[3..].copy_from_slice(tail);
            self.len = DETAIL as u8;
        }
        self
    }

    /// The same error with advice for the user, as bwrap gives for known errnos.
    pub fn hint(mut self, hint: &'static str) -> Error {
        self.hint = hint;
        self
    }

    pub fn errno(&self) -> i32 {
        self.errno
    }

    pub fn what(&self) -> &'static str {
        self.what
    }

    pub fn detail(&self) -> &[u8] {
        &self.detail[..self.len as usize]
    }

    /// The exit status runix ends with: 127 command not found, 126 found but not executable
    /// (as sh(1) and docker run do), 125 for everything else that went wrong in runix.
    pub fn exit_code(&self) -> i32 {
        match (self.what, self.errno) {
            ("execve", libc::ENOENT) => 127,
            ("execve", _) => 126,
            _ => 125,
        }
    }
}

impl uDisplay for Error {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut Formatter<'_, W>) -> Result<(), W::Error> {
        f.write_str(self.what)?;
        let detail = self.detail();
        if self.errno != 0 {
            if !detail.is_empty() {
                f.write_str("(")?;
                write_bytes(f, detail)?;
                f.write_str(")")?;
            }
            f.write_str(": ")?;
            f.write_str(strerror(self.errno))?;
        } else if !detail.is_empty() {
            f.write_str(": ")?;
            write_bytes(f, detail)?;
        }
        if !self.hint.is_empty() {
            f.write_str(" (")?;
            f.write_str(self.hint)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Bytes from the command line or the filesystem, shown as text (invalid UTF-8 as '?').
pub fn write_bytes<W: uWrite + ?Sized>(f: &mut Formatter<'_, W>, b: &[u8]) -> Result<(), W::Error> {
    for chunk in b.utf8_chunks() {
        f.write_str(chunk.valid())?;
        if !chunk.invalid().is_empty() {
            f.write_str("?")?;
        }
    }
    Ok(())
}

/// errno names and glibc's strerror(3) texts, so messages read as users know them.
const ERRNOS: &[(i32, &str, &str)] = &[
    (1, "EPERM", "Operation not permitted"),
    (2, "ENOENT", "No such file or directory"),
    (3, "ESRCH", "No such process"),
    (4, "EINTR", "Interrupted system call"),
    (5, "EIO", "Input/output error"),
    (6, "ENXIO", "No such device or address"),
    (7, "E2BIG", "Argument list too long"),
    (8, "ENOEXEC", "Exec format error"),
    (9, "EBADF", "Bad file descriptor"),
    (10, "ECHILD", "No child processes"),
    (11, "EAGAIN", "Resource temporarily unavailable"),
    (12, "ENOMEM", "Cannot allocate memory"),
    (13, "EACCES", "Permission denied"),
    (14, "EFAULT", "Bad address"),
    (15, "ENOTBLK", "Block device required"),
    (16, "EBUSY", "Device or resource busy"),
    (17, "EEXIST", "File exists"),
    (18, "EXDEV", "Invalid cross-device link"),
    (19, "ENODEV", "No such device"),
    (20, "ENOTDIR", "Not a directory"),
    (21, "EISDIR", "Is a directory"),
    (22, "EINVAL", "Invalid argument"),
    (23, "ENFILE", "Too many open files in system"),
    (24, "EMFILE", "Too many open files"),
    (25, "ENOTTY", "Inappropriate ioctl for device"),
    (26, "ETXTBSY", "Text file busy"),
    (27, "EFBIG", "File too large"),
    (28, "ENOSPC", "No space left on device"),
    (29, "ESPIPE", "Illegal seek"),
    (30, "EROFS", "Read-only file system"),
    (31, "EMLINK", "Too many links"),
    (32, "EPIPE", "Broken pipe"),
    (33, "EDOM", "Numerical argument out of domain"),
    (34, "ERANGE", "Numerical result out of range"),
    (35, "EDEADLK", "Resource deadlock avoided"),
    (36, "ENAMETOOLONG", "File name too long"),
    (37, "ENOLCK", "No locks available"),
    (38, "ENOSYS", "Function not implemented"),
    (39, "ENOTEMPTY", "Directory not empty"),
    (40, "ELOOP", "Too many levels of symbolic links"),
    (61, "ENODATA", "No data available"),
    (71, "EPROTO", "Protocol error"),
    (75, "EOVERFLOW", "Value too large for defined data type"),
    (88, "ENOTSOCK", "Socket operation on non-socket"),
    (95, "EOPNOTSUPP", "Operation not supported"),
    (97, "EAFNOSUPPORT", "Address family not supported by protocol"),
    (98, "EADDRINUSE", "Address already in use"),
    (99, "EADDRNOTAVAIL", "Cannot assign requested address"),
    (110, "ETIMEDOUT", "Connection timed out"),
    (111, "ECONNREFUSED", "Connection refused"),
    (116, "ESTALE", "Stale file handle"),
    (122, "EDQUOT", "Disk quota exceeded"),
];

fn lookup(errno: i32) -> Option<&'static (i32, &'static str, &'static str)> {
    ERRNOS.iter().find(|e| e.0 == errno)
}

/// strerror(3) for the errnos runix meets; "Unknown error" otherwise.
pub fn strerror(errno: i32) -> &'static str {
    lookup(errno).map_or("Unknown error", |e| e.2)
}

/// The errno's symbolic name (`EPERM`), for --trace; "E?" when not in the table.
pub fn errno_name(errno: i32) -> &'static str {
    lookup(errno).map_or("E?", |e| e.1)
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
    fn formats_syscall_errors_like_the_original() {
        assert_eq!(show(&Error::sys("pivot_root", libc::EINVAL, b"/srv/rootfs")), "pivot_root(/srv/rootfs): Invalid argument");
        assert_eq!(show(&Error::sys("socketpair", libc::EMFILE, b"")), "socketpair: Too many open files");
        assert_eq!(show(&Error::msg("unknown option", b"--foo")), "unknown option: --foo");
        assert_eq!(show(&Error::msg("no command given", b"")), "no command given");
        assert_eq!(show(&Error::sys("pivot_root", libc::EINVAL, b"/r").hint("try --chroot")), "pivot_root(/r): Invalid argument (try --chroot)");
    }

    #[test]
    fn long_paths_keep_their_tail() {
        let long = [b'a'; 300];
        let mut p = long.to_vec();
        p.extend_from_slice(b"/end");
        let s = show(&Error::sys("mkdir", libc::ENOENT, &p));
        assert!(s.starts_with("mkdir(...aaa"), "{s}");
        assert!(s.ends_with("/end): No such file or directory"), "{s}");
    }

    #[test]
    fn exit_codes_follow_docker_and_sh() {
        assert_eq!(Error::sys("execve", libc::ENOENT, b"x").exit_code(), 127);
        assert_eq!(Error::sys("execve", libc::EACCES, b"x").exit_code(), 126);
        assert_eq!(Error::sys("execve", libc::ENOEXEC, b"x").exit_code(), 126);
        assert_eq!(Error::sys("mount", libc::ENOENT, b"x").exit_code(), 125);
        assert_eq!(Error::msg("bad", b"").exit_code(), 125);
    }

    #[test]
    fn errno_text_matches_glibc() {
        assert_eq!(strerror(libc::EBADF), "Bad file descriptor");
        assert_eq!(strerror(libc::ENOTTY), "Inappropriate ioctl for device");
        assert_eq!(errno_name(libc::EPERM), "EPERM");
        assert_eq!(strerror(4000), "Unknown error");
    }
}
