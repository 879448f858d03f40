//! CVE-2019-5736: no process of a container can reach runix's binary through /proc/PID/exe
//! and write it. Where a runix process shares a PID namespace with the container's (the OCI
//! runtime's init and `exec`, `run --init`), or is PID 1 (an image's `#!/proc/self/exe` run
//! again), it runs from a sealed memfd copy; a plain `run` leaves no runix beside the command.

mod common;
use common::*;
use std::fs;
use std::process::{Command, Stdio};

/// `pid` runs from a sealed memfd copy of runix, which no write changes (CVE-2019-5736).
fn assert_sealed(pid: u32, who: &str) {
    let exe = format!("/proc/{pid}/exe");
    let link = fs::read_link(&exe).unwrap().display().to_string();
    assert!(link.starts_with("/memfd:runix"), "{who} runs from {link}");
    let f = fs::File::open(&exe).unwrap();
    // SAFETY: fcntl(2) on an open fd.
    let seals = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&f), libc::F_GET_SEALS) };
    assert_eq!(seals & 0xf, 0xf, "{who}: seals");
    let w = fs::OpenOptions::new().write(true).open(&exe);
    assert!(w.is_err(), "{who}: its binary opens for writing");
}

/// `runix ARGS`, once more than one process runs under it: the runix, and the pids under it,
/// its child first.
fn running(args: &[&str]) -> (std::process::Child, Vec<u32>) {
    let c = Command::new(runix()).args(args).stdout(Stdio::null()).spawn().unwrap();
    started(c.id());
    if !common::proc::within(5, || common::proc::descendants(c.id()).len() > 1) {
        stop(c);
        panic!("{args:?}: too few processes");
    }
    let under = common::proc::descendants(c.id()).iter().map(|d| d.0).collect();
    (c, under)
}

/// SIGTERM to a runix of `running`, and its end.
fn stop(mut c: std::process::Child) {
    // SAFETY: kill(2) of our child.
    unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
    c.wait().unwrap();
}

#[test]
fn runix_runs_from_a_sealed_copy_of_itself() {
    if !need_root() {
        return;
    }
    let b = common::bundle::Bundle::new(&["sh", "-c", "while :; do sleep 0.05; done"], "", "");
    b.ok(&["create", "--bundle", b.bundle(), "s"]);
    // The init is runix until `start`, and its command may be runix again: sealed too.
    let (_, pid) = b.status("s");
    assert_sealed(pid, "the created init");
    b.ok(&["start", "s"]);
    let root = b.state_root();
    let mut c = Command::new(runix()).arg("--root").arg(&root).args(["exec", "s", "sleep", "5"]).stdout(Stdio::null()).spawn().unwrap();
    started(c.id());
    assert!(common::proc::within(5, || common::proc::descendants(c.id()).len() > 0));
    assert_sealed(c.id(), "runix exec");
    // The container's end ends exec's process, which runix exec reaps: then the init can end.
    b.ok(&["delete", "--force", "s"]);
    c.wait().unwrap();
    common::bundle::reap(pid);
    // --init: runix is the container's PID 1, beside its command.
    let r = Root::busybox();
    let (c, inside) = running(&["run", "--init", "-r", r.s(), "sleep", "5"]);
    assert_sealed(c.id(), "runix run --init");
    assert_sealed(inside[0], "--init's PID 1");
    stop(c);
}

/// Plain `runix run` runs from the host's binary: no process of the container's PID namespace
/// is runix once the command runs, so none can reach that binary through /proc/PID/exe.
#[test]
fn plain_run_leaves_no_runix_beside_the_command() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let (c, inside) = running(&["run", "-r", r.s(), "sh", "-c", "sleep 5 & sleep 5"]);
    let ns = |pid: u32| fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap();
    let exe = |pid: u32| fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    let host_binary = exe(c.id());
    assert_eq!(host_binary, fs::canonicalize(runix()).unwrap(), "plain run is sealed");
    for &pid in &inside {
        assert_eq!(ns(pid), ns(inside[0]), "one PID namespace");
        assert_ne!(exe(pid), host_binary, "pid {pid} is runix");
    }
    assert_ne!(ns(c.id()), ns(inside[0]), "runix shares the container's PID namespace");
    stop(c);
}

/// The one way the host's binary gets into a plain run's container: its first execve, of an
/// image's `#!/proc/self/exe`, as PID 1. Shebangs whose interpreters are relative names
/// (`-r`) make that runix's argv a run of the image's choosing: its container could be given
/// the outer /proc (`-b /proc:/oproc`, under --privileged here) and reach runix's binary at
/// /oproc/1/exe. A runix that is PID 1 runs from a sealed copy.
#[test]
fn a_runix_run_again_by_the_image_is_sealed() {
    if !need_root() {
        return;
    }
    let r = Root::nested();
    // /x runs `-r /inner /x`, and -r is runix: `runix run -r /inner /x`, where /x sleeps.
    fs::write(r.path.join("x"), "#!-r /inner\n").unwrap();
    fs::write(r.path.join("-r"), "#!/proc/self/exe run\n").unwrap();
    fs::write(r.path.join("inner/x"), "#!/bin/sh\nexec sleep 5\n").unwrap();
    for f in ["x", "-r", "inner/x"] {
        fs::set_permissions(r.path.join(f), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    // Under runix: the runix inside (its PID 1), that one's child, the sleep.
    let (c, inside) = running(&["run", "--privileged", "-r", r.s(), "/x"]);
    assert_sealed(inside[0], "the runix the image ran");
    stop(c);
}
