//! One writer per controller, each knowing v1 and v2: a limit of the Spec goes by its name to
//! the file that sets it (admin-guide/cgroup-v2.rst, cgroup-v1/*.rst; crun's
//! cgroup-resources.c keeps the v1/v2 difference the same way, inside each controller).

use super::layout::{CPU, CPUSET, DEVICES, Hierarchy, Layout, MEMORY, PIDS};
use super::{join, write_file};
use crate::error::Error;
use crate::file::read_file;
use crate::spec::Limits;
use crate::sys;
use crate::text::{fields, itoa};

/// After devices.deny `a` (all), the devices.allow rules of Docker's default: /dev/null zero
/// full random urandom tty, ptmx and the pts. One string, not a table of slices: a third of
/// the size.
const DEVICE_RULES: &[u8] = b"c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,c 5:2 rwm,c 136:* rwm";

/// The controllers `l` sets a limit of.
pub fn wanted(l: &Limits) -> u8 {
    let on = |set: bool, c: u8| if set { c } else { 0 };
    on(l.cpuset_cpus.is_some() || l.cpuset_mems.is_some(), CPUSET)
        | on(l.memory.is_some(), MEMORY)
        | on(l.cpus.is_some() || l.cpu_shares.is_some(), CPU)
        | on(l.pids.is_some(), PIDS)
        | on(l.devices, DEVICES)
}

/// Write every limit of `l` into the cgroups of `layout` (made), controller by controller;
/// cpuset first, as on v1 no task may join a cpuset whose cpus or mems are empty.
pub fn write(layout: &Layout, l: &Limits) -> Result<(), Error> {
    let with = |c| layout.with(c);
    with(CPUSET).map_or(Ok(()), |h| cpuset(h, l))?;
    with(MEMORY).map_or(Ok(()), |h| memory(h, l))?;
    with(CPU).map_or(Ok(()), |h| cpu(h, l))?;
    with(PIDS).map_or(Ok(()), |h| number(h, b"pids.max", l.pids))?;
    // cgroupsPath makes a devices cgroup too: its rules only when asked.
    with(DEVICES).filter(|_| l.devices).map_or(Ok(()), devices)
}

/// v1 and v2 alike: cpuset.cpus, cpuset.mems.
fn cpuset(h: &Hierarchy, l: &Limits) -> Result<(), Error> {
    let d = h.dir.bytes();
    for (file, v) in [(&b"cpuset.cpus"[..], l.cpuset_cpus), (b"cpuset.mems", l.cpuset_mems)] {
        match v {
            Some(v) => write_file(d, file, v, true)?,
            None if !h.v2 => parents_cpuset(d, file)?,
            None => {}
        }
    }
    Ok(())
}

/// A new v1 cpuset starts empty, and no task can join it (v2: empty is the parent's): the
/// parent's `file` (cpuset.cpus, cpuset.mems) copied into the cgroup `d`.
pub fn parents_cpuset(d: &[u8], file: &[u8]) -> Result<(), Error> {
    let mut parent = [0u8; 1024];
    let p = join(d, b"/../", file)?;
    let v = read_file(p.as_cstr(), &mut parent)?.trim_ascii_end();
    if v.is_empty() {
        return Err(Error::msg("cgroup parent has an empty cpuset", p.bytes()));
    }
    write_file(d, file, v, true)
}

/// v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes (memory plus swap, so memory goes
/// first: memsw may not be below it); v2 memory.max and memory.swap.max (swap alone).
fn memory(h: &Hierarchy, l: &Limits) -> Result<(), Error> {
    let m = l.memory.unwrap_or(0);
    let (limit, swap) = if h.v2 { (&b"memory.max"[..], &b"memory.swap.max"[..]) } else { (&b"memory.limit_in_bytes"[..], &b"memory.memsw.limit_in_bytes"[..]) };
    number(h, limit, l.memory)?;
    match l.memory_swap {
        Some(-1) => write_file(h.dir.bytes(), swap, if h.v2 { b"max" } else { b"-1" }, true),
        s => number(h, swap, s.map(|s| s as u64 - if h.v2 { m } else { 0 })),
    }
}

/// v1 cpu.cfs_period_us, cpu.cfs_quota_us and cpu.shares; v2 cpu.max ("quota period") and
/// cpu.weight.
fn cpu(h: &Hierarchy, l: &Limits) -> Result<(), Error> {
    if let Some((quota, period)) = l.cpus {
        if h.v2 {
            let mut b = [b' '; 41];
            let n = itoa(period, &mut b).len();
            let q = itoa(quota, &mut b[..40 - n]).len();
            write_file(h.dir.bytes(), b"cpu.max", &b[40 - n - q..], true)?;
        } else {
            number(h, b"cpu.cfs_period_us", Some(period))?;
            number(h, b"cpu.cfs_quota_us", Some(quota))?;
        }
    }
    let (file, weight) = if h.v2 { (&b"cpu.weight"[..], l.cpu_shares.map(shares_to_weight)) } else { (&b"cpu.shares"[..], l.cpu_shares) };
    number(h, file, weight)
}

/// v1 only: v2 has no devices controller (BPF), and `Layout` puts devices on no v2 hierarchy.
fn devices(h: &Hierarchy) -> Result<(), Error> {
    let d = h.dir.bytes();
    write_file(d, b"devices.deny", b"a", true)?;
    // The allow rules: one write each, as the kernel takes them, through one open file (a
    // fifth of the syscalls of one open/write/close each).
    let path = join(d, b"/", b"devices.allow")?;
    let fd = sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_WRONLY, 0)?;
    let r = fields(DEVICE_RULES, b',').try_for_each(|rule| sys::write_all(fd, rule).map_err(|e| e.at(path.bytes())));
    let c = sys::close(fd);
    r.and(c)
}

/// `v` in decimal to `file`, when given.
fn number(h: &Hierarchy, file: &[u8], v: Option<u64>) -> Result<(), Error> {
    match v {
        Some(v) => write_file(h.dir.bytes(), file, itoa(v, &mut [0; 20]), true),
        None => Ok(()),
    }
}

/// v2 cpu.weight (1 to 10000) for v1 cpu.shares (2 to 262144, as the kernel clamps them),
/// crun's linear map.
pub fn shares_to_weight(shares: u64) -> u64 {
    1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_map_to_weight_as_crun_does() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(0), 1);
        assert_eq!(shares_to_weight(1 << 40), 10_000);
    }

    #[test]
    fn each_limit_wants_its_controller() {
        assert_eq!(wanted(&Limits::default()), 0);
        assert_eq!(wanted(&Limits { cpuset_mems: Some(b"0"), pids: Some(1), ..Limits::default() }), CPUSET | PIDS);
        assert_eq!(wanted(&Limits { memory: Some(1), cpu_shares: Some(2), devices: true, ..Limits::default() }), MEMORY | CPU | DEVICES);
    }
}
