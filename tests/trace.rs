//! --trace, --dry-run and docs/sequence.md: the printed sequence is the real one, and the
//! documented one is the printed one.

mod common;
use common::*;
use std::collections::HashMap;
use std::fs;
use std::process::Command;

/// The syscall names in a --trace output, per side, up to and including the child's execve.
fn traced(stderr: &str) -> (Vec<String>, Vec<String>) {
    let (mut parent, mut child) = (Vec::new(), Vec::new());
    for l in stderr.lines() {
        let (side, rest) = if let Some(r) = l.strip_prefix("[parent] ") {
            (&mut parent, r)
        } else if let Some(r) = l.strip_prefix("[child] ") {
            (&mut child, r)
        } else {
            continue;
        };
        if rest.starts_with("<...") {
            continue; // the end of a call already listed
        }
        side.push(rest[..rest.find('(').unwrap()].to_string());
    }
    (parent, child)
}

/// The same from `strace -f -o FILE`: per pid, the syscall names, minus strace's own execve of
/// runix and runix's writes of trace lines to stderr (those are not traced, or they would
/// trace themselves).
fn straced(log: &str) -> (u32, HashMap<u32, Vec<String>>) {
    let first = log.split(' ').next().unwrap().parse().unwrap();
    let mut by_pid: HashMap<u32, Vec<String>> = HashMap::new();
    for l in log.lines() {
        let Some((pid, rest)) = l.split_once(' ') else { continue };
        let rest = rest.trim_start();
        if rest.starts_with("<...") || rest.starts_with("---") || rest.starts_with("+++") {
            continue;
        }
        let Some(open) = rest.find('(') else { continue };
        let name = &rest[..open];
        if name == "write" && rest.starts_with("write(2, \"[") {
            continue;
        }
        by_pid.entry(pid.parse().unwrap()).or_default().push(name.to_string());
    }
    (first, by_pid)
}

#[test]
fn trace_lists_what_strace_sees() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // In a directory of its own, removed on drop, whether or not the test passes.
    let logs = Root::empty();
    let log = logs.path.join("strace");
    let o = run_cmd(Command::new("strace").args(["-f", "-qq", "-o", log.to_str().unwrap()]).arg(runix()).args(["run", "--trace", "-r", r.s(), "-p", "9", "/bin/true"]), "", 30);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (parent, child) = traced(&o.stderr);
    let strace = fs::read_to_string(&log).unwrap();
    // The parent is the pid of the first line: strace's execve of runix itself.
    let (ppid, by_pid) = straced(&strace);
    assert_eq!(by_pid.len(), 2, "two processes before the command's execve: {strace}");
    let cpid = *by_pid.keys().find(|&&p| p != ppid).unwrap();
    assert_eq!(by_pid[&ppid][0], "execve");
    let sparent = &by_pid[&ppid][1..];
    assert_eq!(sparent, &parent[..], "parent\nstrace: {sparent:?}\ntrace:  {parent:?}");
    // The child: everything up to the command's execve (after it, the command's own calls).
    let schild = &by_pid[&cpid];
    let upto = schild.iter().position(|n| n == "execve").unwrap() + 1;
    assert_eq!(&schild[..upto], &child[..], "child\nstrace: {schild:?}\ntrace:  {child:?}");
    assert!(parent.contains(&"clone".to_string()) && child.last().map(String::as_str) == Some("execve"));
    // Decoded the way strace shows them.
    for want in [
        "\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0",
        "[child] mount(\"proc\", \".\", \"proc\"",
        "[child] mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) = 0",
        "[child] pivot_root(\".\", \".\") = 0",
        "[child] umount2(\".\", MNT_DETACH) = 0",
        "[parent] clone(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET|SIGCHLD, 0x",
        "[parent] write(4, \"9\", 1) = 1",
    ] {
        assert!(o.stderr.contains(want), "missing {want:?} in\n{}", o.stderr);
    }
}

#[test]
fn trace_shows_errors_with_errno_names() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run(&["run", "--trace", "-r", r.s(), "nope"]);
    assert_eq!(o.code, 127);
    assert!(o.stderr.contains("[child] <... execve resumed> = -1 ENOENT (No such file or directory)"), "{}", o.stderr);
    assert!(o.stderr.contains("[child] execve(\"/usr/local/sbin/nope\", [\"nope\"], [/* 3 vars */]) = ?"), "{}", o.stderr);
    assert!(o.stderr.contains("\nrunix: execve(nope): No such file or directory\n"), "{}", o.stderr);
    assert!(o.stderr.ends_with("[parent] exit_group(127) = ?\n"), "{}", o.stderr);
}

#[test]
fn trace_is_silent_when_off() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run(&["run", "-r", r.s(), "-p", "3", "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
}

/// `runix run --trace ... 2>&1 | head`: once the reader is gone, every trace line fails with
/// EPIPE. runix goes on, runs the command, removes its cgroups and exits with its status;
/// SIGPIPE must not kill it with cgroups made and not yet removed.
#[test]
fn a_closed_stderr_does_not_kill_runix() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(runix())
        .args(["run", "--trace", "-r", r.s(), "-p", "20", "-m", "64m", "sh", "-c", "exit 3"])
        .stdin(std::process::Stdio::null())
        .stderr(writer)
        .spawn()
        .unwrap();
    started(child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("runix did not finish in 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!((status.code(), status.signal()), (Some(3), None));
    before.assert_unchanged("runix left something behind");
}

/// --dry-run as an unprivileged user: it needs no root, makes nothing, and prints the plan.
#[test]
fn dry_run_makes_nothing_and_needs_no_root() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    let o = run_cmd(Command::new("setpriv").args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(runix()).args(["run", "--dry-run", "-r", r.s(), "-p", "20", "--hostname", "dry", "/bin/sh"]), "", 20);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "");
    // Without root, the container gets a user namespace too.
    assert!(o.stderr.contains("[parent] clone(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|SIGCHLD, "), "{}", o.stderr);
    assert!(o.stderr.contains("[child] sethostname(\"dry\", 3)\n"), "{}", o.stderr);
    assert!(o.stderr.contains("[child] execve(\"/bin/sh\", [\"/bin/sh\"], [/* 3 vars */])\n"));
    assert!(o.stderr.contains("[parent] unlinkat(AT_FDCWD, "));
    before.assert_unchanged("--dry-run changed the host");
    // As root too: still nothing is made.
    let o = run(&["run", "--dry-run", "-r", r.s(), "-p", "20", "/bin/sh"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    before.assert_unchanged("--dry-run changed the host");
    // Bad input is still found.
    let o = run(&["run", "--dry-run", "-r", "/no/such", "sh"]);
    assert_eq!(o.code, 125);
    assert!(o.stderr.contains("\nrunix: rootfs(/no/such): No such file or directory\n"), "{}", o.stderr);
    assert!(!o.stderr.contains("clone("), "{}", o.stderr);
}

/// This test process's cgroup of a v1 controller (runix nests its cgroup there), and the
/// name docs/sequence.md gives it.
fn own_dir(controller: &str) -> (String, String) {
    let own = fs::read_to_string("/proc/self/cgroup").unwrap().lines().find(|l| l.split(':').nth(1).unwrap().split(',').any(|c| c == controller)).unwrap().splitn(3, ':').nth(2).unwrap().to_string();
    let mount = cgroup_v1_mount(controller).unwrap();
    let dir = mount.join(own.trim_start_matches('/'));
    (dir.to_str().unwrap().trim_end_matches('/').to_string(), format!("/sys/fs/cgroup/{controller}"))
}

/// --dry-run output made machine-independent: results, addresses, pids and paths replaced,
/// repeated reads of one file folded into one line.
fn normalize(out: &str, root: &str, cgroups: &[(String, String)]) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for l in out.lines().filter(|l| l.starts_with('[')) {
        let mut l = l.to_string();
        if let Some(i) = l.find(") = ") {
            l.truncate(i + 1);
        }
        l = l.replace(&format!("\"{root}\""), "\"fs/busybox\"");
        for (dir, name) in cgroups {
            l = l.replace(&format!("{dir}/runix-"), &format!("{name}/runix-")).replace(&format!("\"{dir}\""), &format!("\"{name}\""));
        }
        let mut s = String::new();
        let mut rest = l.as_str();
        while let Some(i) = rest.find("0x").or_else(|| rest.find("runix-")) {
            s.push_str(&rest[..i]);
            let (tag, skip) = if rest[i..].starts_with("0x") { ("0x…", 2) } else { ("runix-PID", 6) };
            s.push_str(tag);
            rest = rest[i + skip..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        }
        s.push_str(rest);
        if let Some(i) = s.find("] read(") {
            s.truncate(i + 7);
            s.push_str("…)");
        }
        if lines.last() != Some(&s) {
            lines.push(s);
        }
    }
    lines
}

#[test]
fn docs_sequence_is_what_dry_run_prints() {
    let doc = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sequence.md")).unwrap();
    // The documented command, and every ```syscalls block in order.
    let cmd_line = doc.lines().find_map(|l| l.strip_prefix("    $ runix ")).expect("docs/sequence.md names its command");
    let mut documented = Vec::new();
    let mut inside = false;
    for l in doc.lines() {
        match (inside, l) {
            (false, "```syscalls") => inside = true,
            (true, "```") => inside = false,
            (true, l) => documented.push(l.to_string()),
            _ => {}
        }
    }
    assert!(documented.len() > 20, "too few documented steps");
    if cgroup_v1_mount("pids").is_none() || cgroup_v1_mount("devices").is_none() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: needs the v1 pids and devices cgroups");
        return;
    }
    let r = Root::busybox();
    let args: Vec<String> = cmd_line.split(' ').map(|a| if a == "fs/busybox" { r.s().to_string() } else { a.to_string() }).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let printed = normalize(&o.stderr, r.s(), &[own_dir("pids"), own_dir("devices")]);
    if printed != documented {
        panic!("docs/sequence.md and `runix {cmd_line}` disagree. Printed now:\n{}", printed.join("\n"));
    }
}
