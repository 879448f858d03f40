//! The container description, filled by the command line (src/cli/) or an OCI bundle's
//! config.json (src/oci/config.rs). Everything after this point reads only the spec.

use crate::buf::List;
use crate::sys::{Args, CList};
use core::ffi::CStr;

/// Most environment entries a container gets (the clean default plus user-given ones).
pub const MAX_ENV: usize = 64;
/// Most user mounts (`-b`, `--tmpfs`).
pub const MAX_MOUNTS: usize = 32;
/// Most masked paths, and most read-only ones, a config.json may list.
pub const MAX_MASKS: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RootMode {
    /// pivot_root(2), then detach the old root: nothing of the host stays reachable.
    PivotRoot,
    /// MS_MOVE the root onto / and chroot(2), from the start (on an initramfs, where pivot_root
    /// gives EINVAL, the pivot falls back to it by itself).
    Chroot,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Overlay {
    /// The root directory itself is the container's root.
    Off,
    /// The root directory is the lower layer of an overlayfs; changes go to a tmpfs and vanish.
    Tmpfs,
    /// Changes are kept in DIR/upper (DIR/work is overlayfs's scratch space).
    Upper(&'static CStr),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MountKind {
    /// A host file or directory, with MOUNT_ATTR_RDONLY, _NOSUID, _NODEV, _NOEXEC `attrs`
    /// (the same bits as MS_*) all the way down; BIND_ONE: only the top mount, not those below.
    Bind { src: &'static [u8], attrs: u8 },
    /// A fresh tmpfs, with `size=` bytes when given.
    Tmpfs { size: Option<u64> },
    /// A fresh mount of `fstype` (tmpfs, mqueue), with MS_* `flags` and `data`; COPY_UP in
    /// flags: what the image has at that place is copied into it (a tmpfs).
    Fs { fstype: &'static CStr, flags: u32, data: &'static CStr },
}

/// In a Bind's attrs: not recursive (OCI's `bind`, where `rbind` is).
pub const BIND_ONE: u8 = 0x80;
/// In an Fs's flags (a bit mount(2) ignores, MS_KERNMOUNT's): runc's `tmpcopyup`.
pub const COPY_UP: u32 = 1 << 22;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mount {
    /// Absolute path inside the container, without `..`.
    pub dst: &'static [u8],
    pub kind: MountKind,
}

/// A classic BPF program made once (a config.json's linux.seccomp), with SECCOMP_FILTER_FLAG_*.
#[derive(Clone, Copy)]
pub struct Program {
    pub insns: &'static [libc::sock_filter],
    pub flags: u32,
}

impl PartialEq for Program {
    fn eq(&self, o: &Program) -> bool {
        core::ptr::eq(self.insns, o.insns) && self.flags == o.flags
    }
}

impl Eq for Program {}

impl core::fmt::Debug for Program {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Program({} insns, flags {})", self.insns.len(), self.flags)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Seccomp {
    /// Docker's default policy, compiled for the container's capabilities.
    Default,
    /// No filter (`--seccomp unconfined`, `--privileged`).
    Unconfined,
    /// A raw classic-BPF program (an array of struct sock_filter) read from a file.
    File(&'static CStr),
    /// A program compiled already.
    Program(Program),
}

/// A path runix covers on its /proc or /sys: a file with /dev/null, a directory (`dir`, its
/// kind on the kernels that have it) with an empty read-only tmpfs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mask {
    pub path: &'static CStr,
    pub dir: bool,
}

/// A node of a config.json's linux.devices, made in runix's /dev: `path` under /dev, `mode`
/// with its S_IF* kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Node {
    pub path: &'static CStr,
    pub mode: u32,
    pub major: u32,
    pub minor: u32,
    pub uid: u32,
    pub gid: u32,
}

/// What Docker hides in /proc and /sys: kernel memory, keys, timers, firmware, hardware
/// details that leak host information or allow attacks.
pub static DOCKER_MASKED: [Mask; 12] = [
    Mask { path: c"/proc/acpi", dir: true },
    Mask { path: c"/proc/asound", dir: true },
    Mask { path: c"/proc/interrupts", dir: false },
    Mask { path: c"/proc/kcore", dir: false },
    Mask { path: c"/proc/keys", dir: false },
    Mask { path: c"/proc/latency_stats", dir: false },
    Mask { path: c"/proc/sched_debug", dir: false },
    Mask { path: c"/proc/scsi", dir: true },
    Mask { path: c"/proc/timer_list", dir: false },
    Mask { path: c"/proc/timer_stats", dir: false },
    Mask { path: c"/sys/devices/virtual/powercap", dir: true },
    Mask { path: c"/sys/firmware", dir: true },
];
/// What Docker leaves readable but not writable: host-wide kernel settings (`dir` unused).
pub static DOCKER_READ_ONLY: [Mask; 5] = [
    Mask { path: c"/proc/bus", dir: true },
    Mask { path: c"/proc/fs", dir: true },
    Mask { path: c"/proc/irq", dir: true },
    Mask { path: c"/proc/sys", dir: true },
    Mask { path: c"/proc/sysrq-trigger", dir: false },
];

/// runix's own mounts, a bit each in `Spec::own`: the command line gets all of them but
/// OWN_CGROUP; a config.json those it lists where runix puts them.
pub const OWN_PROC: u8 = 1;
pub const OWN_SYS: u8 = 2;
pub const OWN_DEV: u8 = 4;
pub const OWN_PTS: u8 = 8;
/// /dev/shm and /dev/mqueue (a config.json lists its own).
pub const OWN_SHM_MQUEUE: u8 = 16;
/// The cgroup hierarchies on /sys/fs/cgroup (config.json's type `cgroup`).
pub const OWN_CGROUP: u8 = 32;

/// CFS period for --cpus, µs: Docker's and the kernel's default.
pub const CPU_PERIOD: u64 = 100_000;

/// The container's resource limits; None (or false) leaves that controller alone. The
/// front-end checks them (cli::value::check_limits); cgroup writes them as they are.
#[derive(Clone, Copy, Default)]
#[cfg_attr(test, derive(Debug))]
pub struct Limits<'a> {
    /// pids.max.
    pub pids: Option<u64>,
    /// Bytes of memory (v1 memory.limit_in_bytes, v2 memory.max).
    pub memory: Option<u64>,
    /// Memory plus swap, bytes, as Docker's --memory-swap: -1 is unlimited swap. Needs `memory`.
    pub memory_swap: Option<i64>,
    /// (quota, period) in µs: --cpus 1.5 is (150000, CPU_PERIOD).
    pub cpus: Option<(u64, u64)>,
    /// v1 cpu.shares (2 to 262144); on v2 turned into cpu.weight as crun does.
    pub cpu_shares: Option<u64>,
    /// cpuset.cpus and cpuset.mems lists, as `0-1,3`.
    pub cpuset_cpus: Option<&'a [u8]>,
    pub cpuset_mems: Option<&'a [u8]>,
    /// Docker's device allow-list, on a v1 devices hierarchy when there is one
    /// (`Cgroups::device_rules` says whether it was set).
    pub devices: bool,
}

/// RLIMIT_* resources by number (<asm-generic/resource.h>), as `ulimit` and Docker name them.
pub const RLIMITS: &str = "cpu fsize data stack core rss nproc nofile memlock as locks sigpending msgqueue nice rtprio rttime";

/// `--ulimit NAME=SOFT[:HARD]`: a resource limit (RLIMIT_* number) of the container's process.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ulimit {
    pub resource: u8,
    pub soft: u64,
    pub hard: u64,
}

pub struct Spec {
    pub rootfs: &'static CStr,
    /// The command and its arguments, NULL-terminated, straight from our own argv.
    pub argv: Args,
    pub env: CList<MAX_ENV>,
    pub hostname: &'static CStr,
    pub root_mode: RootMode,
    /// Resource limits; with none set, no cgroup is made at all.
    pub limits: Limits<'static>,
    /// The cgroup to make the container's under (a path inside each hierarchy); None: runix's own.
    pub cgroup_parent: Option<&'static [u8]>,
    /// A network namespace of its own (with `lo` up), or the host's (`--net host`).
    pub new_net: bool,
    pub mounts: List<Mount, MAX_MOUNTS>,
    pub overlay: Overlay,
    /// Remount the root read-only once everything is mounted.
    pub read_only: bool,
    /// The working directory inside; `/` when None.
    pub workdir: Option<&'static CStr>,
    /// `UID[:GID]` or `NAME[:GROUP]`, resolved in the container's /etc/passwd and /etc/group.
    pub user: Option<&'static CStr>,
    /// uid and gid as they are, resolved nowhere (OCI's process.user); over `user`. With
    /// them, `groups` are the supplementary groups.
    pub ids: Option<(u32, u32)>,
    pub groups: [u32; 32],
    pub ngroups: usize,
    pub umask: Option<u32>,
    /// Effective, permitted, inheritable and ambient sets as given (OCI); None: from `caps`
    /// and the uid (caps.rs).
    pub cap_sets: Option<[u64; 4]>,
    /// no_new_privs (prctl(2)): always from the command line; a config.json asks for it.
    pub no_new_privs: bool,
    pub oom_score_adj: Option<i32>,
    /// Kernel settings: a path under /proc/sys, and its value.
    pub sysctls: List<(&'static CStr, &'static CStr), 16>,
    /// Namespaces joined instead of made: CLONE_NEW* and the path of one (setns(2)).
    pub joins: List<(u32, &'static CStr), 4>,
    /// The container's own cgroup, as a path in each hierarchy (OCI's cgroupsPath).
    pub cgroup_path: Option<&'static [u8]>,
    /// runix's own mounts (OWN_*), and the MS_* flags of /proc, /sys, /dev and the cgroups.
    pub own: u8,
    pub own_flags: [u32; 4],
    /// Mount points missing in the root are made in it (a bundle's root is the container's).
    pub make_points: bool,
    /// What is masked and made read-only on runix's /proc and /sys (unless privileged).
    pub masked: &'static [Mask],
    pub read_only_paths: &'static [Mask],
    /// Device nodes made in runix's /dev after its own (a config.json's).
    pub nodes: &'static [Node],
    /// A config.json's one device rule allows all: no rule, and what is mounted keeps its devices.
    pub all_devices: bool,
    /// The bounding set; permitted and effective too for uid 0 (caps.rs).
    pub caps: u64,
    /// All capabilities, no seccomp filter, no masked paths, no device rules.
    pub privileged: bool,
    pub seccomp: Seccomp,
    pub ulimits: List<Ulimit, 16>,
    /// A pty of its own, relayed to the caller's terminal (`-t`).
    pub tty: bool,
    /// runix stays as PID 1, reaping and passing signals on (`--init`).
    pub init: bool,
    /// Seconds a container has to exit after a SIGTERM or SIGINT passed on, before SIGKILL.
    pub stop_timeout: u32,
    /// A user namespace even when runix runs as root (`--userns`); without root, always.
    pub userns: bool,
    /// The caller's uid and gid inside the user namespace (`--map-user`, `--map-group`).
    pub map_user: u32,
    pub map_group: u32,
    /// An OCI config.json's `annotations`, its JSON text as it is (empty: none), for the state.
    pub annotations: &'static [u8],
}

impl Spec {
    /// The container a front-end starts from, before any option: the command `argv`, the
    /// defaults below, no root yet (every front-end must name one).
    #[inline(never)]
    pub fn new(argv: Args) -> Spec {
        Spec {
            rootfs: c"",
            argv,
            env: CList::new(),
            hostname: DEFAULT_HOSTNAME,
            root_mode: RootMode::PivotRoot,
            limits: Limits::default(),
            cgroup_parent: None,
            new_net: true,
            mounts: List::new(),
            overlay: Overlay::Off,
            read_only: false,
            workdir: None,
            user: None,
            ids: None,
            groups: [0; 32],
            ngroups: 0,
            umask: None,
            cap_sets: None,
            no_new_privs: true,
            oom_score_adj: None,
            sysctls: List::new(),
            joins: List::new(),
            cgroup_path: None,
            own: OWN_PROC | OWN_SYS | OWN_DEV | OWN_PTS | OWN_SHM_MQUEUE,
            own_flags: [NOSUID_NODEV_NOEXEC as u32, (crate::sys::MS_RDONLY | NOSUID_NODEV_NOEXEC) as u32, (crate::sys::MS_NOSUID | crate::sys::MS_STRICTATIME) as u32, 0],
            make_points: false,
            masked: &DOCKER_MASKED,
            read_only_paths: &DOCKER_READ_ONLY,
            nodes: &[],
            all_devices: false,
            caps: 0,
            privileged: false,
            seccomp: Seccomp::Default,
            ulimits: List::new(),
            tty: false,
            init: false,
            userns: false,
            map_user: 0,
            map_group: 0,
            stop_timeout: 10,
            annotations: b"",
        }
    }

    /// Whether a runix process shares a PID namespace with the container's processes while
    /// they run: `--init` (runix is their PID 1) or a PID namespace joined. Only then can the
    /// container reach runix's binary through /proc/PID/exe (lib.rs: the sealed copy).
    pub fn runix_beside_command(&self) -> bool {
        self.init || self.joins.iter().any(|(ns, _)| ns == libc::CLONE_NEWPID as u32)
    }
}

pub const NOSUID_NODEV_NOEXEC: u64 = crate::sys::MS_NOSUID | crate::sys::MS_NODEV | crate::sys::MS_NOEXEC;

/// The environment every container starts from; nothing else of the caller's leaks in.
pub const DEFAULT_PATH: &CStr = c"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
pub const DEFAULT_HOME: &CStr = c"HOME=/root";
pub const DEFAULT_HOSTNAME: &CStr = c"container";
