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

/// A host with `/` of type `f_type` (statfs) and the mounts `mounts` (its mountinfo), where the
/// calls named in `fails` fail with their errno: `enter_root(root, pivot)`'s result and calls,
/// with the root at `cwd` as getcwd says.
fn enter(root: &core::ffi::CStr, pivot: bool, cwd: &'static [u8], f_type: u64, mounts: &'static str, fails: &'static [(Sysno, i32)]) -> (Result<(), Error>, Vec<String>) {
    let rec = Recording::start(Kernel::Fake);
    let mut left = mounts.as_bytes();
    rec.answer(move |nr, a| match fails.iter().find(|f| f.0 == nr) {
        Some(&(_, errno)) => Some(-errno as isize),
        None if nr == Sysno::openat => Some(MOUNTINFO as isize),
        None => record::reply_statfs(nr, a, f_type).or_else(|| record::reply_getcwd(nr, a, cwd)).or_else(|| record::reply_read(nr, a, MOUNTINFO, &mut left)),
    });
    (super::enter_root(ROOT_TOP, root, pivot), rec.calls())
}

/// A pivot_root that fails with EINVAL, on a host whose / has type `f_type`, with the root at /r.
fn enter_on(f_type: u64, mounts: &'static str) -> (Result<(), Error>, Vec<String>) {
    enter(c"/r", true, b"/r", f_type, mounts, &[(Sysno::pivot_root, libc::EINVAL)])
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
    // paths; the container's own under /r stay, and so does everything else.
    let (r, calls) = enter_on(0x8584_58f6, HOST);
    assert!(r.is_ok(), "{r:?}");
    let umounts: Vec<_> = calls.iter().filter(|c| c.starts_with("umount2(")).cloned().collect();
    assert_eq!(umounts, ["umount2(\"/proc\", MNT_DETACH) = 0", "umount2(\"/sys\", MNT_DETACH) = 0", "umount2(\"/mnt/a b\", MNT_DETACH) = 0"], "{calls:#?}");
    assert!(in_order(&calls, &["umount2(\"/mnt/a b\"", "mount(\".\", \"/\", NULL, MS_MOVE"]), "{calls:#?}");
}

#[test]
fn a_host_mount_that_cannot_go_is_covered_or_stops_the_run() {
    // Busy: an empty read-only tmpfs over it instead.
    let (r, calls) = enter(c"/r", false, b"/r", 0, HOST, &[(Sysno::umount2, libc::EBUSY)]);
    assert!(r.is_ok(), "{r:?}");
    assert!(in_order(&calls, &["umount2(\"/proc\"", "mount(\"tmpfs\", \"/proc\", \"tmpfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, \"size=0\")", "mount(\".\", \"/\""]), "{calls:#?}");
    // Neither: the run stops there, before the root moves.
    let (r, calls) = enter(c"/r", false, b"/r", 0, HOST, &[(Sysno::umount2, libc::EBUSY), (Sysno::mount, libc::EPERM)]);
    assert_eq!(crate::error::tests::show(&r.unwrap_err()), "umount2(/proc): Device or resource busy");
    assert!(!calls.iter().any(|c| c.starts_with("chroot(")), "{calls:#?}");
}

#[test]
fn a_host_mount_gone_with_the_one_above_it_is_passed_over() {
    // Inside a runix container: /proc/bus is gone with /proc (umount2 says ENOENT, or EINVAL
    // when its directory is still there), and there is nothing left to cover.
    let nested = "1 0 0:2 / / rw - overlay overlay rw\n20 1 0:20 / /proc rw - proc proc rw\n21 20 0:20 /bus /proc/bus ro - proc proc rw\n";
    for fails in [&[(Sysno::umount2, libc::ENOENT)], &[(Sysno::umount2, libc::EINVAL)]] {
        let (r, calls) = enter(c"/r", false, b"/r", 0, nested, fails);
        assert!(r.is_ok(), "{r:?}");
        assert!(in_order(&calls, &["umount2(\"/proc\"", "umount2(\"/proc/bus\"", "mount(\".\", \"/\""]), "{calls:#?}");
        assert!(!calls.iter().any(|c| c.starts_with("mount(\"tmpfs\"")), "{calls:#?}");
    }
}

#[test]
fn with_the_hosts_root_as_the_containers_nothing_is_dropped() {
    // -r /: the host's /proc and /sys are the container's to see anyway.
    let (r, calls) = enter(c"/", false, b"/", 0, HOST, &[]);
    assert!(r.is_ok(), "{r:?}");
    assert!(!calls.iter().any(|c| c.starts_with("umount2(")) && in_order(&calls, &["mount(\".\", \"/\", NULL, MS_MOVE"]), "{calls:#?}");
}

#[test]
fn a_root_whose_path_mountinfo_escapes_keeps_its_own() {
    // mountinfo writes the root "/r b" as /r\040b: its proc is the container's, and stays.
    let mounts = "1 1 0:2 / / rw - rootfs rootfs rw\n20 1 0:20 / /proc rw - proc proc rw\n31 30 0:25 / /r\\040b/proc rw - proc proc rw\n";
    let (r, calls) = enter(c"/r b", false, b"/r b", 0, mounts, &[]);
    assert!(r.is_ok(), "{r:?}");
    let umounts: Vec<_> = calls.into_iter().filter(|c| c.starts_with("umount2(")).collect();
    assert_eq!(umounts, ["umount2(\"/proc\", MNT_DETACH) = 0"]);
}
