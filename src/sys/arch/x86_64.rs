//! x86_64: `_start` and the clone trampoline, in a few lines of assembly each.

use core::arch::global_asm;

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

unsafe extern "C" {
    /// Raw clone(2) that starts the child in `f(arg)` on `stack_top`. Returns the child's
    /// pid or -errno in the parent; never returns in the child.
    pub fn runix_clone(flags: usize, stack_top: usize, f: extern "C" fn(usize) -> !, arg: usize) -> isize;
}
