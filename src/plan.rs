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

/// Most ops a plan has: the root, the user's mounts twice, runix's, and the last three.
pub const MAX_OPS: usize = 1 + 2 * MAX_MOUNTS + 13 + DEVICES.len() + FD_LINKS.len() + MASKED.len() + READ_ONLY.len() + 3;

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
    /// The plan for `spec`. A user mount on or in /proc or /sys, or on /dev itself, is refused
    /// here: runix mounts those itself.
    #[inline(never)]
    pub fn new(spec: &Spec, facts: Facts) -> Result<Plan, Error> {
        let host_sys = facts.userns && !spec.new_net;
        let mut p = Plan { rootfs: spec.rootfs, host_sys, sources: [None; MAX_MOUNTS], upper: None, ops: List::new() };
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
        Ok(p)
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
        // Cannot fail: MAX_OPS counts every op a plan can have.
        self.ops.push(op);
    }

    /// Child, in its own mount namespace: the host's side of the plan (the root, bind
    /// sources, the upper directory, the host's /sys), opened before anything is made.
    pub fn open(&self) -> Result<Mounts, Error> {
        Mounts::open(self.rootfs, self.host_sys, &self.sources, self.upper)
    }

    /// Child: every op, in order; `keep` are the fds CloseFds leaves open.
    #[inline(never)]
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

/// How `-v` shows each op, a word per variant of Op in its order (a unit test holds them
/// together).
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
mod tests {
    use super::*;
    use crate::error::tests::show;
    use crate::sys::record::{Kernel, Recording};
    use crate::sys::{Args, trace};
    use std::cell::Cell;
    use std::collections::HashMap;
    use std::rc::Rc;
    use std::string::String;
    use std::vec::Vec;
    use syscalls::Sysno;

    /// The Spec of `runix run ARGS`.
    fn spec(args: &[&str]) -> Spec {
        let argv: Vec<&str> = ["runix", "run"].iter().chain(args).copied().collect();
        match crate::cli::parse(Args::from_strs(&argv), Args::from_strs(&[])) {
            Ok(crate::cli::Command::Run(s, _)) => s,
            _ => panic!("{args:?}"),
        }
    }

    /// Root, with device rules: nothing nodev, gid 5 there.
    const ROOT: Facts = Facts { userns: false, nodev: false, tty_gid: true };

    fn plan(args: &[&str], facts: Facts) -> Plan {
        Plan::new(&spec(args), facts).unwrap_or_else(|e| panic!("{args:?}: {}", show(&e)))
    }

    fn ops(p: &Plan) -> Vec<Op> {
        p.ops.iter().collect()
    }

    /// The plan as `-v` shows it, a line per op.
    fn shown(p: &Plan) -> String {
        p.ops.iter().map(|op| format!("{}{}\n", field(op), String::from_utf8_lossy(op.path(p.rootfs)))).collect()
    }

    fn field(op: Op) -> &'static str {
        crate::text::field(NAMES, b',', op.index()).unwrap()
    }

    /// runix's own mounts and files, the same in every plan but --privileged's (no masks).
    const RUNIX: &str = "(child) proc /proc
(child) sysfs /sys
(child) tmpfs /dev
(child) umask 0
(child) device /dev/null
(child) device /dev/zero
(child) device /dev/full
(child) device /dev/random
(child) device /dev/urandom
(child) device /dev/tty
(child) umask back
(child) mount /dev/pts
(child) symlink /dev/ptmx
(child) mount /dev/shm
(child) mount /dev/mqueue
(child) symlink /dev/fd
(child) symlink /dev/stdin
(child) symlink /dev/stdout
(child) symlink /dev/stderr
(child) check /dev/null
";
    const MASKS: &str = "(child) mask /proc/acpi
(child) mask /proc/asound
(child) mask /proc/interrupts
(child) mask /proc/kcore
(child) mask /proc/keys
(child) mask /proc/latency_stats
(child) mask /proc/sched_debug
(child) mask /proc/scsi
(child) mask /proc/timer_list
(child) mask /proc/timer_stats
(child) mask /sys/devices/virtual/powercap
(child) mask /sys/firmware
(child) read-only /proc/bus
(child) read-only /proc/fs
(child) read-only /proc/irq
(child) read-only /proc/sys
(child) read-only /proc/sysrq-trigger
";

    #[test]
    fn the_default_plan() {
        let p = plan(&["-r", "/r", "true"], ROOT);
        let end = "(child) pivot_root /r\n(child) close fds\n";
        assert_eq!(shown(&p), format!("(child) root /r\n{RUNIX}{MASKS}{end}"));
        let o = ops(&p);
        assert_eq!(o[0], Op::Root { overlay: Overlay::Off, attrs: 0 });
        assert_eq!(o[5], Op::Device { path: c"/dev/null", major: 1, minor: 3 });
        assert_eq!(o[12], Op::DevMount { path: c"/dev/pts", mode: 0o755, fs: &DEVPTS });
        assert_eq!(o[21], Op::Mask { path: c"/proc/acpi", dir: true });
        assert_eq!(o[23], Op::Mask { path: c"/proc/interrupts", dir: false });
        assert_eq!((p.host_sys, p.upper, p.sources), (false, None, [None; MAX_MOUNTS]));
    }

    #[test]
    fn privileged_sees_proc_and_sys_whole() {
        let p = plan(&["--privileged", "-r", "/r", "true"], ROOT);
        assert_eq!(shown(&p), format!("(child) root /r\n{RUNIX}(child) pivot_root /r\n(child) close fds\n"));
    }

    #[test]
    fn user_mounts_go_on_before_runix_mounts_and_those_in_dev_after() {
        let args = ["-r", "/r", "-b", "/h:/data", "-b", "/kvm:/dev/kvm", "-b", "/h2:/ro:ro", "--tmpfs", "/tmp:size=1m", "--tmpfs", "/dev/x", "true"];
        let p = plan(&args, ROOT);
        let o = ops(&p);
        let before = [
            Op::Bind { dst: b"/data", slot: 0, attrs: 0, in_dev: false },
            Op::Bind { dst: b"/ro", slot: 2, attrs: MOUNT_ATTR_RDONLY, in_dev: false },
            Op::Tmpfs { dst: b"/tmp", slot: 3, size: NonZeroU64::new(1 << 20), in_dev: false },
        ];
        assert_eq!(o[1..4], before);
        assert_eq!(o[4], Op::Proc);
        let after = [
            Op::CheckCovered { dst: b"/data", slot: 0 },
            Op::Bind { dst: b"/dev/kvm", slot: 1, attrs: 0, in_dev: true },
            Op::CheckCovered { dst: b"/ro", slot: 2 },
            Op::CheckCovered { dst: b"/tmp", slot: 3 },
            Op::Tmpfs { dst: b"/dev/x", slot: 4, size: None, in_dev: true },
            Op::PivotRoot,
            Op::CloseFds,
        ];
        assert_eq!(o[o.len() - 7..], after);
        assert_eq!(o.len(), 1 + 3 + 20 + 17 + 7);
        assert_eq!(p.sources[..5], [Some(&b"/h"[..]), Some(b"/kvm"), Some(b"/h2"), None, None]);
    }

    #[test]
    fn without_device_rules_what_the_image_and_the_user_bring_is_nodev_but_in_dev() {
        let facts = Facts { nodev: true, ..ROOT };
        let o = ops(&plan(&["-r", "/r", "-b", "/h:/data:ro", "-b", "/kvm:/dev/kvm", "true"], facts));
        assert_eq!(o[0], Op::Root { overlay: Overlay::Off, attrs: MOUNT_ATTR_NODEV });
        assert_eq!(o[1], Op::Bind { dst: b"/data", slot: 0, attrs: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, in_dev: false });
        assert!(o.contains(&Op::Bind { dst: b"/dev/kvm", slot: 1, attrs: 0, in_dev: true }));
    }

    #[test]
    fn read_only_and_overlays() {
        let o = ops(&plan(&["-r", "/r", "--read-only", "true"], ROOT));
        // A bound root is read-only all the way down from the start.
        assert_eq!((o[0], o[o.len() - 1]), (Op::Root { overlay: Overlay::Off, attrs: MOUNT_ATTR_RDONLY }, Op::CloseFds));
        // An overlay gets its mounts first, then is remounted read-only, in the root.
        let o = ops(&plan(&["-r", "/r", "--overlay", "--read-only", "true"], ROOT));
        assert_eq!(o[0], Op::Root { overlay: Overlay::Tmpfs, attrs: MOUNT_ATTR_RDONLY });
        assert_eq!(o[o.len() - 3..], [Op::PivotRoot, Op::CloseFds, Op::RemountRootReadOnly]);
        let p = plan(&["-r", "/r", "--overlay-upper", "/u", "--chroot", "true"], ROOT);
        assert_eq!((ops(&p)[0], p.upper), (Op::Root { overlay: Overlay::Upper(c"/u"), attrs: 0 }, Some(c"/u")));
        assert_eq!(ops(&p)[ops(&p).len() - 2..], [Op::Chroot, Op::CloseFds]);
    }

    #[test]
    fn a_user_namespace() {
        let userns = Facts { userns: true, nodev: true, tty_gid: false };
        let p = plan(&["-r", "/r", "true"], userns);
        assert!(!p.host_sys && ops(&p).contains(&Op::Sys));
        // devpts without gid=5: a single-id namespace has no gid 5.
        assert_eq!(ops(&p)[12], Op::DevMount { path: c"/dev/pts", mode: 0o755, fs: &DEVPTS_NO_GID });
        // With the host's network, no sysfs of its own: the host's, bound.
        let p = plan(&["-r", "/r", "--net", "host", "true"], userns);
        assert!(p.host_sys && ops(&p)[2] == Op::BindSys && !ops(&p).contains(&Op::Sys));
        assert!(shown(&p).contains("(child) bind host /sys\n"));
    }

    #[test]
    fn runix_mounts_proc_sys_and_dev_itself() {
        for dst in ["/proc", "/proc/sys", "/sys", "/sys/fs/cgroup", "/dev", "/./dev/.", "//proc"] {
            let s = spec(&["-r", "/r", "-b", &format!("/h:{dst}"), "true"]);
            let e = Plan::new(&s, ROOT).err().map(|e| show(&e));
            assert_eq!(e.as_deref(), Some(format!("refused: runix mounts /proc, /sys and /dev itself, at: {dst}").as_str()));
        }
        for (dst, in_dev) in [("/dev/kvm", true), ("/dev/./shm", true), ("/devices", false), ("/procfs", false), ("/x/proc", false)] {
            let o = ops(&plan(&["-r", "/r", "--tmpfs", dst, "true"], ROOT));
            assert!(o.contains(&Op::Tmpfs { dst: dst.as_bytes(), slot: 0, size: None, in_dev }), "{dst}");
        }
    }

    #[test]
    fn the_largest_plan_fits() {
        let mut args = vec!["-r", "/r", "--overlay", "--read-only"];
        let binds: Vec<String> = (0..MAX_MOUNTS).map(|i| format!("/h:/{}/m{i}", if i % 2 == 0 { "dev" } else { "data" })).collect();
        for b in &binds {
            args.extend(["-b", b]);
        }
        args.push("true");
        let p = plan(&args, ROOT);
        // Every user mount twice: made, and checked again (or made on /dev, after runix's).
        assert_eq!(p.ops.len(), 1 + MAX_MOUNTS / 2 + 20 + 17 + MAX_MOUNTS + 3);
        assert!(p.ops.len() <= MAX_OPS);
    }

    #[test]
    fn each_op_has_its_name() {
        let last = Op::RemountRootReadOnly.index();
        assert_eq!(NAMES.split(',').count() as u64, last + 1);
        let named = [
            (Op::Root { overlay: Overlay::Off, attrs: 0 }, "root "),
            (Op::Bind { dst: b"/d", slot: 0, attrs: 0, in_dev: false }, "bind "),
            (Op::Tmpfs { dst: b"/d", slot: 0, size: None, in_dev: false }, "tmpfs "),
            (Op::Sys, "sysfs "),
            (Op::BindSys, "bind host "),
            (Op::Dev, "tmpfs "),
            (Op::CheckCovered { dst: b"/d", slot: 0 }, "check "),
            (Op::Chroot, "chroot "),
            (Op::RemountRootReadOnly, "read-only "),
        ];
        for (op, name) in named {
            assert_eq!(field(op), format!("(child) {name}"), "{op:?}");
        }
    }

    /// A kernel for executing plans, on a recording: each open gives a new fd (from 10 up),
    /// and fstat says that what the paths `roots` opened is the root, a directory of inode 2;
    /// "null" is the null device; anything else a directory of inode 1, or 9 once a call whose
    /// line has `moves` was made (what the user mounted is no longer where it was). All on the
    /// image's device. Calls whose line has one of `fails`' patterns fail with its errno; the
    /// others get --dry-run's fakes.
    fn fake(roots: &'static [&'static str], moves: &'static str, fails: &'static [(&'static str, i32)]) -> Recording {
        let rec = Recording::start(Kernel::Fake);
        let moved = Rc::new(Cell::new(false));
        let (next, paths) = (Cell::new(10), std::cell::RefCell::new(HashMap::new()));
        rec.answer(move |nr, a| {
            let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
            if !moves.is_empty() && line.contains(moves) {
                moved.set(true);
            }
            if let Some(&(_, errno)) = fails.iter().find(|(p, _)| line.contains(p)) {
                return Some(-errno as isize);
            }
            match nr {
                Sysno::openat | Sysno::openat2 => {
                    let fd = next.get();
                    next.set(fd + 1);
                    paths.borrow_mut().insert(fd as usize, line.split('"').nth(1)?.to_string());
                    Some(fd as isize)
                }
                Sysno::newfstatat => {
                    let (mode, rdev, ino) = match paths.borrow().get(&a[0]).map(String::as_str) {
                        Some(p) if roots.contains(&p) => (libc::S_IFDIR, 0, 2),
                        Some("null") => (libc::S_IFCHR, crate::sys::dev(1, 3), 3),
                        _ => (libc::S_IFDIR, 0, if moved.get() { 9 } else { 1 }),
                    };
                    // SAFETY: newfstatat's third argument points to sys::fstat's struct stat,
                    // live and ours for the call.
                    let st = unsafe { &mut *(a[2] as *mut libc::stat) };
                    (st.st_dev, st.st_ino, st.st_mode, st.st_rdev) = (1, ino, mode, rdev);
                    Some(0)
                }
                _ => None,
            }
        });
        rec
    }

    /// The calls so far, a line each, with addresses as `0x…`.
    fn calls(rec: &Recording) -> String {
        rec.calls().iter().map(|c| {
            let mut out = String::new();
            for (i, part) in c.split("0x").enumerate() {
                if i > 0 {
                    out.push_str("0x…");
                }
                out.push_str(if i > 0 { part.trim_start_matches(|c: char| c.is_ascii_hexdigit()) } else { part });
            }
            out + "\n"
        }).collect()
    }

    /// Open and execute `p`; the error as shown, if any.
    fn execute(p: &Plan) -> Option<String> {
        p.open().and_then(|mut m| p.execute(&mut m, &[7])).err().map(|e| show(&e))
    }

    #[test]
    fn the_default_plan_makes_these_calls() {
        let p = plan(&["-r", "/r", "true"], ROOT);
        let rec = fake(&["/r"], "", &[]);
        assert_eq!(execute(&p), None);
        let want = r#"openat(AT_FDCWD, "/r", O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, 00) = 10
newfstatat(10, "", 0x…, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0
mount("/r", "/r", NULL, MS_BIND|MS_REC, NULL) = 0
openat(AT_FDCWD, "/r", O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, 00) = 11
openat2(11, "/proc", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 12
mount("proc", "/proc/self/fd/12", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
openat2(11, "/sys", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 13
mount("sysfs", "/proc/self/fd/13", "sysfs", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
openat2(11, "/dev", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 14
mount("tmpfs", "/proc/self/fd/14", "tmpfs", MS_NOSUID|MS_STRICTATIME, "mode=755,size=65536k") = 0
openat2(11, "/dev", {flags=O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 15
umask(00) = 0
mknodat(15, "null", 020666, 259) = 0
mknodat(15, "zero", 020666, 261) = 0
mknodat(15, "full", 020666, 263) = 0
mknodat(15, "random", 020666, 264) = 0
mknodat(15, "urandom", 020666, 265) = 0
mknodat(15, "tty", 020666, 1280) = 0
umask(00) = 0
mkdirat(15, "pts", 0755) = 0
mount("devpts", "/proc/self/fd/15/pts", "devpts", MS_NOSUID|MS_NOEXEC, "gid=5,newinstance,ptmxmode=0666,mode=0620") = 0
symlinkat("pts/ptmx", 15, "ptmx") = 0
mkdirat(15, "shm", 01777) = 0
mount("shm", "/proc/self/fd/15/shm", "tmpfs", MS_NOSUID|MS_NODEV|MS_NOEXEC, "mode=1777,size=65536k") = 0
mkdirat(15, "mqueue", 0755) = 0
mount("mqueue", "/proc/self/fd/15/mqueue", "mqueue", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
symlinkat("/proc/self/fd", 15, "fd") = 0
symlinkat("/proc/self/fd/0", 15, "stdin") = 0
symlinkat("/proc/self/fd/1", 15, "stdout") = 0
symlinkat("/proc/self/fd/2", 15, "stderr") = 0
openat(15, "null", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 16
newfstatat(16, "", 0x…, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0
mount("tmpfs", "/proc/self/fd/11/proc/acpi", "tmpfs", MS_RDONLY, "size=0") = 0
mount("/proc/self/fd/11/proc/acpi", "/proc/self/fd/11/proc/asound", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/interrupts", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/kcore", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/keys", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/latency_stats", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/sched_debug", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/acpi", "/proc/self/fd/11/proc/scsi", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/timer_list", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/timer_stats", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/acpi", "/proc/self/fd/11/sys/devices/virtual/powercap", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/acpi", "/proc/self/fd/11/sys/firmware", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/bus", "/proc/self/fd/11/proc/bus", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "/proc/self/fd/11/proc/bus", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/fs", "/proc/self/fd/11/proc/fs", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "/proc/self/fd/11/proc/fs", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/irq", "/proc/self/fd/11/proc/irq", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "/proc/self/fd/11/proc/irq", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/sys", "/proc/self/fd/11/proc/sys", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "/proc/self/fd/11/proc/sys", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("/proc/self/fd/11/proc/sysrq-trigger", "/proc/self/fd/11/proc/sysrq-trigger", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "/proc/self/fd/11/proc/sysrq-trigger", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
chdir("/r") = 0
pivot_root(".", ".") = 0
umount2(".", MNT_DETACH) = 0
chdir("/") = 0
close_range(3, 6, 0) = 0
close_range(8, 4294967295, 0) = 0
"#;
        assert_eq!(calls(&rec), want);
    }

    /// The last call made.
    fn last(rec: &Recording) -> String {
        calls(rec).lines().last().unwrap_or("").to_string()
    }

    #[test]
    fn a_failed_mount_says_which_call_which_errno_and_which_path_and_nothing_follows() {
        let p = plan(&["-r", "/r", "true"], ROOT);
        let rec = fake(&["/r"], "", &[("mount(\"proc\"", libc::EPERM)]);
        assert_eq!(execute(&p).as_deref(), Some("mount(/proc): Operation not permitted"));
        assert_eq!(last(&rec), "mount(\"proc\", \"/proc/self/fd/12\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = -1 EPERM (Operation not permitted)");
        // A mask the kernel refuses is an error too.
        let rec = fake(&["/r"], "", &[("/proc/kcore", libc::EACCES)]);
        assert_eq!(execute(&p).as_deref(), Some("mount(/proc/kcore): Permission denied"));
    }

    #[test]
    fn a_dev_that_is_a_symlink_is_refused() {
        let p = plan(&["-r", "/r", "true"], ROOT);
        let rec = fake(&["/r"], "", &[("openat2(11, \"/dev\"", libc::ELOOP)]);
        assert_eq!(execute(&p).as_deref(), Some("refused: a symlink in the root filesystem at: /dev"));
        assert!(last(&rec).starts_with("openat2(11, \"/dev\", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}"));
    }

    #[test]
    fn a_mount_onto_the_root_itself_is_refused() {
        let p = plan(&["-r", "/r", "-b", "/h:/data", "true"], ROOT);
        // The image's /data leads to its /.
        let rec = fake(&["/r", "/data"], "", &[]);
        assert_eq!(execute(&p).as_deref(), Some("refused: a mount onto the root itself, at: /data"));
        assert!(!calls(&rec).contains("open_tree") && last(&rec).starts_with("newfstatat(12,"), "{}", calls(&rec));
        let rec = fake(&["/r"], "", &[]);
        assert_eq!(execute(&p), None);
        assert!(calls(&rec).contains("open_tree(11, \"\", 561153) = 0\nmove_mount(0, \"\", 13, \"\", 68) = 0\n"), "{}", calls(&rec));
    }

    #[test]
    fn a_user_mount_that_runix_mounts_cover_is_refused() {
        let p = plan(&["-r", "/r", "--tmpfs", "/data", "true"], ROOT);
        // The image's /data -> /dev/shm: runix's /dev/shm is over it, once made.
        let rec = fake(&["/r"], "mode=1777,size=65536k", &[]);
        assert_eq!(execute(&p).as_deref(), Some("refused: the root filesystem's symlinks lead this mount under runix's /proc, /sys or /dev, at: /data"));
        assert!(last(&rec).starts_with("newfstatat(") && !calls(&rec).contains("pivot_root"));
        let rec = fake(&["/r"], "", &[]);
        assert_eq!(execute(&p), None);
    }

    #[test]
    fn what_the_kernel_lacks_is_not_masked_and_a_mask_of_the_other_kind_is_made_as_that() {
        let p = plan(&["-r", "/r", "true"], ROOT);
        let rec = fake(&["/r"], "", &[("/proc/kcore", libc::ENOENT), ("mount(\"tmpfs\", \"/proc/self/fd/11/proc/acpi\"", libc::ENOTDIR)]);
        assert_eq!(execute(&p), None);
        let c = calls(&rec);
        // /proc/acpi is a file here: /dev/null goes on it, and the empty tmpfs on the next one.
        let masks = r#"mount("tmpfs", "/proc/self/fd/11/proc/acpi", "tmpfs", MS_RDONLY, "size=0") = -1 ENOTDIR (Not a directory)
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/acpi", NULL, MS_BIND, NULL) = 0
mount("tmpfs", "/proc/self/fd/11/proc/asound", "tmpfs", MS_RDONLY, "size=0") = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/interrupts", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/kcore", NULL, MS_BIND, NULL) = -1 ENOENT (No such file or directory)
mount("/proc/self/fd/16", "/proc/self/fd/11/proc/keys", NULL, MS_BIND, NULL) = 0
"#;
        assert!(c.contains(masks), "{c}");
        assert!(c.contains("mount(\"/proc/self/fd/11/proc/asound\", \"/proc/self/fd/11/proc/scsi\""), "{c}");
    }

    #[test]
    fn where_mknod_is_refused_the_hosts_node_is_bound() {
        let p = plan(&["-r", "/r", "true"], ROOT);
        let rec = fake(&["/r"], "", &[("mknodat", libc::EPERM)]);
        assert_eq!(execute(&p), None);
        let null = r#"mknodat(15, "null", 020666, 259) = -1 EPERM (Operation not permitted)
openat(15, "null", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = 16
mount("/dev/null", "/proc/self/fd/16", NULL, MS_BIND, NULL) = 0
close(16) = 0
mknodat(15, "zero", 020666, 261) = -1 EPERM (Operation not permitted)
"#;
        let c = calls(&rec);
        assert!(c.contains(null), "{c}");
        assert!(c.contains("mount(\"/dev/tty\", \"/proc/self/fd/21\", NULL, MS_BIND, NULL) = 0\nclose(21) = 0\numask(00)"), "{c}");
    }

    #[test]
    fn kernels_without_open_tree_openat2_or_mount_setattr() {
        let p = plan(&["-r", "/r", "-b", "/h:/data:ro", "true"], ROOT);
        let rec = fake(&["/r"], "", &[("open_tree", libc::ENOSYS), ("openat2", libc::ENOSYS), ("mount_setattr", libc::ENOSYS)]);
        assert_eq!(execute(&p), None);
        let c = calls(&rec);
        // The bind by path, without MS_REC (nothing below could be made read-only), then read-only
        // by a remount that keeps its flags; the mount point found one component at a time.
        let bind = r#"mount_setattr(AT_FDCWD, "", 0x…, 0x…, 32) = -1 ENOSYS (Function not implemented)
open_tree(11, "", 528385) = -1 ENOSYS (Function not implemented)
mount("/proc/self/fd/11", "/proc/self/fd/13", NULL, MS_BIND, NULL) = 0
openat2(12, "/data", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = -1 ENOSYS (Function not implemented)
openat(12, "data", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 14
newfstatat(14, "", 0x…, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0
statfs("/proc/self/fd/14", 0x…) = 0
mount(NULL, "/proc/self/fd/14", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND, NULL) = 0
"#;
        assert!(c.contains(bind), "{c}");
    }

    #[test]
    fn a_mount_point_the_image_lacks_is_not_made_in_it() {
        let p = plan(&["-r", "/r", "-b", "/h:/data", "true"], ROOT);
        let rec = fake(&["/r"], "", &[("\"/data\"", libc::ENOENT)]);
        let e = "mount point missing, and runix does not change the image (create it, or use --overlay): /data";
        assert_eq!(execute(&p).as_deref(), Some(e));
        assert!(last(&rec).starts_with("newfstatat(12,") && !calls(&rec).contains("mkdirat"), "{}", calls(&rec));
    }
}
