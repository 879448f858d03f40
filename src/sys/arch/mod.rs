//! Everything that differs between CPUs, one file each: the process entry point (`_start`),
//! the clone trampoline (`runix_clone`), what a seccomp filter sees of a syscall (AUDIT_ARCH,
//! a compat ABI's bit, the syscalls beyond asm-generic's table), the kernel's struct sigaction,
//! and the terminal ioctls and struct termios. Porting runix to another CPU means adding one
//! file here (and a linker script).

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(not(target_arch = "x86_64"))]
compile_error!("runix supports x86_64 so far: add src/sys/arch/<arch>.rs with what src/sys/arch/x86_64.rs has");
