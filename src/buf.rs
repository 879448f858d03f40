//! Fixed-size buffers in place of a heap: a C path builder that refuses to overflow.

use crate::error::Error;
use core::ffi::CStr;

/// A NUL-terminated byte string of at most N-1 bytes, built piece by piece.
/// Overflow is an ENAMETOOLONG error naming the start of what did not fit, never a truncation.
pub type CBuf<const N: usize> = Buf<[u8; N]>;

/// A CBuf of any size: its methods are on `Buf<[u8]>` (reached by deref), so their code is
/// there once for all sizes, not once per N.
pub struct Buf<B: ?Sized> {
    len: usize,
    buf: B,
}

impl<const N: usize> Buf<[u8; N]> {
    pub const fn new() -> Self {
        Buf { len: 0, buf: [0; N] }
    }

    pub fn from(parts: &[&[u8]]) -> Result<Self, Error> {
        let mut b = Self::new();
        b.push_all(parts)?;
        Ok(b)
    }
}

impl<const N: usize> core::ops::Deref for Buf<[u8; N]> {
    type Target = Buf<[u8]>;
    fn deref(&self) -> &Buf<[u8]> {
        self
    }
}

impl<const N: usize> core::ops::DerefMut for Buf<[u8; N]> {
    fn deref_mut(&mut self) -> &mut Buf<[u8]> {
        self
    }
}

impl Buf<[u8]> {
    pub fn push(&mut self, s: &[u8]) -> Result<&mut Self, Error> {
        let end = self.len + s.len();
        // An interior NUL would silently cut the path short when the kernel reads it.
        match self.buf.get_mut(self.len..=end).and_then(|b| b.split_last_mut()) {
            Some((nul, b)) if !s.iter().any(|&c| c == 0) => {
                b.copy_from_slice(s);
                *nul = 0;
                self.len = end;
                Ok(self)
            }
            _ => Err(Error::sys("path", libc::ENAMETOOLONG, s)),
        }
    }

    /// Each of `parts` in turn: `from`'s loop, once for all sizes.
    #[inline(never)]
    pub fn push_all(&mut self, parts: &[&[u8]]) -> Result<(), Error> {
        for p in parts {
            self.push(p)?;
        }
        Ok(())
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
        self.as_cstr().to_bytes()
    }

    /// The buffer always holds a NUL at `len` and none before it (push refuses them).
    #[inline(never)]
    pub fn as_cstr(&self) -> &CStr {
        crate::sys::cstr_in(&self.buf)
    }
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
    fn refuses_interior_nul() {
        assert!(CBuf::<8>::from(&[b"a\0b"]).is_err());
    }
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
        let Some(item) = self.items.get_mut(self.len) else { return false };
        *item = Some(v);
        self.len += 1;
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at `i`; None past the end.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i)?.as_ref()
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        // Past `len` every item is None: push fills them in order.
        self.items.iter().flatten().copied()
    }
}

impl<T: Copy, const N: usize> Default for List<T, N> {
    fn default() -> Self {
        Self::new()
    }
}
