//! Resource limits: the container's cgroups on v1, v2 and hybrid hosts.
//!
//! Where: the hierarchies come from /proc/self/mountinfo and /proc/self/cgroup, never a
//! hard-coded /sys/fs/cgroup. Each controller a run needs goes to its v1 hierarchy when one is
//! mounted (a controller bound to v1 cannot be used on v2: hybrid hosts), else to the unified
//! hierarchy, whose parent cgroup must offer it (cgroup.controllers; the kernel says ENOENT
//! when it is enabled otherwise). The cgroup is `runix-<pid>` under runix's own cgroup, or
//! under a parent given as a path inside the hierarchy (--cgroup-parent).
//! How: bare open/write of the control files in an order the kernel accepts, and rmdir of
//! everything made, on every path. Kernel docs: admin-guide/cgroup-v2.rst, cgroup-v1/*.rst.

use crate::buf::{Buf, CBuf};
use crate::error::Error;
use crate::file::{for_each_line, read_file};
use crate::text::{cut, fields, has, human, itoa};
use crate::sys;
use core::ffi::CStr;
use libc::{EACCES, EBUSY, EEXIST, EINVAL, ENOENT, EPERM, ERANGE, EROFS, ESRCH};

pub type Path = CBuf<4096>;

/// CFS period for --cpus, µs: Docker's and the kernel's default.
pub const CPU_PERIOD: u64 = 100_000;

/// What to limit; None (or false) leaves that controller alone. Filled from the command line
/// or an OCI config; checked by `check` before anything is made.
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
    /// The device allow-list (Docker's), on a v1 devices hierarchy when there is one
    /// (`Cgroups::device_rules` says whether it was set).
    pub devices: bool,
}

// Controllers, in the order their files are written: cpuset first, since no task may join a
// v1 cpuset whose cpus or mems are empty. The first four are enabled through v2's
// cgroup.subtree_control; v2 has no devices controller (BPF) and puts cpuacct's numbers in
// cpu.stat of every cgroup.
const CPUSET: usize = 0;
const MEMORY: usize = 1;
const CPU: usize = 2;
const PIDS: usize = 3;
const DEVICES: usize = 4;
const CPUACCT: usize = 5;
const N: usize = 6;
/// The controllers, each with the `+` that enables it in v2's cgroup.subtree_control.
const NAMES: &[u8] = b"+cpuset +memory +cpu +pids +devices +cpuacct";
const NONE: u8 = 0xff;

/// Controller `c`'s name; "" past the last (N: the unified hierarchy).
fn controller(c: usize) -> &'static [u8] {
    &enable_token(c)[1..]
}

/// `+name`, to enable controller `c` in cgroup.subtree_control.
fn enable_token(c: usize) -> &'static [u8] {
    fields(NAMES, b' ').nth(c).unwrap_or(b"+")
}

/// The limit files, `v1-name v2-name` (v2: empty where it has none), and their controllers.
const FILES: &[u8] = b"cpuset.cpus cpuset.cpus,cpuset.mems cpuset.mems,memory.limit_in_bytes memory.max,\
memory.memsw.limit_in_bytes memory.swap.max,cpu.cfs_period_us ,cpu.cfs_quota_us cpu.max,cpu.shares cpu.weight,pids.max pids.max,\
devices.deny ,devices.allow ";
/// Each write's controller: FILES's entries, the last (devices.allow) once per rule after the
/// first.
const FILE_CTRL: [u8; 17] = {
    let (s, m, c, p, d) = (CPUSET as u8, MEMORY as u8, CPU as u8, PIDS as u8, DEVICES as u8);
    [s, s, m, m, c, c, c, p, d, d, d, d, d, d, d, d, d]
};

/// devices.deny all, then devices.allow what Docker's default allows: /dev/null zero full random
/// urandom tty, ptmx and the pts.
/// One string, not a table of slices: a third of the size.
const DEVICE_RULES: &[u8] = b"a,c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,c 5:2 rwm,c 136:* rwm";

impl<'a> Limits<'a> {
    /// Limits that contradict each other (Docker's rules for --memory-swap). Values out of
    /// the kernel's range are for the kernel to refuse (see `write_file`).
    pub fn check(&self) -> Result<(), Error> {
        match (self.memory_swap, self.memory) {
            (Some(s), Some(m)) if s != -1 && (s < 0 || (s as u64) < m) => {
                // `16 MiB < 32 MiB`: the two values, as the user gave them more or less.
                let mut b = CBuf::<64>::new();
                for (i, v) in [s as u64, m].into_iter().enumerate() {
                    let (n, unit) = human(v);
                    b.push(if i == 0 { b"" } else { b" < " })?.push(itoa(n, &mut [0; 20]))?.push(b" ")?.push(unit.as_bytes())?;
                }
                Err(Error::msg("--memory-swap below --memory (it counts memory plus swap)", b.bytes()))
            }
            (Some(_), None) => Err(Error::msg("memory-swap limit without a memory limit", b"")),
            _ => Ok(()),
        }
    }

    /// What to write in write `i` (of FILE_CTRL) on v1 or v2; None: nothing given.
    fn value<'b>(&self, i: usize, v2: bool, nb: &'b mut [u8; 48]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        // Text, or the number a (or "a b") in nb.
        let (a, b) = match i {
            0 => return self.cpuset_cpus,
            1 => return self.cpuset_mems,
            2 => (self.memory?, None),
            // v1 takes memory+swap (so memory goes first: memsw may not be below it), v2
            // swap alone.
            3 => match self.memory_swap? {
                -1 => return Some(if v2 { b"max" } else { b"-1" }),
                s => (s as u64 - if v2 { self.memory.unwrap_or(0) } else { 0 }, None),
            },
            // v1 cpu.cfs_period_us, cpu.cfs_quota_us; v2 cpu.max "quota period".
            4 | 5 => match self.cpus? {
                (q, p) if v2 => (q, Some(p)),
                (q, p) => (if i == 4 { p } else { q }, None),
            },
            6 => {
                let s = self.cpu_shares?;
                (if v2 { shares_to_weight(s) } else { s }, None)
            }
            7 => (self.pids?, None),
            // v1 only: v2 has no devices controller (`device_rules`).
            _ => return fields(DEVICE_RULES, b',').nth(i - 8),
        };
        Some(nums(nb, a, b))
    }

    /// The controllers this run needs, one bit each.
    fn need(&self) -> u8 {
        (self.cpuset_cpus.is_some() || self.cpuset_mems.is_some()) as u8
            | (self.memory.is_some() as u8) << MEMORY
            | ((self.cpus.is_some() || self.cpu_shares.is_some()) as u8) << CPU
            | (self.pids.is_some() as u8) << PIDS
            | (self.devices as u8) << DEVICES
    }
}

/// v2 cpu.weight (1 to 10000) for v1 cpu.shares (2 to 262144, as the kernel clamps them),
/// crun's linear map.
pub fn shares_to_weight(shares: u64) -> u64 {
    1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142
}

/// Where the cgroups of a run go: the parent directory per controller, none made yet.
pub struct Layout {
    /// dirs[0] is for the unified (v2) hierarchy, v1 ones from 1; in use: lo..n (lo is 0
    /// when v2 is used).
    dirs: [Path; N + 1],
    lo: usize,
    n: usize,
    /// Per controller, its index in dirs, or NONE; at[N] is the unified hierarchy's (0).
    at: [u8; N + 1],
    /// v2 controllers to enable in dirs[0]'s cgroup.subtree_control.
    enable: u8,
}

impl Layout {
    /// The layout for `limits`, from the given /proc/self/cgroup and /proc/self/mountinfo.
    /// `parent` is a path inside each hierarchy (as in /proc/self/cgroup) that replaces
    /// runix's own cgroup. Nothing to limit reads nothing.
    pub fn find(limits: &Limits, parent: Option<&[u8]>, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<Layout, Error> {
        let mut l = Layout::new();
        l.find_in(limits, parent, proc_cgroup, mountinfo)?;
        Ok(l)
    }

    /// `find`, into a new layout (a Layout is large: no copies).
    fn find_in(&mut self, limits: &Limits, parent: Option<&[u8]>, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<(), Error> {
        limits.check()?;
        // The device rules need a v1 devices hierarchy; without one the caller does without
        // them (and drops CAP_MKNOD instead), so they never fail a run.
        let devices = (limits.devices as u8) << DEVICES;
        self.discover(limits.need() & !devices, devices, parent, proc_cgroup, mountinfo)
    }

    /// Every mounted hierarchy runix could use, for `cleanup`, into a new layout.
    fn find_all(&mut self, parent: Option<&[u8]>, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<(), Error> {
        self.discover(0, (1 << N) - 1, parent, proc_cgroup, mountinfo)
    }

    /// No hierarchy yet (lo == n: no directory in use).
    fn new() -> Layout {
        let mut l = Layout::ZERO;
        l.clear();
        l
    }

    /// All zero bytes, so that a static one costs no byte of the executable; `clear` makes it
    /// `new`.
    const ZERO: Layout = Layout { dirs: [const { Path::new() }; N + 1], lo: 0, n: 0, at: [0; N + 1], enable: 0 };

    fn clear(&mut self) {
        (self.lo, self.n, self.at) = (1, 1, [NONE; N + 1]);
    }

    fn discover(&mut self, need: u8, opt: u8, parent: Option<&[u8]>, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<(), Error> {
        let l = self;
        let want = need | opt;
        if want == 0 {
            return Ok(());
        }
        if let Some(p) = parent.filter(|p| has(p, b'/', b"..")) {
            return Err(Error::msg("invalid cgroup parent", p));
        }
        let mut buf = [0u8; 4096];
        let cg = read_file(proc_cgroup, &mut buf)?;
        for_each_line(mountinfo, &mut |line| l.mount(line, want | 1 << N, cg, parent).map(|_| true))?;
        let v2 = l.at[N] == 0;
        // The rest go to v2, if mounted. Whether the parent offers them (its cgroup.controllers)
        // the kernel says when they are enabled (ENOENT). v2 has no devices controller (BPF)
        // and gives cpuacct's numbers in every cgroup's cpu.stat.
        for c in 0..N {
            let bit = 1u8 << c;
            if want & bit == 0 || l.at[c] != NONE || c == DEVICES {
                continue;
            }
            if v2 {
                l.at[c] = 0;
                l.lo = 0;
                if c < DEVICES {
                    l.enable |= bit;
                }
            } else if need & bit != 0 {
                return Err(Error::msg("cgroup controller not available", controller(c)));
            }
        }
        // `all`: the v2 hierarchy too, even with every controller on v1 (devices may be there).
        if opt == (1 << N) - 1 && v2 {
            l.lo = 0;
        }
        Ok(())
    }

    /// Take the hierarchies of one mountinfo line that `want` still lacks (and the unified
    /// one, once).
    fn mount(&mut self, line: &[u8], want: u8, cg: &[u8], parent: Option<&[u8]>) -> Result<(), Error> {
        // N stands for the unified hierarchy (controller name ""), whose directory is dirs[0].
        for c in 0..=N {
            if want >> c & 1 == 0 || self.at[c] != NONE {
                continue;
            }
            let name = controller(c);
            let Some((root, point)) = cgroup_mount(line, name) else { continue };
            let Some(own) = own_path(cg, name) else { continue };
            let n = if c == N { 0 } else { self.n };
            dir_of(&mut self.dirs[n], point, root, parent.unwrap_or(own))?;
            // Co-mounted controllers (cpu,cpuacct) share one directory.
            let i = (1..n).find(|&i| self.dirs[i].bytes() == self.dirs[n].bytes()).unwrap_or(n);
            self.n += (i == self.n) as usize;
            self.at[c] = i as u8;
        }
        Ok(())
    }

    /// Whether dirs[k] holds the devices controller and no other.
    fn only_devices(&self, k: usize) -> bool {
        (0..=N).all(|c| (self.at[c] as usize == k) == (c == DEVICES))
    }

    /// Drop dirs[k], not made yet, and the controllers in it: the last one takes its place.
    fn forget(&mut self, k: usize) {
        let last = self.n - 1;
        self.dirs.swap(k, last);
        for at in self.at.iter_mut() {
            if *at as usize == k {
                *at = NONE;
            } else if *at as usize == last {
                *at = k as u8;
            }
        }
        self.n = last;
    }

    fn dir(&self, c: usize) -> Option<&[u8]> {
        self.dirs.get(self.at[c] as usize).map(|d| d.bytes())
    }

    fn is_v2(&self, c: usize) -> bool {
        self.at[c] == 0
    }

    /// The directories in use (parents here; the container's own in `Cgroups`).
    pub fn dirs(&self) -> impl Iterator<Item = &CStr> {
        self.dirs[self.lo..self.n].iter().map(|d| d.as_cstr())
    }

    /// Whether the device rules have a v1 devices hierarchy to go to.
    pub fn device_rules(&self) -> bool {
        self.at[DEVICES] != NONE
    }
}

/// Call `f` with each name in `dir` and its type (DT_*) (getdents64(2) gives struct
/// linux_dirent64 records: d_ino u64, d_off i64, d_reclen u16, d_type u8, then the
/// NUL-terminated name).
fn for_each_entry(dir: &CStr, f: &mut dyn FnMut(&[u8], u8) -> Result<(), Error>) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, dir, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let mut buf = [0u8; 4096];
    let r = 'outer: loop {
        let n = match sys::getdents64(fd, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e.at(dir.to_bytes())),
        };
        let mut off = 0;
        while let Some(rec) = buf[..n].get(off..) {
            let len = rec.get(16..18).map_or(0, |l| u16::from_ne_bytes([l[0], l[1]]) as usize);
            let Some(name) = rec.get(19..len) else { break };
            if let Err(e) = f(name.split(|&c| c == 0).next().unwrap_or(name), rec[18]) {
                break 'outer Err(e);
            }
            off += len;
        }
        // kernfs (cgroupfs) fills the buffer while the next record fits: room left for the
        // largest (19 bytes, a 255-byte name and its NUL, 8-aligned) means that was the last,
        // and saves the getdents64 that would return 0.
        if buf.len() - n >= 280 {
            break Ok(());
        }
    };
    sys::close(fd)?;
    r
}

/// The pid in a name runix gives its cgroups, `runix-<pid>` as `itoa` writes it (no sign, no
/// leading zero); None for any other name.
fn runix_pid(name: &[u8]) -> Option<i32> {
    let digits = name.strip_prefix(b"runix-")?;
    crate::text::number(digits).filter(|_| digits[0] != b'0').and_then(|p| i32::try_from(p).ok())
}

/// Remove the `runix-<pid>` cgroups in `dir` that a runix killed with SIGKILL left behind:
/// those whose pid is gone (kill(2) with signal 0 says ESRCH only when no process has it; a
/// live pid is left alone, whatever process it is now), and `own`'s, which is not made yet.
/// Nothing is killed: a plain rmdir, which the kernel refuses (EBUSY) while the cgroup holds
/// a process or a child cgroup. Each one removed is printed on stdout (`print`) or logged.
fn sweep(dir: &CStr, own: i32, print: bool) -> Result<(), Error> {
    for_each_entry(dir, &mut |name, kind| {
        let Some(pid) = runix_pid(name).filter(|_| kind == libc::DT_DIR) else { return Ok(()) };
        if pid != own && !sys::kill(pid, 0).is_err_and(|e| e.errno() == ESRCH) {
            return Ok(());
        }
        let p = join(dir.to_bytes(), b"/", name)?;
        match rmdir(&p) {
            Ok(()) if print => [&b"removed "[..], p.bytes(), b"\n"].iter().try_for_each(|s| sys::write_all(1, s)),
            Ok(()) => {
                crate::info!("(parent) removed stale cgroup ", crate::error::Bytes(p.bytes()));
                Ok(())
            }
            Err(e) if e.errno() == EBUSY || e.errno() == ENOENT => Ok(()),
            Err(e) => Err(e),
        }
    })
}

/// `runix cleanup`: sweep every hierarchy runix could use, under runix's cgroup or `parent`,
/// and print each cgroup removed.
pub fn cleanup(parent: Option<&[u8]>) -> Result<i32, Error> {
    // A Layout is 28 KiB: a static, as Cgroups::create's.
    static LAYOUT: sys::Once<Layout> = sys::Once::new(Layout::ZERO);
    let l = LAYOUT.take();
    l.clear();
    l.find_all(parent, c"/proc/self/cgroup", c"/proc/self/mountinfo")?;
    for d in l.dirs() {
        match sweep(d, 0, true) {
            // A parent missing in one hierarchy has nothing in it.
            Err(e) if e.errno() != ENOENT => return Err(e),
            _ => {}
        }
    }
    Ok(0)
}

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
pub type Joins = [sys::Fd; N + 1];

/// The container's cgroups, made: one directory per hierarchy it uses.
pub struct Cgroups {
    l: Layout,
    /// How many of l.dirs[l.lo..] exist.
    made: usize,
}

impl Cgroups {
    /// Make the cgroups for `limits` (named after `pid`, runix's own) under runix's cgroup or
    /// `parent`, and set the limits. Nothing to limit makes nothing, with no syscall. Not
    /// inlined: its frame (what it reads, the paths it writes) is on the stack only meanwhile.
    #[inline(never)]
    pub fn create(limits: &Limits, parent: Option<&[u8]>, pid: i32) -> Result<&'static mut Cgroups, Error> {
        // Seven PATH_MAX paths: kept out of the stack (sys::once).
        static CGROUPS: sys::Once<Cgroups> = sys::Once::new(Cgroups { l: Layout::ZERO, made: 0 });
        let cg = CGROUPS.take();
        cg.l.clear();
        cg.l.find_in(limits, parent, c"/proc/self/cgroup", c"/proc/self/mountinfo")?;
        cg.make_or_undo(limits, pid)?;
        Ok(cg)
    }

    /// Make the cgroups of `layout`; on failure, whatever was made is removed again.
    pub fn create_in(layout: Layout, limits: &Limits, pid: i32) -> Result<Cgroups, Error> {
        let mut cg = Cgroups { l: layout, made: 0 };
        cg.make_or_undo(limits, pid)?;
        Ok(cg)
    }

    fn make_or_undo(&mut self, lim: &Limits, pid: i32) -> Result<(), Error> {
        let r = self.make(lim, pid);
        if r.is_err() {
            // The first error is the one returned; a cleanup failure is said too, once.
            if let Err(e) = self.remove() {
                crate::log::error(&e);
            }
        }
        r
    }

    fn make(&mut self, lim: &Limits, pid: i32) -> Result<(), Error> {
        let l = &mut self.l;
        let mut digits = [0u8; 20];
        let name = itoa(pid as u64, &mut digits);
        let mut k = l.lo;
        while k < l.n {
            let d = &mut l.dirs[k];
            // A runix killed with SIGKILL could not remove its cgroups; the next run in the same
            // parent does, before it makes its own (and one left with our pid, so that a fresh
            // one carries no stale limits). Best effort: a refusal (EACCES without root, EROFS)
            // is no reason to fail the run.
            let _ = sweep(d.as_cstr(), pid, false);
            let parent = d.len();
            d.push(b"/runix-")?.push(name)?;
            let e = match mkdir(d) {
                Ok(()) => {
                    self.made += 1;
                    k += 1;
                    continue;
                }
                // The sweep above could not remove it: it holds processes (or cgroups) of a
                // runix with our pid in another PID namespace, not ours to kill.
                Err(e) if e.errno() == EEXIST => return Err(Error::msg("a cgroup with runix's pid is in use (by a runix in another PID namespace?)", d.bytes())),
                Err(e) => e,
            };
            // Not made, so not to be removed: the path can go back to the parent.
            d.truncate(parent);
            match e.errno() {
                // A devices hierarchy runix may not write to (read-only, as containers mount
                // cgroupfs) is as good as none: the caller drops CAP_MKNOD instead.
                EROFS | EACCES | EPERM if l.only_devices(k) => l.forget(k),
                ENOENT => return Err(Error::msg("cgroup parent does not exist", l.dirs[k].bytes())),
                _ => return Err(e),
            }
        }
        // The v2 parent hands the controllers down before its child's limits can be set; one at
        // a time, so an error names the controller.
        if l.enable != 0 {
            let v2 = l.dirs[0].bytes();
            let parent = &v2[..v2.len().saturating_sub(name.len() + 7)];
            for c in 0..DEVICES {
                let name = controller(c);
                let bit = 1 << c;
                if l.enable & bit == 0 {
                    continue;
                }
                let Err(e) = write_file(parent, b"cgroup.subtree_control", enable_token(c), false) else { continue };
                let (what, detail) = match e.errno() {
                    // The parent's cgroup.controllers lacks it (EINVAL: this kernel has no such).
                    ENOENT | EINVAL => ("cgroup controller not available", name),
                    EBUSY => (
                        "cannot enable cgroup controllers: the parent cgroup has processes, and cgroup v2 gives controllers only to cgroups without (use --cgroup-parent to name an empty cgroup, or move those processes into a leaf cgroup)",
                        parent,
                    ),
                    _ => return Err(e),
                };
                return Err(Error::msg(what, detail));
            }
        }
        self.set_limits(lim)
    }

    fn set_limits(&self, lim: &Limits) -> Result<(), Error> {
        let l = &self.l;
        let need = lim.need();
        let mut nb = [0u8; 48];
        let mut parent = [0u8; 1024];
        let mut allow: sys::Fd = -1;
        for (i, &c) in FILE_CTRL.iter().enumerate() {
            // The devices.allow entry stands for all the rules after the first.
            let Some((v1, v2)) = fields(FILES, b',').nth(i.min(9)).and_then(|n| cut(n, b' ')) else { continue };
            let c = c as usize;
            if need >> c & 1 == 0 {
                continue;
            }
            let Some(d) = l.dir(c) else { continue };
            let (file, v2) = if l.is_v2(c) { (v2, true) } else { (v1, false) };
            let v = match lim.value(i, v2, &mut nb) {
                Some(v) => v,
                // A new v1 cpuset starts empty, and no task can join it (v2: empty is the
                // parent's): copy the parent's.
                None if i < 2 && !v2 => {
                    let p = join(d, b"/../", file)?;
                    let v = read_file(p.as_cstr(), &mut parent)?.trim_ascii_end();
                    if v.is_empty() {
                        return Err(Error::msg("cgroup parent has an empty cpuset", p.bytes()));
                    }
                    v
                }
                None => continue,
            };
            if file.is_empty() {
                continue;
            }
            if i < 9 {
                write_file(d, file, v, true)?;
                continue;
            }
            // The allow rules: one write each, as the kernel takes them, through one open
            // file (a fifth of the syscalls of one open/write/close each).
            if allow < 0 {
                allow = sys::openat(sys::AT_FDCWD, join(d, b"/", file)?.as_cstr(), libc::O_WRONLY, 0)?;
            }
            #[cfg(test)]
            tests::fake_write(&join(d, b"/", file)?, v)?;
            sys::write_all(allow, v)?;
        }
        if allow >= 0 {
            sys::close(allow)?;
        }
        Ok(())
    }

    /// Open, for the child, the file it joins each cgroup by. It writes "0" (itself) there
    /// first thing: a v1 `tasks` file moves one thread, which for the single-threaded child is
    /// the whole process. Where the kernel moves the current thread without the global
    /// threadgroup lock that a write to cgroup.procs takes (kernel/cgroup/cgroup.c,
    /// cgroup_procs_write_start; so does this 6.18), that skips the lock's RCU grace period,
    /// which made one start in 35 take 5-24 ms (99th percentile 14 ms, now 4.7). Older kernels
    /// take the lock either way. v2 has only cgroup.procs. (Not inlined, so its paths are not
    /// in the frame that waits for the container.)
    #[inline(never)]
    pub fn open_joins(&self) -> Result<Joins, Error> {
        let mut fds = [-1; N + 1];
        for (i, d) in self.made_dirs().iter().enumerate() {
            let p = join(d.bytes(), b"/", self.join_file(i))?;
            fds[i] = sys::openat(sys::AT_FDCWD, p.as_cstr(), libc::O_WRONLY, 0)?;
        }
        Ok(fds)
    }

    fn join_file(&self, i: usize) -> &'static [u8] {
        if i == 0 && self.l.lo == 0 { b"cgroup.procs" } else { b"tasks" }
    }

    /// Child: join every cgroup through the files `open_joins` opened.
    pub fn join(&self, fds: &Joins) -> Result<(), Error> {
        for (i, d) in self.made_dirs().iter().enumerate() {
            #[cfg(test)]
            tests::fake_write(&join(d.bytes(), b"/", self.join_file(i))?, b"0")?;
            if let Err(e) = sys::write(fds[i], b"0") {
                return Err(join(d.bytes(), b"/", self.join_file(i)).map_or(e, |p| e.at(p.bytes())));
            }
        }
        Ok(())
    }

    /// Whether the kernel's OOM killer killed a process of the container. Best effort: false
    /// when memory was not limited or the files cannot be read.
    pub fn oom_killed(&self) -> bool {
        let l = &self.l;
        let Some(d) = l.dir(MEMORY) else { return false };
        if l.is_v2(MEMORY) {
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
            memory_peak: l.dir(MEMORY).and_then(|d| read_u64(d, if l.is_v2(MEMORY) { b"memory.peak" } else { b"memory.max_usage_in_bytes" }, b"")),
            // v2 counts CPU time in every cgroup, controller or not; v1 in cpuacct's hierarchy,
            // its own or co-mounted with cpu.
            cpu_ns: {
                let (d, file, key, ns) = if l.lo == 0 {
                    (Some(l.dirs[0].bytes()), &b"cpu.stat"[..], &b"usage_usec "[..], 1000)
                } else {
                    (l.dir(CPUACCT).or(l.dir(CPU)), &b"cpuacct.usage"[..], &b""[..], 1)
                };
                d.and_then(|d| read_u64(d, file, key)?.checked_mul(ns))
            },
        }
    }

    /// Whether the device rules were set (there is no v1 devices hierarchy on cgroup v2 hosts:
    /// the caller then drops CAP_MKNOD instead).
    pub fn device_rules(&self) -> bool {
        self.made > 0 && self.l.device_rules()
    }

    /// The container's cgroup directories, for logging.
    pub fn dirs(&self) -> impl Iterator<Item = &CStr> {
        self.made_dirs().iter().map(|d| d.as_cstr())
    }

    pub fn is_empty(&self) -> bool {
        self.made == 0
    }

    fn made_dirs(&self) -> &[Path] {
        &self.l.dirs[self.l.lo..self.l.lo + self.made]
    }

    /// rmdir every cgroup made, killing what is still in it; tries all, returns the first
    /// error. Safe to call again: what is removed is forgotten.
    pub fn remove(&mut self) -> Result<(), Error> {
        let mut r = Ok(());
        while self.made > 0 {
            self.made -= 1;
            let e = rmdir_kill(&self.l.dirs[self.l.lo + self.made]);
            r = r.and(e);
        }
        r
    }
}

/// Write `value` to `dir/file`: open, one write, close. Real kernels make the control files on
/// mkdir; the tests' fake cgroupfs makes them too (`tests::fake_mkdir`), so no O_CREAT here.
/// For a `limit`, the kernel's EINVAL or ERANGE (a value out of range, cpus/mems outside the
/// machine's), EACCES from the write (v1 cpuset: cpus/mems outside the parent's) and ENOENT (a
/// file this kernel lacks) become messages naming file and value.
fn write_file(dir: &[u8], file: &[u8], value: &[u8], limit: bool) -> Result<(), Error> {
    // Made in place: `join`'s result would be one more 4 KiB copy in this frame.
    let mut path = Path::new();
    path.push(dir)?.push(b"/")?.push(file)?;
    let r = (|| {
        #[cfg(test)]
        tests::fake_write(&path, value)?;
        let fd = sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_WRONLY, 0)?;
        let r = sys::write_all(fd, value).map_err(|e| e.at(path.bytes()));
        let c = sys::close(fd);
        r.and(c)
    })();
    let what = match r {
        // EACCES from the write itself: a v1 cpuset's cpus or mems outside the parent's.
        Err(e) if limit && (e.errno() == EINVAL || e.errno() == ERANGE || e.errno() == EACCES && e.what() == "write") => {
            "cgroup refused the value (outside what the parent cgroup or the machine allows?)"
        }
        Err(e) if limit && e.errno() == ENOENT => "cgroup file missing (not supported by this kernel?)",
        r => return r,
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

fn mkdir(d: &Path) -> Result<(), Error> {
    let r = sys::mkdir(d.as_cstr(), 0o755);
    #[cfg(test)]
    if r.is_ok() {
        tests::fake_mkdir(d);
    }
    r
}

fn rmdir(d: &Path) -> Result<(), Error> {
    #[cfg(test)]
    tests::fake_rmdir(d)?;
    sys::rmdir(d.as_cstr())
}

/// rmdir a cgroup. While processes are in it rmdir says EBUSY: SIGKILL those cgroup.procs
/// lists (the container is over; left alone, its PID namespace dies with its PID 1 anyway) and
/// retry, for at most a second. Already gone is fine.
fn rmdir_kill(d: &Path) -> Result<(), Error> {
    rmdir_tree(d, 8)
}

/// rmdir_kill, and child cgroups first: a privileged container may make its own under its
/// cgroup namespace's root, and rmdir says EBUSY while they are there. At most `depth` levels
/// down, in one path made longer and shorter again rather than a frame per level, so a deep
/// tree costs no stack.
fn rmdir_tree(d: &Path, depth: u32) -> Result<(), Error> {
    let mut p = Path::new();
    p.push(d.bytes())?;
    let (top, mut level, mut tries) = (p.len(), 0, 0);
    loop {
        match rmdir(&p) {
            Err(e) if e.errno() == EBUSY && tries < 200 => {
                kill_all(&mut p);
                // Its first child cgroup next, if it has one; else a moment for the killed.
                if level < depth && push_subdir(&mut p) {
                    level += 1;
                } else {
                    tries += 1;
                    sys::sleep_ms(5);
                }
            }
            Err(e) if e.errno() != ENOENT => return Err(e),
            // Gone (or already gone): done, or on with its parent.
            _ if p.len() == top => return Ok(()),
            _ => {
                level -= 1;
                let parent = p.bytes().iter().rposition(|&c| c == b'/').unwrap_or(top);
                p.truncate(parent);
            }
        }
    }
}

/// SIGKILL what cgroup `d` lists in its cgroup.procs (whose path is made in `d`, then taken
/// off again).
#[inline(never)]
fn kill_all(d: &mut Path) {
    let len = d.len();
    if d.push(b"/cgroup.procs").is_ok() {
        let _ = for_each_line(d.as_cstr(), &mut |pid| {
            // v2 lists 0 for a task leaving, or one in a PID namespace we cannot see:
            // kill(0) would be runix's own process group.
            if let Some(pid) = crate::text::number(pid).filter(|p| (1..=i32::MAX as u64).contains(p)) {
                let _ = sys::kill(pid as i32, libc::SIGKILL);
            }
            Ok(true)
        });
    }
    d.truncate(len);
}

/// `/NAME` of the first child directory of `p` appended to it; false when it has none (or it
/// cannot be read, or the path would be too long).
#[inline(never)]
fn push_subdir(p: &mut Path) -> bool {
    let mut name = CBuf::<256>::new();
    let _ = for_each_entry(p.as_cstr(), &mut |n, kind| {
        if kind == libc::DT_DIR && n != b"." && n != b".." && name.is_empty() {
            name.push(n)?;
        }
        Ok(())
    });
    let len = p.len();
    if name.is_empty() || p.push(b"/").and_then(|p| p.push(name.bytes())).is_err() {
        p.truncate(len);
        return false;
    }
    true
}

/// In /proc/self/cgroup (`ID:CONTROLLERS:PATH` per line), the path of `controller`'s
/// hierarchy (v1), or of the unified hierarchy (`0::PATH`, v2) when controller is empty.
pub fn own_path<'a>(proc_cgroup: &'a [u8], controller: &[u8]) -> Option<&'a [u8]> {
    fields(proc_cgroup, b'\n').find_map(|line| {
        let (ctrls, path) = cut(cut(line, b':')?.1, b':')?;
        (if controller.is_empty() { ctrls.is_empty() } else { has(ctrls, b',', controller) }).then_some(path)
    })
}

/// One /proc/self/mountinfo line: if it is the cgroup mount for `controller` (v1: fstype
/// `cgroup` with the controller in its super options; v2: fstype `cgroup2` when controller is
/// empty), its (root, mount point), still octal-escaped as the kernel writes them.
pub fn cgroup_mount<'a>(line: &'a [u8], controller: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let mut f = fields(line, b' ');
    let (root, point) = (f.nth(3)?, f.next()?);
    // Optional fields end at "-"; then fstype, source, super options.
    f.find(|&x| x == b"-")?;
    let (fstype, opts) = (f.next()?, f.nth(1)?);
    let v2 = controller.is_empty();
    (fstype == if v2 { &b"cgroup2"[..] } else { b"cgroup" } && (v2 || has(opts, b',', controller))).then_some((root, point))
}

/// Append a mountinfo field, undoing its `\ooo` octal escapes (space, tab, newline, backslash).
pub fn push_unescaped(out: &mut Buf<[u8]>, s: &[u8]) -> Result<(), Error> {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let oct = s.get(i + 1..i + 4).filter(|o| c == b'\\' && o.iter().all(|d| (b'0'..=b'7').contains(d)));
        i += 1;
        let v = match oct {
            Some(o) => {
                i += 3;
                o.iter().fold(0u8, |v, d| v.wrapping_mul(8) | (d & 7))
            }
            None => c,
        };
        out.push(&[v])?;
    }
    Ok(())
}

/// Into `p`, the directory of the cgroup at `own` in a hierarchy mounted at `point` whose
/// mount shows `root` of the hierarchy (not "/" inside a cgroup namespace, or for a
/// bind-mounted subtree).
pub fn dir_of(p: &mut Path, point: &[u8], root: &[u8], own: &[u8]) -> Result<(), Error> {
    p.clear();
    push_unescaped(p, point)?;
    let rel = if root == b"/" { own } else { own.strip_prefix(root).ok_or_else(|| Error::msg("cgroup outside its mount", own))? };
    if let [c, ..] = rel {
        if *c != b'/' {
            p.push(b"/")?;
        }
        if rel != b"/" {
            p.push(rel)?;
        }
    }
    Ok(())
}

/// `a`, or `a b`, in decimal.
fn nums(buf: &mut [u8; 48], a: u64, b: Option<u64>) -> &[u8] {
    let mut i = buf.len();
    if let Some(b) = b {
        i -= itoa(b, &mut buf[..i]).len() + 1;
        buf[i] = b' ';
    }
    i -= itoa(a, &mut buf[..i]).len();
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use crate::error::tests::show;
    use std::cell::RefCell;
    use std::ffi::CString;
    use std::os::unix::process::ExitStatusExt;
    use std::path::PathBuf;
    use std::string::{String, ToString};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::vec::Vec;
    use std::{format, fs};

    const PROC_CGROUP: &[u8] = b"9:name=systemd:/\n8:pids:/user/a\n4:memory:/mem\n2:cpu,cpuacct:/c\n0::/unified/x\n";

    #[test]
    fn finds_the_own_cgroup_path() {
        assert_eq!(own_path(PROC_CGROUP, b"pids"), Some(&b"/user/a"[..]));
        assert_eq!(own_path(PROC_CGROUP, b"cpuacct"), Some(&b"/c"[..]));
        assert_eq!(own_path(PROC_CGROUP, b""), Some(&b"/unified/x"[..]));
        assert_eq!(own_path(PROC_CGROUP, b"devices"), None);
        assert_eq!(own_path(b"1:name=pids:/x\n", b"pids"), None);
    }

    #[test]
    fn finds_the_controller_mount() {
        let v1 = b"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime shared:5 - cgroup cgroup rw,pids";
        let v2 = b"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";
        let other = b"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct";
        assert_eq!(cgroup_mount(v1, b"pids"), Some((&b"/"[..], &b"/sys/fs/cgroup/pids"[..])));
        assert_eq!(cgroup_mount(v2, b""), Some((&b"/"[..], &b"/sys/fs/cgroup/unified"[..])));
        assert_eq!(cgroup_mount(v2, b"pids"), None);
        assert_eq!(cgroup_mount(other, b"pids"), None);
        assert_eq!(cgroup_mount(other, b"cpuacct").map(|m| m.1), Some(&b"/sys/fs/cgroup/cpu"[..]));
        assert_eq!(cgroup_mount(b"garbage", b"pids"), None);
    }

    #[test]
    fn joins_mount_point_root_and_own_path() {
        let dir_of = |point: &[u8], root: &[u8], own: &[u8]| {
            let mut p = Path::from(&[b"old"]).unwrap();
            super::dir_of(&mut p, point, root, own).map(|_| p)
        };
        assert_eq!(dir_of(b"/sys/fs/cgroup/pids", b"/", b"/").unwrap().bytes(), b"/sys/fs/cgroup/pids");
        assert_eq!(dir_of(b"/sys/fs/cgroup/pids", b"/", b"/a/b").unwrap().bytes(), b"/sys/fs/cgroup/pids/a/b");
        assert_eq!(dir_of(b"/sys/fs/cgroup/pids", b"/", b"a/b").unwrap().bytes(), b"/sys/fs/cgroup/pids/a/b");
        assert_eq!(dir_of(b"/cg", b"/a", b"/a/b").unwrap().bytes(), b"/cg/b");
        assert_eq!(dir_of(b"/my\\040cg", b"/", b"/x").unwrap().bytes(), b"/my cg/x");
        assert!(dir_of(b"/cg", b"/other", b"/a/b").is_err());
    }

    // A fake cgroupfs: a temp directory with regular files for the control files, and matching
    // proc/cgroup and proc/mountinfo files. The hooks below, called from mkdir, write_file and
    // rmdir_kill, play the kernel's part: a new cgroup gets its parent's control files (empty,
    // as a v1 cpuset's are); rmdir removes them, and says EBUSY while cgroup.procs lists a
    // running process; enabling a v2 controller the parent's cgroup.controllers lacks is ENOENT.
    // Every mkdir, write and rmdir is recorded, in order, relative to the fake root.

    thread_local! {
        static ROOT: RefCell<String> = const { RefCell::new(String::new()) };
        static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
        /// Writes whose log line contains the pattern fail with the errno.
        static FAIL: RefCell<Vec<(&'static str, i32)>> = const { RefCell::new(Vec::new()) };
    }

    fn rel(p: &[u8]) -> String {
        let p = String::from_utf8_lossy(p).into_owned();
        ROOT.with(|r| p.strip_prefix(&format!("{}/", r.borrow())).map(String::from).unwrap_or(p))
    }

    fn record(line: String) {
        LOG.with(|l| l.borrow_mut().push(line));
    }

    /// What was done since the last call.
    fn log() -> Vec<String> {
        LOG.with(|l| l.take())
    }

    fn fail(pattern: &'static str, errno: i32) {
        FAIL.with(|f| f.borrow_mut().push((pattern, errno)));
    }

    pub fn fake_write(path: &Path, value: &[u8]) -> Result<(), Error> {
        let line = format!("write {} {}", rel(path.bytes()), String::from_utf8_lossy(value));
        record(line.clone());
        if let Some((_, errno)) = FAIL.with(|f| f.borrow().iter().find(|(p, _)| line.contains(p)).copied()) {
            return Err(Error::sys("write", errno, path.bytes()));
        }
        let p = PathBuf::from(String::from_utf8_lossy(path.bytes()).into_owned());
        if let (Some("cgroup.subtree_control"), Some(c)) = (p.file_name().and_then(|n| n.to_str()), value.strip_prefix(b"+")) {
            let offered = fs::read_to_string(p.with_file_name("cgroup.controllers"));
            if offered.is_ok_and(|o| !o.split_whitespace().any(|o| o.as_bytes() == c)) {
                return Err(Error::sys("write", ENOENT, path.bytes()));
            }
        }
        Ok(())
    }

    pub fn fake_mkdir(d: &Path) {
        record(format!("mkdir {}", rel(d.bytes())));
        let d = PathBuf::from(String::from_utf8_lossy(d.bytes()).into_owned());
        for e in fs::read_dir(d.parent().unwrap()).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                fs::write(d.join(e.file_name()), "").unwrap();
            }
        }
    }

    pub fn fake_rmdir(d: &Path) -> Result<(), Error> {
        let dir = PathBuf::from(String::from_utf8_lossy(d.bytes()).into_owned());
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        // As cgroupfs: busy while a process or a child cgroup is in it.
        let children = fs::read_dir(&dir).into_iter().flatten().any(|e| e.unwrap().file_type().unwrap().is_dir());
        if procs.lines().any(running) || children {
            record(format!("busy {}", rel(d.bytes())));
            return Err(Error::sys("rmdir", EBUSY, d.bytes()));
        }
        record(format!("rmdir {}", rel(d.bytes())));
        for e in fs::read_dir(&dir).into_iter().flatten() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                fs::remove_file(e.path()).unwrap();
            }
        }
        Ok(())
    }

    /// A process that has not exited (a zombie has: the kernel drops it from its cgroups).
    /// Only the tests' own children count, so no test can make runix kill anything else.
    fn running(pid: &str) -> bool {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let mut f = stat.rsplit(") ").next().unwrap_or("").split(' ');
        let (state, ppid) = (f.next(), f.next());
        state.is_some_and(|s| s != "Z") && ppid == Some(&std::process::id().to_string())
    }

    struct Fake {
        root: PathBuf,
    }

    static SEQ: AtomicUsize = AtomicUsize::new(0);

    impl Fake {
        /// An empty fake root with cgroup hierarchies mounted at `mounts` (directory, super
        /// options; "" for cgroup2), runix's own cgroup `/user` in each.
        fn new(mounts: &[(&str, &str)]) -> Fake {
            let root = std::env::temp_dir().join(format!("runix-cgtest-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
            fs::create_dir_all(&root).unwrap();
            ROOT.with(|r| *r.borrow_mut() = root.to_str().unwrap().to_string());
            LOG.with(|l| l.borrow_mut().clear());
            FAIL.with(|f| f.borrow_mut().clear());
            let f = Fake { root };
            let (mut info, mut cg) = (String::new(), String::new());
            for (i, (dir, opts)) in mounts.iter().enumerate() {
                let point = f.root.join(dir);
                fs::create_dir_all(point.join("user")).unwrap();
                let fs = if opts.is_empty() { "cgroup2 cgroup2 rw".to_string() } else { format!("cgroup cgroup rw,{opts}") };
                info += &format!("{} 31 0:{} / {} rw,nosuid shared:{} - {fs}\n", 40 + i, 30 + i, point.display(), 5 + i);
                cg += &format!("{}:{}:/user\n", mounts.len() - i, if opts.is_empty() { "" } else { opts });
            }
            f.file("proc/mountinfo", &format!("22 1 0:21 / /proc rw - proc proc rw\n{info}"));
            f.file("proc/cgroup", &cg);
            f
        }

        fn file(&self, rel: &str, content: &str) {
            let p = self.root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, content).unwrap();
        }

        /// Control files in runix's own cgroup of hierarchy `dir`.
        fn files(&self, dir: &str, files: &[(&str, &str)]) {
            for (name, content) in files {
                self.file(&format!("{dir}/user/{name}"), content);
            }
        }

        fn read(&self, rel: &str) -> String {
            fs::read_to_string(self.root.join(rel)).unwrap()
        }

        fn c(&self, rel: &str) -> CString {
            CString::new(self.root.join(rel).to_str().unwrap()).unwrap()
        }

        fn path(&self, rel: &str) -> String {
            self.root.join(rel).to_str().unwrap().to_string()
        }

        /// Every path under the root, sorted: the state to compare before and after.
        fn tree(&self) -> Vec<String> {
            fn walk(d: &std::path::Path, out: &mut Vec<String>) {
                for e in fs::read_dir(d).unwrap() {
                    let p = e.unwrap().path();
                    out.push(p.to_str().unwrap().to_string());
                    if p.is_dir() {
                        walk(&p, out);
                    }
                }
            }
            let mut v = Vec::new();
            walk(&self.root, &mut v);
            v.sort();
            v
        }

        fn layout(&self, l: &Limits, parent: Option<&[u8]>) -> Result<Layout, Error> {
            Layout::find(l, parent, &self.c("proc/cgroup"), &self.c("proc/mountinfo"))
        }

        fn create(&self, l: &Limits, parent: Option<&[u8]>) -> Result<Cgroups, Error> {
            Cgroups::create_in(self.layout(l, parent)?, l, 42)
        }
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    /// A v1 host as Debian's: one hierarchy per controller, cpu and cpuacct co-mounted.
    fn v1_host() -> Fake {
        let f = Fake::new(&[("cpuset", "cpuset"), ("memory", "memory"), ("cpu,cpuacct", "cpu,cpuacct"), ("pids", "pids"), ("devices", "devices"), ("systemd", "name=systemd")]);
        f.files("cpuset", &[("cgroup.procs", ""), ("tasks", ""), ("cpuset.cpus", "0-3\n"), ("cpuset.mems", "0\n")]);
        f.files(
            "memory",
            &[
                ("cgroup.procs", ""),
                ("tasks", ""),
                ("memory.limit_in_bytes", "9223372036854771712\n"),
                ("memory.memsw.limit_in_bytes", "9223372036854771712\n"),
                ("memory.max_usage_in_bytes", "0\n"),
                ("memory.failcnt", "0\n"),
                ("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"),
            ],
        );
        f.files("cpu,cpuacct", &[("cgroup.procs", ""), ("tasks", ""), ("cpu.cfs_period_us", "100000\n"), ("cpu.cfs_quota_us", "-1\n"), ("cpu.shares", "1024\n"), ("cpuacct.usage", "0\n")]);
        f.files("pids", &[("cgroup.procs", ""), ("tasks", ""), ("pids.max", "max\n")]);
        f.files("devices", &[("cgroup.procs", ""), ("tasks", ""), ("devices.allow", ""), ("devices.deny", ""), ("devices.list", "a *:* rwm\n")]);
        f
    }

    /// A v2 host: one unified hierarchy whose /user offers `controllers`.
    fn v2_host(controllers: &str) -> Fake {
        let f = Fake::new(&[("unified", "")]);
        let files = [
            "cgroup.procs",
            "cgroup.subtree_control",
            "cpuset.cpus",
            "cpuset.mems",
            "memory.max",
            "memory.swap.max",
            "memory.peak",
            "memory.events",
            "cpu.max",
            "cpu.weight",
            "cpu.stat",
            "pids.max",
        ];
        f.files("unified", &files.map(|n| (n, "")));
        f.files("unified", &[("cgroup.controllers", controllers)]);
        f
    }

    const ALL_V1: [&str; 5] = ["cpuset", "memory", "cpu,cpuacct", "pids", "devices"];

    fn all_limits() -> Limits<'static> {
        Limits {
            pids: Some(100),
            memory: Some(32 << 20),
            memory_swap: Some(48 << 20),
            cpus: Some((150_000, CPU_PERIOD)),
            cpu_shares: Some(512),
            cpuset_cpus: Some(b"1-2"),
            cpuset_mems: None,
            devices: true,
        }
    }

    fn err(r: Result<Cgroups, Error>) -> String {
        show(&r.err().expect("should fail"))
    }

    #[test]
    fn shares_map_to_weight_as_crun_does() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(0), 1);
        assert_eq!(shares_to_weight(1 << 40), 10_000);
    }

    #[test]
    fn swap_follows_docker_rules() {
        let l = |memory, memory_swap| Limits { memory, memory_swap, ..Limits::default() }.check().err().map(|e| show(&e));
        assert_eq!(l(Some(100), Some(100)), None);
        assert_eq!(l(Some(100), Some(-1)), None);
        assert_eq!(l(Some(100), None), None);
        assert_eq!(l(Some(100), Some(99)).as_deref(), Some("--memory-swap below --memory (it counts memory plus swap): 99 bytes < 100 bytes"));
        assert_eq!(l(Some(32 << 20), Some(16 << 20)).as_deref(), Some("--memory-swap below --memory (it counts memory plus swap): 16 MiB < 32 MiB"));
        assert_eq!(l(None, Some(100)).as_deref(), Some("memory-swap limit without a memory limit"));
    }

    #[test]
    fn nothing_to_limit_touches_nothing() {
        let mut cg = Cgroups::create_in(Layout::find(&Limits::default(), None, c"/nonexistent", c"/nonexistent").unwrap(), &Limits::default(), 1).unwrap();
        assert!(cg.is_empty());
        assert_eq!(cg.dirs().count(), 0);
        assert_eq!(cg.open_joins().unwrap(), [-1; N + 1]);
        cg.join(&[-1; N + 1]).unwrap();
        assert!(!cg.oom_killed());
        assert_eq!(cg.usage(), Usage::default());
        cg.remove().unwrap();
        assert!(log().is_empty());
    }

    #[test]
    fn v1_writes_each_limit_in_order_then_joins_and_removes_all() {
        let f = v1_host();
        let before = f.tree();
        let mut cg = f.create(&all_limits(), None).unwrap();
        let d = |h: &str, file: &str| format!("{h}/user/runix-42/{file}");
        let mut want: Vec<String> = ALL_V1.iter().map(|h| format!("mkdir {h}/user/runix-42")).collect();
        want.extend(
            [
                ("cpuset", "cpuset.cpus", "1-2"),
                // v1 cpusets start empty: mems is the parent's.
                ("cpuset", "cpuset.mems", "0"),
                ("memory", "memory.limit_in_bytes", "33554432"),
                ("memory", "memory.memsw.limit_in_bytes", "50331648"),
                ("cpu,cpuacct", "cpu.cfs_period_us", "100000"),
                ("cpu,cpuacct", "cpu.cfs_quota_us", "150000"),
                ("cpu,cpuacct", "cpu.shares", "512"),
                ("pids", "pids.max", "100"),
                ("devices", "devices.deny", "a"),
            ]
            .map(|(h, file, v)| format!("write {} {v}", d(h, file))),
        );
        for r in ["c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"] {
            want.push(format!("write {} {r}", d("devices", "devices.allow")));
        }
        assert_eq!(log(), want);
        assert_eq!(f.read(&d("memory", "memory.limit_in_bytes")), "33554432");
        assert_eq!(f.read(&d("cpuset", "cpuset.mems")), "0");
        assert!(cg.device_rules());
        let dirs: Vec<_> = cg.dirs().map(|d| rel(d.to_bytes())).collect();
        assert_eq!(dirs, ALL_V1.map(|h| format!("{h}/user/runix-42")));

        cg.join(&cg.open_joins().unwrap()).unwrap();
        assert_eq!(log(), ALL_V1.map(|h| format!("write {} 0", d(h, "tasks"))));
        cg.remove().unwrap();
        let mut rev = ALL_V1.to_vec();
        rev.reverse();
        assert_eq!(log(), rev.iter().map(|h| format!("rmdir {h}/user/runix-42")).collect::<Vec<_>>());
        assert_eq!(f.tree(), before, "a cgroup was left behind");
        cg.remove().unwrap();
        assert!(log().is_empty(), "removed twice");
    }

    #[test]
    fn v1_touches_only_the_controllers_needed() {
        let f = v1_host();
        let cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
        assert_eq!(log(), ["mkdir pids/user/runix-42", "write pids/user/runix-42/pids.max 5"]);
        assert_eq!(cg.usage(), Usage::default());
        assert!(!cg.oom_killed());
    }

    #[test]
    fn v1_cpuset_copies_what_is_not_given_from_the_parent() {
        let f = v1_host();
        f.create(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None).unwrap();
        assert_eq!(log()[1..], ["write cpuset/user/runix-42/cpuset.cpus 0-3", "write cpuset/user/runix-42/cpuset.mems 0"]);

        let f = v1_host();
        f.files("cpuset", &[("cpuset.cpus", "\n")]);
        let before = f.tree();
        let e = err(f.create(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None));
        assert_eq!(e, format!("cgroup parent has an empty cpuset: {}", f.path("cpuset/user/runix-42/../cpuset.cpus")));
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn a_value_the_kernel_refuses_names_file_and_value_and_undoes_everything() {
        let f = v1_host();
        let before = f.tree();
        fail("cpuset.cpus 1-2", ERANGE);
        let e = err(f.create(&all_limits(), None));
        assert_eq!(e, format!("cgroup refused the value (outside what the parent cgroup or the machine allows?): {}=1-2", f.path("cpuset/user/runix-42/cpuset.cpus")));
        let log = log();
        let mut rev = ALL_V1.to_vec();
        rev.reverse();
        assert_eq!(log[log.len() - 5..], rev.iter().map(|h| format!("rmdir {h}/user/runix-42")).collect::<Vec<_>>());
        assert_eq!(f.tree(), before);
        // v1 cpuset says EACCES for cpus or mems outside the parent's.
        let f = v1_host();
        let before = f.tree();
        fail("cpuset.mems 0", EACCES);
        let e = err(f.create(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None));
        assert_eq!(e, format!("cgroup refused the value (outside what the parent cgroup or the machine allows?): {}=0", f.path("cpuset/user/runix-42/cpuset.mems")));
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn a_missing_swap_file_says_so() {
        // Kernels booted without swap accounting have no memory.memsw.* files.
        let f = v1_host();
        fs::remove_file(f.root.join("memory/user/memory.memsw.limit_in_bytes")).unwrap();
        let before = f.tree();
        let e = err(f.create(&Limits { memory: Some(1 << 20), memory_swap: Some(-1), ..Limits::default() }, None));
        assert_eq!(e, format!("cgroup file missing (not supported by this kernel?): {}=-1", f.path("memory/user/runix-42/memory.memsw.limit_in_bytes")));
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn a_failed_mkdir_undoes_the_ones_before() {
        let f = v1_host();
        fs::remove_dir_all(f.root.join("pids/user")).unwrap();
        let before = f.tree();
        let e = err(f.create(&all_limits(), None));
        assert_eq!(e, format!("cgroup parent does not exist: {}", f.path("pids/user")));
        assert_eq!(log(), ["mkdir cpuset/user/runix-42", "mkdir memory/user/runix-42", "mkdir cpu,cpuacct/user/runix-42", "rmdir cpu,cpuacct/user/runix-42", "rmdir memory/user/runix-42", "rmdir cpuset/user/runix-42"]);
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn a_cgroup_left_with_our_pid_is_made_anew() {
        let f = v1_host();
        f.file("pids/user/runix-42/pids.max", "3");
        f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
        assert_eq!(log(), ["rmdir pids/user/runix-42", "mkdir pids/user/runix-42", "write pids/user/runix-42/pids.max 5"]);
    }

    #[test]
    fn v2_enables_controllers_then_writes_each_limit() {
        let f = v2_host("cpuset cpu io memory hugetlb pids rdma misc\n");
        let before = f.tree();
        let mut cg = f.create(&all_limits(), None).unwrap();
        let want = [
            "mkdir unified/user/runix-42",
            "write unified/user/cgroup.subtree_control +cpuset",
            "write unified/user/cgroup.subtree_control +memory",
            "write unified/user/cgroup.subtree_control +cpu",
            "write unified/user/cgroup.subtree_control +pids",
            // v2: an empty cpuset.mems is the parent's.
            "write unified/user/runix-42/cpuset.cpus 1-2",
            "write unified/user/runix-42/memory.max 33554432",
            "write unified/user/runix-42/memory.swap.max 16777216",
            "write unified/user/runix-42/cpu.max 150000 100000",
            "write unified/user/runix-42/cpu.weight 20",
            "write unified/user/runix-42/pids.max 100",
        ];
        assert_eq!(log(), want);
        // v2 has no devices controller: no rules, and no cgroup made for them alone.
        assert!(!cg.device_rules());
        cg.join(&cg.open_joins().unwrap()).unwrap();
        assert_eq!(log(), ["write unified/user/runix-42/cgroup.procs 0"]);
        cg.remove().unwrap();
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn v2_unlimited_swap_is_max() {
        let f = v2_host("memory");
        f.create(&Limits { memory: Some(1 << 20), memory_swap: Some(-1), ..Limits::default() }, None).unwrap();
        assert_eq!(log()[2..], ["write unified/user/runix-42/memory.max 1048576", "write unified/user/runix-42/memory.swap.max max"]);
    }

    #[test]
    fn v2_parent_with_processes_is_explained() {
        let f = v2_host("cpuset cpu io memory pids");
        let before = f.tree();
        fail("cgroup.subtree_control +pids", EBUSY);
        let e = err(f.create(&Limits { pids: Some(1), ..Limits::default() }, None));
        assert!(e.starts_with("cannot enable cgroup controllers: the parent cgroup has processes"), "{e}");
        assert!(e.contains("--cgroup-parent"), "{e}");
        assert!(e.ends_with(&format!(": {}", f.path("unified/user"))), "{e}");
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn a_controller_the_v2_parent_lacks_is_named() {
        let f = v2_host("cpu io pids\n");
        let before = f.tree();
        assert_eq!(err(f.create(&Limits { pids: Some(1), memory: Some(1 << 20), ..Limits::default() }, None)), "cgroup controller not available: memory");
        assert_eq!(f.tree(), before);
        let e = err(f.create(&Limits { pids: Some(1), ..Limits::default() }, Some(b"/nowhere")));
        assert_eq!(e, format!("cgroup parent does not exist: {}", f.path("unified/nowhere")));
    }

    #[test]
    fn no_hierarchy_at_all_is_named_before_anything_is_made() {
        let f = Fake::new(&[("pids", "pids")]);
        f.files("pids", &[("pids.max", "")]);
        let e = f.layout(&Limits { pids: Some(1), cpus: Some((100_000, CPU_PERIOD)), ..Limits::default() }, None).err().unwrap();
        assert_eq!(show(&e), "cgroup controller not available: cpu");
        assert!(log().is_empty());
    }

    #[test]
    fn a_devices_hierarchy_forgotten_leaves_the_others_in_place() {
        // devices first, so that the last hierarchy moves into its place.
        let f = Fake::new(&[("devices", "devices"), ("pids", "pids"), ("memory", "memory")]);
        let mut l = f.layout(&Limits { pids: Some(3), memory: Some(4096), devices: true, ..Limits::default() }, None).unwrap();
        let k = l.at[DEVICES] as usize;
        assert!(l.device_rules() && l.only_devices(k) && !l.only_devices(l.at[PIDS] as usize));
        l.forget(k);
        assert!(!l.device_rules());
        let dir = |c| l.dir(c).map(rel);
        assert_eq!((dir(PIDS), dir(MEMORY)), (Some("pids/user".to_string()), Some("memory/user".to_string())));
        assert_eq!(l.dirs().map(|d| rel(d.to_bytes())).collect::<Vec<_>>(), ["memory/user", "pids/user"]);
    }

    #[test]
    fn hybrid_uses_v1_where_it_has_the_controller_and_v2_for_the_rest() {
        // systemd's hybrid layout: controllers on v1, an empty cgroup2 at unified.
        let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("systemd", "name=systemd"), ("unified", "")]);
        f.files("pids", &[("cgroup.procs", ""), ("tasks", ""), ("pids.max", "")]);
        f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", "")]);
        f.files("unified", &[("cgroup.procs", ""), ("cgroup.controllers", ""), ("cgroup.subtree_control", ""), ("cpu.stat", "")]);
        let before = f.tree();
        let mut cg = f.create(&Limits { pids: Some(3), memory: Some(4096), devices: true, ..Limits::default() }, None).unwrap();
        // Devices have no v1 hierarchy here: no rules, and nothing made on v2 for them.
        assert_eq!(
            log(),
            [
                "mkdir pids/user/runix-42",
                "mkdir memory/user/runix-42",
                "write memory/user/runix-42/memory.limit_in_bytes 4096",
                "write pids/user/runix-42/pids.max 3"
            ]
        );
        assert!(!cg.device_rules());
        cg.remove().unwrap();
        assert_eq!(f.tree(), before);

        // Cleaning up looks in every hierarchy, v2 included.
        let mut all = Layout::new();
        all.find_all(None, &f.c("proc/cgroup"), &f.c("proc/mountinfo")).unwrap();
        assert_eq!(all.dirs().map(|d| rel(d.to_bytes())).collect::<Vec<_>>(), ["unified/user", "pids/user", "memory/user"]);

        // A controller on neither: v2 is mounted but does not offer it.
        let e = err(f.create(&Limits { cpus: Some((100_000, CPU_PERIOD)), ..Limits::default() }, None));
        assert_eq!(e, "cgroup controller not available: cpu");
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn cgroup_parent_replaces_our_own() {
        let f = v1_host();
        f.file("pids/custom/place/pids.max", "");
        f.create(&Limits { pids: Some(2), ..Limits::default() }, Some(b"/custom/place")).unwrap();
        assert_eq!(log(), ["mkdir pids/custom/place/runix-42", "write pids/custom/place/runix-42/pids.max 2"]);
        f.create(&Limits { pids: Some(2), ..Limits::default() }, Some(b"custom/place")).unwrap();
        assert_eq!(log()[1..], ["mkdir pids/custom/place/runix-42", "write pids/custom/place/runix-42/pids.max 2"]);
        assert_eq!(show(&f.layout(&Limits { pids: Some(2), ..Limits::default() }, Some(b"/a/../..")).err().unwrap()), "invalid cgroup parent: /a/../..");
        assert_eq!(err(f.create(&Limits { pids: Some(2), ..Limits::default() }, Some(b"/nowhere"))), format!("cgroup parent does not exist: {}", f.path("pids/nowhere")));
    }

    /// -v only observes: it makes no cgroup and joins no controller the limits did not ask for.
    #[test]
    fn usage_comes_from_the_cgroups_the_limits_made() {
        let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("cpu,cpuacct", "cpu,cpuacct")]);
        f.files("pids", &[("cgroup.procs", ""), ("tasks", ""), ("pids.max", "")]);
        f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", ""), ("memory.max_usage_in_bytes", "")]);
        f.files("cpu,cpuacct", &[("cgroup.procs", ""), ("tasks", ""), ("cpu.shares", ""), ("cpuacct.usage", "")]);
        let cg = f.create(&Limits { pids: Some(3), ..Limits::default() }, None).unwrap();
        assert_eq!(log(), ["mkdir pids/user/runix-42", "write pids/user/runix-42/pids.max 3"]);
        assert_eq!(cg.usage(), Usage { memory_peak: None, cpu_ns: None });
        let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("cpu,cpuacct", "cpu,cpuacct")]);
        f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", ""), ("memory.max_usage_in_bytes", "")]);
        f.files("cpu,cpuacct", &[("cgroup.procs", ""), ("tasks", ""), ("cpu.shares", ""), ("cpuacct.usage", "")]);
        let cg = f.create(&Limits { memory: Some(1 << 20), cpu_shares: Some(512), ..Limits::default() }, None).unwrap();
        f.file("memory/user/runix-42/memory.max_usage_in_bytes", "8192\n");
        f.file("cpu,cpuacct/user/runix-42/cpuacct.usage", "123456789\n");
        assert_eq!(cg.usage(), Usage { memory_peak: Some(8192), cpu_ns: Some(123_456_789) });
    }

    #[test]
    fn v1_oom_and_usage() {
        let f = v1_host();
        let lim = Limits { memory: Some(1 << 20), cpus: Some((100_000, CPU_PERIOD)), ..Limits::default() };
        let cg = f.create(&lim, None).unwrap();
        let m = |file: &str, v: &str| f.file(&format!("memory/user/runix-42/{file}"), v);
        m("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        assert!(!cg.oom_killed());
        m("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        assert!(cg.oom_killed());
        // Before Linux 4.13: the limit was hit, and usage peaked at it.
        m("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
        m("memory.limit_in_bytes", "1048576\n");
        m("memory.failcnt", "0\n");
        m("memory.max_usage_in_bytes", "1048576\n");
        assert!(!cg.oom_killed());
        m("memory.failcnt", "17\n");
        assert!(cg.oom_killed());
        m("memory.max_usage_in_bytes", "524288\n");
        assert!(!cg.oom_killed());
        f.file("cpu,cpuacct/user/runix-42/cpuacct.usage", "5000\n");
        assert_eq!(cg.usage(), Usage { memory_peak: Some(524_288), cpu_ns: Some(5000) });
    }

    #[test]
    fn v2_oom_and_usage() {
        let f = v2_host("memory pids");
        let cg = f.create(&Limits { memory: Some(1 << 20), ..Limits::default() }, None).unwrap();
        let m = |file: &str, v: &str| f.file(&format!("unified/user/runix-42/{file}"), v);
        m("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\noom_group_kill 0\n");
        assert!(!cg.oom_killed());
        m("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
        assert!(cg.oom_killed());
        m("memory.peak", "1048576\n");
        m("cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        assert_eq!(cg.usage(), Usage { memory_peak: Some(1 << 20), cpu_ns: Some(2_500_000) });
        // Before Linux 5.19 there is no memory.peak.
        fs::remove_file(f.root.join("unified/user/runix-42/memory.peak")).unwrap();
        assert_eq!(cg.usage().memory_peak, None);
    }

    #[test]
    fn remove_kills_what_is_left_and_retries() {
        let f = v1_host();
        let before = f.tree();
        let mut cg = f.create(&Limits { pids: Some(5), memory: Some(1 << 20), ..Limits::default() }, None).unwrap();
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        f.file("pids/user/runix-42/cgroup.procs", &format!("{}\n", child.id()));
        log();
        cg.remove().unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
        let log = log();
        assert_eq!(log[0], "busy pids/user/runix-42");
        assert_eq!(log.last().unwrap(), "rmdir memory/user/runix-42");
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn remove_takes_child_cgroups_first_and_kills_in_them() {
        let f = v1_host();
        let before = f.tree();
        let mut cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        f.file("pids/user/runix-42/a/x/cgroup.procs", "");
        f.file("pids/user/runix-42/a/b/c/cgroup.procs", &format!("{}\n", child.id()));
        log();
        cg.remove().unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
        // Each one removed once, after its children (which of a's comes first is the order of
        // the directory).
        let log = log();
        let at = |d: &str| {
            let l = format!("rmdir pids/user/runix-42{d}");
            assert_eq!(log.iter().filter(|&x| *x == l).count(), 1, "{l}: {log:?}");
            log.iter().position(|x| *x == l).unwrap()
        };
        assert!(at("/a/b/c") < at("/a/b") && at("/a/b") < at("/a") && at("/a/x") < at("/a") && at("/a") < at(""), "{log:?}");
        assert_eq!((log[0].as_str(), log.len()), ("busy pids/user/runix-42", at("") + 1), "{log:?}");
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn a_directory_larger_than_the_buffer_is_listed_whole() {
        let f = Fake::new(&[]);
        for i in 0..400 {
            f.file(&format!("d/runix-{i}"), "");
        }
        let mut n = 0;
        for_each_entry(&f.c("d"), &mut |name, _| {
            n += name.starts_with(b"runix-") as usize;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 400);
    }

    #[test]
    fn runix_pids_are_read_from_runix_names_only() {
        assert_eq!(runix_pid(b"runix-1234"), Some(1234));
        assert_eq!(runix_pid(b"runix-2147483647"), Some(i32::MAX));
        for name in ["runix-", "runix-0", "runix-0123", "runix-+1", "runix--1", "runix-12a", "runix-2147483648", "runix 1", "other-1", "runix-1.scope"] {
            assert_eq!(runix_pid(name.as_bytes()), None, "{name}");
        }
    }

    /// Names that kill(2) says no process has (above any pid_max, 2^22), with and without a
    /// process of ours in them, next to live ones.
    #[test]
    fn a_run_sweeps_only_empty_cgroups_of_gone_pids() {
        let f = v1_host();
        let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let (me, sleeping) = (std::process::id().to_string(), sleeper.id().to_string());
        let gone = ["99999990", "99999991", "99999992", "99999993"];
        for name in [gone[0], gone[1], gone[2], &me, &sleeping, "x1", "0123"] {
            f.file(&format!("pids/user/runix-{name}/pids.max"), "");
        }
        // A gone runix's cgroup that still holds a process, or a cgroup of its own.
        f.file(&format!("pids/user/runix-{}/cgroup.procs", gone[1]), &format!("{sleeping}\n"));
        f.file(&format!("pids/user/runix-{}/inner/pids.max", gone[2]), "");
        // Not a directory; and another hierarchy, not used by this run.
        f.file(&format!("pids/user/runix-{}", gone[3]), "");
        f.file(&format!("memory/user/runix-{}/memory.limit_in_bytes", gone[0]), "");
        f.file("pids/user/other/pids.max", "");
        let mut cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
        // The sweep, in the order of the directory listing, before the run's own mkdir.
        let log = log();
        let made = log.iter().position(|l| l == "mkdir pids/user/runix-42").unwrap();
        let mut swept = log[..made].to_vec();
        swept.sort();
        assert_eq!(swept, [format!("busy pids/user/runix-{}", gone[1]), format!("busy pids/user/runix-{}", gone[2]), format!("rmdir pids/user/runix-{}", gone[0])]);
        cg.remove().unwrap();
        assert!(sleeper.try_wait().unwrap().is_none(), "the sweep killed a process");
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
        let mut left: Vec<_> = fs::read_dir(f.root.join("pids/user")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.starts_with("runix-") || n == "other").collect();
        left.sort();
        let mut want: Vec<String> = [gone[1], gone[2], gone[3], &me, &sleeping, "x1", "0123"].iter().map(|n| format!("runix-{n}")).collect();
        want.push("other".into());
        want.sort();
        assert_eq!(left, want);
        assert!(f.root.join(format!("memory/user/runix-{}", gone[0])).exists());
    }

    #[test]
    fn a_cgroup_with_our_pid_and_processes_is_an_error_and_left_alone() {
        let f = v1_host();
        let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        f.file("pids/user/runix-42/cgroup.procs", &format!("{}\n", sleeper.id()));
        let before = f.tree();
        let e = err(f.create(&Limits { pids: Some(5), ..Limits::default() }, None));
        assert_eq!(e, format!("a cgroup with runix's pid is in use (by a runix in another PID namespace?): {}", f.path("pids/user/runix-42")));
        assert_eq!(log(), ["busy pids/user/runix-42"]);
        assert!(sleeper.try_wait().unwrap().is_none(), "a process was killed");
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
        assert_eq!(f.tree(), before);
    }

    #[test]
    fn layout_of_a_cgroup_namespace() {
        // Inside a cgroup namespace (or a bind-mounted subtree) the mount's root is not "/".
        let f = Fake::new(&[]);
        fs::create_dir_all(f.root.join("pids/inner")).unwrap();
        f.file("proc/cgroup", "1:pids:/ns/inner\n");
        f.file("proc/mountinfo", &format!("40 31 0:30 /ns {} rw - cgroup cgroup rw,pids\n", f.path("pids")));
        let l = f.layout(&Limits { pids: Some(1), ..Limits::default() }, None).unwrap();
        assert_eq!(l.dirs().map(|d| rel(d.to_bytes())).collect::<Vec<_>>(), ["pids/inner"]);
    }
}
