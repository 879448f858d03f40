//! Everything that differs between CPUs, one file each: the process entry point (`_start`),
//! the clone trampoline (`runix_clone`), what a seccomp filter sees of a syscall (AUDIT_ARCH,
//! a compat ABI, the syscalls beyond asm-generic's table), the kernel's struct sigaction.
//! What they share (terminal ioctls, struct termios) is in generic.rs. Porting runix to
//! another CPU means adding one file here and a linker script (linker/<arch>.ld).

mod generic;

unsafe extern "C" {
    /// Raw clone(2) that starts the child in `f(arg)` on `stack_top` (each CPU's file has its
    /// few lines of assembly). Returns the child's pid or -errno in the parent; never returns
    /// in the child.
    pub fn runix_clone(flags: usize, stack_top: usize, f: extern "C" fn(usize) -> !, arg: usize) -> isize;
}

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use aarch64::*;

#[cfg(target_arch = "arm")]
mod arm;
#[cfg(target_arch = "arm")]
pub use arm::*;

#[cfg(target_arch = "riscv64")]
mod riscv64;
#[cfg(target_arch = "riscv64")]
pub use riscv64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "arm", target_arch = "riscv64")))]
compile_error!("runix supports x86_64, aarch64, arm and riscv64: add src/sys/arch/<arch>.rs with what they have");
