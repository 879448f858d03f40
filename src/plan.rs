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
use crate::rootfs::{self, DevMount, Device, Fs, Link, MOUNT_ATTR_NODEV, MOUNT_ATTR_RDONLY, Mounts};
use crate::spec::{DOCKER_MASKED, DOCKER_READ_ONLY, MAX_MASKS, MAX_MOUNTS, Mask, Mount, MountKind, NOSUID_NODEV_NOEXEC, OWN_CGROUP, OWN_DEV, OWN_PROC, OWN_PTS, OWN_SHM_MQUEUE, OWN_SYS, RootMode, Spec};
use crate::sys::Fd;

/// One step. runix's own files are each a static descriptor, referred to; the user's mounts
/// are their slot in the Spec, where their paths, bind sources and sizes are. Every payload
/// is one word, so that an op is two words and passed in two registers, not through memory
/// (the plan makes some fifty). The variants are grouped by where `-v` finds the path it
/// shows: the root, the Spec, a descriptor, or none but the name's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// The root mount: ROOTFS bound onto itself with MOUNT_ATTR_* `attrs` all the way down, or
    /// the lower layer of the Spec's overlay (nodev with MOUNT_ATTR_NODEV).
    Root { attrs: u64 },
    /// pivot_root(2) into ROOTFS, and the old root detached.
    PivotRoot,
    /// ROOTFS moved onto / and chroot(2) into it (initramfs hosts).
    Chroot,
    /// `-b`: a host file or directory, with its MOUNT_ATTR_* all the way down.
    Bind(User),
    /// `--tmpfs`: a fresh tmpfs.
    Tmpfs(User),
    /// The user mount is still what its path leads to, after runix's mounts.
    CheckCovered(User),
    /// A character device in /dev (or the host's node, bound, where mknod is refused).
    Device(&'static Device),
    /// A directory in /dev with a filesystem mounted on it.
    DevMount(&'static DevMount),
    /// A link in /dev.
    Symlink(&'static Link),
    /// A masked path (Docker's, or a config.json's).
    Mask(&'static Mask),
    /// A read-only path.
    ReadOnly(&'static Mask),
    /// A fresh procfs on /proc, of the container's PID namespace.
    Proc,
    /// A fresh sysfs on /sys, read-only.
    Sys,
    /// The host's /sys, read-only all the way down: a user namespace with the host's network
    /// may not mount sysfs.
    BindSys,
    /// A tmpfs on /dev, for runix's own devices.
    Dev,
    /// The cgroup hierarchies on /sys/fs/cgroup (config.json's `cgroup` mount), read-only.
    Cgroups,
    /// A config.json's device nodes in /dev.
    Nodes,
    /// umask 0 before the devices, and back after.
    ClearUmask,
    RestoreUmask,
    /// runix's /dev/null, opened and checked: what the file masks are made of.
    CheckNull,
    /// Every fd from 3 up, but those given to `execute`, closed.
    CloseFds,
    /// --read-only with --overlay: the overlay remounted read-only.
    RemountRootReadOnly,
}

/// A user mount's op: its slot in the Spec; whether it goes on runix's /dev (with no symlink
/// followed), else before runix's /proc, /sys and /dev; and, for a bind, the MOUNT_ATTR_* it
/// gets all the way down. Packed in one word (see Op).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct User(u64);

impl User {
    pub const fn new(slot: u8, in_dev: bool, attrs: u64) -> User {
        User(slot as u64 | (in_dev as u64) << 8 | attrs << 16)
    }

    pub fn slot(self) -> u8 {
        self.0 as u8
    }

    pub fn in_dev(self) -> bool {
        self.0 & 0x100 != 0
    }

    pub fn attrs(self) -> u64 {
        self.0 >> 16
    }
}

/// Most ops a plan has: the root, the user's mounts twice, runix's ten single ones and those of
/// its tables, and the last three.
pub const MAX_OPS: usize = 1 + 2 * MAX_MOUNTS + 12 + DEVICES.len() + FD_LINKS.len() + 2 * MAX_MASKS + 3;

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

pub struct Plan<'a> {
    /// The root, the overlay and the user's mounts the ops refer to.
    pub spec: &'a Spec,
    /// The host's /sys is opened, for BindSys.
    pub host_sys: bool,
    pub ops: List<Op, MAX_OPS>,
}

/// The character devices every container gets (Docker's).
static DEVICES: [Device; 6] = [
    Device { path: c"/dev/null", major: 1, minor: 3 },
    Device { path: c"/dev/zero", major: 1, minor: 5 },
    Device { path: c"/dev/full", major: 1, minor: 7 },
    Device { path: c"/dev/random", major: 1, minor: 8 },
    Device { path: c"/dev/urandom", major: 1, minor: 9 },
    Device { path: c"/dev/tty", major: 5, minor: 0 },
];

/// devpts gets its own instance, so the container sees only its own ptys (devpts(5),
/// newinstance); its ptys belong to gid 5 (the tty group of most distributions, and the OCI
/// runtime spec's default) where gid 5 can be used.
const DEVPTS: Fs = Fs { src: Some(c"devpts"), fstype: Some(c"devpts"), flags: crate::sys::MS_NOSUID | crate::sys::MS_NOEXEC, data: Some(c"gid=5,newinstance,ptmxmode=0666,mode=0620") };
static PTS: DevMount = DevMount { path: c"/dev/pts", mode: 0o755, fs: DEVPTS };
static PTS_NO_GID: DevMount = DevMount { path: c"/dev/pts", mode: 0o755, fs: Fs { data: Some(c"newinstance,ptmxmode=0666,mode=0620"), ..DEVPTS } };
static PTMX: Link = Link { path: c"/dev/ptmx", target: c"pts/ptmx" };
static SHM: DevMount = DevMount { path: c"/dev/shm", mode: 0o1777, fs: Fs { src: Some(c"shm"), fstype: Some(c"tmpfs"), flags: NOSUID_NODEV_NOEXEC, data: Some(c"mode=1777,size=65536k") } };
static MQUEUE: DevMount = DevMount { path: c"/dev/mqueue", mode: 0o755, fs: Fs { src: Some(c"mqueue"), fstype: Some(c"mqueue"), flags: NOSUID_NODEV_NOEXEC, data: None } };

/// The links in /dev to what each process has open.
static FD_LINKS: [Link; 4] = [
    Link { path: c"/dev/fd", target: c"/proc/self/fd" },
    Link { path: c"/dev/stdin", target: c"/proc/self/fd/0" },
    Link { path: c"/dev/stdout", target: c"/proc/self/fd/1" },
    Link { path: c"/dev/stderr", target: c"/proc/self/fd/2" },
];

// Each masked or read-only path is on runix's /proc or /sys, where rootfs/mask.rs makes it,
// and no longer than a config.json's may be.
const _: () = {
    let mut i = 0;
    while i < DOCKER_MASKED.len() + DOCKER_READ_ONLY.len() {
        let m = if i < DOCKER_MASKED.len() { &DOCKER_MASKED[i] } else { &DOCKER_READ_ONLY[i - DOCKER_MASKED.len()] };
        let b = m.path.to_bytes();
        assert!(b.len() <= rootfs::MASK_PATH_MAX);
        assert!(matches!(b, [b'/', b'p', b'r', b'o', b'c', b'/', ..] | [b'/', b's', b'y', b's', b'/', ..]));
        i += 1;
    }
};

impl<'a> Plan<'a> {
    /// A plan of no op yet for `spec`, to `fill`.
    #[inline(never)]
    pub fn new(spec: &'a Spec) -> Plan<'a> {
        Plan { spec, host_sys: false, ops: List::new() }
    }

    /// Make this (empty) plan the plan for its Spec: filled in place, since the frames it
    /// lives in are on the way to the deepest calls. A user mount on or in /proc or /sys, or
    /// on /dev itself, is refused here: runix mounts those itself.
    #[inline(never)]
    pub fn fill(&mut self, facts: Facts) -> Result<(), Error> {
        let p = self;
        let spec = p.spec;
        let host_sys = facts.userns && !spec.new_net;
        p.host_sys = host_sys;
        let nodev = if facts.nodev { MOUNT_ATTR_NODEV } else { 0 };
        p.push(Op::Root { attrs: if spec.read_only { MOUNT_ATTR_RDONLY } else { 0 } | nodev });
        p.push_user(nodev, false)?;
        let own = |bit: u8, op: Op| if spec.own & bit != 0 { Some(op) } else { None };
        // A user namespace with the host's network may not mount sysfs (it belongs to the
        // network namespace).
        let sys = if host_sys { Op::BindSys } else { Op::Sys };
        for op in [own(OWN_PROC, Op::Proc), own(OWN_SYS, sys), own(OWN_CGROUP, Op::Cgroups), own(OWN_DEV, Op::Dev)].into_iter().flatten() {
            p.push(op);
        }
        if spec.own & OWN_DEV != 0 {
            p.push(Op::ClearUmask);
            for d in DEVICES.iter() {
                p.push(Op::Device(d));
            }
            p.push(Op::RestoreUmask);
            if spec.own & OWN_PTS != 0 {
                p.push(Op::DevMount(if facts.tty_gid { &PTS } else { &PTS_NO_GID }));
                p.push(Op::Symlink(&PTMX));
            }
            if spec.own & OWN_SHM_MQUEUE != 0 {
                p.push(Op::DevMount(&SHM));
                p.push(Op::DevMount(&MQUEUE));
            }
            for l in FD_LINKS.iter() {
                p.push(Op::Symlink(l));
            }
            if !spec.nodes.is_empty() {
                p.push(Op::Nodes);
            }
            p.push(Op::CheckNull);
        }
        // --privileged sees /proc and /sys whole, as Docker's does.
        if !spec.privileged {
            for m in spec.masked.iter() {
                p.push(Op::Mask(m));
            }
            for r in spec.read_only_paths.iter() {
                p.push(Op::ReadOnly(r));
            }
        }
        p.push_user(nodev, true)?;
        p.push(if spec.root_mode == RootMode::PivotRoot { Op::PivotRoot } else { Op::Chroot });
        p.push(Op::CloseFds);
        if spec.read_only {
            p.push(Op::RemountRootReadOnly);
        }
        Ok(())
    }

    /// The user's mounts, in the order given, on one side of runix's: those under /dev
    /// (`in_dev`), or all the others. With the /dev ones, each other one is checked again.
    fn push_user(&mut self, nodev: u64, in_dev: bool) -> Result<(), Error> {
        for slot in 0..self.spec.mounts.len() as u8 {
            let m = self.mount(slot);
            let op = match m.kind {
                _ if under_dev(m.dst)? != in_dev => match in_dev {
                    true => Op::CheckCovered(User::new(slot, false, 0)),
                    false => continue,
                },
                MountKind::Bind { attrs, .. } => {
                    // On runix's /dev, a device the user names is the point of the bind.
                    Op::Bind(User::new(slot, in_dev, attrs as u64 | if in_dev { 0 } else { nodev }))
                }
                _ => Op::Tmpfs(User::new(slot, in_dev, 0)),
            };
            self.push(op);
        }
        Ok(())
    }

    fn push(&mut self, op: Op) {
        // MAX_OPS counts every op a plan can have: a plan that lost one would be a bug.
        assert!(self.ops.push(op));
    }

    /// The user mount in `slot`.
    fn mount(&self, slot: u8) -> &'a Mount {
        // The ops' slots are the Spec's, which the plan borrows unchanged.
        self.spec.mounts.get(slot as usize).expect("a user mount's slot")
    }

    /// Child, in its own mount namespace: the host's side of the plan (the root, bind
    /// sources, the upper directory, the host's /sys), opened before anything is made.
    pub fn open(&self) -> Result<Mounts, Error> {
        Mounts::open(self.spec, self.host_sys)
    }

    /// Child: every op, in order; `keep` are the fds CloseFds leaves open.
    #[inline(never)]
    pub fn execute(&self, m: &mut Mounts, keep: &[Fd]) -> Result<(), Error> {
        let rootfs = self.spec.rootfs;
        for op in self.ops.iter() {
            if crate::log::enabled(crate::log::INFO) {
                let name = crate::text::field(NAMES, b',', op.index()).unwrap_or("");
                info!(name, Bytes(self.path(op)));
            }
            match op {
                Op::Root { attrs } => m.mount_root(rootfs, self.spec.overlay, attrs)?,
                Op::Bind(u) | Op::Tmpfs(u) => m.mount_user(self.mount(u.slot()), u.slot() as usize, u.attrs(), u.in_dev())?,
                Op::Proc => m.mount_kernel(c"/proc", &Fs { flags: self.spec.own_flags[0] as u64, ..rootfs::PROC })?,
                Op::Sys => m.mount_kernel(c"/sys", &Fs { flags: self.spec.own_flags[1] as u64, ..rootfs::SYSFS })?,
                Op::BindSys => m.bind_host_sys()?,
                Op::Cgroups => m.mount_cgroups(self.spec.own_flags[3] as u64)?,
                Op::Dev => m.mount_dev(self.spec.own_flags[2] as u64)?,
                Op::ClearUmask => m.clear_umask(),
                Op::RestoreUmask => m.restore_umask(),
                Op::Device(d) => m.make_device(d)?,
                Op::DevMount(d) => m.mount_in_dev(d)?,
                Op::Symlink(l) => m.symlink_in_dev(l)?,
                Op::Nodes => m.make_nodes(self.spec.nodes)?,
                Op::CheckNull => m.check_null()?,
                Op::Mask(k) => m.mask(k)?,
                Op::ReadOnly(r) => m.read_only(r)?,
                Op::CheckCovered(u) => m.check_covered(self.mount(u.slot()).dst, u.slot() as usize)?,
                Op::PivotRoot | Op::Chroot => rootfs::enter_root(m.root_top(), rootfs, op == Op::PivotRoot)?,
                // Every fd of the host's (the root's, the bind sources', the cgroup files') goes
                // before anything of the image's is read or followed: a symlink to
                // /proc/self/fd/N/.. would lead out of the root through one (CVE-2024-21626).
                Op::CloseFds => crate::process::exec::close_fds(keep)?,
                Op::RemountRootReadOnly => rootfs::remount_root_read_only()?,
            }
        }
        Ok(())
    }

    /// An op's path, as `-v` shows it (none for some).
    #[inline(never)]
    fn path(&self, op: Op) -> &'a [u8] {
        match op {
            Op::Bind(u) | Op::Tmpfs(u) | Op::CheckCovered(u) => self.mount(u.slot()).dst,
            Op::Device(d) => d.path.to_bytes(),
            Op::DevMount(d) => d.path.to_bytes(),
            Op::Symlink(l) => l.path.to_bytes(),
            Op::Mask(k) => k.path.to_bytes(),
            Op::ReadOnly(r) => r.path.to_bytes(),
            Op::Root { .. } | Op::PivotRoot | Op::Chroot => self.spec.rootfs.to_bytes(),
            _ => b"",
        }
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
/// `Op::index` (a unit test holds the two together); with the path of those that have one
/// of their own.
const NAMES: &str = "root ,pivot_root ,chroot ,bind ,tmpfs ,check ,device ,mount ,symlink ,mask ,read-only ,proc /proc,sysfs /sys,bind host /sys,tmpfs /dev,umask 0,umask back,check /dev/null,close fds,read-only /,cgroups /sys/fs/cgroup,devices /dev";

impl Op {
    /// The op's place among Op's variants.
    fn index(self) -> u64 {
        match self {
            Op::Root { .. } => 0,
            Op::PivotRoot => 1,
            Op::Chroot => 2,
            Op::Bind(_) => 3,
            Op::Tmpfs(_) => 4,
            Op::CheckCovered(_) => 5,
            Op::Device(_) => 6,
            Op::DevMount(_) => 7,
            Op::Symlink(_) => 8,
            Op::Mask(_) => 9,
            Op::ReadOnly(_) => 10,
            Op::Proc => 11,
            Op::Sys => 12,
            Op::BindSys => 13,
            Op::Dev => 14,
            Op::ClearUmask => 15,
            Op::RestoreUmask => 16,
            Op::CheckNull => 17,
            Op::CloseFds => 18,
            Op::RemountRootReadOnly => 19,
            Op::Cgroups => 20,
            Op::Nodes => 21,
        }
    }
}

#[cfg(test)]
mod tests;
