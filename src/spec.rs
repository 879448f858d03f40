//! The container description. The command line fills it today (src/cli.rs); an OCI bundle's
//! config.json will fill the same struct later. Everything after this point reads only the spec.

use crate::sys::{Args, CList};
use core::ffi::CStr;

/// Most environment entries a container gets (the clean default plus user-given ones).
pub const MAX_ENV: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RootMode {
    /// pivot_root(2), then detach the old root: nothing of the host stays reachable.
    PivotRoot,
    /// MS_MOVE the root onto / and chroot(2): for initramfs hosts where pivot_root gives EINVAL.
    Chroot,
}

pub struct Spec {
    pub rootfs: &'static CStr,
    /// The command and its arguments, NULL-terminated, straight from our own argv.
    pub argv: Args,
    pub env: CList<MAX_ENV>,
    pub hostname: &'static CStr,
    pub root_mode: RootMode,
    /// pids.max of the container's cgroup; None: no cgroup at all.
    pub pids: Option<u64>,
}

/// The environment every container starts from; nothing else of the caller's leaks in.
pub const DEFAULT_PATH: &CStr = c"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
pub const DEFAULT_HOME: &CStr = c"HOME=/root";
pub const DEFAULT_HOSTNAME: &CStr = c"container";
