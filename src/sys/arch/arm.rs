//! arm (ARMv7, EABI, hard-float; built as Thumb-2: thumbv7neon): `_start` and the clone trampoline; what a
//! seccomp filter sees of a syscall here; the kernel's struct sigaction; the syscalls that
//! take 32-bit ids or 64-bit offsets under other names than on 64-bit CPUs. The terminal
//! ioctls and struct termios are asm-generic's (generic.rs).

use core::arch::global_asm;
use syscalls::Sysno as S;

pub use super::generic::*;

// The kernel starts us with sp pointing at argc, then argv[], NULL, envp[], NULL, auxv. Hand
// that pointer to Rust, running on runix's own static stack (start.rs says why), 8-byte
// aligned as AAPCS requires, with a zero frame pointer and link register so backtraces stop.
#[cfg(not(test))]
global_asm!(
    ".globl _start",
    ".section .text._start,\"ax\",%progbits",
    ".thumb",
    ".thumb_func",
    "_start:",
    "    movs r7, #0",
    "    mov lr, r7",
    "    mov r0, sp",
    "    ldr r1, ={stack} + {size}",
    "    mov sp, r1",
    "    bl {entry}",
    "    udf #0",
    stack = sym super::super::start::STACK,
    size = const super::super::start::STACK_SIZE,
    entry = sym super::super::start::entry,
);

// long runix_clone(unsigned long flags, void *stack_top, void (*fn)(usize) -> !, usize arg)
//
// clone(2) (flags, stack, parent_tid, tls, child_tid here) without CLONE_VM but with a new
// stack. The kernel keeps every register but r0 across svc, and the child gets copies, so fn
// waits in r12 and arg in r3 (tls, which the kernel reads only with CLONE_SETTLS); r4 and r7,
// which the call needs, are the caller's and saved. The child calls fn on the fresh stack,
// which never returns.
global_asm!(
    ".globl runix_clone",
    ".section .text.runix_clone,\"ax\",%progbits",
    ".thumb",
    ".thumb_func",
    "runix_clone:",
    "    push {{r4, r7}}",
    "    mov r12, r2",          // fn
    "    bic r1, r1, #7",
    "    movs r2, #0",
    "    movs r4, #0",
    "    movs r7, #120",        // SYS_clone
    "    svc #0",
    "    cmp r0, #0",
    "    bne 1f",
    "    mov r0, r3",           // child
    "    movs r7, #0",
    "    mov lr, r7",
    "    blx r12",
    "    udf #0",
    "1:  pop {{r4, r7}}",       // parent: pid or -errno
    "    bx lr",
);

/// The syscalls by the names runix calls them, where this CPU's are others: the ones that take
/// 32-bit ids (the plain ones take 16-bit ids here) and 64-bit sizes and offsets.
#[allow(non_upper_case_globals)]
pub mod nr {
    use syscalls::Sysno as S;
    pub use syscalls::Sysno::*;
    pub const newfstatat: S = S::fstatat64;
    pub const mmap: S = S::mmap2;
    pub const sendfile: S = S::sendfile64;
    pub const fcntl: S = S::fcntl64;
    pub const statfs: S = S::statfs64;
    pub const fstatfs: S = S::fstatfs64;
    pub const geteuid: S = S::geteuid32;
    pub const getegid: S = S::getegid32;
    pub const setresuid: S = S::setresuid32;
    pub const setresgid: S = S::setresgid32;
    pub const setgroups: S = S::setgroups32;
    pub const fchown: S = S::fchown32;
    pub const clock_gettime: S = S::clock_gettime64;
}

/// The struct fstatat64 fills: the kernel's struct stat64 (arch/arm/include/uapi/asm/stat.h),
/// its 64-bit fields 8-aligned as EABI lays them out.
#[repr(C)]
pub struct KernelStat {
    pub st_dev: u64,
    pad0: u32,
    st_ino32: u32,
    pub st_mode: u32,
    st_nlink: u32,
    st_uid: u32,
    st_gid: u32,
    pub st_rdev: u64,
    pad3: u32,
    pub st_size: i64,
    st_blksize: u32,
    st_blocks: u64,
    times: [u32; 6],
    pub st_ino: u64,
}

const _: () = assert!(size_of::<KernelStat>() == 104 && core::mem::offset_of!(KernelStat, st_size) == 48);

// ---------------------------------------------------------------------------------------------
// seccomp

/// linux/audit.h AUDIT_ARCH_ARM (EM_ARM | __AUDIT_ARCH_LE).
pub const AUDIT_ARCH: u32 = 40 | 0x4000_0000;

/// That ABI's name in an OCI profile (`SCMP_ARCH_ARM`), for `runix features`.
pub const SCMP_ARCH: &str = "ARM";

/// No other ABI: a kernel built with OABI compatibility reports OABI calls as arm's.
pub const AUDIT_ARCH_COMPAT: u32 = 0;

/// No ABI shares this CPU's audit arch with a bit in nr (as x32 does on x86_64).
pub const SYSCALL_ABI_BIT: u32 = 0;

/// Docker's allowed syscalls that arm has besides those of every CPU: the 32-bit ids'
/// (setuid32, ...), 64-bit sizes and offsets (mmap2, fstatat64, ...), 64-bit times (*_time64),
/// and those kept from older ABIs.
pub const SECCOMP_ALLOWED: &[S] = &[
    S::_llseek, S::_newselect, S::access, S::arm_fadvise64_64, S::arm_sync_file_range, S::chmod, S::chown,
    S::chown32, S::clock_adjtime64, S::clock_getres_time64, S::clock_gettime64, S::clock_nanosleep_time64, S::creat,
    S::dup2, S::epoll_create, S::epoll_wait, S::eventfd, S::fchown32, S::fcntl64, S::fork, S::fstat64, S::fstatat64,
    S::fstatfs64, S::ftruncate64, S::futex_time64, S::futimesat, S::getdents, S::getegid32, S::geteuid32,
    S::getgid32, S::getgroups32, S::getpgrp, S::getresgid32, S::getresuid32, S::getuid32, S::inotify_init,
    S::io_pgetevents_time64, S::lchown, S::lchown32, S::link, S::lstat, S::lstat64, S::mkdir, S::mknod, S::mmap2,
    S::mq_timedreceive_time64, S::mq_timedsend_time64, S::open, S::pause, S::pipe, S::poll, S::ppoll_time64,
    S::pselect6_time64, S::readlink, S::recv, S::recvmmsg_time64, S::rename, S::renameat, S::rmdir,
    S::rt_sigtimedwait_time64, S::sched_rr_get_interval_time64, S::semtimedop_time64, S::send, S::sendfile64,
    S::setfsgid32, S::setfsuid32, S::setgid32, S::setgroups32, S::setregid32, S::setresgid32, S::setresuid32,
    S::setreuid32, S::setuid32, S::signalfd, S::sigprocmask, S::sigreturn,
    S::stat, S::stat64, S::statfs64, S::symlink, S::timer_gettime64, S::timer_settime64,
    S::timerfd_gettime64, S::timerfd_settime64, S::truncate64, S::ugetrlimit, S::unlink, S::utimensat_time64,
    S::utimes, S::vfork,
];

/// Docker's syscalls of arm that need a capability: clock_settime64, CAP_SYS_TIME (25).
pub const SECCOMP_GATED: &[(u8, S)] = &[(25, S::clock_settime64)];

/// CPU-private calls outside the numbered table (__ARM_NR_BASE 0x0f0000 + n), by name, for
/// a profile that names them.
pub const PRIVATE_CALLS: &[(&str, u32)] = &[
    ("breakpoint", 0x0f0001), ("cacheflush", 0x0f0002), ("usr26", 0x0f0003), ("usr32", 0x0f0004), ("set_tls", 0x0f0005),
    ("get_tls", 0x0f0006),
];

/// Of those, docker's allowed ones: breakpoint, cacheflush (JITs), set_tls (glibc's and musl's
/// start, and threads).
pub const SECCOMP_PRIVATE: &[u32] = &[0x0f0001, 0x0f0002, 0x0f0005];

/// Syscalls libseccomp names otherwise than the syscalls crate: none.
pub const RENAMED: &[(S, &str)] = &[];

/// The kernel's struct sigaction on arm (SA_RESTORER exists): handler, flags, restorer, mask.
#[repr(C)]
pub struct KernelSigaction {
    handler: usize,
    flags: u32,
    restorer: usize,
    mask: [u32; 2],
}

impl KernelSigaction {
    /// `handler` (SIG_IGN or SIG_DFL: no code of runix's runs, so no SA_RESTORER), no flags,
    /// an empty mask.
    pub const fn new(handler: usize) -> KernelSigaction {
        KernelSigaction { handler, flags: 0, restorer: 0, mask: [0; 2] }
    }
}

// The kernel copies exactly this many bytes (arch/arm/include/asm/signal.h).
const _: () = assert!(size_of::<KernelSigaction>() == 20 && S::clone as u32 == 120);
