//! Processes and signals: clone(2) on a stack of its own, wait4(2), kill(2), execve(2),
//! exit_group(2), the ids, rt_sigprocmask(2), signalfd4(2), ppoll(2), rt_sigaction(2), and
//! the clocks.

use super::{Args, CList, Fd, arch, call, call0, call5, call_fd, p, pm, read, s, trace};
use crate::error::Error;
use core::ffi::{CStr, c_char};
use super::arch::nr;

/// Where clone leads: the CPU's trampoline, or in test builds the recording backend, which
/// makes no process while a test records (record.rs), as the door's backend is swapped.
#[cfg(not(test))]
use arch::runix_clone;
#[cfg(test)]
use super::record::runix_clone;

/// The child's stack: an anonymous mapping with a PROT_NONE guard page below it, so an
/// overflow faults instead of silently writing over other memory.
pub struct Stack {
    top: usize,
}

/// void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
pub fn mmap_stack(size: usize) -> Result<Stack, Error> {
    const PAGE: usize = 4096;
    let base = call5(nr::mmap, 0, size + PAGE, (libc::PROT_READ | libc::PROT_WRITE) as usize, (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK) as usize, usize::MAX)?;
    // int mprotect(void *addr, size_t len, int prot): the lowest page becomes the guard.
    call0(nr::mprotect, base, PAGE, 0, 0)?;
    Ok(Stack { top: base + PAGE + size })
}

/// long clone(unsigned long flags, void *stack, ...): the child runs `child(arg)` on `stack`
/// and never returns into the caller's frames (see arch::runix_clone).
pub fn clone<T>(flags: u64, stack: &Stack, child: fn(&T) -> !, arg: &T) -> Result<i32, Error> {
    struct Start<'a, T> {
        child: fn(&T) -> !,
        arg: &'a T,
    }
    extern "C" fn trampoline<T>(start: usize) -> ! {
        // SAFETY: `start` is the address of the Start below, in the parent's stack frame as it
        // was at clone time. Without CLONE_VM the child owns a copy of that memory, which
        // nobody else changes, so the reference and what it points to stay valid.
        let s: &Start<'_, T> = unsafe { &*(start as *const Start<'_, T>) };
        (s.child)(s.arg)
    }
    let start = Start { child, arg };
    clone_raw(flags, stack, trampoline::<T>, &start as *const _ as usize)
}

/// The part of `clone` that does not depend on T (one copy in the binary, not one per T).
#[inline(never)]
fn clone_raw(flags: u64, stack: &Stack, f: extern "C" fn(usize) -> !, arg: usize) -> Result<i32, Error> {
    debug_assert!(flags & libc::CLONE_VM as u64 == 0);
    let args = [flags as usize, stack.top, 0, 0, 0, 0];
    if trace::dry_run() {
        trace::show(nr::clone, &args, trace::NOT_ISSUED);
        return Ok(trace::FAKE_FD);
    }
    // SAFETY: the stack mapping is live and unused, and `f` starts the child on it without
    // returning into our frames (see arch::runix_clone and `clone`).
    let r = unsafe { runix_clone(flags as usize, stack.top, f, arg) };
    if trace::mode() == trace::TRACE && r != 0 {
        trace::show(nr::clone, &args, r);
    }
    if trace::failed(r) {
        return Err(trace::error(nr::clone, &args, r));
    }
    Ok(r as i32)
}

/// pid_t wait4(pid_t pid, int *wstatus, int options, struct rusage *rusage);
/// Retries on EINTR; returns the raw wait status.
pub fn wait4(pid: i32) -> Result<i32, Error> {
    wait(pid, 0).map(|(_, status)| status)
}

/// wait4(pid, &status, options, NULL): (pid, status); pid 0 when WNOHANG found nothing.
pub fn wait(pid: i32, options: i32) -> Result<(i32, i32), Error> {
    let mut status: i32 = 0;
    loop {
        let r = call(nr::wait4, pid as usize, pm(&mut status), options as usize, 0);
        match r {
            Err(e) if e.errno() == libc::EINTR => continue,
            r => return r.map(|p| (p as i32, status)),
        }
    }
}

/// int kill(pid_t pid, int sig);
pub fn kill(pid: i32, signal: i32) -> Result<(), Error> {
    call0(nr::kill, pid as usize, signal as usize, 0, 0)
}

/// int execve(const char *path, char *const argv[], char *const envp[]);
/// Returns only on failure.
pub fn execve<const N: usize>(path: &CStr, argv: Args, envp: &CList<N>) -> Error {
    let r = call(nr::execve, s(path), argv.as_ptr(), envp.as_ptr(), 0);
    Error::exec(r.err().map_or(0, |e| e.errno()), path.to_bytes())
}

/// runix from a sealed copy of itself: a process of a container that runs runix again (an
/// image's `#!/proc/self/exe`) could otherwise open the host's binary through /proc/PID/exe
/// and write it once runix has exited (CVE-2019-5736); a memfd with its writes sealed cannot
/// be changed. Re-executes runix from the copy (execveat, as runc and crun) unless it runs
/// from one already; returns then.
pub fn reexec_sealed(argv: Args, envp: Args) -> Result<(), Error> {
    const SEALS: usize = (libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE) as usize;
    let exe = super::openat(super::AT_FDCWD, c"/proc/self/exe", libc::O_RDONLY, 0)?;
    let r = match call(nr::fcntl, exe as usize, libc::F_GET_SEALS as usize, 0, 0) {
        // (Its name then is the memfd's: `ps` shows runix.)
        Ok(seals) if seals & SEALS == SEALS => call0(nr::prctl, libc::PR_SET_NAME as usize, s(c"runix"), 0, 0),
        _ => call_fd(nr::memfd_create, s(c"runix"), (libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) as usize, 0, 0).and_then(|m| {
            let copied = (|| {
                while call(nr::sendfile, m as usize, exe as usize, 0, 1 << 20)? > 0 {}
                call(nr::fcntl, m as usize, libc::F_ADD_SEALS as usize, SEALS, 0)?;
                // Returns only on failure: its error is runix's (125), not a command's.
                call5(nr::execveat, m as usize, s(c""), argv.as_ptr(), envp.as_ptr(), libc::AT_EMPTY_PATH as usize).map(drop)
            })();
            super::close(m)?;
            copied
        }),
    };
    super::close(exe)?;
    r
}

/// Run the program `argv[0]` (an absolute path) with `argv` and an empty environment, and
/// wait for it: fork (a clone on a stack of its own) and execve, as posix_spawn(3) does.
/// Returns the wait status; 127 << 8 when it could not be executed.
pub fn spawn(argv: &[&CStr]) -> Result<i32, Error> {
    let mut ptrs = [core::ptr::null::<c_char>(); 12];
    for (slot, a) in ptrs.iter_mut().zip(argv.iter().take(11)) {
        *slot = a.as_ptr();
    }
    fn child(ptrs: &[*const c_char; 12]) -> ! {
        let env = [core::ptr::null::<c_char>()];
        let _ = call(nr::execve, ptrs[0] as usize, ptrs.as_ptr() as usize, env.as_ptr() as usize, 0);
        exit_group(127)
    }
    let stack = mmap_stack(16 * 1024)?;
    let pid = clone(libc::SIGCHLD as u64, &stack, child, &ptrs)?;
    wait4(pid)
}

/// int pidfd_open(pid_t pid, 0) (Linux 5.3): an fd that polls readable once `pid` has exited.
pub fn pidfd_open(pid: i32) -> Result<Fd, Error> {
    call_fd(nr::pidfd_open, pid as usize, 0, 0, 0)
}

/// Whether `pid` is a child of runix's: waitid(P_PID, pid, WEXITED|WNOHANG|WNOWAIT), which
/// reaps nothing.
pub fn is_child(pid: i32) -> bool {
    let mut info = [0u64; 16]; // siginfo_t
    call5(nr::waitid, libc::P_PID as usize, pid as usize, pm(&mut info), (libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) as usize, 0).is_ok()
}

/// int pidfd_send_signal(int pidfd, int sig, NULL, 0) (Linux 5.1): the signal goes to that
/// process, never to another that got its pid since.
pub fn pidfd_send_signal(pidfd: Fd, sig: i32) -> Result<(), Error> {
    call0(nr::pidfd_send_signal, pidfd as usize, sig as usize, 0, 0)
}

/// uid_t geteuid(void);
pub fn geteuid() -> u32 {
    call(nr::geteuid, 0, 0, 0, 0).unwrap_or(0) as u32
}

/// gid_t getegid(void);
pub fn getegid() -> u32 {
    call(nr::getegid, 0, 0, 0, 0).unwrap_or(0) as u32
}

/// int sched_getaffinity(0, size_t size, cpu_set_t *mask): how many CPUs runix may run on
/// (of the first 1024).
pub fn cpus() -> Result<u32, Error> {
    // The kernel fills whole longs, and says how many bytes: 4 where it has at most 32 CPUs.
    let mut mask = [0u8; 128];
    let n = call(nr::sched_getaffinity, 0, mask.len(), pm(&mut mask), 0)?;
    Ok(mask[..n.min(mask.len())].iter().map(|b| b.count_ones()).sum())
}

/// void exit_group(int status);
pub fn exit_group(code: i32) -> ! {
    let _ = call(nr::exit_group, code as usize, 0, 0, 0);
    unreachable!()
}

/// pid_t getpid(void);
pub fn getpid() -> i32 {
    call(nr::getpid, 0, 0, 0, 0).unwrap_or(0) as i32
}

/// pid_t setsid(void): a new session and process group, and no controlling terminal, so the
/// container cannot push input into the caller's terminal with TIOCSTI (CVE-2017-5226).
pub fn setsid() -> Result<(), Error> {
    call0(nr::setsid, 0, 0, 0, 0)
}

/// The signals runix passes on to the container, and SIGCHLD, as a sigset.
pub const FORWARDED: u64 = 1 << (libc::SIGHUP - 1)
    | 1 << (libc::SIGINT - 1)
    | 1 << (libc::SIGQUIT - 1)
    | 1 << (libc::SIGUSR1 - 1)
    | 1 << (libc::SIGUSR2 - 1)
    | 1 << (libc::SIGTERM - 1)
    | 1 << (libc::SIGWINCH - 1);

pub const SIGCHLD_SET: u64 = 1 << (libc::SIGCHLD - 1);

pub const SIGPIPE_SET: u64 = 1 << (libc::SIGPIPE - 1);

/// int rt_sigprocmask(int how, const sigset_t *set, sigset_t *old, 8); returns the old mask.
pub fn sigprocmask(how: i32, set: u64) -> Result<u64, Error> {
    let mut old = 0u64;
    let r = call(nr::rt_sigprocmask, how as usize, p(&set), pm(&mut old), 8);
    r.map(|_| old)
}

/// int signalfd4(-1, const sigset_t *mask, 8, SFD_CLOEXEC): the blocked signals in `set`,
/// to be read as data, so none is lost between fork and exec, and none interrupts runix.
pub fn signalfd(set: u64) -> Result<Fd, Error> {
    call_fd(nr::signalfd4, usize::MAX, p(&set), 8, libc::SFD_CLOEXEC as usize)
}

/// Read one signal from a signalfd: its number and how it was sent (struct signalfd_siginfo's
/// ssi_signo and ssi_code: SI_USER from kill(2), SI_KERNEL from a terminal).
pub fn read_signal(fd: Fd) -> Result<(i32, i32), Error> {
    let mut info = [0u32; 32];
    // SAFETY: a [u32; 32] viewed as its 128 bytes, the size of struct signalfd_siginfo.
    let bytes = unsafe { core::slice::from_raw_parts_mut(info.as_mut_ptr() as *mut u8, 128) };
    read(fd, bytes)?;
    Ok((info[0] as i32, info[2] as i32))
}

/// int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, NULL, 0): wait until
/// one of `fds` is ready, or (Some) `ms` milliseconds have passed; 0 then.
pub fn poll(fds: &mut [libc::pollfd], ms: Option<u64>) -> Result<usize, Error> {
    let ts = ms.map(|ms| libc::timespec { tv_sec: (ms / 1000) as _, tv_nsec: (ms % 1000 * 1_000_000) as _ });
    loop {
        let r = call(nr::ppoll, fds.as_mut_ptr() as usize, fds.len(), ts.as_ref().map_or(0, p), 0);
        match r {
            Err(e) if e.errno() == libc::EINTR => continue,
            r => return r,
        }
    }
}

/// rt_sigaction(sig, {SIG_IGN or SIG_DFL}, NULL, 8): ignore a signal, or restore its default.
pub fn signal(signal: i32, ignore: bool) -> Result<(), Error> {
    let act = arch::KernelSigaction::new(if ignore { libc::SIG_IGN } else { libc::SIG_DFL });
    call0(nr::rt_sigaction, signal as usize, p(&act), 0, 8)
}

/// int nanosleep(const struct timespec *req, struct timespec *rem);
pub fn sleep_ms(ms: u64) {
    let ts = libc::timespec { tv_sec: (ms / 1000) as _, tv_nsec: ((ms % 1000) * 1_000_000) as _ };
    let _ = call(nr::nanosleep, p(&ts), 0, 0, 0);
}

/// int clock_gettime(CLOCK_MONOTONIC, struct __kernel_timespec *tp): milliseconds since some
/// start.
pub fn monotonic_ms() -> u64 {
    let mut ts = arch::Timespec { sec: 0, nsec: 0 };
    let _ = call(nr::clock_gettime, libc::CLOCK_MONOTONIC as usize, pm(&mut ts), 0, 0);
    ts.sec as u64 * 1000 + ts.nsec as u64 / 1_000_000
}
