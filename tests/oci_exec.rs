//! `runix exec`: a process more in a running container, as conmon and containerd's shim ask
//! for it (`--process FILE --detach --pid-file F`) and as a user types it (`exec ID CMD...`).
//!
//! The test process is a child subreaper, as conmon is: the container's init and a detached
//! exec's process are reparented here and reaped with their status.

mod common;
use common::bundle::{Bundle, reap};
use common::proc::{proc_stat, within};
use common::*;
use std::fs;

/// A running container `id` of `b` (its init loops until killed) in a cgroup of its own: the
/// init's host pid.
fn running(b: &Bundle, id: &str) -> u32 {
    let o = b.runix(&["create", "--bundle", b.bundle(), id]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    b.ok(&["start", id]);
    let (status, pid) = b.status(id);
    assert_eq!(status, "running");
    pid
}

const LOOP: [&str; 3] = ["sh", "-c", "while :; do sleep 0.05; done"];
const LIMIT: &str = r#","resources":{"pids":{"limit":30}}"#;

/// The end of container `id` of `b`, whose init is `pid`: killed, reaped (137), deleted.
fn end(b: &Bundle, id: &str, pid: u32) {
    b.ok(&["kill", id, "KILL"]);
    assert_eq!(reap(pid), 137);
    b.ok(&["delete", id]);
}

/// The namespaces of a process, by their links.
fn namespaces(pid: u32) -> Vec<String> {
    ["mnt", "uts", "ipc", "net", "pid", "cgroup"].iter().map(|n| fs::read_link(format!("/proc/{pid}/ns/{n}")).unwrap().display().to_string()).collect()
}

#[test]
fn exec_runs_in_the_containers_namespaces_cgroups_and_root() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&LOOP, LIMIT, "");
    let host = Host::at(&[&b.rootfs.path]);
    let pid = running(&b, "e");
    // Its root is the container's, PID 1 the init, the hostname the config's; its cgroups the
    // init's; only stdio open (no fd of runix's, CVE-2024-21626); its bounding set the init's.
    let script = "cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; ls /proc/$$/fd | tr '\\n' ' '; echo; \
                  [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same-cgroups; \
                  grep CapBnd /proc/self/status /proc/1/status | cut -f2 | uniq | wc -l; ls HOST 2>&1; exit 3";
    // (A host path of the test's own: the bundle's directory.)
    let host_dir = b.dir.s().to_string();
    let script = script.replace("HOST", &host_dir);
    let o = b.runix(&["exec", "e", "sh", "-c", &script]);
    assert_eq!((o.code, o.stderr.as_str()), (3, ""), "{}", o.stdout);
    let want = format!("{} \noci\n0 1 2 \nsame-cgroups\n1\nls: {host_dir}: No such file or directory\n", LOOP.join(" "));
    assert_eq!(fs::read_to_string(b.out()).unwrap(), want);
    // runc's options: the environment, working directory and user; and the exit statuses.
    b.runix(&["exec", "--env", "A=b", "--env=C=d", "--cwd", "/tmp", "--user", "1000:100", "e", "sh", "-c", "echo $A$C; pwd; id -u; id -g"]);
    assert_eq!(fs::read_to_string(b.out()).unwrap(), "bd\n/tmp\n1000\n100\n");
    // The process says why itself, once (it holds no channel to runix).
    let o = b.runix(&["exec", "e", "no-such-command"]);
    assert_eq!((o.code, o.stderr.as_str()), (127, "runix: execve(no-such-command): No such file or directory\n"));
    assert_eq!(b.runix(&["exec", "e", "/etc"]).code, 126);
    // --detach returns once it has exec'd; --pid-file has its host pid, in the container.
    let o = b.runix(&["exec", "--detach", "--pid-file", "p", "e", "sleep", "100"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    let p: u32 = fs::read_to_string(b.dir.path.join("p")).unwrap().parse().unwrap();
    assert!(proc_stat(p).is_some_and(|(s, _)| s != 'Z') && namespaces(p) == namespaces(pid), "the detached process is not in the container's namespaces");
    b.ok(&["kill", "--all", "e", "KILL"]);
    assert_eq!((reap(p), reap(pid)), (137, 137));
    b.ok(&["delete", "e"]);
    host.assert_unchanged("after exec");
}

#[test]
fn exec_takes_the_process_from_a_file() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&LOOP, LIMIT, r#","capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"]},"oomScoreAdj":123"#);
    let pid = running(&b, "f");
    let file = b.dir.path.join("process.json");
    // The file's bounding set, as runc takes it (podman exec --privileged asks for more).
    let process = r#"{"args":["sh","-c","echo $X $HOME; id -u; grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status; exit 4"],"env":["X=p","PATH=/bin","HOME="],"cwd":"/",
        "user":{"uid":1000,"gid":1000},"noNewPrivileges":true,"capabilities":{"bounding":["CAP_KILL","CAP_SYS_ADMIN"]}}"#;
    fs::write(&file, process).unwrap();
    let o = b.runix(&["exec", "--process", file.to_str().unwrap(), "f"]);
    assert_eq!((o.code, o.stderr.as_str()), (4, ""));
    assert_eq!(fs::read_to_string(b.out()).unwrap(), "p /\n1000\nCapBnd:\t0000000000200020\nNoNewPrivs:\t1\n");
    // Its oomScoreAdj: the file's, else the container's (as runc's).
    for (adj, want) in [(r#","oomScoreAdj":321"#, "321\n"), ("", "123\n")] {
        fs::write(&file, format!(r#"{{"args":["cat","/proc/self/oom_score_adj"],"cwd":"/","user":{{"uid":0,"gid":0}}{adj}}}"#)).unwrap();
        let o = b.runix(&["exec", "--process", file.to_str().unwrap(), "f"]);
        assert_eq!((o.code, o.stderr.as_str(), fs::read_to_string(b.out()).unwrap().as_str()), (0, "", want));
    }
    // What runix cannot honour is refused, naming the field, and starts nothing.
    fs::write(&file, r#"{"args":["true"],"cwd":"/","user":{"uid":0,"gid":0},"apparmorProfile":"x"}"#).unwrap();
    let o = b.runix(&["exec", "--process", file.to_str().unwrap(), "f"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: unsupported config.json field: process.apparmorProfile\n"));
    fs::write(&file, r#"{"args":["true"],"cwd":"/","user":{"uid":0,"gid":0}"#).unwrap();
    assert!(b.runix(&["exec", "--process", file.to_str().unwrap(), "f"]).stderr.starts_with("runix: malformed process file at byte"));
    end(&b, "f", pid);
}

#[test]
fn bad_exec_calls_are_refused() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&LOOP, LIMIT, "");
    let err = |args: &[&str]| {
        let o = b.runix(args);
        assert_eq!(o.code, 125, "{args:?}");
        o.stderr
    };
    assert_eq!(err(&["exec", "nope", "true"]), "runix: container does not exist: nope\n");
    // Not before `start`: the init is runix until then.
    let o = b.runix(&["create", "--bundle", b.bundle(), "c"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(err(&["exec", "c", "true"]), "runix: not in this state (delete a running one with --force): created\n");
    let (_, created) = b.status("c");
    b.ok(&["delete", "c"]);
    assert_eq!(reap(created), 137);
    let pid = running(&b, "g");
    assert_eq!(err(&["exec", "g"]), "runix: exec needs a command or --process\n");
    assert_eq!(err(&["exec", "--tty", "--detach", "g", "sh"]), "runix: exec --tty --detach needs --console-socket\n");
    assert_eq!(err(&["exec", "--user", "x", "g", "sh"]), "runix: invalid --user (UID[:GID]): x\n");
    assert_eq!(err(&["exec", "--cwd", "tmp", "g", "sh"]), "runix: invalid --cwd (an absolute path): tmp\n");
    b.ok(&["kill", "g", "KILL"]);
    assert_eq!(reap(pid), 137);
    assert!(within(5, || b.status("g").0 == "stopped"));
    assert_eq!(err(&["exec", "g", "true"]), "runix: not in this state (delete a running one with --force): stopped\n");
    b.ok(&["delete", "g"]);
}

/// An init that made a user namespace of its own (and so owns the namespaces it makes next)
/// is not joined: its bounding set there is full, and its namespaces are not runix's.
#[test]
fn an_init_in_a_user_namespace_of_its_own_is_not_joined() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&["unshare", "-U", "sh", "-c", "while :; do sleep 0.05; done"], LIMIT, "");
    let pid = running(&b, "u");
    assert!(within(5, || fs::read_link(format!("/proc/{pid}/ns/user")).ok() != fs::read_link("/proc/self/ns/user").ok()));
    let o = b.runix(&["exec", "u", "true"]);
    assert_eq!((o.code, o.stderr.as_str()), (125, "runix: the container's init is in a user namespace of its own\n"));
    end(&b, "u", pid);
}

/// A --no-pivot container's mount namespace has the host's root as its own: exec goes into
/// the init's root there, as the init did.
#[test]
fn exec_in_a_no_pivot_container_is_in_its_root() {
    if !need_root() {
        return;
    }
    let b = Bundle::new(&LOOP, LIMIT, "");
    let o = b.runix(&["create", "--no-pivot", "--bundle", b.bundle(), "n"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    b.ok(&["start", "n"]);
    let (_, pid) = b.status("n");
    let o = b.runix(&["exec", "n", "sh", "-c", "ls /bin/busybox; ls /work 2>&1; exit 2"]);
    assert_eq!((o.code, fs::read_to_string(b.out()).unwrap()), (2, "/bin/busybox\nls: /work: No such file or directory\n".into()));
    end(&b, "n", pid);
}
