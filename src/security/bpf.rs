//! Test builds only: a classic BPF interpreter and checker for seccomp programs, shared by the
//! tests of the default policy (seccomp.rs) and of OCI profiles (oci/seccomp.rs).

use super::seccomp::{JEQ, JGE, JGT, JSET, LD_ABS, RET};
use crate::sys::arch;
use libc::sock_filter;
use syscalls::Sysno;

pub const JA: u32 = libc::BPF_JMP | libc::BPF_JA;
const AND: u32 = libc::BPF_ALU | libc::BPF_AND | libc::BPF_K;
const OR: u32 = libc::BPF_ALU | libc::BPF_OR | libc::BPF_K;

/// One system call as the filter sees it (struct seccomp_data).
#[derive(Clone, Copy, Debug)]
pub struct Call {
    pub arch: u32,
    pub nr: u32,
    pub args: [u64; 6],
}

/// A call of this CPU's native ABI.
pub fn call(nr: Sysno, args: &[u64]) -> Call {
    let mut a = [0; 6];
    a[..args.len()].copy_from_slice(args);
    Call { arch: arch::AUDIT_ARCH, nr: nr as u32, args: a }
}

/// What running a program did: the verdict, the instructions run, and whether it used only
/// what the kernel's action cache can evaluate without the call's arguments (kernel/seccomp.c
/// seccomp_is_const_allow: loads of nr and arch, jumps with k, ret k, and with k).
pub struct Run {
    pub ret: u32,
    pub steps: usize,
    pub cacheable: bool,
}

/// Run `prog` on `c`, as the kernel runs a seccomp filter.
pub fn run(prog: &[sock_filter], c: &Call) -> Run {
    let (mut a, mut pc, mut steps, mut cacheable) = (0u32, 0usize, 0, true);
    loop {
        let i = prog[pc];
        let (code, k) = (i.code as u32, i.k);
        pc += 1;
        steps += 1;
        match code {
            LD_ABS => {
                a = match k {
                    0 => c.nr,
                    4 => c.arch,
                    8 | 12 => 0, // instruction_pointer
                    16..=63 if k % 4 == 0 => {
                        let v = c.args[(k as usize - 16) / 8];
                        if k % 8 == 0 { v as u32 } else { (v >> 32) as u32 }
                    }
                    _ => panic!("ld [{k}]"),
                };
                cacheable &= k < 8;
            }
            RET => return Run { ret: k, steps, cacheable },
            JA => pc += k as usize,
            JEQ | JGT | JGE | JSET => {
                let taken = match code {
                    JEQ => a == k,
                    JGT => a > k,
                    JGE => a >= k,
                    _ => a & k != 0,
                };
                pc += if taken { i.jt } else { i.jf } as usize;
            }
            AND => a &= k,
            OR => {
                a |= k;
                cacheable = false;
            }
            _ => panic!("opcode {code:#x} at {}", pc - 1),
        }
    }
}

/// What the kernel's checker (bpf_check_classic, seccomp_check_filter) insists on, and more:
/// known opcodes, aligned loads inside seccomp_data, every jump inside, a ret at the end.
pub fn check(prog: &[sock_filter]) {
    assert!(!prog.is_empty() && prog.len() <= libc::BPF_MAXINSNS as usize, "{} instructions", prog.len());
    for (pc, i) in prog.iter().enumerate() {
        let (code, k) = (i.code as u32, i.k);
        match code {
            LD_ABS => assert!(k % 4 == 0 && (k as usize) < size_of::<libc::seccomp_data>(), "ld [{k}] at {pc}"),
            RET | AND | OR => assert_eq!((i.jt, i.jf), (0, 0)),
            JA => assert!(pc + 1 + (k as usize) < prog.len(), "ja out of the program at {pc}"),
            JEQ | JGT | JGE | JSET => {
                assert!(pc + 1 + (i.jt as usize) < prog.len(), "jt out of the program at {pc}");
                assert!(pc + 1 + (i.jf as usize) < prog.len(), "jf out of the program at {pc}");
            }
            _ => panic!("unexpected opcode {code:#x} at {pc}"),
        }
    }
    assert_eq!(prog.last().unwrap().code as u32, RET, "the program must end in a ret");
}
