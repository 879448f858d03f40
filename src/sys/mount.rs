//! Mounts, roots and namespaces: mount(2) and the new mount API (mount_setattr, open_tree,
//! move_mount), umount2(2), pivot_root(2), chroot(2), chdir(2), statfs(2); the namespaces:
//! unshare(2), sethostname(2), a new network namespace's loopback.

use super::{AT_FDCWD, Fd, call, call0, call5, call_fd, os, p, pm, s};
use crate::error::Error;
use core::ffi::CStr;
use super::arch::nr;

/// mount(2)'s flags as the u64 runix keeps them in (libc's are unsigned long: 32 bits on arm).
pub const MS_BIND: u64 = libc::MS_BIND as u64;
pub const MS_MOVE: u64 = libc::MS_MOVE as u64;
pub const MS_NODEV: u64 = libc::MS_NODEV as u64;
pub const MS_NOEXEC: u64 = libc::MS_NOEXEC as u64;
pub const MS_NOSUID: u64 = libc::MS_NOSUID as u64;
pub const MS_PRIVATE: u64 = libc::MS_PRIVATE as u64;
pub const MS_RDONLY: u64 = libc::MS_RDONLY as u64;
pub const MS_REC: u64 = libc::MS_REC as u64;
pub const MS_REMOUNT: u64 = libc::MS_REMOUNT as u64;
pub const MS_STRICTATIME: u64 = libc::MS_STRICTATIME as u64;

/// int mount(const char *source, const char *target, const char *fstype,
///           unsigned long flags, const void *data);
pub fn mount(src: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>) -> Result<(), Error> {
    call5(nr::mount, os(src), s(target), os(fstype), flags as usize, os(data)).map(drop)
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
    mount_setattr(path, set, 0, libc::AT_RECURSIVE)
}

/// mount_setattr(2) on the mount at `path` alone: `clr` cleared.
pub fn mount_setattr_clear(path: &CStr, clr: u64) -> Result<(), Error> {
    mount_setattr(path, 0, clr, 0)
}

fn mount_setattr(path: &CStr, set: u64, clr: u64, at: i32) -> Result<(), Error> {
    let attr = MountAttr { set, clr, propagation: 0, userns_fd: 0 };
    let size = core::mem::size_of::<MountAttr>();
    call5(nr::mount_setattr, AT_FDCWD as usize, s(path), at as usize, p(&attr), size).map(drop)
}

/// int open_tree(int dirfd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [|
/// AT_RECURSIVE]) (Linux 5.2): a detached copy of the mount at `fd` (with those below it for
/// MS_REC), as an fd, to attach with `move_mount`.
pub fn open_tree(fd: Fd, rec: u64) -> Result<Fd, Error> {
    let rec = if rec != 0 { libc::AT_RECURSIVE } else { 0 };
    let flags = libc::AT_EMPTY_PATH | 1 | libc::O_CLOEXEC | rec;
    call_fd(nr::open_tree, fd as usize, s(c""), flags as usize, 0)
}

/// int move_mount(int from, "", int to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
/// (Linux 5.2): attach the mount `from` onto what `to` is.
pub fn move_mount(from: Fd, to: Fd) -> Result<(), Error> {
    call5(nr::move_mount, from as usize, s(c""), to as usize, s(c""), 0x4 | 0x40).map(drop)
}

/// int umount2(const char *target, int flags);
pub fn umount2(target: &CStr, flags: i32) -> Result<(), Error> {
    call0(nr::umount2, s(target), flags as usize, 0, 0)
}

/// int pivot_root(const char *new_root, const char *put_old);
pub fn pivot_root(new_root: &CStr, put_old: &CStr) -> Result<(), Error> {
    call0(nr::pivot_root, s(new_root), s(put_old), 0, 0)
}

/// int chroot(const char *path);
pub fn chroot(path: &CStr) -> Result<(), Error> {
    call0(nr::chroot, s(path), 0, 0, 0)
}

/// int chdir(const char *path);
pub fn chdir(path: &CStr) -> Result<(), Error> {
    call0(nr::chdir, s(path), 0, 0, 0)
}

/// int fchdir(int fd);
pub fn fchdir(fd: Fd) -> Result<(), Error> {
    call0(nr::fchdir, fd as usize, 0, 0, 0)
}

/// The MS_* flags of the mount holding `path` that a remount must keep: statfs(2)'s f_flags
/// (ST_* has the same bits as MS_* for these). In a user namespace a remount may not clear
/// them: they are locked (mount_namespaces(7)). The atime mode is left out: a remount given
/// none of MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME keeps the mount's own
/// (mount(2)), and statfs shows relatime in another bit (ST_RELATIME is MS_BIND's) and
/// strictatime in none.
pub fn mount_flags(path: &CStr) -> Result<u64, Error> {
    Ok(statfs(nr::statfs, s(path))?.1 & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC))
}

/// The type (f_type, a magic number) of the filesystem `path` is on.
pub fn fs_type_at(path: &CStr) -> Result<u64, Error> {
    Ok(statfs(nr::statfs, s(path))?.0)
}

/// int fstatfs(int fd, struct statfs *buf): the type (f_type, a magic number) of the
/// filesystem `fd` is on.
pub fn fs_type(fd: Fd) -> Result<u64, Error> {
    Ok(statfs(nr::fstatfs, fd as usize)?.0)
}

/// int statfs(const char *path, struct statfs *buf), or fstatfs of an fd: f_type and f_flags.
#[cfg(target_pointer_width = "64")]
fn statfs(nr: syscalls::Sysno, at: usize) -> Result<(u64, u64), Error> {
    // The kernel's struct statfs on 64-bit: ten longs, then f_flags, then spare.
    let mut st = [0u64; 15];
    call0(nr, at, pm(&mut st), 0, 0)?;
    Ok((st[0], st[10]))
}

/// int statfs64(const char *path, size_t size, struct statfs64 *buf), or fstatfs64 of an fd:
/// f_type and f_flags.
#[cfg(target_pointer_width = "32")]
fn statfs(nr: syscalls::Sysno, at: usize) -> Result<(u64, u64), Error> {
    // struct statfs64, 84 bytes on arm EABI: f_type, f_bsize, five 64-bit counts, f_fsid,
    // f_namelen, f_frsize, f_flags, spare.
    let mut st = [0u32; 21];
    call0(nr, at, size_of_val(&st), pm(&mut st), 0)?;
    Ok((st[0] as u64, st[16] as u64))
}

/// int unshare(int flags);
pub fn unshare(flags: u64) -> Result<(), Error> {
    call0(nr::unshare, flags as usize, 0, 0, 0)
}

/// int setns(int fd, int nstype): join the namespace `fd` is, which must be of type `nstype`
/// (CLONE_NEW*; EINVAL for another type, or a file that is no namespace).
pub fn setns(fd: Fd, nstype: u32) -> Result<(), Error> {
    call0(nr::setns, fd as usize, nstype as usize, 0, 0)
}

/// int sethostname(const char *name, size_t len);
pub fn sethostname(name: &CStr) -> Result<(), Error> {
    let b = name.to_bytes();
    call0(nr::sethostname, s(name), b.len(), 0, 0)
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
    let fd = call(nr::socket, libc::AF_INET as usize, (libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as usize, 0, 0)?;
    // Nothing else about a new namespace's lo needs keeping: set its flags outright. The
    // socket is close-on-exec; it goes with the execve.
    let mut ifr = IfReq { name: [0; 16], flags: (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as i16, _pad: [0; 22] };
    ifr.name[..2].copy_from_slice(b"lo");
    call0(nr::ioctl, fd, libc::SIOCSIFFLAGS as usize, p(&ifr), 0).map_err(|e| Error::sys("ioctl(SIOCSIFFLAGS)", e.errno(), b"lo"))
}
