//! The container's filesystem: the root mount (a bind, or an overlay), /proc, /sys, /dev, the
//! user's binds and tmpfs, the masked and read-only paths, and the switch into the root.
//!
//! The root filesystem is hostile: any path in it may be a symlink meant to lead a mount out of
//! it (runc CVE-2021-30465). So every mount target in it is opened with openat2(2)'s
//! RESOLVE_IN_ROOT, which looks `..` and symlinks up as if the root were `/`, and the mount goes
//! onto that open file through /proc/self/fd/N. The host side (bind sources, the root itself)
//! is opened by the parent, before anything is made, so bad input costs nothing to undo.

use crate::buf::CBuf;
use crate::cgroup;
use crate::error::Error;
use crate::spec::{MAX_MOUNTS, MountKind, Overlay, RootMode, Spec};
use crate::sys::{self, Fd};
use core::ffi::CStr;

type Path = CBuf<4096>;

/// The root directory and each bind source, opened (O_PATH) before anything is mounted.
pub struct Sources {
    pub root: Fd,
    /// The device of the image's filesystem, where runix makes no mount point.
    image_dev: u64,
    binds: [Fd; MAX_MOUNTS],
    /// Whether each bind source is a directory (else a file is made as its mount point).
    dirs: [bool; MAX_MOUNTS],
    upper: Fd,
}

/// Parent, before anything exists: the root must be a directory we can reach.
pub fn check_root(spec: &Spec) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, spec.rootfs, libc::O_PATH | libc::O_DIRECTORY, 0).map_err(|e| Error::sys("rootfs", e.errno(), spec.rootfs.to_bytes()))?;
    sys::close(fd)
}

/// Child, in its new mount namespace but still seeing the host's files: open the root and
/// every bind source once. Opened here, not in the parent, because a bind's source must be a
/// mount of the caller's own namespace (mount(2), EINVAL).
#[inline(never)]
pub fn open_sources(spec: &Spec) -> Result<Sources, Error> {
    let dir = libc::O_PATH | libc::O_DIRECTORY;
    let root = sys::openat(sys::AT_FDCWD, spec.rootfs, dir, 0).map_err(|e| Error::sys("rootfs", e.errno(), spec.rootfs.to_bytes()))?;
    let mut s = Sources { root, image_dev: sys::fstat(root)?.dev, binds: [-1; MAX_MOUNTS], dirs: [true; MAX_MOUNTS], upper: -1 };
    for (i, m) in spec.mounts.iter().enumerate() {
        if let MountKind::Bind { src, .. } = m.kind {
            let p = Path::from(&[src])?;
            let fd = sys::openat(sys::AT_FDCWD, p.as_cstr(), libc::O_PATH, 0).map_err(|e| Error::sys("bind source", e.errno(), src))?;
            s.binds[i] = fd;
            s.dirs[i] = sys::fstat(fd)?.mode & libc::S_IFMT == libc::S_IFDIR;
        }
    }
    if let Overlay::Upper(d) = spec.overlay {
        s.upper = sys::openat(sys::AT_FDCWD, d, dir, 0).map_err(|e| Error::sys("overlay upper", e.errno(), d.to_bytes()))?;
    }
    Ok(s)
}

/// Stop mount events crossing between the host and the container, both ways. Without this,
/// on a host where / is shared (systemd's default) the bind, the pivot_root and the umount
/// below would propagate back into the host's mount table (mount_namespaces(7)).
pub fn make_private() -> Result<(), Error> {
    sys::mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None)
}

/// "/proc/self/fd/N": a path to what fd N is, for syscalls that take paths (mount(2)).
fn fd_path(fd: Fd) -> CBuf<32> {
    let mut p = CBuf::new();
    let mut digits = [0u8; 12];
    // Cannot overflow: 14 + 10 digits.
    let _ = p.push(b"/proc/self/fd/").and_then(|p| p.push(cgroup::itoa(fd as u64, &mut digits)));
    p
}

/// The root mount, and an fd of its top. Either ROOTFS bound onto itself (pivot_root(2) and
/// MS_MOVE need a mount point), or an overlayfs with ROOTFS as its lower layer and the
/// changes in a tmpfs (or --overlay-upper DIR), so the image on disk is never written.
#[inline(never)]
pub fn mount_root(spec: &Spec, src: &Sources) -> Result<Fd, Error> {
    let root = spec.rootfs;
    let dir = libc::O_PATH | libc::O_DIRECTORY;
    let base = match spec.overlay {
        Overlay::Off => {
            sys::mount(Some(root), root, None, libc::MS_BIND | libc::MS_REC, None)?;
            return sys::openat(sys::AT_FDCWD, root, dir, 0);
        }
        // The tmpfs goes over ROOTFS itself, in our mount namespace only: it needs no
        // directory anywhere, and ROOTFS stays reachable as the lower layer through its fd.
        Overlay::Tmpfs => {
            sys::mount(Some(c"tmpfs"), root, Some(c"tmpfs"), 0, Some(c"mode=755"))?;
            sys::openat(sys::AT_FDCWD, root, dir, 0)?
        }
        Overlay::Upper(_) => src.upper,
    };
    let mut fds = [0; 2];
    for (i, name) in [c"upper", c"work"].into_iter().enumerate() {
        match sys::mkdirat(base, name, 0o755) {
            Err(e) if e.errno() != libc::EEXIST => return Err(e),
            _ => {}
        }
        fds[i] = sys::openat(base, name, dir | libc::O_NOFOLLOW, 0)?;
    }
    // Paths through /proc/self/fd: no escaping of commas or colons in user paths needed.
    let mut data = CBuf::<128>::from(&[b"lowerdir="])?;
    data.push(fd_path(src.root).bytes())?.push(b",upperdir=")?.push(fd_path(fds[0]).bytes())?;
    data.push(b",workdir=")?.push(fd_path(fds[1]).bytes())?;
    sys::mount(Some(c"overlay"), root, Some(c"overlay"), 0, Some(data.as_cstr()))
        .map_err(|e| if e.errno() == libc::ENODEV { e.hint(crate::error::HINT_OVERLAY) } else { e })?;
    sys::openat(sys::AT_FDCWD, root, dir, 0)
}

/// Open `path` inside the root without ever leaving it: openat2(2) with RESOLVE_IN_ROOT
/// (Linux 5.6); `no_symlinks` refuses a symlink anywhere on the way. Older kernels get a
/// walk that refuses every symlink.
fn open_in(root: Fd, path: &[u8], flags: i32, no_symlinks: bool) -> Result<Fd, Error> {
    let p = Path::from(&[path])?;
    let mut resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    if no_symlinks {
        resolve |= libc::RESOLVE_NO_SYMLINKS;
    }
    match sys::openat2(root, p.as_cstr(), flags, resolve) {
        Err(e) if e.errno() == libc::ENOSYS => walk_nofollow(root, path, flags),
        Err(e) if e.errno() == libc::ELOOP && no_symlinks => Err(Error::msg("refused: a symlink in the root filesystem at", path)),
        r => r,
    }
}

/// The pre-5.6 way: one component at a time with O_NOFOLLOW; a symlink is an error.
fn walk_nofollow(root: Fd, path: &[u8], flags: i32) -> Result<Fd, Error> {
    let mut cur = root;
    let mut parts = path.split(|&c| c == b'/').filter(|c| !c.is_empty() && *c != b".").peekable();
    while let Some(part) = parts.next() {
        let name = CBuf::<256>::from(&[part])?;
        let f = if parts.peek().is_some() { libc::O_PATH } else { flags };
        cur = sys::openat(cur, name.as_cstr(), f | libc::O_NOFOLLOW, 0).map_err(|e| e.at(path))?;
        if f & libc::O_PATH != 0 && sys::fstat(cur)?.mode & libc::S_IFMT == libc::S_IFLNK {
            return Err(Error::msg("refused: a symlink in the root filesystem (this kernel has no openat2) at", path));
        }
    }
    Ok(cur)
}

/// The mount point `path` inside the root, made when missing — but never in the image itself:
/// only on a filesystem runix put there (the overlay, a tmpfs) or a bind.
fn mount_point(root: Fd, path: &[u8], dir: bool, image_dev: u64, no_symlinks: bool) -> Result<Fd, Error> {
    match open_in(root, path, libc::O_PATH, no_symlinks) {
        Err(e) if e.errno() == libc::ENOENT => {}
        r => return r,
    }
    let mut parent = root;
    let mut prefix = Path::new();
    let n = path.split(|&c| c == b'/').filter(|c| !c.is_empty()).count();
    for (k, part) in path.split(|&c| c == b'/').filter(|c| !c.is_empty()).enumerate() {
        prefix.push(b"/")?.push(part)?;
        match open_in(root, prefix.bytes(), libc::O_PATH, false) {
            Ok(fd) => parent = fd,
            Err(e) if e.errno() == libc::ENOENT => {
                if sys::fstat(parent)?.dev == image_dev {
                    return Err(Error::msg("mount point missing, and runix does not change the image (create it, or use --overlay)", path));
                }
                let name = CBuf::<256>::from(&[part])?;
                let made = if k + 1 < n || dir {
                    sys::mkdirat(parent, name.as_cstr(), 0o755)
                } else {
                    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW;
                    sys::openat(parent, name.as_cstr(), flags, 0o644).and_then(sys::close)
                };
                // It exists, yet could not be opened: a symlink to nowhere (in the root).
                made.map_err(|e| if e.errno() == libc::EEXIST { Error::msg("refused: a dangling symlink in the root filesystem at", path) } else { e })?;
                parent = open_in(root, prefix.bytes(), libc::O_PATH, false)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(parent)
}

/// Mount onto the open directory or file `target` (the /proc/self/fd/N way).
fn mount_on(src: Option<&CStr>, target: Fd, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>, shown: &[u8]) -> Result<(), Error> {
    sys::mount(src, fd_path(target).as_cstr(), fstype, flags, data).map_err(|e| e.at(shown))
}

/// /proc of the container's own PID namespace (so ps sees only the container), sysfs
/// read-only, and a fresh /dev. A /proc, /sys or /dev that is a symlink is refused.
#[inline(never)]
/// `tty_gid`: whether gid 5 can be used (a single-id user namespace has none).
pub fn mount_kernel_fs(root: Fd, src: &Sources, tty_gid: bool) -> Result<(), Error> {
    let image_dev = src.image_dev;
    let nosuid_nodev_noexec = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    let t = mount_point(root, b"/proc", true, image_dev, true)?;
    mount_on(Some(c"proc"), t, Some(c"proc"), nosuid_nodev_noexec, None, b"/proc")?;
    let t = mount_point(root, b"/sys", true, image_dev, true)?;
    mount_on(Some(c"sysfs"), t, Some(c"sysfs"), libc::MS_RDONLY | nosuid_nodev_noexec, None, b"/sys")?;
    let t = mount_point(root, b"/dev", true, image_dev, true)?;
    mount_dev(root, t, tty_gid)
}

/// Character devices every container gets (hardening.md): name, major, minor.
const DEVICES: [(&CStr, u32, u32); 6] = [(c"null", 1, 3), (c"zero", 1, 5), (c"full", 1, 7), (c"random", 1, 8), (c"urandom", 1, 9), (c"tty", 5, 0)];

/// A tmpfs /dev with only the harmless devices, its own devpts instance (so the container
/// sees only its own ptys: devpts(5), newinstance), /dev/shm, /dev/mqueue and the fd links.
#[inline(never)]
fn mount_dev(root: Fd, t: Fd, tty_gid: bool) -> Result<(), Error> {
    mount_on(Some(c"tmpfs"), t, Some(c"tmpfs"), libc::MS_NOSUID | libc::MS_STRICTATIME, Some(c"mode=755,size=65536k"), b"/dev")?;
    let dev = open_in(root, b"/dev", libc::O_PATH, true)?;
    // mknod's mode goes through the umask: 0666 must stay 0666.
    let mask = sys::umask(0);
    let r = make_devices(dev);
    sys::umask(mask);
    r?;
    let at = |name: &[u8]| Path::from(&[fd_path(dev).bytes(), b"/", name]);
    sys::mkdirat(dev, c"pts", 0o755)?;
    // gid=5 is the tty group of most distributions; only when the image has that group.
    let opts = if tty_gid && has_tty_group(root) { c"newinstance,ptmxmode=0666,mode=0620,gid=5" } else { c"newinstance,ptmxmode=0666,mode=0620" };
    sys::mount(Some(c"devpts"), at(b"pts")?.as_cstr(), Some(c"devpts"), libc::MS_NOSUID | libc::MS_NOEXEC, Some(opts)).map_err(|e| e.at(b"/dev/pts"))?;
    sys::symlinkat(c"pts/ptmx", dev, c"ptmx")?;
    sys::mkdirat(dev, c"shm", 0o1777)?;
    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    sys::mount(Some(c"shm"), at(b"shm")?.as_cstr(), Some(c"tmpfs"), flags, Some(c"mode=1777,size=65536k")).map_err(|e| e.at(b"/dev/shm"))?;
    sys::mkdirat(dev, c"mqueue", 0o755)?;
    sys::mount(Some(c"mqueue"), at(b"mqueue")?.as_cstr(), Some(c"mqueue"), flags, None).map_err(|e| e.at(b"/dev/mqueue"))?;
    for (target, name) in [(c"/proc/self/fd", c"fd"), (c"/proc/self/fd/0", c"stdin"), (c"/proc/self/fd/1", c"stdout"), (c"/proc/self/fd/2", c"stderr")] {
        sys::symlinkat(target, dev, name)?;
    }
    Ok(())
}

/// mknod each device; where mknod is not allowed (a user namespace, an outer container's
/// rules), bind-mount the host's node onto an empty file instead.
#[inline(never)]
fn make_devices(dev: Fd) -> Result<(), Error> {
    for (name, major, minor) in DEVICES {
        match sys::mknodat(dev, name, libc::S_IFCHR | 0o666, major, minor) {
            Err(e) if e.errno() == libc::EPERM => {
                let f = sys::openat(dev, name, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o666)?;
                let host = Path::from(&[b"/dev/", name.to_bytes()])?;
                mount_on(Some(host.as_cstr()), f, None, libc::MS_BIND, None, host.bytes())?;
                sys::close(f)?;
            }
            r => r?,
        }
    }
    Ok(())
}

/// Whether the image's /etc/group has gid 5: read straight from the fd openat2 gave, in 4 KiB
/// pieces (a line cut between two pieces is joined); the fd is close-on-exec, so it is left.
fn has_tty_group(root: Fd) -> bool {
    let Ok(fd) = open_in(root, b"/etc/group", libc::O_RDONLY, false) else { return false };
    let mut buf = [0u8; 4096];
    let mut have = 0;
    loop {
        let n = match sys::read(fd, &mut buf[have..]) {
            Ok(n) => n,
            Err(_) => return false,
        };
        let end = have + n;
        let mut start = 0;
        while let Some(i) = buf[start..end].iter().position(|&c| c == b'\n') {
            if buf[start..start + i].split(|&c| c == b':').nth(2) == Some(b"5") {
                return true;
            }
            start += i + 1;
        }
        if n == 0 || start == 0 && end == buf.len() {
            // The end, or a line longer than the buffer (no group file has those).
            return n == 0 && buf[start..end].split(|&c| c == b':').nth(2) == Some(b"5");
        }
        buf.copy_within(start..end, 0);
        have = end - start;
    }
}

/// The user's `-b` and `--tmpfs` mounts, in the order given, after the kernel filesystems
/// (so they can cover parts of /dev). `image_dev`: the root image's device, where runix makes
/// no mount point.
#[inline(never)]
pub fn mount_user(spec: &Spec, root: Fd, src: &Sources) -> Result<(), Error> {
    let image_dev = src.image_dev;
    for (i, m) in spec.mounts.iter().enumerate() {
        match m.kind {
            MountKind::Bind { ro, .. } => {
                let t = mount_point(root, m.dst, src.dirs[i], image_dev, false)?;
                mount_on(Some(fd_path(src.binds[i]).as_cstr()), t, None, libc::MS_BIND | libc::MS_REC, None, m.dst)?;
                if ro {
                    // A bind's read-only flag takes a remount of the new mount: open it anew.
                    let top = open_in(root, m.dst, libc::O_PATH, false)?;
                    remount_read_only(fd_path(top).as_cstr()).map_err(|e| e.at(m.dst))?;
                }
            }
            MountKind::Tmpfs { size } => {
                let t = mount_point(root, m.dst, true, image_dev, false)?;
                let mut data = CBuf::<64>::from(&[b"mode=1777"])?;
                if let Some(n) = size {
                    let mut d = [0u8; 20];
                    data.push(b",size=")?.push(cgroup::itoa(n, &mut d))?;
                }
                mount_on(Some(c"tmpfs"), t, Some(c"tmpfs"), libc::MS_NOSUID | libc::MS_NODEV, Some(data.as_cstr()), m.dst)?;
            }
        }
    }
    Ok(())
}

/// Make the root mount the container's `/`, leaving nothing of the host reachable.
#[inline(never)]
pub fn enter_root(spec: &Spec) -> Result<(), Error> {
    let root = spec.rootfs;
    sys::chdir(root)?;
    match spec.root_mode {
        RootMode::PivotRoot => {
            // pivot_root(".", "."): the old root ends up stacked on the new one, and is then
            // detached, so no path inside the container leads back to the host (pivot_root(2)).
            sys::pivot_root(c".", c".").map_err(|e| {
                let e = e.at(root.to_bytes());
                // The initramfs root cannot be pivoted away from (pivot_root(2), ERRORS).
                if e.errno() == libc::EINVAL { e.hint(crate::error::HINT_CHROOT) } else { e }
            })?;
            sys::umount2(c".", libc::MNT_DETACH)?;
        }
        RootMode::Chroot => {
            // switch_root(8)'s way, which works on initramfs: move the root onto / and chroot
            // into it. A plain chroot(2) is escaped with chroot+chdir(".."); with the mount
            // moved over /, ".." at the top stays on the container's root.
            sys::mount(Some(c"."), c"/", None, libc::MS_MOVE, None).map_err(|e| e.at(root.to_bytes()))?;
            sys::chroot(c".").map_err(|e| e.at(root.to_bytes()))?;
        }
    }
    sys::chdir(c"/")
}

/// What Docker hides in /proc and /sys: kernel memory, keys, timers, firmware, hardware
/// details that leak host information or allow attacks (hardening.md).
const MASKED: [&CStr; 12] = [
    c"/proc/acpi",
    c"/proc/asound",
    c"/proc/interrupts",
    c"/proc/kcore",
    c"/proc/keys",
    c"/proc/latency_stats",
    c"/proc/sched_debug",
    c"/proc/scsi",
    c"/proc/timer_list",
    c"/proc/timer_stats",
    c"/sys/devices/virtual/powercap",
    c"/sys/firmware",
];
/// What Docker leaves readable but not writable: host-wide kernel settings.
const READ_ONLY: [&CStr; 5] = [c"/proc/bus", c"/proc/fs", c"/proc/irq", c"/proc/sys", c"/proc/sysrq-trigger"];

/// After the switch into the root: these paths are the container's own fresh /proc and /sys.
/// A file is covered by /dev/null, a directory by an empty read-only tmpfs; what this kernel
/// lacks is skipped.
#[inline(never)]
pub fn mask_paths() -> Result<(), Error> {
    for p in MASKED {
        match sys::mount(Some(c"/dev/null"), p, None, libc::MS_BIND, None) {
            Err(e) if e.errno() == libc::ENOTDIR => sys::mount(Some(c"tmpfs"), p, Some(c"tmpfs"), libc::MS_RDONLY, Some(c"size=0"))?,
            Err(e) if e.errno() == libc::ENOENT => {}
            r => r?,
        }
    }
    for p in READ_ONLY {
        match sys::mount(Some(p), p, None, libc::MS_BIND | libc::MS_REC, None) {
            Err(e) if e.errno() == libc::ENOENT => continue,
            r => r?,
        }
        // A bind remount keeps only the flags given: keep proc's own nosuid,nodev,noexec.
        let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        sys::mount(None, p, None, flags, None)?;
    }
    Ok(())
}

/// --read-only: the root mount only; binds and tmpfs on it keep their own mode.
pub fn remount_root_read_only() -> Result<(), Error> {
    remount_read_only(c"/")
}

/// The bind mount at `path` made read-only. Its nosuid, nodev and noexec (from the mount it was
/// bound from) are kept: in a user namespace they are locked, and a remount that clears them
/// fails with EPERM (mount_namespaces(7)).
fn remount_read_only(path: &CStr) -> Result<(), Error> {
    sys::mount(None, path, None, libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | sys::mount_flags(path)?, None)
}
