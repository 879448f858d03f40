//! The container on a terminal: `-t` (a pty of its own, relayed in raw mode), the caller's
//! terminal restored, and without `-t` a session of its own, out of reach of the caller's
//! terminal. runix runs on a pty or pipes of the test's own; every wait is bounded.

mod common;
use common::proc::*;
use common::*;
use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
