//! The hierarchies mounted on this host, as /proc/self/mountinfo and /proc/self/cgroup say,
//! never a hard-coded /sys/fs/cgroup: each v1 hierarchy with its controllers, and the unified
//! (v2) one. A controller bound to v1 cannot be used on v2 (hybrid hosts): each goes to its v1
//! hierarchy when one is mounted, else to the unified one, whose parent cgroup must offer it
//! (cgroup.controllers; the kernel says ENOENT when it is enabled otherwise).

use super::Path;
use crate::buf::Buf;
use crate::error::Error;
use crate::file::{for_each_line, read_file};
use crate::text::{After, cut, fields, has};
use core::ffi::CStr;

// Controllers, a bit each: a set of them is a u8.
pub const CPUSET: u8 = 1;
pub const MEMORY: u8 = 2;
pub const CPU: u8 = 4;
pub const PIDS: u8 = 8;
pub const DEVICES: u8 = 16;
pub const CPUACCT: u8 = 32;
/// Every controller runix could have used: what `runix cleanup` looks in.
pub const ALL: u8 = 63;
/// What v2 enables through cgroup.subtree_control. It has no devices controller (BPF) and
/// gives cpuacct's numbers in every cgroup's cpu.stat.
pub const V2: u8 = CPUSET | MEMORY | CPU | PIDS;
/// The controllers, in the order of their bits, each with the `+` that enables it on v2.
const NAMES: &[u8] = b"+cpuset +memory +cpu +pids +devices +cpuacct";

/// `+name` of controller `c` (one bit), to enable it in cgroup.subtree_control.
pub fn enable_token(c: u8) -> &'static [u8] {
    fields(NAMES, b' ').nth(c.trailing_zeros() as usize).unwrap_or(b"+")
}

/// The kernel's name of controller `c` (one bit).
pub fn name(c: u8) -> &'static [u8] {
    &enable_token(c)[1..]
}

/// One mounted hierarchy a run uses.
pub struct Hierarchy {
    /// The parent cgroup's directory; the container's, once made in it (`Cgroups`).
    pub dir: Path,
    /// The unified hierarchy (cgroup v2), else a v1 one.
    pub v2: bool,
    /// The controllers of the run it holds; on v2, those to enable in cgroup.subtree_control.
    pub controllers: u8,
}

/// One for each controller, the unified hierarchy, and (for `all`) a few more of v1's
/// (freezer, blkio, name=systemd...).
pub const MAX: usize = 12;

/// Where the cgroups of a run go: the hierarchies, in the order of /proc/self/mountinfo.
pub struct Layout {
    list: [Hierarchy; MAX],
    n: usize,
}

impl Layout {
    /// No hierarchy; all zero bytes, so that a static one costs no byte of the executable.
    pub const EMPTY: Layout = Layout { list: [const { Hierarchy { dir: Path::new(), v2: false, controllers: 0 } }; MAX], n: 0 };

    /// The hierarchies for the controllers `want`, from the given /proc/self/cgroup and
    /// /proc/self/mountinfo. `parent` is a path inside each hierarchy (as in /proc/self/cgroup)
    /// that replaces runix's own cgroup. A controller on no hierarchy is an error, except
    /// devices (the caller does without the rules), or for `all`, which takes every
    /// hierarchy there is, v2 included, even with nothing to limit. Nothing wanted (and not
    /// `all`) reads nothing.
    pub fn find(&mut self, want: u8, all: bool, parent: Option<&[u8]>, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<(), Error> {
        self.n = 0;
        if want == 0 && !all {
            return Ok(());
        }
        if let Some(p) = parent.filter(|p| has(p, b'/', b"..")) {
            return Err(Error::msg(invalid!("cgroup parent"), p));
        }
        let mut buf = [0u8; 4096];
        let cg = read_file(proc_cgroup, &mut buf)?;
        for_each_line(mountinfo, &mut |line| self.mount(line, want, all, cg, parent).map(|_| true))?;
        // The rest go to v2, if mounted; v2 has no devices controller.
        let rest = want & !self.controllers() & !DEVICES;
        let Some(k) = self.list[..self.n].iter().position(|h| h.v2) else {
            // cpuacct sets no limit: only `all` looks for it.
            return match rest & !CPUACCT {
                0 => Ok(()),
                _ if all => Ok(()),
                r => Err(Error::msg("cgroup controller not available", name(r & r.wrapping_neg()))),
            };
        };
        let v2 = &mut self.list[k];
        v2.controllers = rest & V2;
        if v2.controllers == 0 && !all {
            // Not used: to the end, and gone.
            for i in k + 1..self.n {
                self.list.swap(i - 1, i);
            }
            self.n -= 1;
        }
        Ok(())
    }

    /// Take the hierarchy of one mountinfo line if it has controllers of `want` no hierarchy
    /// has yet, or is the unified one (once).
    fn mount(&mut self, line: &[u8], want: u8, all: bool, cg: &[u8], parent: Option<&[u8]>) -> Result<(), Error> {
        let Some(Mount { root, point, v2, opts }) = cgroup_mount(line) else { return Ok(()) };
        // `all`: every v1 hierarchy; v2 still only what is wanted and v1 does not have.
        let want = if all { want | ALL } else { want };
        let mut controllers = 0;
        let mut first: &[u8] = b"";
        for i in 0..8 {
            let c = 1 << i;
            if !v2 && want & !self.controllers() & c != 0 && has(opts, b',', name(c)) {
                if controllers == 0 {
                    first = name(c);
                }
                controllers |= c;
            }
        }
        // `all`: also the v1 hierarchies of controllers runix sets nothing in, each by its
        // last option (`freezer`, `name=systemd`), as /proc/self/cgroup names it; once.
        let other = all && !v2 && controllers == 0 && (0..8).all(|i| !has(opts, b',', name(1 << i))) && self.n < MAX;
        if other {
            first = fields(opts, b',').last().unwrap_or(b"");
            if self.list[..self.n].iter().any(|h| h.dir.bytes().starts_with(point)) {
                return Ok(());
            }
        }
        if (v2 && self.unified().is_some()) || (!v2 && controllers == 0 && !other) {
            return Ok(());
        }
        // Co-mounted controllers (cpu,cpuacct) share one line of /proc/self/cgroup too.
        let Some(own) = own_path(cg, first) else { return Ok(()) };
        let h = &mut self.list[self.n];
        dir_of(&mut h.dir, point, root, parent.unwrap_or(own))?;
        (h.v2, h.controllers) = (v2, controllers);
        self.n += 1;
        Ok(())
    }

    /// The controllers the hierarchies hold.
    fn controllers(&self) -> u8 {
        self.list[..self.n].iter().fold(0, |c, h| c | h.controllers)
    }

    pub fn hierarchies(&self) -> &[Hierarchy] {
        &self.list[..self.n]
    }

    pub fn hierarchies_mut(&mut self) -> &mut [Hierarchy] {
        &mut self.list[..self.n]
    }

    /// The unified hierarchy, when the run uses it.
    pub fn unified(&self) -> Option<&Hierarchy> {
        self.hierarchies().iter().find(|h| h.v2)
    }

    /// The hierarchy that holds controller `c`.
    pub fn with(&self, c: u8) -> Option<&Hierarchy> {
        self.hierarchies().iter().find(|h| h.controllers & c != 0)
    }

    /// Drop hierarchy `k`, whose cgroup is not made: the last one takes its place.
    pub fn forget(&mut self, k: usize) {
        self.n -= 1;
        self.list.swap(k, self.n);
    }
}

/// In /proc/self/cgroup (`ID:CONTROLLERS:PATH` per line), the path of `controller`'s
/// hierarchy (v1), or of the unified hierarchy (`0::PATH`, v2) when controller is empty.
fn own_path<'a>(proc_cgroup: &'a [u8], controller: &[u8]) -> Option<&'a [u8]> {
    fields(proc_cgroup, b'\n').find_map(|line| {
        let (ctrls, path) = cut(cut(line, b':')?.1, b':')?;
        (if controller.is_empty() { ctrls.is_empty() } else { has(ctrls, b',', controller) }).then_some(path)
    })
}

/// A cgroup mount, as a line of /proc/self/mountinfo shows it.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Mount<'a> {
    /// The hierarchy's directory mounted (not "/" inside a cgroup namespace, or for a
    /// bind-mounted subtree), and where; still octal-escaped as the kernel writes them.
    root: &'a [u8],
    point: &'a [u8],
    /// fstype `cgroup2` (else `cgroup`).
    v2: bool,
    /// The super options: a v1 hierarchy's controllers.
    opts: &'a [u8],
}

/// One /proc/self/mountinfo line, if it is a cgroup mount.
fn cgroup_mount(line: &[u8]) -> Option<Mount<'_>> {
    let mut f = fields(line, b' ');
    let (root, point) = (f.nth(3)?, f.next()?);
    // Optional fields end at "-"; then fstype, source, super options.
    f.find(|&x| x == b"-")?;
    let (fstype, opts) = (f.next()?, f.nth(1)?);
    let v2 = fstype == b"cgroup2";
    (v2 || fstype == b"cgroup").then_some(Mount { root, point, v2, opts })
}

/// Call `f` with the name (`cpu,cpuacct`, `systemd`) and the super options but `rw`
/// (`cpu,cpuacct`, `name=systemd`) of each v1 hierarchy mounted in /sys/fs/cgroup; returns how
/// many there are. (Those `f` mounts elsewhere show up in the file as it is read.)
pub fn v1_hierarchies(f: &mut dyn FnMut(&[u8], &CStr) -> Result<(), Error>) -> Result<usize, Error> {
    let mut n = 0;
    for_each_line(c"/proc/self/mountinfo", &mut |line| {
        let m = cgroup_mount(line).filter(|m| !m.v2);
        if let Some((name, opts)) = m.and_then(|m| Some((m.point.after(b"/sys/fs/cgroup/")?, m.opts))) {
            let mut o = Buf::<[u8; 128]>::new();
            f(name, o.push(opts.after(b"rw,").unwrap_or(opts))?.as_cstr())?;
            n += 1;
        }
        Ok(true)
    })?;
    Ok(n)
}

/// Append a mountinfo field, undoing its `\ooo` octal escapes (space, tab, newline, backslash).
fn push_unescaped(out: &mut Buf<[u8]>, s: &[u8]) -> Result<(), Error> {
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
fn dir_of(p: &mut Path, point: &[u8], root: &[u8], own: &[u8]) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn finds_cgroup_mounts() {
        let v1 = b"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime shared:5 - cgroup cgroup rw,pids";
        let v2 = b"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";
        let tmpfs = b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755";
        assert_eq!(cgroup_mount(v1), Some(Mount { root: b"/", point: b"/sys/fs/cgroup/pids", v2: false, opts: b"rw,pids" }));
        assert_eq!(cgroup_mount(v2), Some(Mount { root: b"/", point: b"/sys/fs/cgroup/unified", v2: true, opts: b"rw" }));
        assert_eq!(cgroup_mount(tmpfs), None);
        assert_eq!(cgroup_mount(b"garbage"), None);
    }

    #[test]
    fn names_and_tokens_follow_the_bits() {
        assert_eq!((name(CPUSET), name(CPU), name(DEVICES), name(CPUACCT)), (&b"cpuset"[..], &b"cpu"[..], &b"devices"[..], &b"cpuacct"[..]));
        assert_eq!(enable_token(PIDS), b"+pids");
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
}
