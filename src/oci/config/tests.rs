use super::*;
use crate::error::tests::show;
use crate::security::caps::{CAP_NET_BIND_SERVICE, DOCKER_DEFAULT, bit};
use crate::spec::{OWN_CGROUP, OWN_DEV, OWN_PROC, OWN_PTS, OWN_SYS};
extern crate std;
use libc::{MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY};
use std::boxed::Box;
use std::string::String;
use std::vec::Vec;

const PODMAN_D: &[u8] = include_bytes!("../../../tests/oci/podman-run-d.config.json");
const PODMAN_IT: &[u8] = include_bytes!("../../../tests/oci/podman-run-it.config.json");
const PODMAN_OPTIONS: &[u8] = include_bytes!("../../../tests/oci/podman-run-options.config.json");
const CONTAINERD: &[u8] = include_bytes!("../../../tests/oci/containerd-run.config.json");

/// The Spec for `text`, in bundle /b.
fn spec(text: &[u8]) -> Result<Spec, Error> {
    let text: &'static [u8] = Box::leak(text.to_vec().into_boxed_slice());
    let space: &'static mut [u8] = Box::leak(std::vec![0u8; text.len() + (128 << 10)].into_boxed_slice());
    from_json(text, c"/b", space)
}

fn error(text: &str) -> String {
    show(&spec(text.as_bytes()).err().unwrap_or_else(|| panic!("accepted {text}")))
}

fn strs(l: impl Iterator<Item = &'static CStr>) -> Vec<String> {
    l.map(|c| c.to_str().unwrap().into()).collect()
}

fn argv(s: &Spec) -> Vec<String> {
    strs((0..s.argv.len()).map(|i| s.argv.get(i).unwrap()))
}

fn env(s: &Spec) -> Vec<String> {
    strs((0..s.env.len()).map(|i| s.env.get(i).unwrap()))
}

fn paths(m: &[Mask]) -> Vec<String> {
    strs(m.iter().map(|m| m.path))
}

fn fs(dst: &'static str, fstype: &'static CStr, flags: u64, data: &'static CStr) -> Mount {
    Mount { dst: dst.as_bytes(), kind: MountKind::Fs { fstype, flags: flags as u32, data } }
}

fn bind(dst: &'static str, src: &'static str, attrs: u64) -> Mount {
    Mount { dst: dst.as_bytes(), kind: MountKind::Bind { src: src.as_bytes(), attrs: attrs as u8 } }
}

/// A small config of runix's own /proc, /dev and /sys, with `process` and `linux` members
/// added.
fn small(process: &str, linux: &str) -> String {
    format!(
        r#"{{"ociVersion":"1.0.2","process":{{"args":["sh"],"cwd":"/","user":{{"uid":0,"gid":0}}{process}}},"root":{{"path":"rootfs"}},
        "mounts":[{{"destination":"/proc","type":"proc"}},{{"destination":"/dev","type":"tmpfs","options":["nosuid","mode=755"]}},{{"destination":"/sys","type":"sysfs","options":["ro"]}}],
        "linux":{{"namespaces":[{{"type":"pid"}},{{"type":"mount"}},{{"type":"ipc"}},{{"type":"uts"}}]{linux}}}}}"#
    )
}

#[test]
fn containerd_s_config() {
    let s = spec(CONTAINERD).unwrap();
    assert_eq!(argv(&s), ["sh", "-c", "echo hi-ctr; exit 3"]);
    assert_eq!(env(&s), ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    assert_eq!((s.rootfs, s.workdir, s.hostname), (c"/b/rootfs", Some(c"/"), c""));
    assert_eq!((s.ids, &s.groups[..s.ngroups], s.umask), (Some((0, 0)), &[0][..], None));
    assert_eq!((s.caps, s.cap_sets), (DOCKER_DEFAULT, Some([DOCKER_DEFAULT, DOCKER_DEFAULT, 0, 0])));
    assert!(s.no_new_privs && !s.tty && !s.read_only && s.new_net && s.make_points && s.joins.is_empty());
    assert_eq!(s.ulimits.iter().collect::<Vec<_>>(), [Ulimit { resource: libc::RLIMIT_NOFILE as u8, soft: 1024, hard: 1024 }]);
    assert!(s.limits.devices);
    assert_eq!((s.limits.cpu_shares, s.limits.pids), (Some(1024), None));
    assert_eq!(s.cgroup_path, Some(&b"/default/c1"[..]));
    assert_eq!(s.own, OWN_PROC | OWN_SYS | OWN_DEV | OWN_PTS);
    assert_eq!(s.own_flags[..3], [(MS_NOSUID | MS_NOEXEC | MS_NODEV) as u32, (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY) as u32, (MS_NOSUID | libc::MS_STRICTATIME) as u32]);
    // Runix's own /proc, /dev, /dev/pts and /sys, as their flags say; the rest the user's.
    assert_eq!(
        s.mounts.iter().collect::<Vec<_>>(),
        [
            fs("/dev/shm", c"tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, c"mode=1777,size=65536k"),
            fs("/dev/mqueue", c"mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, c""),
            fs("/run", c"tmpfs", MS_NOSUID | libc::MS_STRICTATIME, c"mode=755,size=65536k"),
        ]
    );
    assert_eq!(s.seccomp, Seccomp::Unconfined);
    assert_eq!(paths(s.masked), ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]);
    assert_eq!(paths(s.read_only_paths), ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]);
}

#[test]
fn podman_s_config() {
    let s = spec(PODMAN_D).unwrap();
    assert_eq!(argv(&s), ["sleep", "1000"]);
    assert_eq!(env(&s)[0], "container=podman");
    assert_eq!((s.hostname, s.umask, s.ngroups), (c"33b3df369a05", Some(0o22), 0));
    assert!(!s.no_new_privs && !s.tty && !s.new_net);
    assert_eq!(s.joins.iter().collect::<Vec<_>>(), [(libc::CLONE_NEWNET as u32, c"/run/netns/netns-8c6b61cc-bf7f-db67-38fd-00b780546e25")]);
    assert_eq!(s.sysctls.iter().collect::<Vec<_>>(), [(c"/proc/sys/net/ipv4/ping_group_range", c"0 0")]);
    assert_eq!(s.caps, 0x800405fb);
    assert_eq!(s.cap_sets, Some([0x800405fb, 0x800405fb, 0, 0]));
    assert_eq!(s.limits.pids, Some(2048));
    assert_eq!(s.own, OWN_PROC | OWN_SYS | OWN_DEV | OWN_PTS | OWN_CGROUP);
    assert_eq!(s.own_flags[3], (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY | libc::MS_RELATIME) as u32);
    let m: Vec<Mount> = s.mounts.iter().collect();
    assert_eq!(m[0], fs("/dev/mqueue", c"mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, c""));
    let hosts = "/run/containers/storage/overlay-containers/33b3df369a0508a885c0aea98616b7c91933c13bd898ad80535d577c439094d4/userdata/hosts";
    // `bind`: not recursive.
    assert_eq!(m[1], bind("/etc/hosts", hosts, BIND_ONE as u64));
    assert_eq!(m[2].kind, MountKind::Bind { src: b"/var/lib/containers/storage/overlay-containers/33b3df369a0508a885c0aea98616b7c91933c13bd898ad80535d577c439094d4/userdata/shm", attrs: (MS_NOSUID | MS_NOEXEC | MS_NODEV) as u8 | BIND_ONE });
    assert_eq!(m.len(), 6);
    let Seccomp::Program(p) = s.seccomp else { panic!("{:?}", s.seccomp) };
    assert!(p.insns.len() > 100 && p.flags == 0);
    assert_eq!(paths(s.masked).len(), 11);
    assert_eq!(paths(s.read_only_paths)[0], "/proc/asound");
    assert_eq!(s.cgroup_path, Some(&b"/libpod_parent/libpod-33b3df369a0508a885c0aea98616b7c91933c13bd898ad80535d577c439094d4"[..]));
    assert!(spec(PODMAN_IT).unwrap().tty);
}

#[test]
fn podman_s_options() {
    let s = spec(PODMAN_OPTIONS).unwrap();
    assert_eq!((s.ids, &s.groups[..s.ngroups], s.workdir), (Some((1000, 1000)), &[1000][..], Some(c"/tmp")));
    let nbs = bit(CAP_NET_BIND_SERVICE);
    assert_eq!((s.caps, s.cap_sets), (nbs, Some([nbs; 4])));
    assert!(s.read_only && s.no_new_privs && s.new_net);
    let m: Vec<Mount> = s.mounts.iter().collect();
    // `rbind`: recursive.
    assert_eq!(m[0], bind("/data", "/srv/vol", MS_RDONLY));
    assert_eq!(m[1], fs("/scratch", c"tmpfs", MS_NOSUID | MS_NODEV | COPY_UP as u64, c""));
    assert_eq!(s.ulimits.len(), 2);
}

#[test]
fn root_path_relative_or_absolute() {
    let s = spec(small("", "").replace(r#""rootfs""#, r#""/abs/root""#).as_bytes()).unwrap();
    assert_eq!(s.rootfs, c"/abs/root");
    assert!(!s.new_net && s.masked.is_empty() && s.read_only_paths.is_empty());
    assert_eq!((s.hostname, s.seccomp), (c"", Seccomp::Unconfined));
    assert_eq!(error(&small("", "").replace(r#""rootfs""#, r#""""#)), "invalid root.path");
}

#[test]
fn escapes_become_their_bytes() {
    let s = spec(small("", "").replace(r#"["sh"]"#, r#"["s\u0068","a\"b","\t"]"#).as_bytes()).unwrap();
    assert_eq!(argv(&s), ["sh", "a\"b", "\t"]);
    assert_eq!(error(&small("", "").replace(r#"["sh"]"#, r#"["a\u0000b"]"#)), "invalid process.args[]");
}

#[test]
fn malformed_is_an_error_with_the_offset() {
    assert_eq!(error(r#"{"ociVersion": "1.0.2",}"#), "malformed config.json at byte: 23");
    assert_eq!(error("{}"), "unsupported ociVersion");
    assert_eq!(error(r#"{"ociVersion":"2.0.0"}"#), "unsupported ociVersion: 2.0.0");
}

#[test]
fn resources_are_the_cgroup_limits() {
    let s = spec(small("", r#","resources":{"pids":{"limit":2048},"memory":{"limit":33554432,"swap":67108864},"cpu":{"shares":512,"quota":50000,"period":200000,"cpus":"0-1","mems":"0"}}"#).as_bytes()).unwrap();
    let l = s.limits;
    assert_eq!((l.pids, l.memory, l.memory_swap, l.cpu_shares, l.cpus), (Some(2048), Some(32 << 20), Some(64 << 20), Some(512), Some((50000, 200000))));
    assert_eq!((l.cpuset_cpus, l.cpuset_mems), (Some(&b"0-1"[..]), Some(&b"0"[..])));
    let s = spec(small("", r#","resources":{"pids":{"limit":0},"memory":{"limit":-1,"swap":-1},"cpu":{"quota":-1,"period":100000}}"#).as_bytes()).unwrap();
    let l = s.limits;
    assert_eq!((l.pids, l.memory, l.memory_swap, l.cpus), (None, None, None, None));
}

#[test]
fn sysctls_are_those_of_the_container_s_namespaces() {
    let text = small("", r#","sysctl":{"kernel.shmmax":"1","fs.mqueue.msg_max":"2","net.ipv4.ip_forward":"1"}"#);
    let s = spec(text.replace(r#"{"type":"uts"}"#, r#"{"type":"uts"},{"type":"network"}"#).as_bytes()).unwrap();
    assert_eq!(s.sysctls.iter().map(|(k, v)| (k.to_str().unwrap(), v.to_str().unwrap())).collect::<Vec<_>>(), [("/proc/sys/kernel/shmmax", "1"), ("/proc/sys/fs/mqueue/msg_max", "2"), ("/proc/sys/net/ipv4/ip_forward", "1")]);
    for key in ["kernel.core_pattern", "net.ipv4.ip_forward", "vm.overcommit_memory", "kernel.shmmax/../x", "fs.mqueue"] {
        assert_eq!(error(&small("", &format!(r#","sysctl":{{"{key}":"1"}}"#))), format!("unsupported linux.sysctl: {key}"));
    }
}

/// podman --privileged: the host's devices as nodes, and one rule that allows all.
#[test]
fn privileged_devices() {
    let s = spec(small("", r#","resources":{"devices":[{"allow":true,"access":"rwm"}]},"devices":[{"path":"/dev/cpu/0/cpuid","type":"c","major":203,"minor":0,"fileMode":8576,"uid":0,"gid":6},{"path":"/dev/sda","type":"b","major":8,"minor":0},{"path":"/dev/p","type":"p"}]"#).as_bytes()).unwrap();
    assert!(s.all_devices && !s.limits.devices);
    let n = |path, mode, major, minor, gid| crate::spec::Node { path, mode, major, minor, uid: 0, gid };
    assert_eq!(s.nodes, [n(c"/dev/cpu/0/cpuid", 0o20600, 203, 0, 6), n(c"/dev/sda", 0o60666, 8, 0, 0), n(c"/dev/p", 0o10666, 0, 0, 0)]);
    let s = spec(small("", r#","resources":{"devices":[{"allow":false,"access":"rwm"}]}"#).as_bytes()).unwrap();
    assert!(!s.all_devices && s.limits.devices && s.nodes.is_empty());
}

#[test]
fn each_unsupported_value_names_its_field() {
    for (linux, want) in [
        (r#","uidMappings":[{"containerID":0,"hostID":1000,"size":1}]"#, "unsupported config.json field: linux.uidMappings"),
        (r#","resources":{"memory":{"limit":1,"kernel":2}}"#, "unsupported linux.resources: kernel"),
        (r#","resources":{"blockIO":{"weight":10}}"#, "unsupported linux.resources: blockIO"),
        (r#","resources":{"devices":[{"allow":true,"access":"rw"}]}"#, "unsupported linux.resources.devices[] (runix's own rules only)"),
        (r#","resources":{"devices":[{"allow":true,"access":"rwm"},{"allow":false,"type":"c","major":1,"minor":3}]}"#, "unsupported linux.resources.devices[] (runix's own rules only)"),
        (r#","devices":[{"path":"/etc/null","type":"c","major":1,"minor":3}]"#, "unsupported linux.devices[]: /etc/null"),
        (r#","devices":[{"path":"/dev/../etc/x","type":"c","major":1,"minor":3}]"#, "unsupported linux.devices[]: /dev/../etc/x"),
        (r#","devices":[{"path":"/dev/x","type":"s","major":1,"minor":3}]"#, "unsupported linux.devices[]: /dev/x"),
        (r#","devices":[{"path":"/dev/x","type":"b","major":4096,"minor":3}]"#, "unsupported linux.devices[]: /dev/x"),
        (r#","devices":[{"path":"/dev/x","type":"b","major":8,"minor":-1}]"#, "invalid linux.devices[].minor"),
        (r#","resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":8,"minor":0}]}"#, "unsupported linux.resources.devices[] (runix's own rules only)"),
        (r#","cgroupsPath":"system.slice:runix:x""#, "unsupported linux.cgroupsPath: system.slice:runix:x"),
        (r#","rootfsPropagation":"shared""#, "unsupported linux.rootfsPropagation: shared"),
        (r#","maskedPaths":["/etc/shadow"]"#, "unsupported linux.maskedPaths: /etc/shadow"),
        (r#","readonlyPaths":["/proc/../etc"]"#, "unsupported linux.readonlyPaths: /proc/../etc"),
        // Looked up from the top of runix's /proc or /sys: a name there, and only that.
        (r#","readonlyPaths":["/proc//sys"]"#, "unsupported linux.readonlyPaths: /proc//sys"),
        (r#","maskedPaths":["/sys//firmware"]"#, "unsupported linux.maskedPaths: /sys//firmware"),
        (r#","maskedPaths":["/proc/"]"#, "unsupported linux.maskedPaths: /proc/"),
        (r#","maskedPaths":["/sys/firmware/"]"#, "unsupported linux.maskedPaths: /sys/firmware/"),
        (r#","maskedPaths":["/proc/./keys"]"#, "unsupported linux.maskedPaths: /proc/./keys"),
        (r#","maskedPaths":["/proc/self/cwd/x"]"#, "unsupported linux.maskedPaths: /proc/self/cwd/x"),
        (r#","maskedPaths":["/proc/thread-self/root"]"#, "unsupported linux.maskedPaths: /proc/thread-self/root"),
        (r#","seccomp":{"defaultAction":"SCMP_ACT_NOTIFY"}"#, "unsupported linux.seccomp action: SCMP_ACT_NOTIFY"),
        (r#","mountLabel":"system_u:object_r:container_file_t:s0""#, "unsupported config.json field: linux.mountLabel"),
    ] {
        assert_eq!(error(&small("", linux)), want, "{linux}");
    }
    let s = small("", "");
    for (from, to, want) in [
        (r#"{"type":"pid"},"#, "", "unsupported linux.namespaces (runix makes pid, mount, ipc and uts ones)"),
        (r#"{"type":"pid"}"#, r#"{"type":"user"}"#, "unsupported linux.namespaces[].type: user"),
        (r#"{"type":"pid"}"#, r#"{"type":"pid","path":"/proc/1/ns/pid"}"#, "unsupported linux.namespaces[].path: /proc/1/ns/pid"),
        (r#""uid":0"#, r#""uid":-1"#, "invalid process.user.uid"),
        (r#""uid":0"#, r#""uid":4294967295"#, "invalid process.user.uid"),
        (r#""uid":0"#, r#""uid":"0""#, "invalid process.user.uid: 0"),
        (r#""cwd":"/""#, r#""cwd":"rel""#, "invalid process.cwd: rel"),
        (r#"["sh"]"#, "[]", "invalid process.args"),
        (r#"["sh"]"#, r#""sh""#, "invalid process.args: sh"),
        (r#""root""#, r#""hooks":{"prestart":[{"path":"/x"}]},"root""#, "unsupported config.json field: hooks"),
        (r#""args""#, r#""rlimits":[{"type":"RLIMIT_BOGUS","soft":1,"hard":1}],"args""#, "invalid process.rlimits[]: RLIMIT_BOGUS"),
        (r#""args""#, r#""capabilities":{"bounding":["CAP_BOGUS"]},"args""#, "invalid process.capabilities: CAP_BOGUS"),
        (r#""args""#, r#""terminal":1,"args""#, "invalid process.terminal"),
        (r#""args""#, r#""oomScoreAdj":1001,"args""#, "invalid process.oomScoreAdj"),
        (r#""args""#, r#""apparmorProfile":"x","args""#, "unsupported config.json field: process.apparmorProfile"),
        (r#""ro"]"#, r#""ro","rshared"]"#, "unsupported mounts[].options: rshared"),
        (r#""ro"]"#, r#""ro","size=1"]"#, "unsupported mounts[].options"),
        (r#""type":"proc""#, r#""type":"proc","options":["bind"]"#, "invalid mounts[].source"),
        (r#"{"destination":"/proc","type":"proc"}"#, r#"{"destination":"/x","type":"proc"}"#, "unsupported mounts[].type: proc"),
        (r#"{"destination":"/dev","type":"tmpfs","options":["nosuid","mode=755"]}"#, r#"{"destination":"/x","type":"tmpfs"}"#, "unsupported mounts (runix needs its proc on /proc and tmpfs on /dev)"),
        (r#"{"destination":"/proc","type":"proc"}"#, r#"{"destination":"proc","type":"proc"}"#, "invalid mounts[].destination: proc"),
    ] {
        assert_eq!(error(&s.replacen(from, to, 1)), want, "{to}");
    }
}
