//! Identity and privileges: setgroups(2), setres[ug]id(2), prctl(2), capset(2), capget(2),
//! seccomp(2), prlimit64(2).

use super::{call, call0, p, pm};
use crate::error::Error;
use super::arch::nr;

/// int setgroups(size_t size, const gid_t *list): the supplementary groups, here always none.
pub fn setgroups_none() -> Result<(), Error> {
    call0(nr::setgroups, 0, 0, 0, 0)
}

/// setgroups(2) with a list.
pub fn setgroups(list: &[u32]) -> Result<(), Error> {
    call0(nr::setgroups, list.len(), list.as_ptr() as usize, 0, 0)
}

/// prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0): `cap` into the ambient set.
pub fn ambient_raise(cap: u8) -> Result<(), Error> {
    call0(nr::prctl, libc::PR_CAP_AMBIENT as usize, libc::PR_CAP_AMBIENT_RAISE as usize, cap as usize, 0)
}

/// int setresgid(gid_t rgid, gid_t egid, gid_t sgid);
pub fn setresgid(gid: u32) -> Result<(), Error> {
    let g = gid as usize;
    call0(nr::setresgid, g, g, g, 0)
}

/// int setresuid(uid_t ruid, uid_t euid, uid_t suid);
pub fn setresuid(uid: u32) -> Result<(), Error> {
    let u = uid as usize;
    call0(nr::setresuid, u, u, u, 0)
}

/// int prctl(int option, unsigned long arg2, ...): the options runix uses take one argument.
pub fn prctl(option: i32, arg: u64) -> Result<(), Error> {
    call0(nr::prctl, option as usize, arg as usize, 0, 0)
}

/// prctl(PR_CAPBSET_DROP, cap): the capability leaves the bounding set.
pub fn capbset_drop(cap: u8) -> Result<(), Error> {
    let r = call(nr::prctl, libc::PR_CAPBSET_DROP as usize, cap as usize, 0, 0);
    r.map(drop)
}

/// int capset(cap_user_header_t hdr, const cap_user_data_t data): version 3, 64-bit sets.
pub fn capset(effective: u64, permitted: u64, inheritable: u64) -> Result<(), Error> {
    // <linux/capability.h>: _LINUX_CAPABILITY_VERSION_3, then two 32-bit halves of each set.
    let header: [u32; 2] = [0x2008_0522, 0];
    let lo = |v: u64| v as u32;
    let hi = |v: u64| (v >> 32) as u32;
    let data: [u32; 6] = [lo(effective), lo(permitted), lo(inheritable), hi(effective), hi(permitted), hi(inheritable)];
    call0(nr::capset, p(&header), p(&data), 0, 0)
}

/// int capget(cap_user_header_t hdr, cap_user_data_t data): this process's permitted set.
pub fn capget_permitted() -> Result<u64, Error> {
    let header: [u32; 2] = [0x2008_0522, 0];
    let mut data = [0u32; 6];
    call(nr::capget, p(&header), pm(&mut data), 0, 0)?;
    Ok(data[1] as u64 | (data[4] as u64) << 32)
}

/// int seccomp(SECCOMP_SET_MODE_FILTER, unsigned int flags, struct sock_fprog *prog).
pub fn seccomp_filter(prog: &[libc::sock_filter], flags: u32) -> Result<(), Error> {
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() as *mut libc::sock_filter };
    call0(nr::seccomp, 1, flags as usize, p(&fprog), 0)
}

/// int prlimit64(0, int resource, const struct rlimit64 *new, NULL): this process's limit.
pub fn setrlimit(resource: u32, soft: u64, hard: u64) -> Result<(), Error> {
    let new = [soft, hard];
    call0(nr::prlimit64, 0, resource as usize, p(&new), 0)
}

/// prlimit64(0, resource, NULL, &old): this process's soft limit.
pub fn rlimit(resource: u32) -> Result<u64, Error> {
    let mut old = [0u64; 2];
    let r = call(nr::prlimit64, 0, resource as usize, 0, pm(&mut old));
    r.map(|_| old[0])
}

/// The capabilities' names in linux/capability.h, without `CAP_`, in number order: one string
/// instead of 41 slices.
pub const CAP_NAMES: &str = "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP \
    LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE \
    SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME \
    SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG \
    WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE";

/// Capability `cap`'s name without `CAP_` (`SYS_ADMIN`), for --trace and the option parser;
/// "?" past the last one this table knows.
pub fn cap_name(cap: u8) -> &'static str {
    crate::text::word(CAP_NAMES, cap as u64).unwrap_or("?")
}
