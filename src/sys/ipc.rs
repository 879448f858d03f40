//! Sockets: the parent/child socket pair, SCM_RIGHTS (unix(7)), and the loopback interface.

use super::{Fd, call, call0, p, pm, read, write, trace};
use crate::error::Error;
use syscalls::Sysno;

/// int socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, int sv[2]);
/// SEQPACKET keeps message boundaries, so one error report is one read.
pub fn socketpair() -> Result<[Fd; 2], Error> {
    let mut sv = [0 as Fd; 2];
    if trace::dry_run() {
        sv = [trace::FAKE_FD, trace::FAKE_FD + 1];
    }
    let ty = (libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC) as u64;
    call0(Sysno::socketpair, libc::AF_UNIX as usize, ty as usize, 0, sv.as_mut_ptr() as usize)?;
    Ok(sv)
}

/// Sync point, child side: block until the parent says go (one byte), or fail if it died.
pub fn sync_wait(fd: Fd) -> Result<(), Error> {
    let mut go = [0u8; 1];
    match read(fd, &mut go)? {
        _ if trace::dry_run() => Ok(()),
        1 => Ok(()),
        _ => Err(Error::msg("parent exited during setup", b"")),
    }
}

/// Sync point, parent side: let the child go on.
pub fn sync_wake(fd: Fd) -> Result<(), Error> {
    write(fd, b"g").map(drop)
}

/// Send a plain-data value (an Error) to our own forked child or parent.
pub fn send<T: Copy>(fd: Fd, v: &T) -> Result<(), Error> {
    // SAFETY: T is Copy plain data; we only view its bytes.
    let bytes = unsafe { core::slice::from_raw_parts(v as *const T as *const u8, core::mem::size_of::<T>()) };
    write(fd, bytes).map(drop)
}

/// What `recv` got.
pub enum Recv {
    /// EOF: the other side closed the channel (for the child, by a successful execve).
    Eof,
    /// A whole value, in `out`.
    Value,
    /// An fd passed with SCM_RIGHTS (the pty master).
    Fd(Fd),
}

/// Receive what the other side of a fork of this same image sent with `send` or `send_fd`.
pub fn recv<T: Copy>(fd: Fd, out: &mut T) -> Result<Recv, Error> {
    let mut m = msg();
    msg_ptrs(&mut m);
    m.iov = libc::iovec { iov_base: out as *mut T as *mut core::ffi::c_void, iov_len: core::mem::size_of::<T>() };
    let flags = libc::MSG_CMSG_CLOEXEC as usize;
    loop {
        let r = call(Sysno::recvmsg, fd as usize, pm(&mut m.msghdr), flags, 0);
        match r {
            Err(e) if e.errno() == libc::EINTR => {}
            // The child died with something unread in its socket (killed during setup, by
            // the OOM killer say): the same as EOF; its wait status says the rest.
            Ok(0) => return Ok(Recv::Eof),
            Err(e) if e.errno() == libc::ECONNRESET => return Ok(Recv::Eof),
            Err(e) => return Err(e),
            Ok(_) if m.msghdr.msg_controllen >= 20 => return Ok(Recv::Fd(m.cmsg[2] as u32 as Fd)),
            // SAFETY (of what `out` now holds): only our own forked process, running this
            // same binary, writes to this socket, and it writes whole values of exactly this
            // type with `send` (SEQPACKET: all or nothing), so the bytes form a valid T.
            Ok(n) if n == core::mem::size_of::<T>() => return Ok(Recv::Value),
            Ok(_) => return Err(Error::sys("recvmsg", libc::EPROTO, b"")),
        }
    }
}

/// sendmsg/recvmsg with one SCM_RIGHTS fd (unix(7)): the pty master, child to parent, as
/// runc's console socket passes it.
#[repr(C)]
struct Msg {
    msghdr: libc::msghdr,
    iov: libc::iovec,
    byte: u8,
    // cmsghdr (len, level, type) and one int, aligned as CMSG_SPACE(sizeof(int)) wants.
    cmsg: [u64; 3],
}

fn msg() -> Msg {
    // SAFETY: msghdr and iovec are plain data; all-zero is valid (pointers set below).
    let mut m: Msg = unsafe { core::mem::zeroed() };
    m.cmsg[0] = 20; // CMSG_LEN(sizeof(int))
    m.cmsg[1] = (libc::SOL_SOCKET as u64) | (libc::SCM_RIGHTS as u64) << 32;
    m
}

fn msg_ptrs(m: &mut Msg) {
    m.iov = libc::iovec { iov_base: &mut m.byte as *mut u8 as *mut core::ffi::c_void, iov_len: 1 };
    m.msghdr.msg_iov = &mut m.iov;
    m.msghdr.msg_iovlen = 1;
    m.msghdr.msg_control = m.cmsg.as_mut_ptr() as *mut core::ffi::c_void;
    m.msghdr.msg_controllen = 24;
}

pub fn send_fd(sock: Fd, fd: Fd) -> Result<(), Error> {
    let mut m = msg();
    m.cmsg[2] = fd as u32 as u64;
    msg_ptrs(&mut m);
    call0(Sysno::sendmsg, sock as usize, pm(&mut m.msghdr), 0, 0)
}

/// Whether the other end of a socket pair is still open: ppoll with a zero timeout reports
/// POLLHUP once it is closed, even while a message it sent ("go") waits unread, where a peek
/// would see that message and not the EOF behind it. Takes nothing from the socket.
pub fn peer_alive(sock: Fd) -> bool {
    let mut fds = [libc::pollfd { fd: sock, events: 0, revents: 0 }];
    let zero = [0u64; 2];
    let r = call(Sysno::ppoll, pm(&mut fds), 1, p(&zero), 0);
    r.is_err() || fds[0].revents & libc::POLLHUP == 0
}

/// Bring the loopback interface up: socket(AF_INET, SOCK_DGRAM), then SIOCSIFFLAGS.
/// A new network namespace has `lo` down (network_namespaces(7)); no netlink needed for this.
pub fn loopback_up() -> Result<(), Error> {
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: i16,
        _pad: [u8; 22],
    }
    let fd = call(Sysno::socket, libc::AF_INET as usize, (libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as usize, 0, 0)?;
    // Nothing else about a new namespace's lo needs keeping: set its flags outright. The
    // socket is close-on-exec; it goes with the execve.
    let mut ifr = IfReq { name: [0; 16], flags: (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as i16, _pad: [0; 22] };
    ifr.name[..2].copy_from_slice(b"lo");
    call0(Sysno::ioctl, fd, libc::SIOCSIFFLAGS as usize, p(&ifr), 0).map_err(|e| Error::sys("ioctl(SIOCSIFFLAGS)", e.errno(), b"lo"))
}
