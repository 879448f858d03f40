//! Everything that differs between CPUs: the process entry point and the clone trampoline.
//! Porting runix to another CPU means adding one file here (and a linker script).

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(not(target_arch = "x86_64"))]
compile_error!("runix supports x86_64 so far: add src/sys/arch/<arch>.rs with _start and runix_clone");
