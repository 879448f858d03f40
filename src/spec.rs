//! The container description. The command line fills it today (src/cli/); an OCI bundle's
//! config.json will fill the same struct later. Everything after this point reads only the spec.

use crate::buf::List;
use crate::sys::{Args, CList};
use core::ffi::CStr;

/// Most environment entries a container gets (the clean default plus user-given ones).
pub const MAX_ENV: usize = 64;
/// Most user mounts (`-b`, `--tmpfs`).
pub const MAX_MOUNTS: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RootMode {
    /// pivot_root(2), then detach the old root: nothing of the host stays reachable.
    PivotRoot,
    /// MS_MOVE the root onto / and chroot(2): for initramfs hosts where pivot_root gives EINVAL.
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
    /// A host file or directory, read-only when `ro`.
    Bind { src: &'static [u8], ro: bool },
    /// A fresh tmpfs, with `size=` bytes when given.
    Tmpfs { size: Option<u64> },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mount {
    /// Absolute path inside the container, without `..`.
    pub dst: &'static [u8],
    pub kind: MountKind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Seccomp {
    /// Docker's default policy, compiled for the container's capabilities.
    Default,
    /// No filter (`--seccomp unconfined`, `--privileged`).
    Unconfined,
    /// A raw classic-BPF program (an array of struct sock_filter) read from a file.
    File(&'static CStr),
}

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
    /// uid and gid as they are, resolved nowhere (OCI's process.user); over `user`.
    pub ids: Option<(u32, u32)>,
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
}

/// The environment every container starts from; nothing else of the caller's leaks in.
pub const DEFAULT_PATH: &CStr = c"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
pub const DEFAULT_HOME: &CStr = c"HOME=/root";
pub const DEFAULT_HOSTNAME: &CStr = c"container";
