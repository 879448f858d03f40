//! What a newcomer meets in the first hour: -v only observes, values out of range are said
//! with the range, a service stops when asked.

mod common;
use common::*;
use std::fs;
use std::path::PathBuf;

/// A cgroup made by the test in one v1 hierarchy only, removed on drop.
struct OneHierarchy(PathBuf);

impl Drop for OneHierarchy {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

/// -v reports what the run's own cgroups count, and makes none of its own: with a parent that
/// exists only in the pids hierarchy, `-v -p 5` works as `-p 5` does, and says which figures
/// it cannot give.
#[test]
fn verbose_makes_no_cgroup_the_run_does_not() {
    if !need_root() {
        return;
    }
    let Some(pids) = cgroup_v1_mount("pids") else { return skip("no cgroup v1 pids hierarchy") };
    let name = format!("runix-test-pids-only-{}", std::process::id());
    let _parent = OneHierarchy(pids.join(&name));
    fs::create_dir(pids.join(&name)).unwrap();
    let r = Root::busybox();
    let parent = format!("/{name}");
    for v in [&[][..], &["-v"]] {
        let mut args = vec!["run", "-r", r.s(), "--cgroup-parent", &parent, "-p", "5"];
        args.extend_from_slice(v);
        args.push("true");
        let o = run(&args);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        if !v.is_empty() {
            assert!(o.stderr.contains("(parent) peak memory not counted (no memory cgroup: -m makes one)\n"), "{}", o.stderr);
        }
    }
    // With a memory cgroup of the run's own, the figure is there.
    let o = run(&["run", "-v", "-r", r.s(), "-m", "64m", "true"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let peak = o.stderr.lines().find_map(|l| l.split("(parent) peak memory ").nth(1)).unwrap_or("");
    assert!(peak.ends_with(" KiB") && peak.trim_end_matches(" KiB").parse::<u64>().is_ok_and(|k| k > 0), "{}", o.stderr);
}

/// More CPUs than runix may run on is refused with the range (as Docker does); as many is
/// fine. Nothing is made either way but the run's own cgroup.
#[test]
fn cpus_beyond_the_machine_are_refused_with_the_range() {
    if !need_root() {
        return;
    }
    let n = std::thread::available_parallelism().unwrap().get();
    let r = Root::busybox();
    let o = run(&["run", "-r", r.s(), "--cpus", &format!("{}.5", n), "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, format!("runix: invalid --cpus (from 0.01 to at most the CPUs runix may run on): {n}\n").as_str()));
    assert!(!runix_cgroups().iter().any(|d| d.ends_with(format!("runix-{}", o.pid))));
    let o = run(&["run", "-r", r.s(), "--cpus", &n.to_string(), "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
}
