//! From the kernel's initial stack to `runix_main`, and the exit that follows.

use super::{Args, exit_group};
use core::ffi::c_char;

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
