//! The cgroups of a runix killed with SIGKILL: the next run removes them from the parents it
//! uses, `runix cleanup` from every hierarchy; neither touches a cgroup whose pid is alive or
//! that holds a process.
//!
//! Each test makes its cgroups in the v1 pids hierarchy, under this test process's own cgroup
//! there (runix's, since runix is our child), named after pids no process can have, and
//! removes them again whatever happens (`Guard`).

mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// This test process's cgroup in the v1 hierarchy of `controller`: its directory, and its
/// path inside the hierarchy (as --cgroup-parent takes it).
fn own(controller: &str) -> Option<(PathBuf, String)> {
    let mount = cgroup_v1_mount(controller)?;
    let cg = fs::read_to_string("/proc/self/cgroup").unwrap();
    let line = cg.lines().find(|l| l.split(':').nth(1).is_some_and(|c| c.split(',').any(|c| c == controller)))?;
    let path = line.splitn(3, ':').nth(2)?.to_string();
    Some((mount.join(path.trim_start_matches('/')), path))
}

/// A `runix-<pid>` name no process can have: above the largest pid_max (2^22), and different
/// for each test process and `i`.
fn gone(i: u32) -> String {
    format!("runix-{}", (1 << 22) + std::process::id() * 8 + i)
}

fn sleep() -> Child {
    Command::new("sleep").arg("60").spawn().unwrap()
}

fn alive(c: &mut Child) -> bool {
    c.try_wait().unwrap().is_none()
}

/// What a test made, undone on drop, on failure too: its processes killed, then the cgroup
/// directories it made and those of the runix processes it started, children first.
#[derive(Default)]
struct Guard {
    children: Vec<Child>,
    runix: Vec<u32>,
    dirs: Vec<PathBuf>,
}

impl Guard {
    fn mkdir(&mut self, d: PathBuf) -> PathBuf {
        fs::create_dir(&d).unwrap();
        self.dirs.push(d.clone());
        d
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let mut dirs: Vec<PathBuf> = self.runix.iter().flat_map(|&p| left_by(p)).collect();
        dirs.extend(self.dirs.iter().rev().cloned());
        // A killed process leaves its cgroup a moment after it is reaped.
        let end = Instant::now() + Duration::from_secs(5);
        for d in dirs {
            while d.exists() && fs::remove_dir(&d).is_err() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The container's init, once it is in cgroup `dir` and runs `comm`.
fn init_in(dir: &Path, comm: &str) -> String {
    for _ in 0..500 {
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        if let Some(pid) = procs.lines().next()
            && fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim() == comm
        {
            return pid.to_string();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no {comm} in {}", dir.display());
}

#[test]
fn a_killed_runix_leaves_cgroups_that_the_next_run_removes() {
    if !need_root() {
        return;
    }
    let Some((pids, _)) = own("pids") else { return skip("no cgroup v1 pids hierarchy") };
    let r = Root::busybox();
    let mut g = Guard::default();
    let child = Command::new(runix()).args(["run", "-r", r.s(), "-p", "10", "sleep", "60"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let pid = child.id();
    g.runix.push(pid);
    g.children.push(child);
    let init = init_in(&pids.join(format!("runix-{pid}")), "sleep");
    // SIGKILL gives runix no chance to remove its cgroups. Its container dies with it
    // (PR_SET_PDEATHSIG); killed here too, so that the cgroups are empty for sure.
    let runix = g.children.last_mut().unwrap();
    runix.kill().unwrap();
    runix.wait().unwrap();
    Command::new("kill").args(["-KILL", &init]).status().unwrap();
    let left = left_by(pid);
    assert!(left.contains(&pids.join(format!("runix-{pid}"))), "{left:?}");
    let end = Instant::now() + Duration::from_secs(5);
    while left.iter().any(|d| !fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default().is_empty()) {
        assert!(Instant::now() < end, "the killed container is still in {left:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The next run with the same kind of limit removes them, and -v says so.
    let o = run(&["run", "-v", "-r", r.s(), "-p", "10", "true"]);
    g.runix.push(o.pid);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(left_by(pid), Vec::<PathBuf>::new(), "{}", o.stderr);
    for d in &left {
        assert!(o.stderr.contains(&format!(": (parent) removed stale cgroup {}\n", d.display())), "{}", o.stderr);
    }
    assert_eq!(left_by(o.pid), Vec::<PathBuf>::new());
}

#[test]
fn a_run_leaves_cgroups_of_live_pids_and_with_processes_alone() {
    if !need_root() {
        return;
    }
    let Some((pids, _)) = own("pids") else { return skip("no cgroup v1 pids hierarchy") };
    let r = Root::busybox();
    let mut g = Guard::default();
    g.children.extend([sleep(), sleep()]);
    let (live, busy) = (g.children[0].id(), g.children[1].id());
    // A cgroup named after a live pid (any process: pids are reused), one of a gone pid that
    // still holds a process, and an empty one of a gone pid, the only one to go.
    let live_dir = g.mkdir(pids.join(format!("runix-{live}")));
    let busy_dir = g.mkdir(pids.join(gone(0)));
    let empty_dir = g.mkdir(pids.join(gone(1)));
    fs::write(busy_dir.join("cgroup.procs"), busy.to_string()).unwrap();
    let o = run(&["run", "-r", r.s(), "-p", "10", "true"]);
    g.runix.push(o.pid);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(live_dir.is_dir() && busy_dir.is_dir(), "a cgroup in use was removed");
    assert!(g.children.iter_mut().all(alive), "a process was killed");
    assert_eq!(fs::read_to_string(busy_dir.join("cgroup.procs")).unwrap(), format!("{busy}\n"));
    assert!(!empty_dir.exists(), "the empty cgroup of a gone pid was not removed");
    assert_eq!(left_by(o.pid), Vec::<PathBuf>::new());
}

#[test]
fn cleanup_removes_stale_cgroups_and_prints_each() {
    if !need_root() {
        return;
    }
    let Some((pids, own_path)) = own("pids") else { return skip("no cgroup v1 pids hierarchy") };
    let mut g = Guard::default();
    g.children.push(sleep());
    let busy = g.children[0].id();
    let stale = g.mkdir(pids.join(gone(2)));
    let busy_dir = g.mkdir(pids.join(gone(3)));
    fs::write(busy_dir.join("cgroup.procs"), busy.to_string()).unwrap();
    let o = run(&["cleanup"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    // Other runix processes on this host may have left some too: those lines may be there.
    assert!(o.stdout.lines().all(|l| l.starts_with("removed /") && l.contains("/runix-")), "{}", o.stdout);
    assert!(o.stdout.lines().any(|l| l == format!("removed {}", stale.display())), "{}", o.stdout);
    assert!(!stale.exists());
    assert!(busy_dir.is_dir() && alive(&mut g.children[0]), "a cgroup in use was removed, or its process killed");

    // --cgroup-parent: a parent only the pids hierarchy has; the others have nothing there.
    let name = format!("runix-stale-test-{}", std::process::id());
    let parent = g.mkdir(pids.join(&name));
    let stale = g.mkdir(parent.join(gone(4)));
    let rel = format!("{}/{name}", own_path.trim_end_matches('/'));
    let o = run(&["cleanup", "--cgroup-parent", &rel]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, format!("removed {}\n", stale.display()).as_str(), ""));

    // A refusal is runix's usual one-line error, and 125: rmdir without root.
    let stale = g.mkdir(parent.join(gone(5)));
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    let o = run_cmd(Command::new("setpriv").args(nobody).arg(runix()).args(["cleanup", "--cgroup-parent", &rel]), "", 20);
    assert_eq!((o.code, o.stdout.as_str()), (125, ""));
    assert_eq!(o.stderr, format!("runix: rmdir({}): Permission denied\n", stale.display()));
    assert!(stale.is_dir());
}
