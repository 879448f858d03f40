//! Text of fixed tables and kernel files, as bytes: fields, words, decimal numbers, UTF-8.
//! Pure functions, below everything else: they depend on nothing of runix's.

/// Word `i` of a list of names separated by single spaces, unless it is "-".
pub fn word(names: &str, i: u64) -> Option<&str> {
    field(names, b' ', i).filter(|&w| w != "-")
}

/// Field `i` of `s`, whose fields `sep` separates (a byte loop: str::split's searcher, with
/// memchr, costs half a kilobyte).
pub fn field(s: &str, sep: u8, i: u64) -> Option<&str> {
    let (mut n, mut start) = (0, 0);
    let b = s.as_bytes();
    for end in 0..=b.len() {
        if end == b.len() || b[end] == sep {
            if n == i {
                return s.get(start..end);
            }
            n += 1;
            start = end + 1;
        }
    }
    None
}

/// `strip_prefix` with the prefix a slice: for a `b"..."` array, core makes one copy of it
/// for each length.
pub trait After {
    fn after(&self, prefix: &[u8]) -> Option<&[u8]>;
}

impl After for [u8] {
    fn after(&self, prefix: &[u8]) -> Option<&[u8]> {
        self.strip_prefix(prefix)
    }
}

/// The position of `w` in a list of names separated by single spaces.
pub fn word_index(names: &str, w: &[u8]) -> Option<usize> {
    (0..).map_while(|i| (i <= names.len()).then(|| word(names, i as u64))).position(|x| x.map(str::as_bytes) == Some(w))
}

/// The `sep`-separated fields of `s`, as `split` gives them; one closure type for all, so the
/// iterator's code is there once.
pub fn fields(s: &[u8], sep: u8) -> core::slice::Split<'_, u8, impl FnMut(&u8) -> bool> {
    s.split(move |&c| c == sep)
}

/// Whether `item` is one of the `sep`-separated fields of `list`.
pub fn has(list: &[u8], sep: u8, item: &[u8]) -> bool {
    fields(list, sep).any(|f| f == item)
}

/// `s` before its first `sep`, and after it; None without one.
pub fn cut(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().position(|&c| c == sep)?;
    let (a, b) = s.split_at(i);
    Some((a, b.get(1..)?))
}

/// A decimal number: digits only, no sign, no overflow.
pub fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(d.is_ascii_digit().then(|| (d - b'0') as u64)?))
}

/// A size in the largest unit that divides it: (number, unit).
pub fn human(v: u64) -> (u64, &'static str) {
    match v {
        v if v % (1 << 20) == 0 => (v >> 20, "MiB"),
        v if v % (1 << 10) == 0 => (v >> 10, "KiB"),
        v => (v, "bytes"),
    }
}

/// Decimal digits of v, without allocation.
pub fn itoa(mut v: u64, buf: &mut [u8]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &buf[i..];
        }
    }
}

/// `secs` since the epoch as RFC 3339 UTC, `2026-12-02T12:42:26Z` (from 1970 to 2099).
#[inline(never)]
pub fn rfc3339(secs: u64, out: &mut [u8; 20]) -> &[u8] {
    let (mut day, t) = (secs / 86400, secs % 86400);
    let mut year = 1970;
    // A leap day every fourth year, 2000 included.
    while day >= 365 + (year % 4 == 0) as u64 {
        day -= 365 + (year % 4 == 0) as u64;
        year += 1;
    }
    let mut month = 0;
    // Each month's days less 28; February's 1 in a leap year.
    while day >= 28 + (b"\x03\x00\x03\x02\x03\x02\x03\x03\x02\x03\x02\x03"[month] + (month == 1 && year % 4 == 0) as u8) as u64 {
        day -= 28 + (b"\x03\x00\x03\x02\x03\x02\x03\x03\x02\x03\x02\x03"[month] + (month == 1 && year % 4 == 0) as u8) as u64;
        month += 1;
    }
    *out = *b"0000-00-00T00:00:00Z";
    for (i, v) in [year / 100, year % 100, month as u64 + 1, day + 1, t / 3600, t / 60 % 60, t % 60].into_iter().enumerate() {
        let at = b"\x00\x02\x05\x08\x0b\x0e\x11"[i] as usize;
        out[at] = b'0' + (v / 10) as u8;
        out[at + 1] = b'0' + (v % 10) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(word("a - ccc", 0), Some("a"));
        assert_eq!(word("a - ccc", 1), None);
        assert_eq!(word("a - ccc", 2), Some("ccc"));
        assert_eq!(word("a - ccc", 3), None);
        assert_eq!(word_index("a - ccc", b"ccc"), Some(2));
        assert_eq!(word_index("a - ccc", b"x"), None);
    }

    #[test]
    fn rfc3339_dates() {
        let mut b = [0u8; 20];
        assert_eq!(rfc3339(0, &mut b), b"1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400, &mut b), b"2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_215_346, &mut b), b"2026-12-02T12:42:26Z");
        assert_eq!(rfc3339(4_102_444_799, &mut b), b"2099-12-31T23:59:59Z");
    }

    #[test]
    fn itoa_writes_digits() {
        let mut b = [0u8; 20];
        assert_eq!(itoa(0, &mut b), b"0");
        assert_eq!(itoa(4242, &mut b), b"4242");
        assert_eq!(itoa(u64::MAX, &mut b), b"18446744073709551615");
    }
}
