//! Helpers for the integration tests: the release binary, busybox roots the tests build
//! themselves, bounded runs, and snapshots of what a test's runs could change on the host, to
//! prove they left nothing behind.
#![allow(dead_code)]

pub mod bundle;
pub mod podman;
pub mod proc;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The release binary; RUNIX_BIN names another (to show that a test fails on an older one).
pub fn runix() -> PathBuf {
    let p = std::env::var_os("RUNIX_BIN").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/runix"), PathBuf::from);
    assert!(p.exists(), "{} missing: run `make` (or `make test`) first", p.display());
    p
}

/// Real containers need root. Under CI=true a missing precondition fails the test; elsewhere
/// the test says why it does nothing.
pub fn need_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        skip("needs root (run `sudo make test`)");
    }
    root
}

/// A test that cannot do its work here says why; under CI=true that fails it instead, since
/// CI must run every test.
pub fn skip(why: &str) {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true, and a test cannot run: {why}");
    eprintln!("skipped: {why}");
}

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The complete Debian root, or None after saying why there is none. `make test` passes its
/// path in RUNIX_DEBIAN_ROOT; a bare `cargo test` finds it the way the Makefile names it.
/// Under CI=true a missing root fails the test: `make test` makes it before any test runs.
pub fn debian() -> Option<PathBuf> {
    if !need_root() {
        return None;
    }
    let root = match std::env::var_os("RUNIX_DEBIAN_ROOT") {
        Some(p) => manifest().join(p),
        None => {
            let out = Command::new(manifest().join("tests/debian/mirror.sh")).output().unwrap();
            let source = String::from_utf8(out.stdout).unwrap();
            let suite = source.split_whitespace().nth(1).unwrap_or("unknown");
            manifest().join(format!("target/debian-{suite}"))
        }
    };
    // Written by the Makefile only after debootstrap succeeded.
    if root.join(".runix-complete").is_file() {
        return Some(root);
    }
    skip(&format!("no complete Debian root at {} (`sudo make debian-root` makes it)", root.display()));
    None
}


pub fn busybox() -> PathBuf {
    for p in ["/bin/busybox", "/usr/bin/busybox"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("busybox-static is not installed (make test installs it)");
}

/// A throwaway busybox root filesystem under target/, removed on drop.
pub struct Root {
    pub path: PathBuf,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// `dir` as Root::busybox makes a root.
fn fill_busybox(dir: &Path) {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::copy(busybox(), bin.join("busybox")).unwrap();
    let out = Command::new(bin.join("busybox")).arg("--list").output().unwrap();
    for applet in String::from_utf8(out.stdout).unwrap().lines() {
        if applet != "busybox" {
            symlink("busybox", bin.join(applet)).unwrap();
        }
    }
    for d in ["proc", "tmp", "etc", "sys", "dev"] {
        fs::create_dir_all(dir.join(d)).unwrap();
    }
}

impl Root {
    /// bin/ with busybox and its applets, and empty proc/, tmp/, etc/.
    pub fn busybox() -> Root {
        let r = Root::empty();
        fill_busybox(&r.path);
        r
    }

    /// A busybox root with another at /inner: for a runix run inside a container.
    pub fn nested() -> Root {
        let r = Root::busybox();
        fill_busybox(&r.path.join("inner"));
        r
    }

    pub fn empty() -> Root {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/test-roots/{}-{}", std::process::id(), n));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Root { path }
    }

    pub fn file(&self, rel: &str, content: &str, mode: u32) {
        let p = self.path.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }

    pub fn s(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub pid: u32,
}

/// Run runix with `args`, stdin from `input`, killed (and the test failed) after `secs`.
pub fn run_in(args: &[&str], input: &str, secs: u64) -> Out {
    run_cmd(Command::new(runix()).args(args).env("TERM", "xterm-test"), input, secs)
}

pub fn run(args: &[&str]) -> Out {
    run_in(args, "", 20)
}

pub fn run_cmd(cmd: &mut Command, input: &str, secs: u64) -> Out {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    // The test harness starts its children with signals 32 and 33 ignored; runix would reset
    // them (and --trace show it), where a shell's runix starts with none ignored.
    // SAFETY: signal(2) only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // The raw call: glibc's sigaction refuses these two, its own.
            let dfl = [0u64; 4]; // the kernel's struct sigaction: SIG_DFL, no flags, no mask
            for sig in [32, 33] {
                libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), 0usize, 8usize);
            }
            Ok(())
        });
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    started(pid);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let w = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let ro = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let re = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("runix {:?} did not finish within {secs}s", cmd);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    w.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap());
    Out { code, stdout: ro.join().unwrap(), stderr: re.join().unwrap(), pid }
}

/// The mount point of a cgroup v1 controller on the host.
pub fn cgroup_v1_mount(controller: &str) -> Option<PathBuf> {
    fs::read_to_string("/proc/self/mountinfo").unwrap().lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        let dash = f.iter().position(|&x| x == "-")?;
        (f[dash + 1] == "cgroup" && f[dash + 3].split(',').any(|o| o == controller)).then(|| PathBuf::from(f[4]))
    })
}

/// Every runix-* cgroup directory anywhere under the host's cgroup mounts.
pub fn runix_cgroups() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>, depth: u32) {
        let Ok(rd) = fs::read_dir(d) else { return };
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                let p = e.path();
                if e.file_name().to_string_lossy().starts_with("runix-") {
                    out.push(p.clone());
                }
                if depth < 6 {
                    walk(&p, out, depth + 1);
                }
            }
        }
    }
    let mut out = Vec::new();
    for l in fs::read_to_string("/proc/self/mountinfo").unwrap().lines() {
        let f: Vec<&str> = l.split(' ').collect();
        if let Some(dash) = f.iter().position(|&x| x == "-") {
            if f[dash + 1].starts_with("cgroup") {
                walk(Path::new(f[4]), &mut out, 0);
            }
        }
    }
    out
}

/// The pids of the runix processes this test binary started: `run_cmd` records each (its
/// command is runix, or execs it: unshare, setpriv), a test that spawns runix itself calls
/// `started`.
static STARTED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

pub fn started(pid: u32) {
    STARTED.lock().unwrap().push(pid);
}

/// The cgroup directories runix `pid` made (`runix-<pid>`), in any hierarchy.
pub fn left_by(pid: u32) -> Vec<PathBuf> {
    let name = format!("runix-{pid}");
    runix_cgroups().into_iter().filter(|p| p.file_name().unwrap() == name.as_str()).collect()
}

/// What a test's runs must leave as it was, limited to what its own runix processes could
/// have changed, since other tests and containers on the machine mount and make cgroups as
/// they please: the mounts at or under `dirs` (the root and the host paths the test gave
/// runix), the hostname, and the cgroups of the runix processes started after `Host::at`.
pub struct Host {
    dirs: Vec<PathBuf>,
    mounts: Vec<String>,
    hostname: String,
    started: usize,
}

impl Host {
    pub fn at(dirs: &[&Path]) -> Host {
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
        Host { mounts: mounts_under(&dirs), dirs, hostname: hostname(), started: STARTED.lock().unwrap().len() }
    }

    /// Fail the test, saying `what`, if a mount at or under the dirs came or went, the hostname
    /// changed, or a runix started since `at` left a cgroup.
    pub fn assert_unchanged(&self, what: &str) {
        assert_eq!(mounts_under(&self.dirs), self.mounts, "{what}: mounts");
        assert_eq!(hostname(), self.hostname, "{what}: hostname");
        let pids: Vec<u32> = STARTED.lock().unwrap()[self.started..].to_vec();
        let left: Vec<PathBuf> = pids.into_iter().flat_map(left_by).collect();
        assert_eq!(left, Vec::<PathBuf>::new(), "{what}: cgroups left behind");
    }
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname").unwrap()
}

/// The mounts (mount point, fs type, options) at or under any of `dirs`.
fn mounts_under(dirs: &[PathBuf]) -> Vec<String> {
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| l.split(' ').nth(4).is_some_and(|m| dirs.iter().any(|d| Path::new(m).starts_with(d))))
        .map(|l| l.split(' ').skip(3).collect::<Vec<_>>().join(" "))
        .collect()
}

/// Every file under `dir` with its size, mode and mtime: to prove runix wrote nothing there.
pub fn tree(dir: &Path) -> BTreeMap<String, (u64, u32, i64)> {
    fn walk(d: &Path, base: &Path, out: &mut BTreeMap<String, (u64, u32, i64)>) {
        for e in fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let m = fs::symlink_metadata(&p).unwrap();
            out.insert(p.strip_prefix(base).unwrap().display().to_string(), (m.size(), m.mode(), m.mtime()));
            if m.is_dir() {
                walk(&p, base, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    let m = fs::symlink_metadata(dir).unwrap();
    out.insert(".".into(), (m.size(), m.mode(), m.mtime()));
    walk(dir, dir, &mut out);
    out
}

/// Until dropped, `user`'s lines in /etc/subuid and /etc/subgid are exactly `range` (or none);
/// then they are what they were. Only that user's lines are touched (usermod refuses to change
/// root's while root has processes, so the files are edited here, each replaced in one rename).
pub struct SubIds {
    user: &'static str,
    /// Each file changed so far: whether it existed, and the user's lines in it.
    saved: Vec<(&'static str, bool, Vec<String>)>,
}

pub const SUBID_FILES: [&str; 2] = ["/etc/subuid", "/etc/subgid"];

impl SubIds {
    pub fn set(user: &'static str, range: Option<(u32, u32)>) -> SubIds {
        let lines: Vec<String> = range.map(|(s, n)| format!("{user}:{s}:{n}")).into_iter().collect();
        // The guard exists before the first change, so a failure halfway is undone too.
        let mut guard = SubIds { user, saved: Vec::new() };
        for f in SUBID_FILES {
            let existed = Path::new(f).exists();
            guard.saved.push((f, existed, set_subids(f, user, &lines)));
        }
        guard
    }
}

impl Drop for SubIds {
    fn drop(&mut self) {
        for (f, existed, lines) in &self.saved {
            set_subids(f, self.user, lines);
            if !existed && fs::read_to_string(f).is_ok_and(|t| t.is_empty()) {
                let _ = fs::remove_file(f);
            }
        }
    }
}

/// Replace `user`'s lines in `file` with `lines`; returns the old ones.
pub fn set_subids(file: &str, user: &str, lines: &[String]) -> Vec<String> {
    let text = fs::read_to_string(file).unwrap_or_default();
    let (old, mut keep): (Vec<String>, Vec<String>) = text.lines().map(String::from).partition(|l| l.split(':').next() == Some(user));
    keep.extend(lines.iter().cloned());
    let tmp = format!("{file}.runix-test");
    fs::write(&tmp, keep.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap();
    fs::rename(&tmp, file).unwrap();
    old
}
