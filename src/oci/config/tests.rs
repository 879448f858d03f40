use super::*;
use crate::error::tests::show;
extern crate std;
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
    let space: &'static mut [u8] = Box::leak(std::vec![0u8; text.len() + 8192].into_boxed_slice());
    from_json(text, c"/b", space, Box::leak(Box::new(CList::new())))
}

fn error(text: &str) -> String {
    show(&spec(text.as_bytes()).err().unwrap_or_else(|| panic!("accepted {text}")))
}

/// `text` with `from` replaced by `to` (once, and it must be there).
fn edit(text: &[u8], from: &str, to: &str) -> Vec<u8> {
    let t = String::from_utf8(text.to_vec()).unwrap();
    assert!(t.contains(from), "{from}");
    t.replacen(from, to, 1).into_bytes()
}

fn strs(l: impl Iterator<Item = &'static CStr>) -> Vec<String> {
    l.map(|c| c.to_str().unwrap().into()).collect()
}

/// A small config, with `linux` as given.
fn small(linux: &str) -> String {
    format!(
        r#"{{"ociVersion":"1.0.2","process":{{"args":["sh"],"cwd":"/","user":{{"uid":0,"gid":0}}}},"root":{{"path":"rootfs"}},
        "linux":{{"namespaces":[{{"type":"pid"}},{{"type":"mount"}},{{"type":"ipc"}},{{"type":"uts"}}]{linux}}}}}"#
    )
}

#[test]
fn containerd_s_config() {
    let s = spec(CONTAINERD).unwrap();
    assert_eq!(strs((0..s.argv.len()).map(|i| s.argv.get(i).unwrap())), ["sh", "-c", "echo hi-ctr; exit 3"]);
    assert_eq!(strs((0..s.env.len()).map(|i| s.env.get(i).unwrap())), ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    assert_eq!(s.rootfs, c"/b/rootfs");
    assert_eq!(s.workdir, Some(c"/"));
    assert_eq!(s.ids, Some((0, 0)));
    assert_eq!(s.hostname, c"");
    assert!(!s.read_only && !s.tty && s.new_net);
    assert_eq!(s.caps, crate::security::caps::DOCKER_DEFAULT);
    assert_eq!(s.ulimits.iter().collect::<Vec<_>>(), [Ulimit { resource: libc::RLIMIT_NOFILE as u8, soft: 1024, hard: 1024 }]);
    assert!(s.limits.devices);
    assert_eq!(s.limits.cpu_shares, Some(1024));
    // /run is the one mount that is not runix's own.
    assert_eq!(s.mounts.iter().collect::<Vec<_>>(), [Mount { dst: b"/run", kind: MountKind::Tmpfs { size: None } }]);
}

#[test]
fn podman_s_configs_without_seccomp() {
    for text in [PODMAN_D, PODMAN_IT, PODMAN_OPTIONS] {
        let e = show(&spec(text).err().unwrap());
        assert!(e == "unsupported config.json field: linux.seccomp", "{e}");
    }
}

#[test]
fn root_path_relative_or_absolute() {
    let s = spec(small("").replace(r#""rootfs""#, r#""/abs/root""#).as_bytes()).unwrap();
    assert_eq!(s.rootfs, c"/abs/root");
    assert!(!s.new_net);
    assert_eq!(s.hostname, c"");
    assert_eq!(error(&small("").replace(r#""rootfs""#, r#""""#)), "invalid root.path");
}

#[test]
fn escapes_become_their_bytes() {
    let s = spec(small("").replace(r#"["sh"]"#, r#"["s\u0068","a\"b","\t"]"#).as_bytes()).unwrap();
    assert_eq!(strs((0..s.argv.len()).map(|i| s.argv.get(i).unwrap())), ["sh", "a\"b", "\t"]);
    assert_eq!(error(&small("").replace(r#"["sh"]"#, r#"["a\u0000b"]"#)), "invalid process.args");
}

#[test]
fn malformed_is_an_error_with_the_offset() {
    assert_eq!(error(r#"{"ociVersion": "1.0.2",}"#), "malformed config.json at byte: 23");
    assert_eq!(error("{}"), "unsupported ociVersion");
    assert_eq!(error(r#"{"ociVersion":"2.0.0"}"#), "unsupported ociVersion: 2.0.0");
}

#[test]
fn each_unsupported_value_names_its_field() {
    for (linux, want) in [
        (r#","sysctl":{"kernel.shmmax":"1"}"#, "unsupported config.json field: linux.sysctl"),
        (r#","uidMappings":[{"containerID":0,"hostID":1000,"size":1}]"#, "unsupported config.json field: linux.uidMappings"),
        (r#","resources":{"memory":{"limit":1,"kernel":2}}"#, "unsupported config.json field: linux.resources: kernel"),
        (r#","resources":{"blockIO":{}}"#, "unsupported config.json field: linux.resources: blockIO"),
        (r#","resources":{"devices":[{"allow":true,"access":"rwm"}]}"#, "unsupported linux.resources.devices (want deny-all first)"),
        (r#","resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":8,"minor":0}]}"#, "unsupported linux.resources.devices[] (beyond runix's default list)"),
    ] {
        assert_eq!(error(&small(linux)), want, "{linux}");
    }
    let s = small("");
    for (from, to, want) in [
        (r#"{"type":"pid"},"#, "", "unsupported linux.namespaces (runix always makes pid, mount, ipc and uts ones)"),
        (r#"{"type":"pid"}"#, r#"{"type":"user"}"#, "unsupported linux.namespaces[].type: user"),
        (r#"{"type":"pid"}"#, r#"{"type":"pid","path":"/proc/1/ns/pid"}"#, "unsupported linux.namespaces[].path: /proc/1/ns/pid"),
        (r#""uid":0"#, r#""uid":-1"#, "invalid process.user"),
        (r#""uid":0"#, r#""uid":4294967295"#, "invalid process.user"),
        (r#""cwd":"/""#, r#""cwd":"rel""#, "invalid process.cwd: rel"),
        (r#""cwd":"/""#, r#""cwd":"/a/../b""#, "invalid process.cwd: /a/../b"),
        (r#"["sh"]"#, "[]", "invalid process.args"),
        (r#"["sh"]"#, r#""sh""#, "invalid process.args: sh"),
        (r#""root""#, r#""hooks":{"prestart":[{"path":"/x"}]},"root""#, "unsupported config.json field: hooks"),
        (r#""args""#, r#""rlimits":[{"type":"RLIMIT_BOGUS","soft":1,"hard":1}],"args""#, "invalid process.rlimits: RLIMIT_BOGUS"),
        (r#""args""#, r#""capabilities":{"bounding":["CAP_BOGUS"]},"args""#, "unknown capability: CAP_BOGUS"),
        (r#""args""#, r#""terminal":1,"args""#, "invalid process.terminal"),
    ] {
        assert_eq!(error(&s.replacen(from, to, 1)), want, "{to}");
    }
}

#[test]
fn resources_are_the_cgroup_limits() {
    let s = spec(small(r#","resources":{"pids":{"limit":2048},"memory":{"limit":33554432,"swap":67108864},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0-1","mems":"0"}}"#).as_bytes()).unwrap();
    let l = s.limits;
    assert_eq!((l.pids, l.memory, l.memory_swap, l.cpu_shares, l.cpus), (Some(2048), Some(32 << 20), Some(64 << 20), Some(512), Some((50000, 100000))));
    assert_eq!((l.cpuset_cpus, l.cpuset_mems), (Some(&b"0-1"[..]), Some(&b"0"[..])));
    let s = spec(small(r#","resources":{"pids":{"limit":0},"memory":{"limit":-1,"swap":-1},"cpu":{"quota":-1,"period":100000}}"#).as_bytes()).unwrap();
    let l = s.limits;
    assert_eq!((l.pids, l.memory, l.memory_swap, l.cpus), (None, None, None, None));
}
