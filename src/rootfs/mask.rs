//! Docker's masked and read-only paths, made on runix's fresh /proc and /sys, by fd: each path
//! is /proc/self/fd/ROOT/proc/NAME, through the root's /proc (no symlink: mount_kernel) into
//! runix's mount on it, which no mount of the user's is on or under (CVE-2025-31133 came from
//! masking by path after such mounts), and the kernel's own names. Only what this kernel lacks
//! is skipped (ENOENT here can mean nothing else).

use super::{Mounts, fd_path};
use crate::buf::CBuf;
use crate::error::Error;
use crate::spec::Mask;
use crate::sys;
use core::ffi::CStr;

/// The longest masked or read-only path: what fits after `/proc/self/fd/N` (24 bytes at
/// most) in `in_root`'s 64-byte buffer, with its NUL.
pub const MASK_PATH_MAX: usize = 64 - 24 - 1;

impl Mounts {
    /// /proc/self/fd/ROOT`path`.
    fn in_root(&self, path: &CStr) -> CBuf<64> {
        let mut p = fd_path(self.root);
        // Cannot overflow: 24 bytes and MASK_PATH_MAX (plan.rs checks its tables at build time).
        let _ = p.push(path.to_bytes());
        p
    }

    /// Cover `m.path`: a file with runix's checked /dev/null, a directory with an empty
    /// read-only tmpfs, made at the first and bound onto the others.
    pub fn mask(&mut self, m: &Mask) -> Result<(), Error> {
        let (path, mut dir) = (m.path, m.dir);
        let null = fd_path(self.null);
        let p = self.in_root(path);
        let mut other_kind = false;
        loop {
            let r = match (dir, &self.empty) {
                (false, _) => sys::mount(Some(null.as_cstr()), p.as_cstr(), None, sys::MS_BIND, None),
                (true, Some(e)) => sys::mount(Some(e.as_cstr()), p.as_cstr(), None, sys::MS_BIND, None),
                (true, None) => sys::mount(Some(c"tmpfs"), p.as_cstr(), Some(c"tmpfs"), sys::MS_RDONLY, Some(c"size=0")),
            };
            match r {
                // Not the usual kind on this kernel: once more as the other.
                Err(e) if e.errno() == libc::ENOTDIR && !other_kind => {
                    other_kind = true;
                    dir = !dir;
                    continue;
                }
                Err(e) if e.errno() == libc::ENOENT => {}
                Err(e) => return Err(e.at(path.to_bytes())),
                Ok(()) if dir && self.empty.is_none() => self.empty = Some(p),
                Ok(()) => {}
            }
            return Ok(());
        }
    }

    /// Leave `r.path` readable but not writable: bound onto itself, then remounted read-only.
    pub fn read_only(&self, r: &Mask) -> Result<(), Error> {
        let path = r.path;
        let p = self.in_root(path);
        match sys::mount(Some(p.as_cstr()), p.as_cstr(), None, sys::MS_BIND | sys::MS_REC, None) {
            Err(e) if e.errno() == libc::ENOENT => return Ok(()),
            r => r.map_err(|e| e.at(path.to_bytes()))?,
        }
        // A bind remount keeps only the flags given: keep proc's own nosuid,nodev,noexec.
        let flags = sys::MS_REMOUNT | sys::MS_BIND | sys::MS_RDONLY | sys::MS_NOSUID | sys::MS_NODEV | sys::MS_NOEXEC;
        sys::mount(None, p.as_cstr(), None, flags, None).map_err(|e| e.at(path.to_bytes()))
    }
}
