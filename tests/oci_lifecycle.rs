//! runix as an OCI runtime, driven as conmon and containerd's shim drive it: create, start,
//! state, kill, delete, ps, list, run --bundle, the console socket, the log file; and what a
//! failed create leaves (nothing).
//!
//! The test process is a child subreaper, as conmon is: the container's init, orphaned when
//! `runix create` exits, is reparented here and reaped with its status.

mod common;
use common::bundle::{Bundle, field, reap};
use common::proc::{alive, descendants, proc_stat, within};
use common::*;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn created_running_stopped() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["sh", "-c", "echo started; read x < /dev/null; sleep 1; exit 7"], "", "");
    let host = Host::at(&[&b.rootfs.path]);
    let pid_file = b.dir.path.join("pid");
    let o = b.runix(&["create", "--bundle", b.bundle(), "--pid-file", pid_file.to_str().unwrap(), "c1"]);
    assert_eq!((o.code, o.stderr.as_str(), o.stdout.as_str()), (0, "", ""));
    let out = b.out();
    let pid: u32 = fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    // The init waits for start: set up, the command not run yet.
    let s = b.ok(&["state", "c1"]);
    assert_eq!(field(&s, "status"), "created");
    assert_eq!(field(&s, "pid"), pid.to_string());
    assert_eq!(field(&s, "id"), "c1");
    assert_eq!(field(&s, "bundle"), b.bundle());
    assert_eq!(field(&s, "rootfs"), b.rootfs.s());
    assert!(s.contains(r#""annotations":{"org.example.k":"v \"q\""}"#), "{s}");
    assert!(field(&s, "created").ends_with('Z') && field(&s, "created").len() == 20, "{s}");
    assert!(s.starts_with('{') && s.ends_with("}\n"), "{s}");
    assert!(b.state_root().join("c1/exec.fifo").exists());
    assert!(alive(&(pid, proc_stat(pid).unwrap().1)));
    // A second create of the ID is refused, and changes nothing.
    let o = b.runix(&["create", "--bundle", b.bundle(), "c1"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: container exists already: c1\n"));
    assert_eq!(b.status("c1"), ("created".into(), pid));
    // Start: the command runs.
    assert_eq!(b.ok(&["start", "c1"]), "");
    assert_eq!(b.status("c1").0, "running");
    assert!(!b.state_root().join("c1/exec.fifo").exists());
    assert!(within(5, || fs::read_to_string(&out).is_ok_and(|o| o == "started\n")));
    // A second start is refused.
    let o = b.runix(&["start", "c1"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: not in this state (delete a running one with --force): running\n"));
    // A running container is deleted only with --force.
    let o = b.runix(&["delete", "c1"]);
    assert_eq!(o.code, 125);
    assert_eq!(reap(pid), 7);
    assert_eq!(b.status("c1"), ("stopped".into(), pid));
    let list = b.ok(&["list"]);
    assert!(list.starts_with("ID          PID         STATUS      BUNDLE      CREATED     OWNER\nc1          "), "{list}");
    assert!(list.contains(&format!("{pid:<12}stopped     {}   ", b.bundle())), "{list}");
    let json = b.ok(&["list", "--format", "json"]);
    assert!(json.starts_with(r#"[{"status":"stopped","ociVersion":"1.2.0","id":"c1","#) && json.ends_with("}]\n"), "{json}");
    assert_eq!(b.ok(&["delete", "c1"]), "");
    assert!(!b.state_root().join("c1").exists());
    // Gone: an error, but not with --force (containerd's shim deletes twice).
    let o = b.runix(&["state", "c1"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: container does not exist: c1\n"));
    assert_eq!(b.runix(&["delete", "c1"]).code, 125);
    assert_eq!(b.ok(&["delete", "--force", "c1"]), "");
    host.assert_unchanged("after delete");
}

#[test]
fn kill_by_name_and_number_and_delete_force() {
    if !need_root() {
        return;
    }
    // A trap shows which signal came; the limit makes a cgroup, which delete removes.
    let b = Bundle::new(&["sh", "-c", "trap 'echo got USR1' USR1; trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"], r#","resources":{"pids":{"limit":20}}"#, "");
    let host = Host::at(&[&b.rootfs.path]);
    let o = b.runix(&["create", "--bundle", b.bundle(), "k"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let create = o.pid;
    let ctr = b.out();
    let out = || fs::read_to_string(&ctr).unwrap_or_default();
    let (_, pid) = b.status("k");
    let cgroups = left_by(create);
    assert!(!cgroups.is_empty(), "create keeps its cgroups until delete");
    // Signals wait in the mask of a created container until it starts.
    b.ok(&["start", "k"]);
    assert!(within(5, || out().contains("ready")));
    b.ok(&["kill", "k", "SIGUSR1"]);
    assert!(within(5, || out().contains("got USR1")), "{}", out());
    // ps: the init and its sleep, by host pid.
    let ps = b.ok(&["ps", "--format", "json", "k"]);
    assert!(ps.starts_with(&format!("[{pid},")) && ps.ends_with("]\n"), "{ps}");
    b.ok(&["kill", "k", "15"]);
    assert_eq!(reap(pid), 42);
    let o = b.runix(&["kill", "k", "TERM"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: not in this state (delete a running one with --force): stopped\n"));
    assert_eq!(b.runix(&["kill", "k", "NOSUCH"]).stderr, "runix: unknown signal: NOSUCH\n");
    b.ok(&["delete", "k"]);
    assert!(cgroups.iter().all(|c| !c.exists()));

    // delete --force of a running one: killed, waited for, removed.
    let o = b.runix(&["create", "--bundle", b.bundle(), "f"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (create, ctr) = (o.pid, b.out());
    let (_, pid) = b.status("f");
    b.ok(&["start", "f"]);
    assert!(within(5, || fs::read_to_string(&ctr).is_ok_and(|o| o.contains("ready"))));
    b.ok(&["delete", "--force", "f"]);
    assert_eq!(reap(pid), 128 + libc::SIGKILL);
    assert!(left_by(create).is_empty() && !b.state_root().join("f").exists());
    // A created one is deleted without --force (runc's rule).
    let o = b.runix(&["create", "--bundle", b.bundle(), "g"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (_, pid) = b.status("g");
    b.ok(&["delete", "g"]);
    assert_eq!(reap(pid), 128 + libc::SIGKILL);
    host.assert_unchanged("after delete --force");
}

/// Nothing is left by a create that fails: no state directory, no cgroup, no mount, no
/// process; the error is one line, in the log file too.
#[test]
fn a_failed_create_leaves_nothing() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["true"], r#","resources":{"pids":{"limit":20}}"#, "");
    let host = Host::at(&[&b.rootfs.path]);
    let log = b.dir.path.join("log.json");
    let log = log.to_str().unwrap();
    for (id, config, err) in [
        ("x/y", None, "runix: invalid container id (want 1 to 255 of A-Z a-z 0-9 _ + . -): x/y\n"),
        ("..", None, "runix: invalid container id (want 1 to 255 of A-Z a-z 0-9 _ + . -): ..\n"),
        ("m", Some("{\"ociVersion\": \"1.0.2\",}"), "runix: malformed config.json at byte: 23\n"),
        // Fails in the parent, after the cgroup is made.
        ("b", Some("/nonexistent-source"), "runix: bind source(/nonexistent-source): No such file or directory\n"),
        // Fails in the child, after the cgroup and the clone: the cleanup is the parent's.
        ("c", Some("\"cwd\":\"/nonexistent\""), "runix: chdir(/nonexistent): No such file or directory\n"),
    ] {
        let saved = fs::read(b.dir.path.join("config.json")).unwrap();
        match config {
            Some(c) if c.starts_with('"') => {
                let t = String::from_utf8(saved.clone()).unwrap();
                fs::write(b.dir.path.join("config.json"), t.replacen(r#""cwd":"/""#, c, 1)).unwrap();
            }
            Some(c) if c.starts_with('/') => {
                let t = String::from_utf8(saved.clone()).unwrap();
                let bind = format!(r#"{{"destination":"/mnt","type":"bind","source":"{c}","options":["rbind"]}}"#);
                fs::write(b.dir.path.join("config.json"), t.replacen(r#""mounts":["#, &format!(r#""mounts":[{bind},"#), 1)).unwrap();
            }
            Some(c) => fs::write(b.dir.path.join("config.json"), c).unwrap(),
            None => {}
        }
        let o = b.runix(&["--log", log, "--log-format", "json", "create", "--bundle", b.bundle(), id]);
        fs::write(b.dir.path.join("config.json"), &saved).unwrap();
        assert_eq!((o.code, o.stderr.as_str()), (125, err), "{id}");
        assert!(!b.state_root().join(id).exists() && fs::read_dir(b.state_root()).map_or(true, |mut d| d.next().is_none()), "{id}");
        assert!(left_by(o.pid).is_empty(), "{id}");
        // An orphan would be the subreaper's, this test's: there is none.
        assert!(descendants(std::process::id()).is_empty(), "{id}");
        // One JSON object per line, as podman and containerd read it.
        let last = fs::read_to_string(log).unwrap().lines().last().unwrap().to_string();
        let msg = err.trim_end().strip_prefix("runix: ").unwrap().replace('"', "\\\"");
        assert!(last.starts_with(&format!(r#"{{"level":"error","msg":"{msg}","time":"20"#)) && last.ends_with("Z\"}"), "{last}");
    }
    // Text format: the line as on stderr.
    let text = b.dir.path.join("log.txt");
    let o = b.runix(&["--log", text.to_str().unwrap(), "state", "nope"]);
    assert_eq!(fs::read_to_string(&text).unwrap(), o.stderr);
    host.assert_unchanged("after failed creates");
}

#[test]
fn run_bundle_is_create_start_wait_delete() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["sh", "-c", "echo in; sleep 0.3; exit 5"], "", "");
    let host = Host::at(&[&b.rootfs.path]);
    let o = b.runix(&["run", "--bundle", b.bundle(), "r"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (5, "in\n", ""));
    assert!(!b.state_root().join("r").exists());
    // Meanwhile its state says running, and kill reaches it.
    let b = Bundle::new(&["sleep", "30"], "", "");
    let mut run = Command::new(runix()).arg("--root").arg(b.state_root()).args(["run", "--bundle", b.bundle(), "r2"]).spawn().unwrap();
    started(run.id());
    assert!(within(5, || b.runix(&["state", "r2"]).stdout.contains("\"running\"")));
    b.ok(&["kill", "r2", "KILL"]);
    assert!(within(10, || run.try_wait().unwrap().is_some()));
    assert_eq!(common::proc::code(run.wait().unwrap()), 137);
    assert!(!b.state_root().join("r2").exists());
    host.assert_unchanged("after run --bundle");
}

/// `create --console-socket`: the pty's master arrives as one SCM_RIGHTS fd, and what the
/// container writes on its terminal comes out of it.
#[test]
fn the_console_socket_gets_the_ptys_master() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["sh", "-c", "tty; echo on-the-pty"], "", r#","terminal":true"#);
    let sock = b.dir.path.join("console.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let recv = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        recv_fd(conn.as_raw_fd())
    });
    let o = b.runix(&["create", "--bundle", b.bundle(), "--console-socket", sock.to_str().unwrap(), "t"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    let (master, data) = recv.join().unwrap();
    assert!((1..=255).contains(&data.len()));
    assert!(fs::read_link(format!("/proc/self/fd/{}", master.as_raw_fd())).unwrap().ends_with("ptmx"));
    // Without a console socket, a terminal is refused before anything is made.
    let o = b.runix(&["create", "--bundle", b.bundle(), "t2"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: process.terminal needs --console-socket\n"));
    let (_, pid) = b.status("t");
    b.ok(&["start", "t"]);
    let mut f = fs::File::from(master);
    let mut got = String::new();
    let mut buf = [0u8; 256];
    assert!(within(5, || {
        use std::io::Read;
        if let Ok(n @ 1..) = f.read(&mut buf) {
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        got.contains("on-the-pty")
    }), "{got}");
    assert!(got.starts_with("/dev/pts/0\r\n"), "{got}");
    assert_eq!(reap(pid), 0);
    b.ok(&["delete", "t"]);
}

/// One message with one SCM_RIGHTS fd: the fd, and the data that came with it.
fn recv_fd(sock: i32) -> (OwnedFd, Vec<u8>) {
    let mut data = [0u8; 512];
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    let mut cmsg = [0u64; 8];
    // SAFETY: msghdr is plain data; its pointers are to the locals above, live for the call.
    let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
    h.msg_iov = &mut iov;
    h.msg_iovlen = 1;
    h.msg_control = cmsg.as_mut_ptr().cast();
    h.msg_controllen = std::mem::size_of_val(&cmsg);
    // SAFETY: as above.
    let n = unsafe { libc::recvmsg(sock, &mut h, 0) };
    assert!(n > 0, "recvmsg: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel filled the control buffer with one cmsghdr.
    let c = unsafe { &*libc::CMSG_FIRSTHDR(&h) };
    assert_eq!((c.cmsg_level, c.cmsg_type), (libc::SOL_SOCKET, libc::SCM_RIGHTS));
    // SAFETY: its data is one int, an fd now ours.
    let fd = unsafe { *(libc::CMSG_DATA(c) as *const i32) };
    (unsafe { OwnedFd::from_raw_fd(fd) }, data[..n as usize].to_vec())
}

#[test]
fn features_and_version() {
    let o = run(&["features"]);
    assert_eq!(o.code, 0);
    let f = o.stdout;
    assert!(f.starts_with(r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.2.0","hooks":["#) && f.ends_with("]}}}\n"), "{f}");
    for part in [r#""namespaces":["pid","mount","ipc","uts","network","cgroup"]"#, r#""capabilities":["CAP_CHOWN","#, r#""CAP_CHECKPOINT_RESTORE"]"#, r#""actions":["SCMP_ACT_KILL","#, r#""operators":["SCMP_CMP_EQ","#, r#""archs":["SCMP_ARCH_X86_64"]"#] {
        assert!(f.contains(part), "{part} in {f}");
    }
    // Balanced, and every string closed.
    assert_eq!(f.matches('{').count(), f.matches('}').count());
    assert_eq!(f.matches('[').count(), f.matches(']').count());
    assert_eq!(f.matches('"').count() % 2, 0);
    assert_eq!(run(&["--debug", "--version"]).stdout, format!("runix version {}\nspec: 1.2.0\n", env!("CARGO_PKG_VERSION")));
    // Refused, in the log too, where podman looks for the reason.
    let logs = Root::empty();
    let log = logs.path.join("log.json");
    let o = run(&["--systemd-cgroup", "--log", log.to_str().unwrap(), "--log-format", "json", "create", "x"]);
    assert_eq!(o.stderr, "runix: unsupported --systemd-cgroup: with podman, use --cgroup-manager=cgroupfs\n");
    assert!(fs::read_to_string(&log).unwrap().starts_with(r#"{"level":"error","msg":"unsupported --systemd-cgroup: with podman, use --cgroup-manager=cgroupfs","time":""#));
}

/// A filter of the config's that fakes the end of the capabilities (PR_CAPBSET_DROP's
/// EINVAL) does not keep the bounding set: it is dropped before the filter goes on.
#[test]
fn a_filter_cannot_keep_the_bounding_set() {
    if !need_root() {
        return;
    }
    let seccomp = r#","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["prctl"],"action":"SCMP_ACT_ERRNO","errnoRet":22,"args":[{"index":0,"value":24,"op":"SCMP_CMP_EQ"}]}]}"#;
    let caps = r#","capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}"#;
    let b = Bundle::new(&["grep", "Cap[BE]", "/proc/self/status"], seccomp, caps);
    let o = b.runix(&["run", "--bundle", b.bundle(), "f"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "CapEff:\t0000000000000020\nCapBnd:\t0000000000000020\n", ""));
}

/// The init finds exec.fifo again through runix's /proc: a config without it is refused, so
/// that an image's own /proc/self/fd/N cannot stand in for the fifo (and skip `start`).
#[test]
fn a_config_without_proc_is_refused() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["touch", "/ran"], "", "");
    let config = b.dir.path.join("config.json");
    let t = fs::read_to_string(&config).unwrap();
    fs::write(&config, t.replacen(r#"{"destination":"/proc","type":"proc","source":"proc"},"#, "", 1)).unwrap();
    let host = Host::at(&[&b.rootfs.path]);
    let o = b.runix(&["create", "--bundle", b.bundle(), "p"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: unsupported mounts (runix needs its proc on /proc and tmpfs on /dev)\n"));
    assert!(!b.rootfs.path.join("ran").exists() && !b.state_root().join("p").exists());
    host.assert_unchanged("after a refused create");
}

/// What a create killed half-way leaves (ROOT/ID without state.json) goes with
/// `delete --force`, and the ID can be created again.
#[test]
fn delete_force_removes_a_half_made_state_dir() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["true"], "", "");
    fs::create_dir_all(b.state_root().join("h")).unwrap();
    fs::write(b.state_root().join("h/state.json.tmp"), "{").unwrap();
    b.ok(&["delete", "--force", "h"]);
    assert!(!b.state_root().join("h").exists());
    b.ok(&["create", "--bundle", b.bundle(), "h"]);
    let (_, pid) = b.status("h");
    b.ok(&["start", "h"]);
    assert_eq!(reap(pid), 0);
    b.ok(&["delete", "h"]);
}

/// --pid-file is written as a new file renamed into place: a symlink where its temporary file
/// goes is replaced, never followed (root would truncate what it leads to).
#[test]
fn the_pid_file_never_follows_a_symlink() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["true"], "", "");
    let victim = b.dir.path.join("victim");
    fs::write(&victim, "keep").unwrap();
    let pid_file = b.dir.path.join("pid");
    std::os::unix::fs::symlink(&victim, b.dir.path.join("pid.tmp")).unwrap();
    b.ok(&["create", "--bundle", b.bundle(), "--pid-file", pid_file.to_str().unwrap(), "s"]);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
    let (_, pid) = b.status("s");
    assert_eq!(fs::read_to_string(&pid_file).unwrap().trim(), pid.to_string());
    b.ok(&["start", "s"]);
    assert_eq!(reap(pid), 0);
    b.ok(&["delete", "s"]);
}

/// cgroupsPath is the container's cgroup even with nothing to limit (a lone allow-all device
/// rule): made in every hierarchy, and gone with `delete`.
#[test]
fn cgroups_path_with_nothing_to_limit() {
    if !need_root() {
        return;
    }
    let path = format!("/runix-oci-test-{}/c", std::process::id());
    let linux = format!(r#","cgroupsPath":"{path}","resources":{{"devices":[{{"allow":true,"access":"rwm"}}]}}"#);
    let b = Bundle::new(&["true"], &linux, "");
    b.ok(&["create", "--bundle", b.bundle(), "g"]);
    let (_, pid) = b.status("g");
    let pids = PathBuf::from(format!("/sys/fs/cgroup/pids{path}"));
    let made = pids.join("cgroup.procs").exists() && fs::read_to_string(pids.join("cgroup.procs")).unwrap().trim() == pid.to_string();
    b.ok(&["start", "g"]);
    assert_eq!(reap(pid), 0);
    b.ok(&["delete", "g"]);
    let gone = !pids.exists();
    for d in fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let _ = fs::remove_dir(d.path().join(&path[1..]).parent().unwrap());
    }
    assert!(made && gone, "made {made}, gone {gone}");
}

/// `tmpcopyup` onto a directory the image has files in is refused, however long their names
/// (one of 240 bytes does not fit in getdents64's first read after "." and "..").
#[test]
fn tmpcopyup_sees_a_long_name() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["true"], "", "");
    fs::create_dir_all(b.rootfs.path.join("data")).unwrap();
    fs::write(b.rootfs.path.join("data").join("x".repeat(240)), "").unwrap();
    let config = b.dir.path.join("config.json");
    let t = fs::read_to_string(&config).unwrap();
    let m = r#"{"destination":"/data","type":"tmpfs","source":"tmpfs","options":["tmpcopyup"]},"#;
    fs::write(&config, t.replacen(r#""mounts":["#, &format!(r#""mounts":[{m}"#), 1)).unwrap();
    let o = b.runix(&["run", "--bundle", b.bundle(), "t"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: unsupported tmpcopyup: the image has files there, at: /data\n"));
}
