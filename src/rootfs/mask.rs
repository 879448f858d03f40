//! Docker's masked and read-only paths, made on runix's fresh /proc and /sys, which no mount of
//! the user's is on or under (CVE-2025-31133 came from masking by path after such mounts). The
//! top of each is opened once through the root's fd (no symlink followed), checked to be proc
//! or sysfs, and entered with fchdir(2): each mask's target is then a short walk in the
//! kernel's own names, where a target through /proc/self/fd/N walks that magic link on every
//! call. Only what this kernel lacks is skipped (ENOENT here can mean nothing else).

use super::{DIR, Mounts, fd_path};
use crate::error::Error;
use crate::spec::Mask;
use crate::sys;
use core::ffi::CStr;

/// The longest masked or read-only path a config.json may give: longer than any the kernel has.
pub const MASK_PATH_MAX: usize = 39;

/// The kernel filesystems masks are made on: where (in the container, and as a name in the
/// root), and the filesystem's magic (statfs(2)). Other paths are refused before (plan.rs,
/// oci/config.rs).
const KERNEL_FS: [(&[u8], &CStr, u64); 2] = [(b"/proc", c"proc", super::open::PROC_SUPER_MAGIC), (b"/sys", c"sys", super::open::SYSFS_MAGIC)];

impl Mounts {
    /// Enter the top of `path`'s kernel filesystem (make it the working directory), and return
    /// `path` from there.
    fn enter_kernel_fs(&mut self, path: &'static CStr) -> Result<&'static CStr, Error> {
        let b = path.to_bytes_with_nul();
        // /proc/... or /sys/... (plan.rs and oci/config.rs allow no other).
        let k = (b.get(1) == Some(&b's')) as usize;
        let (top, name, magic) = KERNEL_FS[k];
        if self.kernel_tops[k] < 0 {
            // Left open: closed with the host's fds after the switch into the root.
            let fd = sys::openat(self.root, name, DIR | libc::O_NOFOLLOW, 0).map_err(|e| e.at(top))?;
            if sys::fs_type(fd).map_err(|e| e.at(top))? != magic && !sys::trace::dry_run() {
                return Err(Error::msg("not runix's own mount", top));
            }
            self.kernel_tops[k] = fd;
        }
        if self.kernel_fs.get() != k + 1 {
            sys::fchdir(self.kernel_tops[k]).map_err(|e| e.at(top))?;
            self.kernel_fs.set(k + 1);
        }
        // The rest of a CStr after `top` and a slash: NUL-terminated, no NUL before (cannot fail).
        Ok(CStr::from_bytes_with_nul(&b[top.len() + 1..]).unwrap_or(c""))
    }

    /// Cover `m.path`: a file with runix's checked /dev/null, a directory with an empty
    /// read-only tmpfs, made at the first and bound onto the others.
    pub fn mask(&mut self, m: &Mask) -> Result<(), Error> {
        let (path, mut dir) = (m.path, m.dir);
        let p = self.enter_kernel_fs(path)?;
        let mut other_kind = false;
        loop {
            // The first directory gets the empty tmpfs; the others it, by its fd (it may be in
            // the other filesystem).
            let fresh = dir && self.empty < 0;
            let r = match fresh {
                // Opened at once: the others are bound from this fd.
                true => sys::mount(Some(c"tmpfs"), p, Some(c"tmpfs"), sys::MS_RDONLY, Some(c"size=0"))
                    .and_then(|_| sys::openat(sys::AT_FDCWD, p, DIR | libc::O_NOFOLLOW, 0))
                    .map(|fd| self.empty = fd),
                false => sys::mount(Some(fd_path(if dir { self.empty } else { self.null }).as_cstr()), p, None, sys::MS_BIND, None),
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
                Ok(()) => {}
            }
            return Ok(());
        }
    }

    /// Leave `r.path` readable but not writable: bound onto itself, then remounted read-only.
    pub fn read_only(&mut self, r: &Mask) -> Result<(), Error> {
        let path = r.path;
        let p = self.enter_kernel_fs(path)?;
        match sys::mount(Some(p), p, None, sys::MS_BIND | sys::MS_REC, None) {
            Err(e) if e.errno() == libc::ENOENT => return Ok(()),
            r => r.map_err(|e| e.at(path.to_bytes()))?,
        }
        // A bind remount keeps only the flags given: keep proc's own nosuid,nodev,noexec.
        let flags = sys::MS_REMOUNT | sys::MS_BIND | sys::MS_RDONLY | sys::MS_NOSUID | sys::MS_NODEV | sys::MS_NOEXEC;
        sys::mount(None, p, None, flags, None).map_err(|e| e.at(path.to_bytes()))
    }
}
