//! The container's cgroup: found from /proc/self/cgroup and /proc/self/mountinfo (never a
//! hard-coded /sys/fs/cgroup), made under runix's own cgroup, written with bare open/write,
//! and removed after the container, on every path.

use crate::buf::CBuf;
use crate::error::Error;
use crate::sys;
use core::ffi::CStr;

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
    /// The device allow-list of hardening.md: v1 devices.deny/allow here; on v2 it takes a BPF
    /// program that the caller attaches to `Cgroups::devices_v2()`.
    pub devices: bool,
    /// Also account memory and CPU time where that costs no new failure, for `usage`.
    pub stats: bool,
}

impl Limits<'_> {
    /// Limits that contradict each other (Docker's rules for --memory-swap). Values out of
    /// the kernel's range are for the kernel to refuse.
    pub fn check(&self) -> Result<(), Error> {
        match (self.memory_swap, self.memory) {
            (Some(s), Some(m)) if s != -1 && (s < 0 || (s as u64) < m) => Err(Error::msg("memory-swap limit below the memory limit", b"")),
            (Some(_), None) => Err(Error::msg("memory-swap limit without a memory limit", b"")),
            _ => Ok(()),
        }
    }
}

/// A size in bytes: digits with an optional k, m or g (binary units, any case) and an optional
/// trailing b, as Docker's -m. Zero, signs, fractions and sizes past i64 are refused.
pub fn parse_size(s: &[u8]) -> Option<u64> {
    let s = s.strip_suffix(b"b").or(s.strip_suffix(b"B")).unwrap_or(s);
    let shift = match s.last()?.to_ascii_lowercase() {
        b'k' => 10,
        b'm' => 20,
        b'g' => 30,
        _ => 0,
    };
    let v = num(&s[..s.len() - (shift != 0) as usize])?.checked_mul(1 << shift)?;
    (v > 0 && v <= i64::MAX as u64).then_some(v)
}

/// --memory-swap: a size, or -1 for unlimited swap.
pub fn parse_swap(s: &[u8]) -> Option<i64> {
    if s == b"-1" { Some(-1) } else { parse_size(s).map(|v| v as i64) }
}

/// --cpus as a CFS quota in µs per CPU_PERIOD: `1.5` is 150000. At most 5 decimals (1 µs; more
/// could not be written exactly), a digit before any point, and at least 0.01 (the kernel's
/// 1 ms minimum quota).
pub fn parse_cpus(s: &[u8]) -> Option<u64> {
    let (int, frac) = match s.iter().position(|&c| c == b'.') {
        Some(i) if i + 1 < s.len() && s.len() - i <= 6 => (&s[..i], &s[i + 1..]),
        Some(_) => return None,
        None => (s, &b""[..]),
    };
    let mut q = num(int)?.checked_mul(CPU_PERIOD)?;
    let mut unit = CPU_PERIOD;
    for &d in frac {
        unit /= 10;
        q = q.checked_add(num(&[d])? * unit)?;
    }
    (q >= 1000 && q <= i64::MAX as u64).then_some(q)
}

/// The syntax of a cpuset list: `N` or `N-M` (N <= M), comma-separated, nothing else (no
/// spaces, no `:stride`). Whether the CPUs exist is for the kernel to say.
pub fn parse_cpu_list(s: &[u8]) -> bool {
    !s.is_empty()
        && s.split(|&c| c == b',').all(|r| {
            let mut it = r.splitn(2, |&c| c == b'-');
            match (it.next().and_then(num), it.next().map(num)) {
                (Some(_), None) => true,
                (Some(a), Some(Some(b))) => a <= b,
                _ => false,
            }
        })
}

/// v2 cpu.weight (1 to 10000) for v1 cpu.shares (2 to 262144, as the kernel clamps them),
/// crun's linear map.
pub fn shares_to_weight(shares: u64) -> u64 {
    1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142
}

/// A decimal number: digits only, no overflow.
fn num(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(d.is_ascii_digit().then(|| (d - b'0') as u64)?))
}

/// Where the cgroup files of one controller live for this process.
pub struct Cgroup {
    pub dir: Path,
}

/// In /proc/self/cgroup (`ID:CONTROLLERS:PATH` per line), the path of `controller`'s
/// hierarchy (v1), or of the unified hierarchy (`0::PATH`, v2) when controller is empty.
pub fn own_path<'a>(proc_cgroup: &'a [u8], controller: &[u8]) -> Option<&'a [u8]> {
    proc_cgroup.split(|&c| c == b'\n').find_map(|line| {
        let mut f = line.splitn(3, |&c| c == b':');
        let (_id, ctrls, path) = (f.next()?, f.next()?, f.next()?);
        let hit = if controller.is_empty() { ctrls.is_empty() } else { ctrls.split(|&c| c == b',').any(|c| c == controller) };
        hit.then_some(path)
    })
}

/// One /proc/self/mountinfo line: if it is the cgroup mount for `controller` (v1: fstype
/// `cgroup` with the controller in its super options; v2: fstype `cgroup2` when controller is
/// empty), its (root, mount point), still octal-escaped as the kernel writes them.
pub fn cgroup_mount<'a>(line: &'a [u8], controller: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let mut f = line.split(|&c| c == b' ');
    let (_id, _parent, _dev, root, point) = (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
    // Optional fields end at "-"; then fstype, source, super options.
    let mut rest = f.skip_while(|&x| x != b"-");
    rest.next()?;
    let (fstype, _src, opts) = (rest.next()?, rest.next()?, rest.next()?);
    let hit = if controller.is_empty() {
        fstype == b"cgroup2"
    } else {
        fstype == b"cgroup" && opts.split(|&c| c == b',').any(|o| o == controller)
    };
    hit.then_some((root, point))
}

/// Append a mountinfo field, undoing its `\ooo` octal escapes (space, tab, newline, backslash).
pub fn push_unescaped<const N: usize>(out: &mut CBuf<N>, s: &[u8]) -> Result<(), Error> {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 3 < s.len() + 0 && s[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (s[i + 1] - b'0') * 64 + (s[i + 2] - b'0') * 8 + (s[i + 3] - b'0');
            out.push(&[v])?;
            i += 4;
        } else {
            out.push(&s[i..i + 1])?;
            i += 1;
        }
    }
    Ok(())
}

/// The directory of the cgroup at `own` in a hierarchy mounted at `point` whose mount shows
/// `root` of the hierarchy (not "/" inside a cgroup namespace, or for a bind-mounted subtree).
pub fn dir_of(point: &[u8], root: &[u8], own: &[u8]) -> Result<Path, Error> {
    let mut p = Path::new();
    push_unescaped(&mut p, point)?;
    let rel = if root == b"/" { own } else { own.strip_prefix(root).ok_or(Error::msg("cgroup outside its mount", own))? };
    if !rel.is_empty() && rel != b"/" {
        if !rel.starts_with(b"/") {
            p.push(b"/")?;
        }
        p.push(rel)?;
    }
    Ok(p)
}

/// Read a whole small file (/proc/self/cgroup) into buf; a file that does not fit is an error.
pub fn read_file<'a>(path: &CStr, buf: &'a mut [u8]) -> Result<&'a [u8], Error> {
    let fd = sys::openat(sys::AT_FDCWD, path, libc::O_RDONLY, 0)?;
    let mut len = 0;
    let r = loop {
        match sys::read(fd, &mut buf[len..]) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                len += n;
                if len == buf.len() {
                    break Err(Error::sys("read", libc::EFBIG, path.to_bytes()));
                }
            }
            Err(e) => break Err(e.at(path.to_bytes())),
        }
    };
    sys::close(fd)?;
    r.map(|_| &buf[..len])
}

/// Call `f` with each line of a file of any length, read in pieces; a line longer than the
/// buffer is an error rather than a line silently cut in two.
pub fn for_each_line(path: &CStr, mut f: impl FnMut(&[u8]) -> Result<bool, Error>) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, path, libc::O_RDONLY, 0)?;
    let mut buf = [0u8; 4096];
    let mut have = 0;
    let r = 'outer: loop {
        let n = match sys::read(fd, &mut buf[have..]) {
            Ok(n) => n,
            Err(e) => break Err(e.at(path.to_bytes())),
        };
        have += n;
        let mut start = 0;
        while let Some(nl) = buf[start..have].iter().position(|&c| c == b'\n') {
            match f(&buf[start..start + nl]) {
                Ok(true) => {}
                other => break 'outer other.map(drop),
            }
            start += nl + 1;
        }
        if n == 0 {
            break if start < have { f(&buf[start..have]).map(drop) } else { Ok(()) };
        }
        if start == 0 && have == buf.len() {
            break Err(Error::sys("read", libc::E2BIG, path.to_bytes()));
        }
        buf.copy_within(start..have, 0);
        have -= start;
    };
    sys::close(fd)?;
    r
}

/// The directory of this process's own cgroup for `controller` (v1).
pub fn find(controller: &'static str) -> Result<Path, Error> {
    let mut buf = [0u8; 4096];
    let own = own_path(read_file(c"/proc/self/cgroup", &mut buf)?, controller.as_bytes())
        .ok_or(Error::msg("no cgroup v1 hierarchy for controller", controller.as_bytes()))?;
    let mut dir = None;
    for_each_line(c"/proc/self/mountinfo", |line| {
        if let Some((root, point)) = cgroup_mount(line, controller.as_bytes()) {
            dir = Some(dir_of(point, root, own));
            return Ok(false);
        }
        Ok(true)
    })?;
    dir.ok_or(Error::msg("cgroup controller is not mounted", controller.as_bytes()))?
}

impl Cgroup {
    /// mkdir `parent/runix-<pid>`. A directory left by an earlier runix that had our pid (and
    /// was killed) is removed and made anew, so it cannot carry stale limits.
    pub fn create(parent: &Path, pid: i32) -> Result<Cgroup, Error> {
        let mut dir = Path::from(&[parent.bytes(), b"/runix-"])?;
        let mut digits = [0u8; 10];
        dir.push(itoa(pid as u64, &mut digits))?;
        match sys::mkdir(dir.as_cstr(), 0o755) {
            Err(e) if e.errno() == libc::EEXIST => {
                sys::rmdir(dir.as_cstr())?;
                sys::mkdir(dir.as_cstr(), 0o755)?;
            }
            r => r?,
        }
        Ok(Cgroup { dir })
    }

    /// Write `value` to the file `name` in this cgroup: open, write, close.
    pub fn write(&self, name: &[u8], value: &[u8]) -> Result<(), Error> {
        let path = Path::from(&[self.dir.bytes(), b"/", name])?;
        let fd = sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_WRONLY, 0)?;
        let r = sys::write_all(fd, value).map_err(|e| e.at(path.bytes()));
        let c = sys::close(fd);
        r.and(c)
    }

    pub fn write_num(&self, name: &[u8], v: u64) -> Result<(), Error> {
        let mut digits = [0u8; 20];
        self.write(name, itoa(v, &mut digits))
    }

    /// rmdir the cgroup. The container's PID 1 has exited, so the kernel is killing whatever
    /// was left in its PID namespace; until they are gone rmdir says EBUSY: try again briefly.
    pub fn remove(&self) -> Result<(), Error> {
        let mut tries = 0;
        loop {
            match sys::rmdir(self.dir.as_cstr()) {
                Err(e) if e.errno() == libc::EBUSY && tries < 200 => {
                    tries += 1;
                    sys::sleep_ms(5);
                }
                r => return r,
            }
        }
    }
}

/// Decimal digits of v, without allocation.
pub fn itoa(mut v: u64, buf: &mut [u8]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use crate::error::tests::show;
    use std::string::String;

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
        assert_eq!(dir_of(b"/sys/fs/cgroup/pids", b"/", b"/").unwrap().bytes(), b"/sys/fs/cgroup/pids");
        assert_eq!(dir_of(b"/sys/fs/cgroup/pids", b"/", b"/a/b").unwrap().bytes(), b"/sys/fs/cgroup/pids/a/b");
        assert_eq!(dir_of(b"/cg", b"/a", b"/a/b").unwrap().bytes(), b"/cg/b");
        assert_eq!(dir_of(b"/my\\040cg", b"/", b"/x").unwrap().bytes(), b"/my cg/x");
        assert!(dir_of(b"/cg", b"/other", b"/a/b").is_err());
    }

    #[test]
    fn itoa_writes_digits() {
        let mut b = [0u8; 20];
        assert_eq!(itoa(0, &mut b), b"0");
        assert_eq!(itoa(4242, &mut b), b"4242");
        assert_eq!(itoa(u64::MAX, &mut b), b"18446744073709551615");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"32m"), Some(32 << 20));
        assert_eq!(parse_size(b"32MB"), Some(32 << 20));
        assert_eq!(parse_size(b"1k"), Some(1024));
        assert_eq!(parse_size(b"1Kb"), Some(1024));
        assert_eq!(parse_size(b"2g"), Some(2 << 30));
        assert_eq!(parse_size(b"4096"), Some(4096));
        assert_eq!(parse_size(b"4096b"), Some(4096));
        assert_eq!(parse_size(b"8589934591g"), Some(8_589_934_591 << 30));
        for bad in [&b""[..], b"0", b"0m", b"-1", b"+1", b"1.5g", b"1t", b"1x", b"m", b"b", b"1 m", b"1bb", b"8589934592g", b"99999999999999999999"] {
            assert_eq!(parse_size(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_swap(b"-1"), Some(-1));
        assert_eq!(parse_swap(b"1g"), Some(1 << 30));
        assert_eq!(parse_swap(b"-2"), None);
    }

    #[test]
    fn cpus() {
        assert_eq!(parse_cpus(b"1"), Some(100_000));
        assert_eq!(parse_cpus(b"0.25"), Some(25_000));
        assert_eq!(parse_cpus(b"1.5"), Some(150_000));
        assert_eq!(parse_cpus(b"0.01"), Some(1_000));
        assert_eq!(parse_cpus(b"0.33333"), Some(33_333));
        assert_eq!(parse_cpus(b"64"), Some(6_400_000));
        assert_eq!(parse_cpus(b"007.50"), Some(750_000));
        for bad in [&b""[..], b"0", b"0.0", b"0.009", b"-1", b"+1", b".5", b"1.", b"1.000001", b"1e3", b"1,5", b"one", b"184467440737095.5", b"99999999999999999999"] {
            assert_eq!(parse_cpus(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn cpu_lists() {
        for good in [&b"0"[..], b"0-1,3", b"0-0", b"2,4,6-7", b"128"] {
            assert!(parse_cpu_list(good), "{}", String::from_utf8_lossy(good));
        }
        for bad in [&b""[..], b"1-0", b"0,", b",0", b"0,,1", b"0-", b"-1", b"0-1-2", b"a", b" 0", b"0-3:2/4", b"0\n"] {
            assert!(!parse_cpu_list(bad), "{}", String::from_utf8_lossy(bad));
        }
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
        assert_eq!(l(Some(100), Some(99)).as_deref(), Some("memory-swap limit below the memory limit"));
        assert_eq!(l(Some(100), Some(-2)).as_deref(), Some("memory-swap limit below the memory limit"));
        assert_eq!(l(None, Some(100)).as_deref(), Some("memory-swap limit without a memory limit"));
    }
}
