//! The plan's tests: the plan for each kind of spec, as data; the calls its ops make, through
//! the recording backend (sys/record.rs), error paths and old kernels' fallbacks included.
use super::*;
use crate::spec::Overlay;
use crate::error::tests::show;
use crate::sys::record::{self, Kernel, Recording};
use crate::sys::Stat;
use crate::spec::Mount;
use crate::sys::{Args, trace};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::string::String;
use std::vec::Vec;
use syscalls::Sysno;

/// The Spec of `runix run -r /r true`, changed by `f`.
fn spec(f: impl FnOnce(&mut Spec)) -> Spec {
    let mut s = Spec::new(Args::from_strs(&["true"]));
    s.rootfs = c"/r";
    f(&mut s);
    s
}

/// `-b SRC:DST[:ro]`.
fn bind(src: &'static str, dst: &'static str, ro: bool) -> Mount {
    Mount { dst: dst.as_bytes(), kind: MountKind::Bind { src: src.as_bytes(), attrs: ro as u8 } }
}

/// `--tmpfs DST[:size=SIZE]`.
fn tmpfs(dst: &'static str, size: Option<u64>) -> Mount {
    Mount { dst: dst.as_bytes(), kind: MountKind::Tmpfs { size } }
}

/// The default Spec with these user mounts.
fn mounts(m: &[Mount]) -> Spec {
    spec(|s| m.iter().for_each(|&m| assert!(s.mounts.push(m))))
}

/// Root, with device rules: nothing nodev, gid 5 there.
const ROOT: Facts = Facts { userns: false, nodev: false, tty_gid: true };

fn plan(s: Spec, facts: Facts) -> Plan<'static> {
    new(s, facts).unwrap_or_else(|e| panic!("{}", show(&e)))
}

/// The plan borrows its Spec: a test's lives as long as the test program.
fn new(s: Spec, facts: Facts) -> Result<Plan<'static>, Error> {
    let mut p = Plan::new(Box::leak(Box::new(s)));
    p.fill(facts).map(|()| p)
}

/// A user mount's op: in `slot`, on runix's /dev or not, with these MOUNT_ATTR_*.
fn user(slot: u8, in_dev: bool, attrs: u64) -> User {
    User::new(slot, in_dev, attrs)
}

fn ops(p: &Plan) -> Vec<Op> {
    p.ops.iter().collect()
}

/// The plan as `-v` shows it, a line per op (log::header says "(child) ").
fn shown(p: &Plan) -> String {
    p.ops.iter().map(|op| format!("(child) {}{}\n", field(op), String::from_utf8_lossy(p.path(op)))).collect()
}

fn field(op: Op) -> &'static str {
    crate::text::field(NAMES, b',', op.index()).unwrap()
}

/// runix's own mounts and files, the same in every plan but --privileged's (no masks).
const RUNIX: &str = "(child) proc /proc
(child) sysfs /sys
(child) tmpfs /dev
(child) umask 0
(child) device /dev/null
(child) device /dev/zero
(child) device /dev/full
(child) device /dev/random
(child) device /dev/urandom
(child) device /dev/tty
(child) umask back
(child) mount /dev/pts
(child) symlink /dev/ptmx
(child) mount /dev/shm
(child) mount /dev/mqueue
(child) symlink /dev/fd
(child) symlink /dev/stdin
(child) symlink /dev/stdout
(child) symlink /dev/stderr
(child) check /dev/null
";
const MASKS: &str = "(child) mask /proc/acpi
(child) mask /proc/asound
(child) mask /proc/interrupts
(child) mask /proc/kcore
(child) mask /proc/keys
(child) mask /proc/latency_stats
(child) mask /proc/sched_debug
(child) mask /proc/scsi
(child) mask /proc/timer_list
(child) mask /proc/timer_stats
(child) mask /sys/devices/virtual/powercap
(child) mask /sys/firmware
(child) read-only /proc/bus
(child) read-only /proc/fs
(child) read-only /proc/irq
(child) read-only /proc/sys
(child) read-only /proc/sysrq-trigger
";

#[test]
fn the_default_plan() {
    let p = plan(spec(|_| {}), ROOT);
    let end = "(child) pivot_root /r\n(child) close fds\n";
    assert_eq!(shown(&p), format!("(child) root /r\n{RUNIX}{MASKS}{end}"));
    let o = ops(&p);
    assert_eq!(o[0], Op::Root { attrs: 0 });
    assert_eq!(o[5], Op::Device(&Device { path: c"/dev/null", major: 1, minor: 3 }));
    assert_eq!(o[12], Op::DevMount(&DevMount { path: c"/dev/pts", mode: 0o755, fs: DEVPTS }));
    assert_eq!(o[13], Op::Symlink(&Link { path: c"/dev/ptmx", target: c"pts/ptmx" }));
    assert_eq!(o[21], Op::Mask(&Mask { path: c"/proc/acpi", dir: true }));
    assert_eq!(o[23], Op::Mask(&Mask { path: c"/proc/interrupts", dir: false }));
    assert_eq!(o[33], Op::ReadOnly(&Mask { path: c"/proc/bus", dir: true }));
    assert!(!p.host_sys);
}

#[test]
fn privileged_sees_proc_and_sys_whole() {
    let p = plan(spec(|s| s.privileged = true), ROOT);
    assert_eq!(shown(&p), format!("(child) root /r\n{RUNIX}(child) pivot_root /r\n(child) close fds\n"));
}

#[test]
fn user_mounts_go_on_before_runix_mounts_and_those_in_dev_after() {
    let m = [bind("/h", "/data", false), bind("/kvm", "/dev/kvm", false), bind("/h2", "/ro", true), tmpfs("/tmp", Some(1 << 20)), tmpfs("/dev/x", None)];
    let p = plan(mounts(&m), ROOT);
    let o = ops(&p);
    let before = [Op::Bind(user(0, false, 0)), Op::Bind(user(2, false, MOUNT_ATTR_RDONLY)), Op::Tmpfs(user(3, false, 0))];
    assert_eq!(o[1..4], before);
    assert_eq!(o[4], Op::Proc);
    let after = [
        Op::CheckCovered(user(0, false, 0)),
        Op::Bind(user(1, true, 0)),
        Op::CheckCovered(user(2, false, 0)),
        Op::CheckCovered(user(3, false, 0)),
        Op::Tmpfs(user(4, true, 0)),
        Op::PivotRoot,
        Op::CloseFds,
    ];
    assert_eq!(o[o.len() - 7..], after);
    assert_eq!(o.len(), 1 + 3 + 20 + 17 + 7);
    // Each op's path is its slot's in the Spec.
    let s = shown(&p);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[1..4], ["(child) bind /data", "(child) bind /ro", "(child) tmpfs /tmp"]);
    let after = ["(child) check /data", "(child) bind /dev/kvm", "(child) check /ro", "(child) check /tmp", "(child) tmpfs /dev/x"];
    assert_eq!(lines[lines.len() - 7..lines.len() - 2], after);
}

#[test]
fn a_user_op_keeps_its_slot_place_and_attributes() {
    for (slot, in_dev, attrs) in [(0, false, 0), (31, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV), (5, false, MOUNT_ATTR_NODEV)] {
        let u = User::new(slot, in_dev, attrs);
        assert_eq!((u.slot(), u.in_dev(), u.attrs()), (slot, in_dev, attrs));
    }
}

#[test]
fn without_device_rules_what_the_image_and_the_user_bring_is_nodev_but_in_dev() {
    let facts = Facts { nodev: true, ..ROOT };
    let o = ops(&plan(mounts(&[bind("/h", "/data", true), bind("/kvm", "/dev/kvm", false)]), facts));
    assert_eq!(o[0], Op::Root { attrs: MOUNT_ATTR_NODEV });
    assert_eq!(o[1], Op::Bind(user(0, false, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV)));
    assert!(o.contains(&Op::Bind(user(1, true, 0))));
}

#[test]
fn read_only_and_overlays() {
    let p = plan(spec(|s| s.read_only = true), ROOT);
    let o = ops(&p);
    // A bound root: the image's mounts below it read-only from the start, the root itself
    // last, once the points of the mounts on it could be made (a config.json's).
    assert_eq!((o[0], o[o.len() - 1]), (Op::Root { attrs: MOUNT_ATTR_RDONLY }, Op::RemountRootReadOnly));
    let rec = fake(&["/r"], "", &[]);
    assert_eq!(execute(&p), None);
    let calls = rec.calls();
    let at = |c: &str| calls.iter().position(|l| l.starts_with(c)).unwrap_or_else(|| panic!("{c}: {calls:#?}"));
    assert!(at("mount(\"/r\", \"/r\", NULL, MS_BIND|MS_REC") < at("mount_setattr(AT_FDCWD, \"/proc/self/fd/11\", 0x8000"));
    assert!(at("mount_setattr(AT_FDCWD, \"/proc/self/fd/11\", 0x8000") < at("mount_setattr(AT_FDCWD, \"/proc/self/fd/11\", 0, "));
    assert!(at("pivot_root(") < at("mount(NULL, \"/\", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND"), "{calls:#?}");
    // An overlay gets its mounts first, then is remounted read-only, in the root.
    let o = ops(&plan(spec(|s| (s.overlay, s.read_only) = (Overlay::Tmpfs, true)), ROOT));
    assert_eq!(o[0], Op::Root { attrs: MOUNT_ATTR_RDONLY });
    assert_eq!(o[o.len() - 3..], [Op::PivotRoot, Op::CloseFds, Op::RemountRootReadOnly]);
    let p = plan(spec(|s| (s.overlay, s.root_mode) = (Overlay::Upper(c"/u"), RootMode::Chroot)), ROOT);
    assert_eq!(ops(&p)[0], Op::Root { attrs: 0 });
    assert_eq!(ops(&p)[ops(&p).len() - 2..], [Op::Chroot, Op::CloseFds]);
}

#[test]
fn a_user_namespace() {
    let userns = Facts { userns: true, nodev: true, tty_gid: false };
    let p = plan(spec(|_| {}), userns);
    assert!(!p.host_sys && ops(&p).contains(&Op::Sys));
    // devpts without gid=5: a single-id namespace has no gid 5.
    let no_gid = &DevMount { path: c"/dev/pts", mode: 0o755, fs: Fs { data: Some(c"newinstance,ptmxmode=0666,mode=0620"), ..DEVPTS } };
    assert_eq!(ops(&p)[12], Op::DevMount(no_gid));
    // With the host's network, no sysfs of its own: the host's, bound.
    let p = plan(spec(|s| s.new_net = false), userns);
    assert!(p.host_sys && ops(&p)[2] == Op::BindSys && !ops(&p).contains(&Op::Sys));
    assert!(shown(&p).contains("(child) bind host /sys\n"));
}

#[test]
fn runix_mounts_proc_sys_and_dev_itself() {
    for dst in ["/proc", "/proc/sys", "/sys", "/sys/fs/cgroup", "/dev", "/./dev/.", "//proc"] {
        let e = new(mounts(&[bind("/h", dst, false)]), ROOT).err().map(|e| show(&e));
        assert_eq!(e.as_deref(), Some(format!("refused: runix mounts /proc, /sys and /dev itself, at: {dst}").as_str()));
    }
    for (dst, in_dev) in [("/dev/kvm", true), ("/dev/./shm", true), ("/devices", false), ("/procfs", false), ("/x/proc", false)] {
        let o = ops(&plan(mounts(&[tmpfs(dst, None)]), ROOT));
        assert!(o.contains(&Op::Tmpfs(user(0, in_dev, 0))), "{dst}");
    }
}

static NODES: [crate::spec::Node; 3] = [
    crate::spec::Node { path: c"/dev/cpu/0/cpuid", mode: 0o20600, major: 203, minor: 0, uid: 0, gid: 6 },
    crate::spec::Node { path: c"/dev/null", mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
    crate::spec::Node { path: c"/dev/sda", mode: 0o60660, major: 8, minor: 0, uid: 0, gid: 0 },
];

/// A config.json's nodes: after runix's own devices and links, in directories made under /dev without following a symlink, owned as asked.
#[test]
fn a_config_json_s_device_nodes() {
    let p = plan(spec(|s| s.nodes = &NODES), ROOT);
    let o = ops(&p);
    let at = o.iter().position(|&op| op == Op::Nodes).unwrap();
    assert_eq!((o[at - 1], o[at + 1]), (Op::Symlink(&FD_LINKS[FD_LINKS.len() - 1]), Op::CheckNull));
    let rec = fake(&["/r"], "", &[]);
    assert_eq!(execute(&p), None);
    let calls = rec.calls();
    let from = calls.iter().position(|c| c.starts_with("symlinkat(\"/proc/self/fd/2\"")).unwrap() + 1;
    let want = [
        "umask(00) = 0",
        "openat2(15, \"cpu/0\", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 16",
        "mknodat(16, \"cpuid\", 020600, 51968) = 0",
        "fchownat(16, \"cpuid\", 0, 6, AT_SYMLINK_NOFOLLOW) = 0",
        "mknodat(15, \"null\", 020666, 259) = 0",
        "mknodat(15, \"sda\", 060660, 2048) = 0",
        "umask(00) = 0",
        "openat(15, \"null\", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 17",
    ];
    assert_eq!(calls[from..from + want.len()], want);
}

#[test]
fn the_largest_plan_fits() {
    let m: Vec<Mount> = (0..MAX_MOUNTS).map(|i| bind("/h", String::leak(format!("/data/m{i}")), false)).collect();
    let masks: &'static [Mask] = Vec::leak(std::vec![Mask { path: c"/proc/x", dir: false }; MAX_MASKS]);
    let p = plan(spec(|s| {
        (s.overlay, s.read_only) = (Overlay::Tmpfs, true);
        m.iter().for_each(|&m| assert!(s.mounts.push(m)));
        (s.masked, s.read_only_paths) = (masks, masks);
        s.own |= crate::spec::OWN_CGROUP;
        s.nodes = &NODES;
    }), ROOT);
    // Every user mount twice: made, and checked again after runix's.
    assert_eq!(p.ops.len(), MAX_OPS);
}

#[test]
fn each_op_has_its_name() {
    let last = Op::Nodes.index();
    assert_eq!(NAMES.split(',').count() as u64, last + 1);
    let named = [
        (Op::Root { attrs: 0 }, "root "),
        (Op::Bind(user(0, false, 0)), "bind "),
        (Op::Tmpfs(user(0, false, 0)), "tmpfs "),
        (Op::Device(&DEVICES[0]), "device "),
        (Op::ReadOnly(&DOCKER_READ_ONLY[0]), "read-only "),
        (Op::Cgroups, "cgroups /sys/fs/cgroup"),
        (Op::Proc, "proc /proc"),
        (Op::Sys, "sysfs /sys"),
        (Op::BindSys, "bind host /sys"),
        (Op::Dev, "tmpfs /dev"),
        (Op::CheckCovered(user(0, false, 0)), "check "),
        (Op::Chroot, "chroot "),
        (Op::RemountRootReadOnly, "read-only /"),
        (Op::Nodes, "devices /dev"),
    ];
    for (op, name) in named {
        assert_eq!(field(op), name, "{op:?}");
    }
}

/// A kernel for executing plans, on a recording: each open gives a new fd (from 10 up),
/// and fstat says that what the paths `roots` opened is the root, a directory of inode 2;
/// "null" is the null device; anything else a directory of inode 1, or 9 once a call whose
/// line has `moves` was made (what the user mounted is no longer where it was). All on the
/// image's device. Calls whose line has one of `fails`' patterns fail with its errno; the
/// others get --dry-run's fakes.
fn fake(roots: &'static [&'static str], moves: &'static str, fails: &'static [(&'static str, i32)]) -> Recording {
    fake_with(roots, moves, fails, 0x9fa0)
}

/// `fake`, where the top of /proc is a filesystem of type `proc_type`.
fn fake_with(roots: &'static [&'static str], moves: &'static str, fails: &'static [(&'static str, i32)], proc_type: u64) -> Recording {
    let rec = Recording::start(Kernel::Fake);
    let moved = Rc::new(Cell::new(false));
    let (next, paths) = (Cell::new(10), std::cell::RefCell::new(HashMap::new()));
    rec.answer(move |nr, a| {
        let line = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
        if !moves.is_empty() && line.contains(moves) {
            moved.set(true);
        }
        if let Some(&(_, errno)) = fails.iter().find(|(p, _)| line.contains(p)) {
            return Some(-errno as isize);
        }
        match nr {
            Sysno::openat | Sysno::openat2 => {
                let fd = next.get();
                next.set(fd + 1);
                paths.borrow_mut().insert(fd as usize, line.split('"').nth(1)?.to_string());
                Some(fd as isize)
            }
            Sysno::newfstatat => {
                let (mode, rdev, ino) = match paths.borrow().get(&a[0]).map(String::as_str) {
                    Some(p) if roots.contains(&p) => (libc::S_IFDIR, 0, 2),
                    Some("null") => (libc::S_IFCHR, crate::sys::dev(1, 3), 3),
                    _ => (libc::S_IFDIR, 0, if moved.get() { 9 } else { 1 }),
                };
                record::reply_stat(nr, a, &Stat { dev: 1, ino, mode, rdev, size: 0 })
            }
            // The tops of runix's /proc and /sys are what they are.
            Sysno::fstatfs => match paths.borrow().get(&a[0]).map(String::as_str) {
                Some("proc") => record::reply_statfs(nr, a, proc_type),
                Some("sys") => record::reply_statfs(nr, a, 0x6265_6572),
                _ => record::reply_statfs(nr, a, 0x0102_1994),
            },
            _ => None,
        }
    });
    rec
}

/// The calls so far, a line each, with addresses as `0xADDR`.
fn calls(rec: &Recording) -> String {
    rec.calls().iter().map(|c| {
        let mut out = String::new();
        for (i, part) in c.split("0x").enumerate() {
            if i > 0 {
                out.push_str("0xADDR");
            }
            out.push_str(if i > 0 { part.trim_start_matches(|c: char| c.is_ascii_hexdigit()) } else { part });
        }
        out + "\n"
    }).collect()
}

/// Open and execute `p`; the error as shown, if any.
fn execute(p: &Plan) -> Option<String> {
    p.open().and_then(|mut m| p.execute(&mut m, &[7])).err().map(|e| show(&e))
}

#[test]
fn the_default_plan_makes_these_calls() {
    let p = plan(spec(|_| {}), ROOT);
    let rec = fake(&["/r"], "", &[]);
    assert_eq!(execute(&p), None);
    let want = r#"openat(AT_FDCWD, "/r", O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, 00) = 10
newfstatat(10, "", 0xADDR, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0
mount("/r", "/r", NULL, MS_BIND|MS_REC, NULL) = 0
openat(AT_FDCWD, "/r", O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, 00) = 11
openat2(11, "/proc", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 12
fchdir(12) = 0
mount("proc", ".", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
openat2(11, "/sys", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 13
fchdir(13) = 0
mount("sysfs", ".", "sysfs", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
openat2(11, "/dev", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 14
fchdir(14) = 0
mount("tmpfs", ".", "tmpfs", MS_NOSUID|MS_STRICTATIME, "mode=755,size=65536k") = 0
openat2(11, "/dev", {flags=O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = 15
umask(00) = 0
mknodat(15, "null", 020666, 259) = 0
mknodat(15, "zero", 020666, 261) = 0
mknodat(15, "full", 020666, 263) = 0
mknodat(15, "random", 020666, 264) = 0
mknodat(15, "urandom", 020666, 265) = 0
mknodat(15, "tty", 020666, 1280) = 0
umask(00) = 0
mkdirat(15, "pts", 0755) = 0
fchdir(15) = 0
mount("devpts", "pts", "devpts", MS_NOSUID|MS_NOEXEC, "gid=5,newinstance,ptmxmode=0666,mode=0620") = 0
symlinkat("pts/ptmx", 15, "ptmx") = 0
mkdirat(15, "shm", 01777) = 0
fchdir(15) = 0
mount("shm", "shm", "tmpfs", MS_NOSUID|MS_NODEV|MS_NOEXEC, "mode=1777,size=65536k") = 0
mkdirat(15, "mqueue", 0755) = 0
fchdir(15) = 0
mount("mqueue", "mqueue", "mqueue", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
symlinkat("/proc/self/fd", 15, "fd") = 0
symlinkat("/proc/self/fd/0", 15, "stdin") = 0
symlinkat("/proc/self/fd/1", 15, "stdout") = 0
symlinkat("/proc/self/fd/2", 15, "stderr") = 0
openat(15, "null", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 16
newfstatat(16, "", 0xADDR, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0
openat(11, "proc", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 17
fstatfs(17, 0xADDR) = 0
fchdir(17) = 0
mount("tmpfs", "acpi", "tmpfs", MS_RDONLY, "size=0") = 0
openat(AT_FDCWD, "acpi", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 18
mount("/proc/self/fd/18", "asound", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "interrupts", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "kcore", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "keys", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "latency_stats", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "sched_debug", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/18", "scsi", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "timer_list", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "timer_stats", NULL, MS_BIND, NULL) = 0
openat(11, "sys", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 19
fstatfs(19, 0xADDR) = 0
fchdir(19) = 0
mount("/proc/self/fd/18", "devices/virtual/powercap", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/18", "firmware", NULL, MS_BIND, NULL) = 0
fchdir(17) = 0
mount("bus", "bus", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "bus", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("fs", "fs", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "fs", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("irq", "irq", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "irq", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("sys", "sys", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "sys", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
mount("sysrq-trigger", "sysrq-trigger", NULL, MS_BIND|MS_REC, NULL) = 0
mount(NULL, "sysrq-trigger", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL) = 0
fchdir(11) = 0
pivot_root(".", ".") = 0
umount2(".", MNT_DETACH) = 0
chdir("/") = 0
close_range(3, 6, 0) = 0
close_range(8, 4294967295, 0) = 0
"#;
    assert_eq!(calls(&rec), want);
}

/// The last call made.
fn last(rec: &Recording) -> String {
    calls(rec).lines().last().unwrap_or("").to_string()
}

#[test]
fn a_failed_mount_says_which_call_which_errno_and_which_path_and_nothing_follows() {
    let p = plan(spec(|_| {}), ROOT);
    let rec = fake(&["/r"], "", &[("mount(\"proc\"", libc::EPERM)]);
    assert_eq!(execute(&p).as_deref(), Some("mount(/proc): Operation not permitted"));
    assert_eq!(last(&rec), "mount(\"proc\", \".\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = -1 EPERM (Operation not permitted)");
    // A mask the kernel refuses is an error too.
    let _rec = fake(&["/r"], "", &[("\"kcore\"", libc::EACCES)]);
    assert_eq!(execute(&p).as_deref(), Some("mount(/proc/kcore): Permission denied"));
}

#[test]
fn masks_go_only_on_runix_s_own_proc_and_sys() {
    let p = plan(spec(|_| {}), ROOT);
    // The root's "proc" leads to a tmpfs, not to the proc runix mounted there.
    let rec = fake_with(&["/r"], "", &[], 0x0102_1994);
    assert_eq!(execute(&p).as_deref(), Some("not runix's own mount: /proc"));
    assert!(last(&rec).starts_with("fstatfs(17,"), "{}", calls(&rec));
}

#[test]
fn a_dev_that_is_a_symlink_is_refused() {
    let p = plan(spec(|_| {}), ROOT);
    let rec = fake(&["/r"], "", &[("openat2(11, \"/dev\"", libc::ELOOP)]);
    assert_eq!(execute(&p).as_deref(), Some("refused: a symlink in the root filesystem at: /dev"));
    assert!(last(&rec).starts_with("openat2(11, \"/dev\", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}"));
}

#[test]
fn a_mount_onto_the_root_itself_is_refused() {
    let p = plan(mounts(&[bind("/h", "/data", false)]), ROOT);
    // The image's /data leads to its /.
    let rec = fake(&["/r", "/data"], "", &[]);
    assert_eq!(execute(&p).as_deref(), Some("refused: a mount onto the root itself, at: /data"));
    assert!(!calls(&rec).contains("open_tree") && last(&rec).starts_with("newfstatat(12,"), "{}", calls(&rec));
    let rec = fake(&["/r"], "", &[]);
    assert_eq!(execute(&p), None);
    assert!(calls(&rec).contains("open_tree(11, \"\", 561153) = 0\nmove_mount(0, \"\", 13, \"\", 68) = 0\n"), "{}", calls(&rec));
}

#[test]
fn a_user_mount_that_runix_mounts_cover_is_refused() {
    let p = plan(mounts(&[tmpfs("/data", None)]), ROOT);
    // The image's /data -> /dev/shm: runix's /dev/shm is over it, once made.
    let rec = fake(&["/r"], "mode=1777,size=65536k", &[]);
    assert_eq!(execute(&p).as_deref(), Some("refused: the root filesystem's symlinks lead this mount under runix's /proc, /sys or /dev, at: /data"));
    assert!(last(&rec).starts_with("newfstatat(") && !calls(&rec).contains("pivot_root"));
    let _rec = fake(&["/r"], "", &[]);
    assert_eq!(execute(&p), None);
}

#[test]
fn what_the_kernel_lacks_is_not_masked_and_a_mask_of_the_other_kind_is_made_as_that() {
    let p = plan(spec(|_| {}), ROOT);
    let rec = fake(&["/r"], "", &[("\"kcore\"", libc::ENOENT), ("mount(\"tmpfs\", \"acpi\"", libc::ENOTDIR)]);
    assert_eq!(execute(&p), None);
    let c = calls(&rec);
    // /proc/acpi is a file here: /dev/null goes on it, and the empty tmpfs on the next one.
    let masks = r#"mount("tmpfs", "acpi", "tmpfs", MS_RDONLY, "size=0") = -1 ENOTDIR (Not a directory)
mount("/proc/self/fd/16", "acpi", NULL, MS_BIND, NULL) = 0
mount("tmpfs", "asound", "tmpfs", MS_RDONLY, "size=0") = 0
openat(AT_FDCWD, "asound", O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 18
mount("/proc/self/fd/16", "interrupts", NULL, MS_BIND, NULL) = 0
mount("/proc/self/fd/16", "kcore", NULL, MS_BIND, NULL) = -1 ENOENT (No such file or directory)
mount("/proc/self/fd/16", "keys", NULL, MS_BIND, NULL) = 0
"#;
    assert!(c.contains(masks), "{c}");
    assert!(c.contains("mount(\"/proc/self/fd/18\", \"scsi\""), "{c}");

}

#[test]
fn where_mknod_is_refused_the_hosts_node_is_bound() {
    let p = plan(spec(|_| {}), ROOT);
    let rec = fake(&["/r"], "", &[("mknodat", libc::EPERM)]);
    assert_eq!(execute(&p), None);
    let null = r#"mknodat(15, "null", 020666, 259) = -1 EPERM (Operation not permitted)
openat(15, "null", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = 16
mount("/dev/null", "/proc/self/fd/16", NULL, MS_BIND, NULL) = 0
close(16) = 0
mknodat(15, "zero", 020666, 261) = -1 EPERM (Operation not permitted)
"#;
    let c = calls(&rec);
    assert!(c.contains(null), "{c}");
    assert!(c.contains("mount(\"/dev/tty\", \"/proc/self/fd/21\", NULL, MS_BIND, NULL) = 0\nclose(21) = 0\numask(00)"), "{c}");
}

#[test]
fn kernels_without_open_tree_openat2_or_mount_setattr() {
    let p = plan(mounts(&[bind("/h", "/data", true)]), ROOT);
    let rec = fake(&["/r"], "", &[("open_tree", libc::ENOSYS), ("openat2", libc::ENOSYS), ("mount_setattr", libc::ENOSYS)]);
    assert_eq!(execute(&p), None);
    let c = calls(&rec);
    // The bind by path, without MS_REC (nothing below could be made read-only), then read-only
    // by a remount that keeps its flags; the mount point found one component at a time.
    let bind = r#"mount_setattr(AT_FDCWD, "", 0xADDR, 0xADDR, 32) = -1 ENOSYS (Function not implemented)
open_tree(11, "", 528385) = -1 ENOSYS (Function not implemented)
mount("/proc/self/fd/11", "/proc/self/fd/13", NULL, MS_BIND, NULL) = 0
openat2(12, "/data", {flags=O_RDONLY|O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_MAGICLINKS|RESOLVE_NO_SYMLINKS|RESOLVE_IN_ROOT}, 24) = -1 ENOSYS (Function not implemented)
openat(12, "data", O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH, 00) = 14
newfstatat(14, "", 0xADDR, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0
statfs("/proc/self/fd/14", 0xADDR) = 0
mount(NULL, "/proc/self/fd/14", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND, NULL) = 0
"#;
    assert!(c.contains(bind), "{c}");
}

#[test]
fn a_mount_point_the_image_lacks_is_not_made_in_it() {
    let p = plan(mounts(&[bind("/h", "/data", false)]), ROOT);
    let rec = fake(&["/r"], "", &[("\"/data\"", libc::ENOENT)]);
    let e = "mount point missing, and runix does not change the image (create it, or use --overlay): /data";
    assert_eq!(execute(&p).as_deref(), Some(e));
    assert!(last(&rec).starts_with("newfstatat(12,") && !calls(&rec).contains("mkdirat"), "{}", calls(&rec));
}


#[test]
fn the_host_side_is_opened_first_and_each_bind_is_made_from_its_slots_source() {
    let p = plan(spec(|s| {
        for m in [bind("/h", "/data", false), tmpfs("/tmp", None), bind("/kvm", "/dev/kvm", true)] {
            assert!(s.mounts.push(m));
        }
        (s.overlay, s.new_net) = (Overlay::Upper(c"/u"), false);
    }), Facts { userns: true, ..ROOT });
    let rec = fake(&["/r"], "", &[]);
    assert_eq!(execute(&p), None);
    let c = calls(&rec);
    // fds 10 to 14, before anything is made.
    let opened: Vec<&str> = c.lines().take_while(|l| !l.starts_with("mkdirat")).filter(|l| l.starts_with("openat(AT_FDCWD")).filter_map(|l| l.split('"').nth(1)).collect();
    assert_eq!(opened, ["/r", "/sys", "/h", "/kvm", "/u"], "{c}");
    let (data, kvm) = (c.find("open_tree(12, ").unwrap_or(usize::MAX), c.find("open_tree(13, ").unwrap_or(0));
    assert!(data < kvm && kvm < usize::MAX, "{c}");
}

#[test]
fn a_config_json_s_plan_has_the_mounts_it_lists() {
    // containerd's: runix's /proc, /sys, /dev and /dev/pts, no /dev/shm or /dev/mqueue of its
    // own (the config's are user mounts on runix's /dev), the cgroups, its own masks.
    let masked: &'static [Mask] = Vec::leak(std::vec![Mask { path: c"/proc/kcore", dir: false }]);
    let ro: &'static [Mask] = Vec::leak(std::vec![Mask { path: c"/proc/sys", dir: false }]);
    let shm = Mount { dst: b"/dev/shm", kind: MountKind::Fs { fstype: c"tmpfs", flags: 0, data: c"size=1k" } };
    let run = Mount { dst: b"/run", kind: MountKind::Fs { fstype: c"tmpfs", flags: 0, data: c"" } };
    let p = plan(
        spec(|s| {
            s.own = crate::spec::OWN_PROC | crate::spec::OWN_SYS | crate::spec::OWN_DEV | crate::spec::OWN_PTS | crate::spec::OWN_CGROUP;
            (s.masked, s.read_only_paths) = (masked, ro);
            assert!(s.mounts.push(shm) && s.mounts.push(run));
        }),
        ROOT,
    );
    let want = "(child) root /r
(child) tmpfs /run
(child) proc /proc
(child) sysfs /sys
(child) cgroups /sys/fs/cgroup
(child) tmpfs /dev
(child) umask 0
(child) device /dev/null
(child) device /dev/zero
(child) device /dev/full
(child) device /dev/random
(child) device /dev/urandom
(child) device /dev/tty
(child) umask back
(child) mount /dev/pts
(child) symlink /dev/ptmx
(child) symlink /dev/fd
(child) symlink /dev/stdin
(child) symlink /dev/stdout
(child) symlink /dev/stderr
(child) check /dev/null
(child) mask /proc/kcore
(child) read-only /proc/sys
(child) tmpfs /dev/shm
(child) check /run
(child) pivot_root /r
(child) close fds
";
    assert_eq!(shown(&p), want);
    // Without runix's /dev: neither its devices nor the check of /dev/null.
    let p = plan(spec(|s| (s.own, s.masked, s.read_only_paths) = (crate::spec::OWN_PROC, &[], &[])), ROOT);
    assert_eq!(shown(&p), "(child) root /r\n(child) proc /proc\n(child) pivot_root /r\n(child) close fds\n");
}
