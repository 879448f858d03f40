//! runix's own stack: runix runs on a static stack of its own, so the deepest paths run under
//! any `ulimit -s` a shell can start with (16 KiB); the child's setup uses at most half of the
//! stack it is given.

mod common;
use common::*;
use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Where a stopped process's stacks are: each mapping of `size` bytes, read-write and
/// anonymous, right above a PROT_NONE page (runix's guard page), as [start, end).
fn guarded_stacks(pid: u32, size: u64) -> Vec<(u64, u64)> {
    let maps = fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let lines: Vec<(u64, u64, String)> = maps
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (range, perms) = (f.next()?, f.next()?);
            let (a, b) = range.split_once('-')?;
            let anon = f.nth(2) == Some("0") && f.next().is_none();
            Some((u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?, if anon { perms.to_string() } else { String::new() }))
        })
        .collect();
    lines.windows(2).filter(|w| w[0].2 == "---p" && w[0].1 - w[0].0 == 4096 && w[1].0 == w[0].1 && w[1].2 == "rw-p" && w[1].1 - w[1].0 == size).map(|w| (w[1].0, w[1].1)).collect()
}

/// How much of [start, end) a process has written: its pages come zero-filled and nothing of
/// runix's clears what a frame wrote, so the lowest non-zero word marks the deepest point.
fn used(pid: u32, (start, end): (u64, u64)) -> u64 {
    use std::io::{Read, Seek, SeekFrom};
    let mut mem = fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    mem.seek(SeekFrom::Start(start)).unwrap();
    let mut buf = vec![0u8; (end - start) as usize];
    mem.read_exact(&mut buf).unwrap();
    let first = buf.chunks(8).position(|w| w.iter().any(|&b| b != 0)).map_or(buf.len(), |i| i * 8);
    end - start - first as u64
}

/// Run runix under strace, which stops with SIGSTOP the first process that makes `syscall`
/// (made to fail, so that the process and its stack are still there); call `f` with that
/// process's pid, then end everything.
fn stopped_at<T>(syscall: &str, args: &[&str], f: impl FnOnce(u32) -> T) -> T {
    let log = std::env::temp_dir().join(format!("runix-stack-{}-{syscall}.log", std::process::id()));
    let mut child = Command::new("strace")
        .args(["-f", "-o"])
        .arg(&log)
        .args(["-e", &format!("trace={syscall}"), "-e", &format!("inject={syscall}:error=ENOENT:signal=SIGSTOP:when=1")])
        .arg(runix())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // strace's line for it: `PID --- stopped by SIGSTOP ---`.
    let pid = loop {
        let text = fs::read_to_string(&log).unwrap_or_default();
        if let Some(p) = text.lines().find(|l| l.ends_with("--- stopped by SIGSTOP ---")).and_then(|l| l.split(' ').next()?.parse().ok()) {
            break Some(p);
        }
        if start.elapsed() > Duration::from_secs(20) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let r = pid.map(f);
    let procs = descendants(child.id());
    for &p in &procs {
        // SAFETY: kill(2) has no memory preconditions.
        unsafe { libc::kill(p as i32, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = fs::remove_file(&log);
    // runix, killed, could not remove its cgroups: they go once the container is gone.
    let names: Vec<String> = procs.iter().map(|p| format!("runix-{p}")).collect();
    let start = Instant::now();
    loop {
        let left: Vec<_> = runix_cgroups().into_iter().filter(|d| d.file_name().is_some_and(|n| names.iter().any(|m| n == m.as_str()))).collect();
        if left.is_empty() || start.elapsed() > Duration::from_secs(5) {
            assert!(left.is_empty(), "cgroups left: {left:?}");
            break;
        }
        for d in left {
            let _ = fs::remove_dir(d);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    r.unwrap_or_else(|| panic!("{args:?}: no process stopped at {syscall}"))
}

/// The deepest point of the container's first process in runix's setup, read at its first
/// execve. With --init, the process that execs is the command's, on a stack of 64 KiB.
/// Returns (bytes used, stack size).
fn child_stack_use(args: &[String], init: bool) -> (u64, u64) {
    let size = if init { 64 * 1024 } else { 128 * 1024 };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let used = stopped_at("execve", &args, |p| {
        let stacks = guarded_stacks(p, size);
        assert_eq!(stacks.len(), 1, "{args:?}: {stacks:?}");
        used(p, stacks[0])
    });
    (used, size)
}

/// Every descendant of `pid`, children first.
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for t in fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten() {
            for k in fs::read_to_string(t.path().join("children")).unwrap_or_default().split_whitespace().filter_map(|k| k.parse().ok()) {
                out.push(k);
                todo.push(k);
            }
        }
    }
    out
}

#[test]
fn the_child_uses_at_most_half_of_its_stack() {
    if !need_root() {
        return;
    }
    let s = setup();
    for c in deep_paths(&s).into_iter().filter(|c| c.code == 0 && !c.userns) {
        let init = c.opts.iter().any(|o| o == "--init");
        let (used, size) = child_stack_use(&run_args(&s, &c, &[]), init);
        assert!(used > 0 && used * 2 <= size, "{:?}: the child used {used} of {size} bytes of stack", c.opts);
        eprintln!("{:?}: {used} of {size}", c.opts);
    }
}

/// The parent's own static stack (the first 64 KiB of .bss, runix's second PT_LOAD, in
/// linker/*.ld), read when it exits after --dry-run's deepest walk, in which it takes the
/// child's steps itself: at most half of it is used.
#[test]
fn the_parent_uses_at_most_half_of_its_stack() {
    if !need_root() {
        return;
    }
    let s = setup();
    let elf = fs::read(runix()).unwrap();
    let u64at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    let (phoff, phnum) = (u64at(0x20) as usize, u16::from_le_bytes([elf[0x38], elf[0x39]]) as usize);
    let loads: Vec<u64> = (0..phnum).map(|i| phoff + i * 56).filter(|&o| elf[o] == 1).map(|o| u64at(o + 16)).collect();
    let bss = loads[1];
    let bind = format!("{}:/mnt:ro", s.src.s());
    let args = ["run", "--dry-run", "-vv", "--trace", "-r", s.root.s(), "-u", "alice:users", "-p", "10", "-m", "32m", "-b", &bind, "--tmpfs", "/root", "--init", "true"];
    let size = 64 * 1024;
    let n = stopped_at("exit_group", &args, |p| used(p, (bss & !15, (bss & !15) + size)));
    assert!(n > 0 && n * 2 <= size, "the parent used {n} of {size} bytes of its stack");
    eprintln!("parent, --dry-run: {n} of {size}");
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
