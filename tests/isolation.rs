//! Full isolation and the container's filesystem, checked from inside (namespace links, mount
//! options, device nodes, what can be read and written) and from outside (the root directory
//! and the mounts under it stay as they were).

mod common;
use common::*;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    o.stdout
}

fn fails(args: &[&str], code: i32, stderr: &str) {
    let o = run(args);
    assert_eq!((o.code, o.stderr.as_str()), (code, stderr), "{args:?}");
}

#[test]
fn every_namespace_is_new_except_net_with_net_host() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let host_ns = |n: &str| fs::read_link(format!("/proc/self/ns/{n}")).unwrap().display().to_string();
    let inside = ok(&["run", "-r", r.s(), "sh", "-c", "for n in cgroup ipc mnt net pid uts user; do echo $n $(readlink /proc/self/ns/$n); done"]);
    assert_eq!(inside.lines().count(), 7, "{inside}");
    for line in inside.lines() {
        let (n, link) = line.split_once(' ').unwrap();
        assert!(link.starts_with(&format!("{n}:[")), "{line}");
        if n == "user" {
            assert_eq!(link, host_ns(n), "no user namespace for root by default");
        } else {
            assert_ne!(link, host_ns(n), "{n} namespace is the host's");
        }
    }
    let inside = ok(&["run", "-r", r.s(), "--net", "host", "readlink", "/proc/self/ns/net"]);
    assert_eq!(inside.trim(), host_ns("net"));
}

#[test]
fn loopback_is_up_and_alone() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // IFF_UP|IFF_LOOPBACK = 0x9 (sysfs does not show IFF_RUNNING)
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags"]);
    assert_eq!(out, "lo\n0x9\n");
    let out = ok(&["run", "-r", r.s(), "ping", "-c", "1", "-W", "2", "127.0.0.1"]);
    assert!(out.contains("1 packets received"), "{out}");
}

#[test]
fn cgroup_namespace_root_is_the_container() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    for args in [vec!["run", "-r", r.s(), "cat", "/proc/self/cgroup"], vec!["run", "-r", r.s(), "-p", "50", "cat", "/proc/self/cgroup"]] {
        let out = ok(&args);
        assert!(!out.is_empty() && out.lines().all(|l| l.ends_with(":/")), "{args:?}: {out}");
    }
}

#[test]
fn dev_has_only_the_safe_devices() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let out = ok(&["run", "-r", r.s(), "ls", "-A", "/dev"]);
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]);
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done"]);
    assert_eq!(
        out,
        "/dev/null character special file 1:3 666\n/dev/zero character special file 1:5 666\n/dev/full character special file 1:7 666\n\
         /dev/random character special file 1:8 666\n/dev/urandom character special file 1:9 666\n/dev/tty character special file 5:0 666\n\
         pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n"
    );
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "echo x > /dev/null; head -c 4 /dev/zero | wc -c; echo x > /dev/full || echo full"]);
    assert!(out.starts_with("4\n") && out.ends_with("full\n"), "{out}");
    // Mount options of /dev and below, as Docker sets them.
    let mounts = ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
    let opts = |p: &str| mounts.lines().find(|l| l.split(' ').nth(1) == Some(p)).unwrap_or_else(|| panic!("{p} not mounted: {mounts}")).to_string();
    assert!(opts("/dev").starts_with("tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755"), "{}", opts("/dev"));
    assert!(opts("/dev/pts").starts_with("devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666"), "{}", opts("/dev/pts"));
    assert!(opts("/dev/shm").starts_with("shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k"), "{}", opts("/dev/shm"));
    assert!(opts("/dev/mqueue").starts_with("mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec"), "{}", opts("/dev/mqueue"));
    // The container's own pty instance: it starts empty, and a pty opened inside lands there.
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "ls /dev/pts"]);
    assert_eq!(out, "ptmx\n");
    // No host device: the host's disks are not there.
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "ls /dev/vda /dev/sda /dev/mem /dev/kmsg 2>&1; true"]);
    assert!(out.lines().all(|l| l.contains("No such file")), "{out}");
}

#[test]
fn devpts_gets_the_tty_group_when_the_image_has_one() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("etc/group", "root:x:0:\ntty:x:5:\n", 0o644);
    let mounts = ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
    let pts = mounts.lines().find(|l| l.starts_with("devpts ")).unwrap();
    assert!(pts.contains(",gid=5,") || pts.ends_with(",gid=5 0 0"), "{pts}");
}

#[test]
fn sys_is_read_only_and_proc_is_masked() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mounts = ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
    let sys = mounts.lines().find(|l| l.split(' ').nth(1) == Some("/sys")).unwrap();
    assert!(sys.starts_with("sysfs /sys sysfs ro,nosuid,nodev,noexec"), "{sys}");
    let proc_ = mounts.lines().find(|l| l.split(' ').nth(1) == Some("/proc")).unwrap();
    assert!(proc_.starts_with("proc /proc proc rw,nosuid,nodev,noexec"), "{proc_}");
    // Read-only paths: readable, not writable.
    for p in ["/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger"] {
        if Path::new(p).exists() {
            let line = mounts.lines().find(|l| l.split(' ').nth(1) == Some(p)).unwrap_or_else(|| panic!("{p} not read-only: {mounts}"));
            assert!(line.split(' ').nth(3).unwrap().starts_with("ro,"), "{line}");
        }
    }
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "cat /proc/sys/kernel/ostype; echo 1 > /proc/sys/kernel/sysrq && echo wrote; echo h > /proc/sysrq-trigger && echo wrote; touch /sys/x && echo wrote; touch /sys/firmware/x && echo wrote; touch /proc/acpi/x && echo wrote; true"]);
    assert_eq!(out, "Linux\n");
    // Masked: files read as empty, directories are empty.
    let out = ok(&["run", "-r", r.s(), "sh", "-c", "for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts; do [ -e $f ] && wc -c < $f; done; ls -A /sys/firmware /proc/acpi 2>/dev/null | grep -v : ; true"]);
    assert!(out.lines().all(|l| l.trim() == "0" || l.is_empty()), "{out}");
    assert!(out.lines().any(|l| l.trim() == "0"), "nothing was masked? {out}");
    // --privileged, as Docker's: /proc and /sys whole, nothing masked or read-only in them.
    let mounts = ok(&["run", "--privileged", "-r", r.s(), "cat", "/proc/mounts"]);
    let covered: Vec<&str> = mounts.lines().filter(|l| l.split(' ').nth(1).is_some_and(|p| (p.starts_with("/proc/") || p.starts_with("/sys/")) && p != "/proc/sys/fs/binfmt_misc")).collect();
    assert_eq!(covered, Vec::<&str>::new(), "{mounts}");
    let out = ok(&["run", "--privileged", "-r", r.s(), "sh", "-c", "wc -c < /proc/timer_list"]);
    assert_ne!(out.trim(), "0");
}

#[test]
fn hostile_symlinks_are_refused_or_stay_inside() {
    if !need_root() {
        return;
    }
    let host_target = Root::empty();
    fs::write(host_target.path.join("keep"), "host").unwrap();
    let before_target = tree(&host_target.path);
    for p in ["proc", "sys", "dev"] {
        let r = Root::busybox();
        fs::remove_dir(r.path.join(p)).unwrap();
        symlink(&host_target.path, r.path.join(p)).unwrap();
        let before = Host::at(&[&r.path, &host_target.path]);
        let o = run(&["run", "-r", r.s(), "true"]);
        assert_eq!(o.code, 125, "{p}: {}", o.stderr);
        assert_eq!(o.stderr, format!("runix: refused: a symlink in the root filesystem at: /{p}\n"));
        before.assert_unchanged(p);
    }
    // A bind target through an absolute symlink naming a host path resolves inside the root:
    // the same path inside the image gets the mount, the host's stays as it was.
    let r = Root::busybox();
    symlink(&host_target.path, r.path.join("escape")).unwrap();
    let inside = r.path.join(host_target.path.strip_prefix("/").unwrap());
    fs::create_dir_all(&inside).unwrap();
    fs::write(inside.join("keep"), "image").unwrap();
    let src = Root::empty();
    fs::write(src.path.join("f"), "bound").unwrap();
    let before_root = tree(&r.path);
    let bind = format!("{}:/escape/keep", src.path.join("f").display());
    let out = ok(&["run", "-r", r.s(), "-b", &bind, "cat", "/escape/keep"]);
    assert_eq!(out, "bound");
    assert_eq!(tree(&host_target.path), before_target, "a mount went out of the root");
    assert_eq!(fs::read_to_string(host_target.path.join("keep")).unwrap(), "host");
    assert_eq!(tree(&r.path), before_root, "the image changed");
    // A symlink to a place that does not exist is not followed to make it: refused, even where
    // runix could make mount points (the overlay).
    let r = Root::busybox();
    symlink("/nowhere/at/all", r.path.join("dangling")).unwrap();
    let bind = format!("{}:/dangling/f", src.path.join("f").display());
    let o = run(&["run", "-r", r.s(), "--overlay", "-b", &bind, "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: refused: a dangling symlink in the root filesystem at: /dangling/f\n"));
    assert!(!Path::new("/nowhere").exists());
}

#[test]
fn binds_read_write_and_read_only() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    fs::create_dir_all(r.path.join("mnt/rw")).unwrap();
    fs::create_dir_all(r.path.join("mnt/ro")).unwrap();
    fs::write(r.path.join("mnt/file"), "").unwrap();
    let shared = Root::empty();
    fs::write(shared.path.join("in"), "hello").unwrap();
    let file = Root::empty();
    fs::write(file.path.join("one"), "just a file").unwrap();
    let (s, f) = (shared.s().to_string(), file.path.join("one").display().to_string());
    let before = Host::at(&[&r.path, &shared.path, &file.path]);
    let out = ok(&[
        "run", "-r", r.s(), "-b", &format!("{s}:/mnt/rw"), "-b", &format!("{s}:/mnt/ro:ro"), "-b", &format!("{f}:/mnt/file"),
        "sh", "-c", "cat /mnt/rw/in; echo new > /mnt/rw/out; echo x > /mnt/ro/no || echo refused; cat /mnt/file; grep /mnt/ro /proc/mounts | cut -d' ' -f4 | cut -c1-3",
    ]);
    assert_eq!(out, "hellorefused\njust a filero,\n");
    assert_eq!(fs::read_to_string(shared.path.join("out")).unwrap(), "new\n");
    assert!(!shared.path.join("no").exists());
    before.assert_unchanged("binds");
}

#[test]
fn missing_bind_targets_are_made_only_outside_the_image() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before_root = tree(&r.path);
    let src = Root::empty();
    fs::write(src.path.join("f"), "F").unwrap();
    let d = format!("{}:/new/dir/here", src.s());
    let f = format!("{}:/tmp/sub/file", src.path.join("f").display());
    // In a tmpfs runix mounted, and in the overlay: made.
    let out = ok(&["run", "-r", r.s(), "--tmpfs", "/tmp", "-b", &f, "cat", "/tmp/sub/file"]);
    assert_eq!(out, "F");
    let out = ok(&["run", "-r", r.s(), "--overlay", "-b", &d, "-b", &f, "sh", "-c", "ls /new/dir/here; cat /tmp/sub/file"]);
    assert_eq!(out, "f\nF");
    assert_eq!(tree(&r.path), before_root, "the image changed");
    // In the image itself: refused.
    let o = run(&["run", "-r", r.s(), "-b", &d, "true"]);
    assert_eq!(o.code, 125);
    assert!(o.stderr.ends_with(": /new/dir/here\n"), "{}", o.stderr);
    assert_eq!(tree(&r.path), before_root, "the image changed");
}

#[test]
fn tmpfs_and_read_only_root() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before_root = tree(&r.path);
    let out = ok(&["run", "-r", r.s(), "--read-only", "--tmpfs", "/tmp:size=1m", "sh", "-c", "touch /x || echo ro; touch /tmp/y && echo tmp; grep ' /tmp ' /proc/mounts; grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -c1-3"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["ro", "tmp"], "{out}");
    assert!(lines[2].starts_with("tmpfs /tmp tmpfs rw,nosuid,nodev,relatime,size=1024k "), "{out}");
    assert_eq!(lines[3], "ro,");
    // A read-only root keeps writable binds writable.
    let w = Root::empty();
    let out = ok(&["run", "-r", r.s(), "--read-only", "-b", &format!("{}:/tmp", w.s()), "sh", "-c", "touch /tmp/z && echo ok"]);
    assert_eq!(out, "ok\n");
    assert!(w.path.join("z").exists());
    assert_eq!(tree(&r.path), before_root);
}

#[test]
fn overlay_keeps_the_image_unchanged() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("etc/motd", "original\n", 0o644);
    let before_root = tree(&r.path);
    let out = ok(&["run", "-r", r.s(), "--overlay", "sh", "-c", "echo changed > /etc/motd; rm /bin/ls; mkdir /newdir; cat /etc/motd; ls / | tr '\\n' ' '"]);
    assert_eq!(out, "changed\nbin dev etc newdir proc sys tmp ");
    assert_eq!(tree(&r.path), before_root, "--overlay wrote to the image");
    // --overlay-upper keeps the changes.
    let keep = Root::empty();
    ok(&["run", "-r", r.s(), "--overlay-upper", keep.s(), "sh", "-c", "echo kept > /etc/motd"]);
    assert_eq!(fs::read_to_string(keep.path.join("upper/etc/motd")).unwrap(), "kept\n");
    assert!(keep.path.join("work").is_dir());
    let out = ok(&["run", "-r", r.s(), "--overlay-upper", keep.s(), "cat", "/etc/motd"]);
    assert_eq!(out, "kept\n");
    assert_eq!(tree(&r.path), before_root);
}

#[test]
fn a_default_run_writes_nothing_to_the_root() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let before_root = tree(&r.path);
    let before = Host::at(&[&r.path]);
    ok(&["run", "-r", r.s(), "-p", "10", "sh", "-c", "ls /dev/pts /dev/shm >/dev/null"]);
    assert_eq!(tree(&r.path), before_root);
    before.assert_unchanged("a default run");
}

#[test]
fn env_workdir_and_user() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:100:Alice:/home/alice:/bin/sh\n", 0o644);
    r.file("etc/group", "root:x:0:\nusers:x:100:\nstaff:x:50:alice\n", 0o644);
    let o = run_cmd(
        std::process::Command::new(runix()).args(["run", "-r", r.s(), "-e", "A=1", "-e", "MINE", "-e", "HOME=/h", "-w", "/tmp", "sh", "-c", "echo $A $MINE $HOME; pwd"]).env("MINE", "mine"),
        "",
        20,
    );
    assert_eq!(o.stdout, "1 mine /h\n/tmp\n");
    assert_eq!(ok(&["run", "-r", r.s(), "-u", "alice", "id"]), "uid=1000(alice) gid=100(users)\n");
    assert_eq!(ok(&["run", "-r", r.s(), "-u", "alice:staff", "id"]), "uid=1000(alice) gid=50(staff)\n");
    assert_eq!(ok(&["run", "-r", r.s(), "-u", "1234", "id"]), "uid=1234 gid=0(root)\n");
    assert_eq!(ok(&["run", "-r", r.s(), "-u", "1234:5678", "id"]), "uid=1234 gid=5678\n");
    // As the user, root's files are out of reach.
    let out = ok(&["run", "-r", r.s(), "-u", "1000", "sh", "-c", "touch /etc/x 2>&1 || echo denied"]);
    assert!(out.ends_with("denied\n"), "{out}");
}

#[test]
fn bad_filesystem_input_exits_125_and_leaves_nothing() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644);
    let before = Host::at(&[&r.path]);
    fails(&["run", "-r", r.s(), "-b", "/no/such/src:/mnt", "true"], 125, "runix: bind source(/no/such/src): No such file or directory\n");
    fails(&["run", "-r", r.s(), "-b", "/tmp:mnt", "true"], 125, "runix: invalid --bind (want SRC:DST or SRC:DST:ro, DST absolute, no ..): /tmp:mnt\n");
    fails(&["run", "-r", r.s(), "-b", "/tmp:/../../etc", "true"], 125, "runix: invalid --bind (want SRC:DST or SRC:DST:ro, DST absolute, no ..): /tmp:/../../etc\n");
    fails(&["run", "-r", r.s(), "-u", "nobody", "true"], 125, "runix: unknown user (not in the container's /etc/passwd): nobody\n");
    fails(&["run", "-r", r.s(), "-u", "root:nogroup", "true"], 125, "runix: unknown group (not in the container's /etc/group): nogroup\n");
    fails(&["run", "-r", r.s(), "-e", "=x", "true"], 125, "runix: invalid --env (want KEY=VALUE or KEY): =x\n");
    fails(&["run", "-r", r.s(), "-w", "/missing", "true"], 125, "runix: chdir(/missing): No such file or directory\n");
    fails(&["run", "-r", r.s(), "--overlay-upper", "/no/such", "true"], 125, "runix: overlay upper(/no/such): No such file or directory\n");
    before.assert_unchanged("bad input");
}

/// The image's /etc/group (read on every run) and /etc/passwd (with -u) as FIFOs: they read
/// as empty. A blocking open would hang runix, which waits for its child with the signals
/// it forwards blocked.
#[test]
fn fifos_in_etc_do_not_hang_runix() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    for f in ["etc/group", "etc/passwd"] {
        assert!(Command::new("mkfifo").arg(r.path.join(f)).status().unwrap().success());
    }
    // (awk, not id: id would block on the FIFO itself, looking up names.)
    let o = run_in(&["run", "-r", r.s(), "-u", "7:8", "awk", "/^[UG]id/ { print $2 }", "/proc/self/status"], "", 20);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "7\n8\n", ""));
}
