//! The plan: every mount and file the child makes, in order, as data (bubblewrap's setup ops).
//! Built from the Spec and a few facts of the run before the clone, so bad input is refused
//! before anything exists; executed by the child one op at a time (one loop, one match), each
//! op a step of rootfs; shown at `-v`, one line per op as it runs (with --dry-run, between the
//! syscalls it makes); and read by the unit tests as a list.
//!
//! The order is what keeps the container in: the user's mounts go on first, then runix's /proc,
//! /sys and /dev over them, so that the masks are made on what runix mounted, never on what a
//! user mount put there (CVE-2025-31133); then what the user named under /dev, on runix's /dev;
//! then the switch into the root, and the host's fds go before anything of the image's is read.

use crate::buf::List;
use crate::error::{Bytes, Error};
use crate::rootfs::{self, Fs, MOUNT_ATTR_NODEV, MOUNT_ATTR_RDONLY, Mounts, NOSUID_NODEV_NOEXEC, UserMount};
use crate::spec::{MAX_MOUNTS, MountKind, Overlay, RootMode, Spec};
use crate::sys::Fd;
use core::ffi::CStr;
use core::num::NonZeroU64;

/// One step. Paths are the container's; `slot` is the user mount's place in the Spec, where
/// its bind source and its top are kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// The root mount: ROOTFS bound onto itself with MOUNT_ATTR_* `attrs` all the way down, or
    /// the lower layer of an overlay (nodev with MOUNT_ATTR_NODEV).
    Root { overlay: Overlay, attrs: u64 },
    /// `-b`: a host file or directory, with MOUNT_ATTR_* `attrs` all the way down. `in_dev`:
    /// on runix's /dev (with no symlink followed), else before runix's /proc, /sys and /dev.
    Bind { dst: &'static [u8], slot: u8, attrs: u64, in_dev: bool },
    /// `--tmpfs`: a fresh tmpfs, of `size` bytes when given (tmpfs(5): 0 is no limit).
    Tmpfs { dst: &'static [u8], slot: u8, size: Option<NonZeroU64>, in_dev: bool },
    /// A fresh procfs on /proc, of the container's PID namespace.
    Proc,
    /// A fresh sysfs on /sys, read-only.
    Sys,
    /// The host's /sys, read-only all the way down: a user namespace with the host's network
    /// may not mount sysfs.
    BindSys,
    /// A tmpfs on /dev, for runix's own devices.
    Dev,
    /// umask 0 before the devices, and back after.
    ClearUmask,
    RestoreUmask,
    /// The character device `path` in /dev (or the host's node, bound, where mknod is refused).
    Device { path: &'static CStr, major: u32, minor: u32 },
    /// The directory `path` in /dev of `mode`, with `fs` mounted on it.
    DevMount { path: &'static CStr, mode: u32, fs: &'static Fs<'static> },
    /// The link `path` in /dev to `target`.
    Symlink { path: &'static CStr, target: &'static CStr },
    /// runix's /dev/null, opened and checked: what the file masks are made of.
    CheckNull,
    /// Docker's masked paths: covered (`dir`: a directory on kernels that have it).
    Mask { path: &'static CStr, dir: bool },
    /// Docker's read-only paths.
    ReadOnly { path: &'static CStr },
    /// The user mount at `dst` is still what its path leads to, after runix's mounts.
    CheckCovered { dst: &'static [u8], slot: u8 },
    /// pivot_root(2) into ROOTFS, and the old root detached.
    PivotRoot,
    /// ROOTFS moved onto / and chroot(2) into it (initramfs hosts).
    Chroot,
    /// Every fd from 3 up, but those given to `execute`, closed.
    CloseFds,
    /// --read-only with --overlay: the overlay remounted read-only.
    RemountRootReadOnly,
}

/// Most ops a plan has: the root, the user's mounts twice, runix's ten single ones and those of
/// its tables, and the last three.
pub const MAX_OPS: usize = 1 + 2 * MAX_MOUNTS + 10 + DEVICES.len() + FD_LINKS.len() + MASKED.len() + READ_ONLY.len() + 3;

/// What the plan needs to know of the run besides the Spec.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Facts {
    /// The container has a user namespace.
    pub userns: bool,
    /// No device rule applies (a user namespace, no v1 devices hierarchy): what the image or
    /// the user brings is mounted nodev.
    pub nodev: bool,
    /// Gid 5 exists in the container (a single-id user namespace has none).
    pub tty_gid: bool,
}

pub struct Plan {
    pub rootfs: &'static CStr,
    /// The host's /sys is opened, for BindSys.
    pub host_sys: bool,
    /// Each user mount's bind source, by slot (None: a tmpfs).
    pub sources: [Option<&'static [u8]>; MAX_MOUNTS],
    pub upper: Option<&'static CStr>,
    pub ops: List<Op, MAX_OPS>,
}

/// The character devices every container gets (Docker's): path, major, minor.
const DEVICES: [(&CStr, u32, u32); 6] =
    [(c"/dev/null", 1, 3), (c"/dev/zero", 1, 5), (c"/dev/full", 1, 7), (c"/dev/random", 1, 8), (c"/dev/urandom", 1, 9), (c"/dev/tty", 5, 0)];

/// devpts gets its own instance, so the container sees only its own ptys (devpts(5),
/// newinstance); its ptys belong to gid 5 (the tty group of most distributions, and the OCI
/// runtime spec's default) where gid 5 can be used.
const DEVPTS: Fs = Fs { src: Some(c"devpts"), fstype: Some(c"devpts"), flags: libc::MS_NOSUID | libc::MS_NOEXEC, data: Some(c"gid=5,newinstance,ptmxmode=0666,mode=0620") };
const DEVPTS_NO_GID: Fs = Fs { data: Some(c"newinstance,ptmxmode=0666,mode=0620"), ..DEVPTS };
const SHM: Fs = Fs { src: Some(c"shm"), fstype: Some(c"tmpfs"), flags: NOSUID_NODEV_NOEXEC, data: Some(c"mode=1777,size=65536k") };
const MQUEUE: Fs = Fs { src: Some(c"mqueue"), fstype: Some(c"mqueue"), flags: NOSUID_NODEV_NOEXEC, data: None };

/// The links in /dev to what each process has open: path, target.
const FD_LINKS: [(&CStr, &CStr); 4] =
    [(c"/dev/fd", c"/proc/self/fd"), (c"/dev/stdin", c"/proc/self/fd/0"), (c"/dev/stdout", c"/proc/self/fd/1"), (c"/dev/stderr", c"/proc/self/fd/2")];

/// What Docker hides in /proc and /sys: kernel memory, keys, timers, firmware, hardware
/// details that leak host information or allow attacks. With each, whether it is a directory
/// on the kernels that have it.
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

impl Plan {
    /// A plan of no op yet, to `fill`.
    #[inline(never)]
    pub fn new() -> Plan {
        Plan { rootfs: c"", host_sys: false, sources: [None; MAX_MOUNTS], upper: None, ops: List::new() }
    }

    /// Make this (empty) plan the plan for `spec`: filled in place, since a plan is 4 KiB and
    /// the frames it lives in are on the way to the deepest calls. A user mount on or in /proc
    /// or /sys, or on /dev itself, is refused here: runix mounts those itself.
    #[inline(never)]
    pub fn fill(&mut self, spec: &Spec, facts: Facts) -> Result<(), Error> {
        let p = self;
        let host_sys = facts.userns && !spec.new_net;
        (p.rootfs, p.host_sys) = (spec.rootfs, host_sys);
        if let Overlay::Upper(d) = spec.overlay {
            p.upper = Some(d);
        }
        let nodev = if facts.nodev { MOUNT_ATTR_NODEV } else { 0 };
        p.push(Op::Root { overlay: spec.overlay, attrs: if spec.read_only { MOUNT_ATTR_RDONLY } else { 0 } | nodev });
        p.push_user(spec, nodev, false)?;
        p.push(Op::Proc);
        // A user namespace with the host's network may not mount sysfs (it belongs to the
        // network namespace).
        p.push(if host_sys { Op::BindSys } else { Op::Sys });
        p.push(Op::Dev);
        p.push(Op::ClearUmask);
        for &(path, major, minor) in DEVICES.iter() {
            p.push(Op::Device { path, major, minor });
        }
        p.push(Op::RestoreUmask);
        p.push(Op::DevMount { path: c"/dev/pts", mode: 0o755, fs: if facts.tty_gid { &DEVPTS } else { &DEVPTS_NO_GID } });
        p.push(Op::Symlink { path: c"/dev/ptmx", target: c"pts/ptmx" });
        p.push(Op::DevMount { path: c"/dev/shm", mode: 0o1777, fs: &SHM });
        p.push(Op::DevMount { path: c"/dev/mqueue", mode: 0o755, fs: &MQUEUE });
        for &(path, target) in FD_LINKS.iter() {
            p.push(Op::Symlink { path, target });
        }
        p.push(Op::CheckNull);
        // --privileged sees /proc and /sys whole, as Docker's does.
        if !spec.privileged {
            for &(path, dir) in MASKED.iter() {
                p.push(Op::Mask { path, dir });
            }
            for &path in READ_ONLY.iter() {
                p.push(Op::ReadOnly { path });
            }
        }
        p.push_user(spec, nodev, true)?;
        p.push(if spec.root_mode == RootMode::PivotRoot { Op::PivotRoot } else { Op::Chroot });
        p.push(Op::CloseFds);
        if spec.read_only && spec.overlay != Overlay::Off {
            p.push(Op::RemountRootReadOnly);
        }
        Ok(())
    }

    /// The user's mounts, in the order given, on one side of runix's: those under /dev
    /// (`in_dev`), or all the others. With the /dev ones, each other one is checked again.
    fn push_user(&mut self, spec: &Spec, nodev: u64, in_dev: bool) -> Result<(), Error> {
        for (i, m) in spec.mounts.iter().enumerate() {
            let (dst, slot) = (m.dst, i as u8);
            let op = match m.kind {
                _ if under_dev(dst)? != in_dev => match in_dev {
                    true => Op::CheckCovered { dst, slot },
                    false => continue,
                },
                MountKind::Bind { src, ro } => {
                    self.sources[i] = Some(src);
                    // On runix's /dev, a device the user names is the point of the bind.
                    let attrs = if ro { MOUNT_ATTR_RDONLY } else { 0 } | if in_dev { 0 } else { nodev };
                    Op::Bind { dst, slot, attrs, in_dev }
                }
                MountKind::Tmpfs { size } => Op::Tmpfs { dst, slot, size: size.and_then(NonZeroU64::new), in_dev },
            };
            self.push(op);
        }
        Ok(())
    }

    fn push(&mut self, op: Op) {
        // MAX_OPS counts every op a plan can have: a plan that lost one would be a bug.
        assert!(self.ops.push(op));
    }

    /// Child, in its own mount namespace: the host's side of the plan (the root, bind
    /// sources, the upper directory, the host's /sys), opened before anything is made.
    pub fn open(&self) -> Result<Mounts, Error> {
        Mounts::open(self.rootfs, self.host_sys, &self.sources, self.upper)
    }

    /// Child: every op, in order; `keep` are the fds CloseFds leaves open.
    pub fn execute(&self, m: &mut Mounts, keep: &[Fd]) -> Result<(), Error> {
        for op in self.ops.iter() {
            if crate::log::enabled(crate::log::INFO) {
                let name = crate::text::field(NAMES, b',', op.index()).unwrap_or("");
                info!(name, Bytes(op.path(self.rootfs)));
            }
            match op {
                Op::Root { overlay, attrs } => m.mount_root(self.rootfs, overlay, attrs)?,
                Op::Bind { dst, slot, attrs, in_dev } => m.mount_user(dst, slot as usize, UserMount::Bind(attrs), in_dev)?,
                Op::Tmpfs { dst, slot, size, in_dev } => m.mount_user(dst, slot as usize, UserMount::Tmpfs(size), in_dev)?,
                Op::Proc => m.mount_kernel(c"/proc", &rootfs::PROC)?,
                Op::Sys => m.mount_kernel(c"/sys", &rootfs::SYSFS)?,
                Op::BindSys => m.bind_host_sys()?,
                Op::Dev => m.mount_dev()?,
                Op::ClearUmask => m.clear_umask(),
                Op::RestoreUmask => m.restore_umask(),
                Op::Device { path, major, minor } => m.make_device(path, major, minor)?,
                Op::DevMount { path, mode, fs } => m.mount_in_dev(path, mode, fs)?,
                Op::Symlink { path, target } => m.symlink_in_dev(path, target)?,
                Op::CheckNull => m.check_null()?,
                Op::Mask { path, dir } => m.mask(path, dir)?,
                Op::ReadOnly { path } => m.read_only(path)?,
                Op::CheckCovered { dst, slot } => m.check_covered(dst, slot as usize)?,
                Op::PivotRoot | Op::Chroot => rootfs::enter_root(self.rootfs, op == Op::PivotRoot)?,
                // Every fd of the host's (the root's, the bind sources', the cgroup files') goes
                // before anything of the image's is read or followed: a symlink to
                // /proc/self/fd/N/.. would lead out of the root through one (CVE-2024-21626).
                Op::CloseFds => crate::process::exec::close_fds(keep)?,
                Op::RemountRootReadOnly => rootfs::remount_root_read_only()?,
            }
        }
        Ok(())
    }
}

/// Whether the user mount at `dst` goes on runix's /dev (else before it); refused on or in
/// /proc or /sys, or on /dev itself.
#[inline(never)]
fn under_dev(dst: &[u8]) -> Result<bool, Error> {
    let mut c = rootfs::components(dst);
    let (top, below) = (c.next(), c.next().is_some());
    if matches!(top, Some(b"proc" | b"sys")) || top == Some(b"dev") && !below {
        return Err(Error::msg("refused: runix mounts /proc, /sys and /dev itself, at", dst));
    }
    Ok(top == Some(b"dev"))
}

/// How `-v` shows each op: a comma-separated field per variant of Op, in the order of
/// `Op::index` (a unit test holds the two together).
const NAMES: &str = "(child) root ,(child) bind ,(child) tmpfs ,(child) proc ,(child) sysfs ,(child) bind host ,(child) tmpfs ,(child) umask 0,(child) umask back,(child) device ,(child) mount ,(child) symlink ,(child) check ,(child) mask ,(child) read-only ,(child) check ,(child) pivot_root ,(child) chroot ,(child) close fds,(child) read-only ";

impl Op {
    /// The op's place among Op's variants.
    fn index(self) -> u64 {
        match self {
            Op::Root { .. } => 0,
            Op::Bind { .. } => 1,
            Op::Tmpfs { .. } => 2,
            Op::Proc => 3,
            Op::Sys => 4,
            Op::BindSys => 5,
            Op::Dev => 6,
            Op::ClearUmask => 7,
            Op::RestoreUmask => 8,
            Op::Device { .. } => 9,
            Op::DevMount { .. } => 10,
            Op::Symlink { .. } => 11,
            Op::CheckNull => 12,
            Op::Mask { .. } => 13,
            Op::ReadOnly { .. } => 14,
            Op::CheckCovered { .. } => 15,
            Op::PivotRoot => 16,
            Op::Chroot => 17,
            Op::CloseFds => 18,
            Op::RemountRootReadOnly => 19,
        }
    }

    /// The op's path, as `-v` shows it (none for some).
    fn path(self, rootfs: &'static CStr) -> &'static [u8] {
        match self {
            Op::Bind { dst, .. } | Op::Tmpfs { dst, .. } | Op::CheckCovered { dst, .. } => dst,
            Op::Device { path, .. } | Op::DevMount { path, .. } | Op::Symlink { path, .. } | Op::Mask { path, .. } | Op::ReadOnly { path } => path.to_bytes(),
            Op::Root { .. } | Op::PivotRoot | Op::Chroot => rootfs.to_bytes(),
            Op::Proc => b"/proc",
            Op::Sys | Op::BindSys => b"/sys",
            Op::Dev => b"/dev",
            Op::CheckNull => b"/dev/null",
            Op::RemountRootReadOnly => b"/",
            Op::ClearUmask | Op::RestoreUmask | Op::CloseFds => b"",
        }
    }
}

#[cfg(test)]
mod tests;
