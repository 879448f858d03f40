//! `-t`: the container's own terminal. A new pty from the container's devpts instance: its
//! slave is the controlling terminal, fds 0-2 and /dev/console inside; its master goes to
//! runix (SCM_RIGHTS, as runc's console socket), which puts the caller's terminal in raw mode
//! and relays both ways. Without `-t`, runix only passes signals on.

use crate::error::Error;
use crate::sys::arch::{TCGETS, TCSETS, TIOCGPTN, TIOCGPTPEER, TIOCGWINSZ, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ, Termios};
use crate::sys::channel::{self, Msg};
use crate::sys::{self, Fd};
use crate::text::After;
use libc::pollfd;

/// Child, in its new session, after the switch into the root: make the pty, take its slave
/// as stdio and (`init`: the container's init) as controlling terminal shown as
/// /dev/console, and send the master to runix. `exec`'s process takes it as its terminal
/// itself (`take_terminal`).
pub fn make_console(sock: Fd, uid: u32, gid: u32, init: bool) -> Result<(), Error> {
    let rw = libc::O_RDWR | libc::O_NOCTTY;
    let master = sys::openat(sys::AT_FDCWD, c"/dev/ptmx", rw, 0)?;
    let (mut unlock, mut n) = (0i32, 0u32);
    sys::ioctl_with(master, TIOCSPTLCK, &mut unlock)?;
    sys::ioctl_with(master, TIOCGPTN, &mut n)?;
    let mut path = crate::buf::CBuf::<24>::from(&[b"/dev/pts/"])?;
    let mut digits = [0u8; 10];
    path.push(crate::text::itoa(n as u64, &mut digits))?;
    // TIOCGPTPEER (Linux 4.13) opens the slave of this master, not whatever has its name; by
    // name only where the kernel lacks it (a /dev/ptmx the image made a link to a slave fails
    // here, with EIO).
    let slave = match sys::ioctl(master, TIOCGPTPEER, (rw | libc::O_CLOEXEC) as usize) {
        Ok(fd) => fd as Fd,
        Err(e) if matches!(e.errno(), libc::ENOTTY | libc::EINVAL) => sys::openat(sys::AT_FDCWD, path.as_cstr(), rw, 0)?,
        Err(e) => return Err(e),
    };
    if uid != 0 {
        sys::fchown(slave, uid, gid)?;
    }
    copy_winsize(0, slave);
    if init {
        sys::ioctl(slave, TIOCSCTTY, 0)?;
    }
    for fd in 0..3 {
        sys::dup3(slave, fd)?;
    }
    if init {
        let f = sys::openat(sys::AT_FDCWD, c"/dev/console", libc::O_CREAT | libc::O_WRONLY | libc::O_NOFOLLOW, 0o600)?;
        sys::close(f)?;
        sys::mount(Some(path.as_cstr()), c"/dev/console", None, sys::MS_BIND, None)?;
    }
    channel::send(sock, Msg::Console(master))?;
    sys::close(master)?;
    sys::close(slave)
}

/// `runix exec`'s process, in a session of its own: its stdin, the pty's slave, as its
/// controlling terminal.
pub fn take_terminal() -> Result<(), Error> {
    sys::ioctl(0, TIOCSCTTY, 0).map(drop)
}

/// `runix create --console-socket PATH`: the pty's master, to the unix socket at PATH as one
/// SCM_RIGHTS fd (runc's way, which conmon and the shims read; the data, a name, is not).
pub fn send_console(path: &core::ffi::CStr, master: Fd) -> Result<(), Error> {
    let r = sys::connect(path.to_bytes()).and_then(|s| {
        let r = crate::sys::channel::send_fd(s, master, b"/dev/ptmx");
        sys::close(s).and(r)
    });
    sys::close(master).and(r)
}

/// The window size of terminal `from`, given to `to`; nothing when `from` is no terminal.
pub fn copy_winsize(from: Fd, to: Fd) {
    let mut ws = [0u16; 4];
    if sys::ioctl_with(from, TIOCGWINSZ, &mut ws).is_ok() {
        let _ = sys::ioctl_with(to, TIOCSWINSZ, &mut ws);
    }
}

/// The caller's terminal in raw mode (cfmakeraw(3)), for as long as this lives.
pub struct Raw {
    fd: Fd,
    saved: Termios,
}

impl Raw {
    /// Raw mode on `fd`, if it is a terminal.
    pub fn enter(fd: Fd) -> Option<Raw> {
        let mut t = Termios { iflag: 0, oflag: 0, cflag: 0, lflag: 0, line: 0, cc: [0; 19] };
        sys::ioctl_with(fd, TCGETS, &mut t).ok()?;
        let saved = t;
        t.iflag &= !(libc::IGNBRK | libc::BRKINT | libc::PARMRK | libc::ISTRIP | libc::INLCR | libc::IGNCR | libc::ICRNL | libc::IXON);
        t.oflag &= !libc::OPOST;
        t.lflag &= !(libc::ECHO | libc::ECHONL | libc::ICANON | libc::ISIG | libc::IEXTEN);
        t.cflag = t.cflag & !(libc::CSIZE | libc::PARENB) | libc::CS8;
        // A read returns as soon as one byte is there.
        t.cc[libc::VMIN] = 1;
        t.cc[libc::VTIME] = 0;
        sys::ioctl_with(fd, TCSETS, &mut t).ok()?;
        Some(Raw { fd, saved })
    }

    pub fn restore(mut self) {
        let _ = sys::ioctl_with(self.fd, TCSETS, &mut self.saved);
    }
}

/// Whether signal `s` asks the container (its first process `pid`) to stop: SIGTERM always, as
/// `docker stop`'s; SIGINT unless that process takes it itself (handles or blocks it: a shell,
/// a REPL, runix's --init), in which case it is its business.
fn asks_to_stop(pid: i32, s: i32) -> bool {
    s == libc::SIGTERM || s == libc::SIGINT && status_signals(pid).is_some_and(|[blk, _, cgt]| (blk | cgt) >> (libc::SIGINT - 1) & 1 == 0)
}

/// The SigBlk, SigIgn and SigCgt sets of /proc/PID/status (0: runix's own, `self`).
pub fn status_signals(pid: i32) -> Option<[u64; 3]> {
    let mut path = crate::buf::CBuf::<32>::new();
    let mut d = [0u8; 10];
    let who = if pid == 0 { &b"self"[..] } else { crate::text::itoa(pid as u64, &mut d) };
    path.push_all(&[b"/proc/", who, b"/status"]).ok()?;
    let mut sets = [0u64; 3];
    let mut found = 0;
    let _ = crate::file::for_each_line(path.as_cstr(), &mut |l| {
        for (key, set) in [&b"SigBlk:\t"[..], b"SigIgn:\t", b"SigCgt:\t"].into_iter().zip(sets.iter_mut()) {
            if let Some(hex) = l.after(key) {
                // 16 hex digits, lower case.
                *set = hex.iter().fold(0, |v, &c| v << 4 | (c as u64 & 0xf) + 9 * (c >> 6) as u64);
                found += 1;
            }
        }
        Ok(found < 3)
    });
    (found == 3).then_some(sets)
}

/// Parent, after the container's execve: pass on the signals of FORWARDED to `pid` (with a
/// pty, a resize is copied to it instead: the kernel then tells the container), relay stdin
/// to the pty and the pty to stdout, until the container's first process exits. Returns its
/// wait status. A container asked to stop (SIGTERM, SIGINT) is killed if it has not exited
/// `stop_s` seconds later, or at a second such signal, as `docker stop` and any CLI do: a PID
/// 1 without handlers ignores both. A SIGINT that PID 1 takes itself (a shell, a REPL: Ctrl-C
/// at a prompt) is only passed on.
pub fn supervise(pid: i32, sigfd: Fd, master: Fd, stop_s: u32) -> Result<i32, Error> {
    let ev = libc::POLLIN;
    let mut fds = [pollfd { fd: sigfd, events: ev, revents: 0 }, pollfd { fd: 0, events: ev, revents: 0 }, pollfd { fd: master, events: ev, revents: 0 }];
    let n = if master < 0 { 1 } else { 3 };
    let mut buf = [0u8; 4096];
    // When the container is killed unless it has exited: milliseconds, monotonic.
    let mut deadline: Option<u64> = None;
    loop {
        let left = deadline.map(|d| d.saturating_sub(sys::monotonic_ms()));
        if sys::poll(&mut fds[..n], left)? == 0 {
            crate::log::say("runix: the container did not stop within --stop-timeout: killing it\n");
            let _ = sys::kill(pid, libc::SIGKILL);
            deadline = None;
            continue;
        }
        if fds[0].revents != 0 {
            match sys::read_signal(sigfd)?.0 {
                libc::SIGCHLD => {
                    let (p, status) = sys::wait(pid, libc::WNOHANG)?;
                    if p == pid {
                        if master >= 0 {
                            // What the container wrote last is still in the pty.
                            while let Ok(k @ 1..) = sys::read(master, &mut buf) {
                                let _ = sys::write_all(1, &buf[..k]);
                            }
                        }
                        return Ok(status);
                    }
                }
                libc::SIGWINCH if master >= 0 => copy_winsize(0, master),
                s if deadline.is_some() && asks_to_stop(pid, s) => {
                    crate::log::say("runix: asked again to stop: killing the container\n");
                    let _ = sys::kill(pid, libc::SIGKILL);
                }
                s => {
                    if asks_to_stop(pid, s) {
                        deadline = Some(sys::monotonic_ms() + stop_s as u64 * 1000);
                    }
                    let _ = sys::kill(pid, s);
                }
            }
        }
        for (from, to) in [(1, master), (2, 1)] {
            if n > 1 && fds[from].revents != 0 {
                match sys::read(fds[from].fd, &mut buf) {
                    Ok(k @ 1..) => {
                        let _ = sys::write_all(to, &buf[..k]);
                    }
                    // EOF or EIO (no slave open any more): stop watching this one. The end of
                    // a piped stdin goes on as the terminal's end-of-file character (^D), so
                    // `echo hi | runix run -t ... cat` ends as it would on a terminal.
                    _ => {
                        if from == 1 {
                            let _ = sys::write_all(master, b"\x04");
                        }
                        fds[from].fd = -1;
                    }
                }
            }
        }
    }
}
