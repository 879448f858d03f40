//! Rootless containers: runix run by an ordinary user the tests make (and by root with
//! `--userns`), in a user namespace. Checked from inside (ids, maps, mounts, devices) and from
//! the host (who owns what the container wrote, nothing left behind).
//!
//! The tests change host files only through guards that put them back on drop: the test user's
//! and root's lines in /etc/subuid and /etc/subgid. Everything else that must differ from the
//! host (a nosuid mount, newuidmap hidden, user namespaces switched off) is done in a mount or
//! user namespace of the test's own, so nothing else on the host ever sees it.

mod common;
use common::*;

use std::ffi::CString;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The ordinary user the tests run runix as; made here when missing, and kept.
const USER: &str = "runixrootless";
/// The subordinate ranges the tests hand out, (start, count).
const USER_RANGE: (u32, u32) = (300000, 65536);
const ROOT_RANGE: (u32, u32) = (400000, 65536);
const HELPERS: [&str; 2] = ["/usr/bin/newuidmap", "/usr/bin/newgidmap"];

/// A command line run with a timeout; panics when it fails.
fn must(prog: &str, args: &[&str]) -> String {
    let o = Command::new("timeout").arg("60").arg(prog).args(args).output().unwrap();
    assert!(o.status.success(), "{prog} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The test user's (uid, gid): made once, with no subordinate ids of its own (useradd would
/// add some), so that each test sets exactly the ranges it wants.
fn ids() -> (u32, u32) {
    static IDS: OnceLock<(u32, u32)> = OnceLock::new();
    *IDS.get_or_init(|| {
        if Command::new("id").args(["-u", USER]).output().unwrap().status.code() != Some(0) {
            must("useradd", &["--no-create-home", "--shell", "/usr/sbin/nologin", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", USER]);
        }
        let id = |flag| must("id", &[flag, USER]).trim().parse().unwrap();
        // The test roots must be reachable by the user: every directory above them searchable.
        let roots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-roots");
        fs::create_dir_all(&roots).unwrap();
        fs::set_permissions(&roots, fs::Permissions::from_mode(0o755)).unwrap();
        for d in roots.ancestors() {
            assert!(fs::metadata(d).unwrap().mode() & 0o001 != 0, "{} is not searchable by others: {USER} cannot reach the test roots", d.display());
        }
        (id("-u"), id("-g"))
    })
}

/// Make everything under `p` the test user's: an image of the user's own, as a rootless user
/// has (one extracted by them), which the container's root may change through the overlay.
fn give(p: &Path) {
    let (uid, gid) = ids();
    must("chown", &["-R", "-h", &format!("{uid}:{gid}"), p.to_str().unwrap()]);
}

/// What runix sees of the world when a test needs it to differ from the host's: a private
/// mount namespace in which some directories are on nosuid,nodev mounts, or newuidmap and
/// newgidmap are hidden.
#[derive(Default)]
struct World {
    nosuid: Vec<PathBuf>,
    no_helpers: bool,
}

/// runix `args`, run as the test user: setgroups, setresgid, setresuid between fork and exec.
fn as_user_in(world: World, args: &[&str]) -> Out {
    let (uid, gid) = ids();
    let c = |p: &Path| CString::new(p.to_str().unwrap()).unwrap();
    let nosuid: Vec<CString> = world.nosuid.iter().map(|p| c(p)).collect();
    let no_helpers = world.no_helpers;
    let mut cmd = Command::new(runix());
    cmd.args(args).env("TERM", "xterm-test");
    let check = |r: i32| if r < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) };
    // SAFETY: only async-signal-safe syscalls between fork and exec; the strings were made
    // before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let (null, no_data) = (std::ptr::null(), std::ptr::null());
            if !nosuid.is_empty() || no_helpers {
                check(libc::unshare(libc::CLONE_NEWNS))?;
                check(libc::mount(null, c"/".as_ptr(), null, libc::MS_REC | libc::MS_PRIVATE, no_data))?;
                for p in &nosuid {
                    check(libc::mount(p.as_ptr(), p.as_ptr(), null, libc::MS_BIND, no_data))?;
                    check(libc::mount(null, p.as_ptr(), null, libc::MS_REMOUNT | libc::MS_BIND | libc::MS_NOSUID | libc::MS_NODEV, no_data))?;
                }
                if no_helpers {
                    check(libc::mount(c"tmpfs".as_ptr(), c"/usr/bin".as_ptr(), c"tmpfs".as_ptr(), 0, no_data))?;
                }
            }
            check(libc::setgroups(0, std::ptr::null()))?;
            check(libc::setresgid(gid, gid, gid))?;
            check(libc::setresuid(uid, uid, uid))
        });
    }
    run_cmd(&mut cmd, "", 20)
}

fn as_user(args: &[&str]) -> Out {
    as_user_in(World::default(), args)
}

/// stdout of a run that must succeed.
fn ok(o: Out, args: &[&str]) -> String {
    assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    o.stdout
}

fn user_ok(args: &[&str]) -> String {
    ok(as_user(args), args)
}

/// What a run may not leave on the host: a cgroup of its runix, a mount of its root.
fn assert_nothing_left(o: &Out, root: &Root) {
    let cg = format!("runix-{}", o.pid);
    let left: Vec<PathBuf> = runix_cgroups().into_iter().filter(|p| p.file_name().unwrap() == cg.as_str()).collect();
    assert_eq!(left, Vec::<PathBuf>::new(), "cgroups of runix {} left behind", o.pid);
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(root.s()), "a mount of {} left behind: {mounts}", root.s());
}

/// A uid_map or gid_map line, as the kernel prints it.
fn map_line(inside: u32, outside: u32, count: u32) -> String {
    format!("{inside:>10} {outside:>10} {count:>10}\n")
}

/// Whether newuidmap and newgidmap (Debian's uidmap) are there; under CI=true they must be.
fn have_helpers() -> bool {
    let have = HELPERS.iter().all(|p| Path::new(p).exists());
    if !have {
        skip("the full-range part needs newuidmap/newgidmap (apt-get install uidmap)");
    }
    have
}

/// The line of /proc/mounts for mount point `p`.
fn mount_of(mounts: &str, p: &str) -> String {
    mounts.lines().find(|l| l.split(' ').nth(1) == Some(p)).unwrap_or_else(|| panic!("{p} not mounted: {mounts}")).to_string()
}

#[test]
fn the_caller_is_root_inside_and_everything_else_is_as_for_root() {
    if !need_root() {
        return;
    }
    let (uid, gid) = ids();
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    let out = user_ok(&["run", "-r", r.s(), "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; echo $$; hostname"]);
    assert_eq!(out, format!("0\n0\n{}{}1\ncontainer\n", map_line(0, uid, 1), map_line(0, gid, 1)));
    // The same mounts as for root, the same options.
    let mounts = user_ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
    assert!(mount_of(&mounts, "/proc").starts_with("proc /proc proc rw,nosuid,nodev,noexec"), "{mounts}");
    assert!(mount_of(&mounts, "/sys").starts_with("sysfs /sys sysfs ro,nosuid,nodev,noexec"), "{mounts}");
    assert!(mount_of(&mounts, "/dev").starts_with("tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755"), "{mounts}");
    assert!(mount_of(&mounts, "/dev/pts").starts_with("devpts /dev/pts devpts rw,nosuid,noexec,relatime,mode=620,ptmxmode=666"), "{mounts}");
    assert!(mount_of(&mounts, "/dev/shm").starts_with("shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k"), "{mounts}");
    assert!(mount_of(&mounts, "/dev/mqueue").starts_with("mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec"), "{mounts}");
    // Every namespace is new, the user namespace too. (runix makes no time namespace, as root
    // neither.)
    let host_ns = |n: &str| fs::read_link(format!("/proc/self/ns/{n}")).unwrap().display().to_string();
    let inside = user_ok(&["run", "-r", r.s(), "sh", "-c", "for n in cgroup ipc mnt net pid pid_for_children uts user; do echo $n $(readlink /proc/self/ns/$n); done"]);
    assert_eq!(inside.lines().count(), 8, "{inside}");
    for line in inside.lines() {
        let (n, link) = line.split_once(' ').unwrap();
        assert!(link.starts_with(&format!("{}:[", n.trim_end_matches("_for_children"))), "{line}");
        assert_ne!(link, host_ns(n), "{n} namespace is the host's");
    }
    // Only lo, and up; the cgroup namespace's root is runix's cgroup.
    assert_eq!(user_ok(&["run", "-r", r.s(), "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags"]), "lo\n0x9\n");
    let out = user_ok(&["run", "-r", r.s(), "cat", "/proc/self/cgroup"]);
    assert!(!out.is_empty() && out.lines().all(|l| l.ends_with(":/")), "{out}");
}

#[test]
fn map_user_and_group_choose_the_callers_ids_inside() {
    if !need_root() {
        return;
    }
    let (uid, gid) = ids();
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    let out = user_ok(&["run", "-r", r.s(), "--map-user", "1000", "--map-group", "1000", "sh", "-c", "id; cat /proc/self/uid_map /proc/self/gid_map"]);
    assert_eq!(out, format!("uid=1000 gid=1000\n{}{}", map_line(1000, uid, 1), map_line(1000, gid, 1)));
}

#[test]
fn bind_writes_belong_to_the_caller_and_roots_files_stay_out_of_reach() {
    if !need_root() {
        return;
    }
    let (uid, gid) = ids();
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    let mine = Root::empty();
    give(&mine.path);
    let roots = Root::empty();
    fs::write(roots.path.join("f"), "root's\n").unwrap();
    fs::set_permissions(&roots.path, fs::Permissions::from_mode(0o755)).unwrap();
    let m = format!("{}:/tmp", mine.s());
    let out = user_ok(&["run", "-r", r.s(), "-b", &m, "sh", "-c", "echo x > /tmp/f && mkdir /tmp/d && stat -c %u:%g /tmp/f"]);
    assert_eq!(out, "0:0\n");
    for p in ["f", "d"] {
        let md = fs::metadata(mine.path.join(p)).unwrap();
        assert_eq!((md.uid(), md.gid()), (uid, gid), "{p}");
    }
    // With --map-user the same: the caller on the host, whatever its id inside.
    let out = user_ok(&["run", "-r", r.s(), "--map-user", "1000", "--map-group", "1000", "-b", &m, "sh", "-c", "echo y > /tmp/g && stat -c %u:%g /tmp/g"]);
    assert_eq!(out, "1000:1000\n");
    let md = fs::metadata(mine.path.join("g")).unwrap();
    assert_eq!((md.uid(), md.gid()), (uid, gid));
    // Host root's files: readable as "others", never writable, whatever root inside may do.
    let b = format!("{}:/tmp", roots.s());
    let out = user_ok(&["run", "-r", r.s(), "-b", &b, "sh", "-c", "cat /tmp/f; touch /tmp/new 2>&1; echo x >> /tmp/f || echo refused; stat -c %u /tmp/f; true"]);
    assert_eq!(out, "root's\ntouch: /tmp/new: Permission denied\nrefused\n65534\n");
    assert_eq!(fs::read_dir(&roots.path).unwrap().count(), 1);
    assert_eq!(fs::read_to_string(roots.path.join("f")).unwrap(), "root's\n");
}

#[test]
fn a_limit_without_a_delegated_cgroup_is_refused_clearly() {
    if !need_root() {
        return;
    }
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    let o = as_user(&["run", "-r", r.s(), "-p", "10", "true"]);
    assert_eq!((o.code, o.stdout.as_str()), (125, ""), "{}", o.stderr);
    assert!(o.stderr.starts_with("runix: ") && o.stderr.lines().count() == 1, "{}", o.stderr);
    assert!(o.stderr.ends_with(" (limits without root need a cgroup delegated to your user; use --cgroup-parent, or run without limits)\n"), "{}", o.stderr);
    assert_nothing_left(&o, &r);
    // Without the limit, the same run works.
    let o = as_user(&["run", "-r", r.s(), "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    assert_nothing_left(&o, &r);
}

/// A cgroup delegated to the test user for a test, removed on drop.
struct Delegated(PathBuf);

impl Drop for Delegated {
    fn drop(&mut self) {
        if let Ok(rd) = fs::read_dir(&self.0) {
            for e in rd.flatten().filter(|e| e.path().is_dir()) {
                let _ = fs::remove_dir(e.path());
            }
        }
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn a_limit_in_a_delegated_cgroup_works() {
    if !need_root() {
        return;
    }
    // On cgroup v1 a user may move its own processes into a cgroup it owns; v2 would also need
    // write access to the common ancestor, which a test cannot give without a systemd session.
    let Some(pids) = cgroup_v1_mount("pids") else {
        return skip("no cgroup v1 pids hierarchy");
    };
    let (uid, gid) = ids();
    let _subids = SubIds::set(USER, None);
    // Not named runix-*: other runs look for those.
    let name = format!("rootless-test-{}", std::process::id());
    let dir = pids.join(&name);
    fs::create_dir(&dir).unwrap();
    let _cg = Delegated(dir.clone());
    must("chown", &["-R", &format!("{uid}:{gid}"), dir.to_str().unwrap()]);
    let r = Root::busybox();
    let o = as_user(&["run", "-r", r.s(), "-p", "10", "--cgroup-parent", &format!("/{name}"), "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11; do sleep 5 & echo $i; done"]);
    // sh and 9 sleeps fill the 10: the 10th fork fails, and sh gives up.
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (2, "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "sh: can't fork: Resource temporarily unavailable\n"));
    assert_nothing_left(&o, &r);
    let left: Vec<PathBuf> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    assert_eq!(left, Vec::<PathBuf>::new());
}

/// --net host without root: the host's network, and the host's /sys (a fresh sysfs belongs
/// to the network namespace, which the user namespace does not own), read-only all the way
/// down and masked, as rootless podman does.
#[test]
fn net_host_works_in_a_user_namespace_with_the_hosts_sys_read_only() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let host_links: Vec<String> = fs::read_dir("/sys/class/net").unwrap().flatten().map(|e| e.file_name().into_string().unwrap()).collect();
    let script = "ls /sys/class/net; touch /sys/x; ls /sys/firmware | wc -l; awk '$2 ~ /^\\/sys/ && $4 !~ /^ro/' /proc/mounts";
    let o = as_user(&["run", "-r", r.s(), "--net", "host", "sh", "-c", script]);
    let mut links: Vec<&str> = o.stdout.lines().take_while(|l| !l.trim().chars().all(|c| c.is_ascii_digit())).collect();
    links.sort();
    let mut want: Vec<&str> = host_links.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(links, want, "{}", o.stdout);
    // Nothing of /sys writable (the awk prints none), /sys/firmware masked (empty).
    assert!(o.stdout.ends_with("\n0\n"), "{}", o.stdout);
    assert_eq!((o.code, o.stderr.as_str()), (0, "touch: /sys/x: Read-only file system\n"));
    assert_nothing_left(&o, &r);
}

#[test]
fn dev_holds_the_same_devices_bound_from_the_host() {
    if !need_root() {
        return;
    }
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    let out = user_ok(&["run", "-r", r.s(), "ls", "-A", "/dev"]);
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]);
    let out = user_ok(&["run", "-r", r.s(), "sh", "-c", "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done"]);
    assert_eq!(
        out,
        "/dev/null character special file 1:3 666\n/dev/zero character special file 1:5 666\n/dev/full character special file 1:7 666\n\
         /dev/random character special file 1:8 666\n/dev/urandom character special file 1:9 666\n/dev/tty character special file 5:0 666\n\
         pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n"
    );
    let out = user_ok(&["run", "-r", r.s(), "sh", "-c", "echo x > /dev/null; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; echo x > /dev/full || echo full"]);
    assert!(out.starts_with("4\n4\n") && out.ends_with("full\n"), "{out}");
    // mknod is refused in a user namespace: each node is the host's, bound (and nothing else is).
    let mounts = user_ok(&["run", "-r", r.s(), "cat", "/proc/self/mountinfo"]);
    let nodes: Vec<&str> = mounts.lines().map(|l| l.split(' ').nth(4).unwrap()).filter(|p| p.starts_with("/dev/") && !["/dev/pts", "/dev/shm", "/dev/mqueue"].contains(p)).collect();
    assert_eq!(nodes, ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"], "{mounts}");
    assert_eq!(user_ok(&["run", "-r", r.s(), "ls", "/dev/pts"]), "ptmx\n");
    let out = user_ok(&["run", "-r", r.s(), "sh", "-c", "ls /dev/vda /dev/sda /dev/mem /dev/kmsg 2>&1; true"]);
    assert!(out.lines().all(|l| l.contains("No such file")), "{out}");
    // A single-id map has no gid 5: devpts gets no gid=, even when the image has a tty group.
    r.file("etc/group", "root:x:0:\ntty:x:5:\n", 0o644);
    let mounts = user_ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
    assert!(!mount_of(&mounts, "/dev/pts").contains("gid="), "{mounts}");
}

#[test]
fn proc_is_masked_and_sys_read_only() {
    if !need_root() {
        return;
    }
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    let mounts = user_ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
    for p in ["/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger"] {
        if Path::new(p).exists() {
            let line = mount_of(&mounts, p);
            assert!(line.split(' ').nth(3).unwrap().starts_with("ro,"), "{line}");
        }
    }
    let out = user_ok(&["run", "-r", r.s(), "sh", "-c", "cat /proc/sys/kernel/ostype; echo 1 > /proc/sys/kernel/sysrq && echo wrote; echo h > /proc/sysrq-trigger && echo wrote; touch /sys/x && echo wrote; echo 1 > /sys/kernel/profiling && echo wrote; true"]);
    assert_eq!(out, "Linux\n");
    let out = user_ok(&["run", "-r", r.s(), "sh", "-c", "for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts; do [ -e $f ] && wc -c < $f; done; ls -A /sys/firmware /proc/acpi 2>/dev/null | grep -v : ; true"]);
    assert!(out.lines().all(|l| l.trim() == "0" || l.is_empty()), "{out}");
    assert!(out.lines().any(|l| l.trim() == "0"), "nothing was masked? {out}");
}

#[test]
fn tmpfs_read_only_root_and_read_only_binds() {
    if !need_root() {
        return;
    }
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    fs::create_dir_all(r.path.join("mnt/rw")).unwrap();
    fs::create_dir_all(r.path.join("mnt/ro")).unwrap();
    let before_root = tree(&r.path);
    let out = user_ok(&["run", "-r", r.s(), "--read-only", "--tmpfs", "/tmp:size=1m", "sh", "-c", "touch /x || echo ro; touch /tmp/y && echo tmp; grep ' /tmp ' /proc/mounts; grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -c1-3"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["ro", "tmp"], "{out}");
    assert!(lines[2].starts_with("tmpfs /tmp tmpfs rw,nosuid,nodev,relatime,size=1024k"), "{out}");
    assert_eq!(lines[3], "ro,");
    // Binds, read-write and read-only, also on a read-only root.
    let src = Root::empty();
    fs::write(src.path.join("in"), "hello").unwrap();
    give(&src.path);
    let s = src.s();
    let args = ["run", "-r", r.s(), "--read-only", "-b", &format!("{s}:/mnt/rw"), "-b", &format!("{s}:/mnt/ro:ro"), "sh", "-c", "cat /mnt/ro/in; echo new > /mnt/rw/out; echo x > /mnt/ro/no || echo refused; grep /mnt/ro /proc/mounts | cut -d' ' -f4 | cut -c1-3"];
    let out = ok(as_user(&args), &args);
    assert_eq!(out, "hellorefused\nro,\n");
    assert_eq!(fs::read_to_string(src.path.join("out")).unwrap(), "new\n");
    assert!(!src.path.join("no").exists());
    // The same where the root and the bind source lie on a nosuid,nodev mount (as /home and
    // /tmp often are): those flags are locked in a user namespace, and a read-only remount
    // that dropped them would be refused (mount_namespaces(7)).
    let world = World { nosuid: vec![r.path.clone(), src.path.clone()], ..World::default() };
    let out = ok(as_user_in(world, &args), &args);
    assert_eq!(out, "hellorefused\nro,\n");
    assert_eq!(tree(&r.path), before_root, "the image changed");
}

#[test]
fn overlay_keeps_the_image_unchanged() {
    if !need_root() {
        return;
    }
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    r.file("etc/motd", "original\n", 0o644);
    give(&r.path);
    let before_root = tree(&r.path);
    let out = user_ok(&["run", "-r", r.s(), "--overlay", "sh", "-c", "echo changed > /etc/motd; rm /bin/ls; mkdir /newdir; cat /etc/motd; ls / | tr '\\n' ' '"]);
    assert_eq!(out, "changed\nbin dev etc newdir proc sys tmp ");
    assert_eq!(tree(&r.path), before_root, "--overlay wrote to the image");
    let keep = Root::empty();
    give(&keep.path);
    user_ok(&["run", "-r", r.s(), "--overlay-upper", keep.s(), "sh", "-c", "echo kept > /etc/motd"]);
    assert_eq!(fs::read_to_string(keep.path.join("upper/etc/motd")).unwrap(), "kept\n");
    assert_eq!(user_ok(&["run", "-r", r.s(), "--overlay-upper", keep.s(), "cat", "/etc/motd"]), "kept\n");
    assert_eq!(tree(&r.path), before_root);
}

#[test]
fn hostile_symlinks_are_refused() {
    if !need_root() {
        return;
    }
    let _subids = SubIds::set(USER, None);
    let target = Root::empty();
    give(&target.path);
    for p in ["proc", "sys", "dev"] {
        let r = Root::busybox();
        fs::remove_dir(r.path.join(p)).unwrap();
        symlink(&target.path, r.path.join(p)).unwrap();
        let o = as_user(&["run", "-r", r.s(), "true"]);
        assert_eq!((o.code, o.stderr.as_str()), (125, format!("runix: refused: a symlink in the root filesystem at: /{p}\n").as_str()));
        assert_nothing_left(&o, &r);
    }
    assert_eq!(fs::read_dir(&target.path).unwrap().count(), 0);
    let r = Root::busybox();
    symlink("/nowhere/at/all", r.path.join("dangling")).unwrap();
    let bind = format!("{}:/dangling/f", target.s());
    let o = as_user(&["run", "-r", r.s(), "--overlay", "-b", &bind, "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: refused: a dangling symlink in the root filesystem at: /dangling/f\n"));
    assert!(!Path::new("/nowhere").exists());
}

#[test]
fn subordinate_ranges_are_mapped_with_newuidmap() {
    if !need_root() || !have_helpers() {
        return;
    }
    let (uid, gid) = ids();
    let r = Root::busybox();
    r.file("etc/group", "root:x:0:\ntty:x:5:\n", 0o644);
    let cmd = "cat /proc/self/uid_map /proc/self/gid_map";
    let single = format!("{}{}", map_line(0, uid, 1), map_line(0, gid, 1));
    {
        let _subids = SubIds::set(USER, Some(USER_RANGE));
        let (s, n) = USER_RANGE;
        let out = user_ok(&["run", "-r", r.s(), "sh", "-c", cmd]);
        assert_eq!(out, format!("{}{}{}{}", map_line(0, uid, 1), map_line(1, s, n), map_line(0, gid, 1), map_line(1, s, n)));
        // The other ids exist now: chown works, and a user of the image can be switched to.
        let out = user_ok(&["run", "-r", r.s(), "--tmpfs", "/tmp", "sh", "-c", "touch /tmp/f && chown 1:1 /tmp/f && stat -c %u:%g /tmp/f"]);
        assert_eq!(out, "1:1\n");
        assert_eq!(user_ok(&["run", "-r", r.s(), "-u", "2:5", "id"]), "uid=2 gid=5(tty)\n");
        // gid 5 is mapped: devpts gets the tty group (shown as the host's gid for it).
        let mounts = user_ok(&["run", "-r", r.s(), "cat", "/proc/mounts"]);
        assert!(mount_of(&mounts, "/dev/pts").contains(&format!(",gid={},", s + 4)), "{mounts}");
        // Without newuidmap and newgidmap, the single-id map, which needs no helper.
        let args = ["run", "-r", r.s(), "sh", "-c", cmd];
        assert_eq!(ok(as_user_in(World { no_helpers: true, ..World::default() }, &args), &args), single);
    }
    // Without the ranges, the single-id map.
    let _subids = SubIds::set(USER, None);
    assert_eq!(user_ok(&["run", "-r", r.s(), "sh", "-c", cmd]), single);
    // ... in which uid 2 does not exist.
    let o = as_user(&["run", "-r", r.s(), "-u", "2", "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: setresuid: Invalid argument\n"));
}

/// --map-user and --map-group with subordinate ranges: the caller's ids where they are asked,
/// the range around them; with root's --userns, which maps no id of root's, a clear refusal.
#[test]
fn map_user_places_the_caller_in_a_range_map_too() {
    if !need_root() {
        return;
    }
    let (uid, gid) = ids();
    let r = Root::busybox();
    let _subids = SubIds::set(USER, Some(USER_RANGE));
    let (s, n) = USER_RANGE;
    let out = user_ok(&["run", "-r", r.s(), "--map-user", "1000", "--map-group", "100", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"]);
    let maps = |k: u32, id: u32| format!("{}{}{}", map_line(0, s, k), map_line(k, id, 1), map_line(k + 1, s + k, n - k));
    assert_eq!(out, format!("1000\n100\n{}{}", maps(1000, uid), maps(100, gid)));
    drop(_subids);
    // A range too short to reach gid 5 (tty) below the caller's gid 10: devpts goes without it.
    let _subids = SubIds::set(USER, Some((300000, 5)));
    assert_eq!(user_ok(&["run", "-r", r.s(), "--map-group", "10", "id", "-g"]), "10\n");
    drop(_subids);
    // Root has no id of its own in its --userns, nor a user namespace without it.
    let _root = SubIds::set("root", Some(ROOT_RANGE));
    let want = "runix: --map-user and --map-group are for a user namespace without root (root's --userns maps none of root's ids)\n";
    for opts in [&["--userns", "--map-user", "1000"][..], &["--map-group", "5"]] {
        let mut args = vec!["run", "-r", r.s()];
        args.extend_from_slice(opts);
        args.push("true");
        let o = run(&args);
        assert_eq!((o.code, o.stderr.as_str()), (125, want), "{opts:?}");
    }
}

#[test]
fn root_with_userns_maps_roots_range() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    {
        let _subids = SubIds::set("root", Some(ROOT_RANGE));
        let (s, n) = ROOT_RANGE;
        let o = run(&["run", "-r", r.s(), "--userns", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; echo $$; hostname; readlink /proc/self/ns/user"]);
        let host_user = fs::read_link("/proc/self/ns/user").unwrap().display().to_string();
        assert_eq!(o.code, 0, "{}", o.stderr);
        let want = format!("0\n0\n{}{}1\ncontainer\n", map_line(0, s, n), map_line(0, s, n));
        assert!(o.stdout.starts_with(&want), "{}", o.stdout);
        assert_ne!(o.stdout.lines().last().unwrap(), host_user);
        // The container's root is not the host's: a bind of root's files is read-only to it.
        let roots = Root::empty();
        fs::write(roots.path.join("f"), "root's\n").unwrap();
        let b = format!("{}:/tmp", roots.s());
        let o = run(&["run", "-r", r.s(), "--userns", "-b", &b, "sh", "-c", "touch /tmp/new 2>&1; stat -c %u /tmp/f; true"]);
        assert_eq!((o.code, o.stdout.as_str()), (0, "touch: /tmp/new: Permission denied\n65534\n"), "{}", o.stderr);
        assert_nothing_left(&o, &r);
    }
    let _subids = SubIds::set("root", None);
    let o = run(&["run", "-r", r.s(), "--userns", "true"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (125, "", "runix: --userns as root needs ranges for root in /etc/subuid and /etc/subgid (e.g. root:100000:65536)\n")
    );
}

/// A read-only bind keeps the atime mode of the mount it comes from. In a user namespace that
/// mode is locked, and a remount that changed it failed with EPERM: a strictatime,nodiratime
/// source became relatime when nodiratime was given back alone.
#[test]
fn a_read_only_bind_keeps_a_locked_atime_mode() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let src = Root::empty();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "strictatime,nodiratime,size=1m", "tmpfs", src.s()]).status().unwrap();
    assert!(mounted.success());
    struct Unmount<'a>(&'a str);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _mounted = Unmount(src.s());
    let _subids = SubIds::set("root", Some(ROOT_RANGE));
    let b = format!("{}:/tmp:ro", src.s());
    let o = run(&["run", "-r", r.s(), "--userns", "-b", &b, "sh", "-c", "grep ' /tmp ' /proc/self/mountinfo; touch /tmp/x"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.contains(" /tmp ro,nodev,nodiratime "), "{}", o.stdout);
    assert!(o.stderr.contains("Read-only file system"), "{}", o.stderr);
    assert_nothing_left(&o, &r);
}

#[test]
fn disabled_user_namespaces_are_named() {
    if !need_root() {
        return;
    }
    let (uid, gid) = ids();
    let _subids = SubIds::set(USER, None);
    let r = Root::busybox();
    // user.max_user_namespaces is set to 0 in a user namespace of the test's own, whose limits
    // bind every namespace made below it: the host's value never changes, so there is nothing
    // to put back, even if the test is killed. sh unshares it and waits; the maps written from
    // here make it root there, so the sh it then execs has the capabilities to set the limit,
    // and setpriv, the test user's ids (mapped too).
    assert!(!format!("{}{}", runix().display(), r.s()).contains(['\'', ' ']), "paths the script cannot quote");
    let script = format!(
        "read go && exec sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --reuid={uid} --regid={gid} --clear-groups {} run -r {} true'",
        runix().display(),
        r.s()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: unshare(2) only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| if libc::unshare(libc::CLONE_NEWUSER) < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) });
    }
    let mut child = cmd.spawn().unwrap();
    for f in ["uid_map", "gid_map"] {
        fs::write(format!("/proc/{}/{f}", child.id()), "0 0 4294967295").unwrap();
    }
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("runix in a user namespace with max_user_namespaces=0 did not finish within 20s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(
        (status.code(), stderr.as_str()),
        (
            Some(125),
            "runix: clone: No space left on device (user namespaces are off: check the sysctls user.max_user_namespaces, \
             kernel.unprivileged_userns_clone and kernel.apparmor_restrict_unprivileged_userns)\n"
        )
    );
    assert_ne!(fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap().trim(), "0", "the host's limit changed");
}
