//! podman drives runix as its OCI runtime (through conmon): run, exec, stop, kill, a pty,
//! limits, a read-only root; and what a container sees under runix equals what it sees under
//! runc for the same podman command. The podman is private to these tests (tests/common/podman.rs);
//! RUNIX_PODMAN_RUNTIME=runc runs the tests against runc, to check the tests themselves.

mod common;
use common::podman::*;
use std::time::{Duration, Instant};

/// The runtime under test, or None where podman cannot run (outside CI: not root, no podman).
fn rt() -> Option<String> {
    podman_env().map(|p| p.runtime.clone())
}

/// `podman args` must exit with `code`; its output.
fn ok(rt: &str, args: &[&str], code: i32) -> common::Out {
    let o = podman(rt, args);
    assert_eq!(o.code, code, "podman --runtime {rt} {args:?}: exit {}, stdout:\n{}\nstderr:\n{}", o.code, o.stdout, o.stderr);
    o
}

/// `podman logs NAME` shows `what`, within 20 s (a container that says it is ready).
fn wait_for_log(rt: &str, name: &str, what: &str) {
    let ready = common::proc::within(20, || podman(rt, &["logs", name]).stdout.contains(what));
    assert!(ready, "{name} never printed {what:?}: {}", podman(rt, &["logs", name]).stderr);
}

fn inspect(rt: &str, name: &str, format: &str) -> String {
    ok(rt, &["inspect", "--format", format, name], 0).stdout.trim().to_string()
}

#[test]
fn run_rm_passes_the_output_and_the_exit_status() {
    let Some(rt) = rt() else { return };
    for code in [0, 3] {
        let c = Ctr::new(&rt);
        let o = ok(&rt, &["run", "--rm", "--name", &c.name, IMAGE, "sh", "-c", &format!("echo out; echo err >&2; exit {code}")], code);
        assert_eq!(o.stdout, "out\n");
        assert!(o.stderr.contains("err\n"), "stderr: {}", o.stderr);
        // --rm: the container is gone once podman returns.
        assert_eq!(ok(&rt, &["ps", "-a", "-q", "--filter", &format!("name=^{}$", c.name)], 0).stdout, "");
    }
}

#[test]
fn a_missing_command_is_127_and_a_directory_126() {
    let Some(rt) = rt() else { return };
    let c = Ctr::new(&rt);
    let o = ok(&rt, &["run", "--rm", "--name", &c.name, IMAGE, "no-such-command"], 127);
    assert_eq!(o.stdout, "");
    let c = Ctr::new(&rt);
    ok(&rt, &["run", "--rm", "--name", &c.name, IMAGE, "/etc"], 126);
    assert_eq!(ok(&rt, &["ps", "-a", "-q", "--filter", &format!("name=^{}$", c.name)], 0).stdout, "");
}

#[test]
fn run_d_then_exec_stop_and_rm() {
    let Some(rt) = rt() else { return };
    let c = Ctr::new(&rt);
    let n = c.name.as_str();
    // PID 1 leaves on SIGTERM (`podman stop`'s first signal) with status 0.
    let id = ok(&rt, &["run", "-d", "--name", n, IMAGE, "sh", "-c", "trap 'exit 0' TERM; echo ready; sleep 1000 & wait"], 0).stdout;
    assert_eq!(id.trim().len(), 64, "run -d prints the container's id: {id}");
    wait_for_log(&rt, n, "ready");
    assert_eq!(inspect(&rt, n, "{{.State.Status}}"), "running");
    // exec joins the container: its pid namespace (PID 1 is the shell), its hostname, its env.
    let o = ok(&rt, &["exec", "-e", "X=y", n, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; echo $X; exit 5"], 5);
    let host = inspect(&rt, n, "{{.Config.Hostname}}");
    assert_eq!(o.stdout, format!("sh -c trap 'exit 0' TERM; echo ready; sleep 1000 & wait \n{host}\ny\n"));
    ok(&rt, &["exec", n, "no-such-command"], 127);
    ok(&rt, &["exec", "-w", "/tmp", "-u", "1000:1000", n, "sh", "-c", "pwd; id"], 0);
    let t = Instant::now();
    ok(&rt, &["stop", "-t", "20", n], 0);
    assert!(t.elapsed() < Duration::from_secs(15), "stop took {:?}: SIGTERM did not reach PID 1", t.elapsed());
    assert_eq!(inspect(&rt, n, "{{.State.Status}} {{.State.ExitCode}}"), "exited 0");
    ok(&rt, &["rm", n], 0);
    assert_eq!(ok(&rt, &["ps", "-a", "-q", "--filter", &format!("name=^{n}$")], 0).stdout, "");
}

#[test]
fn kill_term_reaches_the_container_and_wait_gives_its_status() {
    let Some(rt) = rt() else { return };
    let c = Ctr::new(&rt);
    let n = c.name.as_str();
    ok(&rt, &["run", "-d", "--name", n, IMAGE, "sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 1000 & wait"], 0);
    wait_for_log(&rt, n, "ready");
    ok(&rt, &["kill", "-s", "TERM", n], 0);
    assert_eq!(ok(&rt, &["wait", n], 0).stdout.trim(), "7");
}

#[test]
fn sigkill_gives_137() {
    let Some(rt) = rt() else { return };
    let c = Ctr::new(&rt);
    let n = c.name.as_str();
    ok(&rt, &["run", "-d", "--name", n, IMAGE, "sleep", "1000"], 0);
    ok(&rt, &["kill", "-s", "KILL", n], 0);
    assert_eq!(ok(&rt, &["wait", n], 0).stdout.trim(), "137");
}

#[test]
fn run_it_gets_a_terminal_and_exits_with_the_shell() {
    let Some(rt) = rt() else { return };
    let p = podman_env().unwrap();
    let c = Ctr::new(&rt);
    // -t alone: nothing typed is passed on, so the output is the container's alone (with -i,
    // script's end of input arrives as a character, and the pty echoes it).
    let o = p.call_pty(&rt, &["run", "--rm", "-t", "--name", &c.name, IMAGE, "sh", "-c", "tty; test -t 0 && test -t 1 && echo both; exit 4"], "", SECS);
    assert_eq!(o.code, 4, "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    // Through a pty: \r\n line ends.
    assert_eq!(o.stdout, "/dev/pts/0\r\nboth\r\n");
    // What is typed reaches the shell, and its exit ends podman.
    let c = Ctr::new(&rt);
    let o = p.call_pty(&rt, &["run", "--rm", "-it", "--name", &c.name, IMAGE, "sh"], "echo typed-$((6*7))\nexit 6\n", SECS);
    assert_eq!(o.code, 6, "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("typed-42\r\n"), "stdout:\n{}", o.stdout);
}

#[test]
fn exec_it_gets_a_terminal_in_a_running_container() {
    let Some(rt) = rt() else { return };
    let p = podman_env().unwrap();
    let c = Ctr::new(&rt);
    let n = c.name.as_str();
    ok(&rt, &["run", "-d", "--name", n, IMAGE, "sleep", "1000"], 0);
    let o = p.call_pty(&rt, &["exec", "-it", n, "sh", "-c", "read l; echo got-$l; tty; exit 9"], "x\n", SECS);
    assert_eq!(o.code, 9, "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("got-x\r\n/dev/pts/"), "stdout:\n{}", o.stdout);
}

/// A shell that starts sleeps in the background until a fork fails (at most 50), then prints
/// how many it started: forks it can make, less itself and PID 1.
const FORKS: &str = "sh -c 'i=0; while [ $i -lt 50 ]; do sleep 100 & echo; i=$((i+1)); done' >/tmp/n 2>/dev/null; n=0; while read l; do n=$((n+1)); done </tmp/n; echo $n";

#[test]
fn pids_limit_bounds_the_processes() {
    let Some(rt) = rt() else { return };
    let c = Ctr::new(&rt);
    let o = ok(&rt, &["run", "--rm", "--name", &c.name, "--pids-limit", "10", IMAGE, "sh", "-c", FORKS], 0);
    assert_eq!(o.stdout, "8\n");
    // The cgroup that holds the container says so too, seen from the host.
    let c = Ctr::new(&rt);
    ok(&rt, &["run", "-d", "--name", &c.name, "--pids-limit", "10", IMAGE, "sleep", "1000"], 0);
    let pid = inspect(&rt, &c.name, "{{.State.Pid}}");
    let line = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let (v1, path) = line.lines().find_map(|l| {
        let f: Vec<&str> = l.splitn(3, ':').collect();
        if f[1].split(',').any(|c| c == "pids") { Some((true, f[2].to_string())) } else { None }
    }).or_else(|| line.lines().find_map(|l| l.strip_prefix("0::").map(|p| (false, p.to_string())))).unwrap();
    let mount = if v1 { common::cgroup_v1_mount("pids").unwrap() } else { "/sys/fs/cgroup".into() };
    let max = std::fs::read_to_string(mount.join(path.trim_start_matches('/')).join("pids.max")).unwrap();
    assert_eq!(max.trim(), "10");
    // Without the option, podman's default (2048) leaves the 50 forks alone.
    let c = Ctr::new(&rt);
    assert_eq!(ok(&rt, &["run", "--rm", "--name", &c.name, IMAGE, "sh", "-c", FORKS], 0).stdout, "50\n");
}

#[test]
fn memory_limit_ends_in_the_oom_killer_and_137() {
    let Some(rt) = rt() else { return };
    let m = ["-m", "32m", "--memory-swap", "32m"];
    // tail keeps every byte of input without a newline: 8 MB fits in 32 MiB...
    let c = Ctr::new(&rt);
    let args = [&["run", "--rm", "--name", &c.name][..], &m, &[IMAGE, "sh", "-c", "head -c 8000000 /dev/zero | tail | wc -c"]].concat();
    assert_eq!(ok(&rt, &args, 0).stdout.trim(), "8000000");
    // ... and /dev/zero, without end, does not.
    let c = Ctr::new(&rt);
    let args = [&["run", "--rm", "--name", &c.name][..], &m, &[IMAGE, "tail", "/dev/zero"]].concat();
    ok(&rt, &args, 137);
}

#[test]
fn read_only_root_keeps_tmp_writable() {
    let Some(rt) = rt() else { return };
    let script = "touch /x 2>&1; for d in /tmp /var/tmp; do echo w >$d/f && cat $d/f; done";
    let c = Ctr::new(&rt);
    let o = ok(&rt, &["run", "--rm", "--name", &c.name, "--read-only", IMAGE, "sh", "-c", script], 0);
    assert_eq!(o.stdout, "touch: /x: Read-only file system\nw\nw\n");
    // Without the tmpfs, /tmp is read-only too.
    let c = Ctr::new(&rt);
    let o = ok(&rt, &["run", "--rm", "--name", &c.name, "--read-only", "--read-only-tmpfs=false", IMAGE, "sh", "-c", "echo w >/tmp/f"], 1);
    assert!(o.stderr.contains("Read-only file system"), "stderr: {}", o.stderr);
}

// The differential tests: the same podman command under the runtime under test and under runc.

/// What the container reports, one section per fact: its capability sets, no_new_privs and
/// seccomp mode (the `Seccomp:` line, not the filter count); every line of /proc/mounts as
/// mount point, type and ro|rw (sources and other options differ from run to run); its
/// environment, sorted; hostname; ids; cwd; umask; rlimits; /dev; two sysctls podman sets;
/// the network interfaces with their flags.
const PROBE: &str = r#"
echo '## status'; grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status
echo '## mounts'; while read -r src dst typ opt rest; do case ",$opt," in *,ro,*) m=ro;; *) m=rw;; esac; echo "$dst $typ $m"; done </proc/mounts
echo '## env'; env | sort
echo '## hostname'; hostname
echo '## id'; id
echo '## cwd'; pwd
echo '## umask'; umask
echo '## rlimits'; ulimit -a
echo '## dev'; ls -ln /dev
echo '## sysctl'; cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/msgmax
echo '## net'; ip -o link | while read -r n name flags rest; do echo "$name $flags"; done
"#;

/// The probe's report under `runtime` with podman options `opts`, normalized: the container's
/// id (the default hostname) reads `<id>`, mounts are sorted by mount point (mounts on one
/// point keep their order: the last is the one seen), /dev keeps mode, owner, device
/// numbers and name (not dates, sizes, link counts).
fn report(runtime: &str, opts: &[&str]) -> Vec<(String, Vec<String>)> {
    let c = Ctr::new(runtime);
    let create = [&["create", "--name", &c.name][..], opts, &[IMAGE, "sh", "-c", PROBE]].concat();
    let id = ok(runtime, &create, 0).stdout.trim().to_string();
    let o = ok(runtime, &["start", "-a", &c.name], 0);
    assert_eq!(o.stderr, "", "{runtime}: the probe's errors");
    sections(&o.stdout, &id)
}

/// Which of PID 1's namespaces and cgroups the process shares.
const JOINED: &str = r#"
echo '## joined'; for n in mnt uts ipc net pid cgroup; do [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] && echo "ns $n"; done
[ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ] && echo "cgroups"; echo "pid 1: $(tr '\0' ' ' </proc/1/cmdline)"
"#;

/// The probe's report from `podman exec EXEC_OPTS` in a container `podman run -d OPTS` made.
fn report_exec(runtime: &str, opts: &[&str], exec_opts: &[&str]) -> Vec<(String, Vec<String>)> {
    let c = Ctr::new(runtime);
    let run = [&["run", "-d", "--name", &c.name][..], opts, &[IMAGE, "sleep", "1000"]].concat();
    let id = ok(runtime, &run, 0).stdout.trim().to_string();
    let script = format!("{PROBE}{JOINED}");
    let o = ok(runtime, &[&["exec"][..], exec_opts, &[&c.name, "sh", "-c", &script]].concat(), 0);
    assert_eq!(o.stderr, "", "{runtime}: the probe's errors");
    sections(&o.stdout, &id)
}

/// The probe's output, in sections, normalized.
fn sections(stdout: &str, id: &str) -> Vec<(String, Vec<String>)> {
    let text = stdout.replace(id, "<id>").replace(&id[..12], "<id>");
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in text.lines() {
        match l.strip_prefix("## ") {
            Some(s) => out.push((s.to_string(), Vec::new())),
            None => out.last_mut().expect("probe output starts with a section").1.push(l.to_string()),
        }
    }
    for (s, lines) in out.iter_mut() {
        match s.as_str() {
            "mounts" => lines.sort_by(|a, b| a.split(' ').next().cmp(&b.split(' ').next())),
            "dev" => {
                *lines = lines.iter().filter(|l| !l.starts_with("total")).map(|l| dev_entry(l)).collect();
            }
            _ => {}
        }
    }
    out
}

/// `ls -ln` line → "mode uid gid [major,minor] name[ -> target]".
fn dev_entry(l: &str) -> String {
    let f: Vec<&str> = l.split_whitespace().collect();
    let (dev, name_at) = if f[0].starts_with(['c', 'b']) { (format!(" {}{}", f[4], f[5]), 9) } else { (String::new(), 8) };
    format!("{} {} {}{dev} {}", f[0], f[2], f[3], f[name_at..].join(" "))
}

/// Every line that differs, section by section, as `-` (runc only) and `+` (runtime only).
fn diff(want: &[(String, Vec<String>)], got: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    let names: Vec<&String> = want.iter().chain(got).map(|(s, _)| s).collect();
    let mut seen = Vec::new();
    for s in names {
        if seen.contains(&s) {
            continue;
        }
        seen.push(s);
        let lines = |r: &[(String, Vec<String>)]| r.iter().find(|(n, _)| n == s).map(|(_, l)| l.clone()).unwrap_or_default();
        let (w, g) = (lines(want), lines(got));
        if w != g {
            out += &format!("## {s}\n");
            out += &lcs_diff(&w, &g);
        }
    }
    out
}

/// A line diff (longest common subsequence): ` ` both, `-` only in `a`, `+` only in `b`.
fn lcs_diff(a: &[String], b: &[String]) -> String {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] { t[i + 1][j + 1] + 1 } else { t[i + 1][j].max(t[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out += &format!("  {}\n", a[i]);
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || t[i][j + 1] >= t[i + 1][j]) {
            out += &format!("+ {}\n", b[j]);
            j += 1;
        } else {
            out += &format!("- {}\n", a[i]);
            i += 1;
        }
    }
    out
}

/// The container sees the same under the runtime under test as under runc, for `opts`; and
/// under runc, each of `shown` (section, line; a word `*` stands for any word): the options did
/// what they are there for.
fn same_as_runc(opts: &[&str], shown: &[(&str, &str)]) {
    let Some(rt) = rt() else { return };
    let want = report(REFERENCE, opts);
    assert!(want.len() == 11 && want.iter().all(|(_, l)| !l.is_empty()), "runc's report is incomplete: {want:?}");
    for (section, line) in shown {
        let lines = &want.iter().find(|(s, _)| s == section).unwrap().1;
        let fits = |l: &String| l.split(' ').count() == line.split(' ').count() && l.split(' ').zip(line.split(' ')).all(|(a, b)| b == "*" || a == b);
        assert!(lines.iter().any(fits), "under {REFERENCE}, {opts:?} shows no {line:?} in {section}: {lines:#?}");
    }
    let got = report(&rt, opts);
    let d = diff(&want, &got);
    assert!(d.is_empty(), "podman create {opts:?}: the container sees under {rt} (+) what it does not under {REFERENCE} (-):\n{d}");
}

/// `podman exec`'s process sees the same under the runtime under test as under runc, and it
/// is in every namespace and cgroup of PID 1.
fn same_in_exec_as_runc(opts: &[&str], exec_opts: &[&str], shown: &[(&str, &str)]) {
    let Some(rt) = rt() else { return };
    let want = report_exec(REFERENCE, opts, exec_opts);
    // (Another user may not read PID 1's namespaces.)
    let joined = ["ns mnt", "ns uts", "ns ipc", "ns net", "ns pid", "ns cgroup", "cgroups", "pid 1: sleep 1000 "];
    let joined = if exec_opts.contains(&"-u") { &joined[6..] } else { &joined[..] };
    assert_eq!(want.iter().find(|(s, _)| s == "joined").unwrap().1, joined, "under {REFERENCE}");
    for (section, line) in shown {
        let lines = &want.iter().find(|(s, _)| s == section).unwrap().1;
        assert!(lines.iter().any(|l| l == line), "under {REFERENCE}, exec {exec_opts:?} shows no {line:?} in {section}: {lines:#?}");
    }
    let got = report_exec(&rt, opts, exec_opts);
    let d = diff(&want, &got);
    assert!(d.is_empty(), "podman run -d {opts:?}, exec {exec_opts:?}: the process sees under {rt} (+) what it does not under {REFERENCE} (-):\n{d}");
}

#[test]
fn exec_is_the_same_as_under_runc() {
    same_in_exec_as_runc(&[], &[], &[("status", "Seccomp:\t2"), ("status", "CapEff:\t00000000a80425fb"), ("hostname", "<id>")]);
}

#[test]
fn exec_as_another_user_with_one_capability_is_the_same_as_under_runc() {
    let opts = ["--cap-drop", "all", "--cap-add", "net_bind_service", "--security-opt", "no-new-privileges"];
    let exec = ["-u", "1000:1000", "-w", "/tmp", "-e", "X=1"];
    same_in_exec_as_runc(&opts, &exec, &[("status", "CapBnd:\t0000000000000400"), ("status", "NoNewPrivs:\t1"), ("id", "uid=1000 gid=1000"), ("cwd", "/tmp"), ("env", "X=1")]);
}

#[test]
fn same_as_runc_by_default() {
    same_as_runc(&[], &[("status", "Seccomp:\t2"), ("status", "CapEff:\t00000000a80425fb"), ("hostname", "<id>"), ("net", "lo: <LOOPBACK,UP,LOWER_UP>")]);
}

#[test]
fn same_as_runc_with_one_capability() {
    same_as_runc(&["--cap-drop", "all", "--cap-add", "net_bind_service"], &[("status", "CapEff:\t0000000000000400"), ("status", "CapBnd:\t0000000000000400")]);
}

#[test]
fn same_as_runc_with_no_new_privileges() {
    same_as_runc(&["--security-opt", "no-new-privileges"], &[("status", "NoNewPrivs:\t1")]);
}

#[test]
fn same_as_runc_read_only() {
    same_as_runc(&["--read-only"], &[("mounts", "/ overlay ro"), ("mounts", "/tmp tmpfs rw")]);
}

#[test]
fn same_as_runc_as_another_user() {
    same_as_runc(&["--user", "1000:1000", "--workdir", "/tmp"], &[("id", "uid=1000 gid=1000 groups=1000"), ("cwd", "/tmp"), ("status", "CapEff:\t0000000000000000")]);
}

#[test]
fn same_as_runc_privileged() {
    same_as_runc(&["--privileged"], &[("status", "Seccomp:\t0"), ("mounts", "/sys sysfs rw")]);
}

#[test]
fn same_as_runc_with_a_new_empty_network_namespace() {
    // --network none: a namespace to make, not one to join.
    same_as_runc(&["--network", "none"], &[("net", "lo: <LOOPBACK,UP,LOWER_UP>")]);
}

#[test]
fn same_as_runc_with_binds_tmpfs_env_and_a_hostname() {
    let dir = common::Root::empty();
    dir.file("data/f", "x", 0o644);
    let bind = format!("{}/data:/data:ro", dir.s());
    let opts = ["-v", &bind, "--tmpfs", "/scratch:size=1m", "-e", "A=b", "--hostname", "probe", "--shm-size", "8m", "--sysctl", "kernel.msgmax=12345"];
    same_as_runc(&opts, &[("mounts", "/data * ro"), ("mounts", "/scratch tmpfs rw"), ("env", "A=b"), ("hostname", "probe"), ("sysctl", "12345")]);
}

#[test]
fn the_diff_shows_what_differs() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let a = vec![("env".to_string(), s(&["A=1", "B=2", "C=3"])), ("id".to_string(), s(&["uid=0"]))];
    let b = vec![("env".to_string(), s(&["A=1", "C=3", "D=4"])), ("id".to_string(), s(&["uid=0"]))];
    assert_eq!(diff(&a, &b), "## env\n  A=1\n- B=2\n  C=3\n+ D=4\n");
    assert_eq!(diff(&a, &a), "");
    assert_eq!(dev_entry("crw-rw-rw-    1 0        0           1,   3 Dec  2 18:52 null"), "crw-rw-rw- 0 0 1,3 null");
    assert_eq!(dev_entry("lrwxrwxrwx    1 0        0                8 Dec  2 18:52 ptmx -> pts/ptmx"), "lrwxrwxrwx 0 0 ptmx -> pts/ptmx");
}
