//! runix's own /dev: a tmpfs with only the harmless devices, devpts, /dev/shm, /dev/mqueue and
//! the links, and its /dev/null checked before the masks use it.

use super::{DEV, DIR, Fs, Mounts, mount_on, mount_point, open_in};
use crate::buf::CBuf;
use crate::error::Error;
use crate::spec::Node;
use crate::sys;
use core::ffi::CStr;

/// A character device in runix's /dev: `path`, `major`:`minor`.
#[derive(PartialEq, Eq, Debug)]
pub struct Device {
    pub path: &'static CStr,
    pub major: u32,
    pub minor: u32,
}

/// A directory in runix's /dev: `path`, of `mode`, with `fs` mounted on it.
#[derive(PartialEq, Eq, Debug)]
pub struct DevMount {
    pub path: &'static CStr,
    pub mode: u32,
    pub fs: Fs<'static>,
}

/// A link in runix's /dev: `path`, to `target`.
#[derive(PartialEq, Eq, Debug)]
pub struct Link {
    pub path: &'static CStr,
    pub target: &'static CStr,
}

/// The name in runix's /dev of `path` (one of runix's, under /dev): "null" of "/dev/null".
fn name(path: &CStr) -> &CStr {
    &path[b"/dev/".len()..]
}

impl Mounts {
    /// The tmpfs on /dev, with MS_* `flags` (a /dev that is a symlink is refused), opened for
    /// what goes in it.
    pub fn mount_dev(&mut self, flags: u64) -> Result<(), Error> {
        self.mount_kernel(c"/dev", &Fs { flags, ..DEV })?;
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

    /// The character device `d`; where mknod is not allowed (a user namespace, an outer
    /// container's rules), the host's node bind-mounted onto an empty file instead.
    pub fn make_device(&self, d: &Device) -> Result<(), Error> {
        let (path, name) = (d.path, name(d.path));
        match sys::mknodat(self.dev, name, libc::S_IFCHR | 0o666, d.major, d.minor) {
            Err(e) if e.errno() == libc::EPERM => {
                let f = sys::openat(self.dev, name, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o666)?;
                mount_on(&Fs { src: Some(path), fstype: None, flags: sys::MS_BIND, data: None }, f, b"", path.to_bytes())?;
                sys::close(f)
            }
            r => r,
        }
    }

    /// A config.json's device nodes, after runix's own (which a node of the same path leaves
    /// as they are, as runc's defaults win over it), their directories made as needed, with no
    /// symlink followed (/dev is runix's tmpfs, nothing of the image's in it yet).
    pub fn make_nodes(&mut self, nodes: &[Node]) -> Result<(), Error> {
        self.clear_umask();
        for n in nodes {
            let path = n.path.to_bytes();
            let rest = &path[b"/dev/".len()..];
            let cut = rest.iter().rposition(|&c| c == b'/');
            let dir = match cut {
                Some(i) => mount_point(self.dev, CBuf::<256>::from(&[&rest[..i]])?.as_cstr(), true, u64::MAX, true)?,
                None => self.dev,
            };
            let name = &n.path[b"/dev/".len() + cut.map_or(0, |i| i + 1)..];
            match sys::mknodat(dir, name, n.mode, n.major, n.minor) {
                Err(e) if e.errno() == libc::EEXIST => {}
                r => r.and_then(|_| if n.uid | n.gid != 0 { sys::fchownat(dir, name, n.uid, n.gid) } else { Ok(()) }).map_err(|e| e.at(path))?,
            }
        }
        self.restore_umask();
        Ok(())
    }

    /// The directory `d.path`, and `d.fs` mounted on it.
    pub fn mount_in_dev(&self, d: &DevMount) -> Result<(), Error> {
        let path = d.path.to_bytes();
        sys::mkdirat(self.dev, name(d.path), d.mode)?;
        self.mount_at(&d.fs, self.dev, name(d.path), path)
    }

    /// The link `l.path` to `l.target`.
    pub fn symlink_in_dev(&self, l: &Link) -> Result<(), Error> {
        sys::symlinkat(l.target, self.dev, name(l.path))
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
