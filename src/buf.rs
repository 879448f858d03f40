//! Fixed-size buffers in place of a heap: a C path builder that refuses to overflow.

use crate::error::Error;
use core::ffi::CStr;

/// A NUL-terminated byte string of at most N-1 bytes, built piece by piece.
/// Overflow is an ENAMETOOLONG error naming the start of what did not fit, never a truncation.
pub struct CBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> CBuf<N> {
    pub const fn new() -> Self {
        CBuf { buf: [0; N], len: 0 }
    }

    pub fn from(parts: &[&[u8]]) -> Result<Self, Error> {
        let mut b = Self::new();
        for p in parts {
            b.push(p)?;
        }
        Ok(b)
    }

    pub fn push(&mut self, s: &[u8]) -> Result<&mut Self, Error> {
        push(&mut self.buf, &mut self.len, s)?;
        Ok(self)
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.buf[0] = 0;
    }

    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.buf[len] = 0;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn as_cstr(&self) -> &CStr {
        as_cstr(&self.buf[..=self.len])
    }
}

/// The work of CBuf::push, once for every size of buffer.
fn push(buf: &mut [u8], len: &mut usize, s: &[u8]) -> Result<(), Error> {
    // An interior NUL would silently cut the path short when the kernel reads it.
    if *len + s.len() >= buf.len() || s.contains(&0) {
        return Err(Error::sys("path", libc::ENAMETOOLONG, &buf[..*len]).at(s));
    }
    buf[*len..*len + s.len()].copy_from_slice(s);
    *len += s.len();
    buf[*len] = 0;
    Ok(())
}

/// The buffer always holds a NUL at `len` and none before it (push refuses them).
fn as_cstr(b: &[u8]) -> &CStr {
    CStr::from_bytes_until_nul(b).unwrap_or(c"")
}

impl<const N: usize> Default for CBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ufmt::uWrite for CBuf<N> {
    type Error = Error;
    fn write_str(&mut self, s: &str) -> Result<(), Error> {
        self.push(s.as_bytes()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_c_strings() {
        let b = CBuf::<16>::from(&[b"/sys", b"/fs"]).unwrap();
        assert_eq!(b.as_cstr(), c"/sys/fs");
        assert_eq!(b.len(), 7);
    }

    #[test]
    fn overflow_is_an_error_not_a_truncation() {
        let mut b = CBuf::<8>::new();
        assert!(b.push(b"12345678").is_err());
        assert_eq!(b.as_cstr(), c"");
        assert!(b.push(b"1234567").is_ok());
        let e = b.push(b"8").err().unwrap();
        assert_eq!(e.errno(), libc::ENAMETOOLONG);
        assert_eq!(b.as_cstr(), c"1234567");
    }

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
    fn refuses_interior_nul() {
        assert!(CBuf::<8>::from(&[b"a\0b"]).is_err());
    }
}

/// Word `i` of a list of names separated by single spaces, unless it is "-" (a byte loop:
/// str::split's searcher costs half a kilobyte).
pub fn word(names: &str, i: u64) -> Option<&str> {
    let (mut n, mut start) = (0, 0);
    let b = names.as_bytes();
    for end in 0..=b.len() {
        if end == b.len() || b[end] == b' ' {
            if n == i {
                let w = names.get(start..end)?;
                return (w != "-").then_some(w);
            }
            n += 1;
            start = end + 1;
        }
    }
    None
}

/// The position of `w` in a list of names separated by single spaces.
pub fn word_index(names: &str, w: &[u8]) -> Option<usize> {
    (0..).map_while(|i| (i <= names.len()).then(|| word(names, i as u64))).position(|x| x.map(str::as_bytes) == Some(w))
}

/// A fixed-capacity list of plain values: the options that repeat (mounts, env).
#[derive(Clone, Copy)]
pub struct List<T: Copy, const N: usize> {
    items: [Option<T>; N],
    len: usize,
}

impl<T: Copy, const N: usize> List<T, N> {
    pub const fn new() -> Self {
        List { items: [None; N], len: 0 }
    }

    /// Appends v; false when full.
    pub fn push(&mut self, v: T) -> bool {
        if self.len == N {
            return false;
        }
        self.items[self.len] = Some(v);
        self.len += 1;
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.items[..self.len].iter().flatten().copied()
    }
}

impl<T: Copy, const N: usize> Default for List<T, N> {
    fn default() -> Self {
        Self::new()
    }
}
