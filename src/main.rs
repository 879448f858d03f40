//! The runix executable: the per-arch `_start` (src/sys/arch) calls `runix_main`.
//! (`cargo check --all-targets` also builds it as a test, with std's harness: none of this.)
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![cfg(not(test))]

use runix::sys::{self, Args};

#[unsafe(no_mangle)]
fn runix_main(args: Args, env: Args) -> i32 {
    runix::main(args, env)
}

/// panic = "abort": a bug in runix ends the process with runix's own error status.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    runix::log::say("runix: internal error\n");
    sys::exit_group(125)
}

/// The prebuilt `core` of unoptimised (debug) builds refers to the unwinding personality
/// routine even though panic = "abort" never unwinds; release builds (LTO) drop the reference.
#[cfg(debug_assertions)]
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
