//! Docker's default seccomp policy, compiled at run time into a classic BPF program for
//! seccomp(2) SECCOMP_SET_MODE_FILTER, without libseccomp. What differs between CPUs (the
//! audit arch, a compat ABI, the syscalls beyond asm-generic's table) is in src/sys/arch.
//!
//! The tables follow moby's default profile (moby/profiles `seccomp/default.json`, Docker 29.x,
//! mid-2026: io_uring out since Docker 25, socket() refused for AF_VSOCK and, since
//! CVE-2026-31431, AF_ALG), made stricter where runix's hardening rules say so: keyctl, add_key,
//! request_key and unshare, which some recent moby versions allow, are refused; ptrace and
//! process_vm_readv/writev need CAP_SYS_PTRACE (docker allows them on kernels >= 4.8); and calls
//! through a CPU's compat ABI (on x86_64, i386's int 0x80 and x32), which docker filters with
//! their own numbers, are not allowed at all.
//!
//! The program, top to bottom:
//!
//! ```text
//!   ld arch;  jeq AUDIT_ARCH else KILL            i386 (int 0x80) has other numbers: not allowed
//!   ld nr;    jgt LAST → HIGH                     newer than the table: ENOSYS, libc falls back
//!   jeq ioctl → IOCTL, socket → SOCKET, personality → PERSONALITY,
//!       clone → CLONE, clone3 → ENOSYS            (the last two only without CAP_SYS_ADMIN)
//!   jge tree over the runs of allowed/denied numbers 0..=LAST → ALLOW or EPERM
//!   IOCTL:       ld args[1]; jeq TIOCSTI → EPERM else ALLOW
//!   SOCKET:      ld args[0]; jeq AF_ALG, AF_VSOCK → EPERM else ALLOW
//!   PERSONALITY: ld args[0]; jeq 0x0, 0x8, 0x20000, 0x20008, 0xffffffff → ALLOW else EPERM
//!   CLONE:       ld args[0]; jset CLONE_NEW* → EPERM else ALLOW
//!   HIGH:        jeq each CPU-private call (arm's set_tls, ...) → ALLOW; jeq -1 → ENOSYS;
//!                jset x32 bit → KILL else ENOSYS (no jset without such a bit)
//!   ret ALLOW; ret ERRNO(EPERM); ret ERRNO(ENOSYS); ret KILL_PROCESS
//! ```
//!
//! Every allowed call that needs no argument check is decided from nr and arch with jeq/jge/jgt/
//! jset alone, so kernels >= 5.11 cache it as always-allowed and never run the filter for it.
//! Arguments are compared on their low 32 bits only: ioctl's cmd, socket's family, personality's
//! persona and clone's flags are all 32-bit to the kernel, so high bits must not let a value past
//! a check that the kernel would then see (CVE-2019-10063, a TIOCSTI filter bypassed that way).

use crate::security::caps::{self, CAP_BPF, CAP_DAC_READ_SEARCH, CAP_PERFMON, CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_CHROOT};
use crate::security::caps::{CAP_SYS_MODULE, CAP_SYS_NICE, CAP_SYS_PACCT, CAP_SYS_PTRACE, CAP_SYS_TIME};
use crate::security::caps::{CAP_SYS_TTY_CONFIG, CAP_SYSLOG};
use crate::error::Error;
use crate::sys::arch;
use core::mem::offset_of;
use libc::{seccomp_data, sock_filter};
use syscalls::Sysno as S;

pub const RET_ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
pub const RET_EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
pub const RET_ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
/// For calls through a compat ABI (i386, x32). A 32-bit program dies at its first syscall with SIGSYS ("Bad system
/// call"), which says what happened; errors would make it fail somewhere confusing instead.
pub const RET_KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

/// The highest number in docker's table: anything above is newer than the policy.
const LAST: u16 = S::removexattrat as u16;

/// Docker's unconditional allowlist, the syscalls every CPU has; each CPU's others are in
/// arch::SECCOMP_ALLOWED (64-bit CPUs: mmap, fadvise64, ...; 32-bit ones: mmap2, fcntl64, ...). ioctl, socket and personality
/// are allowed by the argument checks above instead.
const ALLOWED: &[S] = &[
    S::accept, S::accept4, S::adjtimex, S::bind, S::brk, S::cachestat, S::capget, S::capset, S::chdir,
    S::clock_adjtime, S::clock_getres, S::clock_gettime, S::clock_nanosleep, S::close, S::close_range, S::connect,
    S::copy_file_range, S::dup, S::dup3, S::epoll_create1, S::epoll_ctl, S::epoll_pwait, S::epoll_pwait2, S::eventfd2,
    S::execve, S::execveat, S::exit, S::exit_group, S::faccessat, S::faccessat2, S::fallocate,
    S::fanotify_mark, S::fchdir, S::fchmod, S::fchmodat, S::fchmodat2, S::fchown, S::fchownat, S::fcntl, S::fdatasync,
    S::fgetxattr, S::flistxattr, S::flock, S::fremovexattr, S::fsetxattr, S::fstat, S::fstatfs, S::fsync,
    S::ftruncate, S::futex, S::futex_requeue, S::futex_wait, S::futex_waitv, S::futex_wake, S::get_robust_list,
    S::getcpu, S::getcwd, S::getdents64, S::getegid, S::geteuid, S::getgid, S::getgroups, S::getitimer,
    S::getpeername, S::getpgid, S::getpid, S::getppid, S::getpriority, S::getrandom, S::getresgid, S::getresuid,
    S::getrusage, S::getsid, S::getsockname, S::getsockopt, S::gettid, S::gettimeofday, S::getuid,
    S::getxattr, S::getxattrat, S::inotify_add_watch, S::inotify_init1, S::inotify_rm_watch, S::io_cancel,
    S::io_destroy, S::io_getevents, S::io_pgetevents, S::io_setup, S::io_submit, S::ioprio_get, S::ioprio_set,
    S::kill, S::landlock_add_rule, S::landlock_create_ruleset, S::landlock_restrict_self, S::lgetxattr, S::linkat,
    S::listen, S::listmount, S::listxattr, S::listxattrat, S::llistxattr, S::lremovexattr, S::lseek, S::lsetxattr,
    S::madvise, S::map_shadow_stack, S::membarrier, S::memfd_create, S::mincore, S::mkdirat,
    S::mknodat, S::mlock, S::mlock2, S::mlockall, S::mprotect, S::mq_getsetattr, S::mq_notify, S::mq_open,
    S::mq_timedreceive, S::mq_timedsend, S::mq_unlink, S::mremap, S::mseal, S::msgctl, S::msgget, S::msgrcv,
    S::msgsnd, S::msync, S::munlock, S::munlockall, S::munmap, S::name_to_handle_at, S::nanosleep, S::openat,
    S::openat2, S::pidfd_open, S::pidfd_send_signal, S::pipe2, S::pkey_alloc, S::pkey_free, S::pkey_mprotect,
    S::ppoll, S::prctl, S::pread64, S::preadv, S::preadv2, S::prlimit64, S::process_mrelease, S::pselect6,
    S::pwrite64, S::pwritev, S::pwritev2, S::read, S::readahead, S::readlinkat, S::readv, S::recvfrom, S::recvmmsg,
    S::recvmsg, S::remap_file_pages, S::removexattr, S::removexattrat, S::renameat2, S::restart_syscall, S::rseq,
    S::rt_sigaction, S::rt_sigpending, S::rt_sigprocmask, S::rt_sigqueueinfo, S::rt_sigreturn, S::rt_sigsuspend,
    S::rt_sigtimedwait, S::rt_tgsigqueueinfo, S::sched_get_priority_max, S::sched_get_priority_min,
    S::sched_getaffinity, S::sched_getattr, S::sched_getparam, S::sched_getscheduler, S::sched_rr_get_interval,
    S::sched_setaffinity, S::sched_setattr, S::sched_setparam, S::sched_setscheduler, S::sched_yield, S::seccomp,
    S::semctl, S::semget, S::semop, S::semtimedop, S::sendfile, S::sendmmsg, S::sendmsg, S::sendto,
    S::set_robust_list, S::set_tid_address, S::setfsgid, S::setfsuid, S::setgid, S::setgroups, S::setitimer,
    S::setpgid, S::setpriority, S::setregid, S::setresgid, S::setresuid, S::setreuid, S::setrlimit, S::setsid,
    S::setsockopt, S::setuid, S::setxattr, S::setxattrat, S::shmat, S::shmctl, S::shmdt, S::shmget, S::shutdown,
    S::sigaltstack, S::signalfd4, S::socketpair, S::splice, S::statfs, S::statmount, S::statx, S::symlinkat, S::sync,
    S::syncfs, S::sysinfo, S::tee, S::tgkill, S::timer_create, S::timer_delete,
    S::timer_getoverrun, S::timer_gettime, S::timer_settime, S::timerfd_create, S::timerfd_gettime,
    S::timerfd_settime, S::times, S::tkill, S::truncate, S::umask, S::uname, S::unlinkat, S::utimensat, S::vmsplice,
    S::wait4, S::waitid, S::write, S::writev,
];

/// Docker's syscalls that need a capability in the effective set, two bytes each. clone and
/// clone3 are allowed whole with CAP_SYS_ADMIN, and checked (clone) or ENOSYS (clone3) without.
/// The CPU's own (x86_64's port I/O, arm's clock_settime64) are added to them in GATED.
const GATED_ALL_CPUS: &[u16] = &[
    g(CAP_DAC_READ_SEARCH, S::open_by_handle_at),
    g(CAP_SYS_ADMIN, S::bpf), g(CAP_SYS_ADMIN, S::clone), g(CAP_SYS_ADMIN, S::clone3),
    g(CAP_SYS_ADMIN, S::fanotify_init), g(CAP_SYS_ADMIN, S::fsconfig), g(CAP_SYS_ADMIN, S::fsmount),
    g(CAP_SYS_ADMIN, S::fsopen), g(CAP_SYS_ADMIN, S::fspick), g(CAP_SYS_ADMIN, S::lookup_dcookie),
    g(CAP_SYS_ADMIN, S::lsm_get_self_attr), g(CAP_SYS_ADMIN, S::lsm_list_modules),
    g(CAP_SYS_ADMIN, S::lsm_set_self_attr), g(CAP_SYS_ADMIN, S::mount), g(CAP_SYS_ADMIN, S::mount_setattr),
    g(CAP_SYS_ADMIN, S::move_mount), g(CAP_SYS_ADMIN, S::open_tree), g(CAP_SYS_ADMIN, S::perf_event_open),
    g(CAP_SYS_ADMIN, S::quotactl), g(CAP_SYS_ADMIN, S::quotactl_fd), g(CAP_SYS_ADMIN, S::setdomainname),
    g(CAP_SYS_ADMIN, S::sethostname), g(CAP_SYS_ADMIN, S::setns), g(CAP_SYS_ADMIN, S::syslog),
    g(CAP_SYS_ADMIN, S::umount2), g(CAP_SYS_ADMIN, S::unshare),
    g(CAP_SYS_BOOT, S::reboot),
    g(CAP_SYS_CHROOT, S::chroot),
    g(CAP_SYS_MODULE, S::delete_module), g(CAP_SYS_MODULE, S::init_module), g(CAP_SYS_MODULE, S::finit_module),
    g(CAP_SYS_PACCT, S::acct),
    g(CAP_SYS_PTRACE, S::kcmp), g(CAP_SYS_PTRACE, S::pidfd_getfd), g(CAP_SYS_PTRACE, S::process_madvise),
    g(CAP_SYS_PTRACE, S::process_vm_readv), g(CAP_SYS_PTRACE, S::process_vm_writev), g(CAP_SYS_PTRACE, S::ptrace),
    g(CAP_SYS_TIME, S::settimeofday), g(CAP_SYS_TIME, S::clock_settime),
    g(CAP_SYS_TTY_CONFIG, S::vhangup),
    g(CAP_SYS_NICE, S::get_mempolicy), g(CAP_SYS_NICE, S::mbind), g(CAP_SYS_NICE, S::set_mempolicy),
    g(CAP_SYS_NICE, S::set_mempolicy_home_node),
    g(CAP_SYSLOG, S::syslog),
    g(CAP_BPF, S::bpf),
    g(CAP_PERFMON, S::perf_event_open),
];

/// A capability (6 bits) and a syscall number (9 bits) in one u16.
const fn g(cap: u8, nr: S) -> u16 {
    (cap as u16) << 9 | nr as u16
}

const N_GATED: usize = GATED_ALL_CPUS.len() + arch::SECCOMP_GATED.len();

/// GATED_ALL_CPUS and this CPU's own, in one table built by the compiler.
const GATED: [u16; N_GATED] = {
    let mut all = [0; N_GATED];
    let mut i = 0;
    while i < N_GATED {
        all[i] = match GATED_ALL_CPUS.len() {
            n if i < n => GATED_ALL_CPUS[i],
            n => g(arch::SECCOMP_GATED[i - n].0, arch::SECCOMP_GATED[i - n].1),
        };
        i += 1;
    }
    all
};
const _: () = assert!(LAST < 1 << 9 && caps::CAP_LAST_CAP < 1 << 6);

const WORDS: usize = LAST as usize / 32 + 1;

/// ALLOWED and this CPU's own as a bitmap, built by the compiler: 60 bytes in the binary
/// instead of a list.
const ALLOWED_BITS: [u32; WORDS] = {
    let mut bits = [0; WORDS];
    let mut i = 0;
    while i < ALLOWED.len() + arch::SECCOMP_ALLOWED.len() {
        let nr = match ALLOWED.len() {
            n if i < n => ALLOWED[i],
            n => arch::SECCOMP_ALLOWED[i - n],
        } as usize;
        bits[nr / 32] |= 1 << (nr % 32);
        i += 1;
    }
    bits
};

fn allowed(bits: &[u32; WORDS], nr: u16) -> bool {
    bits[nr as usize / 32] & 1 << (nr % 32) != 0
}

/// The only personas docker allows: PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32 | UNAME26, and
/// 0xffffffff, which only queries the current one.
const PERSONAS: [u32; 5] = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff];
/// Any of these makes clone(2) enter new namespaces (docker's mask, 0x7E020000).
const CLONE_NEW_MASK: u32 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u32;

pub(crate) const NR: u32 = offset_of!(seccomp_data, nr) as u32;
pub(crate) const ARCH: u32 = offset_of!(seccomp_data, arch) as u32;
/// The low 32 bits of args[i]: its first four bytes, or on a big-endian CPU its last four.
const fn arg(i: u32) -> u32 {
    offset_of!(seccomp_data, args) as u32 + 8 * i + if cfg!(target_endian = "big") { 4 } else { 0 }
}

pub(crate) const LD_ABS: u32 = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
pub(crate) const RET: u32 = libc::BPF_RET | libc::BPF_K;
pub(crate) const JEQ: u32 = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
pub(crate) const JGT: u32 = libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K;
pub(crate) const JGE: u32 = libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K;
pub(crate) const JSET: u32 = libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K;

/// Compile the policy for a process with `caps_effective` into `out`; returns the number of
/// instructions. An `out` too small for the program is an error.
pub fn compile(caps_effective: u64, out: &mut [sock_filter]) -> Result<usize, Error> {
    let has = |cap| caps_effective & caps::bit(cap) != 0;
    let mut bits = ALLOWED_BITS;
    for &e in &GATED {
        if has((e >> 9) as u8) {
            let nr = e as usize & 0x1ff;
            bits[nr / 32] |= 1 << (nr % 32);
        }
    }
    // Built back to front, so that every jump's target is already placed and its offset known.
    let mut p = Prog { pos: out.len(), out, full: false };
    let kill = p.stmt(RET, RET_KILL);
    let enosys = p.stmt(RET, RET_ENOSYS);
    let eperm = p.stmt(RET, RET_EPERM);
    let allow = p.stmt(RET, RET_ALLOW);
    // -1 is how tracers skip a call; libseccomp also lets it through to ENOSYS.
    let compat = match arch::SYSCALL_ABI_BIT {
        0 => enosys,
        bit => p.jump(JSET, bit, kill, enosys),
    };
    let mut high = p.jump(JEQ, u32::MAX, enosys, compat);
    // A CPU's own calls numbered past the table (arm's set_tls, which glibc's start needs).
    for &nr in arch::SECCOMP_PRIVATE {
        high = p.jump(JEQ, nr, allow, high);
    }
    let mut special = [(S::read, 0); 5];
    special[0] = (S::ioctl, p.one_of(arg(1), &[libc::TIOCSTI as u32], eperm, allow));
    special[1] = (S::socket, p.one_of(arg(0), &[libc::AF_ALG as u32, libc::AF_VSOCK as u32], eperm, allow));
    special[2] = (S::personality, p.one_of(arg(0), &PERSONAS, allow, eperm));
    let special = if has(CAP_SYS_ADMIN) {
        &special[..3]
    } else {
        p.jump(JSET, CLONE_NEW_MASK, eperm, allow);
        special[3] = (S::clone, p.stmt(LD_ABS, arg(0)));
        // glibc falls back to clone, whose flags a filter can see (clone3's are behind a pointer).
        special[4] = (S::clone3, enosys);
        &special[..]
    };
    // Where each run of equally-decided numbers begins; special ones are decided before the tree.
    let mut starts = [0u16; LAST as usize + 1];
    let mut runs = 0;
    for nr in 0..=LAST {
        if special.iter().any(|s| s.0 as u16 == nr) {
            continue;
        }
        if runs == 0 || allowed(&bits, nr) != allowed(&bits, starts[runs - 1]) {
            starts[runs] = nr;
            runs += 1;
        }
    }
    let mut next = p.tree(&starts[..runs], &bits, allow, eperm);
    for &(nr, target) in special.iter().rev() {
        next = p.jump(JEQ, nr as u32, target, next);
    }
    p.jump(JGT, LAST as u32, high, next);
    p.stmt(LD_ABS, NR);
    p.jump(JEQ, arch::AUDIT_ARCH, NEXT, kill);
    p.stmt(LD_ABS, ARCH);
    if p.full {
        return Err(Error::msg("seccomp filter too long", b""));
    }
    let len = p.out.len() - p.pos;
    p.out.copy_within(p.pos.., 0);
    Ok(len)
}

/// A jump target meaning the instruction right after the jump.
const NEXT: usize = usize::MAX;

/// A program being written from its end: `pos` is the first instruction placed so far. One that
/// does not fit sets `full`, checked once at the end rather than after every instruction.
struct Prog<'a> {
    out: &'a mut [sock_filter],
    pos: usize,
    full: bool,
}

impl Prog<'_> {
    /// Place an instruction in front of the others; jt and jf are indices of placed ones (or
    /// NEXT). Returns its own index, a target for the instructions placed after it.
    fn jump(&mut self, code: u32, k: u32, jt: usize, jf: usize) -> usize {
        let off = |t: usize| if t == NEXT { Some(0) } else { u8::try_from(t.wrapping_sub(self.pos)).ok() };
        match (off(jt), off(jf)) {
            (Some(jt), Some(jf)) if self.pos > 0 && self.out.len() - self.pos < libc::BPF_MAXINSNS as usize => {
                self.pos -= 1;
                self.out[self.pos] = sock_filter { code: code as u16, jt, jf, k };
            }
            _ => self.full = true,
        }
        self.pos
    }

    fn stmt(&mut self, code: u32, k: u32) -> usize {
        self.jump(code, k, NEXT, NEXT)
    }

    /// Load `field`; go to `hit` if it is one of `values`, else to `miss`.
    fn one_of(&mut self, field: u32, values: &[u32], hit: usize, miss: usize) -> usize {
        let mut miss = miss;
        for &v in values.iter().rev() {
            miss = self.jump(JEQ, v, hit, miss);
        }
        self.stmt(LD_ABS, field)
    }

    /// A binary search over the runs beginning at `starts`, ending in allow or eperm.
    fn tree(&mut self, starts: &[u16], bits: &[u32; WORDS], allow: usize, eperm: usize) -> usize {
        if let [nr] = starts {
            return if allowed(bits, *nr) { allow } else { eperm };
        }
        let (lo, hi) = starts.split_at(starts.len() / 2);
        let above = self.tree(hi, bits, allow, eperm);
        let below = self.tree(lo, bits, allow, eperm);
        self.jump(JGE, hi[0] as u32, above, below)
    }
}

/// Install the container's filter: none (`Unconfined`), Docker's policy compiled for
/// `caps_effective`, or the raw program read from `file` (opened before the switch into the
/// root). Last before execve, so runix's own setup is not constrained by it.
pub fn install(mode: crate::spec::Seccomp, caps_effective: u64, file: crate::sys::Fd) -> Result<(), Error> {
    use crate::spec::Seccomp;
    const NOP: sock_filter = sock_filter { code: 0, jt: 0, jf: 0, k: 0 };
    match mode {
        Seccomp::Unconfined => Ok(()),
        Seccomp::Program(p) => crate::sys::seccomp_filter(p.insns, p.flags),
        Seccomp::Default => {
            let mut prog = [NOP; 256];
            let n = compile(caps_effective, &mut prog)?;
            crate::sys::seccomp_filter(&prog[..n], 0)
        }
        Seccomp::File(path) => {
            // BPF_MAXINSNS: the kernel takes no longer classic program. 32 KiB, kept out of
            // the stack (sys::once).
            static PROG: crate::sys::Once<[sock_filter; 4096]> = crate::sys::Once::new([NOP; 4096]);
            let prog = PROG.take();
            let n = crate::sys::read_plain(file, prog).map_err(|e| e.at(path.to_bytes()))?;
            if n == 0 || n % 8 != 0 {
                return Err(Error::msg("not a BPF program (a whole number of 8-byte instructions)", path.to_bytes()));
            }
            crate::sys::seccomp_filter(&prog[..n / 8], 0).map_err(|e| e.at(path.to_bytes()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::bpf::{Call, call, check, run};
    use crate::security::caps::{ALL, CAP_SYS_RAWIO, DOCKER_DEFAULT, bit};
    use crate::error::tests::show;
    extern crate std;
    use std::vec::Vec;

    fn program(caps: u64) -> Vec<sock_filter> {
        let mut out = [sock_filter { code: 0, jt: 0, jf: 0, k: 0 }; 1024];
        let n = compile(caps, &mut out).unwrap();
        check(&out[..n]);
        out[..n].to_vec()
    }

    fn verdict(caps: u64, c: &Call) -> u32 {
        run(&program(caps), c).ret
    }

    /// The syscalls of a list of names that this CPU has (create_module, say, is x86_64's only).
    fn by_name(names: &str) -> Vec<S> {
        names.split_whitespace().filter_map(|n| n.parse().ok()).collect()
    }

    #[test]
    fn default_program_is_small_and_well_formed() {
        let p = program(DOCKER_DEFAULT);
        let longest = (0..=LAST as u32 + 1).map(|nr| run(&p, &Call { arch: arch::AUDIT_ARCH, nr, args: [0; 6] }).steps).max().unwrap();
        std::println!("default program: {} instructions, at most {longest} run per call", p.len());
        assert!(p.len() <= 100, "{} instructions", p.len());
        assert!(longest <= 20, "{longest} instructions run for one call");
        for caps in [0, ALL, bit(CAP_SYS_ADMIN), DOCKER_DEFAULT | bit(CAP_SYS_PTRACE)] {
            assert!(program(caps).len() <= 100);
        }
    }

    #[test]
    fn a_buffer_too_small_is_an_error() {
        let n = program(DOCKER_DEFAULT).len();
        let mut out = std::vec![sock_filter { code: 0, jt: 0, jf: 0, k: 0 }; n];
        assert_eq!(compile(DOCKER_DEFAULT, &mut out).unwrap(), n);
        let e = compile(DOCKER_DEFAULT, &mut out[..n - 1]).unwrap_err();
        assert_eq!(show(&e), "seccomp filter too long");
        assert!(compile(DOCKER_DEFAULT, &mut []).is_err());
    }

    #[test]
    fn everyday_calls_are_allowed() {
        for nr in [
            S::read, S::write, S::openat, S::close, S::mmap, S::munmap, S::brk, S::execve, S::exit_group,
            S::rt_sigreturn, S::futex, S::wait4, S::getpid, S::statx, S::socketpair, S::setsid, S::prctl, S::seccomp, S::capset, S::setresuid, S::chroot,
        ] {
            assert_eq!(verdict(DOCKER_DEFAULT, &call(nr, &[])), RET_ALLOW, "{nr}");
        }
        // This CPU's own, x86_64's fork and arch_prctl say.
        for &nr in arch::SECCOMP_ALLOWED {
            assert_eq!(verdict(DOCKER_DEFAULT, &call(nr, &[])), RET_ALLOW, "{nr}");
        }
        let thread = (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_SIGHAND | libc::CLONE_THREAD) as u64;
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::clone, &[thread])), RET_ALLOW);
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::clone, &[libc::SIGCHLD as u64])), RET_ALLOW);
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::ioctl, &[1, libc::TCGETS])), RET_ALLOW);
    }

    /// Docker's policy: never allowed, whatever the capabilities (vm86 and vm86old are i386 only).
    const NEVER: &str = "kexec_load kexec_file_load add_key request_key keyctl pivot_root swapon swapoff \
        userfaultfd io_uring_setup io_uring_enter io_uring_register move_pages migrate_pages uselib ustat sysfs \
        _sysctl create_module get_kernel_syms query_module nfsservctl";

    /// Docker's policy: allowed only with the capability.
    const GATED_BY: &[(u8, &str)] = &[
        (CAP_SYS_ADMIN, "mount umount2 unshare setns sethostname setdomainname bpf perf_event_open fsopen fsconfig \
            fsmount fspick move_mount open_tree mount_setattr quotactl syslog"),
        (CAP_DAC_READ_SEARCH, "open_by_handle_at"),
        (CAP_SYS_BOOT, "reboot"),
        (CAP_SYS_CHROOT, "chroot"),
        (CAP_SYS_MODULE, "init_module finit_module delete_module"),
        (CAP_SYS_PTRACE, "ptrace kcmp process_vm_readv process_vm_writev pidfd_getfd"),
        (CAP_SYS_TIME, "settimeofday clock_settime"),
        (CAP_SYS_RAWIO, "iopl ioperm"),
        (CAP_SYS_PACCT, "acct"),
    ];

    #[test]
    fn never_allowed_even_with_every_capability() {
        for name in by_name(NEVER) {
            for caps in [0, DOCKER_DEFAULT, ALL] {
                assert_eq!(verdict(caps, &call(name, &[])), RET_EPERM, "{name} with {caps:#x}");
            }
        }
    }

    #[test]
    fn capability_gated_calls_follow_the_capability() {
        let second_ways_in = bit(caps::CAP_SYSLOG) | bit(CAP_BPF) | bit(CAP_PERFMON);
        for &(cap, names) in GATED_BY {
            for name in by_name(names) {
                let c = call(name, &[]);
                let without = if cap == CAP_SYS_CHROOT { DOCKER_DEFAULT & !bit(cap) } else { DOCKER_DEFAULT };
                assert_eq!(verdict(without, &c), RET_EPERM, "{name} without {}", crate::sys::cap_name(cap));
                assert_eq!(verdict(without | bit(cap), &c), RET_ALLOW, "{name} with {}", crate::sys::cap_name(cap));
                assert_eq!(verdict(ALL & !bit(cap) & !second_ways_in, &c), RET_EPERM, "{name} with all but {}", crate::sys::cap_name(cap));
            }
        }
        // docker's second ways in: CAP_SYSLOG, CAP_BPF, CAP_PERFMON.
        assert_eq!(verdict(bit(caps::CAP_SYSLOG), &call(S::syslog, &[])), RET_ALLOW);
        assert_eq!(verdict(bit(CAP_BPF), &call(S::bpf, &[])), RET_ALLOW);
        assert_eq!(verdict(bit(CAP_PERFMON), &call(S::perf_event_open, &[])), RET_ALLOW);
    }

    #[test]
    fn the_usual_suspects() {
        let d = DOCKER_DEFAULT;
        for nr in [S::mount, S::unshare, S::keyctl, S::add_key, S::kexec_load, S::open_by_handle_at, S::reboot, S::ptrace, S::pivot_root, S::swapon] {
            assert_eq!(verdict(d, &call(nr, &[])), RET_EPERM, "{nr}");
        }
        let admin = d | bit(CAP_SYS_ADMIN);
        assert_eq!(verdict(admin, &call(S::mount, &[])), RET_ALLOW);
        assert_eq!(verdict(admin, &call(S::clone, &[libc::CLONE_NEWNS as u64])), RET_ALLOW);
        assert_eq!(verdict(admin, &call(S::clone3, &[])), RET_ALLOW);
        assert_eq!(verdict(admin, &call(S::pivot_root, &[])), RET_EPERM);
        assert_eq!(verdict(d | bit(CAP_SYS_PTRACE), &call(S::ptrace, &[])), RET_ALLOW);
        assert_eq!(verdict(d | bit(CAP_SYS_BOOT), &call(S::reboot, &[])), RET_ALLOW);
    }

    #[test]
    fn clone_into_new_namespaces_needs_cap_sys_admin() {
        for flag in [
            libc::CLONE_NEWNS, libc::CLONE_NEWCGROUP, libc::CLONE_NEWUTS, libc::CLONE_NEWIPC, libc::CLONE_NEWUSER,
            libc::CLONE_NEWPID, libc::CLONE_NEWNET,
        ] {
            let c = call(S::clone, &[(flag | libc::SIGCHLD) as u64]);
            assert_eq!(verdict(DOCKER_DEFAULT, &c), RET_EPERM, "{flag:#x}");
            assert_eq!(verdict(DOCKER_DEFAULT | bit(CAP_SYS_ADMIN), &c), RET_ALLOW, "{flag:#x}");
        }
        assert_eq!(CLONE_NEW_MASK, 0x7E02_0000);
        // The kernel takes clone's flags as 32 bits; bits above do not matter either way.
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::clone, &[1 << 32 | libc::SIGCHLD as u64])), RET_ALLOW);
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::clone, &[1 << 32 | libc::CLONE_NEWUSER as u64])), RET_EPERM);
        // clone3's flags are behind a pointer: ENOSYS, so libc falls back to clone.
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::clone3, &[])), RET_ENOSYS);
        assert_eq!(verdict(0, &call(S::clone3, &[])), RET_ENOSYS);
    }

    #[test]
    fn only_docker_personas() {
        for p in PERSONAS {
            assert_eq!(verdict(DOCKER_DEFAULT, &call(S::personality, &[p as u64])), RET_ALLOW, "{p:#x}");
        }
        // READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, PER_BSD.
        for p in [0x0040_0000, 0x0004_0000, 0x6, 0x1] {
            assert_eq!(verdict(ALL, &call(S::personality, &[p])), RET_EPERM, "{p:#x}");
        }
    }

    #[test]
    fn sockets_but_not_af_alg_or_af_vsock() {
        for af in [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6, libc::AF_NETLINK, libc::AF_PACKET, 39, 41] {
            assert_eq!(verdict(DOCKER_DEFAULT, &call(S::socket, &[af as u64, libc::SOCK_STREAM as u64])), RET_ALLOW, "{af}");
        }
        for af in [libc::AF_ALG as u64, libc::AF_VSOCK as u64, 1 << 32 | libc::AF_ALG as u64] {
            assert_eq!(verdict(ALL, &call(S::socket, &[af, libc::SOCK_SEQPACKET as u64])), RET_EPERM, "{af:#x}");
        }
    }

    #[test]
    fn no_tiocsti_even_with_high_bits_set() {
        // CVE-2019-10063: the kernel reads cmd as 32 bits, so 1<<32 | TIOCSTI is TIOCSTI.
        for cmd in [libc::TIOCSTI, 1 << 32 | libc::TIOCSTI] {
            assert_eq!(verdict(ALL, &call(S::ioctl, &[0, cmd])), RET_EPERM, "{cmd:#x}");
        }
        assert_eq!(verdict(DOCKER_DEFAULT, &call(S::ioctl, &[0, libc::TIOCGWINSZ])), RET_ALLOW);
    }

    #[test]
    fn numbers_above_the_table_get_enosys() {
        for nr in [LAST as u32 + 1, S::open_tree_attr as u32, S::file_setattr as u32, 1000, 0x3fff_ffff, 0x8000_0000, u32::MAX] {
            let c = Call { arch: arch::AUDIT_ARCH, nr, args: [0; 6] };
            assert_eq!(verdict(ALL, &c), RET_ENOSYS, "{nr:#x}");
        }
    }

    #[test]
    fn compat_calls_are_killed() {
        // On x86_64: i386's (int 0x80), and x32's.
        for nr in [0, 1, 3, 11, 102, 120, 1000] {
            let c = Call { arch: arch::AUDIT_ARCH_COMPAT, nr, args: [0; 6] };
            assert_eq!(verdict(ALL, &c), RET_KILL, "compat {nr}");
        }
        for nr in [S::read as u32, S::execve as u32, 512, 545] {
            let c = Call { arch: arch::AUDIT_ARCH, nr: arch::SYSCALL_ABI_BIT | nr, args: [0; 6] };
            let want = if arch::SYSCALL_ABI_BIT == 0 { verdict(ALL, &Call { nr, ..c }) } else { RET_KILL };
            assert_eq!(verdict(ALL, &c), want, "{:#x}", c.nr);
        }
    }

    /// Every number, for several capability sets, against the tables themselves: the tree decides
    /// each exactly as the tables say, and allowed calls without argument checks stay cacheable.
    #[test]
    fn every_number_decided_as_the_tables_say() {
        let mut sets = std::vec![0, DOCKER_DEFAULT, ALL];
        sets.extend((0..=caps::CAP_LAST_CAP).map(bit));
        for caps in sets {
            let p = program(caps);
            for nr in 0..=LAST as u32 + 2 {
                let r = run(&p, &Call { arch: arch::AUDIT_ARCH, nr, args: [0; 6] });
                let name = S::new(nr as usize).map_or("?", |s| s.name());
                let argument_checked = [S::ioctl, S::socket, S::personality, S::clone, S::clone3].iter().any(|&s| s as u32 == nr);
                if argument_checked {
                    continue;
                }
                let want = if nr > LAST as u32 {
                    RET_ENOSYS
                } else if ALLOWED.iter().chain(arch::SECCOMP_ALLOWED).any(|&s| s as u32 == nr) || GATED.iter().any(|&e| (e & 0x1ff) as u32 == nr && caps & bit((e >> 9) as u8) != 0) {
                    RET_ALLOW
                } else {
                    RET_EPERM
                };
                assert_eq!(r.ret, want, "{name} ({nr}) with {caps:#x}");
                assert!(r.cacheable, "{name}");
            }
        }
    }

    #[test]
    fn tables_are_consistent() {
        let in_gated = |s: S| GATED.iter().any(|&e| e & 0x1ff == s as u16);
        let allowed: Vec<S> = ALLOWED.iter().chain(arch::SECCOMP_ALLOWED).copied().collect();
        for &s in &allowed {
            assert!(!in_gated(s), "{s} is both allowed and gated");
            assert_eq!(allowed.iter().filter(|&&t| t == s).count(), 1, "{s} twice");
        }
        for s in by_name(NEVER) {
            assert!(!allowed.contains(&s) && !in_gated(s), "{s}");
        }
        let max = allowed.iter().map(|&s| s as u16).chain(GATED.iter().map(|&e| e & 0x1ff)).max().unwrap();
        assert_eq!(max, LAST);
        assert_eq!((NR, ARCH, arg(0), arg(1)), (0, 4, 16, 24));
    }
}
