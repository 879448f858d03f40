//! The channel between runix and the container's process: one AF_UNIX SOCK_SEQPACKET socket
//! pair (a message is read whole, in one call) and the one type that crosses it, `Msg`. Both
//! ends are close-on-exec: the command's execve closes the child's, which runix reads as the
//! end of the channel, its sign that the command runs.
//!
//! Only runix holds an end, or a clone of runix that has not exec'd yet: every message was
//! written by this same executable, at the same addresses. That is what lets an error cross
//! whole, the address of its name included.

use super::{Fd, call, call0, p, pm, trace};
use crate::error::{Error, Kept};
use core::mem::{MaybeUninit, size_of};
use super::arch::nr;

/// What runix and the container's process say to each other, in the order they say it (run.rs
/// has the sync points). The end of the channel is `recv`'s None.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub enum Msg {
    /// runix to the child: the user namespace's maps are written, go on (sync 1).
    Go,
    /// The child to runix, with -t: the pty's master, passed as SCM_RIGHTS (unix(7)), as
    /// runc's console socket passes it.
    Console(Fd),
    /// The child to runix, under `runix create`: all is set up, it waits for `start` (sync 2).
    Ready,
    /// The child to runix: the setup or the command's execve failed (sync 2).
    Failed(Error),
    /// `runix exec`'s child to runix: the process it started (its host pid), runix's child too.
    Started(i32),
}

/// int socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, int sv[2]);
/// SEQPACKET keeps message boundaries, so one error report is one read.
pub fn socketpair() -> Result<[Fd; 2], Error> {
    let mut sv = [0 as Fd; 2];
    if trace::dry_run() {
        sv = [trace::FAKE_FD, trace::FAKE_FD + 1];
    }
    let ty = (libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC) as u64;
    call0(nr::socketpair, libc::AF_UNIX as usize, ty as usize, 0, sv.as_mut_ptr() as usize)?;
    Ok(sv)
}

/// Send `msg` in one call: Go and Ready as one byte, Started as the 4 bytes of the pid,
/// Failed as the error kept whole (8), each with write(2); Console as one byte and the fd,
/// with `send_fd`.
pub fn send(sock: Fd, msg: Msg) -> Result<(), Error> {
    let kept;
    let (buf, len) = match msg {
        Msg::Go => (b"g".as_ptr() as usize, 1),
        Msg::Ready => (b"r".as_ptr() as usize, 1),
        Msg::Started(ref pid) => (p(pid), 4),
        Msg::Console(fd) => return send_fd(sock, fd, b"c"),
        Msg::Failed(e) => {
            kept = Kept::new(e);
            (p(&kept), size_of::<Kept>())
        }
    };
    call0(nr::write, sock as usize, buf, len, 0)
}

/// sendmsg(2) of `data` with `fd` as SCM_RIGHTS (unix(7)): also how a console socket gets
/// the pty's master.
pub fn send_fd(sock: Fd, fd: Fd, data: &[u8]) -> Result<(), Error> {
    let mut h = Hdr::new(data.as_ptr() as usize, data.len());
    h.cmsg.fd = fd;
    call0(nr::sendmsg, sock as usize, h.ptr(), 0, 0)
}

/// The next message; None once the other end is closed, or its process is gone with a
/// message unread (killed during its setup, by the OOM killer say: its wait status says the
/// rest).
pub fn recv(sock: Fd) -> Result<Option<Msg>, Error> {
    let mut kept = MaybeUninit::<Kept>::uninit();
    let mut h = Hdr::new(kept.as_mut_ptr() as usize, size_of::<Kept>());
    let flags = libc::MSG_CMSG_CLOEXEC as usize;
    let n = loop {
        match call(nr::recvmsg, sock as usize, h.ptr(), flags, 0) {
            Err(e) if e.errno() == libc::EINTR => {}
            Ok(0) => return Ok(None),
            Err(e) if e.errno() == libc::ECONNRESET => return Ok(None),
            r => break r?,
        }
    };
    match (h.msghdr.msg_controllen as usize >= CMSG_LEN, n) {
        (true, 1) => Ok(Some(Msg::Console(h.cmsg.fd))),
        // SAFETY: the byte was received.
        (false, 1) => Ok(Some(if unsafe { *(kept.as_ptr() as *const u8) } == b'r' { Msg::Ready } else { Msg::Go })),
        // SAFETY: all of a Kept's bytes came, and only `send` sends so many: they are those of
        // a Kept in this same executable, at the same addresses (the module's header says why
        // no other code can write to the channel), so they make that Kept again.
        (false, n) if n == size_of::<Kept>() => Ok(Some(Msg::Failed(unsafe { kept.assume_init() }.error()))),
        // SAFETY: the 4 bytes of an i32 were received.
        (false, 4) => Ok(Some(Msg::Started(unsafe { (kept.as_ptr() as *const i32).read_unaligned() }))),
        _ => Err(Error::sys("recvmsg", libc::EPROTO, b"")),
    }
}

/// A msghdr for one message of `len` bytes at `buf`, with room for one SCM_RIGHTS fd.
#[repr(C)]
struct Hdr {
    msghdr: libc::msghdr,
    iov: libc::iovec,
    cmsg: Cmsg,
}

/// A cmsghdr (len, level, type) and one int: CMSG_SPACE(sizeof(int)) bytes, as the kernel
/// wants them aligned (to a long, 8 or 4 bytes).
#[repr(C)]
struct Cmsg {
    hdr: libc::cmsghdr,
    fd: Fd,
}

/// CMSG_LEN(sizeof(int)): the header and the int, without the padding after it.
const CMSG_LEN: usize = core::mem::offset_of!(Cmsg, fd) + size_of::<Fd>();

impl Hdr {
    #[inline(never)]
    fn new(buf: usize, len: usize) -> Hdr {
        // SAFETY: msghdr and iovec are plain data; all-zero is valid (pointers set in `ptr`).
        let mut h: Hdr = unsafe { core::mem::zeroed() };
        h.iov = libc::iovec { iov_base: buf as *mut core::ffi::c_void, iov_len: len };
        h.cmsg.hdr.cmsg_len = CMSG_LEN as _;
        (h.cmsg.hdr.cmsg_level, h.cmsg.hdr.cmsg_type) = (libc::SOL_SOCKET, libc::SCM_RIGHTS);
        h
    }

    /// The msghdr's address for the syscall, its pointers set to where this Hdr now is.
    fn ptr(&mut self) -> usize {
        self.msghdr.msg_iov = &mut self.iov;
        self.msghdr.msg_iovlen = 1;
        self.msghdr.msg_control = &mut self.cmsg as *mut Cmsg as *mut core::ffi::c_void;
        self.msghdr.msg_controllen = size_of::<Cmsg>() as _;
        pm(&mut self.msghdr)
    }
}

/// Whether the other end of a socket pair is still open: ppoll with a zero timeout reports
/// POLLHUP once it is closed, even while a message it sent ("go") waits unread, where a peek
/// would see that message and not the EOF behind it. Takes nothing from the socket.
pub fn peer_alive(sock: Fd) -> bool {
    let mut fds = [libc::pollfd { fd: sock, events: 0, revents: 0 }];
    let zero = [0u64; 2];
    let r = call(nr::ppoll, pm(&mut fds), 1, p(&zero), 0);
    r.is_err() || fds[0].revents & libc::POLLHUP == 0
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{HINT_USERNS, tests::show};
    use crate::sys::{AT_FDCWD, close, fstat, openat, write};

    /// Through a real socket pair (no recording: the calls go to the kernel).
    #[test]
    fn each_message_crosses_whole() {
        let [a, b] = socketpair().unwrap();
        send(a, Msg::Go).unwrap();
        assert!(matches!(recv(b), Ok(Some(Msg::Go))));
        send(b, Msg::Ready).unwrap();
        assert!(matches!(recv(a), Ok(Some(Msg::Ready))));

        let e = Error::exec(libc::EACCES, b"/bin/sh").hint(HINT_USERNS);
        let want = show(&e);
        send(b, Msg::Failed(e)).unwrap();
        // Errors made meanwhile take the slots the path was in.
        let _ = (Error::sys("x", 1, b"/x"), Error::sys("y", 1, b"/y"));
        match recv(a) {
            Ok(Some(Msg::Failed(got))) => {
                assert_eq!(show(&got), want);
                assert_eq!((got.what(), got.errno(), got.exit_code()), ("execve", libc::EACCES, 126));
            }
            other => panic!("{other:?}"),
        }

        let null = openat(AT_FDCWD, c"/dev/null", libc::O_RDONLY, 0).unwrap();
        send(b, Msg::Console(null)).unwrap();
        match recv(a) {
            Ok(Some(Msg::Console(fd))) => {
                assert_ne!(fd, null);
                let (sent, got) = (fstat(null).unwrap(), fstat(fd).unwrap());
                assert_eq!((got.dev, got.ino), (sent.dev, sent.ino));
                close(fd).unwrap();
            }
            other => panic!("{other:?}"),
        }
        close(null).unwrap();

        // The end: the other end closed.
        close(a).unwrap();
        assert!(matches!(recv(b), Ok(None)));
        close(b).unwrap();
    }

    #[test]
    fn bytes_of_no_message_are_an_error() {
        let [a, b] = socketpair().unwrap();
        write(a, b"xy").unwrap();
        let e = recv(b).unwrap_err();
        assert_eq!((e.what(), e.errno()), ("recvmsg", libc::EPROTO));
        close(a).unwrap();
        close(b).unwrap();
    }
}
