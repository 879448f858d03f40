//! runix's own /dev: a tmpfs with only the harmless devices, devpts, /dev/shm, /dev/mqueue and
//! the links, and its /dev/null checked before the masks use it.

use super::{DEV, DIR, Fs, Mounts, mount_on, open_in};
use crate::error::Error;
use crate::sys;
use core::ffi::CStr;

/// The name in runix's /dev of `path` (one of runix's, under /dev): "null" of "/dev/null".
fn name(path: &CStr) -> &CStr {
    &path[b"/dev/".len()..]
}

impl Mounts {
    /// The tmpfs on /dev (a /dev that is a symlink is refused), opened for what goes in it.
    pub fn mount_dev(&mut self) -> Result<(), Error> {
        self.mount_kernel(c"/dev", &DEV)?;
        self.dev = open_in(self.root, c"/dev", DIR, true)?;
        Ok(())
    }

    /// Before the devices: mknod's mode goes through the umask, and 0666 must stay 0666.
    pub fn clear_umask(&mut self) {
        self.umask = sys::umask(0);
    }

    /// After the devices: the umask as it was.
    pub fn restore_umask(&self) {
        sys::umask(self.umask);
    }

    /// The character device `major`:`minor` at `path` in /dev; where mknod is not allowed (a
    /// user namespace, an outer container's rules), the host's node bind-mounted onto an empty
    /// file instead.
    pub fn make_device(&self, path: &CStr, major: u32, minor: u32) -> Result<(), Error> {
        let name = name(path);
        match sys::mknodat(self.dev, name, libc::S_IFCHR | 0o666, major, minor) {
            Err(e) if e.errno() == libc::EPERM => {
                let f = sys::openat(self.dev, name, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o666)?;
                mount_on(&Fs { src: Some(path), fstype: None, flags: libc::MS_BIND, data: None }, f, b"", path.to_bytes())?;
                sys::close(f)
            }
            r => r,
        }
    }

    /// The directory `path` in /dev, of `mode`, and `fs` mounted on it.
    pub fn mount_in_dev(&self, path: &CStr, mode: u32, fs: &Fs) -> Result<(), Error> {
        sys::mkdirat(self.dev, name(path), mode)?;
        // /proc/self/fd/DEV/NAME.
        mount_on(fs, self.dev, &path.to_bytes()[b"/dev".len()..], path.to_bytes())
    }

    /// The link `path` in /dev to `target`.
    pub fn symlink_in_dev(&self, path: &CStr, target: &CStr) -> Result<(), Error> {
        sys::symlinkat(target, self.dev, name(path))
    }

    /// runix's /dev/null, opened and checked: the source of every file mask.
    pub fn check_null(&mut self) -> Result<(), Error> {
        let null = sys::openat(self.dev, c"null", libc::O_PATH | libc::O_NOFOLLOW, 0)?;
        let st = sys::fstat(null)?;
        if (st.mode & libc::S_IFMT != libc::S_IFCHR || st.rdev != sys::dev(1, 3)) && !sys::trace::dry_run() {
            return Err(Error::msg("not the null device (1:3)", b"/dev/null"));
        }
        self.null = null;
        Ok(())
    }
}
