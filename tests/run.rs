//! `runix run` as root against busybox roots built here: the foundation's behaviour, checked
//! from inside the container and from the host.

mod common;
use common::*;
use std::fs;
use std::time::Duration;

#[test]
fn binary_is_static_and_within_budget() {
    let bin = fs::read(runix()).unwrap();
    assert!(bin.len() <= 131072, "runix is {} bytes, over the 131072-byte budget", bin.len());
    assert_eq!(&bin[..4], b"\x7fELF");
    // Program headers: e_phoff at 0x20, e_phentsize at 0x36, e_phnum at 0x38 (ELF64).
    let u16at = |o: usize| u16::from_le_bytes([bin[o], bin[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(bin[0x20..0x28].try_into().unwrap()) as usize;
    let (size, n) = (u16at(0x36), u16at(0x38));
    let types: Vec<u32> = (0..n).map(|i| u32::from_le_bytes(bin[phoff + i * size..][..4].try_into().unwrap())).collect();
    assert!(!types.contains(&3), "PT_INTERP present: dynamically linked");
    assert!(!types.contains(&2), "PT_DYNAMIC present: dynamically linked");
    assert!(types.contains(&1), "no PT_LOAD at all?");
    assert!(!bin.windows(5).any(|w| w == b"GLIBC"), "glibc symbols linked in");
}

#[test]
fn pid_1_hostname_and_only_its_own_processes() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    let o = run(&["run", "-r", r.s(), "/bin/sh", "-c", "echo $$; hostname; ps -o pid,comm; true"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[..3], ["1", "container", "PID   COMMAND"], "{}", o.stdout);
    // Only the container's processes: its init (the shell) and ps itself.
    let procs: Vec<(&str, &str)> = lines[3..].iter().map(|l| l.trim().split_once(' ').unwrap()).collect();
    assert_eq!(procs.len(), 2, "{}", o.stdout);
    assert_eq!(procs[0], ("1", "sh"));
    assert_eq!(procs[1].1, "ps");
    assert_eq!(o.stderr, "");
    let o = run(&["run", "-r", r.s(), "--hostname", "box7", "hostname"]);
    assert_eq!(o.stdout, "box7\n");
    before.assert_unchanged("the host changed");
}

#[test]
fn host_mounts_are_not_visible_after_pivot_root() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run(&["run", "-r", r.s(), "cat", "/proc/self/mountinfo"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Only the container's own mounts: its root, the kernel filesystems and what covers parts
    // of them; none of the host's mount points.
    let points: Vec<&str> = o.stdout.lines().map(|l| l.split(' ').nth(4).unwrap()).collect();
    assert_eq!(points[..7], ["/", "/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"], "{}", o.stdout);
    assert!(points[7..].iter().all(|p| p.starts_with("/proc/") || p.starts_with("/sys/")), "{}", o.stdout);
    // The old root is gone: no path leads out.
    let o = run(&["run", "-r", r.s(), "sh", "-c", "cd /../../..; ls"]);
    assert_eq!(o.stdout.split_whitespace().collect::<Vec<_>>(), ["bin", "dev", "etc", "proc", "sys", "tmp"]);
}

#[test]
fn chroot_mode_runs_and_cannot_be_escaped() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    let o = run(&["run", "-r", r.s(), "--chroot", "/bin/sh", "-c", "echo $$; hostname; ps -o pid,comm | wc -l"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "1\ncontainer\n4\n", "header, sh, ps, wc");
    // ".." at the root stays there. The classic escape (a second chroot with the cwd kept
    // outside it) needs a program that calls chroot itself: tests/probe.c, in
    // hardening.rs's the_chroot_escape_does_not_reach_the_host.
    let o = run(&["run", "-r", r.s(), "--chroot", "/bin/sh", "-c", "cd /; for i in 1 2 3 4 5 6 7 8; do cd ..; done; ls"]);
    assert_eq!(o.stdout.split_whitespace().collect::<Vec<_>>(), ["bin", "dev", "etc", "proc", "sys", "tmp"], "{}", o.stderr);
    before.assert_unchanged("the host changed");
}

/// A runix inside a runix container (masks kept: not --privileged): with --chroot the inner
/// runix drops the outer container's /proc and /sys, whose masks (/proc/bus, ...) go with them.
#[test]
fn chroot_mode_runs_inside_a_runix_container() {
    if !need_root() {
        return;
    }
    let r = Root::nested();
    fs::copy(runix(), r.path.join("runix")).unwrap();
    for opts in [&["--chroot"][..], &[]] {
        let args = [&["run", "--cap-add", "ALL", "--seccomp", "unconfined", "-r", r.s(), "/runix", "run", "-r", "/inner"][..], opts, &["/bin/sh", "-c", "echo $$; ls /proc/bus >/dev/null && echo proc"]].concat();
        let o = run(&args);
        assert_eq!((o.code, o.stdout.as_str()), (0, "1\nproc\n"), "{opts:?}: {}", o.stderr);
    }
}

#[test]
fn exit_status_is_the_commands() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("bin/notexec", "#!/bin/sh\necho hi\n", 0o644);
    r.file("bin/script", "#!/bin/sh\nexit 9\n", 0o755);
    assert_eq!(run(&["run", "-r", r.s(), "true"]).code, 0);
    assert_eq!(run(&["run", "-r", r.s(), "sh", "-c", "exit 42"]).code, 42);
    assert_eq!(run(&["run", "-r", r.s(), "/bin/script"]).code, 9);
    let o = run(&["run", "-r", r.s(), "no-such-command"]);
    assert_eq!((o.code, o.stderr.as_str()), (127, "runix: execve(no-such-command): No such file or directory\n"));
    let o = run(&["run", "-r", r.s(), "/bin/notexec"]);
    assert_eq!((o.code, o.stderr.as_str()), (126, "runix: execve(/bin/notexec): Permission denied\n"));
    let o = run(&["run", "-r", r.s(), "notexec"]);
    assert_eq!(o.code, 126, "found in PATH but not executable: {}", o.stderr);
    let o = run(&["run", "-r", r.s(), "/etc"]);
    assert_eq!(o.code, 126);
}

#[test]
fn killed_by_a_signal_gives_128_plus_n() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mut cmd = std::process::Command::new(runix());
    cmd.args(["run", "-r", r.s(), "sleep", "30"]);
    let child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
    let runix_pid = child.id();
    // The container's init is runix's only child; SIGKILL is the one signal PID 1 cannot
    // ignore when it comes from outside its namespace.
    let children = format!("/proc/{runix_pid}/task/{runix_pid}/children");
    let mut pid = String::new();
    for _ in 0..400 {
        pid = fs::read_to_string(&children).unwrap_or_default().trim().to_string();
        if !pid.is_empty() && fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().starts_with("sleep") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!pid.is_empty(), "no container process found");
    std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(137));
}

#[test]
fn clean_environment() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // PID 1's environment exactly as execve got it; TERM=xterm-test comes from the test runner.
    let o = run(&["run", "-r", r.s(), "cat", "/proc/self/environ"]);
    assert_eq!(o.stdout, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\0HOME=/root\0TERM=xterm-test\0");
    let o = run_cmd(std::process::Command::new(runix()).args(["run", "-r", r.s(), "cat", "/proc/self/environ"]).env_remove("TERM").env("SECRET", "x"), "", 20);
    assert!(!o.stdout.contains("TERM") && !o.stdout.contains("SECRET"), "{}", o.stdout);
}

#[test]
fn options_stop_at_the_command() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run(&["run", "-r", r.s(), "/bin/sh", "-c", "echo \"$0\" \"$1\"", "-p", "--chroot"]);
    assert_eq!(o.stdout, "-p --chroot\n");
    let o = run(&["run", "-r", r.s(), "--", "echo", "-v"]);
    assert_eq!(o.stdout, "-v\n");
}

#[test]
fn the_originals_interactive_invocation() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    // `runix run -r ../fs/ubuntu-fs -p 20 -v "/bin/bash"`, with a shell fed from stdin.
    let o = run_in(&["run", "-r", r.s(), "-p", "20", "-v", "/bin/sh"], "echo hello from $$\nhostname\nexit 4\n", 20);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert_eq!(o.stdout, "hello from 1\ncontainer\n");
    let log: Vec<&str> = o.stderr.lines().collect();
    assert!(log.iter().all(|l| is_log_line(l)), "{}", o.stderr);
    assert!(log.iter().any(|l| l.contains("src/run.rs:") && l.contains("(parent) waiting for ")), "{}", o.stderr);
    before.assert_unchanged("the host changed");
}

/// `HH:MM:SS INFO  src/file.rs:LINE: message`
fn is_log_line(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() > 20
        && b[..8].iter().enumerate().all(|(i, c)| if i == 2 || i == 5 { *c == b':' } else { c.is_ascii_digit() })
        && (l[8..].starts_with(" INFO  src/") || l[8..].starts_with(" DEBUG src/"))
        && l.contains(".rs:")
}

#[test]
fn verbosity_levels() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    assert_eq!(run(&["run", "-r", r.s(), "true"]).stderr, "");
    let info = run(&["run", "-r", r.s(), "-v", "true"]).stderr;
    assert!(!info.is_empty() && !info.contains(" DEBUG "), "{info}");
    let debug = run(&["run", "-r", r.s(), "-vv", "true"]).stderr;
    assert!(debug.lines().all(is_log_line), "{debug}");
    assert!(debug.contains(" DEBUG src/process/exec.rs:") && debug.contains("(child) trying /usr/local/sbin/true"), "{debug}");
}

#[test]
fn pids_limit_stops_forks() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    // 12 background sleeps: under -p 6 some forks must fail; without a limit all succeed.
    let script = "n=0; i=0; while [ $i -lt 12 ]; do sleep 2 & i=$((i+1)); done; kill $(jobs -p); exit 0";
    let o = run(&["run", "-r", r.s(), "-p", "6", "sh", "-c", script]);
    assert!(o.stderr.contains("can't fork"), "no fork failed under -p 6: {}", o.stderr);
    let o = run(&["run", "-r", r.s(), "sh", "-c", script]);
    assert!(!o.stderr.contains("can't fork"), "{}", o.stderr);
    // Inside, the container's own pids cgroup is the root of its cgroup namespace.
    let o = run(&["run", "-r", r.s(), "-p", "20", "cat", "/proc/self/cgroup"]);
    let line = o.stdout.lines().find(|l| l.split(':').nth(1).unwrap().split(',').any(|c| c == "pids")).unwrap().to_string();
    assert!(line.ends_with(":pids:/"), "{line}");
    before.assert_unchanged("a cgroup was left behind");
}

#[test]
fn pids_max_is_written() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mount = cgroup_v1_mount("pids").expect("pids controller mounted");
    let own = fs::read_to_string("/proc/self/cgroup").unwrap().lines().find(|l| l.split(':').nth(1).unwrap().split(',').any(|c| c == "pids")).unwrap().splitn(3, ':').nth(2).unwrap().to_string();
    let mut child = std::process::Command::new(runix()).args(["run", "-r", r.s(), "-p", "17", "sleep", "5"]).spawn().unwrap();
    let dir = mount.join(own.trim_start_matches('/')).join(format!("runix-{}", child.id()));
    let mut max = String::new();
    for _ in 0..300 {
        max = fs::read_to_string(dir.join("pids.max")).unwrap_or_default();
        if !max.is_empty() && fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default().lines().count() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    // End the container (not runix: runix must live to remove the cgroup).
    for pid in procs.lines() {
        let _ = std::process::Command::new("kill").args(["-KILL", pid]).status();
    }
    let status = child.wait().unwrap();
    assert_eq!(max, "17\n");
    assert_eq!(procs.lines().count(), 1, "only the container's init: {procs}");
    assert_eq!(status.code(), Some(137));
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn bad_input_exits_125_and_leaves_nothing() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("afile", "", 0o644);
    let afile = format!("{}/afile", r.s());
    let long_host = "h".repeat(65);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", "-r", "/no/such/dir", "sh"], "runix: rootfs(/no/such/dir): No such file or directory\n"),
        (vec!["run", "-r", &afile, "sh"], ""),
        (vec!["run", "-r", r.s(), "-p", "0", "sh"], "runix: invalid --pids (want a whole number from 1): 0\n"),
        (vec!["run", "-r", r.s(), "-p", "x1", "sh"], "runix: invalid --pids (want a whole number from 1): x1\n"),
        (vec!["run", "-r", r.s(), "--frobnicate", "sh"], "runix: unknown option (try 'runix run --help'): --frobnicate\n"),
        (vec!["run", "-r", r.s()], "runix: no command to run (try 'runix run --help')\n"),
        (vec!["run", "sh"], "runix: missing -r ROOTFS (try 'runix run --help')\n"),
        (vec!["run", "-r", r.s(), "--hostname", &long_host, "sh"], ""),
        (vec!["nope"], "runix: unknown command (try 'runix --help'): nope\n"),
        (vec![], "runix: no command given (try 'runix --help')\n"),
    ];
    let before = Host::at(&[&r.path]);
    for (args, want) in cases {
        let o = run(&args);
        assert_eq!(o.code, 125, "{args:?}: {}", o.stderr);
        assert_eq!(o.stdout, "", "{args:?}");
        assert!(o.stderr.starts_with("runix: ") && o.stderr.lines().count() == 1, "{args:?}: {:?}", o.stderr);
        if !want.is_empty() {
            assert_eq!(o.stderr, want, "{args:?}");
        }
    }
    let o = run(&["run", "-r", &afile, "sh"]);
    assert!(o.stderr.ends_with("afile): Not a directory\n"), "{}", o.stderr);
    before.assert_unchanged("bad input changed the host");
}

#[test]
fn setup_failures_are_reported_once_and_cleaned_up() {
    if !need_root() {
        return;
    }
    // A root without /proc: the child fails after clone and after the cgroup exists.
    let r = Root::empty();
    fs::create_dir_all(r.path.join("bin")).unwrap();
    fs::copy(busybox(), r.path.join("bin/sh")).unwrap();
    let rb = Root::busybox();
    let before = Host::at(&[&r.path, &rb.path]);
    let o = run(&["run", "-r", r.s(), "-p", "10", "/bin/sh", "-c", "true"]);
    assert_eq!(o.code, 125);
    assert_eq!(o.stderr, "runix: mount point missing, and runix does not change the image (create it, or use --overlay): /proc\n");
    let o = run(&["run", "-r", rb.s(), "-p", "10", "missing"]);
    assert_eq!(o.code, 127);
    before.assert_unchanged("a failed run changed the host");
}

#[test]
fn many_runs_leave_no_cgroup() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before = Host::at(&[&r.path]);
    for i in 0..20 {
        let args: Vec<String> = match i % 4 {
            0 => vec!["true".into()],
            1 => vec!["sh".into(), "-c".into(), "exit 3".into()],
            2 => vec!["missing".into()],
            _ => vec!["sh".into(), "-c".into(), "sleep 5 & sleep 5 & exit 0".into()],
        };
        let mut a = vec!["run", "-r", r.s(), "-p", "8"];
        a.extend(args.iter().map(|s| s.as_str()));
        let o = run(&a);
        assert_eq!(o.code, [0, 3, 127, 0][i % 4], "{a:?}: {}", o.stderr);
    }
    before.assert_unchanged("the host changed");
}

#[test]
fn help_and_version() {
    let o = run(&["--help"]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.starts_with("usage: runix run -r ROOTFS"));
    let o = run(&["run", "--help"]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("--chroot"));
    let o = run(&["--version"]);
    assert_eq!(o.stdout, format!("runix {}\n", env!("CARGO_PKG_VERSION")));
}
