//! config.json's `linux.seccomp` (runtime-spec config-linux.md) compiled into a classic BPF
//! program for seccomp(2), meaning what runc makes of it through libseccomp, without libseccomp.
//!
//! What a profile means (libseccomp src/db.c db_rule_add, runc libcontainer/seccomp):
//! - A rule whose action is the default action is skipped (libseccomp refuses it, runc drops it).
//! - For one syscall, a rule without args wins over those with args, before or after it; of
//!   several without args the first counts (podman's default allows setns, then lists it as
//!   EPERM: it is allowed).
//! - Rules with args are tried in their order and the first that matches decides; none: the
//!   default action. libseccomp merges them into one tree ordered by argument, not by rule:
//!   the same verdicts wherever rules that overlap agree on the action, as in every profile
//!   podman and docker ship (two with the same args and different actions it refuses).
//! - The args of a rule must all match; when an index comes twice, any one of them matching is
//!   enough (runc then adds each arg as a rule of its own).
//! - Each comparison is on all 64 bits: the high halves of seccomp_data.args[i], then the low.
//! - Names this CPU does not have are skipped.
//! - Numbers above the highest the profile names get ENOSYS unless the default action lets
//!   calls through (runc's patchbpf): libc then falls back from a syscall newer than the profile.
//!
//! Only calls through this CPU's own ABI are filtered; those through another (i386's int 0x80,
//! x32 on x86_64) are killed, even where `architectures` lists it and libseccomp would filter
//! them by their own numbers: no verdict is stricter, and runix has no name table for them.
//!
//! The program, top to bottom:
//!
//! ```text
//!   ld arch; jeq AUDIT_ARCH else KILL
//!   ld nr;   jgt LAST → HIGH                    LAST: the highest number the profile names
//!   jge tree over 0..=LAST, split where the verdict changes → a ret, or the number's checks
//!   checks: per rule with args, per arg: ld high half; [and mask;] jeq/jgt/jge; the same for
//!           the low half, → the rule's ret, or on to the next rule, at the end the default
//!   HIGH:   jeq each CPU-private call named (arm's set_tls...) → its ret; jeq -1 → ENOSYS;
//!           jset x32 bit → KILL else ENOSYS   (ENOSYS: the default without stub)
//! ```
//!
//! A `ret` is placed where a jump first needs it, and again when 255 instructions (a jump's
//! reach) are behind it; a jump to anything else that far goes through a `ja`.

use crate::error::Error;
use crate::oci::json::Value;
use crate::security::seccomp::{ARCH, JEQ, JGE, JGT, JSET, LD_ABS, NR, RET, RET_ENOSYS, RET_KILL};
use crate::sys::arch;
use crate::text::{After, word_index};
use libc::sock_filter;
use syscalls::Sysno as S;

/// A compiled profile: the program's length at the start of the buffer, and the flags for
/// seccomp(2) SECCOMP_SET_MODE_FILTER (SECCOMP_FILTER_FLAG_*).
#[derive(Clone, Copy, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct Filter {
    pub len: usize,
    pub flags: u32,
}

const E_SYSCALLS: &str = invalid!("linux.seccomp.syscalls[]");
const E_ARGS: &str = invalid!("linux.seccomp.syscalls[].args[]");

/// libseccomp's actions (SCMP_ACT_*), and what the kernel is to do for each. KILL is
/// KILL_THREAD, as in libseccomp; NOTIFY is refused (no listener is handed over).
pub const ACTIONS: &str = "KILL KILL_THREAD KILL_PROCESS TRAP ERRNO TRACE LOG ALLOW";
const RETS: [u32; 8] = [
    libc::SECCOMP_RET_KILL_THREAD,
    libc::SECCOMP_RET_KILL_THREAD,
    libc::SECCOMP_RET_KILL_PROCESS,
    libc::SECCOMP_RET_TRAP,
    libc::SECCOMP_RET_ERRNO,
    libc::SECCOMP_RET_TRACE,
    libc::SECCOMP_RET_LOG,
    libc::SECCOMP_RET_ALLOW,
];
/// SCMP_CMP_*: an odd one is the one before with the outcomes swapped (NE is not EQ...).
pub const OPS: &str = "EQ NE GE LT GT LE MASKED_EQ";
const MASKED_EQ: u8 = 6;
/// SECCOMP_FILTER_FLAG_* as the spec lists them: TSYNC is bit 0, which runix leaves out as
/// runc does (the container's init is single-threaded).
pub const FLAGS: &str = "TSYNC LOG SPEC_ALLOW";

/// Verdicts of a number being compiled, besides the kernel's own values (whose action part
/// is never 0xfff0 or above): none yet, rules with args (to compile), their checks at `BLOCK | i`.
const NONE: u32 = u32::MAX;
const CHECKED: u32 = u32::MAX - 1;
const BLOCK: u32 = 0xfff0_0000;

/// Numbers 0..N have a name on this CPU (some are gaps).
const N: usize = S::last() as usize + 1;

/// How many (syscall, rule with args) pairs a profile may have: docker's and podman's have
/// about 10, each is at least 4 instructions.
const MAX_CHECKED: usize = 64;

/// A rule with args for one syscall, kept from the first pass for the second.
#[derive(Clone, Copy)]
struct Checked<'a> {
    nr: usize,
    act: u32,
    any: bool,
    args: Option<Value<'a>>,
}

/// Compile `seccomp` (config.json's linux.seccomp) into `out`. Every field is checked before
/// an instruction is placed; an error names it. An `out` too small, or a program over the
/// kernel's 4096 instructions, is an error.
pub fn compile(seccomp: Value<'_>, out: &mut [sock_filter]) -> Result<Filter, Error> {
    let mut buf = [0; 64];
    if let Some(path) = seccomp.get(b"listenerPath").filter(|p| !p.is_null() && p.as_str(&mut []) != Some(b"")) {
        return Err(Error::msg(unsupported!("linux.seccomp.listenerPath"), path.as_str(&mut buf).unwrap_or(b"")));
    }
    let default = action(seccomp.get(b"defaultAction"), seccomp.get(b"defaultErrnoRet"), invalid!("linux.seccomp.defaultAction"))?;
    let mut flags = 0;
    for f in list(seccomp.get(b"flags"), invalid!("linux.seccomp.flags"), b"flags")? {
        let s = f.as_str(&mut buf).unwrap_or(b"");
        match s.after(b"SECCOMP_FILTER_FLAG_").and_then(|f| word_index(FLAGS, f)) {
            Some(i) => flags |= 1 << i & !1,
            None => return Err(Error::msg(unsupported!("linux.seccomp.flags"), s)),
        }
    }
    for a in list(seccomp.get(b"architectures"), invalid!("linux.seccomp.architectures"), b"architectures")? {
        let s = a.as_str(&mut buf).unwrap_or(b"");
        if !s.starts_with(b"SCMP_ARCH_") {
            return Err(Error::msg(invalid!("linux.seccomp.architectures"), s));
        }
    }

    // Each number's verdict, rule by rule as db_rule_add merges them.
    let mut verdict = [NONE; N + arch::PRIVATE_CALLS.len()];
    let mut checked = [None; MAX_CHECKED];
    let mut n = 0;
    let mut last = None;
    for rule in list(seccomp.get(b"syscalls"), E_SYSCALLS, b"syscalls")? {
        let [names, act, errno, args] = fields(rule, "names action errnoRet args", E_SYSCALLS)?;
        let act = action(act, errno, invalid!("linux.seccomp.syscalls[].action"))?;
        let (count, any) = check_args(args)?;
        for name in list(Some(names.ok_or_else(|| Error::msg(E_SYSCALLS, b"names"))?), E_SYSCALLS, b"names")? {
            let Some(nr) = number(name.as_str(&mut buf).ok_or_else(|| Error::msg(E_SYSCALLS, b"names"))?) else { continue };
            if nr >= N && count > 0 {
                return Err(Error::msg(unsupported!("linux.seccomp: args for a CPU-private syscall"), name.as_str(&mut buf).unwrap_or(b"")));
            }
            last = last.max(Some(nr).filter(|&nr| nr < N));
            let v = &mut verdict[nr];
            if act == default || !matches!(*v, NONE | CHECKED) {
                continue;
            }
            if count == 0 {
                *v = act;
                continue;
            }
            *v = CHECKED;
            let slot = checked.get_mut(n).ok_or_else(|| Error::msg(unsupported!("linux.seccomp: more than 64 rules with args"), b""))?;
            *slot = Some(Checked { nr, act, any, args });
            n += 1;
        }
    }
    // runc's stub, unless the default lets calls through: a profile with no name this CPU has
    // gets none either.
    let top = match default & libc::SECCOMP_RET_ACTION_FULL {
        _ if last.is_none() => default,
        libc::SECCOMP_RET_ALLOW | libc::SECCOMP_RET_LOG | libc::SECCOMP_RET_TRACE => default,
        _ => RET_ENOSYS,
    };
    let last = last.unwrap_or(0);

    // Built back to front, so that every jump's target is already placed.
    let mut p = Prog { pos: out.len(), out, full: false, near: [(To::Ret(NONE), 0); 8], next: 0 };
    for (nr, v) in verdict.iter_mut().enumerate() {
        if *v != CHECKED {
            continue;
        }
        // The last rule first: each goes on to the next when it does not match.
        let mut next = To::Ret(default);
        for c in checked.iter().rev().flatten().filter(|c| c.nr == nr) {
            next = p.rule(c.args, c.any, To::Ret(c.act), next)?;
        }
        *v = match next {
            To::At(i) => BLOCK | i as u32,
            To::Ret(r) => r,
        };
    }
    let tree = p.tree(&verdict[..=last], 0, default);
    // -1 is how tracers skip a call; libseccomp too lets it through.
    let mut high = match arch::SYSCALL_ABI_BIT {
        0 => To::Ret(top),
        bit => {
            let compat = p.jump(JSET, bit, To::Ret(RET_KILL), To::Ret(top));
            To::At(p.jump(JEQ, u32::MAX, To::Ret(top), To::At(compat)))
        }
    };
    // The CPU's own calls past its table that the profile names (arm's set_tls, ...).
    for (&(_, nr), &v) in arch::PRIVATE_CALLS.iter().zip(&verdict[N..]) {
        if v != NONE {
            high = To::At(p.jump(JEQ, nr, To::Ret(v), high));
        }
    }
    p.jump(JGT, last as u32, high, tree);
    p.put(LD_ABS, NR, 0, 0);
    p.jump(JEQ, arch::AUDIT_ARCH, To::At(p.pos), To::Ret(RET_KILL));
    p.put(LD_ABS, ARCH, 0, 0);
    if p.full {
        return Err(Error::msg("linux.seccomp filter too long", b""));
    }
    let len = p.out.len() - p.pos;
    p.out.copy_within(p.pos.., 0);
    Ok(Filter { len, flags })
}

/// The kernel's verdict for the action `name` with its errno `errno`: `what` names the field
/// in an error.
fn action(name: Option<Value<'_>>, errno: Option<Value<'_>>, what: &'static str) -> Result<u32, Error> {
    let mut buf = [0; 32];
    let name = name.and_then(|v| v.as_str(&mut buf)).unwrap_or(b"");
    let i = name.after(b"SCMP_ACT_").and_then(|a| word_index(ACTIONS, a));
    let Some(&ret) = i.and_then(|i| RETS.get(i)) else {
        return Err(Error::msg(if name == b"SCMP_ACT_NOTIFY" { unsupported!("linux.seccomp action") } else { what }, name));
    };
    // ERRNO and TRACE take an errno, EPERM when absent (runc); the spec refuses one for others.
    let takes = ret == libc::SECCOMP_RET_ERRNO || ret == libc::SECCOMP_RET_TRACE;
    let errno = match errno.filter(|e| !e.is_null()) {
        None => takes as u64 * libc::EPERM as u64,
        Some(e) => e.as_u64().filter(|&e| takes && e <= 0xffff).ok_or_else(|| Error::msg(invalid!("linux.seccomp errnoRet for"), name))?,
    };
    Ok(ret | errno as u32)
}

/// The elements of the array `v`, none when it is absent or null; `what: key` for anything else.
fn list<'a>(v: Option<Value<'a>>, what: &'static str, key: &[u8]) -> Result<impl Iterator<Item = Value<'a>>, Error> {
    let v = match v.filter(|v| !v.is_null()) {
        Some(v) => v,
        None => Value::parse(b"[]", "")?,
    };
    v.elements().ok_or_else(|| Error::msg(what, key))
}

/// The members `keys` of object `v` (null: absent), found in one pass: a rule may list
/// hundreds of names, which a lookup of each member would step over again.
fn fields<'a>(v: Value<'a>, keys: &str, what: &'static str) -> Result<[Option<Value<'a>>; 4], Error> {
    let mut f = [None; 4];
    for (k, v) in v.members().ok_or_else(|| Error::msg(what, b""))? {
        if let Some(e) = k.as_str(&mut [0; 16]).and_then(|k| word_index(keys, k)).and_then(|i| f.get_mut(i)) {
            *e = Some(v).filter(|v| !v.is_null());
        }
    }
    Ok(f)
}

/// One of a rule's args: `args[index] op value` (MASKED_EQ: `args[index] & value == valueTwo`).
#[derive(Clone, Copy)]
struct Cmp {
    index: u32,
    op: u8,
    value: u64,
    two: u64,
}

fn cmp(arg: Value<'_>) -> Result<Cmp, Error> {
    let [index, value, two, op] = fields(arg, "index value valueTwo op", E_ARGS)?;
    // An absent valueTwo is 0; the others must be there.
    let num = |v: Option<Value<'_>>, key: &'static [u8], max| match v {
        None if key == b"valueTwo" => Ok(0),
        v => v.and_then(|v| v.as_u64()).filter(|&v| v <= max).ok_or_else(|| Error::msg(E_ARGS, key)),
    };
    let index = num(index, b"index", 5)? as u32;
    let (value, two) = (num(value, b"value", u64::MAX)?, num(two, b"valueTwo", u64::MAX)?);
    let mut buf = [0; 32];
    let op = op.and_then(|o| o.as_str(&mut buf)).unwrap_or(b"op");
    let op = op.after(b"SCMP_CMP_").and_then(|o| word_index(OPS, o)).ok_or_else(|| Error::msg(E_ARGS, op))?;
    Ok(Cmp { index, op: op as u8, value, two })
}

/// A rule's args, each checked: how many, and whether an index comes twice (then any one
/// matching is enough).
fn check_args(args: Option<Value<'_>>) -> Result<(usize, bool), Error> {
    let (mut n, mut seen, mut twice) = (0, 0u8, false);
    for a in list(args, E_ARGS, b"args")? {
        let c = cmp(a)?;
        twice |= seen & 1 << c.index != 0;
        seen |= 1 << c.index;
        n += 1;
    }
    Ok((n, twice))
}

/// Where a jump goes: an instruction placed, or a `ret` of a value, placed where needed.
#[derive(Clone, Copy, PartialEq)]
enum To {
    At(usize),
    Ret(u32),
}

/// The farthest a target may be when a jump is about to be placed: a jump reaches 255
/// instructions, and the other branch's stand-in may still come between them.
const REACH: usize = 254;

/// A program being written from its end: `pos` is the first instruction placed so far. One that
/// does not fit sets `full`, checked once at the end.
struct Prog<'a> {
    out: &'a mut [sock_filter],
    pos: usize,
    full: bool,
    /// Targets placed lately (a `ret`, or a `ja` to a far instruction) and where: reused while
    /// in reach. `next` is the entry to replace.
    near: [(To, usize); 8],
    next: usize,
}

impl Prog<'_> {
    /// Place an instruction in front of the others, its jumps already in reach; returns its index.
    fn put(&mut self, code: u32, k: u32, jt: u8, jf: u8) -> usize {
        if self.pos > 0 && self.out.len() - self.pos < libc::BPF_MAXINSNS as usize {
            self.pos -= 1;
            self.out[self.pos] = sock_filter { code: code as u16, jt, jf, k };
        } else {
            self.full = true;
        }
        self.pos
    }

    /// A conditional jump to `jt` or `jf`; returns its index.
    fn jump(&mut self, code: u32, k: u32, jt: To, jf: To) -> usize {
        let jt = self.reach(jt);
        let jf = self.reach(jf);
        let pos = self.pos;
        self.put(code, k, jt.wrapping_sub(pos) as u8, jf.wrapping_sub(pos) as u8)
    }

    /// The index of `to`, or of a stand-in for it placed in reach of the next instruction.
    fn reach(&mut self, to: To) -> usize {
        let pos = self.pos;
        if let To::At(i) = to
            && i.wrapping_sub(pos) <= REACH
        {
            return i;
        }
        if let Some(&(_, i)) = self.near.iter().find(|&&(t, i)| t == to && i.wrapping_sub(pos) <= REACH) {
            return i;
        }
        let i = match to {
            To::At(i) => self.put(libc::BPF_JMP | libc::BPF_JA, i.wrapping_sub(pos) as u32, 0, 0),
            To::Ret(v) => self.put(RET, v, 0, 0),
        };
        let slot = self.near.iter().position(|&(t, _)| t == to).unwrap_or(self.next % 8);
        self.next += 1;
        if let Some(e) = self.near.get_mut(slot) {
            *e = (to, i);
        }
        i
    }

    /// A binary search over the numbers `first..` whose verdicts are `verdict`, split where
    /// the verdict changes nearest the middle.
    fn tree(&mut self, verdict: &[u32], first: usize, default: u32) -> To {
        let changes = |i: usize| i > 0 && verdict.get(i).is_some_and(|&v| Some(&v) != verdict.get(i - 1));
        let mid = verdict.len() / 2;
        let Some(split) = (0..=mid).find_map(|d| [mid + d, mid - d].into_iter().find(|&i| changes(i))) else {
            return match verdict.first().copied().unwrap_or(NONE) {
                NONE => To::Ret(default),
                v if v >= BLOCK => To::At((v - BLOCK) as usize),
                v => To::Ret(v),
            };
        };
        let (lo, hi) = verdict.split_at(split);
        let above = self.tree(hi, first + split, default);
        let below = self.tree(lo, first, default);
        To::At(self.jump(JGE, (first + split) as u32, above, below))
    }

    /// A rule's args, all to match (`any`: one), to `pass` or else `fail`.
    fn rule(&mut self, args: Option<Value<'_>>, any: bool, pass: To, fail: To) -> Result<To, Error> {
        let mut to = if any { fail } else { pass };
        for a in list(args, E_ARGS, b"args")? {
            let c = cmp(a)?;
            to = if any { self.cmp(c, pass, to) } else { self.cmp(c, to, fail) };
        }
        Ok(to)
    }

    /// `args[i] op value` on 64 bits: the high halves decide unless equal, then the low ones.
    fn cmp(&mut self, c: Cmp, pass: To, fail: To) -> To {
        let (t, f) = if c.op & 1 != 0 { (fail, pass) } else { (pass, fail) };
        // libseccomp too compares the datum masked.
        let (mask, v) = if c.op == MASKED_EQ { (c.value, c.two & c.value) } else { (u64::MAX, c.value) };
        let code = [JEQ, JGE, JGT, JEQ][c.op as usize / 2 % 4];
        let low = self.half(c.index, 0, mask as u32, code, v as u32, t, f);
        let high = (v >> 32) as u32;
        if code == JEQ {
            return self.half(c.index, 4, (mask >> 32) as u32, JEQ, high, low, f);
        }
        let eq = self.jump(JEQ, high, low, f);
        self.jump(JGT, high, t, To::At(eq));
        self.load(c.index, 4);
        To::At(self.pos)
    }

    /// Load the half of args[i] at byte `at` of it (little-endian: 0 low, 4 high), mask it and
    /// compare it with `k`: to `t` when true, else `f`. A mask of 0 leaves nothing to compare.
    #[allow(clippy::too_many_arguments)]
    fn half(&mut self, i: u32, at: u32, mask: u32, code: u32, k: u32, t: To, f: To) -> To {
        if mask == 0 {
            return t;
        }
        self.jump(code, k, t, f);
        if mask != u32::MAX {
            self.put(libc::BPF_ALU | libc::BPF_AND | libc::BPF_K, mask, 0, 0);
        }
        self.load(i, at);
        To::At(self.pos)
    }

    fn load(&mut self, i: u32, at: u32) {
        let at = if cfg!(target_endian = "big") { 4 - at } else { at };
        self.put(LD_ABS, core::mem::offset_of!(libc::seccomp_data, args) as u32 + 8 * i + at, 0, 0);
    }
}

/// This CPU's syscalls by number, each as a hash of its name (0: no syscall has the number),
/// built by the compiler from the syscalls crate's table: 1.5 KiB, where the crate's own
/// lookups (Sysno::name, Sysno::from_str) would take 10 and 17. No two of this CPU's names
/// share a hash (checked here), nor one of them with a name of another CPU's (tests); a name
/// no table knows (a typo, a syscall newer than the crate) has 1 chance in 10^7 to.
const ALL_HASHES: [u32; N] = {
    let mut h = [0; N];
    let mut nr = 0;
    while nr < N {
        if let Some(s) = S::new(nr) {
            // libseccomp's name where the syscalls crate's differs (arm64's newfstatat).
            let mut name = s.name().as_bytes();
            let mut i = 0;
            while i < arch::RENAMED.len() {
                if arch::RENAMED[i].0 as usize == nr {
                    name = arch::RENAMED[i].1.as_bytes();
                }
                i += 1;
            }
            h[nr] = hash(name);
            assert!(h[nr] != 0 && h[nr] != hash(b""));
            let mut other = 0;
            while other < nr {
                assert!(h[other] != h[nr]);
                other += 1;
            }
        }
        nr += 1;
    }
    h
};

/// The longest run of numbers without a syscall (x86_64's 335 to 423), left out of HASHES.
const GAP: (usize, usize) = {
    let (mut best, mut i) = ((0, 0), 0);
    while i < N {
        let mut end = i;
        while end < N && ALL_HASHES[end] == 0 {
            end += 1;
        }
        if end - i > best.1 - best.0 {
            best = (i, end);
        }
        i = end + 1;
    }
    best
};

/// ALL_HASHES without GAP: number `nr` past the gap is at `nr - (GAP.1 - GAP.0)`.
static HASHES: [u32; N - (GAP.1 - GAP.0)] = {
    let mut h = [0; N - (GAP.1 - GAP.0)];
    let mut i = 0;
    while i < h.len() {
        h[i] = ALL_HASHES[if i < GAP.0 { i } else { i + GAP.1 - GAP.0 }];
        i += 1;
    }
    h
};

/// FNV-1a, 32 bits.
const fn hash(name: &[u8]) -> u32 {
    let (mut h, mut i) = (0x811c_9dc5u32, 0);
    while i < name.len() {
        h = (h ^ name[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

/// The number of syscall `name` on this CPU; a CPU-private call past the table (arm's set_tls)
/// is N + its index in arch::PRIVATE_CALLS.
fn number(name: &[u8]) -> Option<usize> {
    let h = hash(name);
    match HASHES.iter().position(|&x| x == h && x != 0) {
        Some(i) => Some(if i < GAP.0 { i } else { i + GAP.1 - GAP.0 }),
        None => arch::PRIVATE_CALLS.iter().position(|&(n, _)| n.as_bytes() == name).map(|i| N + i),
    }
}

#[cfg(test)]
mod tests;
