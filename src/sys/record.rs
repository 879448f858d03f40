//! Test builds only: a recording backend behind the one syscall door (`sys::call5`).
//!
//! A test starts a [`Recording`]; from then on, on that test's thread, every syscall (and
//! clone, whose trampoline sys/proc.rs swaps for [`runix_clone`] here: no process is made) is
//! written down as `--trace` shows it (`mount("proc", "/proc", "proc", MS_NOSUID, NULL) = 0`),
//! in one ordered list, and answered by the test instead of the kernel: a call whose line
//! contains a pattern given to [`Recording::fail`] fails with its errno; a [`Recording::answer`]
//! function may answer any call (fill a `struct stat`, say); the rest get what `--dry-run`
//! gives (0, a fake fd, all bytes written), or with [`Kernel::Real`], the kernel's answer.
//! Without a recording, calls go to the kernel as in the binary.
//!
//! So the plan, rootfs and the sequence are tested without root, error paths included, with
//! no test hook in production code: the code under test cannot tell.

use super::channel::Msg;
use super::{Fd, trace};
use crate::error::Kept;
use core::mem::size_of;
use std::cell::RefCell;
use std::string::String;
use std::vec::Vec;
use syscalls::Sysno;

/// Who answers the calls no pattern or answer function takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kernel {
    /// `--dry-run`'s harmless fakes: nothing is made.
    Fake,
    /// The real kernel (tests that work in a temporary directory).
    Real,
}

/// A test's answer to one call: Some(return value, or -errno), or None to let it through.
pub type Answer = Box<dyn FnMut(Sysno, &[usize; 6]) -> Option<isize>>;

struct State {
    kernel: Kernel,
    calls: Vec<String>,
    fails: Vec<(String, i32)>,
    answer: Option<Answer>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// A recording on this thread, until dropped.
pub struct Recording(());

impl Recording {
    pub fn start(kernel: Kernel) -> Recording {
        STATE.with(|s| *s.borrow_mut() = Some(State { kernel, calls: Vec::new(), fails: Vec::new(), answer: None }));
        Recording(())
    }

    /// Calls whose line (arguments, as --trace shows them) contains `pattern` fail with `errno`.
    pub fn fail(&self, pattern: &str, errno: i32) -> &Self {
        with(|s| s.fails.push((pattern.into(), errno)));
        self
    }

    /// `f` answers each call first; None lets the call through to the patterns and the kernel.
    pub fn answer(&self, f: impl FnMut(Sysno, &[usize; 6]) -> Option<isize> + 'static) -> &Self {
        with(|s| s.answer = Some(Box::new(f)));
        self
    }

    /// The calls so far, in order, each as --trace shows it, without the `[parent] ` tag.
    pub fn calls(&self) -> Vec<String> {
        with(|s| s.calls.clone())
    }

    /// The calls so far as one text, a line each: for `assert_eq!` with a readable diff.
    pub fn text(&self) -> String {
        self.calls().iter().map(|c| c.clone() + "\n").collect()
    }

    /// Forget the calls so far.
    pub fn clear(&self) {
        with(|s| s.calls.clear());
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        STATE.with(|s| *s.borrow_mut() = None);
    }
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(s.borrow_mut().as_mut().expect("no recording on this thread")))
}

fn recording() -> bool {
    STATE.with(|s| s.borrow().is_some())
}

/// The door's backend in test builds.
pub fn call(nr: Sysno, a: &[usize; 6]) -> isize {
    if !recording() {
        return super::kernel(nr, a);
    }
    reply(nr, a, |kernel| match kernel {
        Kernel::Real => super::kernel(nr, a),
        Kernel::Fake => trace::fake(nr, a),
    })
}

/// `arch::runix_clone` in test builds (sys/proc.rs swaps it in, as the door is swapped):
/// under a recording, clone is written down and answered as any call is, by the answer
/// function or a pattern, else with a fake pid (--dry-run's); no process is made, with either
/// kernel, for a copy of the test process would run the container's setup on the host.
/// Without a recording, the CPU's clone.
///
/// # Safety
///
/// As `arch::runix_clone`'s: the stack is a live, unused mapping, and `f` never returns.
pub unsafe fn runix_clone(flags: usize, stack_top: usize, f: extern "C" fn(usize) -> !, arg: usize) -> isize {
    if !recording() {
        // SAFETY: the caller's promise, passed on.
        return unsafe { super::arch::runix_clone(flags, stack_top, f, arg) };
    }
    reply(Sysno::clone, &[flags, stack_top, 0, 0, 0, 0], |_| trace::FAKE_FD as isize)
}

/// Answer one call under the recording (the answer function, else the patterns, else
/// `kernel`), and write it down.
fn reply(nr: Sysno, a: &[usize; 6], kernel: impl FnOnce(Kernel) -> isize) -> isize {
    let shown = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
    // The answer function runs with the state released: it may make calls of its own.
    let mut answer = with(|s| s.answer.take());
    let mut r = answer.as_mut().and_then(|f| f(nr, a));
    with(|s| {
        if s.answer.is_none() {
            s.answer = answer;
        }
        if r.is_none() {
            r = s.fails.iter().find(|(p, _)| shown.contains(p.as_str())).map(|&(_, e)| -(e as isize));
        }
    });
    let r = r.unwrap_or_else(|| kernel(with(|s| s.kernel)));
    let line = String::from_utf8_lossy(trace::line(nr, a, r).bytes()).into_owned();
    let untagged = line.split_once("] ").map_or(line.as_str(), |(_, rest)| rest).to_string();
    with(|s| s.calls.push(untagged));
    r
}

/// Where each of `steps` is first in `calls` (a call that starts with it), in order.
pub fn positions(calls: &[String], steps: &[&str]) -> Vec<Option<usize>> {
    steps.iter().map(|s| calls.iter().position(|c| c.starts_with(s))).collect()
}

/// Whether every one of `steps` is in `calls`, in that order.
pub fn in_order(calls: &[String], steps: &[&str]) -> bool {
    let at = positions(calls, steps);
    at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1])
}

/// For an answer function: newfstatat's reply, `st` written to the caller's struct stat.
/// None for any other call.
pub fn reply_stat(nr: Sysno, a: &[usize; 6], st: &super::Stat) -> Option<isize> {
    if nr != Sysno::newfstatat {
        return None;
    }
    // SAFETY: newfstatat's third argument points to the caller's struct stat (sys::fstat's
    // own), live and its alone for the call.
    let out = unsafe { &mut *(a[2] as *mut libc::stat) };
    (out.st_dev, out.st_ino, out.st_mode, out.st_rdev, out.st_size) = (st.dev, st.ino, st.mode, st.rdev, st.size as i64);
    Some(0)
}

/// For an answer function: getcwd's reply, `dir` written to the caller's buffer. None for any
/// other call, or a buffer too small.
pub fn reply_getcwd(nr: Sysno, a: &[usize; 6], dir: &[u8]) -> Option<isize> {
    if nr != Sysno::getcwd || dir.len() >= a[1] {
        return None;
    }
    // SAFETY: getcwd's arguments are the caller's buffer and its length (sys::getcwd's), live
    // and its alone for the call.
    let buf = unsafe { core::slice::from_raw_parts_mut(a[0] as *mut u8, a[1]) };
    buf[..dir.len()].copy_from_slice(dir);
    buf[dir.len()] = 0;
    Some(dir.len() as isize + 1)
}

/// For an answer function: statfs's reply, a struct statfs of type `f_type`. None for any
/// other call.
pub fn reply_statfs(nr: Sysno, a: &[usize; 6], f_type: u64) -> Option<isize> {
    if nr != Sysno::statfs && nr != Sysno::fstatfs {
        return None;
    }
    // SAFETY: statfs's second argument points to the caller's struct statfs (sys::mount's
    // statfs buffer of 15 u64s), live and its alone for the call; f_type is its first.
    unsafe { *(a[1] as *mut u64) = f_type };
    Some(0)
}

/// For an answer function: read's reply on `fd`, the front of `data`, which is advanced past
/// what was given (nothing left: end of file). None for any other call.
pub fn reply_read(nr: Sysno, a: &[usize; 6], fd: Fd, data: &mut &[u8]) -> Option<isize> {
    if nr != Sysno::read || a[0] != fd as usize {
        return None;
    }
    let n = data.len().min(a[2]);
    // SAFETY: read's arguments are the caller's buffer and its length, live and its alone for
    // the call; n is at most that length.
    unsafe { core::slice::from_raw_parts_mut(a[1] as *mut u8, n) }.copy_from_slice(&data[..n]);
    *data = &data[n..];
    Some(n as isize)
}

/// For an answer function: socketpair's reply, `fds` written to the caller's int[2].
pub fn reply_socketpair(nr: Sysno, a: &[usize; 6], fds: [Fd; 2]) -> Option<isize> {
    if nr != Sysno::socketpair {
        return None;
    }
    // SAFETY: socketpair's fourth argument points to the caller's int[2] (channel::socketpair's
    // own), live and its alone for the call.
    unsafe { *(a[3] as *mut [Fd; 2]) = fds };
    Some(0)
}

/// For an answer function: wait4's reply, the child `pid` with wait status `status`.
pub fn reply_wait4(nr: Sysno, a: &[usize; 6], pid: i32, status: i32) -> Option<isize> {
    if nr != Sysno::wait4 {
        return None;
    }
    // SAFETY: wait4's second argument points to the caller's int (sys::wait's), live and its
    // alone for the call.
    unsafe { *(a[1] as *mut i32) = status };
    Some(pid as isize)
}

/// For an answer function: ppoll's reply, each pollfd's revents as `ready` says of its fd;
/// how many are ready.
pub fn reply_poll(nr: Sysno, a: &[usize; 6], ready: impl Fn(Fd) -> i16) -> Option<isize> {
    if nr != Sysno::ppoll {
        return None;
    }
    // SAFETY: ppoll's first two arguments are the caller's pollfd array and its length
    // (sys::poll's, peer_alive's), live and its alone for the call.
    let fds = unsafe { core::slice::from_raw_parts_mut(a[0] as *mut libc::pollfd, a[1]) };
    let mut n = 0;
    for f in fds.iter_mut() {
        f.revents = ready(f.fd);
        n += (f.revents != 0) as isize;
    }
    Some(n)
}

/// For an answer function: the reply to a read of a signalfd, one struct signalfd_siginfo of
/// signal `signo`, sent with kill(2) (SI_USER). None for any other call, or a buffer too small.
pub fn reply_signal(nr: Sysno, a: &[usize; 6], signo: i32) -> Option<isize> {
    const SIZE: usize = 128;
    if nr != Sysno::read || a[2] < SIZE {
        return None;
    }
    // SAFETY: read's arguments are the caller's buffer and its length (sys::read_signal's),
    // live and its alone for the call.
    let buf = unsafe { core::slice::from_raw_parts_mut(a[1] as *mut u8, SIZE) };
    buf.fill(0);
    buf[..4].copy_from_slice(&(signo as u32).to_ne_bytes());
    Some(SIZE as isize)
}

/// For an answer function: recvmsg's reply, `msg` as channel::send sends it; None is the end
/// of the channel (the other end closed).
pub fn reply_recvmsg(nr: Sysno, a: &[usize; 6], msg: Option<Msg>) -> Option<isize> {
    if nr != Sysno::recvmsg {
        return None;
    }
    // SAFETY: recvmsg's second argument points to the caller's msghdr (channel::recv's), live
    // and its alone for the call, as are its one iovec and its control buffer (room for a
    // cmsghdr and an int, channel::Hdr's cmsg).
    let h = unsafe { &mut *(a[1] as *mut libc::msghdr) };
    // SAFETY: (above)
    let (buf, room) = unsafe { ((*h.msg_iov).iov_base as *mut u8, (*h.msg_iov).iov_len) };
    h.msg_controllen = 0;
    let (n, byte) = match msg {
        None => return Some(0),
        Some(Msg::Go) => (1, b'g'),
        Some(Msg::Ready) => (1, b'r'),
        Some(Msg::Console(fd)) => {
            let cmsg = [20, (libc::SOL_SOCKET as u64) | (libc::SCM_RIGHTS as u64) << 32, fd as u32 as u64];
            // SAFETY: the control buffer (above) holds these three words, aligned for them.
            unsafe { *(h.msg_control as *mut [u64; 3]) = cmsg };
            h.msg_controllen = 24;
            (1, b'c')
        }
        Some(Msg::Started(pid)) => {
            // SAFETY: the buffer (above) has room for a Kept, more than these 4 bytes.
            unsafe { (buf as *mut i32).write_unaligned(pid) };
            return Some(4);
        }
        Some(Msg::Failed(e)) => {
            assert!(room >= size_of::<Kept>());
            // SAFETY: the buffer (above) has room for a Kept, which `write_unaligned` needs
            // not be aligned for; all its bytes arrive, as channel::send's would.
            unsafe { (buf as *mut Kept).write_unaligned(Kept::new(e)) };
            return Some(size_of::<Kept>() as isize);
        }
    };
    assert!(room >= 1);
    // SAFETY: the buffer (above) has room for the byte.
    unsafe { *buf = byte };
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_order_and_fails_what_it_is_told() {
        let rec = Recording::start(Kernel::Fake);
        rec.fail("\"/x\"", libc::EACCES);
        assert!(super::super::mkdir(c"/tmp/made-by-no-one", 0o700).is_ok());
        let e = super::super::rmdir(c"/x").unwrap_err();
        assert_eq!((e.what(), e.errno()), ("rmdir", libc::EACCES));
        assert_eq!(rec.text(), "mkdirat(AT_FDCWD, \"/tmp/made-by-no-one\", 0700) = 0\nunlinkat(AT_FDCWD, \"/x\", AT_REMOVEDIR) = -1 EACCES (Permission denied)\n");
    }

    #[test]
    fn an_answer_comes_first_and_the_kernel_only_when_asked() {
        let rec = Recording::start(Kernel::Fake);
        rec.answer(|nr, _| (nr == Sysno::getpid).then_some(7));
        assert_eq!(super::super::getpid(), 7);
        drop(rec);
        assert_eq!(super::super::getpid(), std::process::id() as i32);
        let rec = Recording::start(Kernel::Real);
        assert_eq!(super::super::getpid(), std::process::id() as i32);
        assert_eq!(rec.calls().len(), 1);
    }

    /// Under a recording, with either kernel, clone makes no process: it is written down and
    /// answered as any call.
    #[test]
    fn clone_is_recorded_not_made() {
        fn child(_: &()) -> ! {
            unreachable!("a clone under a recording ran its child")
        }
        let fake = Recording::start(Kernel::Fake);
        let stack = super::super::mmap_stack(128 << 10).unwrap();
        drop(fake);
        for kernel in [Kernel::Fake, Kernel::Real] {
            let rec = Recording::start(kernel);
            let clone = || super::super::clone(libc::SIGCHLD as u64, &stack, child, &()).map_err(|e| e.errno());
            assert_eq!(clone(), Ok(trace::FAKE_FD));
            rec.answer(|nr, _| (nr == Sysno::clone).then_some(42));
            assert_eq!(clone(), Ok(42));
            rec.answer(|_, _| None).fail("clone(", libc::EAGAIN);
            assert_eq!(clone(), Err(libc::EAGAIN));
            let line = "clone(0|SIGCHLD, 0x21000) = ";
            assert_eq!(rec.calls(), [1000, 42].map(|r| format!("{line}{r}")).into_iter().chain([format!("{line}-1 EAGAIN (Resource temporarily unavailable)")]).collect::<Vec<_>>());
        }
    }

    /// The replies fill what the caller reads, as the kernel would.
    #[test]
    fn replies_fill_the_callers_structs() {
        use super::super::{channel, poll, read_signal, socketpair, wait4};
        let rec = Recording::start(Kernel::Fake);
        rec.answer(|nr, a| {
            reply_socketpair(nr, a, [7, 8])
                .or_else(|| reply_wait4(nr, a, 5, 9))
                .or_else(|| reply_poll(nr, a, |fd| if fd == 8 { libc::POLLIN } else { 0 }))
                .or_else(|| reply_signal(nr, a, libc::SIGTERM))
        });
        assert_eq!(socketpair().unwrap(), [7, 8]);
        assert_eq!(wait4(5).unwrap(), 9);
        let mut fds = [libc::pollfd { fd: 7, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: 8, events: libc::POLLIN, revents: 0 }];
        assert_eq!(poll(&mut fds, None).unwrap(), 1);
        assert_eq!((fds[0].revents, fds[1].revents), (0, libc::POLLIN));
        assert_eq!(read_signal(8).unwrap().0, libc::SIGTERM);
        let said = std::cell::RefCell::new(std::vec![None, Some(Msg::Console(6)), Some(Msg::Go)]);
        rec.answer(move |nr, a| reply_recvmsg(nr, a, said.borrow_mut().pop()?));
        assert!(matches!(channel::recv(7), Ok(Some(Msg::Go))));
        assert!(matches!(channel::recv(7), Ok(Some(Msg::Console(6)))));
        assert!(matches!(channel::recv(7), Ok(None)));
        let e = crate::error::Error::sys("mount", libc::EPERM, b"/proc");
        rec.answer(move |nr, a| reply_recvmsg(nr, a, Some(Msg::Failed(e))));
        match channel::recv(7) {
            Ok(Some(Msg::Failed(e))) => assert_eq!(crate::error::tests::show(&e), "mount(/proc): Operation not permitted"),
            other => panic!("{other:?}"),
        }
    }
}
