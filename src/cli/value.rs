//! The values of options, as text: sizes, CPU amounts and lists. Checked here, once, so that
//! everything below the Spec takes them as they are.

use crate::buf::CBuf;
use crate::error::Error;
use crate::spec::{CPU_PERIOD, Limits, Mount, MountKind, RLIMITS, Ulimit};
use crate::text::{After, cut, fields, human, itoa, number, word_index};

/// A size in bytes: digits with an optional k, m or g (binary units, any case) and an optional
/// trailing b, as Docker's -m. Zero, signs, fractions and sizes past i64 are refused.
pub fn parse_size(s: &[u8]) -> Option<u64> {
    let s = match s {
        [r @ .., b'b' | b'B'] => r,
        _ => s,
    };
    let (digits, shift) = match s {
        [r @ .., u] => match u | 0x20 {
            b'k' => (r, 10),
            b'm' => (r, 20),
            b'g' => (r, 30),
            _ => (s, 0),
        },
        [] => return None,
    };
    let v = number(digits)?.checked_mul(1 << shift)?;
    (v > 0 && v <= i64::MAX as u64).then_some(v)
}

/// --memory-swap: a size, or -1 for unlimited swap.
pub fn parse_swap(s: &[u8]) -> Option<i64> {
    if s == b"-1" { Some(-1) } else { parse_size(s).map(|v| v as i64) }
}

/// --cpus as a CFS quota in µs per CPU_PERIOD: `1.5` is 150000. At most 5 decimals (1 µs; more
/// could not be written exactly), a digit before any point, and at least 0.01 (the kernel's
/// 1 ms minimum quota).
pub fn parse_cpus(s: &[u8]) -> Option<u64> {
    let (int, frac) = match cut(s, b'.') {
        Some((i, f)) if !f.is_empty() && f.len() <= 5 => (i, f),
        Some(_) => return None,
        None => (s, &b""[..]),
    };
    // The decimals in µs: "25" is 25000 (CPU_PERIOD is 10^5).
    let mut us = if frac.is_empty() { 0 } else { number(frac)? };
    for _ in frac.len()..5 {
        us *= 10;
    }
    let q = number(int)?.checked_mul(CPU_PERIOD)?.checked_add(us)?;
    (q >= 1000 && q <= i64::MAX as u64).then_some(q)
}

/// The syntax of a cpuset list: `N` or `N-M` (N <= M), comma-separated, nothing else (no
/// spaces, no `:stride`). Whether the CPUs exist is for the kernel to say.
pub fn parse_cpu_list(s: &[u8]) -> bool {
    !s.is_empty()
        && fields(s, b',').all(|r| match cut(r, b'-') {
            None => number(r).is_some(),
            Some((a, b)) => matches!((number(a), number(b)), (Some(a), Some(b)) if a <= b),
        })
}

/// Limits that contradict each other (Docker's rules for --memory-swap). Values out of the
/// kernel's range are for the kernel to refuse (cgroup names file and value then).
#[inline(never)]
pub fn check_limits(l: &Limits) -> Result<(), Error> {
    match (l.memory_swap, l.memory) {
        (Some(s), Some(m)) if s != -1 && (s < 0 || (s as u64) < m) => {
            // `16 MiB < 32 MiB`: the two values, as the user gave them more or less.
            let mut b = CBuf::<64>::new();
            for (i, v) in [s as u64, m].into_iter().enumerate() {
                let (n, unit) = human(v);
                b.push_all(&[if i == 0 { b"" } else { b" < " }, itoa(n, &mut [0; 20]), b" ", unit.as_bytes()])?;
            }
            Err(Error::msg("--memory-swap below --memory (it counts memory plus swap)", b.bytes()))
        }
        (Some(_), None) => Err(Error::msg("memory-swap limit without a memory limit", b"")),
        _ => Ok(()),
    }
}

/// PATH_MAX: a longer path could not be passed to any syscall.
pub const PATH_MAX: usize = 4096;

/// A container path for a mount: absolute, under PATH_MAX, no `..` (it could only mean a
/// place outside the root, and no mount goes there).
pub fn container_path(p: &[u8]) -> bool {
    p.starts_with(b"/") && p.len() < PATH_MAX && !has_dotdot(p)
}

pub fn has_dotdot(p: &[u8]) -> bool {
    crate::text::has(p, b'/', b"..")
}

/// `SRC:DST`, `SRC:DST:ro` or `SRC:DST:rw`.
pub fn parse_bind(v: &'static [u8]) -> Option<Mount> {
    let mut parts = fields(v, b':');
    let (src, dst) = (parts.next()?, parts.next()?);
    let ro = match (parts.next(), parts.next()) {
        (None | Some(b"rw"), None) => false,
        (Some(b"ro"), None) => true,
        _ => return None,
    };
    (!src.is_empty() && src.len() < PATH_MAX && container_path(dst)).then_some(Mount { dst, kind: MountKind::Bind { src, attrs: ro as u8 } })
}

/// `DST` or `DST:size=N`.
pub fn parse_tmpfs(v: &'static [u8]) -> Option<Mount> {
    let (dst, size) = match v.iter().position(|&c| c == b':') {
        Some(i) => (&v[..i], Some(parse_size(v[i + 1..].after(b"size=")?)?)),
        None => (v, None),
    };
    container_path(dst).then_some(Mount { dst, kind: MountKind::Tmpfs { size } })
}


/// `nofile=1024` or `nofile=1024:2048`: a limit for RLIMIT_NOFILE; `unlimited` or -1 is none.
/// Without a hard limit, the hard limit is the soft one (as Docker does).
pub fn parse_ulimit(v: &[u8]) -> Option<Ulimit> {
    let eq = v.iter().position(|&c| c == b'=')?;
    let resource = word_index(RLIMITS, &v[..eq])? as u8;
    let value = |s: &[u8]| if s == b"unlimited" || s == b"-1" { Some(u64::MAX) } else { parse_count(s).or((s == b"0").then_some(0)) };
    let mut parts = fields(v.get(eq + 1..)?, b':');
    let soft = value(parts.next()?)?;
    let hard = match (parts.next(), parts.next()) {
        (Some(h), None) => value(h)?,
        (None, _) => soft,
        _ => return None,
    };
    (soft <= hard).then_some(Ulimit { resource, soft, hard })
}

/// A positive decimal number that fits in i64 (what cgroup files accept): no sign, no spaces,
/// at most 19 digits.
pub fn parse_count(s: &[u8]) -> Option<u64> {
    number(s).filter(|&n| s.len() <= 19 && n >= 1 && n <= i64::MAX as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"32m"), Some(32 << 20));
        assert_eq!(parse_size(b"32MB"), Some(32 << 20));
        assert_eq!(parse_size(b"1k"), Some(1024));
        assert_eq!(parse_size(b"1Kb"), Some(1024));
        assert_eq!(parse_size(b"2g"), Some(2 << 30));
        assert_eq!(parse_size(b"4096"), Some(4096));
        assert_eq!(parse_size(b"4096b"), Some(4096));
        assert_eq!(parse_size(b"8589934591g"), Some(8_589_934_591 << 30));
        for bad in [&b""[..], b"0", b"0m", b"-1", b"+1", b"1.5g", b"1t", b"1x", b"m", b"b", b"1 m", b"1bb", b"8589934592g", b"99999999999999999999"] {
            assert_eq!(parse_size(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_swap(b"-1"), Some(-1));
        assert_eq!(parse_swap(b"1g"), Some(1 << 30));
        assert_eq!(parse_swap(b"-2"), None);
    }

    #[test]
    fn cpus() {
        assert_eq!(parse_cpus(b"1"), Some(100_000));
        assert_eq!(parse_cpus(b"0.25"), Some(25_000));
        assert_eq!(parse_cpus(b"1.5"), Some(150_000));
        assert_eq!(parse_cpus(b"0.01"), Some(1_000));
        assert_eq!(parse_cpus(b"0.33333"), Some(33_333));
        assert_eq!(parse_cpus(b"64"), Some(6_400_000));
        assert_eq!(parse_cpus(b"007.50"), Some(750_000));
        for bad in [&b""[..], b"0", b"0.0", b"0.009", b"-1", b"+1", b".5", b"1.", b"1.000001", b"1e3", b"1,5", b"one", b"184467440737095.5", b"99999999999999999999"] {
            assert_eq!(parse_cpus(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn swap_follows_docker_rules() {
        let l = |memory, memory_swap| check_limits(&Limits { memory, memory_swap, ..Limits::default() }).err().map(|e| crate::error::tests::show(&e));
        assert_eq!(l(Some(100), Some(100)), None);
        assert_eq!(l(Some(100), Some(-1)), None);
        assert_eq!(l(Some(100), None), None);
        assert_eq!(l(Some(100), Some(99)).as_deref(), Some("--memory-swap below --memory (it counts memory plus swap): 99 bytes < 100 bytes"));
        assert_eq!(l(Some(32 << 20), Some(16 << 20)).as_deref(), Some("--memory-swap below --memory (it counts memory plus swap): 16 MiB < 32 MiB"));
        assert_eq!(l(None, Some(100)).as_deref(), Some("memory-swap limit without a memory limit"));
    }

    #[test]
    fn cpu_lists() {
        for good in [&b"0"[..], b"0-1,3", b"0-0", b"2,4,6-7", b"128"] {
            assert!(parse_cpu_list(good), "{}", String::from_utf8_lossy(good));
        }
        for bad in [&b""[..], b"1-0", b"0,", b",0", b"0,,1", b"0-", b"-1", b"0-1-2", b"a", b" 0", b"0-3:2/4", b"0\n"] {
            assert!(!parse_cpu_list(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count(b"1"), Some(1));
        assert_eq!(parse_count(b"9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(parse_count(b"9223372036854775808"), None);
        assert_eq!(parse_count(b"+1"), None);
        assert_eq!(parse_count(b" 1"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(parse_count(b"0"), None);
        // Nineteen digits at most, as i64 has.
        assert_eq!(parse_count(b"0000000000000000100"), Some(100));
        assert_eq!(parse_count(b"00000000000000000100"), None);
    }

    #[test]
    fn ulimits_take_zero_as_itself_only() {
        let u = |s: &[u8]| parse_ulimit(s).map(|u| (u.soft, u.hard));
        assert_eq!(u(b"nofile=0"), Some((0, 0)));
        assert_eq!(u(b"nofile=0:10"), Some((0, 10)));
        assert_eq!(u(b"nofile=00"), None);
        assert_eq!(u(b"nofile=00000000000000000001024"), None);
        assert_eq!(u(b"nofile=unlimited"), Some((u64::MAX, u64::MAX)));
    }
}
