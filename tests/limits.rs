//! Resource limits as root on this host's cgroups: what the container feels (OOM kill, CPU
//! throttling, cpuset), what lands in the cgroup files, what -v reports, how bad values are
//! refused, and that no runix-<pid> cgroup outlives its run.
//!
//! Other containers may run on the host meanwhile, so each test checks the cgroups named
//! after the runix processes it started, not the whole host. Every run is bounded in time, and
//! every allocating or forking one by a limit of its own (a pids limit, at most 2x memory).

mod common;
use common::*;
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OOM_32M: &str = "runix: container killed: out of memory (limit 32 MiB)\n";

/// dd's block buffer is one malloc of `bs` bytes, filled by read(2) from /dev/zero, so a
/// block of N bytes really uses N bytes (the -v peak in `an_allocation_under_the_limit_...`
/// shows it).
fn dd(bytes: &str) -> Vec<String> {
    ["dd", "if=/dev/zero", "of=/dev/null", &format!("bs={bytes}"), "count=1"].map(String::from).to_vec()
}

/// A fixed amount of CPU work: about 0.3 s of busybox sh on this machine.
const BUSY: &str = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";

fn args<'a>(root: &'a Root, opts: &[&'a str], cmd: &'a [String]) -> Vec<&'a str> {
    let mut a = vec!["run", "-r", root.s()];
    a.extend(opts);
    a.extend(cmd.iter().map(String::as_str));
    a
}

/// Whether the host swaps: then --memory-swap must equal -m, or a hog could survive in swap.
fn swap_on() -> bool {
    fs::read_to_string("/proc/swaps").unwrap().lines().count() > 1
}

fn assert_cleaned(o: &Out) {
    assert_eq!(left_by(o.pid), Vec::<PathBuf>::new(), "cgroups of runix {} left behind", o.pid);
}

/// runix `runix_pid`'s cgroup in the v1 hierarchy of `controller`: runix-<pid> under our own
/// cgroup there (runix is our child, so its cgroup is ours).
fn cgroup_dir(controller: &str, runix_pid: u32) -> PathBuf {
    let mount = cgroup_v1_mount(controller).unwrap_or_else(|| panic!("{controller} controller not mounted"));
    let cg = fs::read_to_string("/proc/self/cgroup").unwrap();
    let own = cg.lines().find(|l| l.split(':').nth(1).unwrap().split(',').any(|c| c == controller)).unwrap().splitn(3, ':').nth(2).unwrap();
    mount.join(own.trim_start_matches('/')).join(format!("runix-{runix_pid}"))
}

/// runix in the background: stdout dropped, stderr kept for `finish`.
fn start(a: &[&str]) -> Child {
    Command::new(runix()).args(a).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

/// The container's init, once it is in its cgroup `dir` and has executed `comm`.
fn init_in(dir: &PathBuf, comm: &str) -> String {
    for _ in 0..500 {
        let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        if let Some(pid) = procs.lines().next() {
            if fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().starts_with(comm) {
                return pid.to_string();
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no {comm} in {}", dir.display());
}

/// Wait at most `secs` for a background runix; (exit code, stderr).
fn finish(mut child: Child, secs: u64) -> (i32, String) {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("runix {} did not finish within {secs}s", child.id());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = child.wait_with_output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8(o.stderr).unwrap())
}

/// The number in the `-v` line that ends in `(parent) <what> N <unit>`.
fn logged(stderr: &str, what: &str, unit: &str) -> Option<u64> {
    let l = stderr.lines().find(|l| l.contains(" INFO  src/run.rs:") && l.contains(&format!(": (parent) {what} ")))?;
    l.rsplit_once(&format!("{what} "))?.1.strip_suffix(&format!(" {unit}"))?.parse().ok()
}

/// The mount point of the unified (v2) hierarchy.
fn cgroup2_mount() -> Option<PathBuf> {
    fs::read_to_string("/proc/self/mountinfo").unwrap().lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        let dash = f.iter().position(|&x| x == "-")?;
        (f[dash + 1] == "cgroup2").then(|| PathBuf::from(f[4]))
    })
}

/// runix in a private mount namespace where the given cgroup mounts are gone. unshare(1)
/// execs sh, which execs runix: the returned pid is runix's.
fn run_without(mounts: &[PathBuf], a: &[&str]) -> Out {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let umounts: Vec<String> = mounts.iter().map(|m| format!("umount {} && ", quote(m.to_str().unwrap()))).collect();
    let runix = quote(runix().to_str().unwrap());
    let script = format!("{}exec {runix} {}", umounts.concat(), a.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" "));
    run_cmd(Command::new("unshare").args(["-m", "--propagation", "private", "sh", "-c", &script]), "", 20)
}

#[test]
fn a_memory_hog_is_killed_and_said_so() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mut lim = vec!["-m", "32m", "-p", "20"];
    if swap_on() {
        lim.extend(["--memory-swap", "32m"]);
    }
    // 64 MiB: twice the limit, and harmless to the host if the limit did not hold.
    let hog = dd("64M");
    let o = run(&args(&r, &["-p", "20"], &hog));
    assert_eq!(o.code, 0, "the hog fits without -m: {}", o.stderr);
    let o = run(&args(&r, &lim, &hog));
    assert_eq!((o.code, o.stderr.as_str(), o.stdout.as_str()), (137, OOM_32M, ""));
    assert_cleaned(&o);
    // The limit as it was given: whole MiB, whole KiB, else bytes.
    for (m, said) in [("24000k", "24000 KiB"), ("20000000", "20000000 bytes")] {
        let mut lim = vec!["-m", m, "-p", "20"];
        if swap_on() {
            lim.extend(["--memory-swap", m]);
        }
        let o = run(&args(&r, &lim, &hog));
        assert_eq!((o.code, o.stderr.as_str()), (137, format!("runix: container killed: out of memory (limit {said})\n").as_str()));
        assert_cleaned(&o);
    }
    // The same from a shell that runs the hog as its child: the shell survives and says so.
    let sh = vec!["sh".to_string(), "-c".to_string(), format!("{}; echo $?", dd("64M").join(" "))];
    let o = run(&args(&r, &lim, &sh));
    assert_eq!((o.code, o.stdout.as_str()), (0, "137\n"), "{}", o.stderr);
    assert!(!o.stderr.contains("out of memory"), "init was not killed: {}", o.stderr);
    assert_cleaned(&o);
}

#[test]
fn an_allocation_under_the_limit_succeeds_and_really_allocates() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run(&args(&r, &["-m", "32m", "-p", "20", "-v"], &dd("16M")));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("1+0 records out"), "{}", o.stderr);
    // The cgroup's own count (memory.max_usage_in_bytes): the block was really in memory.
    let peak = logged(&o.stderr, "peak memory", "KiB").unwrap_or_else(|| panic!("no peak memory: {}", o.stderr));
    assert!((16 << 10..32 << 10).contains(&peak), "peak {peak} KiB for a 16 MiB block under a 32 MiB limit");
    assert!(!o.stderr.contains("out of memory"), "{}", o.stderr);
    assert_cleaned(&o);
    let o = run(&args(&r, &["-m", "32m", "-p", "20"], &dd("16M")));
    assert_eq!((o.code, o.stderr.as_str()), (0, "1+0 records in\n1+0 records out\n"));
}

#[test]
fn cpus_quarter_slows_a_busy_loop() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let busy = ["sh".to_string(), "-c".to_string(), BUSY.to_string()];
    let time = |opts: &[&str]| {
        let start = Instant::now();
        let o = run_in(&args(&r, opts, &busy), "", 30);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_cleaned(&o);
        start.elapsed()
    };
    // Other work on the host can slow a free run and shrink the ratio: the faster of two free
    // runs, and up to three tries. A limit that does not hold fails all three.
    let mut tries = Vec::new();
    for _ in 0..3 {
        let free = time(&["-p", "10"]).min(time(&["-p", "10"]));
        let limited = time(&["-p", "10", "--cpus", "0.25"]);
        tries.push((limited, free));
        if limited.as_secs_f64() >= 2.5 * free.as_secs_f64() {
            return;
        }
    }
    panic!("--cpus 0.25 not 2.5 times slower: (limited, unlimited): {tries:?}");
}

#[test]
fn cpuset_cpus_is_what_the_container_may_run_on() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let cmd = ["grep", "Cpus_allowed_list", "/proc/self/status"].map(String::from);
    let o = run(&args(&r, &["--cpuset-cpus", "0"], &cmd));
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "Cpus_allowed_list:\t0\n", ""));
    assert_cleaned(&o);
    // cpuset.mems alone: cpuset.cpus comes from the parent, so the task can join.
    let o = run(&args(&r, &["--cpuset-mems", "0"], &cmd));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let parent = fs::read_to_string(cgroup_dir("cpuset", o.pid).parent().unwrap().join("cpuset.cpus")).unwrap();
    assert_eq!(o.stdout, format!("Cpus_allowed_list:\t{parent}"));
    assert_cleaned(&o);
}

#[test]
fn limits_land_in_the_cgroup_files() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let sleep = ["sleep", "10"].map(String::from);
    let child = start(&args(&r, &["-m", "32m", "--memory-swap", "64m", "--cpu-shares", "512", "--cpus", "0.5", "-p", "10"], &sleep));
    let (mem, cpu) = (cgroup_dir("memory", child.id()), cgroup_dir("cpu", child.id()));
    let init = init_in(&mem, "sleep");
    let read = |d: &PathBuf, f: &str| fs::read_to_string(d.join(f)).unwrap_or_else(|e| format!("{f}: {e}"));
    let got = [
        read(&mem, "memory.limit_in_bytes"),
        read(&mem, "memory.memsw.limit_in_bytes"),
        read(&cpu, "cpu.shares"),
        read(&cpu, "cpu.cfs_quota_us"),
        read(&cpu, "cpu.cfs_period_us"),
        read(&cpu, "cgroup.procs"),
    ];
    // End the container, not runix: runix must live to remove the cgroups.
    Command::new("kill").args(["-KILL", &init]).status().unwrap();
    let (code, stderr) = finish(child, 10);
    assert_eq!(got, ["33554432\n", "67108864\n", "512\n", "50000\n", "100000\n", &format!("{init}\n")]);
    // Killed from outside, with a memory limit: no OOM message.
    assert_eq!((code, stderr.as_str()), (137, ""));
    assert!(!mem.exists() && !cpu.exists(), "cgroups left behind");
}

#[test]
fn verbose_reports_peak_memory_and_cpu_time() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let cmd = ["sh".to_string(), "-c".to_string(), format!("{} 2>/dev/null; {BUSY}", dd("8M").join(" "))];
    // Each figure where the run's own cgroups count it (-v makes none of its own): memory with
    // -m, CPU time with a cpu limit where v1 has cpuacct on the cpu hierarchy (cpu,cpuacct).
    let cpuacct = cgroup_v1_mount("cpu").is_some() && cgroup_v1_mount("cpu") == cgroup_v1_mount("cpuacct");
    for (opts, counted) in [(&["-m", "32m", "-p", "20", "-v"][..], (true, false)), (&["-p", "20", "-v"], (false, false)), (&["--cpus", "1.5", "-p", "20", "-v"], (false, cpuacct))] {
        let o = run_in(&args(&r, opts, &cmd), "", 30);
        assert_eq!(o.code, 0, "{opts:?}: {}", o.stderr);
        let peak = logged(&o.stderr, "peak memory", "KiB");
        let cpu = logged(&o.stderr, "cpu time", "ms");
        assert_eq!(peak.is_some_and(|p| p >= 8 << 10), counted.0, "{opts:?}: peak {peak:?} KiB: {}", o.stderr);
        assert_eq!(cpu.is_some_and(|c| c >= 50), counted.1, "{opts:?}: cpu {cpu:?} ms: {}", o.stderr);
        assert_eq!(o.stderr.contains("peak memory not counted"), !counted.0, "{}", o.stderr);
        assert_eq!(o.stderr.contains("cpu time not counted"), !counted.1, "{}", o.stderr);
        // The OOM message is not a log line, and -v does not turn a normal end into one.
        assert!(!o.stderr.contains("out of memory"), "{}", o.stderr);
        assert_cleaned(&o);
    }
    // Without -v, a run with limits says nothing.
    let o = run(&args(&r, &["-m", "32m", "-p", "20"], &["true".to_string()]));
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
}

#[test]
fn bad_values_are_refused_and_leave_nothing() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mem = "runix: invalid --memory (want bytes with k, m or g, from 1): ";
    let swap = "runix: invalid --memory-swap (want bytes with k, m or g, or -1): ";
    let cpus = "runix: invalid --cpus (want a decimal from 0.01): ";
    let shares = "runix: invalid --cpu-shares (2 to 262144): ";
    let list = "runix: invalid cpu or memory-node list (want e.g. 0-1,3): ";
    let refused = "runix: cgroup refused the value (outside what the parent cgroup or the machine allows?): ";
    let cases: &[(&[&str], String)] = &[
        (&["-m", "0"], format!("{mem}0\n")),
        (&["-m", "-1"], format!("{mem}-1\n")),
        (&["-m", "12x"], format!("{mem}12x\n")),
        (&["-m", "1.5m"], format!("{mem}1.5m\n")),
        (&["-m", "32mi"], format!("{mem}32mi\n")),
        (&["-m", "m"], format!("{mem}m\n")),
        (&["-m", "32m", "--memory-swap", "0"], format!("{swap}0\n")),
        (&["-m", "32m", "--memory-swap", "-2"], format!("{swap}-2\n")),
        (&["-m", "32m", "--memory-swap", "64t"], format!("{swap}64t\n")),
        (&["-m", "32m", "--memory-swap", "16m"], "runix: --memory-swap below --memory (it counts memory plus swap): 16 MiB < 32 MiB\n".into()),
        (&["--memory-swap", "64m"], "runix: memory-swap limit without a memory limit\n".into()),
        (&["--cpus", "0"], format!("{cpus}0\n")),
        (&["--cpus", "0.0"], format!("{cpus}0.0\n")),
        (&["--cpus", "-1"], format!("{cpus}-1\n")),
        (&["--cpus", "0.001"], format!("{cpus}0.001\n")),
        (&["--cpus", "1.5x"], format!("{cpus}1.5x\n")),
        (&["--cpus", ".5"], format!("{cpus}.5\n")),
        (&["--cpu-shares", "0"], format!("{shares}0\n")),
        (&["--cpu-shares", "-5"], format!("{shares}-5\n")),
        (&["--cpu-shares", "1k"], format!("{shares}1k\n")),
        (&["--cpu-shares", "262145"], format!("{shares}262145\n")),
        (&["-p", "0"], "runix: invalid --pids (want a whole number from 1): 0\n".into()),
        (&["-p", "-1"], "runix: invalid --pids (want a whole number from 1): -1\n".into()),
        (&["--cpuset-cpus", "1-0"], format!("{list}1-0\n")),
        (&["--cpuset-cpus", "0 1"], format!("{list}0 1\n")),
        (&["--cpuset-mems", ""], "runix: invalid cpu or memory-node list (want e.g. 0-1,3)\n".into()),
        // Syntax the kernel must judge: CPUs and nodes this machine (the parent) lacks.
        (&["--cpuset-cpus", "99"], format!("{refused}CPUSET/cpuset.cpus=99\n")),
        (&["-m", "32m", "-p", "5", "--cpuset-cpus", "0-99"], format!("{refused}CPUSET/cpuset.cpus=0-99\n")),
        (&["--cpuset-mems", "63"], format!("{refused}CPUSET/cpuset.mems=63\n")),
        (&["-p", "5", "--cgroup-parent", "/limits-test-no-such-parent"], format!("runix: cgroup parent does not exist: {}/limits-test-no-such-parent\n", cgroup_v1_mount("pids").unwrap().display())),
    ];
    for (opts, want) in cases {
        let o = run(&args(&r, opts, &["true".to_string()]));
        assert_eq!((o.code, o.stdout.as_str()), (125, ""), "{opts:?}: {}", o.stderr);
        assert_eq!(o.stderr, want.replace("CPUSET", cgroup_dir("cpuset", o.pid).to_str().unwrap()), "{opts:?}");
        assert_cleaned(&o);
    }
}

/// A cgroup made for a test in one v1 hierarchy, removed on drop.
struct TestCgroup(PathBuf);

impl Drop for TestCgroup {
    fn drop(&mut self) {
        // A runix-PID cgroup a failed run left inside would keep this one: children first.
        if let Ok(entries) = fs::read_dir(&self.0) {
            for e in entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())) {
                let _ = fs::remove_dir(e.path());
            }
        }
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn cpus_outside_the_parents_cpuset_are_refused() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let name = format!("limits-test-{}", std::process::id());
    let parent = TestCgroup(cgroup_v1_mount("cpuset").unwrap().join(&name));
    fs::create_dir(&parent.0).unwrap();
    let at = format!("/{name}");
    let status = ["grep", "Cpus_allowed_list", "/proc/self/status"].map(String::from);
    let refused = |o: &Out, file: &str, v: &str| {
        let dir = parent.0.join(format!("runix-{}", o.pid));
        let want = format!("runix: cgroup refused the value (outside what the parent cgroup or the machine allows?): {}/{file}={v}\n", dir.display());
        assert_eq!((o.code, o.stderr.as_str()), (125, want.as_str()));
        assert_cleaned(o);
    };
    // A new v1 cpuset allows nothing until it is given CPUs and nodes.
    let o = run(&args(&r, &["--cgroup-parent", &at, "--cpuset-cpus", "0"], &status));
    refused(&o, "cpuset.cpus", "0");
    fs::write(parent.0.join("cpuset.cpus"), "0").unwrap();
    fs::write(parent.0.join("cpuset.mems"), "0").unwrap();
    let o = run(&args(&r, &["--cgroup-parent", &at, "--cpuset-cpus", "1"], &status));
    refused(&o, "cpuset.cpus", "1");
    let o = run(&args(&r, &["--cgroup-parent", &at, "--cpuset-cpus", "0"], &status));
    assert_eq!((o.code, o.stdout.as_str()), (0, "Cpus_allowed_list:\t0\n"), "{}", o.stderr);
    // Without --cpuset-cpus, the parent's.
    let o = run(&args(&r, &["--cgroup-parent", &at, "--cpuset-mems", "0"], &status));
    assert_eq!((o.code, o.stdout.as_str()), (0, "Cpus_allowed_list:\t0\n"), "{}", o.stderr);
    assert_cleaned(&o);
}

#[test]
fn a_controller_the_host_lacks_is_named() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // No host lets its controllers be unmounted for a test: a private mount namespace does.
    // With the v1 hierarchy gone, runix would need the controller on cgroup v2, where this
    // hybrid host binds none (they are v1's); hosts that offer them on v2 skip the case.
    let v2 = cgroup2_mount().map(|m| fs::read_to_string(m.join("cgroup.controllers")).unwrap_or_default()).unwrap_or_default();
    for (controller, opts) in [("memory", &["-m", "32m", "-p", "5"][..]), ("cpu", &["--cpus", "0.5"]), ("cpuset", &["--cpuset-cpus", "0", "-m", "32m"]), ("pids", &["-p", "5"])] {
        if v2.split_whitespace().any(|c| c == controller) {
            skip(&format!("{controller} is offered on cgroup v2 here: not a missing controller"));
            continue;
        }
        let mount = cgroup_v1_mount(controller).unwrap();
        let o = run_without(&[mount], &args(&r, opts, &["true".to_string()]));
        assert_eq!((o.code, o.stdout.as_str()), (125, ""), "{controller}: {}", o.stderr);
        assert_eq!(o.stderr, format!("runix: cgroup controller not available: {controller}\n"));
        assert_cleaned(&o);
    }
    // No cgroup2 either: refused before anything is made.
    let gone: Vec<PathBuf> = [cgroup_v1_mount("memory").unwrap()].into_iter().chain(cgroup2_mount()).collect();
    let o = run_without(&gone, &args(&r, &["-p", "5", "-m", "32m"], &["true".to_string()]));
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: cgroup controller not available: memory\n"));
    assert_cleaned(&o);
}

#[test]
fn pids_on_cgroup_v2() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let Some(v2) = cgroup2_mount() else {
        return skip("no cgroup2 mounted");
    };
    let pids = cgroup_v1_mount("pids").unwrap();
    // 12 background sleeps: under -p 6 some forks fail.
    let script = ["sh".to_string(), "-c".to_string(), "i=0; while [ $i -lt 12 ]; do sleep 2 & i=$((i+1)); done; kill $(jobs -p); exit 0".to_string()];
    let o = run_without(&[pids], &args(&r, &["-p", "6"], &script));
    if fs::read_to_string(v2.join("cgroup.controllers")).unwrap().split_whitespace().any(|c| c == "pids") {
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stderr.contains("can't fork"), "no fork failed under -p 6 on v2: {}", o.stderr);
    } else {
        // This hybrid host: pids is bound to its v1 hierarchy (mounted in the host's
        // namespace), so the kernel cannot give it to v2 (cgroup.subtree_control says ENOENT).
        assert_eq!((o.code, o.stderr.as_str()), (125, "runix: cgroup controller not available: pids\n"));
    }
    assert!(!v2.join(format!("runix-{}", o.pid)).exists());
    assert_cleaned(&o);
}

#[test]
fn fifty_runs_leave_no_cgroup() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let lim = ["-p", "8", "-m", "32m", "--cpus", "1", "--cpu-shares", "256", "--cpuset-cpus", "0"];
    for i in 0..50 {
        let cmd: Vec<String> = match i % 10 {
            0 | 1 => vec!["true".into()],
            2 => vec!["sh".into(), "-c".into(), "exit 3".into()],
            3 => vec!["sh".into(), "-c".into(), "sleep 5 & sleep 5 & exit 0".into()],
            4 => vec!["no-such-command".into()],
            5 => vec!["true".into()], // with a bad cpuset
            6 => dd("64M"),
            7 => vec!["sleep".into(), "10".into()], // killed from outside
            8 => vec!["sh".into(), "-c".into(), format!("{}; exit 0", dd("64M").join(" "))],
            _ => vec!["sh".into(), "-c".into(), "echo hi".into()],
        };
        let mut opts = lim.to_vec();
        if i % 10 == 5 {
            opts.extend(["--cpuset-cpus", "7-9"]);
        }
        let a = args(&r, &opts, &cmd);
        let (code, stderr, pid) = if i % 10 == 7 {
            let child = start(&a);
            let pid = child.id();
            let init = init_in(&cgroup_dir("pids", pid), "sleep");
            Command::new("kill").args(["-KILL", &init]).status().unwrap();
            let (code, stderr) = finish(child, 10);
            (code, stderr, pid)
        } else {
            let o = run(&a);
            (o.code, o.stderr, o.pid)
        };
        let want = match i % 10 {
            2 => 3,
            4 => 127,
            5 => 125,
            6 | 7 => 137,
            _ => 0,
        };
        assert_eq!(code, want, "run {i} {cmd:?}: {stderr}");
        assert_eq!(stderr == OOM_32M, i % 10 == 6, "run {i} {cmd:?}: {stderr}");
        assert_eq!(left_by(pid), Vec::<PathBuf>::new(), "run {i} {cmd:?} left cgroups");
    }
}

/// A privileged container may make cgroups of its own under its cgroup namespace's root (a
/// nested runtime, systemd): runix removes them, children first, with what runs in them.
#[test]
fn cgroups_a_privileged_container_made_go_too() {
    if !need_root() {
        return;
    }
    if cgroup_v1_mount("pids").is_none() {
        return skip("no cgroup v1 pids hierarchy");
    }
    let r = Root::busybox();
    let script = "mkdir /tmp/cg && mount -t cgroup -o pids none /tmp/cg && mkdir -p /tmp/cg/a/b || exit 9; sleep 30 & echo $! > /tmp/cg/a/b/cgroup.procs && grep -o ':pids:.*' /proc/$!/cgroup; exit 4".to_string();
    let cmd = ["sh".to_string(), "-c".to_string(), script];
    let o = run(&args(&r, &["--privileged", "-p", "10"], &cmd));
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (4, ":pids:/a/b\n", ""));
    assert_cleaned(&o);
}
