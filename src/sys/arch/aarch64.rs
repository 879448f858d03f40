//! aarch64: `_start` and the clone trampoline; what a seccomp filter sees of a syscall here
//! (and of aarch32, the compat ABI arm64 kernels run); the kernel's struct sigaction. The
//! terminal ioctls and struct termios are asm-generic's (generic.rs).

use core::arch::global_asm;
use syscalls::Sysno as S;

pub use super::generic::*;

// The kernel starts us with sp pointing at argc, then argv[], NULL, envp[], NULL, auxv. Hand
// that pointer to Rust, running on runix's own static stack (start.rs says why), 16-byte
// aligned as AAPCS64 requires, with a zero frame pointer and link register so backtraces stop.
#[cfg(not(test))]
global_asm!(
    ".globl _start",
    ".section .text._start,\"ax\",%progbits",
    "_start:",
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    mov x0, sp",
    "    adrp x9, {stack} + {size}",
    "    add x9, x9, :lo12:{stack} + {size}",
    "    mov sp, x9",
    "    bl {entry}",
    "    udf #0",
    stack = sym super::super::start::STACK,
    size = const super::super::start::STACK_SIZE,
    entry = sym super::super::start::entry,
);

// long runix_clone(unsigned long flags, void *stack_top, void (*fn)(usize) -> !, usize arg)
//
// clone(2) (flags, stack, parent_tid, tls, child_tid here) without CLONE_VM but with a new
// stack. The kernel keeps every register but x0 across svc, and the child gets copies, so fn
// and arg wait in the scratch registers x9 and x10; the child calls fn on the fresh stack,
// which never returns.
global_asm!(
    ".globl runix_clone",
    ".section .text.runix_clone,\"ax\",%progbits",
    "runix_clone:",
    "    mov x9, x2",           // fn
    "    mov x10, x3",          // arg
    "    and x1, x1, #-16",
    "    mov x2, xzr",
    "    mov x3, xzr",
    "    mov x4, xzr",
    "    mov x8, #220",         // SYS_clone
    "    svc #0",
    "    cbnz x0, 1f",
    "    mov x0, x10",          // child
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    blr x9",
    "    udf #0",
    "1:  ret",                  // parent: pid or -errno
);

/// The syscalls by the names runix calls them (the kernel's, as strace shows them), where the
/// syscalls crate spells one otherwise: its `fstatat` is the kernel's newfstatat.
#[allow(non_upper_case_globals)]
pub mod nr {
    pub use syscalls::Sysno::*;
    pub const newfstatat: syscalls::Sysno = syscalls::Sysno::fstatat;
}

// ---------------------------------------------------------------------------------------------
// seccomp

/// linux/audit.h AUDIT_ARCH_AARCH64 (EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE).
pub const AUDIT_ARCH: u32 = 183 | 0x8000_0000 | 0x4000_0000;

/// That ABI's name in an OCI profile (`SCMP_ARCH_AARCH64`), for `runix features`.
pub const SCMP_ARCH: &str = "AARCH64";

/// linux/audit.h AUDIT_ARCH_ARM (EM_ARM | __AUDIT_ARCH_LE): aarch32 programs, which an arm64
/// kernel with CONFIG_COMPAT runs with arm's syscall numbers. Killed.
pub const AUDIT_ARCH_COMPAT: u32 = 40 | 0x4000_0000;

/// No ABI shares this CPU's audit arch with a bit in nr (as x32 does on x86_64).
pub const SYSCALL_ABI_BIT: u32 = 0;

/// Docker's allowed syscalls that arm64 has besides those of every CPU: the 64-bit CPUs',
/// fstatat (docker's newfstatat) and renameat.
pub const SECCOMP_ALLOWED: &[S] = &[S::fadvise64, S::getrlimit, S::memfd_secret, S::mmap, S::sync_file_range, S::fstatat, S::renameat];

/// Syscalls of this CPU alone that need a capability: none.
pub const SECCOMP_GATED: &[(u8, S)] = &[];

/// CPU-private calls outside the numbered table: none.
pub const PRIVATE_CALLS: &[(&str, u32)] = &[];
pub const SECCOMP_PRIVATE: &[u32] = &[];

/// Syscalls libseccomp names otherwise than the syscalls crate (its `fstatat` is the kernel's newfstatat).
pub const RENAMED: &[(S, &str)] = &[(S::fstatat, "newfstatat")];

// ---------------------------------------------------------------------------------------------
// Signals

/// The kernel's struct sigaction on arm64 (SA_RESTORER exists): handler, flags, restorer, mask.
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

// The kernel copies exactly this many bytes (arch/arm64/include/uapi/asm/signal.h).
const _: () = assert!(size_of::<KernelSigaction>() == 32 && S::clone as u32 == 220);
