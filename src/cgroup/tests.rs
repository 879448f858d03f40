//! The cgroups of a run on v1, v2 and hybrid hosts, through the fake cgroupfs (fake.rs): the
//! ordered calls, the errors, and that every path leaves the host as it was.

use super::fake::{Fake, v1_host, v2_host};
use super::layout::{ALL, DEVICES, MEMORY, PIDS};
use super::{Cgroups, Layout, Usage, remove};
use crate::error::Error;
use crate::error::tests::show;
use crate::spec::{CPU_PERIOD, Limits};
use crate::sys::record::{Kernel, Recording};
use libc::{EACCES, EBUSY, ERANGE};
use std::boxed::Box;
use std::os::unix::process::ExitStatusExt;
use std::string::String;
use std::vec::Vec;
use std::{format, fs};

const ALL_V1: [&str; 5] = ["cpuset", "memory", "cpu,cpuacct", "pids", "devices"];

fn all_limits() -> Limits<'static> {
    Limits {
        pids: Some(100),
        memory: Some(32 << 20),
        memory_swap: Some(48 << 20),
        cpus: Some((150_000, CPU_PERIOD)),
        cpu_shares: Some(512),
        cpuset_cpus: Some(b"1-2"),
        cpuset_mems: None,
        devices: true,
    }
}

fn err(r: Result<Box<Cgroups>, Error>) -> String {
    show(&r.err().expect("should fail"))
}

#[test]
fn nothing_to_limit_touches_nothing() {
    let rec = Recording::start(Kernel::Fake);
    let mut cg = Box::new(Cgroups::EMPTY);
    cg.make(&Limits::default(), None, None, 1, c"/nonexistent", c"/nonexistent").unwrap();
    assert!(cg.is_empty());
    assert_eq!(cg.dirs().count(), 0);
    assert_eq!(cg.open_joins().unwrap(), [-1; super::MAX]);
    cg.join(&[-1; super::MAX]).unwrap();
    assert!(!cg.oom_killed());
    assert_eq!(cg.usage(), Usage::default());
    cg.remove().unwrap();
    assert_eq!(rec.calls(), Vec::<String>::new());
}

#[test]
fn v1_writes_each_limit_in_order_then_joins_and_removes_all() {
    let f = v1_host();
    let before = f.tree();
    let mut cg = f.create(&all_limits(), None).unwrap();
    let d = |h: &str, file: &str| format!("{h}/user/runix-42/{file}");
    let mut want: Vec<String> = ALL_V1.iter().map(|h| format!("mkdir {h}/user/runix-42")).collect();
    want.extend(
        [
            ("cpuset", "cpuset.cpus", "1-2"),
            // v1 cpusets start empty: mems is the parent's.
            ("cpuset", "cpuset.mems", "0"),
            ("memory", "memory.limit_in_bytes", "33554432"),
            ("memory", "memory.memsw.limit_in_bytes", "50331648"),
            ("cpu,cpuacct", "cpu.cfs_period_us", "100000"),
            ("cpu,cpuacct", "cpu.cfs_quota_us", "150000"),
            ("cpu,cpuacct", "cpu.shares", "512"),
            ("pids", "pids.max", "100"),
            ("devices", "devices.deny", "a"),
        ]
        .map(|(h, file, v)| format!("write {} {v}", d(h, file))),
    );
    for r in ["c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"] {
        want.push(format!("write {} {r}", d("devices", "devices.allow")));
    }
    assert_eq!(f.log(), want);
    assert_eq!(f.read(&d("memory", "memory.limit_in_bytes")), "33554432");
    assert_eq!(f.read(&d("cpuset", "cpuset.mems")), "0");
    assert!(cg.device_rules());
    let dirs: Vec<_> = cg.dirs().map(|d| f.rel(d.to_str().unwrap())).collect();
    assert_eq!(dirs, ALL_V1.map(|h| format!("{h}/user/runix-42")));

    cg.join(&cg.open_joins().unwrap()).unwrap();
    assert_eq!(f.log(), ALL_V1.map(|h| format!("write {} 0", d(h, "tasks"))));
    cg.remove().unwrap();
    let mut rev = ALL_V1.to_vec();
    rev.reverse();
    assert_eq!(f.log(), rev.iter().map(|h| format!("rmdir {h}/user/runix-42")).collect::<Vec<_>>());
    assert_eq!(f.tree(), before, "a cgroup was left behind");
    cg.remove().unwrap();
    assert!(f.log().is_empty(), "removed twice");
}

#[test]
fn v1_touches_only_the_controllers_needed() {
    let f = v1_host();
    let cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
    assert_eq!(f.log(), ["mkdir pids/user/runix-42", "write pids/user/runix-42/pids.max 5"]);
    assert_eq!(cg.usage(), Usage::default());
    assert!(!cg.oom_killed());
}

#[test]
fn v1_cpuset_copies_what_is_not_given_from_the_parent() {
    let f = v1_host();
    f.create(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None).unwrap();
    assert_eq!(f.log()[1..], ["write cpuset/user/runix-42/cpuset.cpus 0-3", "write cpuset/user/runix-42/cpuset.mems 0"]);

    let f = v1_host();
    f.files("cpuset", &[("cpuset.cpus", "\n")]);
    let before = f.tree();
    let e = err(f.create(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None));
    assert_eq!(e, format!("cgroup parent has an empty cpuset: {}", f.path("cpuset/user/runix-42/../cpuset.cpus")));
    assert_eq!(f.tree(), before);
}

/// cgroupsPath's parents in a v1 cpuset hierarchy: each new one takes its parent's CPUs and
/// memory nodes, or nothing could join the container's below it.
#[test]
fn v1_cpuset_parents_of_a_cgroups_path_get_their_parents_cpuset() {
    let f = v1_host();
    let mut cg = Box::new(Cgroups::EMPTY);
    cg.make(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None, Some(b"/user/pod/c1"), 42, &f.c("proc/cgroup"), &f.c("proc/mountinfo")).unwrap();
    let log = f.log();
    let cpuset: Vec<&String> = log.iter().filter(|l| l.contains(" cpuset/")).collect();
    assert_eq!(
        cpuset,
        [
            "mkdir cpuset/user/pod/c1 = -1 ENOENT",
            "mkdir cpuset/user = -1 EEXIST",
            "mkdir cpuset/user/pod",
            "write cpuset/user/pod/cpuset.cpus 0-3",
            "write cpuset/user/pod/cpuset.mems 0",
            "mkdir cpuset/user/pod/c1",
            "write cpuset/user/pod/c1/cpuset.cpus 0-3",
            "write cpuset/user/pod/c1/cpuset.mems 0"
        ]
    );
    cg.remove().unwrap();
}

#[test]
fn a_value_the_kernel_refuses_names_file_and_value_and_undoes_everything() {
    let f = v1_host();
    let before = f.tree();
    f.fail("cpuset.cpus 1-2", ERANGE);
    let e = err(f.create(&all_limits(), None));
    assert_eq!(e, format!("cgroup refused the value (outside what the parent cgroup or the machine allows?): {}=1-2", f.path("cpuset/user/runix-42/cpuset.cpus")));
    let log = f.log();
    let mut rev = ALL_V1.to_vec();
    rev.reverse();
    assert_eq!(log[log.len() - 5..], rev.iter().map(|h| format!("rmdir {h}/user/runix-42")).collect::<Vec<_>>());
    assert_eq!(f.tree(), before);
    // v1 cpuset says EACCES for cpus or mems outside the parent's.
    let f = v1_host();
    let before = f.tree();
    f.fail("cpuset.mems 0", EACCES);
    let e = err(f.create(&Limits { cpuset_mems: Some(b"0"), ..Limits::default() }, None));
    assert_eq!(e, format!("cgroup refused the value (outside what the parent cgroup or the machine allows?): {}=0", f.path("cpuset/user/runix-42/cpuset.mems")));
    assert_eq!(f.tree(), before);
}

#[test]
fn a_device_rule_the_kernel_refuses_names_its_file() {
    let f = v1_host();
    let before = f.tree();
    f.fail("devices.allow c 1:5 rwm", libc::EINVAL);
    let e = err(f.create(&Limits { devices: true, ..Limits::default() }, None));
    assert_eq!(e, format!("write({}): Invalid argument", f.path("devices/user/runix-42/devices.allow")));
    assert_eq!(f.tree(), before);
}

#[test]
fn a_missing_swap_file_says_so() {
    // Kernels booted without swap accounting have no memory.memsw.* files.
    let f = v1_host();
    fs::remove_file(f.root.join("memory/user/memory.memsw.limit_in_bytes")).unwrap();
    let before = f.tree();
    let e = err(f.create(&Limits { memory: Some(1 << 20), memory_swap: Some(-1), ..Limits::default() }, None));
    assert_eq!(e, format!("cgroup file missing (not supported by this kernel?): {}=-1", f.path("memory/user/runix-42/memory.memsw.limit_in_bytes")));
    assert_eq!(f.tree(), before);
}

#[test]
fn a_failed_mkdir_undoes_the_ones_before() {
    let f = v1_host();
    fs::remove_dir_all(f.root.join("pids/user")).unwrap();
    let before = f.tree();
    let e = err(f.create(&all_limits(), None));
    assert_eq!(e, format!("cgroup parent does not exist: {}", f.path("pids/user")));
    assert_eq!(f.log(), ["mkdir cpuset/user/runix-42", "mkdir memory/user/runix-42", "mkdir cpu,cpuacct/user/runix-42", "mkdir pids/user/runix-42 = -1 ENOENT", "rmdir cpu,cpuacct/user/runix-42", "rmdir memory/user/runix-42", "rmdir cpuset/user/runix-42"]);
    assert_eq!(f.tree(), before);
}

#[test]
fn a_cgroup_left_with_our_pid_is_made_anew() {
    let f = v1_host();
    f.file("pids/user/runix-42/pids.max", "3");
    f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
    assert_eq!(f.log(), ["rmdir pids/user/runix-42", "mkdir pids/user/runix-42", "write pids/user/runix-42/pids.max 5"]);
}

#[test]
fn v2_enables_controllers_then_writes_each_limit() {
    let f = v2_host("cpuset cpu io memory hugetlb pids rdma misc\n");
    let before = f.tree();
    let mut cg = f.create(&all_limits(), None).unwrap();
    let want = [
        "mkdir unified/user/runix-42",
        "write unified/user/cgroup.subtree_control +cpuset",
        "write unified/user/cgroup.subtree_control +memory",
        "write unified/user/cgroup.subtree_control +cpu",
        "write unified/user/cgroup.subtree_control +pids",
        // v2: an empty cpuset.mems is the parent's.
        "write unified/user/runix-42/cpuset.cpus 1-2",
        "write unified/user/runix-42/memory.max 33554432",
        "write unified/user/runix-42/memory.swap.max 16777216",
        "write unified/user/runix-42/cpu.max 150000 100000",
        "write unified/user/runix-42/cpu.weight 20",
        "write unified/user/runix-42/pids.max 100",
    ];
    assert_eq!(f.log(), want);
    // v2 has no devices controller: no rules, and no cgroup made for them alone.
    assert!(!cg.device_rules());
    cg.join(&cg.open_joins().unwrap()).unwrap();
    assert_eq!(f.log(), ["write unified/user/runix-42/cgroup.procs 0"]);
    cg.remove().unwrap();
    assert_eq!(f.tree(), before);
}

#[test]
fn v2_unlimited_swap_is_max() {
    let f = v2_host("memory");
    f.create(&Limits { memory: Some(1 << 20), memory_swap: Some(-1), ..Limits::default() }, None).unwrap();
    assert_eq!(f.log()[2..], ["write unified/user/runix-42/memory.max 1048576", "write unified/user/runix-42/memory.swap.max max"]);
}

#[test]
fn v2_parent_with_processes_is_explained() {
    let f = v2_host("cpuset cpu io memory pids");
    let before = f.tree();
    f.fail("cgroup.subtree_control +pids", EBUSY);
    let e = err(f.create(&Limits { pids: Some(1), ..Limits::default() }, None));
    assert!(e.starts_with("cannot enable cgroup controllers: the parent cgroup has processes"), "{e}");
    assert!(e.contains("--cgroup-parent"), "{e}");
    assert!(e.ends_with(&format!(": {}", f.path("unified/user"))), "{e}");
    assert_eq!(f.tree(), before);
}

#[test]
fn a_controller_the_v2_parent_lacks_is_named() {
    let f = v2_host("cpu io pids\n");
    let before = f.tree();
    assert_eq!(err(f.create(&Limits { pids: Some(1), memory: Some(1 << 20), ..Limits::default() }, None)), "cgroup controller not available: memory");
    assert_eq!(f.tree(), before);
    let e = err(f.create(&Limits { pids: Some(1), ..Limits::default() }, Some(b"/nowhere")));
    assert_eq!(e, format!("cgroup parent does not exist: {}", f.path("unified/nowhere")));
}

#[test]
fn no_hierarchy_at_all_is_named_before_anything_is_made() {
    let f = Fake::new(&[("pids", "pids")]);
    f.files("pids", &[("pids.max", "")]);
    let e = f.layout(&Limits { pids: Some(1), cpus: Some((100_000, CPU_PERIOD)), ..Limits::default() }, None).err().unwrap();
    assert_eq!(show(&e), "cgroup controller not available: cpu");
    assert!(f.log().is_empty());
}

#[test]
fn a_devices_hierarchy_forgotten_leaves_the_others_in_place() {
    // devices first, so that the last hierarchy moves into its place.
    let f = Fake::new(&[("devices", "devices"), ("pids", "pids"), ("memory", "memory")]);
    let mut l = f.layout(&Limits { pids: Some(3), memory: Some(4096), devices: true, ..Limits::default() }, None).unwrap();
    let controllers: Vec<_> = l.hierarchies().iter().map(|h| (h.v2, h.controllers)).collect();
    assert_eq!(controllers, [(false, DEVICES), (false, PIDS), (false, MEMORY)]);
    l.forget(0);
    assert!(l.with(DEVICES).is_none());
    let dir = |c| l.with(c).map(|h| f.rel(h.dir.as_cstr().to_str().unwrap()));
    assert_eq!((dir(PIDS), dir(MEMORY)), (Some("pids/user".into()), Some("memory/user".into())));
    assert_eq!(dirs(&f, &l), ["memory/user", "pids/user"]);
}

#[test]
fn hybrid_uses_v1_where_it_has_the_controller_and_v2_for_the_rest() {
    // systemd's hybrid layout: controllers on v1, an empty cgroup2 at unified.
    let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("systemd", "name=systemd"), ("unified", "")]);
    f.files("pids", &[("cgroup.procs", ""), ("tasks", ""), ("pids.max", "")]);
    f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", "")]);
    f.files("unified", &[("cgroup.procs", ""), ("cgroup.controllers", ""), ("cgroup.subtree_control", ""), ("cpu.stat", "")]);
    let before = f.tree();
    let mut cg = f.create(&Limits { pids: Some(3), memory: Some(4096), devices: true, ..Limits::default() }, None).unwrap();
    // Devices have no v1 hierarchy here: no rules, and nothing made on v2 for them.
    assert_eq!(
        f.log(),
        [
            "mkdir pids/user/runix-42",
            "mkdir memory/user/runix-42",
            "write memory/user/runix-42/memory.limit_in_bytes 4096",
            "write pids/user/runix-42/pids.max 3"
        ]
    );
    assert!(!cg.device_rules());
    cg.remove().unwrap();
    assert_eq!(f.tree(), before);

    // Cleaning up looks in every hierarchy, v2 included.
    let mut all = Box::new(Layout::EMPTY);
    all.find(ALL, true, None, &f.c("proc/cgroup"), &f.c("proc/mountinfo")).unwrap();
    assert_eq!(dirs(&f, &all), ["pids/user", "memory/user", "systemd/user", "unified/user"]);

    // OCI's cgroupsPath: that cgroup, in every hierarchy (as runc), its parents made too
    // (and left: only the container's goes).
    f.log();
    let mut cg = Box::new(Cgroups::EMPTY);
    cg.make(&Limits { pids: Some(3), ..Limits::default() }, None, Some(b"/user/pod/c1"), 42, &f.c("proc/cgroup"), &f.c("proc/mountinfo")).unwrap();
    assert_eq!(
        f.log(),
        [
            "mkdir pids/user/pod/c1 = -1 ENOENT",
            "mkdir pids/user = -1 EEXIST",
            "mkdir pids/user/pod",
            "mkdir pids/user/pod/c1",
            "mkdir memory/user/pod/c1 = -1 ENOENT",
            "mkdir memory/user = -1 EEXIST",
            "mkdir memory/user/pod",
            "mkdir memory/user/pod/c1",
            "mkdir systemd/user/pod/c1 = -1 ENOENT",
            "mkdir systemd/user = -1 EEXIST",
            "mkdir systemd/user/pod",
            "mkdir systemd/user/pod/c1",
            "mkdir unified/user/pod/c1 = -1 ENOENT",
            "mkdir unified/user = -1 EEXIST",
            "mkdir unified/user/pod",
            "mkdir unified/user/pod/c1",
            "write pids/user/pod/c1/pids.max 3"
        ]
    );
    cg.remove().unwrap();
    assert_eq!(f.log(), ["rmdir unified/user/pod/c1", "rmdir systemd/user/pod/c1", "rmdir memory/user/pod/c1", "rmdir pids/user/pod/c1"]);
    for h in ["pids", "memory", "systemd", "unified"] {
        std::fs::remove_dir_all(f.path(&format!("{h}/user/pod"))).unwrap();
    }

    // A controller on neither: v2 is mounted but does not offer it.
    let e = err(f.create(&Limits { cpus: Some((100_000, CPU_PERIOD)), ..Limits::default() }, None));
    assert_eq!(e, "cgroup controller not available: cpu");
    assert_eq!(f.tree(), before);
}

/// The hierarchies keep the order of mountinfo, whether v2 is used or left out.
#[test]
fn hybrid_with_v2_between_v1_hierarchies() {
    let f = Fake::new(&[("pids", "pids"), ("unified", ""), ("memory", "memory"), ("cpuset", "cpuset")]);
    f.files("pids", &[("cgroup.procs", ""), ("tasks", ""), ("pids.max", "")]);
    f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", "")]);
    f.files("unified", &[("cgroup.procs", ""), ("cgroup.controllers", "cpu io\n"), ("cgroup.subtree_control", ""), ("cpu.max", ""), ("cpu.stat", "")]);
    let before = f.tree();
    let mut cg = f.create(&Limits { pids: Some(3), memory: Some(4096), cpus: Some((50_000, CPU_PERIOD)), ..Limits::default() }, None).unwrap();
    assert_eq!(
        f.log(),
        [
            "mkdir pids/user/runix-42",
            "mkdir unified/user/runix-42",
            "mkdir memory/user/runix-42",
            "write unified/user/cgroup.subtree_control +cpu",
            "write memory/user/runix-42/memory.limit_in_bytes 4096",
            "write unified/user/runix-42/cpu.max 50000 100000",
            "write pids/user/runix-42/pids.max 3"
        ]
    );
    cg.join(&cg.open_joins().unwrap()).unwrap();
    assert_eq!(f.log(), ["write pids/user/runix-42/tasks 0", "write unified/user/runix-42/cgroup.procs 0", "write memory/user/runix-42/tasks 0"]);
    f.file("unified/user/runix-42/cpu.stat", "usage_usec 7\n");
    assert_eq!(cg.usage().cpu_ns, Some(7000));
    cg.remove().unwrap();
    assert_eq!(f.log(), ["rmdir memory/user/runix-42", "rmdir unified/user/runix-42", "rmdir pids/user/runix-42"]);
    assert_eq!(f.tree(), before);

    // Without a controller for v2, it is left out, and the others keep their order.
    let l = f.layout(&Limits { pids: Some(3), memory: Some(4096), cpuset_cpus: Some(b"0"), ..Limits::default() }, None).unwrap();
    assert_eq!(dirs(&f, &l), ["pids/user", "memory/user", "cpuset/user"]);
}

/// `runix cleanup`: every hierarchy swept, v2 included, and each cgroup removed printed.
#[test]
fn cleanup_sweeps_every_hierarchy() {
    let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("unified", "")]);
    let me = std::process::id();
    for d in ["pids/user/runix-99999990", "unified/user/runix-99999991", "memory/user/runix-99999992/inner", &format!("pids/user/runix-{me}")] {
        fs::create_dir_all(f.root.join(d)).unwrap();
    }
    let mut l = Box::new(Layout::EMPTY);
    assert_eq!(remove::cleanup_in(&mut l, None, &f.c("proc/cgroup"), &f.c("proc/mountinfo")).unwrap(), 0);
    let log = f.log();
    let (printed, done): (Vec<_>, Vec<_>) = log.iter().partition(|l| l.starts_with("write fd 1 "));
    assert_eq!(done, ["rmdir pids/user/runix-99999990", "rmdir memory/user/runix-99999992 = -1 EBUSY", "rmdir unified/user/runix-99999991"]);
    assert_eq!(printed.len(), 6, "{printed:?}");
    assert!(printed[0] == "write fd 1 removed " && printed[2] == "write fd 1 \n", "{printed:?}");
    assert!(f.root.join(format!("pids/user/runix-{me}")).is_dir());
    // A parent missing in one hierarchy has nothing to sweep.
    let mut l = Box::new(Layout::EMPTY);
    assert_eq!(remove::cleanup_in(&mut l, Some(b"/nowhere"), &f.c("proc/cgroup"), &f.c("proc/mountinfo")).unwrap(), 0);
}

#[test]
fn cgroup_parent_replaces_our_own() {
    let f = v1_host();
    f.file("pids/custom/place/pids.max", "");
    f.create(&Limits { pids: Some(2), ..Limits::default() }, Some(b"/custom/place")).unwrap();
    assert_eq!(f.log(), ["mkdir pids/custom/place/runix-42", "write pids/custom/place/runix-42/pids.max 2"]);
    f.create(&Limits { pids: Some(2), ..Limits::default() }, Some(b"custom/place")).unwrap();
    assert_eq!(f.log()[1..], ["mkdir pids/custom/place/runix-42", "write pids/custom/place/runix-42/pids.max 2"]);
    assert_eq!(show(&f.layout(&Limits { pids: Some(2), ..Limits::default() }, Some(b"/a/../..")).err().unwrap()), "invalid cgroup parent: /a/../..");
    assert_eq!(err(f.create(&Limits { pids: Some(2), ..Limits::default() }, Some(b"/nowhere"))), format!("cgroup parent does not exist: {}", f.path("pids/nowhere")));
}

/// -v only observes: it makes no cgroup and joins no controller the limits did not ask for.
#[test]
fn usage_comes_from_the_cgroups_the_limits_made() {
    let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("cpu,cpuacct", "cpu,cpuacct")]);
    f.files("pids", &[("cgroup.procs", ""), ("tasks", ""), ("pids.max", "")]);
    f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", ""), ("memory.max_usage_in_bytes", "")]);
    f.files("cpu,cpuacct", &[("cgroup.procs", ""), ("tasks", ""), ("cpu.shares", ""), ("cpuacct.usage", "")]);
    let cg = f.create(&Limits { pids: Some(3), ..Limits::default() }, None).unwrap();
    assert_eq!(f.log(), ["mkdir pids/user/runix-42", "write pids/user/runix-42/pids.max 3"]);
    assert_eq!(cg.usage(), Usage { memory_peak: None, cpu_ns: None });
    let f = Fake::new(&[("pids", "pids"), ("memory", "memory"), ("cpu,cpuacct", "cpu,cpuacct")]);
    f.files("memory", &[("cgroup.procs", ""), ("tasks", ""), ("memory.limit_in_bytes", ""), ("memory.max_usage_in_bytes", "")]);
    f.files("cpu,cpuacct", &[("cgroup.procs", ""), ("tasks", ""), ("cpu.shares", ""), ("cpuacct.usage", "")]);
    let cg = f.create(&Limits { memory: Some(1 << 20), cpu_shares: Some(512), ..Limits::default() }, None).unwrap();
    f.file("memory/user/runix-42/memory.max_usage_in_bytes", "8192\n");
    f.file("cpu,cpuacct/user/runix-42/cpuacct.usage", "123456789\n");
    assert_eq!(cg.usage(), Usage { memory_peak: Some(8192), cpu_ns: Some(123_456_789) });
}

#[test]
fn v1_oom_and_usage() {
    let f = v1_host();
    let lim = Limits { memory: Some(1 << 20), cpus: Some((100_000, CPU_PERIOD)), ..Limits::default() };
    let cg = f.create(&lim, None).unwrap();
    let m = |file: &str, v: &str| f.file(&format!("memory/user/runix-42/{file}"), v);
    m("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    assert!(!cg.oom_killed());
    m("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    assert!(cg.oom_killed());
    // Before Linux 4.13: the limit was hit, and usage peaked at it.
    m("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
    m("memory.limit_in_bytes", "1048576\n");
    m("memory.failcnt", "0\n");
    m("memory.max_usage_in_bytes", "1048576\n");
    assert!(!cg.oom_killed());
    m("memory.failcnt", "17\n");
    assert!(cg.oom_killed());
    m("memory.max_usage_in_bytes", "524288\n");
    assert!(!cg.oom_killed());
    f.file("cpu,cpuacct/user/runix-42/cpuacct.usage", "5000\n");
    assert_eq!(cg.usage(), Usage { memory_peak: Some(524_288), cpu_ns: Some(5000) });
}

#[test]
fn v2_oom_and_usage() {
    let f = v2_host("memory pids");
    let cg = f.create(&Limits { memory: Some(1 << 20), ..Limits::default() }, None).unwrap();
    let m = |file: &str, v: &str| f.file(&format!("unified/user/runix-42/{file}"), v);
    m("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\noom_group_kill 0\n");
    assert!(!cg.oom_killed());
    m("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
    assert!(cg.oom_killed());
    m("memory.peak", "1048576\n");
    m("cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
    assert_eq!(cg.usage(), Usage { memory_peak: Some(1 << 20), cpu_ns: Some(2_500_000) });
    // Before Linux 5.19 there is no memory.peak.
    fs::remove_file(f.root.join("unified/user/runix-42/memory.peak")).unwrap();
    assert_eq!(cg.usage().memory_peak, None);
}

#[test]
fn remove_kills_what_is_left_and_retries() {
    let f = v1_host();
    let before = f.tree();
    let mut cg = f.create(&Limits { pids: Some(5), memory: Some(1 << 20), ..Limits::default() }, None).unwrap();
    let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    f.file("pids/user/runix-42/cgroup.procs", &format!("{}\n", child.id()));
    f.log();
    cg.remove().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    let log = f.log();
    assert_eq!(log[0], "rmdir pids/user/runix-42 = -1 EBUSY");
    assert_eq!(log.last().unwrap(), "rmdir memory/user/runix-42");
    assert_eq!(f.tree(), before);
}

#[test]
fn remove_takes_child_cgroups_first_and_kills_in_them() {
    let f = v1_host();
    let before = f.tree();
    let mut cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
    let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    f.file("pids/user/runix-42/a/x/cgroup.procs", "");
    f.file("pids/user/runix-42/a/b/c/cgroup.procs", &format!("{}\n", child.id()));
    f.log();
    cg.remove().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    // Each one removed once, after its children (which of a's comes first is the order of
    // the directory).
    let log = f.log();
    let at = |d: &str| {
        let l = format!("rmdir pids/user/runix-42{d}");
        assert_eq!(log.iter().filter(|&x| *x == l).count(), 1, "{l}: {log:?}");
        log.iter().position(|x| *x == l).unwrap()
    };
    assert!(at("/a/b/c") < at("/a/b") && at("/a/b") < at("/a") && at("/a/x") < at("/a") && at("/a") < at(""), "{log:?}");
    assert_eq!((log[0].as_str(), log.len()), ("rmdir pids/user/runix-42 = -1 EBUSY", at("") + 1), "{log:?}");
    assert_eq!(f.tree(), before);
}

#[test]
fn a_child_cgroup_that_cannot_be_listed_is_the_error_not_a_second_of_ebusy() {
    let f = v1_host();
    let mut cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
    f.file("pids/user/runix-42/a/cgroup.procs", "");
    f.fail_call("runix-42\", O_RDONLY|O_DIRECTORY", libc::EACCES);
    let e = cg.remove().unwrap_err();
    assert_eq!(show(&e), format!("open({}): Permission denied", f.path("pids/user/runix-42")));
    let log = f.log();
    assert_eq!(log.iter().filter(|l| l.starts_with("rmdir pids/user/runix-42")).count(), 1, "{log:?}");
}

#[test]
fn a_directory_larger_than_the_buffer_is_listed_whole() {
    let f = Fake::new(&[]);
    for i in 0..400 {
        f.file(&format!("d/runix-{i}"), "");
    }
    let mut n = 0;
    remove::for_each_entry(&f.c("d"), &mut |name, _| {
        n += name.starts_with(b"runix-") as usize;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 400);
}

#[test]
fn a_run_sweeps_only_empty_cgroups_of_gone_pids() {
    let f = v1_host();
    let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let (me, sleeping) = (std::process::id().to_string(), sleeper.id().to_string());
    let gone = ["99999990", "99999991", "99999992", "99999993"];
    for name in [gone[0], gone[1], gone[2], &me, &sleeping, "x1", "0123"] {
        f.file(&format!("pids/user/runix-{name}/pids.max"), "");
    }
    // A gone runix's cgroup that still holds a process, or a cgroup of its own.
    f.file(&format!("pids/user/runix-{}/cgroup.procs", gone[1]), &format!("{sleeping}\n"));
    f.file(&format!("pids/user/runix-{}/inner/pids.max", gone[2]), "");
    // Not a directory; and another hierarchy, not used by this run.
    f.file(&format!("pids/user/runix-{}", gone[3]), "");
    f.file(&format!("memory/user/runix-{}/memory.limit_in_bytes", gone[0]), "");
    f.file("pids/user/other/pids.max", "");
    let mut cg = f.create(&Limits { pids: Some(5), ..Limits::default() }, None).unwrap();
    // The sweep, in the order of the directory listing, before the run's own mkdir.
    let log = f.log();
    let made = log.iter().position(|l| l == "mkdir pids/user/runix-42").unwrap();
    let mut swept = log[..made].to_vec();
    swept.sort();
    assert_eq!(swept, [format!("rmdir pids/user/runix-{}", gone[0]), format!("rmdir pids/user/runix-{} = -1 EBUSY", gone[1]), format!("rmdir pids/user/runix-{} = -1 EBUSY", gone[2])]);
    cg.remove().unwrap();
    assert!(sleeper.try_wait().unwrap().is_none(), "the sweep killed a process");
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let mut left: Vec<_> = fs::read_dir(f.root.join("pids/user")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.starts_with("runix-") || n == "other").collect();
    left.sort();
    let mut want: Vec<String> = [gone[1], gone[2], gone[3], &me, &sleeping, "x1", "0123"].iter().map(|n| format!("runix-{n}")).collect();
    want.push("other".into());
    want.sort();
    assert_eq!(left, want);
    assert!(f.root.join(format!("memory/user/runix-{}", gone[0])).exists());
}

#[test]
fn a_cgroup_with_our_pid_and_processes_is_an_error_and_left_alone() {
    let f = v1_host();
    let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    f.file("pids/user/runix-42/cgroup.procs", &format!("{}\n", sleeper.id()));
    let before = f.tree();
    let e = err(f.create(&Limits { pids: Some(5), ..Limits::default() }, None));
    assert_eq!(e, format!("a cgroup with runix's pid is in use (by a runix in another PID namespace?): {}", f.path("pids/user/runix-42")));
    assert_eq!(f.log(), ["rmdir pids/user/runix-42 = -1 EBUSY", "mkdir pids/user/runix-42 = -1 EEXIST"]);
    assert!(sleeper.try_wait().unwrap().is_none(), "a process was killed");
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(f.tree(), before);
}

#[test]
fn layout_of_a_cgroup_namespace() {
    // Inside a cgroup namespace (or a bind-mounted subtree) the mount's root is not "/".
    let f = Fake::new(&[]);
    fs::create_dir_all(f.root.join("pids/inner")).unwrap();
    f.file("proc/cgroup", "1:pids:/ns/inner\n");
    f.file("proc/mountinfo", &format!("40 31 0:30 /ns {} rw - cgroup cgroup rw,pids\n", f.path("pids")));
    let l = f.layout(&Limits { pids: Some(1), ..Limits::default() }, None).unwrap();
    assert_eq!(dirs(&f, &l), ["pids/inner"]);
}

/// The directories of a layout, relative to the fake root.
fn dirs(f: &Fake, l: &Layout) -> Vec<String> {
    l.hierarchies().iter().map(|h| f.rel(h.dir.as_cstr().to_str().unwrap())).collect()
}
