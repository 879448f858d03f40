//! The container as a well-behaved process: a session of its own, `-t` (a pty of its own,
//! relayed in raw mode), signals passed on, exit statuses, `--init` as PID 1, and death with
//! runix. runix runs on a pty or pipes of the test's own; every wait is bounded.

mod common;
use common::*;
use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn code(st: ExitStatus) -> i32 {
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap())
}

fn kill(pid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory preconditions.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0, "kill {pid} {sig}");
}

/// `cond` within `secs`, checked every 10 ms.
fn within(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// (state, start time) from /proc/PID/stat: the fields after the ")" of comm.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = s[s.rfind(')')? + 2..].split(' ').collect();
    Some((f[0].chars().next()?, f[19].parse().ok()?))
}

/// Every descendant of `pid` (children of each of its threads, recursively), with its start
/// time so that a reused pid is not mistaken for it.
fn descendants(pid: u32) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for t in fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten() {
            let kids = fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for k in kids.split_whitespace().filter_map(|k| k.parse().ok()) {
                if let Some((_, start)) = proc_stat(k) {
                    out.push((k, start));
                    todo.push(k);
                }
            }
        }
    }
    out
}

/// Still running: the same process (same start time), not a zombie.
fn alive(&(pid, start): &(u32, u64)) -> bool {
    matches!(proc_stat(pid), Some((s, st)) if st == start && s != 'Z' && s != 'X')
}

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

/// A child killed (and reaped) when the test ends early.
struct Guard(Child);

impl std::ops::Deref for Guard {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Guard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        kill_runix(&mut self.0);
    }
}

/// The kernel's struct termios, read from the slave: c_iflag, c_oflag, c_cflag, c_lflag, c_cc.
type Termios = (u32, u32, u32, u32, [u8; 32]);

/// A terminal of the test's own: runix runs with the slave as its stdin, stdout and
/// controlling terminal (as in a shell); the test types into and reads from the master.
struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
    out: Vec<u8>,
}

impl Pty {
    fn open(rows: u16, cols: u16) -> Pty {
        let (mut m, mut s) = (-1, -1);
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: two out-ints, no name buffer, default termios, a valid winsize.
        assert_eq!(unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) }, 0);
        // SAFETY: fcntl(2) on the fds just opened; both end up owned below.
        unsafe {
            libc::fcntl(m, libc::F_SETFL, libc::O_NONBLOCK);
            libc::fcntl(m, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(s, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        // SAFETY: openpty returned two open fds that nothing else owns.
        unsafe { Pty { master: OwnedFd::from_raw_fd(m), slave: OwnedFd::from_raw_fd(s), out: Vec::new() } }
    }

    /// runix on this terminal: in a new session of which it is the controlling terminal, so
    /// that a resize signals runix as it would in a shell. stderr goes to a pipe.
    fn spawn(&self, args: &[&str]) -> Guard {
        let tty = || Stdio::from(self.slave.try_clone().unwrap());
        let mut cmd = Command::new(runix());
        cmd.args(args).env("TERM", "xterm-test").stdin(tty()).stdout(tty()).stderr(Stdio::piped());
        // SAFETY: setsid(2) and ioctl(2) are async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Guard(cmd.spawn().unwrap())
    }

    /// What the master has to read now.
    fn pump(&mut self) {
        let mut b = [0u8; 4096];
        loop {
            // SAFETY: a read into a local buffer of its size.
            let n = unsafe { libc::read(self.master.as_raw_fd(), b.as_mut_ptr().cast(), b.len()) };
            if n <= 0 {
                break;
            }
            self.out.extend_from_slice(&b[..n as usize]);
        }
    }

    /// Everything read so far, without the \r a terminal adds.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).replace('\r', "")
    }

    fn wait_for(&mut self, child: &mut Child, needle: &str, secs: u64) {
        let found = within(secs, || {
            self.pump();
            self.text().contains(needle)
        });
        if !found {
            kill_runix(child);
            panic!("{needle:?} not seen within {secs}s: {:?}", self.text());
        }
    }

    /// runix's exit status and stderr, reading the terminal meanwhile.
    fn finish(&mut self, child: &mut Child, secs: u64) -> (i32, String) {
        let mut st = None;
        within(secs, || {
            self.pump();
            st = child.try_wait().unwrap();
            st.is_some()
        });
        let Some(st) = st else {
            kill_runix(child);
            panic!("runix did not exit within {secs}s: {:?}", self.text());
        };
        self.pump();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (code(st), err)
    }

    fn type_in(&self, bytes: &[u8]) {
        // SAFETY: a write from a live slice of its length.
        assert_eq!(unsafe { libc::write(self.master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) }, bytes.len() as isize);
    }

    fn resize(&self, rows: u16, cols: u16) {
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: TIOCSWINSZ reads one struct winsize.
        assert_eq!(unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) }, 0);
    }

    fn termios(&self) -> Termios {
        // SAFETY: tcgetattr fills the termios it is given.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut t) }, 0);
        (t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, t.c_cc)
    }

    /// Input without lines (echo stays on), so that FIONREAD counts every byte waiting.
    fn noncanonical(&self) {
        // SAFETY: tcgetattr fills the termios that tcsetattr then reads.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut t) }, 0);
        t.c_lflag &= !libc::ICANON;
        assert_eq!(unsafe { libc::tcsetattr(self.slave.as_raw_fd(), libc::TCSANOW, &t) }, 0);
    }

    /// Bytes typed (or injected) into the terminal that no one has read yet.
    fn input_queued(&self) -> i32 {
        let mut n: i32 = 0;
        // SAFETY: FIONREAD writes one int.
        assert_eq!(unsafe { libc::ioctl(self.slave.as_raw_fd(), libc::FIONREAD, &mut n) }, 0);
        n
    }
}

/// -t: the container's stdio is a pty of its own, from its own devpts, that is also its
/// controlling terminal and /dev/console, with the caller's window size.
#[test]
fn tty_gives_the_container_its_own_terminal() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mut pty = Pty::open(33, 101);
    let before = pty.termios();
    // /proc/1/stat: field 6 is the session, field 7 the controlling terminal (major 136,
    // minor 0 is /dev/pts/0: 136 << 8).
    let script = "tty; stty size; stat -c %t:%T /dev/console; ls -1 /dev/pts; set -- $(cat /proc/1/stat); echo $6 $7; exit 3";
    let mut c = pty.spawn(&["run", "-t", "-r", r.s(), "sh", "-c", script]);
    let (code, err) = pty.finish(&mut c, 20);
    assert_eq!((code, err.as_str()), (3, ""));
    // stat prints the device numbers in hex: 0x88 = 136, the pty slave major.
    assert_eq!(pty.text(), "/dev/pts/0\n33 101\n88:0\n0\nptmx\n1 34816\n");
    assert_eq!(pty.termios(), before, "the caller's terminal was not restored");
}

/// While the container runs the caller's terminal is raw; a resize of it is seen inside;
/// typed input and a typed ^C reach the container through its pty.
#[test]
fn tty_relays_resize_input_and_interrupt() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mut pty = Pty::open(33, 101);
    let before = pty.termios();
    let script = "trap 'stty size; exit 4' WINCH; stty size; echo ready; for i in $(seq 200); do sleep 0.05; done; exit 9";
    let mut c = pty.spawn(&["run", "-t", "-r", r.s(), "sh", "-c", script]);
    pty.wait_for(&mut c, "ready", 20);
    let raw = pty.termios();
    assert_eq!(raw.3 & (libc::ICANON | libc::ECHO | libc::ISIG), 0, "the caller's terminal is not raw");
    assert_eq!(raw.1 & libc::OPOST, 0);
    // The new size signals runix (SIGWINCH to the terminal's foreground process group), which
    // copies it to the container's pty, which signals the shell.
    pty.resize(40, 120);
    let (code, err) = pty.finish(&mut c, 20);
    assert_eq!((code, err.as_str()), (4, ""), "{}", pty.text());
    assert_eq!(pty.text(), "33 101\nready\n40 120\n");
    assert_eq!(pty.termios(), before);

    let mut pty = Pty::open(24, 80);
    let script = "trap 'echo interrupted; exit 5' INT; echo ready; read line; echo \"got $line\"; for i in $(seq 200); do sleep 0.05; done; exit 9";
    let mut c = pty.spawn(&["run", "-t", "-r", r.s(), "sh", "-c", script]);
    // Typed once runix relays (the caller's terminal is raw by then).
    pty.wait_for(&mut c, "ready", 20);
    pty.type_in(b"hello\r");
    pty.wait_for(&mut c, "got hello\n", 20);
    // ^C is a byte to the raw outer terminal; the container's terminal makes it SIGINT.
    pty.type_in(b"\x03");
    let (code, _) = pty.finish(&mut c, 20);
    assert_eq!(code, 5, "{}", pty.text());
    assert!(pty.text().ends_with("got hello\n^Cinterrupted\n"), "{:?}", pty.text());
}

/// -t --init: a typed ^C reaches the command once. The terminal signals its foreground process
/// group, the command and init; init must not pass its copy on as a second SIGINT.
#[test]
fn tty_init_interrupt_reaches_the_command_once() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let mut pty = Pty::open(24, 80);
    let before = pty.termios();
    // A busy shell takes each signal at once, so that two deliveries rarely merge into one.
    let script = "trap 'echo INT' INT; echo ready; while :; do :; done";
    let mut c = pty.spawn(&["run", "-t", "--init", "-r", r.s(), "sh", "-c", script]);
    pty.wait_for(&mut c, "ready\n", 20);
    let ints = |p: &Pty| p.text().lines().filter(|l| l.ends_with("INT")).count();
    // Several times, as two deliveries close together can merge into one.
    for n in 1..=5 {
        pty.type_in(b"\x03");
        let seen = within(10, || {
            pty.pump();
            ints(&pty) >= n
        });
        assert!(seen, "^C {n} not seen: {:?}", pty.text());
        // Time for a second delivery of the same ^C to show.
        std::thread::sleep(Duration::from_millis(200));
        pty.pump();
        assert_eq!(ints(&pty), n, "{:?}", pty.text());
    }
    // From outside, through runix and init: the command has no TERM trap.
    kill(c.id(), libc::SIGTERM);
    assert_eq!(pty.finish(&mut c, 20).0, 143);
    assert_eq!(pty.termios(), before);
}

/// Exit statuses pass through -t, and the caller's terminal is restored after a kill and
/// after an error.
#[test]
fn tty_exit_status_and_restored_terminal() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    // Killed from outside: 128+9.
    let mut pty = Pty::open(24, 80);
    let before = pty.termios();
    let mut c = pty.spawn(&["run", "-t", "-r", r.s(), "sh", "-c", "echo ready; sleep 100; true"]);
    pty.wait_for(&mut c, "ready", 20);
    let inside = descendants(c.id());
    assert!(!inside.is_empty());
    kill(inside[0].0, libc::SIGKILL);
    assert_eq!(pty.finish(&mut c, 20).0, 137);
    assert_eq!(pty.termios(), before);
    // --init, the command killed by its own SIGTERM: 128+15.
    let mut c = pty.spawn(&["run", "-t", "--init", "-r", r.s(), "sh", "-c", "kill -TERM $$; sleep 5"]);
    assert_eq!(pty.finish(&mut c, 20).0, 143);
    assert_eq!(pty.termios(), before);
    // Errors: the command is not found, with and without --init.
    for init in [&[][..], &["--init"]] {
        let mut args = vec!["run", "-t"];
        args.extend(init);
        args.extend(["-r", r.s(), "no-such-command"]);
        let mut c = pty.spawn(&args);
        let (code, err) = pty.finish(&mut c, 20);
        assert_eq!((code, err.as_str()), (127, "runix: execve(no-such-command): No such file or directory\n"), "{args:?}");
        assert_eq!(pty.termios(), before, "{args:?}");
    }
    let mut c = pty.spawn(&["run", "-t", "-r", r.s(), "sh", "-c", "exit 0"]);
    assert_eq!(pty.finish(&mut c, 20).0, 0);
    assert_eq!(pty.termios(), before);
}

/// A tiny static program (gcc -static) that tries TIOCSTI on fds 0-2 and on /dev/tty and
/// prints what each gave: 0 or the errno. None when there is no static C toolchain.
fn build_tiocsti(r: &Root) -> Option<String> {
    let src = r.path.join("tiocsti.c");
    fs::write(
        &src,
        r#"#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
int main(void) {
    for (int fd = 0; fd < 3; fd++)
        printf("%d ", ioctl(fd, TIOCSTI, "x") == 0 ? 0 : errno);
    int t = open("/dev/tty", O_RDWR);
    printf("%d\n", t < 0 ? errno : ioctl(t, TIOCSTI, "x") == 0 ? 0 : errno);
    return 0;
}
"#,
    )
    .unwrap();
    let bin = r.path.join("bin/tiocsti");
    let ok = Command::new("gcc").args(["-static", "-O2", "-o"]).arg(&bin).arg(&src).status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        skip("the TIOCSTI test needs gcc -static");
        return None;
    }
    Some(bin.display().to_string())
}

/// Without -t the container shares the caller's terminal but is in a session of its own,
/// without a controlling terminal: TIOCSTI cannot push input into the caller's terminal
/// (bubblewrap's CVE-2017-5226).
#[test]
fn tiocsti_cannot_reach_the_callers_terminal() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let Some(helper) = build_tiocsti(&r) else { return };
    // The check works: run on the host, in the terminal's session, the injection succeeds,
    // the terminal echoes it, and it waits to be read by the caller.
    let mut pty = Pty::open(24, 80);
    pty.noncanonical();
    let mut host = Command::new(&helper);
    let tty = || Stdio::from(pty.slave.try_clone().unwrap());
    host.stdin(tty()).stdout(tty()).stderr(tty());
    // SAFETY: as in Pty::spawn.
    unsafe {
        host.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    assert!(host.status().unwrap().success());
    pty.pump();
    assert_eq!((pty.text().matches('x').count(), pty.input_queued()), (4, 4), "control run: {:?}", pty.text());

    // In the container: refused. With dev.tty.legacy_tiocsti=0 (Linux 6.2) the kernel says EIO
    // before it looks at the session.
    let legacy = fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").map_or(true, |s| s.trim() == "1");
    let e = if legacy { libc::EPERM } else { libc::EIO };
    let mut pty = Pty::open(24, 80);
    pty.noncanonical();
    let mut c = pty.spawn(&["run", "-r", r.s(), "/bin/tiocsti"]);
    let (code, err) = pty.finish(&mut c, 20);
    assert_eq!((code, err.as_str()), (0, ""));
    // /dev/tty: ENXIO, there is no controlling terminal to open.
    assert_eq!(pty.text(), format!("{e} {e} {e} {}\n", libc::ENXIO));
    assert_eq!(pty.input_queued(), 0, "input was injected into the caller's terminal");
    assert!(!pty.text().contains('x'));
}

/// Without -t: stdin is passed through as it is; the first process leads a session of its
/// own and has no controlling terminal, even when the caller's stdio is a terminal.
#[test]
fn own_session_without_a_controlling_terminal() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run_in(&["run", "-r", r.s(), "cat"], "hi\n", 20);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "hi\n", ""));
    let o = run_in(&["run", "-r", r.s(), "sh", "-c", "read a; read b; echo $b $a"], "one\ntwo\n", 20);
    assert_eq!(o.stdout, "two one\n");
    // Session (field 6) 1, no controlling terminal (field 7: 0).
    let script = "set -- $(cat /proc/1/stat); echo $6 $7; tty; ps -o pid,sid,comm";
    let o = run(&["run", "-r", r.s(), "sh", "-c", script]);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[..2], ["1 0", "not a tty"], "{}", o.stdout);
    // The caller's terminal as stdio, runix in its session: still not the container's.
    let mut pty = Pty::open(24, 80);
    let script = "set -- $(cat /proc/1/stat); echo $6 $7; test -t 0 && echo stdin is a terminal; echo x > /dev/tty";
    let mut c = pty.spawn(&["run", "-r", r.s(), "sh", "-c", script]);
    let (code, err) = pty.finish(&mut c, 20);
    assert_eq!(code, 1);
    assert_eq!(pty.text(), "1 0\nstdin is a terminal\n");
    assert!(err.contains("/dev/tty: No such device or address"), "{err}");
}

/// `-t` with stdin from a pipe: the end of the input reaches the container as the terminal's
/// end-of-file, so the command ends (without it, `cat` on the pty would wait forever).
#[test]
fn tty_with_piped_input_ends_at_its_end() {
    if !need_root() {
        return;
    }
    let r = Root::busybox();
    let o = run_in(&["run", "-t", "-r", r.s(), "cat"], "hi\n", 20);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The pty echoes the input and cat repeats it, each line ending in \r\n.
    assert_eq!(o.stdout.matches("hi\r\n").count(), 2, "{:?}", o.stdout);
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

/// After a failed check: SIGKILL to what outlived runix, and wait until it is gone.
fn end_all(procs: &[(u32, u64)]) {
    for p in procs.iter().filter(|p| alive(p)) {
        kill(p.0, libc::SIGKILL);
    }
    within(5, || !procs.iter().any(alive));
}

/// What a runix killed by SIGKILL could not remove: its runix-PID cgroups, once empty.
/// Whether none is left.
fn remove_cgroups_of(pid: u32) -> bool {
    let name = format!("runix-{pid}");
    let dirs: Vec<_> = runix_cgroups().into_iter().filter(|d| d.file_name().is_some_and(|n| n == name.as_str())).collect();
    dirs.iter().all(|d| within(5, || fs::remove_dir(d).is_ok() || !d.exists()))
}

/// SIGKILL to a runix still running, and what it leaves behind removed (a test that failed
/// half-way must not leave its cgroups for the next runs to find).
fn kill_runix(child: &mut Child) {
    if child.try_wait().ok().flatten().is_none() {
        let _ = child.kill();
        let _ = child.wait();
        remove_cgroups_of(child.id());
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
        // runix stops at its clone; the child starts held (its first stop).
        let (p, status) = wait(runix_pid);
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
