//! The container's filesystem: the root mount (a bind, or an overlay), /proc, /sys, /dev, the
//! user's binds and tmpfs, the masked and read-only paths, and the switch into the root. Each
//! function here is one step of the plan (plan.rs), which says which steps, in which order.
//!
//! The root filesystem is hostile: any path in it may be a symlink meant to lead a mount out of
//! it (runc CVE-2021-30465). So every mount target in it is opened with openat2(2)'s
//! RESOLVE_IN_ROOT, which looks `..` and symlinks up as if the root were `/`, and the mount goes
//! onto that open file: through /proc/self/fd/N, or (runix's own, /proc, /sys, /dev and what is
//! in them) as the working directory. The host side (bind sources, the root itself)
//! is opened before anything is made, so bad input costs nothing to undo.

mod dev;
mod mask;
mod open;

use crate::buf::CBuf;
use crate::error::Error;
use crate::spec::{BIND_ONE, COPY_UP, MAX_MOUNTS, Mount, MountKind, NOSUID_NODEV_NOEXEC, Overlay, Spec};
use crate::sys::{self, Fd};
use core::ffi::CStr;
pub use dev::{DevMount, Device, Link};
pub use mask::MASK_PATH_MAX;
pub use open::{components, each_image_line, open_in};
use open::mount_point;

type Path = CBuf<4096>;
const DIR: i32 = libc::O_PATH | libc::O_DIRECTORY;

/// What the plan's steps work on: the host's side, opened (O_PATH) before anything is
/// mounted, and what the steps have made so far.
pub struct Mounts {
    /// The root directory on the host: the overlay's lower layer.
    host_root: Fd,
    /// The device of the image's filesystem, where runix makes no mount point.
    image_dev: u64,
    /// Each bind source, by its slot in the Spec (-1: none).
    binds: [Fd; MAX_MOUNTS],
    /// Whether each bind source is a directory (else a file is made as its mount point; false
    /// where there is no bind source).
    dirs: [bool; MAX_MOUNTS],
    upper: Fd,
    /// The host's /sys, to bind where a fresh sysfs cannot be mounted (-1: not needed).
    host_sys: Fd,
    /// The top of the root mount, once made.
    root: Fd,
    /// runix's /dev, once mounted.
    dev: Fd,
    /// runix's /dev/null, once checked: the source of every file mask.
    null: Fd,
    /// The umask from before the devices were made.
    umask: u32,
    /// The first masked directory (an empty read-only tmpfs), bound onto the others; -1 before.
    empty: Fd,
    /// Which of `kernel_tops` is the working directory (1 + its index; 0: none), so that the
    /// masks enter each once.
    kernel_fs: core::cell::Cell<usize>,
    /// The tops of runix's /proc and /sys, once opened and checked (mask.rs).
    kernel_tops: [Fd; 2],
    /// Each user mount's top (device, inode), as made before runix's /proc, /sys and /dev.
    tops: [(u64, u64); MAX_MOUNTS],
}

/// Open a host path; a failure is `what` (rootfs, bind source) on that path.
#[inline(never)]
fn open_host(what: &'static str, p: &CStr, flags: i32) -> Result<Fd, Error> {
    sys::openat(sys::AT_FDCWD, p, flags, 0).map_err(|e| Error::sys(what, e.errno(), p.to_bytes()))
}

/// Parent, before anything exists: the root must be a directory we can reach.
pub fn check_root(rootfs: &CStr) -> Result<(), Error> {
    // The fd is close-on-exec and runix never execs: left open, it costs no close.
    open_host("rootfs", rootfs, DIR).map(drop)
}

impl Mounts {
    /// Child, in its new mount namespace but still seeing the host's files: open the root,
    /// the host's /sys when `host_sys`, every bind source (by its slot in the Spec) and the
    /// overlay's upper directory, once. Opened here, not in the parent, because a bind's
    /// source must be a mount of the caller's own namespace (mount(2), EINVAL).
    #[inline(never)]
    pub fn open(spec: &Spec, host_sys: bool) -> Result<Mounts, Error> {
        let rootfs = spec.rootfs;
        let root = open_host("rootfs", rootfs, DIR)?;
        let mut m = Mounts {
            host_root: root,
            // A bundle's root is the container's own: mount points are made in it.
            image_dev: if spec.make_points { u64::MAX } else { sys::fstat(root)?.dev },
            binds: [-1; MAX_MOUNTS],
            dirs: [false; MAX_MOUNTS],
            upper: -1,
            host_sys: -1,
            root: -1,
            dev: -1,
            null: -1,
            umask: 0,
            empty: -1,
            kernel_fs: core::cell::Cell::new(0),
            kernel_tops: [-1; 2],
            tops: [(0, 0); MAX_MOUNTS],
        };
        if host_sys {
            m.host_sys = open_host("host /sys", c"/sys", DIR)?;
        }
        for i in 0..MAX_MOUNTS {
            if let Some(&Mount { kind: MountKind::Bind { src, .. }, .. }) = spec.mounts.get(i) {
                let mut p = Path::new();
                let fd = open_host("bind source", p.push(src)?.as_cstr(), libc::O_PATH)?;
                m.binds[i] = fd;
                m.dirs[i] = sys::fstat(fd)?.mode & libc::S_IFMT == libc::S_IFDIR;
            }
        }
        if let Overlay::Upper(d) = spec.overlay {
            m.upper = open_host("overlay upper", d, DIR)?;
        }
        Ok(m)
    }

    /// The top of the root mount, once made: where `enter_root` goes.
    pub fn root_top(&self) -> Fd {
        self.root
    }

    /// The root mount, and an fd of its top. Either ROOTFS bound onto itself (pivot_root(2)
    /// and MS_MOVE need a mount point), or an overlayfs with ROOTFS as its lower layer and the
    /// changes in a tmpfs (or --overlay-upper DIR), so the image on disk is never written.
    /// `attrs`: MOUNT_ATTR_RDONLY for --read-only; MOUNT_ATTR_NODEV where no device rule
    /// applies (a user namespace, no v1 devices hierarchy), so that a device node the image
    /// ships opens nowhere: only runix's own /dev holds devices then.
    #[inline(never)]
    pub fn mount_root(&mut self, root: &CStr, overlay: Overlay, attrs: u64) -> Result<(), Error> {
        let nodev_flag = attrs & MOUNT_ATTR_NODEV;
        let off = overlay == Overlay::Off;
        let mut base = self.upper;
        if !matches!(overlay, Overlay::Upper(_)) {
            // For --overlay, the tmpfs goes over ROOTFS itself, in our mount namespace only: it
            // needs no directory anywhere, and ROOTFS stays reachable as the lower layer through
            // its fd. The bind and every mount under ROOTFS on the host: nodev, and read-only
            // all the way down for --read-only, before anything of runix's is mounted on it.
            let rec = bind_rec(attrs);
            let (from, fstype, flags, data) = if off { (root, None, sys::MS_BIND | rec, None) } else { (c"tmpfs", Some(c"tmpfs"), nodev_flag, Some(c"mode=755")) };
            sys::mount(Some(from), root, fstype, flags, data)?;
            base = sys::openat(sys::AT_FDCWD, root, DIR, 0)?;
            if off {
                let path = fd_path(base);
                // Read-only: the image's own mounts below the root at once; the root itself last
                // (remount_root_read_only), once the points of the mounts on it are made, as runc.
                // A root the host mounted read-only stays so, from the start (no point is made).
                let host_ro = attrs & MOUNT_ATTR_RDONLY != 0 && sys::mount_flags(path.as_cstr())? & sys::MS_RDONLY != 0;
                let ro = if host_ro { 0 } else { attrs & MOUNT_ATTR_RDONLY };
                let now = if rec != 0 { attrs } else { attrs & !ro };
                if now != 0 {
                    set_tree(path.as_cstr(), now, rec).map_err(|e| e.at(root.to_bytes()))?;
                }
                if ro != 0 && rec != 0 {
                    sys::mount_setattr_clear(path.as_cstr(), MOUNT_ATTR_RDONLY).map_err(|e| e.at(root.to_bytes()))?;
                }
                self.root = base;
                return Ok(());
            }
        }
        // Paths through /proc/self/fd: no escaping of commas or colons in user paths needed.
        let mut data = CBuf::<128>::new();
        data.push_all(&[b"lowerdir=", fd_path(self.host_root).bytes()])?;
        // The work directory is overlayfs's scratch space, of no one else's concern: 0700. The
        // upper one's mode is the container's / (the overlay's root takes it).
        for (opt, name, mode) in [(&b",upperdir="[..], c"upper", 0o755), (b",workdir=", c"work", 0o700)] {
            match sys::mkdirat(base, name, mode) {
                Err(e) if e.errno() != libc::EEXIST => return Err(e),
                _ => {}
            }
            let fd = sys::openat(base, name, DIR | libc::O_NOFOLLOW, 0)?;
            data.push_all(&[opt, fd_path(fd).bytes()])?;
        }
        sys::mount(Some(c"overlay"), root, Some(c"overlay"), nodev_flag, Some(data.as_cstr()))
            .map_err(|e| if e.errno() == libc::ENODEV { e.hint(crate::error::HINT_OVERLAY) } else { e })?;
        self.root = sys::openat(sys::AT_FDCWD, root, DIR, 0)?;
        Ok(())
    }

    /// The user's mount `mnt` (`-b`, `--tmpfs`), in `slot` of the Spec's; a bind with
    /// MOUNT_ATTR_* `attrs` all the way down. `in_dev`: on runix's /dev, with no symlink
    /// followed on the way. Otherwise it goes on before runix's /proc, /sys and /dev, and its
    /// top (device, inode) is noted in `slot` for `check_covered`.
    #[inline(never)]
    pub fn mount_user(&mut self, mnt: &Mount, slot: usize, attrs: u64, in_dev: bool) -> Result<(), Error> {
        let dst = mnt.dst;
        let mut path = Path::new();
        let path = path.push(dst)?.as_cstr();
        let root = self.root;
        let dir = !matches!(mnt.kind, MountKind::Bind { .. }) || self.dirs[slot];
        // A tmpfs over a directory takes its mode (runc's chmod): `mode=` first, so that one
        // the config gives comes after it and counts.
        let fs = matches!(mnt.kind, MountKind::Fs { .. });
        let mode = if fs { open_in(root, path, libc::O_PATH, in_dev).and_then(sys::fstat).map_or(0, |st| st.mode & 0o7777 | 0o10000) } else { 0 };
        let t = mount_point(root, path, dir, self.image_dev, in_dev)?;
        // The root itself (the image's `/data -> /`): the mount would be under all of runix's,
        // and what the switch into the root finds. Refused, as Docker refuses `/`.
        let (st, rs) = (sys::fstat(t)?, sys::fstat(root)?);
        if (st.dev, st.ino) == (rs.dev, rs.ino) && !sys::trace::dry_run() {
            return Err(Error::msg("refused: a mount onto the root itself, at", dst));
        }
        let mut top = match mnt.kind {
            MountKind::Bind { .. } => bind_at(self.binds[slot], t, attrs & !(BIND_ONE as u64), root, path, dst, attrs & BIND_ONE as u64 != 0)?,
            MountKind::Fs { fstype, flags, data } => {
                let mut d = CBuf::<600>::new();
                if mode != 0 && fstype == c"tmpfs" {
                    // Octal, from the 0o10000 marker's 1 on: 1755 is "01755".
                    let digits = [12, 9, 6, 3, 0].map(|s| b'0' + (mode >> s & 7) as u8);
                    d.push_all(&[b"mode=", &digits, b","])?;
                }
                d.push(data.to_bytes())?;
                let fs = Fs { src: Some(fstype), fstype: Some(fstype), flags: (flags & !COPY_UP) as u64, data: Some(d.as_cstr()) };
                if flags & COPY_UP != 0 {
                    copy_up_none(t, dst)?;
                }
                mount_on(&fs, t, b"", dst)?;
                -1
            }
            MountKind::Tmpfs { size } => {
                let mut data = CBuf::<64>::new();
                data.push(b"mode=1777")?;
                // tmpfs(5): size=0 is no limit, said by saying none.
                if let Some(n) = size.filter(|&n| n != 0) {
                    data.push_all(&[b",size=", crate::text::itoa(n, &mut [0; 20])])?;
                }
                let fs = Fs { src: Some(c"tmpfs"), fstype: Some(c"tmpfs"), flags: sys::MS_NOSUID | sys::MS_NODEV, data: Some(data.as_cstr()) };
                mount_on(&fs, t, b"", dst)?;
                -1
            }
        };
        if !in_dev {
            // A new tmpfs is empty: its path cannot lead anywhere else yet.
            if top < 0 {
                top = open_in(root, path, libc::O_PATH, false)?;
            }
            let st = sys::fstat(top)?;
            self.tops[slot] = (st.dev, st.ino);
        }
        Ok(())
    }

    /// After runix's /proc, /sys and /dev: the user mount at `dst` is still what its path
    /// leads to (its top as noted in `slot`). One that runix's mounts now cover (the image's
    /// `/data -> /dev/shm`) would take the user's data into runix's tmpfs, silently. Refused;
    /// not there at all any more counts the same.
    #[inline(never)]
    pub fn check_covered(&self, dst: &[u8], slot: usize) -> Result<(), Error> {
        let mut path = Path::new();
        let now = open_in(self.root, path.push(dst)?.as_cstr(), libc::O_PATH, false).and_then(sys::fstat).map(|st| (st.dev, st.ino));
        if now.ok() != Some(self.tops[slot]) && !sys::trace::dry_run() {
            return Err(Error::msg("refused: the root filesystem's symlinks lead this mount under runix's /proc, /sys or /dev, at", dst));
        }
        Ok(())
    }

    /// One of /proc, /sys and /dev, a fresh mount of `fs` on `path`: a mount point that is a
    /// symlink is refused.
    pub fn mount_kernel(&self, path: &CStr, fs: &Fs) -> Result<(), Error> {
        let t = mount_point(self.root, path, true, self.image_dev, true)?;
        self.mount_at(fs, t, c".", path.to_bytes())
    }

    /// Mount onto `rel` (`.`: itself) in the open directory `dir`, made the working directory:
    /// mount(2) takes paths only, and one named from there needs no /proc/self/fd magic-link
    /// walk. An error names `shown`, the path in the container.
    fn mount_at(&self, fs: &Fs, dir: Fd, rel: &CStr, shown: &[u8]) -> Result<(), Error> {
        // The working directory moves: no kernel filesystem's top is it any more.
        self.kernel_fs.set(0);
        sys::fchdir(dir).and_then(|_| sys::mount(fs.src, rel, fs.fstype, fs.flags, fs.data)).map_err(|e| e.at(shown))
    }

    /// /sys where a user namespace with the host's network may not mount sysfs (it belongs to
    /// the network namespace): the host's, read-only all the way down, as rootless podman.
    pub fn bind_host_sys(&self) -> Result<(), Error> {
        let t = mount_point(self.root, c"/sys", true, self.image_dev, true)?;
        bind_at(self.host_sys, t, MOUNT_ATTR_RDONLY | 0xe, self.root, c"/sys", b"/sys", false).map(drop)
    }

    /// config.json's `cgroup` mount on /sys/fs/cgroup, as runc makes it in a cgroup namespace:
    /// on cgroup v2, the unified hierarchy; on v1, a tmpfs with each hierarchy of the host's
    /// (`cpu`, `name=systemd`) mounted in it (its root is the container's cgroup), and a link
    /// for each controller of a co-mounted one (cpu -> cpu,cpuacct). `flags`: MS_RDONLY...
    pub fn mount_cgroups(&self, flags: u64) -> Result<(), Error> {
        let t = mount_point(self.root, c"/sys/fs/cgroup", true, self.image_dev, true)?;
        let mut dir = -1;
        let n = crate::cgroup::v1_hierarchies(&mut |name, opts| {
            if dir < 0 {
                self.mount_at(&Fs { src: Some(c"tmpfs"), fstype: Some(c"tmpfs"), flags: NOSUID_NODEV_NOEXEC, data: Some(c"mode=755") }, t, c".", b"/sys/fs/cgroup")?;
                dir = open_in(self.root, c"/sys/fs/cgroup", DIR, true)?;
            }
            let mut rel = CBuf::<64>::new();
            rel.push_all(&[b"/", name])?;
            sys::mkdirat(dir, &rel.as_cstr()[1..], 0o555)?;
            self.mount_at(&Fs { src: Some(c"cgroup"), fstype: Some(c"cgroup"), flags, data: Some(opts) }, dir, &rel.as_cstr()[1..], name)?;
            for c in crate::text::fields(name, b',').filter(|_| name.iter().any(|&c| c == b',')) {
                let mut l = CBuf::<64>::new();
                sys::symlinkat(&rel.as_cstr()[1..], dir, l.push(c)?.as_cstr())?;
            }
            Ok(())
        })?;
        match n {
            0 => self.mount_at(&Fs { src: Some(c"cgroup2"), fstype: Some(c"cgroup2"), flags, data: None }, t, c".", b"/sys/fs/cgroup"),
            _ => Ok(()),
        }
    }
}

/// /proc of the container's own PID namespace (so ps sees only the container), sysfs, and
/// the tmpfs of a fresh /dev; their flags are the Spec's (`own_flags`, in this order).
pub const PROC: Fs = Fs { src: Some(c"proc"), fstype: Some(c"proc"), flags: 0, data: None };
pub const SYSFS: Fs = Fs { src: Some(c"sysfs"), fstype: Some(c"sysfs"), flags: 0, data: None };
pub const DEV: Fs = Fs { src: Some(c"tmpfs"), fstype: Some(c"tmpfs"), flags: 0, data: Some(c"mode=755,size=65536k") };

/// runc's `tmpcopyup`, where the image has nothing to copy: a directory of the image's with
/// anything in it is refused (copying a hostile image's tree is not done here).
fn copy_up_none(t: Fd, dst: &[u8]) -> Result<(), Error> {
    let dir = sys::openat(t, c".", libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let mut buf = [0u8; 512];
    // Every entry, to the end (a long name may not fit in the first read).
    let r = loop {
        let n = match sys::getdents64(dir, &mut buf) {
            Ok(0) => break Ok(()),
            r => r?,
        };
        // struct linux_dirent64: d_reclen at 16, the name at 19.
        let mut at = 0;
        while at + 19 < n {
            let name = &buf[at + 19..];
            if !(name.starts_with(b".\0") || name.starts_with(b"..\0")) && !sys::trace::dry_run() {
                break;
            }
            at += u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
        }
        if at + 19 < n {
            break Err(Error::msg(unsupported!("tmpcopyup: the image has files there, at"), dst));
        }
    };
    let _ = sys::close(dir);
    r
}

/// Write `value` into the kernel's file `path` (/proc/sys/..., /proc/self/oom_score_adj).
#[inline(never)]
pub fn write_setting(path: &CStr, value: &[u8]) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, path, libc::O_WRONLY, 0)?;
    let r = sys::write_all(fd, value).map_err(|e| e.at(path.to_bytes()));
    sys::close(fd).and(r)
}

/// Stop mount events crossing between the host and the container, both ways. Without this,
/// on a host where / is shared (systemd's default) the bind, the pivot_root and the umount
/// below would propagate back into the host's mount table (mount_namespaces(7)).
pub fn make_private() -> Result<(), Error> {
    sys::mount(None, c"/", None, sys::MS_REC | sys::MS_PRIVATE, None)
}

/// "/proc/self/fd/N": a path to what fd N is, for syscalls that take paths (mount(2)).
#[inline(never)]
pub fn fd_path(fd: Fd) -> CBuf<64> {
    let mut p = CBuf::new();
    // Cannot overflow: 14 + 10 digits.
    let _ = p.push(b"/proc/self/fd/").and_then(|p| p.push(crate::text::itoa(fd as u64, &mut [0; 10])));
    p
}

pub const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub const MOUNT_ATTR_NODEV: u64 = 0x4;

/// MS_REC for a bind that is to get MOUNT_ATTR_* `attrs`, unless this kernel cannot set them on
/// every mount below it (no mount_setattr(2) before Linux 5.12: a call that can only fail
/// says ENOSYS). Then only the top is bound, so that nothing below it stays writable, or keeps
/// its devices, in the container: read-only means read-only all the way down.
fn bind_rec(attrs: u64) -> u64 {
    match attrs != 0 && sys::mount_setattr_rec(c"", 0).is_err_and(|e| e.errno() == libc::ENOSYS) {
        true => 0,
        false => sys::MS_REC,
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
fn bind_at(src: Fd, t: Fd, attrs: u64, root: Fd, path: &CStr, shown: &[u8], one: bool) -> Result<Fd, Error> {
    let rec = if one { 0 } else { bind_rec(attrs) };
    let top = match sys::open_tree(src, rec) {
        Ok(tree) => {
            sys::move_mount(tree, t).map_err(|e| e.at(shown))?;
            tree
        }
        Err(e) if e.errno() == libc::ENOSYS => {
            let from = fd_path(src);
            mount_on(&Fs { src: Some(from.as_cstr()), fstype: None, flags: sys::MS_BIND | rec, data: None }, t, b"", shown)?;
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

/// What mount(2) takes besides the target: source, type, flags, data.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fs<'a> {
    pub src: Option<&'a CStr>,
    pub fstype: Option<&'a CStr>,
    pub flags: u64,
    pub data: Option<&'a CStr>,
}

/// Mount onto the open directory or file `target`, or onto `rel` under it, the
/// /proc/self/fd/N way; an error names `shown`, the path in the container.
#[inline(never)]
fn mount_on(fs: &Fs, target: Fd, rel: &[u8], shown: &[u8]) -> Result<(), Error> {
    let mut p = fd_path(target);
    p.push(rel)?;
    sys::mount(fs.src, p.as_cstr(), fs.fstype, fs.flags, fs.data).map_err(|e| e.at(shown))
}

/// Make the root mount the container's `/`, leaving nothing of the host reachable: with
/// pivot_root(2) when `pivot`, else by moving the root onto / and chroot(2). A host whose root
/// is the initramfs cannot be pivoted away from (pivot_root(2), ERRORS: EINVAL): there the
/// second way is taken too, as switch_root(8) takes it.
#[inline(never)]
pub fn enter_root(top: Fd, root: &CStr, pivot: bool) -> Result<(), Error> {
    sys::fchdir(top).map_err(|e| e.at(root.to_bytes()))?;
    if pivot {
        match sys::pivot_root(c".", c".") {
            // The old root ends up stacked on the new one, and is then detached, so no path
            // inside the container leads back to the host (pivot_root(2)).
            Ok(()) => {
                sys::umount2(c".", libc::MNT_DETACH)?;
                return sys::chdir(c"/");
            }
            Err(e) if e.errno() == libc::EINVAL && on_initramfs() => {
                crate::info!("/ is an initramfs, which pivot_root(2) cannot leave: MS_MOVE and chroot(2) into ", crate::error::Bytes(root.to_bytes()));
            }
            Err(e) if e.errno() == libc::EINVAL => return Err(e.at(root.to_bytes()).hint(crate::error::HINT_CHROOT)),
            Err(e) => return Err(e.at(root.to_bytes())),
        }
    }
    drop_host_kernel_mounts()?;
    // Move the root onto / and chroot into it. A plain chroot(2) is escaped with chroot and
    // chdir(".."); with the mount moved over /, ".." at the top stays on the container's root.
    sys::mount(Some(c"."), c"/", None, sys::MS_MOVE, None).and_then(|()| sys::chroot(c".")).map_err(|e| e.at(root.to_bytes()))?;
    sys::chdir(c"/")
}

/// Whether / is the initramfs: the kernel's rootfs, a ramfs or a tmpfs (ramfs-rootfs-
/// initramfs.rst). Any other root that pivot_root refuses is the error it is.
fn on_initramfs() -> bool {
    sys::fs_type_at(c"/").is_ok_and(|t| t == RAMFS_MAGIC || t == TMPFS_MAGIC)
}

const RAMFS_MAGIC: u64 = 0x8584_58f6;
const TMPFS_MAGIC: u64 = 0x0102_1994;

/// Without pivot_root the host's mounts stay in the container's mount namespace, under the
/// root moved over them. The kernel lets a user namespace mount a fresh proc or sysfs where one
/// is already fully visible in its mount namespace, hidden or not (mount_too_revealing), so a
/// process of the container in a user namespace of its own would get a /proc without runix's
/// masks. So each of a filesystem's top (mount root "/") is looked at. Outside the root (the
/// cwd) it goes: detached with what is below it, or where it cannot be (locked, in a user
/// namespace), covered with an empty tmpfs, as runc's msMoveRoot does. Inside, it stays: the
/// container's, as after pivot_root. Either way, one that its path does not lead to is hidden
/// under another mount, out of reach of both (as a host mount under the root's path is, under
/// the root's bind), and stops the run.
#[inline(never)]
fn drop_host_kernel_mounts() -> Result<(), Error> {
    let mut cwd = [0u8; 4096];
    let n = sys::getcwd(&mut cwd)?;
    let root = cwd[..n].strip_suffix(b"\0").unwrap_or(&cwd[..n]);
    // "+ID POINT" of each, + inside the root and - outside, a line each, read whole before
    // any goes (a point with a newline in it is then not found where it is, and stops the run).
    let mut found = CBuf::<2048>::new();
    crate::file::for_each_line(c"/proc/self/mountinfo", &mut |l| {
        // "36 35 98:0 /root /mnt/point rw,... shared:1 - FSTYPE SOURCE OPTIONS" (proc(5)).
        let mut f = [&l[..0]; 5];
        for (to, field) in f.iter_mut().zip(l.split(|&c| c == b' ')) {
            *to = field;
        }
        let fstype = l.split(|&c| c == b' ').skip_while(|&f| f != b"-").nth(1).unwrap_or_default();
        // With / as the root (-r /), the container sees the host anyway.
        if fstype != b"proc" && fstype != b"sysfs" || f[3] != b"/" || root == b"/" {
            return Ok(true);
        }
        let path = unescape(f[4])?;
        let path = path.bytes();
        let inside = path.strip_prefix(root).is_some_and(|r| r.is_empty() || r[0] == b'/');
        found.push_all(&[if inside { b"+" } else { b"-" }, f[0], b" ", path, b"\n"]).map_err(|_| Error::sys("mountinfo", libc::E2BIG, path))?;
        Ok(true)
    })?;
    // The last first: mountinfo lists a mount after the one it is on.
    for (tag, point) in found.bytes().rsplit(|&c| c == b'\n').filter_map(|e| crate::text::cut(e, b' ')) {
        let (inside, id) = tag.split_first().map_or((false, &b""[..]), |(&t, id)| (t == b'+', id));
        let p = CBuf::<4096>::from(&[point])?;
        let p = p.as_cstr();
        // Where its path leads to another mount (it is hidden under one), neither umount2 nor
        // a cover reaches it.
        if mount_id(p)?.is_none_or(|m| Some(m) != crate::text::number(id)) {
            return Err(Error::msg("proc or sysfs mount out of its path's reach (hidden under another mount?)", point));
        }
        if inside {
            continue;
        }
        // EINVAL here: locked, a user namespace's copy of the host's mount.
        if let Err(e) = sys::umount2(p, libc::MNT_DETACH) {
            sys::mount(Some(c"tmpfs"), p, Some(c"tmpfs"), sys::MS_RDONLY | NOSUID_NODEV_NOEXEC, Some(c"size=0")).map_err(|_| e.at(point))?;
        }
    }
    Ok(())
}

/// The id of the mount `path` leads to: its fd's mnt_id in /proc/self/fdinfo (proc(5); Linux
/// 3.15), as mountinfo's first field. None where the path leads to nothing.
fn mount_id(path: &CStr) -> Result<Option<u64>, Error> {
    let fd = match sys::openat(sys::AT_FDCWD, path, libc::O_PATH | libc::O_NOFOLLOW, 0) {
        Err(e) if e.errno() == libc::ENOENT => return Ok(None),
        r => r?,
    };
    let mut buf = [0u8; 512];
    let info = CBuf::<40>::from(&[b"/proc/self/fdinfo/", crate::text::itoa(fd as u64, &mut [0; 20])])?;
    let text = crate::file::read_file(info.as_cstr(), &mut buf);
    sys::close(fd)?;
    Ok(crate::text::fields(text?, b'\n').find_map(|l| crate::text::number(l.strip_prefix(b"mnt_id:\t")?)))
}

/// A mount point as mountinfo shows it, with its space, tab, newline and backslash as \ooo.
fn unescape(field: &[u8]) -> Result<CBuf<4096>, Error> {
    let mut out = CBuf::new();
    let mut i = 0;
    while i < field.len() {
        let c = match field[i..] {
            [b'\\', a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] => {
                i += 3;
                (a - b'0') << 6 | (b - b'0') << 3 | (c - b'0')
            }
            _ => field[i],
        };
        out.push(&[c])?;
        i += 1;
    }
    Ok(out)
}

/// --read-only: the root, last, once the points of the mounts on it are made (the image's own
/// mounts below it were made read-only in mount_root; an overlay has none); binds and tmpfs on
/// it keep their own mode.
pub fn remount_root_read_only() -> Result<(), Error> {
    remount(c"/", sys::MS_RDONLY)
}

/// The mount at `path` remounted with `flags` added. Its nosuid, nodev and noexec (from the
/// mount it was bound from) are kept: in a user namespace they are locked, and a remount that
/// clears them fails with EPERM (mount_namespaces(7)).
fn remount(path: &CStr, flags: u64) -> Result<(), Error> {
    sys::mount(None, path, None, sys::MS_REMOUNT | sys::MS_BIND | flags | sys::mount_flags(path)?, None)
}

#[cfg(test)]
mod tests;
