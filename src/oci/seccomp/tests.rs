use super::*;
use crate::error::tests::show;
use crate::security::bpf::{Call, JA, call, check, run};
use crate::security::seccomp::RET_ALLOW;
use core::str::FromStr;
use libc::{SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP};
extern crate std;
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

/// What podman 4.3 generated for `podman run -d` (see /work/shared/docs/oci.md).
const PODMAN: &[u8] = include_bytes!("../../../tests/oci/podman-run-d.config.json");

const fn errno(e: i32) -> u32 {
    SECCOMP_RET_ERRNO | e as u32
}

fn compile_value(v: Value<'_>) -> Result<(Vec<sock_filter>, Filter), String> {
    let mut out = vec![sock_filter { code: 0, jt: 0, jf: 0, k: 0 }; 4096];
    let f = compile(v, &mut out).map_err(|e| show(&e))?;
    out.truncate(f.len);
    check(&out);
    Ok((out, f))
}

fn compile_text(text: &[u8]) -> Result<(Vec<sock_filter>, Filter), String> {
    compile_value(Value::parse(text, "malformed at byte").unwrap())
}

fn program(text: &str) -> Vec<sock_filter> {
    compile_text(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {}", &text[..text.len().min(300)])).0
}

/// podman's linux.seccomp.
fn podman_profile() -> Value<'static> {
    let d = Value::parse(PODMAN, "malformed at byte").unwrap();
    d.get(b"linux").unwrap().get(b"seccomp").unwrap()
}

fn podman() -> Vec<sock_filter> {
    compile_value(podman_profile()).unwrap().0
}

fn verdict(p: &[sock_filter], c: Call) -> u32 {
    run(p, &c).ret
}

/// A profile with `default` and one rule per (names, action, args) as JSON text.
fn profile(default: &str, rules: &[&str]) -> String {
    format!(r#"{{"defaultAction": {default}, "syscalls": [{}]}}"#, rules.join(","))
}

// ---------------------------------------------------------------------------------------------
// A model of what the profile means, read from the same JSON: what each call must get.

struct ModelRule {
    nrs: Vec<u32>,
    act: u32,
    args: Vec<(usize, String, u64, u64)>,
}

struct Model {
    default: u32,
    last: Option<u32>,
    rules: Vec<ModelRule>,
}

fn model(v: Value<'_>) -> Model {
    let s = |v: Value<'_>| String::from_utf8(v.as_str(&mut [0; 64]).unwrap().to_vec()).unwrap();
    let rule = |r: Value<'_>| ModelRule {
        nrs: r.get(b"names").unwrap().elements().unwrap().filter_map(|n| S::from_str(&s(n)).ok()).map(|s| s as u32).collect(),
        act: action(r.get(b"action"), r.get(b"errnoRet"), "").unwrap(),
        args: list(r.get(b"args"), "", b"")
            .unwrap()
            .map(|a| {
                let n = |k: &[u8]| a.get(k).map_or(0, |x| x.as_u64().unwrap());
                (n(b"index") as usize, s(a.get(b"op").unwrap()), n(b"value"), n(b"valueTwo"))
            })
            .collect(),
    };
    let rules: Vec<ModelRule> = list(v.get(b"syscalls"), "", b"").unwrap().map(rule).collect();
    let last = rules.iter().flat_map(|r| r.nrs.iter().copied()).max();
    Model { default: action(v.get(b"defaultAction"), v.get(b"defaultErrnoRet"), "").unwrap(), last, rules }
}

fn holds(op: &str, x: u64, value: u64, two: u64) -> bool {
    match op {
        "SCMP_CMP_EQ" => x == value,
        "SCMP_CMP_NE" => x != value,
        "SCMP_CMP_LT" => x < value,
        "SCMP_CMP_LE" => x <= value,
        "SCMP_CMP_GT" => x > value,
        "SCMP_CMP_GE" => x >= value,
        "SCMP_CMP_MASKED_EQ" => x & value == two & value,
        _ => panic!("{op}"),
    }
}

impl Model {
    fn expect(&self, c: &Call) -> u32 {
        if c.arch != arch::AUDIT_ARCH {
            return RET_KILL;
        }
        let last = self.last;
        let allows = [libc::SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_TRACE].contains(&(self.default & 0xffff_0000));
        let top = if last.is_none() || allows { self.default } else { RET_ENOSYS };
        if c.nr > last.unwrap_or(0) {
            return if c.nr != u32::MAX && c.nr & arch::SYSCALL_ABI_BIT != 0 { RET_KILL } else { top };
        }
        let mine: Vec<&ModelRule> = self.rules.iter().filter(|r| r.act != self.default && r.nrs.contains(&c.nr)).collect();
        if let Some(r) = mine.iter().find(|r| r.args.is_empty()) {
            return r.act;
        }
        for r in mine {
            let cmp = |&(i, ref op, v, two): &(usize, String, u64, u64)| holds(op, c.args[i], v, two);
            let twice = (0..6).any(|i| r.args.iter().filter(|a| a.0 == i).count() > 1);
            if if twice { r.args.iter().any(cmp) } else { r.args.iter().all(cmp) } {
                return r.act;
            }
        }
        self.default
    }
}

/// Arguments that sit on and around `v`, in both halves.
fn around(v: u64) -> Vec<u64> {
    let mut out = vec![0, u64::MAX, 1 << 32, 0xffff_ffff];
    for d in [0, 1, 1 << 32, (1 << 32) + 1, (1 << 32) - 1] {
        out.extend([v.wrapping_add(d), v.wrapping_sub(d)]);
    }
    out.extend([v ^ 1 << 63, v & 0xffff_ffff, v & !0xffff_ffff, v.rotate_left(32)]);
    out
}

/// Every number of this CPU and around it, with the args of `samples`, as the model says.
fn agrees(v: Value<'_>, samples: &[[u64; 6]]) {
    let p = compile_value(v).unwrap_or_else(|e| panic!("{e}")).0;
    let m = model(v);
    let nrs = (0..N as u32 + 2).chain([u32::MAX, arch::SYSCALL_ABI_BIT, arch::SYSCALL_ABI_BIT | 1, 0x3fff_ffff]);
    for nr in nrs {
        for args in samples.iter().chain([&[0; 6]]) {
            for arch in [arch::AUDIT_ARCH, arch::AUDIT_ARCH_COMPAT] {
                let c = Call { arch, nr, args: *args };
                assert_eq!(run(&p, &c).ret, m.expect(&c), "{c:x?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// podman's default profile

#[test]
fn podman_profile_compiles_within_the_kernels_limits() {
    let (p, f) = compile_value(podman_profile()).unwrap();
    std::println!("podman's profile: {} instructions", p.len());
    assert!(p.len() < 400, "{}", p.len());
    assert_eq!(f.flags, 0);
    // 38, from defaultErrnoRet.
    assert_eq!(verdict(&p, call(S::io_uring_setup, &[])), errno(libc::ENOSYS));
    assert_eq!(verdict(&p, call(S::uretprobe, &[])), errno(libc::ENOSYS));
}

#[test]
fn podman_profile_decides_as_the_model() {
    let samples: Vec<[u64; 6]> = around(16).into_iter().flat_map(|a0| [[a0, 0, 9, 0, 0, 0], [a0, 2, 0, 0, 0, 0], [a0, 0, 9 | 1 << 32, 0, 0, 0]]).chain(around(0x20008).into_iter().map(|a| [a, 0, 0, 0, 0, 0])).collect();
    agrees(podman_profile(), &samples);
}

#[test]
fn podman_allows_everyday_calls_and_not_the_dangerous_ones() {
    let p = podman();
    for nr in [S::read, S::write, S::openat, S::close, S::mmap, S::execve, S::exit_group, S::clone, S::clone3, S::wait4, S::arch_prctl, S::chroot, S::mount, S::unshare, S::setns] {
        assert_eq!(verdict(&p, call(nr, &[])), RET_ALLOW, "{nr}");
    }
    // setns is allowed, then listed as EPERM: the first rule without args counts (db_rule_add).
    for nr in [S::kexec_load, S::open_by_handle_at, S::bpf, S::init_module, S::acct, S::iopl, S::settimeofday, S::vhangup] {
        assert_eq!(verdict(&p, call(nr, &[])), errno(libc::EPERM), "{nr}");
    }
    // Numbers podman does not name, and those above the highest it names (process_mrelease).
    for nr in [S::add_key, S::io_uring_enter, S::quotactl_fd, S::futex_waitv, S::cachestat, S::file_setattr] {
        assert_eq!(verdict(&p, call(nr, &[])), errno(libc::ENOSYS), "{nr}");
    }
    for nr in [S::file_setattr as u32 + 1, 1000, u32::MAX] {
        assert_eq!(verdict(&p, Call { nr, ..call(S::read, &[]) }), errno(libc::ENOSYS), "{nr}");
    }
}

#[test]
fn podman_personalities() {
    let p = podman();
    for persona in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
        assert_eq!(verdict(&p, call(S::personality, &[persona])), RET_ALLOW, "{persona:#x}");
    }
    // ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, PER_BSD; and allowed values with high bits, which
    // libseccomp's 64-bit comparison does not take for them.
    for persona in [0x0004_0000, 0x0040_0000, 6, 1 << 32, 1 << 32 | 8, 0xffff_ffff_ffff_ffff] {
        assert_eq!(verdict(&p, call(S::personality, &[persona])), errno(libc::ENOSYS), "{persona:#x}");
    }
}

#[test]
fn podman_sockets_but_not_netlink_audit() {
    let p = podman();
    let (netlink, audit) = (libc::AF_NETLINK as u64, libc::NETLINK_AUDIT as u64);
    assert_eq!((netlink, audit), (16, 9));
    assert_eq!(verdict(&p, call(S::socket, &[netlink, libc::SOCK_RAW as u64, audit])), errno(libc::EINVAL));
    for args in [[netlink, 3, 0], [libc::AF_INET as u64, 1, audit], [2, 1, 0], [netlink | 1 << 32, 3, audit], [netlink, 3, audit | 1 << 32]] {
        assert_eq!(verdict(&p, call(S::socket, &args)), RET_ALLOW, "{args:?}");
    }
}

#[test]
fn other_abis_are_killed() {
    let p = podman();
    // i386's int 0x80 (listed as SCMP_ARCH_X86), an unknown arch.
    for arch in [arch::AUDIT_ARCH_COMPAT, 0, 0xc000_00b7] {
        assert_eq!(verdict(&p, Call { arch, ..call(S::read, &[]) }), RET_KILL, "{arch:#x}");
    }
    // x32 (listed as SCMP_ARCH_X32): x86_64's numbers with a bit set, and its own from 512.
    if arch::SYSCALL_ABI_BIT != 0 {
        for nr in [S::read as u32, S::write as u32, S::execve as u32, 512, 520, 547] {
            assert_eq!(verdict(&p, Call { nr: arch::SYSCALL_ABI_BIT | nr, ..call(S::read, &[]) }), RET_KILL, "{nr}");
        }
    }
    // -1, how a tracer skips a call, is not an x32 call.
    assert_eq!(verdict(&p, Call { nr: u32::MAX, ..call(S::read, &[]) }), errno(libc::ENOSYS));
}

/// Calls decided by number alone run only loads of nr and arch, so the kernel (>= 5.11)
/// caches the allowed ones and skips the filter for them.
#[test]
fn podman_allowed_calls_are_cacheable() {
    let p = podman();
    for nr in 0..N as u32 {
        if nr == S::personality as u32 || nr == S::socket as u32 {
            assert!(!run(&p, &Call { nr, ..call(S::read, &[]) }).cacheable);
            continue;
        }
        assert!(run(&p, &Call { nr, ..call(S::read, &[]) }).cacheable, "{nr}");
    }
}

// ---------------------------------------------------------------------------------------------
// The meaning of rules

const OPS_ALL: [&str; 7] = ["SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"];

#[test]
fn each_comparison_on_all_64_bits() {
    let values = [0, 1, 5, 0x7fff_ffff, 0xffff_ffff, 1 << 32, 0x1_0000_0005, 0x5_0000_0001, 0xffff_fffe_ffff_ffff, u64::MAX, 1 << 63];
    for op in OPS_ALL {
        for (i, &v) in values.iter().enumerate() {
            let two = values[(i + 3) % values.len()];
            let text = profile(r#""SCMP_ACT_ERRNO""#, &[&format!(r#"{{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{{"index": 3, "value": {v}, "valueTwo": {two}, "op": "{op}"}}]}}"#)]);
            let p = program(&text);
            for x in around(v).into_iter().chain(around(two)) {
                let want = if holds(op, x, v, two) { RET_ALLOW } else { errno(libc::EPERM) };
                assert_eq!(verdict(&p, call(S::read, &[0, 0, 0, x])), want, "{op} {v:#x} {two:#x} on {x:#x}");
            }
        }
    }
}

#[test]
fn masked_eq_takes_value_as_the_mask() {
    // docker's clone rule: no CLONE_NEW* flag (0x7E020000) without CAP_SYS_ADMIN.
    let clone = r#"{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}"#;
    let p = program(&profile(r#""SCMP_ACT_ERRNO""#, &[clone]));
    let thread = (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_SIGHAND | libc::CLONE_THREAD) as u64;
    for flags in [thread, libc::SIGCHLD as u64, 1 << 40] {
        assert_eq!(verdict(&p, call(S::clone, &[flags])), RET_ALLOW, "{flags:#x}");
    }
    for flags in [libc::CLONE_NEWUSER, libc::CLONE_NEWNS, libc::CLONE_NEWNET | libc::SIGCHLD, libc::CLONE_NEWCGROUP] {
        assert_eq!(verdict(&p, call(S::clone, &[flags as u64])), errno(libc::EPERM), "{flags:#x}");
    }
    // A mask of 0 in one half compares nothing there; a datum outside the mask is masked.
    let p = program(&profile(r#""SCMP_ACT_KILL""#, &[r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 255, "valueTwo": 4097, "op": "SCMP_CMP_MASKED_EQ"}]}"#]));
    assert_eq!(verdict(&p, call(S::read, &[0, 1])), RET_ALLOW);
    assert_eq!(verdict(&p, call(S::read, &[0, 0xffff_0001])), RET_ALLOW);
    assert_eq!(verdict(&p, call(S::read, &[0, 0x1001])), RET_ALLOW);
    assert_eq!(verdict(&p, call(S::read, &[0, 2])), SECCOMP_RET_KILL_THREAD);
}

#[test]
fn the_first_rule_with_args_that_matches_decides() {
    let five = r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]}"#;
    let any = r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 3, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_GE"}]}"#;
    let p = program(&profile(r#""SCMP_ACT_ALLOW""#, &[five, any]));
    assert_eq!(verdict(&p, call(S::read, &[5])), errno(2));
    assert_eq!(verdict(&p, call(S::read, &[6])), errno(3));
    let p = program(&profile(r#""SCMP_ACT_ALLOW""#, &[any, five]));
    assert_eq!(verdict(&p, call(S::read, &[5])), errno(3));
    assert_eq!(verdict(&p, call(S::write, &[5])), RET_ALLOW);
}

#[test]
fn a_rule_without_args_wins_and_the_first_of_them() {
    let checked = r#"{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}"#;
    let refused = r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5}"#;
    let killed = r#"{"names": ["read"], "action": "SCMP_ACT_KILL_PROCESS"}"#;
    for rules in [[checked, refused, killed], [refused, checked, killed], [refused, killed, checked]] {
        let p = program(&profile(r#""SCMP_ACT_ERRNO""#, &rules));
        assert_eq!(verdict(&p, call(S::read, &[1])), errno(5), "{rules:?}");
        assert_eq!(verdict(&p, call(S::read, &[0])), errno(5), "{rules:?}");
        assert_eq!(verdict(&p, call(S::write, &[1])), RET_ALLOW, "{rules:?}");
        assert_eq!(verdict(&p, call(S::write, &[0])), errno(libc::EPERM), "{rules:?}");
    }
}

#[test]
fn rules_with_the_default_action_are_skipped() {
    // Otherwise the first would decide read(1), or (without args) all of read.
    let same = r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}"#;
    let same_all = r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}"#;
    let allow = r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LE"}]}"#;
    let p = program(&profile(r#""SCMP_ACT_ERRNO""#, &[same, same_all, allow]));
    assert_eq!(verdict(&p, call(S::read, &[1])), RET_ALLOW);
    assert_eq!(verdict(&p, call(S::read, &[6])), errno(libc::EPERM));
    // Another errno is another action.
    let p = program(&profile(r#""SCMP_ACT_ERRNO", "defaultErrnoRet": 38"#, &[same, allow]));
    assert_eq!(verdict(&p, call(S::read, &[1])), errno(libc::EPERM));
}

#[test]
fn many_rules_for_one_syscall_keep_their_order() {
    // Rules 2j and 2j+1 both match read(j): the first, 2j, decides.
    let rules: Vec<String> = (0..40).map(|k| format!(r#"{{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": {}, "args": [{{"index": 0, "value": {}, "op": "SCMP_CMP_EQ"}}]}}"#, k + 1, k / 2)).collect();
    let text = profile(r#""SCMP_ACT_ALLOW""#, &rules.iter().map(String::as_str).collect::<Vec<_>>());
    let p = program(&text);
    for j in 0..20 {
        assert_eq!(verdict(&p, call(S::read, &[j])), errno(2 * j as i32 + 1), "{j}");
    }
    assert_eq!(verdict(&p, call(S::read, &[20])), RET_ALLOW);
    agrees(Value::parse(text.as_bytes(), "").unwrap(), &(0..22).map(|j| [j, 0, 0, 0, 0, 0]).collect::<Vec<_>>());
}

#[test]
fn args_of_a_rule_all_match_unless_an_index_repeats() {
    let both = r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 3, "op": "SCMP_CMP_EQ"}]}"#;
    let p = program(&profile(r#""SCMP_ACT_KILL""#, &[both]));
    assert_eq!(verdict(&p, call(S::read, &[1, 0, 3])), RET_ALLOW);
    assert_eq!(verdict(&p, call(S::read, &[1, 0, 4])), SECCOMP_RET_KILL_THREAD);
    assert_eq!(verdict(&p, call(S::read, &[0, 0, 3])), SECCOMP_RET_KILL_THREAD);
    // runc adds each as a rule of its own when an index repeats.
    let either = r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}"#;
    let p = program(&profile(r#""SCMP_ACT_KILL""#, &[either]));
    for args in [[1, 0], [7, 0], [0, 2]] {
        assert_eq!(verdict(&p, call(S::read, &args)), RET_ALLOW, "{args:?}");
    }
    assert_eq!(verdict(&p, call(S::read, &[2, 1])), SECCOMP_RET_KILL_THREAD);
}

#[test]
fn actions_and_their_errno() {
    let cases: [(&str, u32); 10] = [
        (r#""SCMP_ACT_KILL""#, SECCOMP_RET_KILL_THREAD),
        (r#""SCMP_ACT_KILL_THREAD""#, SECCOMP_RET_KILL_THREAD),
        (r#""SCMP_ACT_KILL_PROCESS""#, SECCOMP_RET_KILL_PROCESS),
        (r#""SCMP_ACT_TRAP""#, SECCOMP_RET_TRAP),
        (r#""SCMP_ACT_ERRNO""#, errno(libc::EPERM)),
        (r#""SCMP_ACT_ERRNO", "errnoRet": 13"#, errno(libc::EACCES)),
        (r#""SCMP_ACT_TRACE""#, SECCOMP_RET_TRACE | 1),
        (r#""SCMP_ACT_TRACE", "errnoRet": 700"#, SECCOMP_RET_TRACE | 700),
        (r#""SCMP_ACT_LOG""#, SECCOMP_RET_LOG),
        (r#""SCMP_ACT_ALLOW""#, RET_ALLOW),
    ];
    for (act, want) in cases {
        let rule = format!(r#"{{"names": ["getpid"], "action": {act}}}"#);
        let p = program(&profile(r#""SCMP_ACT_ERRNO", "defaultErrnoRet": 8"#, &[&rule]));
        assert_eq!(verdict(&p, call(S::getpid, &[])), want, "{act}");
        assert_eq!(verdict(&p, call(S::read, &[])), errno(libc::ENOEXEC), "{act}");
        // As the default action, below the highest named number (getpid's).
        let p = program(&profile(&act.replace("errnoRet", "defaultErrnoRet"), &[r#"{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}"#]));
        assert_eq!(verdict(&p, call(S::read, &[])), want, "default {act}");
        assert_eq!(verdict(&p, call(S::getpid, &[])), errno(0), "default {act}");
    }
}

#[test]
fn numbers_above_the_profile_get_enosys_unless_the_default_allows() {
    let write = r#"{"names": ["write"], "action": "SCMP_ACT_ALLOW"}"#;
    for (default, above) in [
        (r#""SCMP_ACT_ERRNO""#, errno(libc::ENOSYS)),
        (r#""SCMP_ACT_KILL_PROCESS""#, errno(libc::ENOSYS)),
        (r#""SCMP_ACT_TRAP""#, errno(libc::ENOSYS)),
        (r#""SCMP_ACT_LOG""#, SECCOMP_RET_LOG),
        (r#""SCMP_ACT_TRACE", "defaultErrnoRet": 3"#, SECCOMP_RET_TRACE | 3),
    ] {
        let p = program(&profile(default, &[&write.replace("ALLOW", "KILL")]));
        let below = verdict(&p, call(S::read, &[]));
        assert_eq!(verdict(&p, call(S::write, &[])), SECCOMP_RET_KILL_THREAD);
        for nr in [S::open, S::file_setattr] {
            assert_eq!(verdict(&p, call(nr, &[])), above, "{default} {nr}");
        }
        assert_eq!(verdict(&p, Call { nr: u32::MAX, ..call(S::read, &[]) }), above);
        assert_ne!(below, errno(libc::ENOSYS), "{default}");
    }
    // No name this CPU has: no stub either (runc finds no highest number).
    let p = program(&profile(r#""SCMP_ACT_ERRNO""#, &[r#"{"names": ["chown32", "no_such_call"], "action": "SCMP_ACT_ALLOW"}"#]));
    for nr in [S::read, S::chown, S::file_setattr] {
        assert_eq!(verdict(&p, call(nr, &[])), errno(libc::EPERM), "{nr}");
    }
}

#[test]
fn names_this_cpu_lacks_are_skipped() {
    let p = program(&profile(r#""SCMP_ACT_ERRNO""#, &[r#"{"names": ["_llseek", "read", "chown32", "socketcall", ""], "action": "SCMP_ACT_ALLOW"}"#]));
    assert_eq!(verdict(&p, call(S::read, &[])), RET_ALLOW);
    assert_eq!(verdict(&p, call(S::write, &[])), errno(libc::ENOSYS));
    assert_eq!(number(b"read"), Some(0));
    assert_eq!(number(b""), None);
    assert_eq!(number(b"chown32"), None);
    for s in S::iter() {
        assert_eq!(number(s.name().as_bytes()), Some(s as usize), "{s}");
    }
}

/// HASHES stands for names: no name of another CPU's table (those a profile lists for other
/// architectures, as podman's does) may be taken for one of this CPU's.
#[test]
fn names_of_other_cpus_are_not_taken_for_ours() {
    let mut names: Vec<&str> = Vec::new();
    names.extend(syscalls::x86::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::x86_64::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::arm::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::aarch64::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::mips::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::mips64::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::powerpc::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::powerpc64::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::s390x::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::riscv32::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::riscv64::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::loongarch64::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::sparc::Sysno::iter().map(|s| s.name()));
    names.extend(syscalls::sparc64::Sysno::iter().map(|s| s.name()));
    // libseccomp's pseudo-syscalls and names only it has.
    names.extend(["socketcall", "ipc", "_llseek", "_newselect", "sysmips", "breakpoint", "cacheflush", "set_tls", "usr26", "usr32", "arm_fadvise64_64", "arm_sync_file_range"]);
    names.sort();
    names.dedup();
    std::println!("{} names", names.len());
    for n in names {
        assert_eq!(number(n.as_bytes()), S::from_str(n).ok().map(|s| s as usize), "{n}");
    }
}

#[test]
fn flags_for_seccomp() {
    let f = |flags: &str| compile_text(format!(r#"{{"defaultAction": "SCMP_ACT_ALLOW", "flags": [{flags}]}}"#).as_bytes()).map(|(_, f)| f.flags);
    assert_eq!(f(""), Ok(0));
    assert_eq!(f(r#""SECCOMP_FILTER_FLAG_TSYNC""#), Ok(0));
    assert_eq!(f(r#""SECCOMP_FILTER_FLAG_LOG""#), Ok(libc::SECCOMP_FILTER_FLAG_LOG as u32));
    assert_eq!(f(r#""SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW""#), Ok((libc::SECCOMP_FILTER_FLAG_LOG | libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW) as u32));
    assert_eq!(f(r#""SECCOMP_FILTER_FLAG_NEW_LISTENER""#), Err("unsupported linux.seccomp.flags: SECCOMP_FILTER_FLAG_NEW_LISTENER".into()));
}

#[test]
fn what_runix_cannot_honour_is_an_error_naming_the_field() {
    let rule = |r: &str| profile(r#""SCMP_ACT_ALLOW""#, &[r]);
    let cases = [
        (r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#.into(), "unsupported linux.seccomp action: SCMP_ACT_NOTIFY"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}"#), "unsupported linux.seccomp action: SCMP_ACT_NOTIFY"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}"#.into(), "unsupported linux.seccomp.listenerPath: /run/agent.sock"),
        ("{}".into(), "invalid linux.seccomp.defaultAction"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOWED"}"#.into(), "invalid linux.seccomp.defaultAction: SCMP_ACT_ALLOWED"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}"#.into(), "invalid linux.seccomp errnoRet for: SCMP_ACT_ALLOW"),
        (rule(r#"{"names": ["read"], "action": "ALLOW"}"#), "invalid linux.seccomp.syscalls[].action: ALLOW"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536}"#), "invalid linux.seccomp errnoRet for: SCMP_ACT_ERRNO"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": -1}"#), "invalid linux.seccomp errnoRet for: SCMP_ACT_ERRNO"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 1}"#), "invalid linux.seccomp errnoRet for: SCMP_ACT_KILL"),
        (rule(r#"{"action": "SCMP_ACT_KILL"}"#), "invalid linux.seccomp.syscalls[]: names"),
        (rule(r#"{"names": "read", "action": "SCMP_ACT_KILL"}"#), "invalid linux.seccomp.syscalls[]: names"),
        (rule(r#"{"names": [1], "action": "SCMP_ACT_KILL"}"#), "invalid linux.seccomp.syscalls[]: names"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}"#.into(), "invalid linux.seccomp.syscalls[]: syscalls"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}"#), "invalid linux.seccomp.syscalls[].args[]: index"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}"#), "invalid linux.seccomp.syscalls[].args[]: index"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}"#), "invalid linux.seccomp.syscalls[].args[]: value"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}"#), "invalid linux.seccomp.syscalls[].args[]: value"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "valueTwo": "2", "op": "SCMP_CMP_EQ"}]}"#), "invalid linux.seccomp.syscalls[].args[]: valueTwo"),
        (rule(r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQUAL"}]}"#), "invalid linux.seccomp.syscalls[].args[]: SCMP_CMP_EQUAL"),
        (rule(r#"{"names": ["no_such_call"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1}]}"#), "invalid linux.seccomp.syscalls[].args[]: op"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}"#.into(), "invalid linux.seccomp.architectures: x86_64"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": "SECCOMP_FILTER_FLAG_LOG"}"#.into(), "invalid linux.seccomp.flags: flags"),
    ];
    for (text, want) in cases {
        assert_eq!(compile_text(text.as_bytes()).err().as_deref(), Some(want), "{text}");
    }
    // Accepted: what podman and runc accept.
    for text in [
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "", "architectures": ["SCMP_ARCH_AARCH64"], "syscalls": null, "unknown": 1}"#,
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": null, "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW", "args": null}]}"#,
    ] {
        assert!(compile_text(text.as_bytes()).is_ok(), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Long programs

/// A small pseudo-random generator, the same numbers on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Every number with a verdict of its own, 60 with long lists of args: far jumps need `ja`
/// and copies of `ret` (255 instructions is a jump's reach), as the model checks.
#[test]
fn long_programs_reach_far_targets() {
    let mut rng = Lcg(7);
    let mut rules = Vec::new();
    let mut checked = 0;
    for s in (0..N).filter_map(S::new) {
        let act = match rng.next(6) {
            0 => r#""SCMP_ACT_ALLOW""#.into(),
            1 => r#""SCMP_ACT_KILL_PROCESS""#.into(),
            n => format!(r#""SCMP_ACT_ERRNO", "errnoRet": {}"#, n + rng.next(3)),
        };
        let args = match rng.next(6) {
            0 if checked < 60 => {
                checked += 1;
                // Up to 6 args all to match, or (an index twice) any one.
                let a: Vec<String> = (0..1 + rng.next(12)).map(|_| format!(r#"{{"index": {}, "value": {}, "valueTwo": 3, "op": "{}"}}"#, rng.next(6), rng.next(5) << (32 * rng.next(2)), OPS_ALL[rng.next(7) as usize])).collect();
                format!(r#", "args": [{}]"#, a.join(","))
            }
            _ => String::new(),
        };
        rules.push(format!(r#"{{"names": ["{}"], "action": {act}{args}}}"#, s.name()));
    }
    let text = profile(r#""SCMP_ACT_ERRNO", "defaultErrnoRet": 38"#, &rules.iter().map(String::as_str).collect::<Vec<_>>());
    let p = program(&text);
    std::println!("{} rules, {checked} with args: {} instructions", rules.len(), p.len());
    assert!(p.len() > 1000);
    assert!(p.iter().any(|i| i.code as u32 == JA), "no ja in a program of {}", p.len());
    let samples: Vec<[u64; 6]> = (0..40).map(|_| core::array::from_fn(|_| rng.next(6) << (32 * rng.next(2)) | rng.next(2))).collect();
    agrees(Value::parse(text.as_bytes(), "").unwrap(), &samples);
}

#[test]
fn a_program_over_the_kernels_limit_is_an_error() {
    // Any of 1100 values (an index that repeats): 4 instructions each.
    let eq: Vec<String> = (0..1100).map(|v| format!(r#"{{"index": 0, "value": {v}, "op": "SCMP_CMP_EQ"}}"#)).collect();
    let rule = format!(r#"{{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{}]}}"#, eq.join(","));
    let text = profile(r#""SCMP_ACT_ERRNO""#, &[&rule]);
    assert_eq!(compile_text(text.as_bytes()).err().as_deref(), Some("linux.seccomp filter too long"));
    let text = profile(r#""SCMP_ACT_ERRNO""#, &[&rule.replace(&format!(",{}", eq[1000..].join(",")), "")]);
    assert!((4000..=4096).contains(&program(&text).len()));
    // Rules with args kept for the second pass: room for 64.
    let one = r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}"#;
    assert!(compile_text(profile(r#""SCMP_ACT_ERRNO""#, &vec![one; 64]).as_bytes()).is_ok());
    let e = compile_text(profile(r#""SCMP_ACT_ERRNO""#, &vec![one; 65]).as_bytes()).err();
    assert_eq!(e.as_deref(), Some("unsupported linux.seccomp: more than 64 rules with args"));
    // And one that does not fit the caller's buffer.
    let v = podman_profile();
    let n = podman().len();
    let mut out = vec![sock_filter { code: 0, jt: 0, jf: 0, k: 0 }; n];
    assert_eq!(compile(v, &mut out).ok().map(|f| f.len), Some(n));
    assert_eq!(compile(v, &mut out[..n - 1]).err().map(|e| show(&e)).as_deref(), Some("linux.seccomp filter too long"));
}

/// Jumps to targets at and around 255 instructions away, placed ones and rets, the far one on
/// either branch: every one lands where it should.
#[test]
fn jumps_reach_exactly_as_far_as_they_may() {
    const NOP: sock_filter = sock_filter { code: 0, jt: 0, jf: 0, k: 0 };
    let (a, b) = (errno(1), errno(2));
    for far in 248..262 {
        for near in [0, 1, far - 3, far - 1, far] {
            for (rets, swap) in [(false, false), (false, true), (true, false), (true, true)] {
                let mut out = vec![NOP; 1024];
                let mut p = Prog { pos: out.len(), out: &mut out, full: false, near: [(To::Ret(NONE), 0); 8], next: 0 };
                let ret = |p: &mut Prog<'_>, v| if rets { p.reach(To::Ret(v)); To::Ret(v) } else { To::At(p.put(RET, v, 0, 0)) };
                let t = ret(&mut p, a);
                (0..far - near).for_each(|_| _ = p.put(RET, 0xdead, 0, 0));
                let f = ret(&mut p, b);
                (0..near).for_each(|_| _ = p.put(RET, 0xbeef, 0, 0));
                // The far target on either branch.
                if swap { p.jump(JEQ, 6, f, t) } else { p.jump(JEQ, 5, t, f) };
                p.put(LD_ABS, NR, 0, 0);
                let start = p.pos;
                assert!(!p.full);
                let prog = &out[start..];
                check(prog);
                let c = |nr| Call { nr, ..call(S::read, &[]) };
                assert_eq!((run(prog, &c(5)).ret, run(prog, &c(6)).ret), (a, b), "{far} {near} {rets} {swap}");
            }
        }
    }
}
