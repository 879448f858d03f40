//! A hostile image and one ordinary option: the escapes each check closes. The image is made
//! by the test (symlinks, device nodes, endless files where runix expects plain ones); every
//! check fails on a runix that masks by path, makes `:ro` read-only only at the top, opens the
//! image's device nodes, or reads the image's files with host descriptors open.

mod common;
use common::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

/// `runix run -r ROOT ARGS...`: (status, stdout, stderr).
fn runix_in(r: &Root, args: &[&str]) -> (i32, String, String) {
    let mut a = vec!["run", "-r", r.s()];
    a.extend_from_slice(args);
    let o = run(&a);
    (o.code, o.stdout, o.stderr)
}

/// A mount made by the test, undone on drop (also when an assertion failed).
struct Mounted(std::path::PathBuf);

impl Mounted {
    fn tmpfs(at: &Path) -> Mounted {
        fs::create_dir_all(at).unwrap();
        assert!(Command::new("mount").args(["-t", "tmpfs", "test", at.to_str().unwrap()]).status().unwrap().success());
        Mounted(at.to_path_buf())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

const REFUSED: &str = "runix: refused: runix mounts /proc, /sys and /dev itself, at: ";

/// The image's `/data -> /dev` or `/tmp -> /dev` turns a volume or a tmpfs into one over the
/// container's /dev, `/proc-link -> /proc` over its /proc: they go on before runix's own
/// /proc, /sys and /dev, so the masks are made on runix's, and a user mount that runix's then
/// cover (where the user's data would silently go into runix's tmpfs) is refused. A target
/// named in /proc, /sys or onto /dev is refused; one named under /dev goes on runix's /dev,
/// after the masks, and a file put over /dev/null there changes nothing of them.
#[test]
fn user_mounts_cannot_reach_the_masks() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let vol = Root::empty();
    vol.file("null", "PLANTED\n", 0o644);
    symlink("/dev", r.path.join("data")).unwrap();
    symlink("/proc", r.path.join("proc-link")).unwrap();
    fs::remove_dir(r.path.join("tmp")).unwrap();
    symlink("/dev", r.path.join("tmp")).unwrap();
    let v = vol.s();
    let covered = "runix: refused: the root filesystem's symlinks lead this mount under runix's /proc, /sys or /dev, at: ";
    for (opts, shown) in [
        (vec!["-b".to_string(), format!("{v}:/data")], "/data"),
        (vec!["-b".to_string(), format!("{v}:/proc-link")], "/proc-link"),
        (vec!["--tmpfs".to_string(), "/tmp".to_string()], "/tmp"),
        // In the overlay, runix makes /dev/x in the image's /dev to mount on.
        (vec!["--overlay".to_string(), "-b".to_string(), format!("{v}:/data/x")], "/data/x"),
    ] {
        let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
        args.push("true");
        assert_eq!(runix_in(&r, &args), (125, String::new(), format!("{covered}{shown}\n")), "{opts:?}");
    }
    // Named under /dev by the user: their file is /dev/null, after the masks were made of
    // runix's: /proc's masked files read as empty, /proc/sys stays read-only.
    let check = "cat /proc/timer_list /proc/keys; stat -c '%t:%T %F' /dev/null; echo 1 >/proc/sys/kernel/core_uses_pid";
    let planted = format!("{}:/dev/null", vol.path.join("null").display());
    let ro = "sh: can't create /proc/sys/kernel/core_uses_pid: Read-only file system\n";
    assert_eq!(runix_in(&r, &["-b", &planted, "sh", "-c", check]), (1, "0:0 regular file\n".to_string(), ro.to_string()));
    for (opts, shown) in [
        (vec!["-b".to_string(), format!("{v}:/proc/sys")], "/proc/sys"),
        (vec!["-b".to_string(), format!("{v}:/sys/fs/cgroup")], "/sys/fs/cgroup"),
        (vec!["--tmpfs".to_string(), "/dev".to_string()], "/dev"),
        (vec!["--tmpfs".to_string(), "//dev/".to_string()], "//dev/"),
        (vec!["-b".to_string(), format!("{v}:/dev/.")], "/dev/."),
        (vec!["-b".to_string(), format!("{v}:/./proc")], "/./proc"),
    ] {
        let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
        args.extend(["true"]);
        assert_eq!(runix_in(&r, &args), (125, String::new(), format!("{REFUSED}{shown}\n")), "{opts:?}");
    }
    // Under /dev, where the user named it: a device passed in on purpose works; a symlink on
    // the way there is refused.
    let (code, out, err) = runix_in(&r, &["-b", &format!("{v}:/dev/extra"), "sh", "-c", "cat /dev/extra/null"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "PLANTED\n", ""));
    let (code, _, err) = runix_in(&r, &["-b", &format!("{v}:/dev/fd/x"), "true"]);
    assert_eq!((code, err.as_str()), (125, "runix: refused: a symlink in the root filesystem at: /dev/fd/x\n"));
}

/// `:ro` and --read-only are read-only all the way down: a mount under the bind's source (or
/// in the root directory) is read-only in the container too.
#[test]
fn read_only_means_every_mount_below() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let src = Root::empty();
    let _sub = Mounted::tmpfs(&src.path.join("sub"));
    fs::create_dir(r.path.join("mnt")).unwrap();
    let bind = format!("{}:/mnt:ro", src.s());
    let (code, out, err) = runix_in(&r, &["-b", &bind, "sh", "-c", "touch /mnt/x /mnt/sub/x; grep ' /mnt' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1"]);
    assert_eq!((code, out.as_str()), (0, "/mnt ro\n/mnt/sub ro\n"), "{err}");
    assert_eq!(err, "touch: /mnt/x: Read-only file system\ntouch: /mnt/sub/x: Read-only file system\n");

    let _inside = Mounted::tmpfs(&r.path.join("tmp"));
    let (code, _, err) = runix_in(&r, &["--read-only", "sh", "-c", "touch /x /tmp/x"]);
    assert_eq!((code, err.as_str()), (1, "touch: /x: Read-only file system\ntouch: /tmp/x: Read-only file system\n"));
}

/// On a kernel without mount_setattr(2) (before 5.12; strace makes it fail with ENOSYS here),
/// a bind that is to be read-only or nodev is not recursive: what is mounted under its source
/// is not there in the container, rather than there and writable.
#[test]
fn read_only_without_mount_setattr_binds_only_the_top() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let src = Root::empty();
    let _sub = Mounted::tmpfs(&src.path.join("sub"));
    fs::write(src.path.join("sub/on-the-submount"), "").unwrap();
    fs::create_dir(r.path.join("mnt")).unwrap();
    let bind = format!("{}:/mnt:ro", src.s());
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-o", "/dev/null", "-e", "trace=mount_setattr", "-e", "inject=mount_setattr:error=ENOSYS"]).arg(runix());
    cmd.args(["run", "-r", r.s(), "-b", &bind, "--read-only", "sh", "-c", "ls /mnt/sub; touch /mnt/x /mnt/sub/x /x; grep -c ' /mnt' /proc/mounts"]);
    let o = run_cmd(&mut cmd, "", 20);
    assert_eq!((o.code, o.stdout.as_str()), (0, "1\n"), "{}", o.stderr);
    let ro = "touch: /mnt/x: Read-only file system\ntouch: /mnt/sub/x: Read-only file system\ntouch: /x: Read-only file system\n";
    assert_eq!(o.stderr, ro);
}

/// A device node the image ships opens nowhere but in runix's own /dev: the device rules
/// refuse it where they apply (root on a v1 devices hierarchy), and where none apply (a user
/// namespace, no devices hierarchy under --cgroup-parent, cgroup v2) the root, its overlay and
/// the binds are nodev.
#[test]
fn device_nodes_in_the_image_do_not_open() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let vol = Root::empty();
    for dir in [&r.path, &vol.path] {
        // c 10 232 is /dev/kvm, which the default device rules do not allow.
        assert!(Command::new("mknod").arg(dir.join("kvm")).args(["c", "10", "232"]).status().unwrap().success());
        fs::set_permissions(dir.join("kvm"), fs::Permissions::from_mode(0o666)).unwrap();
    }
    fs::create_dir(r.path.join("mnt")).unwrap();
    let script = "head -c1 /dev/zero | wc -c; cat /kvm; cat /mnt/kvm";
    let refused = |why: &str| format!("cat: can't open '/kvm': {why}\ncat: can't open '/mnt/kvm': {why}\n");
    let bind = format!("{}:/mnt", vol.s());
    let _subids = SubIds::set("root", Some((500000, 65536)));
    for (opts, why) in [
        (vec![], "Operation not permitted"),
        (vec!["--overlay"], "Operation not permitted"),
        (vec!["--cgroup-parent", "/"], "Permission denied"),
        (vec!["--cgroup-parent", "/", "--overlay"], "Permission denied"),
        (vec!["--userns"], "Permission denied"),
    ] {
        let mut args = opts.clone();
        args.extend(["-b", &bind, "sh", "-c", script]);
        let (code, out, err) = runix_in(&r, &args);
        assert_eq!((code, out.as_str(), err), (1, "1\n", refused(why)), "{opts:?}");
    }
}

/// The image's /etc/passwd read with no way out of the root: a magic link through a host fd
/// finds nothing, and a file that never ends (a device, a procfs file) or is too large is an
/// error, not a hang.
#[test]
fn the_images_passwd_is_read_inside_the_root_and_bounded() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let passwd = r.path.join("etc/passwd");
    // A name only the host has: the old way resolved it from the host's /etc/passwd.
    let host_user = fs::read_to_string("/etc/passwd").unwrap().lines().map(|l| l.split(':').next().unwrap().to_string()).find(|n| n != "root").unwrap();
    for fd in 3..10 {
        let _ = fs::remove_file(&passwd);
        symlink(format!("/proc/self/fd/{fd}/../../../../../../../../etc/passwd"), &passwd).unwrap();
        let (code, out, err) = runix_in(&r, &["-u", &host_user, "id"]);
        // An fd still open (the error channel) is a magic link; a closed one, nothing.
        let unknown = format!("runix: unknown user (not in the container's /etc/passwd): {host_user}\n");
        let magic = "runix: openat2(/etc/passwd): Too many levels of symbolic links\n";
        assert_eq!((code, out.as_str()), (125, ""), "fd {fd}: {err}");
        assert!(err == unknown || err == magic, "fd {fd}: {err}");
    }
    // Not a regular file, or the host kernel's (procfs, sysfs: /proc/kmsg would be drained by
    // a runix that still has CAP_SYSLOG): not read, as if there were none.
    for target in ["/dev/urandom", "/dev/zero", "/proc/self/pagemap", "/proc/kmsg", "/sys/kernel/notes"] {
        let _ = fs::remove_file(&passwd);
        symlink(target, &passwd).unwrap();
        assert_eq!(runix_in(&r, &["-u", "1000", "true"]), (0, String::new(), String::new()), "{target}");
        let unknown = "runix: unknown user (not in the container's /etc/passwd): user\n";
        assert_eq!(runix_in(&r, &["-u", "user", "true"]), (125, String::new(), unknown.to_string()), "{target}");
    }
    // A line longer than runix reads, or a device that cannot be opened, is an error, named.
    let _ = fs::remove_file(&passwd);
    r.file("etc/passwd", &format!("{}\n", "x".repeat(5000)), 0o644);
    let long = "runix: refused: over 1 MiB or a line over 4 KiB, in the root filesystem: /etc/passwd\n";
    assert_eq!(runix_in(&r, &["-u", "1000", "true"]), (125, String::new(), long.to_string()));
    let _ = fs::remove_file(&passwd);
    symlink("/dev/tty", &passwd).unwrap();
    let no_tty = "runix: openat2(/etc/passwd): No such device or address\n";
    assert_eq!(runix_in(&r, &["-u", "1000", "true"]), (125, String::new(), no_tty.to_string()));
    let _ = fs::remove_file(&passwd);
    r.file("etc/passwd", &"user:x:1000:1000::/:/bin/sh\n".repeat(50_000), 0o644);
    assert_eq!(runix_in(&r, &["-u", "user", "true"]), (125, String::new(), "runix: refused: over 1 MiB or a line over 4 KiB, in the root filesystem: /etc/passwd\n".into()));
}

/// overlayfs's work directory, which runix makes, is 0700: nothing the container writes is
/// reachable through it by the host's users.
#[test]
fn the_overlay_work_dir_is_private() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let state = Root::empty();
    assert_eq!(runix_in(&r, &["--overlay-upper", state.s(), "touch", "/x"]).0, 0);
    let mode = |p: &str| fs::metadata(state.path.join(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!((mode("work"), mode("upper")), (0o700, 0o755));
}

/// A `:ro` bind gets its read-only flag on the mount runix made, not on wherever its path
/// leads once the mount is there: the image's `/data -> /t/sub/../../dev` with `/t/sub ->
/// /t/a/b` resolves to /t before the bind and, through the bind's own `sub`, to /dev after it.
/// Its path no longer leads to the user's mount once runix's are made: refused, and nothing
/// of the read-only volume is written.
#[test]
fn a_read_only_bind_cannot_be_redirected_once_mounted() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    fs::create_dir_all(r.path.join("t/a/b")).unwrap();
    symlink("/t/a/b", r.path.join("t/sub")).unwrap();
    symlink(".", r.path.join("t/dev")).unwrap();
    symlink("/t/sub/../../dev", r.path.join("data")).unwrap();
    symlink(".", r.path.join("t/tmp")).unwrap();
    let vol = Root::empty();
    vol.file("sub/x", "", 0o644);
    vol.file("file", "original\n", 0o644);
    let bind = format!("{}:/data:ro", vol.s());
    let covered = "runix: refused: the root filesystem's symlinks lead this mount under runix's /proc, /sys or /dev, at: /data\n";
    for opts in [vec![], vec!["--tmpfs", "/tmp"]] {
        let mut args = opts.clone();
        args.extend(["-b", &bind, "sh", "-c", "echo PWNED > /t/file"]);
        let (code, _, err) = runix_in(&r, &args);
        assert_eq!((code, err.as_str()), (125, covered), "{opts:?}");
        assert_eq!(fs::read_to_string(vol.path.join("file")).unwrap(), "original\n", "{opts:?}");
    }
}

/// The image's `/data -> /`: a mount there would lie under everything runix mounts and be the
/// container's root. Refused, as `-b X:/` is (Docker refuses `/` too).
#[test]
fn no_user_mount_goes_onto_the_root() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let vol = Root::empty();
    symlink("/", r.path.join("data")).unwrap();
    for (opts, shown) in [(["-b".to_string(), format!("{}:/data", vol.s())], "/data"), (["--tmpfs".to_string(), "/data".to_string()], "/data"), (["-b".to_string(), format!("{}:/", vol.s())], "/")] {
        let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
        args.push("true");
        assert_eq!(runix_in(&r, &args), (125, String::new(), format!("runix: refused: a mount onto the root itself, at: {shown}\n")), "{opts:?}");
    }
}

/// With a --seccomp file open next to runix's error channel, every other fd still goes before
/// the command runs: a directory fd the caller left open (here 100) must not reach it.
#[test]
fn an_inherited_fd_goes_with_a_seccomp_file_open_too() {
    if !need_root() {
        return;
    }
    use std::os::unix::process::CommandExt;
    let r = Root::busybox();
    let host = Root::empty();
    host.file("secret", "HOST\n", 0o644);
    let bpf = Root::empty();
    // One instruction: return SECCOMP_RET_ALLOW.
    fs::write(bpf.path.join("allow.bpf"), [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]).unwrap();
    let dir = fs::File::open(&host.path).unwrap();
    let bpf_path = bpf.path.join("allow.bpf");
    for opts in [&[][..], &["--init"]] {
        let mut cmd = Command::new(runix());
        cmd.args(["run", "-r", r.s(), "--seccomp", bpf_path.to_str().unwrap()]).args(opts);
        cmd.args(["sh", "-c", "ls /proc/self/fd; cat /proc/self/fd/100/secret"]);
        use std::os::fd::AsRawFd;
        let fd = dir.as_raw_fd();
        // SAFETY: dup2(2) only, between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::dup2(fd, 100);
                Ok(())
            });
        }
        let o = run_cmd(&mut cmd, "", 20);
        assert_eq!((o.code, o.stdout.as_str()), (1, "0\n1\n2\n3\n"), "{opts:?}: {}", o.stderr);
    }
}

/// --chroot leaves the host's mounts in the container's mount namespace, so runix detaches the
/// host's proc and sysfs mounts. One hidden under another mount (its path leads into that one,
/// to a directory or to nothing; or under the root's own bind, mounted in the root directory
/// on the host) is out of reach of umount2 and of a cover, and the kernel still counts it when
/// a user namespace in the container mounts a fresh proc or sysfs, without the masks
/// (mount_too_revealing): runix does not start there. In a mount namespace of the test's.
#[test]
fn a_hidden_host_proc_stops_a_chroot_run() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let h = Root::empty();
    let (bin, h, rs) = (runix(), h.s().to_string(), r.s().to_string());
    let inside = r#"mkdir -p /tmp/p; unshare -Urmpn -f sh -c "mount -t proc proc /tmp/p && echo mounted; mount -t sysfs sysfs /tmp/p && echo mounted""#;
    let hide = format!("mount -t tmpfs t {h}; mkdir {h}/proc; mount -t proc proc {h}/proc; mount -t tmpfs cover {h}");
    for (setup, hidden) in [
        (format!("{hide}; mkdir {h}/proc"), format!("{h}/proc")),
        (hide.clone(), format!("{h}/proc")),
        (format!("mount -t proc proc {rs}/proc"), format!("{rs}/proc")),
        (format!("mount -t sysfs sysfs {rs}/sys"), format!("{rs}/sys")),
    ] {
        let script = format!("set -e; {setup}; exec {} run --chroot --seccomp unconfined -r {rs} /bin/sh -c '{inside}'", bin.display());
        let o = run_cmd(Command::new("unshare").args(["-m", "--propagation", "private", "sh", "-c", &script]), "", 30);
        let want = format!("runix: proc or sysfs mount out of its path's reach (hidden under another mount?): {hidden}\n");
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (125, "", want.as_str()), "{setup}");
    }
}
