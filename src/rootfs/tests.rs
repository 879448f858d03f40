//! enter_root on the recording backend: the initramfs fallback, and what it leaves of the host.

use crate::error::Error;
use crate::sys::Fd;
use crate::sys::record::{self, Kernel, Recording, in_order};
use std::string::String;
use std::vec::Vec;
use syscalls::Sysno;

/// The fd of the root mount's top.
const ROOT_TOP: Fd = 9;

/// The fd the fake gives /proc/self/mountinfo.
const MOUNTINFO: Fd = 77;

/// The fd the fake gives a /proc/self/fdinfo file; an O_PATH fd is 1000 + its mount's id.
const FDINFO: Fd = 78;

/// A host with `/` of type `f_type` (statfs) and the mounts `mounts` (its mountinfo), where the
/// calls named in `fails` fail with their errno, and the paths in `reach` lead where it says
/// (an O_PATH open's result: 1000 + a mount's id, or -errno), not to the top mount listed
/// there: `enter_root(root, pivot)`'s result and calls, with the root at `cwd` as getcwd says.
/// umount2 takes the top mount at its path, and those below it.
fn enter(root: &core::ffi::CStr, pivot: bool, cwd: &'static [u8], f_type: u64, mounts: &'static str, fails: &'static [(Sysno, i32)], reach: &'static [(&str, isize)]) -> (Result<(), Error>, Vec<String>) {
    let rec = Recording::start(Kernel::Fake);
    let mut left = mounts.as_bytes();
    // (id, point) of each mount still there.
    let mut live: Vec<(i64, String)> = mounts.lines().map(|l| (l.split(' ').next().unwrap().parse().unwrap(), l.split(' ').nth(4).unwrap().replace("\\040", " "))).collect();
    let (mut info, mut read) = (String::new(), 0);
    rec.answer(move |nr, a| {
        if let Some(&(_, errno)) = fails.iter().find(|f| f.0 == nr) {
            return Some(-errno as isize);
        }
        let line = String::from_utf8_lossy(crate::sys::trace::line(nr, a, crate::sys::trace::NOT_ISSUED).bytes()).into_owned();
        let path = line.split('"').nth(1).unwrap_or("").to_string();
        match nr {
            Sysno::openat if path == "/proc/self/mountinfo" => Some(MOUNTINFO as isize),
            Sysno::openat if path.starts_with("/proc/self/fdinfo/") => {
                (info, read) = (std::format!("pos:\t0\nflags:\t012000000\nmnt_id:\t{}\n", path[18..].parse::<i64>().unwrap() - 1000), 0);
                Some(FDINFO as isize)
            }
            Sysno::openat if reach.iter().any(|r| r.0 == path) => reach.iter().find(|r| r.0 == path).map(|r| r.1),
            Sysno::openat => Some(live.iter().rev().find(|m| m.1 == path).map_or(-libc::ENOENT as isize, |m| 1000 + m.0 as isize)),
            Sysno::umount2 => {
                let i = live.iter().rposition(|m| m.1 == path)?;
                let gone = live.remove(i).1 + "/";
                live.retain(|m| !m.1.starts_with(&gone));
                Some(0)
            }
            Sysno::read if a[0] == FDINFO as usize => {
                let mut rest = &info.as_bytes()[read..];
                let r = record::reply_read(nr, a, FDINFO, &mut rest);
                read = info.len() - rest.len();
                r
            }
            _ => record::reply_statfs(nr, a, f_type).or_else(|| record::reply_getcwd(nr, a, cwd)).or_else(|| record::reply_read(nr, a, MOUNTINFO, &mut left)),
        }
    });
    (super::enter_root(ROOT_TOP, root, pivot), rec.calls())
}

/// A pivot_root that fails with EINVAL, on a host whose / has type `f_type`, with the root at /r.
fn enter_on(f_type: u64, mounts: &'static str) -> (Result<(), Error>, Vec<String>) {
    enter(c"/r", true, b"/r", f_type, mounts, &[(Sysno::pivot_root, libc::EINVAL)], &[])
}

const HOST: &str = "\
1 1 0:2 / / rw - rootfs rootfs rw
20 1 0:20 / /proc rw,nosuid - proc proc rw
21 1 0:21 / /sys rw - sysfs sysfs rw
22 21 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
23 1 0:5 / /dev rw - devtmpfs devtmpfs rw
24 1 0:23 / /mnt/a\\040b rw - proc proc rw
30 1 0:24 / /r rw - ext4 /dev/vda rw
31 30 0:25 / /r/proc rw - proc proc rw
32 30 0:26 / /r/sys ro - sysfs sysfs ro
";

#[test]
fn an_initramfs_root_is_left_by_moving_the_root_over_it() {
    // ramfs or tmpfs at /: the host booted into its initramfs. switch_root(8)'s way, by itself.
    for magic in [0x8584_58f6, 0x0102_1994] {
        let (r, calls) = enter_on(magic, "");
        assert!(r.is_ok(), "{r:?}");
        let want = ["fchdir(9)", "pivot_root(\".\", \".\") = -1 EINVAL", "statfs(\"/\"", "mount(\".\", \"/\", NULL, MS_MOVE, NULL)", "chroot(\".\")", "chdir(\"/\")"];
        assert!(in_order(&calls, &want), "{calls:#?}");
        assert!(!calls.iter().any(|c| c.starts_with("umount2")), "{calls:#?}");
    }
    // Any other root that pivot_root refuses is an error, with the way around it.
    let (r, calls) = enter_on(0xef53, "");
    assert_eq!(crate::error::tests::show(&r.unwrap_err()), "pivot_root(/r): Invalid argument (--chroot where / cannot be pivoted from)");
    assert!(!calls.iter().any(|c| c.starts_with("mount(") || c.starts_with("chroot(")), "{calls:#?}");
}

#[test]
fn the_hosts_proc_and_sysfs_go_before_the_root_moves_over_them() {
    // The host's /proc, /sys (its cgroups with it) and a proc elsewhere, by their unescaped
    // paths, the last first, each once its path is seen to lead to it; the container's own
    // under /r stay, and so does everything else.
    let (r, calls) = enter_on(0x8584_58f6, HOST);
    assert!(r.is_ok(), "{r:?}");
    let umounts: Vec<_> = calls.iter().filter(|c| c.starts_with("umount2(")).cloned().collect();
    assert_eq!(umounts, ["umount2(\"/mnt/a b\", MNT_DETACH) = 0", "umount2(\"/sys\", MNT_DETACH) = 0", "umount2(\"/proc\", MNT_DETACH) = 0"], "{calls:#?}");
    let want = ["openat(AT_FDCWD, \"/proc\", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 1020", "openat(AT_FDCWD, \"/proc/self/fdinfo/1020\"", "umount2(\"/proc\"", "mount(\".\", \"/\", NULL, MS_MOVE"];
    assert!(in_order(&calls, &want), "{calls:#?}");
}

#[test]
fn a_host_mount_that_cannot_go_is_covered_or_stops_the_run() {
    // Locked (EINVAL, in a user namespace) or busy: an empty read-only tmpfs over it instead.
    for fails in [&[(Sysno::umount2, libc::EINVAL)], &[(Sysno::umount2, libc::EBUSY)]] {
        let (r, calls) = enter(c"/r", false, b"/r", 0, HOST, fails, &[]);
        assert!(r.is_ok(), "{r:?}");
        assert!(in_order(&calls, &["umount2(\"/proc\"", "mount(\"tmpfs\", \"/proc\", \"tmpfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, \"size=0\")", "mount(\".\", \"/\""]), "{calls:#?}");
    }
    // Neither: the run stops there, before the root moves.
    let (r, calls) = enter(c"/r", false, b"/r", 0, HOST, &[(Sysno::umount2, libc::EBUSY), (Sysno::mount, libc::EPERM)], &[]);
    assert_eq!(crate::error::tests::show(&r.unwrap_err()), "umount2(/mnt/a b): Device or resource busy");
    assert!(!calls.iter().any(|c| c.starts_with("chroot(")), "{calls:#?}");
}

#[test]
fn a_host_proc_hidden_under_another_mount_stops_the_run() {
    // /h/proc under a tmpfs mounted on /h later: its path leads into the tmpfs (to a directory
    // there, or to nothing), where neither umount2 nor a cover would reach the proc, which a
    // user namespace's mount of a fresh proc still counts as visible.
    let mounts = "1 1 0:2 / / rw - rootfs rootfs rw\n40 1 0:30 / /h rw - tmpfs t rw\n41 40 0:31 / /h/proc rw - proc proc rw\n42 1 0:32 / /h rw - tmpfs cover rw\n";
    for reach in [&[("/h/proc", 1042)], &[("/h/proc", -libc::ENOENT as isize)]] {
        let (r, calls) = enter(c"/r", false, b"/r", 0, mounts, &[], reach);
        assert_eq!(crate::error::tests::show(&r.unwrap_err()), "proc or sysfs mount out of its path's reach (hidden under another mount?): /h/proc");
        assert!(!calls.iter().any(|c| c.starts_with("umount2(") || c.starts_with("mount(") || c.starts_with("chroot(")), "{calls:#?}");
    }
}

#[test]
fn a_host_proc_under_the_roots_bind_stops_the_run() {
    // The host's proc on /r/proc, under the root's bind (50) and runix's own proc there (51):
    // /r/proc leads to runix's, and the host's is out of reach.
    let mounts = "1 1 0:2 / / rw - rootfs rootfs rw\n30 1 0:24 / /r rw - ext4 /dev/vda rw\n31 30 0:25 / /r/proc rw - proc proc rw\n50 1 0:24 /r /r rw - ext4 /dev/vda rw\n51 50 0:40 / /r/proc rw - proc proc rw\n";
    let (r, calls) = enter(c"/r", false, b"/r", 0, mounts, &[], &[]);
    assert_eq!(crate::error::tests::show(&r.unwrap_err()), "proc or sysfs mount out of its path's reach (hidden under another mount?): /r/proc");
    assert!(!calls.iter().any(|c| c.starts_with("umount2(") || c.starts_with("chroot(")), "{calls:#?}");
    // Without it, runix's own proc stays.
    let mounts = "1 1 0:2 / / rw - rootfs rootfs rw\n30 1 0:24 / /r rw - ext4 /dev/vda rw\n50 1 0:24 /r /r rw - ext4 /dev/vda rw\n51 50 0:40 / /r/proc rw - proc proc rw\n";
    let (r, calls) = enter(c"/r", false, b"/r", 0, mounts, &[], &[]);
    assert!(r.is_ok() && !calls.iter().any(|c| c.starts_with("umount2(")), "{r:?} {calls:#?}");
}

#[test]
fn a_runix_containers_proc_goes_with_what_is_on_it() {
    // Inside a runix container: its /proc/bus is a bind of a part of proc, which the kernel does
    // not count (only a filesystem's top can be fully visible); it goes with /proc. Two procs
    // stacked on one point both go, the top one first.
    let nested = "1 0 0:2 / / rw - overlay overlay rw\n20 1 0:20 / /proc rw - proc proc rw\n21 20 0:20 /bus /proc/bus ro - proc proc rw\n22 20 0:33 / /proc rw - proc proc rw\n";
    let (r, calls) = enter(c"/r", false, b"/r", 0, nested, &[], &[]);
    assert!(r.is_ok(), "{r:?}");
    let steps: Vec<_> = calls.iter().filter(|c| c.starts_with("umount2(") || c.contains("fdinfo")).map(|c| c.split(", ").next().unwrap()).collect();
    assert_eq!(steps, ["openat(AT_FDCWD", "umount2(\"/proc\"", "openat(AT_FDCWD", "umount2(\"/proc\""], "{calls:#?}");
    assert!(in_order(&calls, &["openat(AT_FDCWD, \"/proc/self/fdinfo/1022\"", "openat(AT_FDCWD, \"/proc/self/fdinfo/1020\""]), "{calls:#?}");
    assert!(!calls.iter().any(|c| c.starts_with("mount(\"tmpfs\"")), "{calls:#?}");
}

#[test]
fn with_the_hosts_root_as_the_containers_nothing_is_dropped() {
    // -r /: the host's /proc and /sys are the container's to see anyway.
    let (r, calls) = enter(c"/", false, b"/", 0, HOST, &[], &[]);
    assert!(r.is_ok(), "{r:?}");
    assert!(!calls.iter().any(|c| c.starts_with("umount2(")) && in_order(&calls, &["mount(\".\", \"/\", NULL, MS_MOVE"]), "{calls:#?}");
}

#[test]
fn a_root_whose_path_mountinfo_escapes_keeps_its_own() {
    // mountinfo writes the root "/r b" as /r\040b: its proc is the container's, and stays.
    let mounts = "1 1 0:2 / / rw - rootfs rootfs rw\n20 1 0:20 / /proc rw - proc proc rw\n31 30 0:25 / /r\\040b/proc rw - proc proc rw\n";
    let (r, calls) = enter(c"/r b", false, b"/r b", 0, mounts, &[], &[]);
    assert!(r.is_ok(), "{r:?}");
    let umounts: Vec<_> = calls.into_iter().filter(|c| c.starts_with("umount2(")).collect();
    assert_eq!(umounts, ["umount2(\"/proc\", MNT_DETACH) = 0"]);
}
