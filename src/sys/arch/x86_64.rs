//! x86_64: `_start` and the clone trampoline, in a few lines of assembly each; what a seccomp
//! filter sees of a syscall here; the kernel's struct sigaction. The terminal ioctls and struct
//! termios are asm-generic's (generic.rs).

use core::arch::global_asm;
use syscalls::Sysno as S;

pub use super::generic::*;

// The kernel starts us with %rsp pointing at argc, then argv[], NULL, envp[], NULL, auxv.
// Hand that pointer to Rust, running on runix's own static stack (start.rs says why), whose
// top is 16-byte aligned as the SysV ABI requires at a call, with a zero frame pointer so
// backtraces stop here.
#[cfg(not(test))]
global_asm!(
    ".globl _start",
    ".section .text._start,\"ax\",@progbits",
    "_start:",
    "    xor ebp, ebp",
    "    mov rdi, rsp",
    "    lea rsp, [rip + {stack} + {size}]",
    "    call {entry}",
    "    ud2",
    stack = sym super::super::start::STACK,
    size = const super::super::start::STACK_SIZE,
    entry = sym super::super::start::entry,
);

// long runix_clone(unsigned long flags, void *stack_top, void (*fn)(usize) -> !, usize arg)
//
// clone(2) without CLONE_VM but with a new stack: the child resumes after `syscall` with
// %rsp = stack_top, where no Rust frame exists. So the parent stores fn and arg on the new
// stack first, and the child pops them and calls fn, which never returns. Returning into Rust
// code on the fresh stack would read locals that are not there.
global_asm!(
    ".globl runix_clone",
    ".section .text.runix_clone,\"ax\",@progbits",
    "runix_clone:",
    "    and rsi, -16",
    "    sub rsi, 16",
    "    mov [rsi], rdx",       // fn
    "    mov [rsi + 8], rcx",   // arg
    "    mov eax, 56",          // SYS_clone(flags, stack, parent_tid, child_tid, tls)
    "    xor edx, edx",
    "    xor r10d, r10d",
    "    xor r8d, r8d",
    "    syscall",
    "    test rax, rax",
    "    jnz 1f",
    "    xor ebp, ebp",         // child: a fresh stack with fn and arg on top
    "    pop rax",
    "    pop rdi",
    "    call rax",             // stack is 16-byte aligned here, as the ABI wants
    "    ud2",
    "1:  ret",                  // parent: pid or -errno
);

/// The syscalls by the names runix calls them: the syscalls crate's, on this CPU.
pub mod nr {
    pub use syscalls::Sysno::*;
}

// ---------------------------------------------------------------------------------------------
// seccomp: what a filter sees of a syscall on this CPU (src/security/seccomp.rs builds it)

/// linux/audit.h AUDIT_ARCH_X86_64 (EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE): the
/// `arch` of a call through this CPU's own ABI. A call with another (i386's int 0x80, whose
/// numbers are other calls') is killed.
pub const AUDIT_ARCH: u32 = 62 | 0x8000_0000 | 0x4000_0000;

/// That ABI's name in an OCI profile (`SCMP_ARCH_X86_64`), for `runix features`.
pub const SCMP_ARCH: &str = "X86_64";

/// linux/audit.h AUDIT_ARCH_I386 (EM_386 | __AUDIT_ARCH_LE): the other ABI this CPU runs.
pub const AUDIT_ARCH_COMPAT: u32 = 3 | 0x4000_0000;

/// asm/unistd.h __X32_SYSCALL_BIT: x32 calls come with this CPU's AUDIT_ARCH and this bit in
/// nr, and are killed too. 0 on a CPU without such an ABI.
pub const SYSCALL_ABI_BIT: u32 = 0x4000_0000;

/// Docker's allowed syscalls that x86_64 has besides those of every CPU: the 64-bit CPUs'
/// first, then mostly those it kept from i386.
pub const SECCOMP_ALLOWED: &[S] = &[
    S::fadvise64, S::getrlimit, S::memfd_secret, S::mmap, S::sync_file_range,
    S::access, S::alarm, S::arch_prctl, S::chmod, S::chown, S::creat, S::dup2, S::epoll_create, S::epoll_ctl_old,
    S::epoll_wait, S::epoll_wait_old, S::eventfd, S::fork, S::futimesat, S::get_thread_area, S::getdents, S::getpgrp,
    S::inotify_init, S::lchown, S::link, S::lstat, S::mkdir, S::mknod, S::modify_ldt, S::newfstatat, S::open,
    S::pause, S::pipe, S::poll, S::readlink, S::rename, S::renameat, S::rmdir, S::select, S::set_thread_area,
    S::signalfd, S::stat, S::symlink, S::time, S::unlink, S::uretprobe, S::utime, S::utimes, S::vfork,
];

/// Docker's syscalls of x86_64 that need a capability: port I/O, CAP_SYS_RAWIO (17).
pub const SECCOMP_GATED: &[(u8, S)] = &[(17, S::iopl), (17, S::ioperm)];

/// CPU-private calls outside the numbered table: none.
pub const PRIVATE_CALLS: &[(&str, u32)] = &[];
pub const SECCOMP_PRIVATE: &[u32] = &[];

/// Syscalls libseccomp names otherwise than the syscalls crate: none.
pub const RENAMED: &[(S, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// Signals and terminals

/// The kernel's struct sigaction on x86_64 (not glibc's): handler, flags, restorer, mask.
#[repr(C)]
pub struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

impl KernelSigaction {
    /// `handler` (SIG_IGN or SIG_DFL: no code of runix's runs, so no SA_RESTORER), no flags,
    /// an empty mask.
    pub const fn new(handler: usize) -> KernelSigaction {
        KernelSigaction { handler, flags: 0, restorer: 0, mask: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_and_numbers_are_the_kernels() {
        assert_eq!((AUDIT_ARCH, AUDIT_ARCH_COMPAT, SYSCALL_ABI_BIT), (0xc000_003e, 0x4000_0003, 0x4000_0000));
        assert_eq!(size_of::<Termios>(), 36);
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(TIOCGWINSZ as u64, libc::TIOCGWINSZ);
        assert_eq!((TCGETS as u64, TCSETS as u64, TIOCSCTTY as u64), (libc::TCGETS, libc::TCSETS, libc::TIOCSCTTY));
        assert_eq!((TIOCGPTN as u64, TIOCSPTLCK as u64, TIOCGPTPEER as u64), (libc::TIOCGPTN, libc::TIOCSPTLCK, libc::TIOCGPTPEER));
    }
}
