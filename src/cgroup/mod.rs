//! Resource limits: the container's cgroups on v1, v2 and hybrid hosts.
//!
//! What the sequence uses: `Cgroups::create` makes a cgroup `runix-<pid>` in each hierarchy the
//! limits need (layout.rs), under runix's own cgroup or a parent given as a path inside the
//! hierarchy (--cgroup-parent), and writes the limits (resources.rs); `open_joins` and `join`
//! move the child in; `oom_killed` and `usage` read what the kernel counted; `remove` rmdirs
//! everything made, on every path (remove.rs, with the sweep of cgroups left behind and
//! `runix cleanup`). Bare open/write of the control files, in an order the kernel accepts.
//! Kernel docs: admin-guide/cgroup-v2.rst, cgroup-v1/*.rst.

mod layout;
mod remove;
mod resources;
#[cfg(test)]
pub mod fake;
#[cfg(test)]
mod tests;

use layout::{Hierarchy, Layout};
pub use layout::v1_hierarchies;
pub use remove::{cleanup, for_each_entry};

use crate::buf::CBuf;
use crate::error::Error;
use crate::file::read_file;
use crate::spec::Limits;
use crate::sys;
use crate::text::{fields, itoa};
use core::ffi::CStr;
use layout::{CPU, CPUSET, DEVICES, MAX, MEMORY, V2};
use libc::{EACCES, EBUSY, EEXIST, EINVAL, ENOENT, EPERM, ERANGE, EROFS};

pub type Path = CBuf<4096>;

/// Usage of the container so far, for `-v`: what the kernel keeps, when it keeps it.
#[derive(Clone, Copy, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Usage {
    /// Peak memory, bytes (v1 memory.max_usage_in_bytes, v2 memory.peak since Linux 5.19).
    pub memory_peak: Option<u64>,
    /// CPU time, ns (v1 cpuacct.usage, v2 cpu.stat usage_usec).
    pub cpu_ns: Option<u64>,
}

/// What the child writes to join its cgroups, opened by runix before the clone: one fd per
/// cgroup made, then -1.
pub type Joins = [sys::Fd; MAX];

/// The container's cgroups: one directory per hierarchy it uses.
pub struct Cgroups {
    l: Layout,
    /// How many of the hierarchies have the container's cgroup made (the first ones).
    made: usize,
}

impl Cgroups {
    /// None made; all zero bytes (see `Layout::EMPTY`).
    pub const EMPTY: Cgroups = Cgroups { l: Layout::EMPTY, made: 0 };

    /// Make the cgroups for `limits` (named after `pid`, runix's own) under runix's cgroup or
    /// `parent`, and set the limits. Nothing to limit makes nothing, with no syscall. `path`
    /// (OCI's cgroupsPath) is the container's cgroup itself instead, made in every hierarchy
    /// as runc makes it, and its parents with it. Not inlined: its frame (what it reads, the
    /// paths it writes) is on the stack only meanwhile.
    #[inline(never)]
    pub fn create(limits: &Limits, parent: Option<&[u8]>, path: Option<&[u8]>, pid: i32) -> Result<&'static mut Cgroups, Error> {
        // Twelve PATH_MAX paths: kept out of the stack (sys::once).
        static CGROUPS: sys::Once<Cgroups> = sys::Once::new(Cgroups::EMPTY);
        let cg = CGROUPS.take();
        cg.make(limits, parent, path, pid, c"/proc/self/cgroup", c"/proc/self/mountinfo")?;
        Ok(cg)
    }

    /// `create`, with the /proc files given; on failure, whatever was made is removed again.
    pub fn make(&mut self, limits: &Limits, parent: Option<&[u8]>, path: Option<&[u8]>, pid: i32, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<(), Error> {
        // `/a/b`: b in /a of each hierarchy.
        let (parent, name) = match path {
            Some(p) => {
                let i = p.iter().rposition(|&c| c == b'/');
                (i.map(|i| &p[..i.max(1)]).or(parent), Some(&p[i.map_or(0, |i| i + 1)..]))
            }
            None => (parent, None),
        };
        self.l.find(resources::wanted(limits), name.is_some(), parent, proc_cgroup, mountinfo)?;
        // How much of each cgroup's path is its parents that may need making.
        let rel = parent.filter(|&p| name.is_some() && p != b"/").map_or(0, <[u8]>::len);
        let r = self.make_dirs(pid, name, rel).and_then(|_| resources::write(&self.l, limits));
        if r.is_err() {
            // The first error is the one returned; a cleanup failure is said too, once.
            if let Err(e) = self.remove() {
                crate::log::error(&e);
            }
        }
        r
    }

    /// mkdir the container's cgroup (`name`, else runix-PID) in each hierarchy, and a named
    /// one's missing parents; then the v2 parent hands the controllers down, before its
    /// child's limits can be set.
    #[inline(never)]
    fn make_dirs(&mut self, pid: i32, name: Option<&[u8]>, rel: usize) -> Result<(), Error> {
        let own = CBuf::<32>::from(&[b"runix-", itoa(pid as u64, &mut [0; 20])])?;
        let (given, name) = (name.is_some(), name.unwrap_or(own.bytes()));
        let mut k = 0;
        while let Some(h) = self.l.hierarchies_mut().get_mut(k) {
            let d = &mut h.dir;
            // A runix killed with SIGKILL could not remove its cgroups; the next run in the same
            // parent does, before it makes its own (and one left with our pid, so that a fresh
            // one carries no stale limits). Best effort: a refusal (EACCES without root, EROFS)
            // is no reason to fail the run.
            let _ = remove::sweep(d.as_cstr(), pid, false);
            let parent = d.len();
            d.push_all(&[b"/", name])?;
            let mut made = sys::mkdir(d.as_cstr(), 0o755);
            if made.as_ref().is_err_and(|e| e.errno() == ENOENT) && given {
                // cgroupsPath's parents, as runc makes them (left when the cgroup goes), a
                // v1 cpuset's with its parent's CPUs and memory nodes.
                for (i, _) in d.bytes().iter().enumerate().filter(|&(i, &c)| c == b'/' && i > parent - rel) {
                    let p = Path::from(&[&d.bytes()[..i]])?;
                    if sys::mkdir(p.as_cstr(), 0o755).is_ok() && h.controllers & CPUSET != 0 && !h.v2 {
                        resources::parents_cpuset(p.bytes(), b"cpuset.cpus")?;
                        resources::parents_cpuset(p.bytes(), b"cpuset.mems")?;
                    }
                }
                made = sys::mkdir(d.as_cstr(), 0o755);
            }
            let e = match made {
                Ok(()) => {
                    self.made += 1;
                    k += 1;
                    continue;
                }
                // The sweep above could not remove it: it holds processes (or cgroups) of a
                // runix with our pid in another PID namespace, not ours to kill.
                Err(e) if e.errno() == EEXIST => return Err(Error::msg(if given { "cgroup exists already (cgroupsPath)" } else { "a cgroup with runix's pid is in use (by a runix in another PID namespace?)" }, d.bytes())),
                Err(e) => e,
            };
            // Not made, so not to be removed: the path can go back to the parent.
            d.truncate(parent);
            match e.errno() {
                // A devices hierarchy runix may not write to (read-only, as containers mount
                // cgroupfs) is as good as none: the caller drops CAP_MKNOD instead.
                EROFS | EACCES | EPERM if h.controllers == DEVICES => self.l.forget(k),
                ENOENT => return Err(Error::msg("cgroup parent does not exist", d.bytes())),
                _ => return Err(e),
            }
        }
        match self.l.unified() {
            Some(h) => enable(&h.dir.bytes()[..h.dir.len().saturating_sub(name.len() + 1)], h.controllers),
            None => Ok(()),
        }
    }

    /// Open, for the child, the file it joins each cgroup by; it writes "0" (itself) there
    /// first thing. v1 `tasks` moves one thread, for the single-threaded child the whole
    /// process, and where the kernel moves the current thread without the threadgroup lock a
    /// write to cgroup.procs takes (kernel/cgroup/cgroup.c, cgroup_procs_write_start), it
    /// spares the start that lock's RCU grace period. v2 has only cgroup.procs. Not inlined,
    /// so its paths are not in the frame that waits for the container.
    #[inline(never)]
    pub fn open_joins(&self) -> Result<Joins, Error> {
        let mut fds = [-1; MAX];
        for (fd, h) in fds.iter_mut().zip(self.made()) {
            *fd = sys::openat(sys::AT_FDCWD, join_path(h)?.as_cstr(), libc::O_WRONLY, 0)?;
        }
        Ok(fds)
    }

    /// Child: join every cgroup through the files `open_joins` opened.
    pub fn join(&self, fds: &Joins) -> Result<(), Error> {
        for (&fd, h) in fds.iter().zip(self.made()) {
            if let Err(e) = sys::write(fd, b"0") {
                return Err(join_path(h).map_or(e, |p| e.at(p.bytes())));
            }
        }
        Ok(())
    }

    /// Whether the kernel's OOM killer killed a process of the container. Best effort: false
    /// when memory was not limited or the files cannot be read.
    pub fn oom_killed(&self) -> bool {
        let Some(h) = self.l.with(MEMORY) else { return false };
        let d = h.dir.bytes();
        if h.v2 {
            return read_u64(d, b"memory.events", b"oom_kill ").is_some_and(|n| n > 0);
        }
        match read_u64(d, b"memory.oom_control", b"oom_kill ") {
            Some(n) => n > 0,
            // Before Linux 4.13 there is no oom_kill count: the limit was hit (failcnt) and
            // usage peaked at it (within 1/16) is as close as those kernels tell.
            None => read_u64(d, b"memory.failcnt", b"").is_some_and(|n| n > 0)
                && match (read_u64(d, b"memory.max_usage_in_bytes", b""), read_u64(d, b"memory.limit_in_bytes", b"")) {
                    (Some(max), Some(lim)) => max.saturating_add(lim / 16) >= lim,
                    _ => false,
                },
        }
    }

    /// Peak memory and CPU time of the container, where the kernel counts them.
    pub fn usage(&self) -> Usage {
        let l = &self.l;
        Usage {
            memory_peak: l.with(MEMORY).and_then(|h| read_u64(h.dir.bytes(), if h.v2 { b"memory.peak" } else { b"memory.max_usage_in_bytes" }, b"")),
            // v2 counts CPU time in every cgroup, controller or not; v1 in cpuacct's hierarchy,
            // when co-mounted with cpu.
            cpu_ns: match l.unified() {
                Some(h) => read_u64(h.dir.bytes(), b"cpu.stat", b"usage_usec ").and_then(|us| us.checked_mul(1000)),
                _ => l.with(CPU).and_then(|h| read_u64(h.dir.bytes(), b"cpuacct.usage", b"")),
            },
        }
    }

    /// Whether the device rules were set (there is no v1 devices hierarchy on cgroup v2 hosts:
    /// the caller then drops CAP_MKNOD instead).
    pub fn device_rules(&self) -> bool {
        self.made > 0 && self.l.with(DEVICES).is_some()
    }

    /// The container's cgroup directories, for logging.
    pub fn dirs(&self) -> impl Iterator<Item = &CStr> {
        self.made().iter().map(|h| h.dir.as_cstr())
    }

    pub fn is_empty(&self) -> bool {
        self.made == 0
    }

    fn made(&self) -> &[Hierarchy] {
        &self.l.hierarchies()[..self.made]
    }

    /// rmdir every cgroup made, killing what is still in it; tries all, returns the first
    /// error. Each is tried once: what is still there after that is the sweep's (stale
    /// `runix-<pid>` cgroups) or `runix cleanup`'s.
    pub fn remove(&mut self) -> Result<(), Error> {
        let mut r = Ok(());
        while self.made > 0 {
            self.made -= 1;
            let e = remove::rmdir_tree(&self.l.hierarchies()[self.made].dir);
            r = r.and(e);
        }
        r
    }
}

/// rmdir the cgroup `dir`, killing what is left in it (`runix delete`, for a created container).
pub fn remove_dir(dir: &[u8]) -> Result<(), Error> {
    remove::rmdir_tree(&Path::from(&[dir])?)
}

/// `runix exec`'s process into the container's cgroup `dir`. A cgroup v2 cgroup that gives
/// controllers to those below it takes no process (EBUSY: cgroup-v2.rst, "no internal
/// process"), as when a container's systemd has moved itself down: then into the one below
/// `dir` that the init is in, as runc does.
pub fn join_below(dir: &[u8], init: i32) -> Result<(), Error> {
    let e = match write_file(dir, b"cgroup.procs", b"0", false) {
        Err(e) if e.errno() == EBUSY => e,
        r => return r,
    };
    // The init's "0::PATH" (PATH from this cgroup namespace's root, as dir's end is): what of
    // PATH follows the longest leading part of it that dir ends with.
    let mut buf = [0; 4096];
    let text = read_file(join(b"/proc/", crate::text::itoa(init as u64, &mut [0; 20]), b"/cgroup")?.as_cstr(), &mut buf)?;
    let path = fields(text, b'\n').find_map(|l| l.strip_prefix(b"0::")).unwrap_or_default();
    let mut i = path.len();
    while i > 0 && !(path.get(i).is_none_or(|&c| c == b'/') && dir.ends_with(&path[..i])) {
        i -= 1;
    }
    // Never out of dir, whatever a name the container chose holds (a newline and a line of
    // its own): no name below it that starts with a dot, so no "..".
    let below = &path[i..];
    if i == 0 || below.is_empty() || below.windows(2).any(|w| w == b"/.") {
        return Err(e);
    }
    write_file(join(dir, below, b"")?.bytes(), b"cgroup.procs", b"0", false)
}

/// The v2 controllers `controllers` enabled in `parent`'s cgroup.subtree_control, one at a
/// time, so an error names the controller.
fn enable(parent: &[u8], controllers: u8) -> Result<(), Error> {
    // Each controller bit of V2 in turn.
    for i in 0..8 {
        let c = 1 << i;
        if controllers & c & V2 == 0 {
            continue;
        }
        let Err(e) = write_file(parent, b"cgroup.subtree_control", layout::enable_token(c), false) else { continue };
        let (what, detail) = match e.errno() {
            // The parent's cgroup.controllers lacks it (EINVAL: this kernel has no such).
            ENOENT | EINVAL => ("cgroup controller not available", layout::name(c)),
            EBUSY => (
                "cannot enable cgroup controllers: the parent cgroup has processes, and cgroup v2 gives controllers only to cgroups without (use --cgroup-parent to name an empty cgroup, or move those processes into a leaf cgroup)",
                parent,
            ),
            _ => return Err(e),
        };
        return Err(Error::msg(what, detail));
    }
    Ok(())
}

/// The file a cgroup is joined by: v1 `tasks`, v2 `cgroup.procs` (see `open_joins`).
fn join_path(h: &Hierarchy) -> Result<Path, Error> {
    join(h.dir.bytes(), b"/", if h.v2 { b"cgroup.procs" } else { b"tasks" })
}

/// Write `value` to `dir/file`: open, one write, close (no O_CREAT: the kernel makes the
/// control files on mkdir). For a `limit`, the kernel's EINVAL or ERANGE (a value out of
/// range, cpus/mems outside the machine's), EACCES from the write (v1 cpuset: cpus/mems
/// outside the parent's) and ENOENT (a file this kernel lacks) become messages naming file
/// and value.
fn write_file(dir: &[u8], file: &[u8], value: &[u8], limit: bool) -> Result<(), Error> {
    // Made in place: `join`'s result would be one more 4 KiB copy in this frame.
    let mut path = Path::new();
    path.push_all(&[dir, b"/", file])?;
    let what = match sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_WRONLY, 0) {
        Err(e) if limit && e.errno() == ENOENT => "cgroup file missing (not supported by this kernel?)",
        Err(e) => return Err(e),
        Ok(fd) => {
            let r = sys::write_all(fd, value).map_err(|e| e.at(path.bytes()));
            let c = sys::close(fd);
            match r.and(c) {
                // EACCES: a v1 cpuset's cpus or mems outside the parent's.
                Err(e) if limit && matches!(e.errno(), EINVAL | ERANGE | EACCES) => {
                    "cgroup refused the value (outside what the parent cgroup or the machine allows?)"
                }
                r => return r,
            }
        }
    };
    let _ = path.push(b"=").and_then(|p| p.push(value));
    Err(Error::msg(what, path.bytes()))
}

/// The number in `dir/file`: the whole file when `key` is empty, else from its line that
/// starts with `key` (`name `).
fn read_u64(dir: &[u8], file: &[u8], key: &[u8]) -> Option<u64> {
    let mut buf = [0u8; 1024];
    let s = read_file(join(dir, b"/", file).ok()?.as_cstr(), &mut buf).ok()?;
    fields(s, b'\n').find_map(|line| crate::text::number(line.strip_prefix(key)?))
}

/// `dir`, `sep`, `name`: a control file's path.
fn join(dir: &[u8], sep: &[u8], name: &[u8]) -> Result<Path, Error> {
    Path::from(&[dir, sep, name])
}
