//! errno numbers as users know them: glibc's strerror(3) texts, and the symbolic names
//! `--trace` shows.

/// errno names and glibc's strerror(3) texts, so messages read as users know them: line N is
/// errno N, `NAME text`, empty where runix never meets that errno. One string, not a table of
/// pointers: a third of the size.
const ERRNOS: &str = "\n\
EPERM Operation not permitted\n\
ENOENT No such file or directory\n\
ESRCH No such process\n\
EINTR Interrupted system call\n\
EIO Input/output error\n\
ENXIO No such device or address\n\
E2BIG Argument list too long\n\
ENOEXEC Exec format error\n\
EBADF Bad file descriptor\n\
ECHILD No child processes\n\
EAGAIN Resource temporarily unavailable\n\
ENOMEM Cannot allocate memory\n\
EACCES Permission denied\n\
EFAULT Bad address\n\
ENOTBLK Block device required\n\
EBUSY Device or resource busy\n\
EEXIST File exists\n\
EXDEV Invalid cross-device link\n\
ENODEV No such device\n\
ENOTDIR Not a directory\n\
EISDIR Is a directory\n\
EINVAL Invalid argument\n\
ENFILE Too many open files in system\n\
EMFILE Too many open files\n\
ENOTTY Inappropriate ioctl for device\n\
ETXTBSY Text file busy\n\
EFBIG File too large\n\
ENOSPC No space left on device\n\
ESPIPE Illegal seek\n\
EROFS Read-only file system\n\
EMLINK Too many links\n\
EPIPE Broken pipe\n\
EDOM Numerical argument out of domain\n\
ERANGE Numerical result out of range\n\
EDEADLK Resource deadlock avoided\n\
ENAMETOOLONG File name too long\n\
ENOLCK No locks available\n\
ENOSYS Function not implemented\n\
ENOTEMPTY Directory not empty\n\
ELOOP Too many levels of symbolic links\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
ENODATA No data available\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
EPROTO Protocol error\n\
\n\
\n\
\n\
EOVERFLOW Value too large for defined data type\n\
\n\
\n\
\n\
\n\
ELIBBAD Accessing a corrupted shared library\n\
\n\
\n\
\n\
\n\
\n\
\n\
EUSERS Too many users\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
EOPNOTSUPP Operation not supported\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
\n\
ESTALE Stale file handle\n\
\n\
\n\
\n\
\n\
\n\
EDQUOT Disk quota exceeded";

/// (name, text) of errno `n`.
fn lookup(n: i32) -> Option<(&'static str, &'static str)> {
    let line = crate::text::field(ERRNOS, b'\n', u64::try_from(n).ok()?)?;
    Some((crate::text::field(line, b' ', 0)?, line.get(line.bytes().position(|c| c == b' ')? + 1..)?))
}

/// strerror(3) for the errnos runix meets; "Unknown error" otherwise.
pub fn strerror(errno: i32) -> &'static str {
    lookup(errno).map_or("Unknown error", |e| e.1)
}

/// The errno's symbolic name (`EPERM`), for --trace; "E?" when not in the table.
pub fn errno_name(errno: i32) -> &'static str {
    lookup(errno).map_or("E?", |e| e.0)
}
