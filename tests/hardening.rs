//! The hardening, checked from inside the container against exact values: capability sets,
//! no_new_privs and the seccomp mode in /proc/self/status; what the default filter refuses and
//! with which errno; leaked fds; resource limits; a raw --seccomp program; the chroot escape;
//! the device rules; i386 and x32 calls. What busybox cannot show, a small static probe
//! (tests/probe.c, built here with `gcc -static`) tries and prints, one `name: result` a line.

mod common;
use common::*;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const DEFAULT_CAPS: u64 = 0xa80425fb;
/// Every capability runix knows (CAP_LAST_CAP 40).
const ALL_CAPS: u64 = (1 << 41) - 1;
const CAP_SYS_RESOURCE: u32 = 24;
const CAP_SYS_ADMIN: u64 = 1 << 21;
const CAP_NET_RAW: u64 = 1 << 13;

/// The probe, built once per run; None (and the test skipped) without a C compiler, a
/// failure under CI=true.
fn probe() -> Option<&'static Path> {
    static PROBE: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let out = dir.join("target/probe");
            let tmp = dir.join(format!("target/probe.{}", std::process::id()));
            let built = Command::new("gcc").args(["-static", "-O2", "-Wall", "-o"]).arg(&tmp).arg(dir.join("tests/probe.c")).status();
            match built {
                Ok(s) if s.success() => {
                    fs::rename(&tmp, &out).unwrap();
                    Some(out)
                }
                r => {
                    skip(&format!("gcc -static cannot build tests/probe.c ({r:?}); install gcc and libc6-dev"));
                    None
                }
            }
        })
        .as_deref()
}

/// A busybox root with the probe at /probe; None when there is no root or no probe.
fn probe_root() -> Option<Root> {
    if !need_root() {
        return None;
    }
    let p = probe()?;
    let r = Root::busybox();
    fs::copy(p, r.path.join("probe")).unwrap();
    Some(r)
}

/// `runix run -r ROOT OPTS... CMD...`, stdin empty (a pipe).
fn run_opts(r: &Root, opts: &[&str], cmd: &[&str]) -> Out {
    let mut args = vec!["run", "-r", r.s()];
    args.extend(opts);
    args.extend(cmd);
    run(&args)
}

fn ok_opts(r: &Root, opts: &[&str], cmd: &[&str]) -> String {
    let o = run_opts(r, opts, cmd);
    assert_eq!(o.code, 0, "{opts:?} {cmd:?}: {}", o.stderr);
    o.stdout
}

/// The privilege lines of /proc/self/status inside, in one line:
/// `bnd=… prm=… eff=… inh=… amb=… nnp=1 seccomp=2`.
fn privileges(r: &Root, opts: &[&str]) -> String {
    let out = ok_opts(r, opts, &["cat", "/proc/self/status"]);
    let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)?.strip_prefix(":\t")).unwrap_or_else(|| panic!("no {k}: {out}")).to_string();
    format!(
        "bnd={} prm={} eff={} inh={} amb={} nnp={} seccomp={}",
        field("CapBnd"),
        field("CapPrm"),
        field("CapEff"),
        field("CapInh"),
        field("CapAmb"),
        field("NoNewPrivs"),
        field("Seccomp")
    )
}

fn want(bnd: u64, held: u64, seccomp: u32) -> String {
    format!("bnd={bnd:016x} prm={held:016x} eff={held:016x} inh={:016x} amb={:016x} nnp=1 seccomp={seccomp}", 0, 0)
}

/// A capability set of this test process, from /proc/self/status.
fn own_caps(set: &str) -> u64 {
    let s = fs::read_to_string("/proc/self/status").unwrap();
    let v = s.lines().find_map(|l| l.strip_prefix(set)?.strip_prefix(":\t")).unwrap();
    u64::from_str_radix(v, 16).unwrap()
}

/// The probe's `name: result` lines as pairs.
fn results(out: &str) -> Vec<(String, String)> {
    out.lines().map(|l| l.split_once(": ").map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or_else(|| panic!("{l}"))).collect()
}

fn result<'a>(all: &'a [(String, String)], name: &str) -> &'a str {
    &all.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name} in {all:?}")).1
}

#[test]
fn capabilities_and_seccomp_mode_by_option() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let d = DEFAULT_CAPS;
    assert_eq!(privileges(&r, &[]), want(d, d, 2));
    assert_eq!(privileges(&r, &["-u", "1000"]), want(d, 0, 2));
    assert_eq!(privileges(&r, &["-u", "1000:1000", "--cap-add", "SYS_ADMIN"]), want(d | CAP_SYS_ADMIN, 0, 2));
    for name in ["SYS_ADMIN", "CAP_SYS_ADMIN", "cap_sys_admin", "Sys_Admin"] {
        assert_eq!(privileges(&r, &["--cap-add", name]), want(d | CAP_SYS_ADMIN, d | CAP_SYS_ADMIN, 2), "{name}");
    }
    assert_eq!(privileges(&r, &["--cap-drop", "chown"]), want(d & !1, d & !1, 2));
    assert_eq!(privileges(&r, &["--cap-drop", "ALL"]), want(0, 0, 2));
    assert_eq!(privileges(&r, &["--cap-drop", "all", "--cap-add", "NET_RAW"]), want(CAP_NET_RAW, CAP_NET_RAW, 2));
    // Every capability this process has (runix gets them as root): on a plain host all the
    // kernel has.
    let mine = own_caps("CapBnd") & ALL_CAPS;
    assert_eq!(privileges(&r, &["--privileged"]), want(mine, mine, 0));
    assert_eq!(privileges(&r, &["--seccomp", "unconfined"]), want(d, d, 0));
    for (opt, name) in [("--cap-add", "FLY"), ("--cap-drop", "CAP_NOTHING"), ("--cap-add", "CAP_ALL")] {
        let o = run_opts(&r, &[opt, name], &["true"]);
        assert_eq!((o.code, o.stderr.as_str(), o.stdout.as_str()), (125, format!("runix: unknown capability: {name}\n").as_str(), ""));
    }
}

/// Inside another container (or under a bounding set without some capability) runix cannot
/// hand out what it does not hold: --privileged is what it holds, not a capset(2) error.
#[test]
fn privileged_gets_the_capabilities_runix_holds() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mut cmd = Command::new(runix());
    cmd.args(["run", "-r", r.s(), "--privileged", "grep", "-E", "^Cap(Bnd|Prm|Eff)", "/proc/self/status"]);
    // SAFETY: prctl(2) is async-signal-safe; this runs in the forked child before execve.
    unsafe {
        cmd.pre_exec(|| match libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_RESOURCE as libc::c_ulong, 0, 0, 0) {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        });
    }
    let o = run_cmd(&mut cmd, "", 20);
    let held = own_caps("CapBnd") & ALL_CAPS & !(1 << CAP_SYS_RESOURCE);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    assert_eq!(o.stdout, format!("CapPrm:\t{held:016x}\nCapEff:\t{held:016x}\nCapBnd:\t{held:016x}\n"));
}

#[test]
fn the_default_filter_refuses_with_exact_errnos() {
    let Some(r) = probe_root() else { return };
    let sysrq = if Path::new("/proc/sysrq-trigger").exists() { "EROFS" } else { "ENOENT" };
    let default = ok_opts(&r, &[], &["/probe", "denied"]);
    let want_default = [
        ("mount", "EPERM"),
        ("umount2", "EPERM"),
        ("unshare", "EPERM"),
        ("clone_newuts", "EPERM"),
        ("clone_newuser", "EPERM"),
        ("clone_plain", "ok"),
        ("clone3", "ENOSYS"),
        ("keyctl", "EPERM"),
        ("add_key", "EPERM"),
        ("request_key", "EPERM"),
        ("kexec_load", "EPERM"),
        ("open_by_handle_at", "EPERM"),
        ("reboot", "EPERM"),
        ("ptrace_attach", "EPERM"),
        ("personality", "EPERM"),
        ("socket_af_alg", "EPERM"),
        ("tiocsti", "EPERM"),
        ("sysrq_trigger", sysrq),
        ("swapoff", "EPERM"),
        ("pivot_root", "EPERM"),
        ("nr_1000", "ENOSYS"),
        ("getpid", "ok"),
        ("mkdir", "ok"),
        ("rmdir", "ok"),
    ];
    let want_default: Vec<(String, String)> = want_default.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(results(&default), want_default);

    // The same calls without the filter: the kernel's own answer differs, so the EPERMs above
    // are the filter's (the probe's arguments make each fail harmlessly, or do nothing).
    let unconfined = results(&ok_opts(&r, &["--seccomp", "unconfined"], &["/probe", "denied"]));
    for (name, kernel) in [("mount", "ENOENT"), ("umount2", "ENOENT"), ("unshare", "ok"), ("clone3", "ok"), ("keyctl", "EOPNOTSUPP"), ("add_key", "EFAULT"), ("request_key", "EFAULT"), ("ptrace_attach", "ok"), ("personality", "ok"), ("tiocsti", "ENOTTY")] {
        assert_eq!(result(&unconfined, name), kernel, "{name} without the filter");
    }
    // Kernel-dependent answers (EINVAL or EBADF; EAFNOSUPPORT without the module), never EPERM.
    for name in ["open_by_handle_at", "socket_af_alg"] {
        assert_ne!(result(&unconfined, name), "EPERM", "{name} without the filter");
    }
    // The capability checks of the kernel stay, filter or not.
    for name in ["clone_newuts", "reboot", "swapoff", "pivot_root"] {
        assert_eq!(result(&unconfined, name), "EPERM", "{name} without the filter");
    }

    // Capability-gated rules follow the effective set; the never-allowed stay refused.
    let admin = results(&ok_opts(&r, &["--cap-add", "SYS_ADMIN"], &["/probe", "denied"]));
    for (name, got) in [("mount", "ENOENT"), ("umount2", "ENOENT"), ("unshare", "ok"), ("clone_newuts", "ok"), ("clone_newuser", "ok"), ("clone3", "ok")] {
        assert_eq!(result(&admin, name), got, "{name} with CAP_SYS_ADMIN");
    }
    for name in ["keyctl", "add_key", "request_key", "kexec_load", "pivot_root", "swapoff", "socket_af_alg", "tiocsti", "personality", "ptrace_attach"] {
        assert_eq!(result(&admin, name), "EPERM", "{name} with CAP_SYS_ADMIN");
    }
    let more = results(&ok_opts(&r, &["--cap-add", "SYS_BOOT", "--cap-add", "SYS_PTRACE", "--cap-add", "DAC_READ_SEARCH"], &["/probe", "denied"]));
    assert_eq!(result(&more, "reboot"), "EINVAL", "the kernel's answer to a wrong magic");
    assert_eq!(result(&more, "ptrace_attach"), "ok");
    assert_ne!(result(&more, "open_by_handle_at"), "EPERM");
    assert_eq!(result(&more, "kexec_load"), "EPERM", "never allowed, even with CAP_SYS_BOOT");
    assert_eq!(result(&more, "mount"), "EPERM");
    // A non-root user's filter is compiled for its empty effective set.
    let user = results(&ok_opts(&r, &["-u", "1000", "--cap-add", "SYS_ADMIN"], &["/probe", "denied"]));
    assert_eq!((result(&user, "unshare"), result(&user, "clone3")), ("EPERM", "ENOSYS"));
}

#[test]
fn busybox_applets_are_refused_and_ordinary_programs_work() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run_opts(&r, &[], &["sh", "-c", "unshare -m true; echo $?; unshare -U true; echo $?; unshare -n true; echo $?; mount -t tmpfs none /tmp; echo $?"]);
    assert_eq!(o.stdout, "1\n1\n1\n1\n");
    assert_eq!(
        o.stderr,
        "unshare: unshare(0x20000): Operation not permitted\nunshare: unshare(0x10000000): Operation not permitted\n\
         unshare: unshare(0x40000000): Operation not permitted\nmount: permission denied (are you root?)\n"
    );
    // Ordinary work: a pipeline, sorting, files, a subshell, a background job and a signal.
    let out = ok_opts(&r, &[], &["sh", "-c", "echo hello world | tr a-z A-Z | wc -c; seq 1 100 | sort -rn | head -n 1; echo x > /tmp/f && cat /tmp/f && rm /tmp/f; (exit 3); echo $?; sleep 5 & kill $!; wait $!; echo $?"]);
    assert_eq!(out, "12\n100\nx\n3\n143\n");
    // The same as a non-root user.
    let out = ok_opts(&r, &["-u", "1000"], &["sh", "-c", "echo a b c | wc -w; id -u"]);
    assert_eq!(out, "3\n1000\n");
}

#[test]
fn debian_programs_work_under_the_filter() {
    let Some(deb) = debian() else { return };
    let o = run(&["run", "-r", deb.to_str().unwrap(), "--read-only", "sh", "-c", "apt-get --version | head -n 1; grep ^Seccomp: /proc/self/status"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines[0].starts_with("apt ") && lines[0].ends_with(" (amd64)"), "{}", o.stdout);
    assert_eq!(lines[1], "Seccomp:\t2");
}

#[test]
fn i386_and_x32_calls_kill_the_process() {
    let Some(r) = probe_root() else { return };
    // int 0x80 from 64-bit code enters the kernel's i386 entry, as a 32-bit program's calls do
    // (seccomp sees AUDIT_ARCH_I386): no 32-bit toolchain is needed.
    let o = run_opts(&r, &["--seccomp", "unconfined"], &["/probe", "int80"]);
    if o.code == 128 + libc::SIGSEGV {
        skip("the kernel has no i386 emulation (CONFIG_IA32_EMULATION)");
    } else {
        assert_eq!((o.code, o.stdout.as_str()), (0, "int80: 1\n"), "i386 getpid, pid 1");
        let o = run_opts(&r, &[], &["/probe", "int80"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (128 + libc::SIGSYS, "", ""));
    }
    let o = run_opts(&r, &[], &["/probe", "x32"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (128 + libc::SIGSYS, "", ""));
}

/// Run with fds 7 and 9 open on `path` (not close-on-exec) in runix.
fn with_fds<'a>(cmd: &'a mut Command, path: &Path) -> &'a mut Command {
    let fd = std::os::fd::IntoRawFd::into_raw_fd(fs::File::open(path).unwrap());
    // SAFETY: dup2(2) is async-signal-safe; this runs in the forked child before execve. The
    // parent's copy of `fd` stays open for the rest of the test process (a few bytes).
    unsafe {
        cmd.pre_exec(move || {
            for to in [7, 9] {
                if libc::dup2(fd, to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd
}

#[test]
fn the_callers_fds_do_not_reach_the_container() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // The setup works: a command started the same way sees 7 and 9.
    let o = run_cmd(with_fds(&mut Command::new("ls"), Path::new("/dev/null")).arg("/proc/self/fd"), "", 20);
    let fds: Vec<&str> = o.stdout.lines().collect();
    assert!(fds.contains(&"7") && fds.contains(&"9"), "{}", o.stdout);
    for opts in [&[][..], &["--init"], &["--privileged"], &["-u", "1000"]] {
        let mut cmd = Command::new(runix());
        cmd.args(["run", "-r", r.s()]).args(opts).args(["ls", "/proc/self/fd"]);
        let o = run_cmd(with_fds(&mut cmd, Path::new("/dev/null")), "", 20);
        // 3 is ls's own, of /proc/self/fd.
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "0\n1\n2\n3\n", ""), "{opts:?}");
    }
    // --init's PID 1 never execs: it closes all but its signalfd itself. Seen by a command
    // that may look (CAP_SYS_PTRACE), with a bind whose source runix held open.
    let mut cmd = Command::new(runix());
    cmd.args(["run", "-r", r.s(), "--init", "--cap-add", "SYS_PTRACE", "-b", "/tmp:/tmp", "ls", "-l", "/proc/1/fd"]);
    let o = run_cmd(with_fds(&mut cmd, Path::new("/dev/null")), "", 20);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // "lrwx------ 1 0 0 64 Nov 28 22:38 15 -> anon_inode:[signalfd]": fd and target.
    let above_2: Vec<&str> = o.stdout.lines().skip(1).filter_map(|l| {
        let (left, target) = l.split_once(" -> ")?;
        (left.rsplit(' ').next()?.parse::<u32>().ok()? > 2).then_some(target)
    }).collect();
    assert_eq!(above_2, ["anon_inode:[signalfd]"], "{}", o.stdout);
    // CVE-2024-21626: a host directory's fd as the working directory: every fd of the host's
    // is closed before the chdir, so there is nothing to go to.
    let host_dir = Root::empty();
    for opts in [&[][..], &["--chroot"]] {
        let mut cmd = Command::new(runix());
        cmd.args(["run", "-r", r.s(), "-w", "/proc/self/fd/7"]).args(opts).args(["ls"]);
        let o = run_cmd(with_fds(&mut cmd, &host_dir.path), "", 20);
        let msg = "runix: chdir(/proc/self/fd/7): No such file or directory\n".to_string();
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.clone()), (125, "", msg), "{opts:?}");
    }
}

#[test]
fn ulimits_are_set_and_a_hard_limit_above_runixs_is_refused() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let out = ok_opts(&r, &["--ulimit", "nofile=64:64"], &["sh", "-c", "ulimit -n; ulimit -Hn"]);
    assert_eq!(out, "64\n64\n");
    let out = ok_opts(&r, &["--ulimit", "nofile=64:128", "--ulimit", "core=0", "--ulimit", "nproc=100:200"], &["sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c; ulimit -Hc; ulimit -u; ulimit -Hu"]);
    assert_eq!(out, "64\n128\n0\n0\n100\n200\n");
    // Above fs.nr_open: refused whatever runix holds.
    let nr_open: u64 = fs::read_to_string("/proc/sys/fs/nr_open").unwrap().trim().parse().unwrap();
    let over = format!("nofile=64:{}", nr_open + 1);
    let o = run_opts(&r, &["--ulimit", &over], &["true"]);
    assert_eq!(o.code, 125);
    assert!(o.stderr.starts_with("runix: prlimit64(--ulimit): Operation not permitted") && o.stderr.lines().count() == 1, "{}", o.stderr);
    // Without CAP_SYS_RESOURCE (as here, or dropped from the bounding set for this run),
    // runix's own hard limit is the ceiling: up to it works, above it is one clear line.
    let limited = |limit: &str| {
        let mut cmd = Command::new(runix());
        cmd.args(["run", "-r", r.s(), "--ulimit", limit, "sh", "-c", "ulimit -Hn"]);
        // SAFETY: prctl(2) and setrlimit(2) are async-signal-safe; this runs in the forked
        // child before execve.
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit { rlim_cur: 1024, rlim_max: 4096 };
                if libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_RESOURCE as libc::c_ulong, 0, 0, 0) != 0 || libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        run_cmd(&mut cmd, "", 20)
    };
    let o = limited("nofile=64:4096");
    assert_eq!((o.code, o.stdout.as_str()), (0, "4096\n"), "{}", o.stderr);
    let o = limited("nofile=64:4097");
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (125, "", "runix: prlimit64(--ulimit): Operation not permitted (a hard limit above runix's own needs CAP_SYS_RESOURCE)\n")
    );
    // With CAP_SYS_RESOURCE (a plain root host), runix may raise it.
    let own_hard = {
        let mut l = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit(2) writes into the rlimit it is given.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) }, 0);
        l.rlim_max
    };
    let above = format!("nofile=64:{}", own_hard + 1);
    let o = run_opts(&r, &["--ulimit", &above], &["sh", "-c", "ulimit -Hn"]);
    if own_caps("CapEff") & 1 << CAP_SYS_RESOURCE != 0 {
        assert_eq!((o.code, o.stdout.clone()), (0, format!("{}\n", own_hard + 1)), "{}", o.stderr);
    } else {
        eprintln!("note: no CAP_SYS_RESOURCE here: a hard limit above {own_hard} is refused");
        assert_eq!((o.code, o.stdout.as_str()), (125, ""));
        assert_eq!(o.stderr, "runix: prlimit64(--ulimit): Operation not permitted (a hard limit above runix's own needs CAP_SYS_RESOURCE)\n");
    }
}

/// Classic BPF as bytes: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }.
fn bpf(prog: &[(u16, u8, u8, u32)]) -> Vec<u8> {
    prog.iter().flat_map(|&(code, jt, jf, k)| [&code.to_le_bytes()[..], &[jt, jf], &k.to_le_bytes()].concat()).collect()
}

#[test]
fn a_raw_seccomp_program_from_a_file() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let files = Root::empty();
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const ALLOW: u32 = 0x7fff_0000;
    const KILL_PROCESS: u32 = 0x8000_0000;
    let eperm = 0x0005_0000 | libc::EPERM as u32;
    // x86_64 only; mkdir and mkdirat get EPERM, the rest is allowed.
    let deny_mkdir = bpf(&[
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, 0xc000_003e),
        (RET_K, 0, 0, KILL_PROCESS),
        (LD_W_ABS, 0, 0, 0),
        (JEQ_K, 2, 0, libc::SYS_mkdir as u32),
        (JEQ_K, 1, 0, libc::SYS_mkdirat as u32),
        (RET_K, 0, 0, ALLOW),
        (RET_K, 0, 0, eperm),
    ]);
    let f = files.path.join("deny-mkdir.bpf");
    fs::write(&f, &deny_mkdir).unwrap();
    let f = f.to_str().unwrap();
    let o = run_opts(&r, &["--seccomp", f], &["sh", "-c", "mkdir /tmp/d; echo $?; touch /tmp/f && echo touched; grep ^Seccomp: /proc/self/status"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "1\ntouched\nSeccomp:\t2\n"), "{}", o.stderr);
    assert_eq!(o.stderr, "mkdir: can't create directory '/tmp/d': Operation not permitted\n");
    assert!(!r.path.join("tmp/d").exists());
    // Only this program, not the default one as well: everything else as without a filter.
    if let Some(p) = probe() {
        fs::copy(p, r.path.join("probe")).unwrap();
        let mut unconfined = results(&ok_opts(&r, &["--seccomp", "unconfined"], &["/probe", "denied"]));
        for (name, got) in unconfined.iter_mut() {
            match name.as_str() {
                "mkdir" => *got = "EPERM".into(),
                "rmdir" => *got = "ENOENT".into(),
                _ => {}
            }
        }
        assert_eq!(results(&ok_opts(&r, &["--seccomp", f], &["/probe", "denied"])), unconfined);
    }
    // Malformed files are clear errors.
    for (name, bytes) in [("partial.bpf", deny_mkdir[..12].to_vec()), ("empty.bpf", Vec::new())] {
        let p = files.path.join(name);
        fs::write(&p, bytes).unwrap();
        let o = run_opts(&r, &["--seccomp", p.to_str().unwrap()], &["true"]);
        assert_eq!((o.code, o.stderr.clone()), (125, format!("runix: not a BPF program (a whole number of 8-byte instructions): {}\n", p.display())));
    }
    let p = files.path.join("bad-opcode.bpf");
    fs::write(&p, bpf(&[(0xffff, 0, 0, 0)])).unwrap();
    let o = run_opts(&r, &["--seccomp", p.to_str().unwrap()], &["true"]);
    assert_eq!((o.code, o.stderr.clone()), (125, format!("runix: seccomp({}): Invalid argument\n", p.display())));
    // Longer than BPF_MAXINSNS (4096): refused, not cut to a program the file is not.
    let mut long = vec![(LD_W_ABS, 0, 0, 0); 4095];
    long.extend([(RET_K, 0, 0, ALLOW), (RET_K, 0, 0, eperm)]);
    let p = files.path.join("long.bpf");
    fs::write(&p, bpf(&long)).unwrap();
    let o = run_opts(&r, &["--seccomp", p.to_str().unwrap()], &["true"]);
    assert_eq!((o.code, o.stderr.clone()), (125, format!("runix: read({}): Argument list too long\n", p.display())));
    let o = run_opts(&r, &["--seccomp", "/no/such.bpf"], &["true"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: open(/no/such.bpf): No such file or directory\n"));
}

#[test]
fn the_chroot_escape_does_not_reach_the_host() {
    let Some(r) = probe_root() else { return };
    // A marker in the host directory that holds the root: one ".." above it.
    let marker = PathBuf::from(format!("{}.marker", r.s()));
    fs::write(&marker, "host").unwrap();
    let m = marker.to_str().unwrap();
    // The probe does escape a plain chroot(2): run the same way on the host, it sees the marker.
    let o = run_cmd(Command::new("chroot").arg(&r.path).args(["/probe", "escape", m]), "", 20);
    let found = results(&o.stdout.lines().take(3).collect::<Vec<_>>().join("\n"));
    assert_eq!(result(&found, "marker"), "ok", "{}", o.stdout);
    fs::remove_dir(r.path.join("escape")).unwrap();
    for opts in [&["--chroot"][..], &[], &["--chroot", "--privileged"], &["--privileged"]] {
        let o = run_opts(&r, opts, &["/probe", "escape", m]);
        assert_eq!(o.code, 0, "{opts:?}: {}", o.stderr);
        assert_eq!(o.stdout, "chroot_sub: ok\nchroot_dot: ok\nmarker: ENOENT\ncwd: /\nbin\ndev\nescape\netc\nprobe\nproc\nsys\ntmp\n", "{opts:?}");
        fs::remove_dir(r.path.join("escape")).unwrap();
    }
    fs::remove_file(&marker).unwrap();
}

/// The devices-cgroup line of runix and of its container, read from the host while the
/// container runs.
fn devices_cgroups(r: &Root, opts: &[&str]) -> (String, String) {
    let mut child = Command::new(runix())
        .args(["run", "-r", r.s()])
        .args(opts)
        .args(["sh", "-c", "echo ready; read x; true"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (done, timer) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if timer.recv_timeout(Duration::from_secs(20)).is_err() {
            // SAFETY: kill(2) of our own child, not yet reaped.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n", "{opts:?}");
    let kids = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    let container = kids.split_whitespace().next().unwrap().to_string();
    let devices = |p: &str| fs::read_to_string(format!("/proc/{p}/cgroup")).unwrap().lines().find(|l| l.split(':').nth(1) == Some("devices")).unwrap().to_string();
    let got = (devices(&pid.to_string()), devices(&container));
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    let _ = done.send(());
    watchdog.join().unwrap();
    assert!(status.success(), "{opts:?}: {status}");
    got
}

#[test]
fn host_devices_stay_out_of_reach() {
    let Some(r) = probe_root() else { return };
    // The host's first disk (/proc/partitions), e.g. 254:0 for vda.
    let parts = fs::read_to_string("/proc/partitions").unwrap();
    let disk = parts.lines().skip(2).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() == 4).then(|| (f[0].to_string(), f[1].to_string(), f[3].to_string()))
    });
    let Some((maj, min, name)) = disk else {
        return skip("no disk in /proc/partitions");
    };
    // Default: CAP_MKNOD makes allowed nodes, the devices cgroup refuses the disk (m and r).
    let o = ok_opts(&r, &[], &["/probe", "node", "/tmp/null", "c", "1", "3"]);
    assert_eq!(o, "mknod: ok\nopen: ok\nread: 0\n");
    let o = ok_opts(&r, &[], &["/probe", "node", "/tmp/disk", "b", &maj, &min]);
    assert_eq!(o, "mknod: EPERM\nopen: ENOENT\n");
    // The host's own node, bound in, cannot be opened either. With --privileged (no device
    // rules) it opens as it does for this process on the host (some sandboxes refuse even
    // that), and one sector is read.
    let host_node = Path::new("/dev").join(&name);
    if fs::metadata(&host_node).map(|m| m.rdev() == libc::makedev(maj.parse().unwrap(), min.parse().unwrap())).unwrap_or(false) {
        fs::write(r.path.join("disk"), "").unwrap();
        let bind = format!("{}:/disk", host_node.display());
        let o = ok_opts(&r, &["-b", &bind], &["/probe", "node", "/disk", "b", &maj, &min]);
        assert_eq!(o, "open: EPERM\n");
        let host = match fs::File::open(&host_node) {
            Ok(_) => "open: ok\nread: 512\n".to_string(),
            Err(e) => format!("open: {}\n", errno_name(e.raw_os_error().unwrap())),
        };
        let o = ok_opts(&r, &["--privileged"], &["/probe", "node", "/tmp/disk", "b", &maj, &min]);
        assert_eq!(o, format!("mknod: ok\n{host}"));
    } else {
        skip(&format!("{} is not the disk {maj}:{min}", host_node.display()));
    }
    // Seen from the host: a devices cgroup of its own by default, none with --privileged.
    if cgroup_v1_mount("devices").is_some() {
        let (runix_cg, container_cg) = devices_cgroups(&r, &[]);
        assert!(container_cg.starts_with(&runix_cg.trim_end_matches('/').to_string()) && container_cg.contains("/runix-"), "{runix_cg} {container_cg}");
        let (runix_cg, container_cg) = devices_cgroups(&r, &["--privileged"]);
        assert_eq!(container_cg, runix_cg);
    } else {
        skip("no cgroup v1 devices hierarchy");
    }
}

/// A devices hierarchy runix cannot write to (containers mount cgroupfs read-only) is as good
/// as none: the run goes on without device rules, and without the CAP_MKNOD they would have
/// bounded, and leaves no cgroup behind.
#[test]
fn a_read_only_devices_hierarchy_costs_cap_mknod_not_the_run() {
    let Some(r) = probe_root() else { return };
    let Some(devices) = cgroup_v1_mount("devices") else {
        return skip("no cgroup v1 devices hierarchy");
    };
    // In a mount namespace of its own, where that hierarchy is read-only.
    let script = format!("mount --make-rprivate / && mount -o remount,bind,ro {} && exec \"$@\"", devices.display());
    let mut c = Command::new("unshare");
    // -p: a pids cgroup is still made, and must go.
    c.args(["-m", "sh", "-c", &script, "sh"]).arg(runix()).args(["run", "-r", r.s(), "-p", "5", "/probe", "node", "/tmp/null", "c", "1", "3"]);
    let o = run_cmd(&mut c, "", 20);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "mknod: EPERM\nopen: ENOENT\n", ""));
    let name = format!("runix-{}", o.pid);
    assert!(!runix_cgroups().iter().any(|d| d.file_name().is_some_and(|n| n == name.as_str())), "a cgroup of runix {} left behind", o.pid);
    // The same run with the hierarchy writable keeps CAP_MKNOD.
    assert_eq!(ok_opts(&r, &[], &["/probe", "node", "/tmp/null", "c", "1", "3"]), "mknod: ok\nopen: ok\nread: 0\n");
}

fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::ENOENT => "ENOENT",
        libc::ENXIO => "ENXIO",
        libc::ENOMEDIUM => "ENOMEDIUM",
        libc::EBUSY => "EBUSY",
        _ => panic!("errno {e}"),
    }
}

/// The caller's supplementary groups do not reach the command, with or without -u.
#[test]
fn the_callers_groups_do_not_reach_the_container() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    for opts in [&[][..], &["-u", "1000"], &["--privileged"]] {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--groups", "4,24", "--"]).arg(runix()).args(["run", "-r", r.s()]).args(opts).args(["grep", "^Groups:", "/proc/self/status"]);
        let o = run_cmd(&mut cmd, "", 20);
        assert_eq!((o.code, o.stdout.trim_end(), o.stderr.as_str()), (0, "Groups:", ""), "{opts:?}");
    }
}

