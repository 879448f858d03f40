//! Paths inside the root, opened without ever leaving it, and mount points made where they
//! are missing; and the image's own files (/etc/passwd), read without being led out of it.

use crate::buf::CBuf;
use crate::error::Error;
use crate::sys::{self, Fd};
use core::ffi::CStr;

type Path = CBuf<4096>;

/// Open `path` inside the root without ever leaving it: openat2(2) with RESOLVE_IN_ROOT
/// (Linux 5.6); `no_symlinks` refuses a symlink anywhere on the way. Older kernels get a
/// walk that refuses every symlink.
pub fn open_in(root: Fd, path: &CStr, flags: i32, no_symlinks: bool) -> Result<Fd, Error> {
    let mut resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    if no_symlinks {
        resolve |= libc::RESOLVE_NO_SYMLINKS;
    }
    let p = path.to_bytes();
    match sys::openat2(root, path, flags, resolve) {
        Err(e) if e.errno() == libc::ENOSYS => walk_nofollow(root, p, flags),
        Err(e) if e.errno() == libc::ELOOP && no_symlinks => Err(Error::msg("refused: a symlink in the root filesystem at", p)),
        r => r,
    }
}

/// The components of a path, without the empty ones and `.`.
pub fn components(p: &[u8]) -> Components<'_> {
    Components(p)
}

/// What `components` gives, one at a time; a copy goes on from the same place.
#[derive(Clone)]
pub struct Components<'a>(&'a [u8]);

impl<'a> Components<'a> {
    /// Whether another component follows.
    pub fn more(&self) -> bool {
        self.clone().next().is_some()
    }
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.0.is_empty() {
            let end = self.0.iter().position(|&c| c == b'/').unwrap_or(self.0.len());
            let (c, rest) = self.0.split_at(end);
            self.0 = rest.get(1..).unwrap_or_default();
            // `.` names the same place (`/dev/.` is /dev): gone, so that checks by name see
            // through it.
            if !c.is_empty() && c != b"." {
                return Some(c);
            }
        }
        None
    }
}

/// The pre-5.6 way: one component at a time with O_NOFOLLOW; a symlink is an error.
fn walk_nofollow(root: Fd, path: &[u8], flags: i32) -> Result<Fd, Error> {
    let mut cur = root;
    let mut parts = components(path);
    while let Some(part) = parts.next() {
        let mut name = CBuf::<256>::new();
        let f = if parts.more() { libc::O_PATH } else { flags };
        cur = sys::openat(cur, name.push(part)?.as_cstr(), f | libc::O_NOFOLLOW, 0).map_err(|e| e.at(path))?;
        if f & libc::O_PATH != 0 && sys::fstat(cur)?.mode & libc::S_IFMT == libc::S_IFLNK {
            return Err(Error::msg("refused: a symlink in the root filesystem (this kernel has no openat2) at", path));
        }
    }
    Ok(cur)
}

/// The mount point `path` inside the root, made when missing — but never in the image itself:
/// only on a filesystem runix put there (the overlay, a tmpfs) or a bind.
pub fn mount_point(root: Fd, path: &CStr, dir: bool, image_dev: u64, no_symlinks: bool) -> Result<Fd, Error> {
    match open_in(root, path, libc::O_PATH, no_symlinks) {
        Err(e) if e.errno() == libc::ENOENT => {}
        r => return r,
    }
    let path = path.to_bytes();
    let mut parent = root;
    let mut prefix = Path::new();
    let mut parts = components(path);
    while let Some(part) = parts.next() {
        prefix.push_all(&[b"/", part])?;
        match open_in(root, prefix.as_cstr(), libc::O_PATH, false) {
            Ok(fd) => parent = fd,
            Err(e) if e.errno() == libc::ENOENT => {
                if sys::fstat(parent)?.dev == image_dev {
                    return Err(Error::msg("mount point missing, and runix does not change the image (create it, or use --overlay)", path));
                }
                // The last component of the prefix, NUL-terminated already.
                let name = &prefix.as_cstr()[prefix.len() - part.len()..];
                let made = if parts.more() || dir {
                    sys::mkdirat(parent, name, 0o755)
                } else {
                    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW;
                    sys::openat(parent, name, flags, 0o644).and_then(sys::close)
                };
                // It exists, yet could not be opened: a symlink to nowhere (in the root).
                made.map_err(|e| if e.errno() == libc::EEXIST { Error::msg("refused: a dangling symlink in the root filesystem at", path) } else { e })?;
                parent = open_in(root, prefix.as_cstr(), libc::O_PATH, false)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(parent)
}

pub(super) const PROC_SUPER_MAGIC: u64 = 0x9fa0;
pub(super) const SYSFS_MAGIC: u64 = 0x6265_6572;

/// The most runix reads of a file of the image's (/etc/passwd, /etc/group).
const IMAGE_FILE_MAX: u64 = 1 << 20;

/// Call `f` with each line of the image's file `path`, opened inside the root `root` (openat2's
/// RESOLVE_IN_ROOT, no magic links: no way to the host's files) and only if it is a regular
/// file of at most IMAGE_FILE_MAX bytes, so a FIFO, a device or /proc/self/pagemap behind a
/// symlink cannot hang runix. Ok(false) when there is no such file, or it is not a regular
/// file, or one of procfs or sysfs (it is not read: for runix it is not there).
pub fn each_image_line(root: Fd, path: &CStr, f: &mut dyn FnMut(&[u8]) -> Result<bool, Error>) -> Result<bool, Error> {
    // O_NONBLOCK: opening a FIFO would block; O_NOCTTY: a terminal is not taken over.
    let fd = match open_in(root, path, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY, false) {
        Err(e) if e.errno() == libc::ENOENT => return Ok(false),
        r => r?,
    };
    let p = path.to_bytes();
    let st = sys::fstat(fd)?;
    // The fd is close-on-exec, and gone with the host's before the command runs (exec::close_fds).
    // procfs and sysfs files are the host kernel's, and some change what they read: runix,
    // with every capability still, would drain the host's /proc/kmsg.
    if st.mode & libc::S_IFMT != libc::S_IFREG || matches!(sys::fs_type(fd)?, PROC_SUPER_MAGIC | SYSFS_MAGIC) {
        return Ok(false);
    }
    // What the size said is all that is read: a file that grows meanwhile is not read on.
    let mut left = st.size;
    let r = match st.size > IMAGE_FILE_MAX {
        true => Err(Error::sys("read", libc::EFBIG, p)),
        false => crate::file::each_line(fd, p, &mut |line| {
            left = left.saturating_sub(line.len() as u64 + 1);
            Ok(f(line)? && left > 0)
        }),
    };
    // Over the size, or a line longer than each_line's buffer (E2BIG): said as one refusal.
    match r {
        Err(e) if matches!(e.errno(), libc::EFBIG | libc::E2BIG) => Err(Error::msg("refused: over 1 MiB or a line over 4 KiB, in the root filesystem", p)),
        r => r.map(|_| true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::record::{Kernel, Recording};
    use std::vec::Vec;

    #[test]
    fn a_lookup_the_hosts_mounts_raced_is_tried_again() {
        let rec = Recording::start(Kernel::Fake);
        let mut raced = 2;
        rec.answer(move |nr, _| match nr {
            syscalls::Sysno::openat2 if raced > 0 => {
                raced -= 1;
                Some(-libc::EAGAIN as isize)
            }
            _ => None,
        });
        assert_eq!(open_in(3, c"/etc/passwd", libc::O_RDONLY, false).unwrap(), crate::sys::trace::FAKE_FD);
        let calls = rec.calls();
        assert_eq!(calls.len(), 3, "{calls:?}");
        assert!(calls[0].ends_with("= -1 EAGAIN (Resource temporarily unavailable)") && calls[2].ends_with("= 1000"), "{calls:?}");
    }

    #[test]
    fn components_are_the_names_between_slashes_but_empty_ones_and_dots() {
        for (path, want) in [
            (&b"/dev/kvm"[..], &[&b"dev"[..], b"kvm"][..]),
            (b"//proc/./sys/", &[b"proc", b"sys"]),
            (b"/./dev/.", &[b"dev"]),
            (b"a", &[b"a"]),
            (b"/..x/../.", &[b"..x", b".."]),
            (b"/", &[]),
            (b"", &[]),
        ] {
            assert_eq!(components(path).collect::<Vec<_>>(), want, "{}", std::string::String::from_utf8_lossy(path));
        }
        // Whether one follows, without taking it.
        let mut c = components(b"/a/./b/.");
        assert!(c.next() == Some(b"a") && c.more());
        assert!(c.next() == Some(b"b") && !c.more() && c.next().is_none());
    }
}
