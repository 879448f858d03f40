//! The container's filesystem: the root mount (a bind, or an overlay), /proc, /sys, /dev, the
//! user's binds and tmpfs, the masked and read-only paths, and the switch into the root.
//!
//! The root filesystem is hostile: any path in it may be a symlink meant to lead a mount out of
//! it (runc CVE-2021-30465). So every mount target in it is opened with openat2(2)'s
//! RESOLVE_IN_ROOT, which looks `..` and symlinks up as if the root were `/`, and the mount goes
//! onto that open file through /proc/self/fd/N. The host side (bind sources, the root itself)
//! is opened by the parent, before anything is made, so bad input costs nothing to undo.

use crate::buf::CBuf;
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
    /// The host's /sys, to bind where a fresh sysfs cannot be mounted (-1: not needed).
    host_sys: Fd,
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
/// every bind source once (and with `host_sys`, the host's /sys). Opened here, not in the
/// parent, because a bind's source must be a mount of the caller's own namespace (mount(2),
/// EINVAL).
#[inline(never)]
pub fn open_sources(spec: &Spec, host_sys: bool) -> Result<Sources, Error> {
    let root = open_host("rootfs", spec.rootfs, DIR)?;
    let mut s = Sources { root, image_dev: sys::fstat(root)?.dev, binds: [-1; MAX_MOUNTS], dirs: [true; MAX_MOUNTS], upper: -1, host_sys: -1 };
    if host_sys {
        s.host_sys = open_host("host /sys", c"/sys", DIR)?;
    }
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
    let _ = p.push(b"/proc/self/fd/").and_then(|p| p.push(crate::text::itoa(fd as u64, &mut [0; 10])));
    p
}

/// The root mount, and an fd of its top. Either ROOTFS bound onto itself (pivot_root(2) and
/// MS_MOVE need a mount point), or an overlayfs with ROOTFS as its lower layer and the
/// changes in a tmpfs (or --overlay-upper DIR), so the image on disk is never written.
/// Where no device rule applies (`nodev`: a user namespace, no v1 devices hierarchy), both are
/// nodev, so that a device node the image ships opens nowhere: only runix's own /dev holds
/// devices then.
#[inline(never)]
pub fn mount_root(spec: &Spec, src: &Sources, nodev: bool) -> Result<Fd, Error> {
    let nodev_flag = if nodev { libc::MS_NODEV } else { 0 };
    let root = spec.rootfs;
    let off = spec.overlay == Overlay::Off;
    let mut base = src.upper;
    if !matches!(spec.overlay, Overlay::Upper(_)) {
        // For --overlay, the tmpfs goes over ROOTFS itself, in our mount namespace only: it needs
        // no directory anywhere, and ROOTFS stays reachable as the lower layer through its fd.
        // The bind and every mount under ROOTFS on the host: nodev, and read-only all the way
        // down for --read-only, before anything of runix's is mounted on it.
        let attrs = if spec.read_only { MOUNT_ATTR_RDONLY } else { 0 } | if nodev { MOUNT_ATTR_NODEV } else { 0 };
        let rec = bind_rec(attrs);
        let (from, fstype, flags, data) = if off { (root, None, libc::MS_BIND | rec, None) } else { (c"tmpfs", Some(c"tmpfs"), nodev_flag, Some(c"mode=755")) };
        sys::mount(Some(from), root, fstype, flags, data)?;
        base = sys::openat(sys::AT_FDCWD, root, DIR, 0)?;
        if off {
            if attrs != 0 {
                set_tree(fd_path(base).as_cstr(), attrs, rec).map_err(|e| e.at(root.to_bytes()))?;
            }
            return Ok(base);
        }
    }
    // Paths through /proc/self/fd: no escaping of commas or colons in user paths needed.
    let mut data = CBuf::<128>::new();
    data.push(b"lowerdir=")?.push(fd_path(src.root).bytes())?;
    // The work directory is overlayfs's scratch space, of no one else's concern: 0700. The
    // upper one's mode is the container's / (the overlay's root takes it).
    for (opt, name, mode) in [(&b",upperdir="[..], c"upper", 0o755), (b",workdir=", c"work", 0o700)] {
        match sys::mkdirat(base, name, mode) {
            Err(e) if e.errno() != libc::EEXIST => return Err(e),
            _ => {}
        }
        let fd = sys::openat(base, name, DIR | libc::O_NOFOLLOW, 0)?;
        data.push(opt)?.push(fd_path(fd).bytes())?;
    }
    sys::mount(Some(c"overlay"), root, Some(c"overlay"), nodev_flag, Some(data.as_cstr()))
        .map_err(|e| if e.errno() == libc::ENODEV { e.hint(crate::error::HINT_OVERLAY) } else { e })?;
    sys::openat(sys::AT_FDCWD, root, DIR, 0)
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NODEV: u64 = 0x4;

/// MS_REC for a bind that is to get MOUNT_ATTR_* `attrs`, unless this kernel cannot set them on
/// every mount below it (no mount_setattr(2) before Linux 5.12: a call that can only fail
/// says ENOSYS). Then only the top is bound, so that nothing below it stays writable, or keeps
/// its devices, in the container: read-only means read-only all the way down.
fn bind_rec(attrs: u64) -> u64 {
    match attrs != 0 && sys::mount_setattr_rec(c"", 0).is_err_and(|e| e.errno() == libc::ENOSYS) {
        true => 0,
        false => libc::MS_REC,
    }
}

/// Set MOUNT_ATTR_* `attrs` on the bind at `path` (made with `bind_rec`'s flags) and every
/// mount below it: mount_setattr(2), or where there is none, a remount of the bind alone
/// (MS_RDONLY, MS_NOSUID, MS_NODEV and MS_NOEXEC are the same bits as the attributes).
fn set_tree(path: &CStr, attrs: u64, rec: u64) -> Result<(), Error> {
    if rec != 0 {
        return sys::mount_setattr_rec(path, attrs);
    }
    remount(path, attrs)
}

/// Bind `src` onto `t` (`path` inside the root, shown as `shown`), with MOUNT_ATTR_* `attrs`
/// all the way down. The new mount as an fd (open_tree(2), move_mount(2), Linux 5.2), so that
/// its attributes go on it, not on wherever its path leads once it is there: through the new
/// mount's own directories, the image's symlinks could lead elsewhere. Older kernels: by path,
/// with no symlink followed on the way. Returns an fd of the new mount, or -1 when there is
/// none at hand.
fn bind(src: Fd, t: Fd, attrs: u64, root: Fd, path: &CStr, shown: &[u8]) -> Result<Fd, Error> {
    let rec = bind_rec(attrs);
    let top = match sys::open_tree(src, rec) {
        Ok(tree) => {
            sys::move_mount(tree, t).map_err(|e| e.at(shown))?;
            tree
        }
        Err(e) if e.errno() == libc::ENOSYS => {
            let from = fd_path(src);
            mount_on(&Fs { src: Some(from.as_cstr()), fstype: None, flags: libc::MS_BIND | rec, data: None }, t, b"", shown)?;
            if attrs == 0 {
                return Ok(-1);
            }
            open_in(root, path, libc::O_PATH, true)?
        }
        Err(e) => return Err(e.at(shown)),
    };
    if attrs != 0 {
        set_tree(fd_path(top).as_cstr(), attrs, rec).map_err(|e| e.at(shown))?;
    }
    Ok(top)
}

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

/// The components of a path, without the empty ones.
fn components(p: &[u8]) -> impl Iterator<Item = &[u8]> {
    // `.` names the same place (`/dev/.` is /dev): gone, so that checks by name see through it.
    p.split(|&c| c == b'/').filter(|c| !c.is_empty() && *c != b".")
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
/// `tty_gid`: whether gid 5 can be used (a single-id user namespace has none). Returns runix's
/// /dev/null, opened and checked, for the masks.
#[inline(never)]
pub fn mount_kernel_fs(root: Fd, src: &Sources, tty_gid: bool) -> Result<Fd, Error> {
    for (path, fs) in KERNEL_FS.iter() {
        let t = mount_point(root, path, true, src.image_dev, true)?;
        match src.host_sys {
            // A user namespace with the host's network may not mount sysfs (it belongs to the
            // network namespace): the host's, read-only all the way down, as rootless podman.
            fd if fd >= 0 && path == &c"/sys" => bind(fd, t, MOUNT_ATTR_RDONLY | 0xe, root, path, b"/sys").map(drop)?,
            _ => mount_on(fs, t, b"", path.to_bytes())?,
        }
    }
    // The new /dev itself (the open mount point is the directory under it).
    mount_dev(open_in(root, c"/dev", DIR, true)?, tty_gid)
}

/// Character devices every container gets (Docker's): path, major, minor.
const DEVICES: [(&CStr, u32, u32); 6] =
    [(c"/dev/null", 1, 3), (c"/dev/zero", 1, 5), (c"/dev/full", 1, 7), (c"/dev/random", 1, 8), (c"/dev/urandom", 1, 9), (c"/dev/tty", 5, 0)];

/// The mounts inside /dev: path, mode of its directory, filesystem. devpts
/// gets its own instance, so the container sees only its own ptys (devpts(5), newinstance);
/// `gid=5,` (the tty group of most distributions, and the OCI runtime spec's default) is cut
/// off where gid 5 cannot be used.
const DEV_MOUNTS: [(&CStr, u32, Fs); 3] = [
    (c"/dev/pts", 0o755, Fs { src: Some(c"devpts"), fstype: Some(c"devpts"), flags: libc::MS_NOSUID | libc::MS_NOEXEC, data: Some(c"gid=5,newinstance,ptmxmode=0666,mode=0620") }),
    (c"/dev/shm", 0o1777, Fs { src: Some(c"shm"), fstype: Some(c"tmpfs"), flags: NOSUID_NODEV_NOEXEC, data: Some(c"mode=1777,size=65536k") }),
    (c"/dev/mqueue", 0o755, Fs { src: Some(c"mqueue"), fstype: Some(c"mqueue"), flags: NOSUID_NODEV_NOEXEC, data: None }),
];

/// The new /dev (a tmpfs already): only the harmless devices, devpts, /dev/shm, /dev/mqueue
/// and the links. Returns /dev/null, opened and checked: the source of every file mask.
#[inline(never)]
fn mount_dev(dev: Fd, tty_gid: bool) -> Result<Fd, Error> {
    // mknod's mode goes through the umask: 0666 must stay 0666.
    let mask = sys::umask(0);
    let r = make_devices(dev);
    sys::umask(mask);
    r?;
    for (i, &(path, mode, mut fs)) in DEV_MOUNTS.iter().enumerate() {
        sys::mkdirat(dev, &path[5..], mode)?;
        if i == 0 && !tty_gid {
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
    let null = sys::openat(dev, c"null", libc::O_PATH | libc::O_NOFOLLOW, 0)?;
    let st = sys::fstat(null)?;
    if (st.mode & libc::S_IFMT != libc::S_IFCHR || st.rdev != sys::dev(1, 3)) && !sys::trace::dry_run() {
        return Err(Error::msg("not the null device (1:3)", b"/dev/null"));
    }
    Ok(null)
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

const PROC_SUPER_MAGIC: u64 = 0x9fa0;
const SYSFS_MAGIC: u64 = 0x6265_6572;

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

/// The user's `-b` and `--tmpfs` mounts, in the order given, in two passes. First (`in_dev`
/// false) all but those under /dev, before runix's own /proc, /sys and /dev, so that the masks
/// are made on what runix mounted, never on what a user mount put there (CVE-2025-31133). Then,
/// on runix's /dev, those the user named under it (`-b /dev/kvm:/dev/kvm`), with no symlink
/// followed.
/// A target named in /proc or /sys, or /dev itself, is refused. `:ro` is read-only all the way
/// down; with `nodev` (see mount_root), binds are nodev but under /dev. The first pass notes
/// each mount's top (device, inode) in `tops`; the second checks that each is still what its
/// path leads to: one that runix's mounts now cover (the image's `/data -> /dev/shm`) would
/// take the user's data into runix's tmpfs, silently. Refused.
#[inline(never)]
pub fn mount_user(spec: &Spec, root: Fd, src: &Sources, nodev: bool, tops: &mut [(u64, u64); MAX_MOUNTS], in_dev: bool) -> Result<(), Error> {
    for (i, m) in spec.mounts.iter().enumerate() {
        let mut c = components(m.dst);
        let (top, below) = (c.next(), c.next().is_some());
        if matches!(top, Some(b"proc" | b"sys")) || top == Some(b"dev") && !below {
            return Err(Error::msg("refused: runix mounts /proc, /sys and /dev itself, at", m.dst));
        }
        let mut dst = Path::new();
        dst.push(m.dst)?;
        if (top == Some(b"dev")) != in_dev {
            if in_dev {
                // (Not there at all any more counts the same.)
                let now = open_in(root, dst.as_cstr(), libc::O_PATH, false).and_then(sys::fstat).map(|st| (st.dev, st.ino));
                if now.ok() != Some(tops[i]) && !sys::trace::dry_run() {
                    return Err(Error::msg("refused: the root filesystem's symlinks lead this mount under runix's /proc, /sys or /dev, at", m.dst));
                }
            }
            continue;
        }
        let dir = match m.kind {
            MountKind::Bind { .. } => src.dirs[i],
            MountKind::Tmpfs { .. } => true,
        };
        let t = mount_point(root, dst.as_cstr(), dir, src.image_dev, in_dev)?;
        // The root itself (the image's `/data -> /`): the mount would be under all of runix's,
        // and what the switch into the root finds. Refused, as Docker refuses `/`.
        let (st, rs) = (sys::fstat(t)?, sys::fstat(root)?);
        if (st.dev, st.ino) == (rs.dev, rs.ino) && !sys::trace::dry_run() {
            return Err(Error::msg("refused: a mount onto the root itself, at", m.dst));
        }
        let mut top = match m.kind {
            MountKind::Bind { ro, .. } => {
                let attrs = if ro { MOUNT_ATTR_RDONLY } else { 0 } | if nodev && !in_dev { MOUNT_ATTR_NODEV } else { 0 };
                bind(src.binds[i], t, attrs, root, dst.as_cstr(), m.dst)?
            }
            MountKind::Tmpfs { size } => {
                let mut data = CBuf::<64>::new();
                data.push(b"mode=1777")?;
                if let Some(n) = size {
                    data.push(b",size=")?.push(crate::text::itoa(n, &mut [0; 20]))?;
                }
                let fs = Fs { src: Some(c"tmpfs"), fstype: Some(c"tmpfs"), flags: libc::MS_NOSUID | libc::MS_NODEV, data: Some(data.as_cstr()) };
                mount_on(&fs, t, b"", m.dst)?;
                -1
            }
        };
        if !in_dev {
            // A new tmpfs is empty: its path cannot lead anywhere else yet.
            if top < 0 {
                top = open_in(root, dst.as_cstr(), libc::O_PATH, false)?;
            }
            let st = sys::fstat(top)?;
            tops[i] = (st.dev, st.ino);
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
/// details that leak host information or allow attacks. With each, whether it
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

/// Mask the fresh /proc and /sys, by fd: each path is /proc/self/fd/ROOT/proc/NAME, through
/// the root's /proc (no symlink: mount_kernel_fs) into runix's mount on it, which no mount of
/// the user's is on or under (CVE-2025-31133 came from masking by path after such mounts),
/// and the kernel's own names. A file is covered
/// by runix's checked /dev/null, a directory by an empty read-only tmpfs (one, made at the
/// first and bound onto the others); only what this kernel lacks is skipped (ENOENT here can
/// mean nothing else).
#[inline(never)]
pub fn mask_paths(root: Fd, null: Fd) -> Result<(), Error> {
    let null = fd_path(null);
    let mut empty: Option<CBuf<64>> = None;
    for &(path, mut dir) in MASKED.iter() {
        let mut p = fd_path(root);
        // Cannot overflow: 24 + 29 bytes at most.
        let _ = p.push(path.to_bytes());
        let mut other_kind = false;
        loop {
            let r = match (dir, &empty) {
                (false, _) => sys::mount(Some(null.as_cstr()), p.as_cstr(), None, libc::MS_BIND, None),
                (true, Some(e)) => sys::mount(Some(e.as_cstr()), p.as_cstr(), None, libc::MS_BIND, None),
                (true, None) => sys::mount(Some(c"tmpfs"), p.as_cstr(), Some(c"tmpfs"), libc::MS_RDONLY, Some(c"size=0")),
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
                Ok(()) if dir && empty.is_none() => empty = Some(p),
                Ok(()) => {}
            }
            break;
        }
    }
    for &path in READ_ONLY.iter() {
        let mut p = fd_path(root);
        // Cannot overflow: 24 + 29 bytes at most.
        let _ = p.push(path.to_bytes());
        match sys::mount(Some(p.as_cstr()), p.as_cstr(), None, libc::MS_BIND | libc::MS_REC, None) {
            Err(e) if e.errno() == libc::ENOENT => continue,
            r => r.map_err(|e| e.at(path.to_bytes()))?,
        }
        // A bind remount keeps only the flags given: keep proc's own nosuid,nodev,noexec.
        let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        sys::mount(None, p.as_cstr(), None, flags, None).map_err(|e| e.at(path.to_bytes()))?;
    }
    Ok(())
}

/// --read-only with --overlay: the overlay, which has no mounts of the image's below it (a
/// bound root was made read-only all the way down in mount_root); binds and tmpfs on it keep
/// their own mode.
pub fn remount_root_read_only() -> Result<(), Error> {
    remount(c"/", libc::MS_RDONLY)
}

/// The mount at `path` remounted with `flags` added. Its nosuid, nodev and noexec (from the
/// mount it was bound from) are kept: in a user namespace they are locked, and a remount that
/// clears them fails with EPERM (mount_namespaces(7)).
fn remount(path: &CStr, flags: u64) -> Result<(), Error> {
    sys::mount(None, path, None, libc::MS_REMOUNT | libc::MS_BIND | flags | sys::mount_flags(path)?, None)
}
