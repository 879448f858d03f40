//! A fake cgroupfs for the tests: a temporary directory with regular files for the control
//! files, and proc/cgroup and proc/mountinfo files to match. The code under test runs as in
//! the binary, under a recording of its calls (sys::record) whose answers play the kernel's
//! part: a new cgroup gets its parent's control files (empty, as a v1 cpuset's are); rmdir
//! removes them, and says EBUSY while cgroup.procs lists a running process or a child cgroup
//! is in it; enabling a v2 controller the parent's cgroup.controllers lacks is ENOENT. The
//! kernel does the rest, in the temporary directory. `log` is the ordered list of calls, made
//! short: `mkdir D`, `write FILE VALUE`, `rmdir D`, relative to the fake root, with ` = -1
//! ERRNO` when one fails.

use super::{Cgroups, Layout, resources};
use crate::error::Error;
use crate::spec::Limits;
use crate::sys::record::{Kernel, Recording};
use crate::sys::trace;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::IntoRawFd;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::string::{String, ToString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::vec::Vec;
use std::{boxed::Box, format, fs};
use syscalls::Sysno;

pub struct Fake {
    pub root: PathBuf,
    rec: Recording,
    /// Writes whose short line contains the pattern fail with the errno.
    fails: Rc<RefCell<Vec<(String, i32)>>>,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Fake {
    /// An empty fake root with cgroup hierarchies mounted at `mounts` (directory, super
    /// options; "" for cgroup2), runix's own cgroup `/user` in each.
    pub fn new(mounts: &[(&str, &str)]) -> Fake {
        let root = std::env::temp_dir().join(format!("runix-cgtest-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
        fs::create_dir_all(&root).unwrap();
        let fails: Rc<RefCell<Vec<(String, i32)>>> = Rc::default();
        let rec = Recording::start(Kernel::Real);
        let (r, fl) = (root.clone(), fails.clone());
        rec.answer(move |nr, a| kernel(nr, a, &r, &fl.borrow()));
        let f = Fake { root, rec, fails };
        let (mut info, mut cg) = (String::new(), String::new());
        for (i, (dir, opts)) in mounts.iter().enumerate() {
            let point = f.root.join(dir);
            fs::create_dir_all(point.join("user")).unwrap();
            let fs = if opts.is_empty() { "cgroup2 cgroup2 rw".to_string() } else { format!("cgroup cgroup rw,{opts}") };
            info += &format!("{} 31 0:{} / {} rw,nosuid shared:{} - {fs}\n", 40 + i, 30 + i, point.display(), 5 + i);
            cg += &format!("{}:{}:/user\n", mounts.len() - i, opts);
        }
        f.file("proc/mountinfo", &format!("22 1 0:21 / /proc rw - proc proc rw\n{info}"));
        f.file("proc/cgroup", &cg);
        f
    }

    pub fn fail(&self, pattern: &str, errno: i32) {
        self.fails.borrow_mut().push((pattern.into(), errno));
    }

    /// Any call whose --trace line contains the pattern fails with the errno.
    pub fn fail_call(&self, pattern: &str, errno: i32) {
        self.rec.fail(pattern, errno);
    }

    /// The calls since the last `log`, made short (see the top).
    pub fn log(&self) -> Vec<String> {
        let calls = self.rec.calls();
        self.rec.clear();
        let mut fds = HashMap::new();
        let mut out = Vec::new();
        for c in calls {
            let (name, rest) = c.split_once('(').unwrap();
            let arg = quoted(rest);
            let errno = c.split_once(" = -1 ").map(|(_, e)| format!(" = -1 {}", e.split(' ').next().unwrap()));
            let (ok, errno) = (errno.is_none(), errno.unwrap_or_default());
            match name {
                "mkdirat" => out.push(format!("mkdir {}{errno}", self.rel(&arg))),
                "unlinkat" => out.push(format!("rmdir {}{errno}", self.rel(&arg))),
                "openat" if rest.contains("O_WRONLY") && ok => {
                    fds.insert(c.rsplit(' ').next().unwrap().to_string(), self.rel(&arg));
                }
                "openat" if rest.contains("O_WRONLY") => out.push(format!("open {}{errno}", self.rel(&arg))),
                "write" => {
                    let fd = rest.split(',').next().unwrap();
                    let file = fds.get(fd).cloned().unwrap_or_else(|| format!("fd {fd}"));
                    out.push(format!("write {file} {arg}{errno}"));
                }
                _ => {}
            }
        }
        out
    }

    /// The calls so far, as --trace shows them.
    pub fn calls(&self) -> Vec<String> {
        self.rec.calls()
    }

    pub fn rel(&self, p: &str) -> String {
        p.strip_prefix(&format!("{}/", self.root.display())).unwrap_or(p).to_string()
    }

    pub fn file(&self, rel: &str, content: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    /// Control files in runix's own cgroup of hierarchy `dir`.
    pub fn files(&self, dir: &str, files: &[(&str, &str)]) {
        for (name, content) in files {
            self.file(&format!("{dir}/user/{name}"), content);
        }
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap()
    }

    pub fn c(&self, rel: &str) -> CString {
        CString::new(self.root.join(rel).to_str().unwrap()).unwrap()
    }

    pub fn path(&self, rel: &str) -> String {
        self.root.join(rel).to_str().unwrap().to_string()
    }

    /// Every path under the root, sorted: the state to compare before and after.
    pub fn tree(&self) -> Vec<String> {
        fn walk(d: &Path, out: &mut Vec<String>) {
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

    /// For the sequence's tests (run/tests.rs): from now on only calls on the fake's files
    /// reach the kernel, as with `new` (and /proc/self/FILE opens the fake's proc/FILE, when
    /// there is one); `outside` answers the other calls first, and --dry-run's fakes the rest.
    /// So nothing is made, signalled or run outside the fake's root.
    pub fn around(&self, mut outside: impl FnMut(Sysno, &[usize; 6]) -> Option<isize> + 'static) {
        let (root, fails) = (self.root.clone(), self.fails.clone());
        self.rec.answer(move |nr, a| {
            if let Some(r) = outside(nr, a) {
                return Some(r);
            }
            let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
            let path = line.split_once('(').map(|(_, args)| quoted(args)).unwrap_or_default();
            let ours = |p: &Path| p.starts_with(&root);
            let proc = path.strip_prefix("/proc/self/").map(|f| root.join("proc").join(f)).filter(|p| p.is_file());
            if let (Sysno::openat, Some(p)) = (nr, proc) {
                return Some(fs::File::open(p).unwrap().into_raw_fd() as isize);
            }
            match nr {
                Sysno::openat | Sysno::mkdirat | Sysno::unlinkat | Sysno::newfstatat if ours(Path::new(&path)) => kernel(nr, a, &root, &fails.borrow()),
                Sysno::read | Sysno::write | Sysno::close | Sysno::getdents64 | Sysno::newfstatat
                    if fs::read_link(format!("/proc/self/fd/{}", a[0] as i32)).is_ok_and(|p| ours(&p)) =>
                {
                    kernel(nr, a, &root, &fails.borrow())
                }
                _ => Some(trace::fake(nr, a)),
            }
        });
    }

    pub fn layout(&self, l: &Limits, parent: Option<&[u8]>) -> Result<Box<Layout>, Error> {
        let mut layout = Box::new(Layout::EMPTY);
        layout.find(resources::wanted(l), false, parent, &self.c("proc/cgroup"), &self.c("proc/mountinfo"))?;
        Ok(layout)
    }

    /// The cgroups of runix with pid 42.
    pub fn create(&self, l: &Limits, parent: Option<&[u8]>) -> Result<Box<Cgroups>, Error> {
        let mut cg = Box::new(Cgroups::EMPTY);
        cg.make(l, parent, None, 42, &self.c("proc/cgroup"), &self.c("proc/mountinfo"))?;
        Ok(cg)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// A v1 host as Debian's: one hierarchy per controller, cpu and cpuacct co-mounted.
pub fn v1_host() -> Fake {
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
pub fn v2_host(controllers: &str) -> Fake {
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

/// The first quoted argument of a call as --trace shows it (paths, the bytes written).
fn quoted(args: &str) -> String {
    args.split('"').nth(1).unwrap_or("").replace("\\n", "\n")
}

/// cgroupfs's answer to a call, where a temporary directory's would differ; None: the
/// kernel's.
fn kernel(nr: Sysno, a: &[usize; 6], root: &Path, fails: &[(String, i32)]) -> Option<isize> {
    let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
    let arg = quoted(line.split_once('(')?.1);
    let errno = |e: std::io::Error| -(e.raw_os_error().unwrap() as isize);
    // The tests run as root in CI: a bug that named a host path makes nothing there.
    let changes = matches!(nr, Sysno::mkdirat | Sysno::unlinkat) || nr == Sysno::openat && a[2] & libc::O_WRONLY as usize != 0;
    assert!(!changes || Path::new(&arg).starts_with(root), "the fake cgroupfs was asked to change {arg}, outside {}", root.display());
    match nr {
        // A new cgroup has its parent's control files.
        Sysno::mkdirat => Some(match fs::create_dir(&arg) {
            Err(e) => errno(e),
            Ok(()) => {
                for e in fs::read_dir(Path::new(&arg).parent().unwrap()).unwrap() {
                    let e = e.unwrap();
                    if e.file_type().unwrap().is_file() {
                        fs::write(Path::new(&arg).join(e.file_name()), "").unwrap();
                    }
                }
                0
            }
        }),
        // Busy while a process or a child cgroup is in it; its control files go with it.
        Sysno::unlinkat if a[2] == libc::AT_REMOVEDIR as usize => {
            let dir = Path::new(&arg);
            let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
            let children = fs::read_dir(dir).into_iter().flatten().any(|e| e.unwrap().file_type().unwrap().is_dir());
            if procs.lines().any(running) || children {
                return Some(-libc::EBUSY as isize);
            }
            for e in fs::read_dir(dir).into_iter().flatten() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_file() {
                    fs::remove_file(e.path()).unwrap();
                }
            }
            None
        }
        // What `runix cleanup` prints stays out of the tests' output (the log keeps it).
        Sysno::write if a[0] == 1 => Some(a[2] as isize),
        Sysno::write => {
            let path = fs::read_link(format!("/proc/self/fd/{}", a[0])).ok()?;
            let short = format!("write {} {arg}", path.strip_prefix(root).unwrap_or(&path).display());
            if let Some((_, e)) = fails.iter().find(|(p, _)| short.contains(p.as_str())) {
                return Some(-*e as isize);
            }
            let offered = fs::read_to_string(path.with_file_name("cgroup.controllers"));
            match arg.strip_prefix('+') {
                Some(c) if path.ends_with("cgroup.subtree_control") && offered.is_ok_and(|o| !o.split_whitespace().any(|o| o == c)) => Some(-libc::ENOENT as isize),
                _ => None,
            }
        }
        // No signal to any process but the tests' own.
        Sysno::kill if a[1] != 0 && !running(&a[0].to_string()) => Some(0),
        _ => None,
    }
}

/// A process that has not exited (a zombie has: the kernel drops it from its cgroups).
/// Only the tests' own children count, so no test can make runix kill anything else.
pub fn running(pid: &str) -> bool {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let mut f = stat.rsplit(") ").next().unwrap_or("").split(' ');
    let (state, ppid) = (f.next(), f.next());
    state.is_some_and(|s| s != "Z") && ppid == Some(&std::process::id().to_string())
}
