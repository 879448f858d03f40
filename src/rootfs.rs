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
const DIR: i32 = libc::O_PATH | libc::O_DIRECTORY;

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

/// Open a host path; a failure is `what` (rootfs, bind source) on that path.
#[inline(never)]
fn open_host(what: &'static str, p: &CStr, flags: i32) -> Result<Fd, Error> {
    sys::openat(sys::AT_FDCWD, p, flags, 0).map_err(|e| Error::sys(what, e.errno(), p.to_bytes()))
}

/// Parent, before anything exists: the root must be a directory we can reach.
pub fn check_root(spec: &Spec) -> Result<(), Error> {
    // The fd is close-on-exec and runix never execs: left open, it costs no close.
    open_host("rootfs", spec.rootfs, DIR).map(drop)
}

/// Child, in its new mount namespace but still seeing the host's files: open the root and
/// every bind source once. Opened here, not in the parent, because a bind's source must be a
/// mount of the caller's own namespace (mount(2), EINVAL).
#[inline(never)]
pub fn open_sources(spec: &Spec) -> Result<Sources, Error> {
    let root = open_host("rootfs", spec.rootfs, DIR)?;
    let mut s = Sources { root, image_dev: sys::fstat(root)?.dev, binds: [-1; MAX_MOUNTS], dirs: [true; MAX_MOUNTS], upper: -1 };
    for (i, m) in spec.mounts.iter().enumerate() {
        if let MountKind::Bind { src, .. } = m.kind {
            let mut p = Path::new();
            let fd = open_host("bind source", p.push(src)?.as_cstr(), libc::O_PATH)?;
            s.binds[i] = fd;
            s.dirs[i] = sys::fstat(fd)?.mode & libc::S_IFMT == libc::S_IFDIR;
        }
    }
    if let Overlay::Upper(d) = spec.overlay {
        s.upper = open_host("overlay upper", d, DIR)?;
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
#[inline(never)]
fn fd_path(fd: Fd) -> CBuf<64> {
    let mut p = CBuf::new();
    // Cannot overflow: 14 + 10 digits.
    let _ = p.push(b"/proc/self/fd/").and_then(|p| p.push(cgroup::itoa(fd as u64, &mut [0; 10])));
    p
}

/// The root mount, and an fd of its top. Either ROOTFS bound onto itself (pivot_root(2) and
/// MS_MOVE need a mount point), or an overlayfs with ROOTFS as its lower layer and the
/// changes in a tmpfs (or --overlay-upper DIR), so the image on disk is never written.
#[inline(never)]
pub fn mount_root(spec: &Spec, src: &Sources) -> Result<Fd, Error> {
    let root = spec.rootfs;
    let off = spec.overlay == Overlay::Off;
    let mut base = src.upper;
    if !matches!(spec.overlay, Overlay::Upper(_)) {
        // For --overlay, the tmpfs goes over ROOTFS itself, in our mount namespace only: it needs
        // no directory anywhere, and ROOTFS stays reachable as the lower layer through its fd.
        let (from, fstype, flags, data) = if off { (root, None, libc::MS_BIND | libc::MS_REC, None) } else { (c"tmpfs", Some(c"tmpfs"), 0, Some(c"mode=755")) };
        sys::mount(Some(from), root, fstype, flags, data)?;
        base = sys::openat(sys::AT_FDCWD, root, DIR, 0)?;
        if off {
            return Ok(base);
        }
    }
    // Paths through /proc/self/fd: no escaping of commas or colons in user paths needed.
    let mut data = CBuf::<128>::new();
    data.push(b"lowerdir=")?.push(fd_path(src.root).bytes())?;
    for (opt, name) in [(&b",upperdir="[..], c"upper"), (b",workdir=", c"work")] {
        match sys::mkdirat(base, name, 0o755) {
            Err(e) if e.errno() != libc::EEXIST => return Err(e),
            _ => {}
        }
        let fd = sys::openat(base, name, DIR | libc::O_NOFOLLOW, 0)?;
        data.push(opt)?.push(fd_path(fd).bytes())?;
    }
    sys::mount(Some(c"overlay"), root, Some(c"overlay"), 0, Some(data.as_cstr()))
        .map_err(|e| if e.errno() == libc::ENODEV { e.hint(crate::error::HINT_OVERLAY) } else { e })?;
    sys::openat(sys::AT_FDCWD, root, DIR, 0)
}

/// Open `path` inside the root without ever leaving it: openat2(2) with RESOLVE_IN_ROOT
/// (Linux 5.6); `no_symlinks` refuses a symlink anywhere on the way. Older kernels get a
/// walk that refuses every symlink.
fn open_in(root: Fd, path: &CStr, flags: i32, no_symlinks: bool) -> Result<Fd, Error> {
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

/// The components of a path, without the empty ones.
fn components(p: &[u8]) -> impl Iterator<Item = &[u8]> {
    p.split(|&c| c == b'/').filter(|c| !c.is_empty())
}

/// The pre-5.6 way: one component at a time with O_NOFOLLOW; a symlink is an error.
fn walk_nofollow(root: Fd, path: &[u8], flags: i32) -> Result<Fd, Error> {
    let mut cur = root;
    let mut parts = components(path).peekable();
    while let Some(part) = parts.next() {
        let mut name = CBuf::<256>::new();
        let f = if parts.peek().is_some() { libc::O_PATH } else { flags };
        cur = sys::openat(cur, name.push(part)?.as_cstr(), f | libc::O_NOFOLLOW, 0).map_err(|e| e.at(path))?;
        if f & libc::O_PATH != 0 && sys::fstat(cur)?.mode & libc::S_IFMT == libc::S_IFLNK {
            return Err(Error::msg("refused: a symlink in the root filesystem (this kernel has no openat2) at", path));
        }
    }
    Ok(cur)
}

/// The mount point `path` inside the root, made when missing — but never in the image itself:
/// only on a filesystem runix put there (the overlay, a tmpfs) or a bind.
fn mount_point(root: Fd, path: &CStr, dir: bool, image_dev: u64, no_symlinks: bool) -> Result<Fd, Error> {
    match open_in(root, path, libc::O_PATH, no_symlinks) {
        Err(e) if e.errno() == libc::ENOENT => {}
        r => return r,
    }
    let path = path.to_bytes();
    let mut parent = root;
    let mut prefix = Path::new();
    let mut parts = components(path).peekable();
    while let Some(part) = parts.next() {
        prefix.push(b"/")?.push(part)?;
        match open_in(root, prefix.as_cstr(), libc::O_PATH, false) {
            Ok(fd) => parent = fd,
            Err(e) if e.errno() == libc::ENOENT => {
                if sys::fstat(parent)?.dev == image_dev {
                    return Err(Error::msg("mount point missing, and runix does not change the image (create it, or use --overlay)", path));
                }
                // The last component of the prefix, NUL-terminated already.
                let name = &prefix.as_cstr()[prefix.len() - part.len()..];
                let made = if parts.peek().is_some() || dir {
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

/// What mount(2) takes besides the target: source, type, flags, data.
#[derive(Clone, Copy)]
struct Fs<'a> {
    src: Option<&'a CStr>,
    fstype: Option<&'a CStr>,
    flags: u64,
    data: Option<&'a CStr>,
}

/// Mount onto the open directory or file `target`, or onto `rel` under it, the
/// /proc/self/fd/N way; an error names `shown`, the path in the container.
#[inline(never)]
fn mount_on(fs: &Fs, target: Fd, rel: &[u8], shown: &[u8]) -> Result<(), Error> {
    let mut p = fd_path(target);
    p.push(rel)?;
    sys::mount(fs.src, p.as_cstr(), fs.fstype, fs.flags, fs.data).map_err(|e| e.at(shown))
}

const NOSUID_NODEV_NOEXEC: u64 = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;

/// /proc of the container's own PID namespace (so ps sees only the container), sysfs
/// read-only, and a fresh /dev.
const KERNEL_FS: [(&CStr, Fs); 3] = [
    (c"/proc", Fs { src: Some(c"proc"), fstype: Some(c"proc"), flags: NOSUID_NODEV_NOEXEC, data: None }),
    (c"/sys", Fs { src: Some(c"sysfs"), fstype: Some(c"sysfs"), flags: libc::MS_RDONLY | NOSUID_NODEV_NOEXEC, data: None }),
    (c"/dev", Fs { src: Some(c"tmpfs"), fstype: Some(c"tmpfs"), flags: libc::MS_NOSUID | libc::MS_STRICTATIME, data: Some(c"mode=755,size=65536k") }),
];

/// /proc, /sys and /dev (mount_dev). A /proc, /sys or /dev that is a symlink is refused.
/// `tty_gid`: whether gid 5 can be used (a single-id user namespace has none).
#[inline(never)]
pub fn mount_kernel_fs(root: Fd, src: &Sources, tty_gid: bool) -> Result<(), Error> {
    for (path, fs) in KERNEL_FS.iter() {
        let t = mount_point(root, path, true, src.image_dev, true)?;
        mount_on(fs, t, b"", path.to_bytes())?;
    }
    mount_dev(root, tty_gid)
}

/// Character devices every container gets (hardening.md): path, major, minor.
const DEVICES: [(&CStr, u32, u32); 6] =
    [(c"/dev/null", 1, 3), (c"/dev/zero", 1, 5), (c"/dev/full", 1, 7), (c"/dev/random", 1, 8), (c"/dev/urandom", 1, 9), (c"/dev/tty", 5, 0)];

/// The mounts inside /dev: path, mode of its directory, filesystem. devpts
/// gets its own instance, so the container sees only its own ptys (devpts(5), newinstance);
/// `gid=5,` is cut off when the image has no tty group, or gid 5 cannot be used.
const DEV_MOUNTS: [(&CStr, u32, Fs); 3] = [
    (c"/dev/pts", 0o755, Fs { src: Some(c"devpts"), fstype: Some(c"devpts"), flags: libc::MS_NOSUID | libc::MS_NOEXEC, data: Some(c"gid=5,newinstance,ptmxmode=0666,mode=0620") }),
    (c"/dev/shm", 0o1777, Fs { src: Some(c"shm"), fstype: Some(c"tmpfs"), flags: NOSUID_NODEV_NOEXEC, data: Some(c"mode=1777,size=65536k") }),
    (c"/dev/mqueue", 0o755, Fs { src: Some(c"mqueue"), fstype: Some(c"mqueue"), flags: NOSUID_NODEV_NOEXEC, data: None }),
];

/// The new /dev (a tmpfs already): only the harmless devices, devpts, /dev/shm, /dev/mqueue
/// and the links.
#[inline(never)]
fn mount_dev(root: Fd, tty_gid: bool) -> Result<(), Error> {
    let dev = open_in(root, c"/dev", libc::O_PATH, true)?;
    // mknod's mode goes through the umask: 0666 must stay 0666.
    let mask = sys::umask(0);
    let r = make_devices(dev);
    sys::umask(mask);
    r?;
    for (i, &(path, mode, mut fs)) in DEV_MOUNTS.iter().enumerate() {
        sys::mkdirat(dev, &path[5..], mode)?;
        // gid=5 is the tty group of most distributions; only when the image has that group.
        if i == 0 && !(tty_gid && has_tty_group(root)) {
            fs.data = fs.data.map(|d| &d[6..]);
        }
        let p = path.to_bytes();
        mount_on(&fs, dev, &p[4..], p)?;
        if i == 0 {
            sys::symlinkat(c"pts/ptmx", dev, c"ptmx")?;
        }
    }
    for &(target, name) in [(c"/proc/self/fd", c"fd"), (c"/proc/self/fd/0", c"stdin"), (c"/proc/self/fd/1", c"stdout"), (c"/proc/self/fd/2", c"stderr")].iter() {
        sys::symlinkat(target, dev, name)?;
    }
    Ok(())
}

/// mknod each device; where mknod is not allowed (a user namespace, an outer container's
/// rules), bind-mount the host's node onto an empty file instead.
#[inline(never)]
fn make_devices(dev: Fd) -> Result<(), Error> {
    for &(host, major, minor) in DEVICES.iter() {
        let name = &host[5..];
        match sys::mknodat(dev, name, libc::S_IFCHR | 0o666, major, minor) {
            Err(e) if e.errno() == libc::EPERM => {
                let f = sys::openat(dev, name, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o666)?;
                mount_on(&Fs { src: Some(host), fstype: None, flags: libc::MS_BIND, data: None }, f, b"", host.to_bytes())?;
                sys::close(f)?;
            }
            r => r?,
        }
    }
    Ok(())
}

/// Whether the image's /etc/group has gid 5, read from the fd openat2 gave (close-on-exec,
/// so it is left open). O_NONBLOCK: a FIFO there would block the open for ever.
fn has_tty_group(root: Fd) -> bool {
    let Ok(fd) = open_in(root, c"/etc/group", libc::O_RDONLY | libc::O_NONBLOCK, false) else { return false };
    let mut found = false;
    let _ = cgroup::each_line(fd, b"/etc/group", &mut |line| {
        found = gid_is_5(line);
        Ok(!found)
    });
    found
}

/// Whether a line of /etc/group is the group with gid 5.
fn gid_is_5(line: &[u8]) -> bool {
    line.split(|&c| c == b':').nth(2) == Some(b"5")
}

/// The user's `-b` and `--tmpfs` mounts, in the order given, after the kernel filesystems
/// (so they can cover parts of /dev).
#[inline(never)]
pub fn mount_user(spec: &Spec, root: Fd, src: &Sources) -> Result<(), Error> {
    for (i, m) in spec.mounts.iter().enumerate() {
        let mut dst = Path::new();
        dst.push(m.dst)?;
        let bind;
        let mut data = CBuf::<64>::new();
        data.push(b"mode=1777")?;
        let (fs, dir) = match m.kind {
            MountKind::Bind { .. } => {
                bind = fd_path(src.binds[i]);
                (Fs { src: Some(bind.as_cstr()), fstype: None, flags: libc::MS_BIND | libc::MS_REC, data: None }, src.dirs[i])
            }
            MountKind::Tmpfs { size } => {
                if let Some(n) = size {
                    data.push(b",size=")?.push(cgroup::itoa(n, &mut [0; 20]))?;
                }
                let flags = libc::MS_NOSUID | libc::MS_NODEV;
                (Fs { src: Some(c"tmpfs"), fstype: Some(c"tmpfs"), flags, data: Some(data.as_cstr()) }, true)
            }
        };
        let t = mount_point(root, dst.as_cstr(), dir, src.image_dev, false)?;
        mount_on(&fs, t, b"", m.dst)?;
        if let MountKind::Bind { ro: true, .. } = m.kind {
            // A bind's read-only flag takes a remount of the new mount: open it anew.
            let top = open_in(root, dst.as_cstr(), libc::O_PATH, false)?;
            remount_read_only(fd_path(top).as_cstr()).map_err(|e| e.at(m.dst))?;
        }
    }
    Ok(())
}

/// Make the root mount the container's `/`, leaving nothing of the host reachable.
#[inline(never)]
pub fn enter_root(spec: &Spec) -> Result<(), Error> {
    let root = spec.rootfs;
    sys::chdir(root)?;
    let pivot = spec.root_mode == RootMode::PivotRoot;
    let r = if pivot {
        // pivot_root(".", "."): the old root ends up stacked on the new one, and is then
        // detached, so no path inside the container leads back to the host (pivot_root(2)).
        sys::pivot_root(c".", c".")
    } else {
        // switch_root(8)'s way, which works on initramfs: move the root onto / and chroot
        // into it. A plain chroot(2) is escaped with chroot+chdir(".."); with the mount
        // moved over /, ".." at the top stays on the container's root.
        sys::mount(Some(c"."), c"/", None, libc::MS_MOVE, None).and_then(|()| sys::chroot(c"."))
    };
    r.map_err(|e| {
        let e = e.at(root.to_bytes());
        // The initramfs root cannot be pivoted away from (pivot_root(2), ERRORS).
        if pivot && e.errno() == libc::EINVAL { e.hint(crate::error::HINT_CHROOT) } else { e }
    })?;
    if pivot {
        sys::umount2(c".", libc::MNT_DETACH)?;
    }
    sys::chdir(c"/")
}

/// What Docker hides in /proc and /sys: kernel memory, keys, timers, firmware, hardware
/// details that leak host information or allow attacks (hardening.md). With each, whether it
/// is a directory on the kernels that have it.
const MASKED: [(&CStr, bool); 12] = [
    (c"/proc/acpi", true),
    (c"/proc/asound", true),
    (c"/proc/interrupts", false),
    (c"/proc/kcore", false),
    (c"/proc/keys", false),
    (c"/proc/latency_stats", false),
    (c"/proc/sched_debug", false),
    (c"/proc/scsi", true),
    (c"/proc/timer_list", false),
    (c"/proc/timer_stats", false),
    (c"/sys/devices/virtual/powercap", true),
    (c"/sys/firmware", true),
];
/// What Docker leaves readable but not writable: host-wide kernel settings.
const READ_ONLY: [&CStr; 5] = [c"/proc/bus", c"/proc/fs", c"/proc/irq", c"/proc/sys", c"/proc/sysrq-trigger"];

/// After the switch into the root: these paths are the container's own fresh /proc and /sys.
/// A file is covered by /dev/null, a directory by an empty read-only tmpfs (one, made at the
/// first and bound onto the others); what this kernel lacks is skipped.
#[inline(never)]
pub fn mask_paths() -> Result<(), Error> {
    let mut empty: Option<&CStr> = None;
    for &(p, mut dir) in MASKED.iter() {
        let mut other_kind = false;
        loop {
            let r = match (dir, empty) {
                (false, _) => sys::mount(Some(c"/dev/null"), p, None, libc::MS_BIND, None),
                (true, Some(e)) => sys::mount(Some(e), p, None, libc::MS_BIND, None),
                (true, None) => sys::mount(Some(c"tmpfs"), p, Some(c"tmpfs"), libc::MS_RDONLY, Some(c"size=0")),
            };
            match r {
                // Not the usual kind on this kernel: once more as the other.
                Err(e) if e.errno() == libc::ENOTDIR && !other_kind => {
                    other_kind = true;
                    dir = !dir;
                    continue;
                }
                Err(e) if e.errno() == libc::ENOENT => {}
                Err(e) => return Err(e),
                Ok(()) if dir && empty.is_none() => empty = Some(p),
                Ok(()) => {}
            }
            break;
        }
    }
    for &p in READ_ONLY.iter() {
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
