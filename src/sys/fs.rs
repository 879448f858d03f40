//! Files and file descriptors: read(2), write(2), openat(2), openat2(2), close(2),
//! mkdirat(2), unlinkat(2), mknodat(2), symlinkat(2), fstat, fchown(2), close_range(2),
//! getcwd(2), getdents64(2), ioctl(2), dup3(2), renameat2(2), flock(2), connect(2).

use super::{AT_FDCWD, Fd, Plain, call, call0, call_fd, p, pm, s};
use crate::error::Error;
use core::ffi::CStr;
use super::arch::nr;

/// ssize_t write(int fd, const void *buf, size_t count);
pub fn write(fd: Fd, buf: &[u8]) -> Result<usize, Error> {
    call(nr::write, fd as usize, buf.as_ptr() as usize, buf.len(), 0)
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

/// ssize_t read(int fd, void *buf, size_t count);
pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize, Error> {
    call(nr::read, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0)
}

/// int openat(int dirfd, const char *pathname, int flags, mode_t mode);
/// Every fd runix opens is O_CLOEXEC, so none leaks into the container's command.
#[inline(never)]
pub fn openat(dirfd: Fd, path: &CStr, flags: i32, mode: u32) -> Result<Fd, Error> {
    let flags = (flags | libc::O_CLOEXEC) as u64;
    call_fd(nr::openat, dirfd as usize, s(path), flags as usize, mode as usize)
}

/// int close(int fd);
pub fn close(fd: Fd) -> Result<(), Error> {
    call0(nr::close, fd as usize, 0, 0, 0)
}

/// int mkdirat(int dirfd, const char *pathname, mode_t mode);
pub fn mkdir(path: &CStr, mode: u32) -> Result<(), Error> {
    call0(nr::mkdirat, AT_FDCWD as usize, s(path), mode as usize, 0)
}

/// int unlinkat(int dirfd, const char *pathname, AT_REMOVEDIR);
pub fn rmdir(path: &CStr) -> Result<(), Error> {
    call0(nr::unlinkat, AT_FDCWD as usize, s(path), libc::AT_REMOVEDIR as usize, 0)
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
    let size = core::mem::size_of::<OpenHow>();
    // A `..` resolved while any mount or rename happens on the host says EAGAIN, to be tried
    // again (openat2(2), RESOLVE_IN_ROOT); an image's `../` symlinks are common. Each try is a
    // fresh lookup that fails only if the host changed its mounts during it again.
    loop {
        match call_fd(nr::openat2, dirfd as usize, s(path), p(&how), size) {
            Err(e) if e.errno() == libc::EAGAIN => {}
            r => return r,
        }
    }
}

/// int unlinkat(int dirfd, const char *pathname, int flags);
pub fn unlinkat(dirfd: Fd, path: &CStr, flags: i32) -> Result<(), Error> {
    call0(nr::unlinkat, dirfd as usize, s(path), flags as usize, 0)
}

/// int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, 0): replaces
/// `new` in one step, so a reader sees the old file or the new one, never a part.
pub fn rename(dirfd: Fd, old: &CStr, new: &CStr) -> Result<(), Error> {
    super::call5(nr::renameat2, dirfd as usize, s(old), dirfd as usize, s(new), 0).map(drop)
}

/// int flock(int fd, int op);
pub fn flock(fd: Fd, op: i32) -> Result<(), Error> {
    call0(nr::flock, fd as usize, op as usize, 0, 0)
}

/// socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), then int connect(int fd, const struct
/// sockaddr_un *addr, socklen_t len): a stream to the unix socket at `path`.
pub fn connect(path: &[u8]) -> Result<Fd, Error> {
    let mut addr = [0u8; 110]; // struct sockaddr_un: sun_family, then sun_path[108]
    addr[0] = libc::AF_UNIX as u8;
    let Some(dst) = addr.get_mut(2..2 + path.len()).filter(|_| path.len() < 108) else {
        return Err(Error::sys("connect", libc::ENAMETOOLONG, path));
    };
    dst.copy_from_slice(path);
    let fd = call_fd(nr::socket, libc::AF_UNIX as usize, (libc::SOCK_STREAM | libc::SOCK_CLOEXEC) as usize, 0, 0)?;
    match call0(nr::connect, fd as usize, p(&addr), addr.len(), 0) {
        Ok(()) => Ok(fd),
        Err(e) => {
            let _ = close(fd);
            Err(e.at(path))
        }
    }
}

/// int mkdirat(int dirfd, const char *pathname, mode_t mode);
pub fn mkdirat(dirfd: Fd, path: &CStr, mode: u32) -> Result<(), Error> {
    call0(nr::mkdirat, dirfd as usize, s(path), mode as usize, 0)
}

/// int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev);
pub fn mknodat(dirfd: Fd, path: &CStr, mode: u32, major: u32, minor: u32) -> Result<(), Error> {
    // The kernel's new_encode_dev: minor's low byte, major, then minor's high bits.
    let dev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
    call0(nr::mknodat, dirfd as usize, s(path), mode as usize, dev as usize)
}

/// int symlinkat(const char *target, int newdirfd, const char *linkpath);
pub fn symlinkat(target: &CStr, dirfd: Fd, path: &CStr) -> Result<(), Error> {
    call0(nr::symlinkat, s(target), dirfd as usize, s(path), 0)
}

/// mode_t umask(mode_t mask); returns the previous mask.
pub fn umask(mask: u32) -> u32 {
    call(nr::umask, mask as usize, 0, 0, 0).unwrap_or(0o022) as u32
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
    let mut st: super::arch::KernelStat = unsafe { core::mem::zeroed() };
    let flags = (libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) as u64;
    call0(nr::newfstatat, fd as usize, s(c""), pm(&mut st), flags as usize)?;
    Ok(Stat { dev: st.st_dev as u64, ino: st.st_ino as u64, mode: st.st_mode, rdev: st.st_rdev as u64, size: st.st_size as u64 })
}

/// int fchown(int fd, uid_t owner, gid_t group);
pub fn fchown(fd: Fd, uid: u32, gid: u32) -> Result<(), Error> {
    call0(nr::fchown, fd as usize, uid as usize, gid as usize, 0)
}

/// int fchownat(int dirfd, const char *path, uid_t owner, gid_t group, AT_SYMLINK_NOFOLLOW).
pub fn fchownat(dirfd: Fd, path: &CStr, uid: u32, gid: u32) -> Result<(), Error> {
    super::call5(nr::fchownat, dirfd as usize, s(path), uid as usize, gid as usize, libc::AT_SYMLINK_NOFOLLOW as usize).map(drop)
}

/// int close_range(unsigned first, unsigned last, 0) (Linux 5.9).
pub fn close_range(first: u32, last: u32) -> Result<(), Error> {
    call0(nr::close_range, first as usize, last as usize, 0, 0)
}

/// char *getcwd(char *buf, size_t size): the path of the working directory, as a length.
pub fn getcwd(buf: &mut [u8]) -> Result<usize, Error> {
    call(nr::getcwd, buf.as_mut_ptr() as usize, buf.len(), 0, 0)
}

/// ssize_t getdents64(int fd, void *dirp, size_t count);
pub fn getdents64(fd: Fd, buf: &mut [u8]) -> Result<usize, Error> {
    call(nr::getdents64, fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0)
}

/// int ioctl(int fd, unsigned long request, arg): `arg` is a number or a pointer.
pub fn ioctl(fd: Fd, request: u32, arg: usize) -> Result<usize, Error> {
    call(nr::ioctl, fd as usize, request as usize, arg, 0)
}

/// ioctl(fd, request, &value): for requests that read or fill a struct.
pub fn ioctl_with<T: Plain>(fd: Fd, request: u32, value: &mut T) -> Result<usize, Error> {
    ioctl(fd, request, pm(value))
}

/// int dup3(int oldfd, int newfd, 0): `newfd` becomes `oldfd`, without close-on-exec.
pub fn dup3(old: Fd, new: Fd) -> Result<(), Error> {
    call0(nr::dup3, old as usize, new as usize, 0, 0)
}

/// Read from `fd` until EOF or `out` is full, into an array of plain-integer structs (a BPF
/// program). Returns the bytes read; more data than fits is E2BIG.
pub fn read_plain<T: Plain>(fd: Fd, out: &mut [T]) -> Result<usize, Error> {
    // SAFETY: T is Plain: any bytes make a valid T, and it has no padding; the view covers
    // exactly `out`.
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
