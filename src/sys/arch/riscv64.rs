//! riscv64: `_start` and the clone trampoline; what a seccomp filter sees of a syscall here
//! (and of rv32, the compat ABI riscv64 kernels may run); the kernel's struct sigaction. The
//! terminal ioctls and struct termios are asm-generic's (generic.rs).

use core::arch::global_asm;
use syscalls::Sysno as S;

pub use super::generic::*;

// The kernel starts us with sp pointing at argc, then argv[], NULL, envp[], NULL, auxv. Hand
// that pointer to Rust, running on runix's own static stack (start.rs says why), 16-byte
// aligned as the psABI requires, with a zero frame pointer and return address so backtraces
// stop. `lla`, not `la`: the address itself, not a load of it from a GOT. No global pointer
// (gp) relaxation: the link is not asked for it, so gp is never read.
#[cfg(not(test))]
global_asm!(
    ".globl _start",
    ".section .text._start,\"ax\",@progbits",
    "_start:",
    "    li fp, 0",
    "    li ra, 0",
    "    mv a0, sp",
    "    lla sp, {stack} + {size}",
    "    call {entry}",
    "    unimp",
    stack = sym super::super::start::STACK,
    size = const super::super::start::STACK_SIZE,
    entry = sym super::super::start::entry,
);

// long runix_clone(unsigned long flags, void *stack_top, void (*fn)(usize) -> !, usize arg)
//
// clone(2) (flags, stack, parent_tid, tls, child_tid here) without CLONE_VM but with a new
// stack. The kernel keeps every register but a0 across ecall, and the child gets copies, so fn
// and arg wait in the temporaries t0 and t1; the child calls fn on the fresh stack, which
// never returns.
global_asm!(
    ".globl runix_clone",
    ".section .text.runix_clone,\"ax\",@progbits",
    "runix_clone:",
    "    mv t0, a2",            // fn
    "    mv t1, a3",            // arg
    "    andi a1, a1, -16",
    "    li a2, 0",
    "    li a3, 0",
    "    li a4, 0",
    "    li a7, 220",           // SYS_clone
    "    ecall",
    "    bnez a0, 1f",
    "    mv a0, t1",            // child
    "    li fp, 0",
    "    li ra, 0",
    "    jalr t0",
    "    unimp",
    "1:  ret",                  // parent: pid or -errno
);

/// The syscalls by the names runix calls them: the syscalls crate's, on this CPU.
pub mod nr {
    pub use syscalls::Sysno::*;
}

// ---------------------------------------------------------------------------------------------
// seccomp

/// linux/audit.h AUDIT_ARCH_RISCV64 (EM_RISCV | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE).
pub const AUDIT_ARCH: u32 = 243 | 0x8000_0000 | 0x4000_0000;

/// That ABI's name in an OCI profile (`SCMP_ARCH_RISCV64`), for `runix features`.
pub const SCMP_ARCH: &str = "RISCV64";

/// linux/audit.h AUDIT_ARCH_RISCV32 (EM_RISCV | __AUDIT_ARCH_LE): rv32 programs, which a
/// riscv64 kernel with CONFIG_COMPAT runs. Killed.
pub const AUDIT_ARCH_COMPAT: u32 = 243 | 0x4000_0000;

/// No ABI shares this CPU's audit arch with a bit in nr (as x32 does on x86_64).
pub const SYSCALL_ABI_BIT: u32 = 0;

/// The syscalls riscv64 has besides those of every CPU that a program of this CPU needs: the
/// 64-bit CPUs', newfstatat, and the CPU's own: glibc asks riscv_hwprobe which
/// extensions it may use, and JITs flush the instruction cache with riscv_flush_icache.
pub const SECCOMP_ALLOWED: &[S] = &[
    S::fadvise64, S::getrlimit, S::memfd_secret, S::mmap, S::sync_file_range, S::newfstatat, S::riscv_hwprobe,
    S::riscv_flush_icache,
];

/// Syscalls of this CPU alone that need a capability: none.
pub const SECCOMP_GATED: &[(u8, S)] = &[];

/// CPU-private calls outside the numbered table: none.
pub const PRIVATE_CALLS: &[(&str, u32)] = &[];
pub const SECCOMP_PRIVATE: &[u32] = &[];

/// Syscalls libseccomp names otherwise than the syscalls crate: none.
pub const RENAMED: &[(S, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// Signals

/// The kernel's struct sigaction on riscv (asm-generic, without SA_RESTORER): handler, flags,
/// mask.
#[repr(C)]
pub struct KernelSigaction {
    handler: usize,
    flags: u64,
    mask: u64,
}

impl KernelSigaction {
    /// `handler` (SIG_IGN or SIG_DFL), no flags, an empty mask.
    pub const fn new(handler: usize) -> KernelSigaction {
        KernelSigaction { handler, flags: 0, mask: 0 }
    }
}

// The kernel copies exactly this many bytes (asm-generic/signal.h).
const _: () = assert!(size_of::<KernelSigaction>() == 24 && S::clone as u32 == 220);
