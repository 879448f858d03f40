//! From the kernel's initial stack to `runix_main`, and the exit that follows.

use super::{Args, exit_group};
use core::ffi::c_char;

/// runix's stack: a static, not the one the kernel made. `ulimit -s` (RLIMIT_STACK) bounds only
/// how far the kernel grows that one, so on it a small limit would end runix in a SIGSEGV
/// somewhere in its setup, with cgroups made and not removed; this one is there whole, whatever
/// the limit, and costs memory only where it is touched (.bss). runix's deepest path uses about
/// 24 KiB (tests/stack.rs): 64 is room to spare. First in .bss (linker/*.ld): an overflow runs
/// into the read-only pages below it and faults, rather than into other statics.
pub(crate) const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
pub(crate) struct Stack([u8; STACK_SIZE]);

#[unsafe(link_section = ".bss.stack")]
pub(crate) static mut STACK: Stack = Stack([0; STACK_SIZE]);

unsafe extern "Rust" {
    /// Defined by the binary (src/main.rs): the program, given its arguments and environment.
    safe fn runix_main(args: Args, env: Args) -> i32;
}

/// Called by the per-arch `_start` with the initial stack pointer.
#[cfg_attr(test, allow(dead_code))]
pub(crate) extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: the kernel lays out argc, argv[argc], NULL, envp[..], NULL at sp (execve(2),
    // System V ABI 3.4.1); those strings stay valid, unmoved, for the life of the process.
    let (args, env) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const c_char;
        let envp = argv.add(argc + 1);
        let mut envc = 0;
        while !(*envp.add(envc)).is_null() {
            envc += 1;
        }
        (
            Args::from_raw(core::slice::from_raw_parts(argv, argc + 1)),
            Args::from_raw(core::slice::from_raw_parts(envp, envc + 1)),
        )
    };
    exit_group(runix_main(args, env))
}
