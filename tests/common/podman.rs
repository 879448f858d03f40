//! podman for the tests (tests/podman.rs): one private podman per test binary, so the machine's
//! own podman storage, networks and containers are never touched. Everything lives in
//! target/podman-PID: containers/storage (overlay), podman's state and tmp dirs, its event log,
//! a containers.conf naming runix under [engine.runtimes], a busybox image imported from a root
//! the tests build (podman reaches no registry here), and a network namespace with only `lo`
//! that every container joins (`--network ns:PATH`, so the config.json carries a namespace
//! path, as podman's default bridge network does, without netavark changing the host's
//! firewall). The containers' and conmon's cgroups go under /podman-tests-PID (podman's
//! `--cgroup-parent`; its default, /libpod_parent, would stay on the host). It is all removed
//! when the test binary exits, and what a killed run left is removed by the next.
//!
//! The runtime under test is runix; RUNIX_PODMAN_RUNTIME=runc (or crun) puts another in its
//! place, to check the tests themselves against a runtime known to work. runc is the reference.

use super::{need_root, run_cmd, runix, skip, Out, Root};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The reference runtime of the differential tests.
pub const REFERENCE: &str = "runc";
pub const IMAGE: &str = "localhost/runix-busybox";
/// What this VM needs on every run: no CAP_SYS_RESOURCE, so podman's default rlimits (above the
/// hard limits here) fail with every runtime.
pub const ULIMITS: [&str; 4] = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
/// Bound of one podman call, unless a test gives its own.
pub const SECS: u64 = 60;

pub struct Podman {
    pub dir: PathBuf,
    pub netns: PathBuf,
    /// The runtime under test, as podman's --runtime takes it.
    pub runtime: String,
}

static PODMAN: OnceLock<Option<Podman>> = OnceLock::new();
/// The directory this test binary made, for the teardown at exit.
static MADE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The private podman, set up on first use; None (after saying why) where it cannot run.
pub fn podman_env() -> Option<&'static Podman> {
    PODMAN.get_or_init(setup).as_ref()
}

/// The runtime under test: runix, or RUNIX_PODMAN_RUNTIME outside CI.
pub fn under_test() -> String {
    let rt = std::env::var("RUNIX_PODMAN_RUNTIME").unwrap_or_else(|_| "runix".into());
    assert!(rt == "runix" || std::env::var("CI").as_deref() != Ok("true"), "CI=true: the runtime under test is runix, not {rt}");
    rt
}

fn setup() -> Option<Podman> {
    if !need_root() {
        return None;
    }
    for tool in ["podman", "conmon", REFERENCE, "tar", "unshare"] {
        if !on_path(tool) {
            skip(&format!("{tool} is not installed (`make podman-deps` installs it)"));
            return None;
        }
    }
    let runtime = under_test();
    let target = super::manifest().join("target");
    remove_stale(&target);
    let dir = target.join(format!("podman-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("tmp")).unwrap();
    let d = dir.display();
    fs::write(dir.join("storage.conf"), format!("[storage]\ndriver = \"overlay\"\ngraphroot = \"{d}/storage\"\nrunroot = \"{d}/run\"\n")).unwrap();
    let conf = format!(
        "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nevents_logfile_path = \"{d}/events.log\"\n\
         tmp_dir = \"{d}/tmp\"\n\
         [engine.runtimes]\nrunix = [\"{}\"]\n[network]\nnetwork_config_dir = \"{d}/networks\"\n",
        runix().display()
    );
    fs::write(dir.join("containers.conf"), conf).unwrap();
    // From here on all of it is removed at exit, whatever fails below.
    *MADE.lock().unwrap() = Some(dir.clone());
    // SAFETY: atexit(3) with a function that takes and returns nothing.
    unsafe { libc::atexit(teardown) };

    let netns = dir.join("netns");
    fs::write(&netns, "").unwrap();
    let up = Command::new("unshare").arg(format!("--net={}", netns.display())).args([super::busybox().to_str().unwrap(), "ip", "link", "set", "lo", "up"]).status().unwrap();
    assert!(up.success(), "unshare --net={}: {up}", netns.display());

    let root = Root::busybox();
    let tar = dir.join("busybox.tar");
    let st = Command::new("tar").args(["-C", root.s(), "-cf", tar.to_str().unwrap(), "."]).status().unwrap();
    assert!(st.success(), "tar of the busybox root: {st}");
    let p = Podman { dir, netns, runtime };
    let o = p.call(REFERENCE, &["import", tar.to_str().unwrap(), IMAGE], "", SECS);
    assert_eq!(o.code, 0, "podman import: {}", o.stderr);
    Some(p)
}

fn on_path(tool: &str) -> bool {
    std::env::var("PATH").unwrap_or_default().split(':').any(|d| Path::new(d).join(tool).is_file())
}

impl Podman {
    /// podman with the private storage and configuration, `args` after its global options.
    pub fn command(&self, runtime: &str) -> Command {
        let mut c = Command::new("podman");
        // conmon writes a file `oom` into its working directory when the OOM killer struck.
        c.current_dir(&self.dir).env("CONTAINERS_CONF", self.dir.join("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", self.dir.join("storage.conf"))
            .env_remove("CONTAINER_HOST")
            .args(["--runtime", runtime, "--cgroup-manager=cgroupfs", "--events-backend=file"]);
        c
    }

    /// The podman arguments for `args`: `run` and `create` get this VM's ulimits, the test
    /// network namespace (unless `args` name a network) and no pulling.
    pub fn args(&self, args: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if matches!(args.first(), Some(&"run") | Some(&"create")) {
            let mut extra: Vec<String> = ULIMITS.iter().map(|s| s.to_string()).collect();
            extra.push("--pull=never".into());
            extra.push(format!("--cgroup-parent=/{}", cgroup_parent(std::process::id())));
            if !args.iter().any(|a| a.starts_with("--network")) {
                extra.push(format!("--network=ns:{}", self.netns.display()));
            }
            v.splice(1..1, extra);
        }
        v
    }

    /// podman `args` with `runtime`, stdin `input`, killed (and the test failed) after `secs`.
    pub fn call(&self, runtime: &str, args: &[&str], input: &str, secs: u64) -> Out {
        run_cmd(self.command(runtime).args(self.args(args)), input, secs)
    }

    /// The same under a pseudo-terminal: script(1) runs podman with its stdio on a new pty;
    /// `input` is typed into it. script exits with podman's status.
    pub fn call_pty(&self, runtime: &str, args: &[&str], input: &str, secs: u64) -> Out {
        let c = self.command(runtime);
        let mut line: Vec<String> = vec![quote(c.get_program().to_str().unwrap())];
        line.extend(c.get_args().map(|a| quote(a.to_str().unwrap())));
        line.extend(self.args(args).iter().map(|a| quote(a)));
        let mut s = Command::new("script");
        s.args(["-qec", &line.join(" "), "/dev/null"]).current_dir(&self.dir);
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => s.env(k, v),
                None => s.env_remove(k),
            };
        }
        run_cmd(&mut s, input, secs)
    }
}

/// The cgroup under which the podman of test binary `pid` puts its containers and conmons.
pub fn cgroup_parent(pid: u32) -> String {
    format!("podman-tests-{pid}")
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// podman `args` under `runtime`, bounded by SECS. The test environment must exist.
pub fn podman(runtime: &str, args: &[&str]) -> Out {
    podman_env().expect("no podman environment").call(runtime, args, "", SECS)
}

/// A container name that is the test's alone; the container (if any) is removed on drop,
/// whether the test passed or not.
pub struct Ctr {
    pub name: String,
    runtime: String,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Ctr {
    pub fn new(runtime: &str) -> Ctr {
        let name = format!("runix-test-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        Ctr { name, runtime: runtime.to_string() }
    }
}

impl Drop for Ctr {
    fn drop(&mut self) {
        if let Some(p) = podman_env() {
            let _ = p.call(&self.runtime, &["rm", "-f", "-t", "0", "--ignore", &self.name], "", SECS);
        }
    }
}

/// At exit: what `setup` made removed.
extern "C" fn teardown() {
    if let Some(dir) = MADE.lock().ok().and_then(|mut d| d.take()) {
        clean(&dir, std::process::id());
    }
}

/// Every container of the podman in `dir` removed (conmon outlives a killed test binary, and
/// its container with it), the namespace and any mount left under `dir` unmounted, `dir`
/// removed, and the cgroups of test binary `pid`.
fn clean(dir: &Path, pid: u32) {
    if dir.join("containers.conf").exists() {
        let p = Podman { dir: dir.to_path_buf(), netns: dir.join("netns"), runtime: REFERENCE.into() };
        let _ = p.call(REFERENCE, &["rm", "-a", "-f", "-t", "0"], "", SECS);
    }
    remove_dir(dir);
    remove_cgroups(&cgroup_parent(pid));
}

/// The (empty) cgroup `name` at the top of every hierarchy, with what is under it.
fn remove_cgroups(name: &str) {
    fn rmdir_tree(d: &Path) {
        for e in fs::read_dir(d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                rmdir_tree(&e.path());
            }
        }
        let _ = fs::remove_dir(d);
    }
    for l in fs::read_to_string("/proc/self/mountinfo").unwrap_or_default().lines() {
        let f: Vec<&str> = l.split(' ').collect();
        let Some(dash) = f.iter().position(|&x| x == "-") else { continue };
        if f[dash + 1].starts_with("cgroup") {
            let d = Path::new(f[4]).join(name);
            // A conmon may take a moment to leave after its container is removed.
            super::proc::within(5, || {
                rmdir_tree(&d);
                !d.exists()
            });
        }
    }
}

/// Unmount what is mounted under `dir` (deepest first), then remove it.
fn remove_dir(dir: &Path) {
    let mut mounts: Vec<String> = fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(String::from))
        .filter(|m| Path::new(m).starts_with(dir))
        .collect();
    mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for m in mounts {
        let _ = Command::new("umount").args(["-l", &m]).status();
    }
    let _ = fs::remove_dir_all(dir);
}

/// target/podman-PID directories of test binaries that are gone (killed before their exit).
fn remove_stale(target: &Path) {
    for e in fs::read_dir(target).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("podman-").and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !matches!(super::proc::proc_stat(pid), Some((s, _)) if s != 'Z' && s != 'X') {
            clean(&e.path(), pid);
        }
    }
}
