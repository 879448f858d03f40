//! The container as a well-behaved process: signals passed on, exit statuses, `--init` as
//! PID 1, death with runix, and a stop that ends in SIGKILL. Every wait is bounded.

mod common;
use common::proc::*;
use common::*;
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// runix in the background with its stdout and stderr collected by threads; killed on drop.
struct Bg {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Bg {
    fn spawn(args: &[&str]) -> Bg {
        let mut cmd = Command::new(runix());
        cmd.args(args);
        Bg::spawn_cmd(cmd)
    }

    fn spawn_cmd(mut cmd: Command) -> Bg {
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (out, err) = (Arc::new(Mutex::new(String::new())), Arc::new(Mutex::new(String::new())));
        let collect = |mut from: Box<dyn Read + Send>, to: Arc<Mutex<String>>| {
            std::thread::spawn(move || {
                let mut b = [0u8; 4096];
                while let Ok(n @ 1..) = from.read(&mut b) {
                    to.lock().unwrap().push_str(&String::from_utf8_lossy(&b[..n]));
                }
            })
        };
        let readers = vec![collect(Box::new(child.stdout.take().unwrap()), out.clone()), collect(Box::new(child.stderr.take().unwrap()), err.clone())];
        Bg { child, out, err, readers }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stdout(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Wait until stdout holds `needle`; fails the test after `secs`.
    fn wait_for(&mut self, needle: &str, secs: u64) {
        if !within(secs, || self.stdout().contains(needle)) {
            panic!("{needle:?} not seen within {secs}s; stdout {:?}, stderr {:?}", self.stdout(), self.err.lock().unwrap());
        }
    }

    /// Exit status (128+N when killed), stdout, stderr; fails the test after `secs`.
    fn finish(&mut self, secs: u64) -> (i32, String, String) {
        let mut st = None;
        within(secs, || {
            st = self.child.try_wait().unwrap();
            st.is_some()
        });
        let Some(st) = st else {
            panic!("runix did not exit within {secs}s; stdout {:?}, stderr {:?}", self.stdout(), self.err.lock().unwrap());
        };
        for r in self.readers.drain(..) {
            r.join().unwrap();
        }
        (code(st), self.stdout(), self.err.lock().unwrap().clone())
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        kill_runix(&mut self.child);
    }
}

/// Without --init the shell is PID 1: the signals runix passes on reach its traps, and the
/// exit statuses are 0, N, and 128+N. (SIGINT and SIGTERM ask the container to stop: a second
/// one kills it, so each is sent alone.)
#[test]
fn signals_reach_the_containers_traps() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let traps = "for s in HUP QUIT USR1 USR2 WINCH; do trap \"echo got $s\" $s; done; trap 'echo got TERM; exit 7' TERM";
    let script = format!("{traps}; echo ready; for i in $(seq 400); do sleep 0.05; done; exit 9");
    let mut bg = Bg::spawn(&["run", "-r", r.s(), "sh", "-c", &script]);
    bg.wait_for("ready\n", 20);
    for (sig, name) in [(libc::SIGHUP, "HUP"), (libc::SIGQUIT, "QUIT"), (libc::SIGUSR1, "USR1"), (libc::SIGUSR2, "USR2"), (libc::SIGWINCH, "WINCH")] {
        kill(bg.pid(), sig);
        bg.wait_for(&format!("got {name}\n"), 10);
    }
    kill(bg.pid(), libc::SIGTERM);
    let (code, out, err) = bg.finish(20);
    assert_eq!((code, err.as_str()), (7, ""));
    assert_eq!(out, "ready\ngot HUP\ngot QUIT\ngot USR1\ngot USR2\ngot WINCH\ngot TERM\n");

    let mut bg = Bg::spawn(&["run", "-r", r.s(), "sh", "-c", "trap 'exit 0' INT; echo ready; sleep 100 & wait; exit 9"]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGINT);
    assert_eq!(bg.finish(20).0, 0);

    // PID 1 without a trap ignores SIGTERM; SIGKILL from outside ends it: 128+9.
    let mut bg = Bg::spawn(&["run", "-r", r.s(), "sh", "-c", "echo ready; sleep 100 & wait; exit 9"]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(bg.child.try_wait().unwrap().is_none(), "PID 1 without a handler died of SIGTERM");
    let inside = descendants(bg.pid());
    kill(inside[0].0, libc::SIGKILL);
    assert_eq!(bg.finish(20).0, 137);
}

/// --init: runix is PID 1 inside, the command is its child; orphans are reaped; signals go
/// through to the command; the command's status is runix's.
#[test]
fn init_is_pid_1_and_passes_everything_on() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run(&["run", "--init", "-r", r.s(), "sh", "-c", "cat /proc/1/comm; echo $$; readlink /proc/1/exe || echo no exe; ps -o pid,comm; cat /proc/1/exe"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stderr, "cat: can't open '/proc/1/exe': Permission denied\n");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "runix");
    assert_ne!(lines[1], "1", "the command is PID 1");
    // Not dumpable: the container cannot reach runix's binary through /proc/1/exe.
    assert_eq!(lines[2], "no exe");
    let ps: Vec<Vec<&str>> = lines[4..].iter().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(ps[0], ["1", "runix"]);
    assert_eq!(ps[1], [lines[1], "sh"]);

    assert_eq!(run(&["run", "--init", "-r", r.s(), "sh", "-c", "exit 5"]).code, 5);
    assert_eq!(run(&["run", "--init", "-r", r.s(), "sh", "-c", "kill -TERM $$; sleep 5"]).code, 143);

    // Orphans are reparented to PID 1, and PID 1 (runix) reaps them.
    let o = run(&["run", "--init", "-r", r.s(), "sh", "-c", "for i in $(seq 20); do (sleep 0.05 &); done; sleep 1; ps -o stat,comm; true"]);
    assert_eq!(o.code, 0);
    let stats: Vec<&str> = o.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(stats.len(), 4, "header, runix, sh, ps: {}", o.stdout);
    assert!(!stats.contains(&"Z"), "zombies left: {}", o.stdout);

    // Signals through init reach the command's trap.
    let script = "trap 'echo got USR1' USR1; trap 'echo got TERM; exit 7' TERM; echo ready; for i in $(seq 400); do sleep 0.05; done; exit 9";
    let mut bg = Bg::spawn(&["run", "--init", "-r", r.s(), "sh", "-c", script]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGUSR1);
    bg.wait_for("got USR1\n", 10);
    kill(bg.pid(), libc::SIGTERM);
    assert_eq!(bg.finish(20), (7, "ready\ngot USR1\ngot TERM\n".into(), String::new()));
    // A command with no trap, not PID 1: SIGTERM ends it, 128+15.
    let mut bg = Bg::spawn(&["run", "--init", "-r", r.s(), "sh", "-c", "echo ready; exec sleep 100"]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGTERM);
    assert_eq!(bg.finish(20).0, 143);
}

/// The zombie check above can fail: without --init, a PID 1 that never waits (sleep) keeps
/// every orphan as a zombie, seen from the host; with --init there are none.
#[test]
fn orphans_pile_up_without_init_and_not_with_it() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let script = "for i in $(seq 10); do (sleep 0.2 &); done; exec sleep 100";
    for (init, want) in [(false, 10), (true, 0)] {
        let mut args = vec!["run", "-r", r.s()];
        if init {
            args.push("--init");
        }
        args.extend(["sh", "-c", script]);
        let mut bg = Bg::spawn(&args);
        let pid = bg.pid();
        let zombies = || descendants(pid).iter().filter(|&&(p, _)| matches!(proc_stat(p), Some(('Z', _)))).count();
        // The orphans end 0.2 s after they start; then count, while the container still runs.
        std::thread::sleep(Duration::from_millis(1000));
        let mut n = zombies();
        if n < want {
            within(5, || {
                n = zombies();
                n >= want
            });
        }
        assert_eq!(n, want, "--init {init}");
        assert!(bg.child.try_wait().unwrap().is_none());
        kill(descendants(pid)[0].0, libc::SIGKILL);
        assert_eq!(bg.finish(20).0, 137);
    }
}

/// kill -9 of runix takes the whole container with it (PR_SET_PDEATHSIG), also after a
/// change of uid, with --init, and with -t.
#[test]
fn killing_runix_kills_the_container() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    r.file("etc/passwd", "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n", 0o644);
    let script = "sleep 100 & sleep 100 & echo ready; wait";
    for extra in [&[][..], &["-u", "nobody"], &["--init"], &["--init", "-u", "nobody"], &["-t"]] {
        let mut args = vec!["run", "-r", r.s()];
        args.extend(extra);
        args.extend(["sh", "-c", script]);
        let mut bg = Bg::spawn(&args);
        bg.wait_for("ready", 20);
        let inside = descendants(bg.pid());
        assert!(inside.len() >= 3, "{extra:?}: {inside:?}");
        kill(bg.pid(), libc::SIGKILL);
        assert_eq!(code(bg.child.wait().unwrap()), 137);
        let left: Vec<_> = if within(5, || !inside.iter().any(alive)) { Vec::new() } else { inside.into_iter().filter(alive).collect() };
        end_all(&left);
        assert!(remove_cgroups_of(bg.pid()));
        assert!(left.is_empty(), "{extra:?}: container processes outlived runix: {left:?}");
    }
}

/// The race, made certain: the container's first process is held (ptrace) before its first
/// step while runix is killed. Let go, the child sets PR_SET_PDEATHSIG too late to be killed
/// by it, so its check that runix is still there must see that runix is gone. With --userns,
/// runix has written the child's maps and told it to go on ("go" is then waiting in its
/// socket): the check must see runix gone, message or not.
#[test]
fn a_child_that_outlives_runix_before_its_first_step_exits() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // With a range for root, --userns maps it; the guard puts /etc/subuid and /etc/subgid back.
    let _subids = SubIds::set("root", Some((400000, 65536)));
    for userns in [false, true] {
        if userns && fs::read_to_string("/proc/sys/user/max_user_namespaces").is_ok_and(|n| n.trim() == "0") {
            return skip("user namespaces are off (user.max_user_namespaces = 0)");
        }
        let mut cmd = Command::new(runix());
        cmd.args(["run", "-r", r.s(), "-p", "50"]);
        if userns {
            cmd.arg("--userns");
        }
        cmd.args(["sleep", "100"]).stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: ptrace(2) is async-signal-safe; runix stops at its execve, traced by this thread.
        unsafe {
            cmd.pre_exec(|| {
                if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let runix_pid = cmd.spawn().unwrap().id() as i32;
        // A failed assertion below must not leave a held process or a cgroup for later tests.
        let runix_held = (runix_pid as u32, proc_stat(runix_pid as u32).unwrap().1);
        let guard = Held { procs: std::cell::Cell::new([runix_held, (0, 0)]), runix: runix_pid };
        let wait = |pid: i32| {
            let mut status = 0;
            // SAFETY: waitpid(2) writes one int.
            let p = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
            assert!(p > 0, "waitpid: {}", std::io::Error::last_os_error());
            (p, status)
        };
        let (_, status) = wait(runix_pid);
        assert!(libc::WIFSTOPPED(status), "runix did not stop at its execve: {status:#x}");
        let opts = libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACECLONE | libc::PTRACE_O_TRACEVFORK | libc::PTRACE_O_EXITKILL;
        // SAFETY: ptrace requests on a stopped tracee of this thread, with integer arguments.
        unsafe {
            assert_eq!(libc::ptrace(libc::PTRACE_SETOPTIONS, runix_pid, 0, opts), 0);
            assert_eq!(libc::ptrace(libc::PTRACE_CONT, runix_pid, 0, 0), 0);
        }
        // runix may stop at its re-execution from a sealed copy (a SIGTRAP after the execveat),
        // then at its clone; the child starts held (its first stop).
        let (mut p, mut status) = wait(runix_pid);
        if status >> 8 == libc::SIGTRAP {
            // SAFETY: as above.
            assert_eq!(unsafe { libc::ptrace(libc::PTRACE_CONT, runix_pid, 0, 0) }, 0);
            (p, status) = wait(runix_pid);
        }
        assert_eq!((p, status >> 8), (runix_pid, libc::SIGTRAP | libc::PTRACE_EVENT_FORK << 8), "runix did not clone");
        let mut child: libc::c_ulong = 0;
        // SAFETY: PTRACE_GETEVENTMSG writes one unsigned long.
        unsafe {
            assert_eq!(libc::ptrace(libc::PTRACE_GETEVENTMSG, runix_pid, 0, &mut child), 0);
            assert_eq!(libc::ptrace(libc::PTRACE_CONT, runix_pid, 0, 0), 0);
        }
        let child = child as i32;
        let (_, status) = wait(child);
        assert!(libc::WIFSTOPPED(status), "{status:#x}");
        // Its start time, while it is held: once let go, it may end and its pid be reused.
        let held = (child as u32, proc_stat(child as u32).unwrap().1);
        guard.procs.set([runix_held, held]);
        // runix goes on alone (with --userns: the maps, then "go") and waits for the child.
        if userns {
            let mapped = || fs::read_to_string(format!("/proc/{child}/uid_map")).is_ok_and(|m| !m.trim().is_empty());
            assert!(within(10, mapped), "runix did not write its child's maps");
        }
        std::thread::sleep(Duration::from_millis(100));
        kill(runix_pid as u32, libc::SIGKILL);
        let (_, status) = wait(runix_pid);
        assert!(libc::WIFSIGNALED(status), "{status:#x}");
        // SAFETY: the child is in a ptrace stop: detach lets it run, with no signal.
        assert_eq!(unsafe { libc::ptrace(libc::PTRACE_DETACH, child, 0, 0) }, 0);
        let gone = within(5, || !alive(&held));
        end_all(&[held]);
        assert!(remove_cgroups_of(runix_pid as u32));
        assert!(gone, "the container started without runix (--userns: {userns})");
    }
}

/// The processes a ptrace test holds (pid and start time, so that a reused pid is left
/// alone), SIGKILLed when it ends (a stopped tracee dies of it too), and runix's cgroups
/// removed.
struct Held {
    procs: std::cell::Cell<[(u32, u64); 2]>,
    runix: i32,
}

impl Drop for Held {
    fn drop(&mut self) {
        end_all(&self.procs.get().into_iter().filter(|p| p.0 > 0).collect::<Vec<_>>());
        let _ = remove_cgroups_of(self.runix as u32);
    }
}

/// The race: runix killed at any moment of the container's start leaves no process of it
/// behind (the child checks that runix is still there after PR_SET_PDEATHSIG). Timing-based:
/// each run is killed a little later than the one before, through the whole start.
#[test]
fn killing_runix_during_setup_leaves_nothing() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    for i in 0..120u64 {
        let delay = Duration::from_micros((i % 40) * 75);
        // A mark in every command line: runix's own, the child's before its execve (a copy of
        // runix), the shell's after.
        let mark = format!("runix-process-test-{}-{i}", std::process::id());
        // -p: with a cgroup, the child also joins it first.
        let pids = if i % 2 == 0 { "0" } else { "50" };
        let mut args = vec!["run", "-r", r.s()];
        if pids != "0" {
            args.extend(["-p", pids]);
        }
        args.extend(["sh", "-c", "sleep 100; : $0", &mark]);
        let mut c = Command::new(runix()).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = c.kill();
        c.wait().unwrap();
        let marked = || -> Vec<(u32, u64)> {
            fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|&p| fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.windows(mark.len()).any(|w| w == mark.as_bytes())))
                .filter_map(|p| Some((p, proc_stat(p)?.1)))
                .filter(alive)
                .collect()
        };
        let left = if within(5, || marked().is_empty()) { Vec::new() } else { marked() };
        end_all(&left);
        assert!(remove_cgroups_of(c.id()));
        assert!(left.is_empty(), "runix killed after {delay:?} (-p {pids}): its container was still running as {left:?}");
    }
}

/// A shell's background job (`runix run ... &` in a script) starts with SIGINT and SIGQUIT
/// ignored, nohup's with SIGHUP: runix still receives and passes them on, and the command
/// starts with every signal at its default (a shell cannot trap one ignored on entry).
#[test]
fn signals_ignored_at_start_are_still_forwarded() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    for (sig, name) in [(libc::SIGINT, "INT"), (libc::SIGQUIT, "QUIT"), (libc::SIGHUP, "HUP")] {
        let script = format!("trap 'echo got {name}; exit 3' {name}; echo ready; for i in $(seq 400); do sleep 0.05; done; exit 9");
        let mut cmd = Command::new(runix());
        cmd.args(["run", "-r", r.s(), "sh", "-c", &script]);
        // SAFETY: signal(2) only, between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::signal(sig, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut bg = Bg::spawn_cmd(cmd);
        bg.wait_for("ready\n", 20);
        kill(bg.pid(), sig);
        let (code, out, err) = bg.finish(20);
        assert_eq!((code, out.as_str(), err.as_str()), (3, format!("ready\ngot {name}\n").as_str(), ""), "SIG{name} ignored at start");
    }
}

/// A SIGINT, SIGTERM or SIGHUP before the command runs ends the setup: the child is killed,
/// its cgroup removed, and runix exits 128+N. The setup is held by a --seccomp file that is a
/// FIFO nobody writes to (its open blocks in the child).
#[test]
fn a_signal_during_setup_ends_it_and_leaves_nothing() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let fifo = r.path.join("../fifo-".to_string() + &std::process::id().to_string());
    let _ = fs::remove_file(&fifo);
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143), (libc::SIGHUP, 129)] {
        let mut bg = Bg::spawn(&["run", "-r", r.s(), "-p", "20", "--seccomp", fifo.to_str().unwrap(), "true"]);
        let pid = bg.pid();
        // The child is there (a descendant), blocked in its setup.
        assert!(within(10, || !descendants(pid).is_empty()), "no child of runix");
        let inside = descendants(pid);
        std::thread::sleep(Duration::from_millis(100));
        kill(pid, sig);
        let (got, _, err) = bg.finish(10);
        let cgroup_left = runix_cgroups().iter().any(|d| d.ends_with(format!("runix-{pid}")));
        remove_cgroups_of(pid);
        assert_eq!((got, err.as_str()), (code, ""), "signal {sig}");
        assert!(!inside.iter().any(alive), "the child outlived runix");
        assert!(!cgroup_left, "runix-{pid} left behind");
    }
    let _ = fs::remove_file(&fifo);
}

/// A service stops when asked: a PID 1 with no handler ignores SIGTERM and SIGINT, so runix
/// kills the container --stop-timeout seconds after passing one on, or at once at a second
/// one, saying so; a container that exits in time keeps its own status.
#[test]
fn a_container_asked_to_stop_is_killed_after_the_stop_timeout_or_a_second_signal() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let script = "echo ready; sleep 100 & wait; exit 9";
    let timeout_msg = "runix: the container did not stop within --stop-timeout: killing it\n";
    // The timeout: runix is still there after the SIGTERM, then the container is killed.
    let mut bg = Bg::spawn(&["run", "-r", r.s(), "--stop-timeout", "1", "sh", "-c", script]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    assert!(bg.child.try_wait().unwrap().is_none(), "killed before its --stop-timeout");
    let (code, _, err) = bg.finish(10);
    assert_eq!((code, err.as_str()), (137, timeout_msg));
    // A second one: at once, long before the timeout.
    let mut bg = Bg::spawn(&["run", "-r", r.s(), "--stop-timeout", "100", "sh", "-c", script]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(100));
    kill(bg.pid(), libc::SIGTERM);
    let (code, _, err) = bg.finish(10);
    assert_eq!((code, err.as_str()), (137, "runix: asked again to stop: killing the container\n"));
    // One that stops when asked keeps its status, and nothing is said.
    let mut bg = Bg::spawn(&["run", "-r", r.s(), "--stop-timeout", "1", "sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 100 & wait"]);
    bg.wait_for("ready\n", 20);
    kill(bg.pid(), libc::SIGTERM);
    assert_eq!(bg.finish(10), (7, "ready\n".to_string(), String::new()));
}
