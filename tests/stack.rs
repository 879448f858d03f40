//! runix's own stack: runix runs on a static stack of its own, so the deepest paths run under
//! any `ulimit -s` a shell can start with (16 KiB); the child's setup uses at most half of the
//! stack it is given.

mod common;
use common::*;
use std::fs;
use std::process::Command;

/// A root with a user and a group to look up and mount points for binds and a tmpfs; a bind
/// source; a seccomp program.
struct Setup {
    root: Root,
    src: Root,
    bpf: Root,
}

fn setup() -> Setup {
    let root = Root::busybox();
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:100:Alice:/home/alice:/bin/sh\n", 0o644);
    root.file("etc/group", "root:x:0:\ntty:x:5:\nusers:x:100:alice\n", 0o644);
    for d in ["mnt", "root"] {
        fs::create_dir_all(root.path.join(d)).unwrap();
    }
    let src = Root::empty();
    src.file("f", "hi\n", 0o644);
    // A seccomp program of one instruction: return SECCOMP_RET_ALLOW.
    let bpf = Root::empty();
    fs::write(bpf.path.join("allow.bpf"), [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]).unwrap();
    Setup { root, src, bpf }
}

/// One run: its options, the command's shell script, whether it needs a user namespace, and
/// the exit status and stdout it must end with.
struct Case {
    opts: Vec<String>,
    script: &'static str,
    userns: bool,
    code: i32,
    stdout: &'static str,
}

/// The paths that go deepest in runix's parent and child: logging, tracing, user and group
/// lookups, the overlay, cgroup limits, binds and tmpfs, --init, a seccomp file, a user
/// namespace, all of them together, and a failure after the clone.
fn deep_paths(s: &Setup) -> Vec<Case> {
    let bind = format!("{}:/mnt", s.src.s());
    let bind_ro = format!("{}:/tmp:ro", s.src.s());
    let bpf = s.bpf.path.join("allow.bpf").display().to_string();
    let limits = ["-p", "10", "-m", "32m", "--cpus", "1"];
    let case = |opts: &[&str], script, userns, code, stdout| Case { opts: opts.iter().map(|o| o.to_string()).collect(), script, userns, code, stdout };
    vec![
        case(&[], "echo ok", false, 0, "ok\n"),
        case(&["-v"], "echo ok", false, 0, "ok\n"),
        case(&["-vv"], "echo ok", false, 0, "ok\n"),
        case(&["--trace"], "echo ok", false, 0, "ok\n"),
        case(&["-u", "alice:users"], "id -u; id -g", false, 0, "1000\n100\n"),
        case(&["--overlay"], "echo new > /new && cat /new", false, 0, "new\n"),
        case(&limits, "echo ok", false, 0, "ok\n"),
        case(&["-b", &bind, "-b", &bind_ro, "--tmpfs", "/root:size=1m"], "cat /mnt/f /tmp/f", false, 0, "hi\nhi\n"),
        case(&["--init"], "echo ok", false, 0, "ok\n"),
        case(&["--seccomp", &bpf], "echo ok", false, 0, "ok\n"),
        case(&["--userns", "-u", "alice", "-b", &bind], "id -u; cat /mnt/f", true, 0, "1000\nhi\n"),
        case(
            &["-vv", "--trace", "-u", "alice:users", "--overlay", "-p", "10", "-m", "32m", "--cpus", "1", "-b", &bind_ro, "--tmpfs", "/root", "--init"],
            "id -u; cat /tmp/f",
            false,
            0,
            "1000\nhi\n",
        ),
        case(&["-p", "10", "-b", "/nonexistent-runix-bind:/mnt"], "echo ok", false, 125, ""),
    ]
}

/// runix with `args` under `ulimit -s KIB`. With `userns`, in a mount namespace of its own
/// whose /etc is a tmpfs that gives root a range of subordinate ids, so the host's /etc/subuid
/// is never touched.
fn run_limited(kib: u32, userns: bool, args: &[String]) -> Out {
    let limit = format!("ulimit -s {kib} && exec \"$0\" \"$@\"");
    let mut cmd = if userns {
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh", "-c"]);
        c.arg(format!("mount -t tmpfs runix-test /etc && echo 0:400000:65536 >/etc/subuid && echo 0:400000:65536 >/etc/subgid && {limit}"));
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &limit]);
        c
    };
    cmd.arg(runix()).args(args).env("TERM", "xterm-test");
    run_cmd(&mut cmd, "", 30)
}

fn run_args(s: &Setup, c: &Case, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["run", "-r", s.root.s()].map(String::from).to_vec();
    a.extend(extra.iter().map(|e| e.to_string()));
    a.extend(c.opts.iter().cloned());
    a.extend(["sh", "-c", c.script].map(String::from));
    a
}

/// No `runix-<pid>` cgroup of this run is left.
fn assert_cleaned(o: &Out) {
    let name = format!("runix-{}", o.pid);
    let left: Vec<_> = runix_cgroups().into_iter().filter(|p| p.file_name().unwrap() == name.as_str()).collect();
    assert!(left.is_empty(), "cgroups of runix {} left behind: {left:?}", o.pid);
}

fn userns_off() -> bool {
    fs::read_to_string("/proc/sys/user/max_user_namespaces").is_ok_and(|n| n.trim() == "0")
}

#[test]
fn the_deepest_paths_run_under_a_16_kib_stack_limit() {
    if !need_root() {
        return;
    }
    let s = setup();
    for c in deep_paths(&s) {
        if c.userns && userns_off() {
            skip("user namespaces are off (user.max_user_namespaces = 0)");
            continue;
        }
        let args = run_args(&s, &c, &[]);
        let o = run_limited(16, c.userns, &args);
        assert_eq!((o.code, o.stdout.as_str()), (c.code, c.stdout), "{args:?}: {}", o.stderr);
        if c.code == 125 {
            assert_eq!(o.stderr, "runix: bind source(/nonexistent-runix-bind): No such file or directory\n");
        }
        assert_cleaned(&o);
    }
    // The parent runs the child's steps itself under --dry-run; --help fills its text at once.
    let bind = format!("{}:/mnt:ro", s.src.s());
    let dry = ["run", "--dry-run", "-r", s.root.s(), "-u", "1000:100", "-p", "10", "-b", &bind, "--tmpfs", "/root", "true"];
    let o = run_limited(16, false, &dry.map(String::from));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("[child] seccomp(SECCOMP_SET_MODE_FILTER") && o.stderr.contains("[child] execve(\"/usr/local/sbin/true\""), "{}", o.stderr);
    assert!(!o.stderr.contains("runix:"), "{}", o.stderr);
    let o = run_limited(16, false, &["--help".to_string()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("usage: runix run") && o.stdout.contains("--rootfs"), "{}", o.stdout);
}

/// `(child) stack used N bytes`, which -vv logs just before the command's execve: the child's
/// deepest point in runix's setup, from the top of the stack runix gave it.
fn stack_reports(stderr: &str) -> Vec<u64> {
    stderr.lines().filter_map(|l| l.split("(child) stack used ").nth(1)?.strip_suffix(" bytes")?.parse().ok()).collect()
}

#[test]
fn the_child_uses_at_most_half_of_its_stack() {
    if !need_root() {
        return;
    }
    let s = setup();
    for c in deep_paths(&s).into_iter().filter(|c| c.code == 0) {
        if c.userns && userns_off() {
            skip("user namespaces are off (user.max_user_namespaces = 0)");
            continue;
        }
        let args = run_args(&s, &c, &["-vv"]);
        let o = run_limited(8192, c.userns, &args);
        assert_eq!((o.code, o.stdout.as_str()), (c.code, c.stdout), "{args:?}: {}", o.stderr);
        let reports = stack_reports(&o.stderr);
        // The container's first process; with --init, the command's own process is the one
        // that execs.
        let size = if c.opts.iter().any(|o| o == "--init") { 64 * 1024 } else { 128 * 1024 };
        assert_eq!(reports.len(), 1, "{args:?}: {}", o.stderr);
        let used = reports[0];
        assert!(used > 0 && used * 2 <= size, "{args:?}: the child used {used} of {size} bytes of stack");
        eprintln!("{:?}: {used} of {size}", c.opts);
    }
}

/// A privileged container that left cgroups of its own, eight deep, with a process in the
/// deepest: runix removes them all, children first, on the same small stack.
#[test]
fn nested_cgroups_go_under_a_16_kib_stack_limit() {
    if !need_root() {
        return;
    }
    if cgroup_v1_mount("pids").is_none() {
        return skip("no cgroup v1 pids hierarchy");
    }
    let s = setup();
    let deep = "/tmp/cg/a/b/c/d/e/f/g/h";
    let script = format!("mount -t cgroup -o pids none /tmp/cg && mkdir -p {deep} /tmp/cg/a/x || exit 9; sleep 30 & echo $! > {deep}/cgroup.procs; exit 4");
    let c = Case { opts: ["--privileged", "-p", "10", "--tmpfs", "/tmp"].map(String::from).to_vec(), script: "", userns: false, code: 4, stdout: "" };
    let mut args = run_args(&s, &c, &[]);
    *args.last_mut().unwrap() = format!("mkdir /tmp/cg && {script}");
    let o = run_limited(16, false, &args);
    assert_eq!((o.code, o.stderr.as_str()), (4, ""), "{args:?}");
    assert_cleaned(&o);
}
