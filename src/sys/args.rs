//! argv and envp: NULL-terminated lists of C strings, as execve(2) takes them.

use core::ffi::{CStr, c_char};

/// The C string `b` starts with, up to its first NUL; empty when `b` has none. A byte loop
/// and strlen: core's CStr constructors search a word at a time, inlined, ten times the code.
pub fn cstr_in(b: &[u8]) -> &CStr {
    if !b.iter().any(|&c| c == 0) {
        return c"";
    }
    // SAFETY: a NUL inside `b` ends the string before `b` does.
    unsafe { CStr::from_ptr(b.as_ptr().cast()) }
}

/// A NULL-terminated list of `'static` C strings: the process's argv or envp.
#[derive(Clone, Copy)]
pub struct Args {
    ptrs: &'static [*const c_char], // the last element is NULL
}

impl Args {
    /// SAFETY: `ptrs` ends with NULL and every other element points to a NUL-terminated
    /// string that lives, unchanged, for the rest of the process.
    pub(super) unsafe fn from_raw(ptrs: &'static [*const c_char]) -> Args {
        Args { ptrs }
    }

    pub fn len(&self) -> usize {
        self.ptrs.len() - 1
    }

    /// The list's address, for execve(2).
    pub(super) fn as_ptr(&self) -> usize {
        self.ptrs.as_ptr() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        // SAFETY: the invariant of `from_raw`; the NULL at the end is never returned.
        (i < self.len()).then(|| unsafe { CStr::from_ptr(self.ptrs[i]) })
    }

    /// The list without its first `n` entries (still NULL-terminated).
    pub fn skip(&self, n: usize) -> Args {
        Args { ptrs: &self.ptrs[n.min(self.len())..] }
    }

    /// The environment entry `KEY=VALUE` for `key`, whole.
    pub fn find_env(&self, key: &[u8]) -> Option<&'static CStr> {
        (0..self.len()).filter_map(|i| self.get(i)).find(|e| {
            let b = e.to_bytes();
            b.len() > key.len() && b.starts_with(key) && b[key.len()] == b'='
        })
    }

    /// The strings of `list`, which lives for the rest of the process (a config.json's args).
    pub fn of<const N: usize>(list: &'static CList<N>) -> Args {
        // `push` leaves the slot after the last string NULL.
        Args { ptrs: &list.ptrs[..list.len + 1] }
    }

    /// For tests: a list made of Rust strings, leaked so it lives as long as the real argv.
    #[cfg(test)]
    pub fn from_strs(v: &[&str]) -> Args {
        let mut ptrs: std::vec::Vec<*const c_char> = v
            .iter()
            .map(|s| std::ffi::CString::new(*s).unwrap().into_raw() as *const c_char)
            .collect();
        ptrs.push(core::ptr::null());
        // SAFETY: leaked CStrings live forever, and the list ends with NULL.
        unsafe { Args::from_raw(std::boxed::Box::leak(ptrs.into_boxed_slice())) }
    }
}

/// A fixed-capacity, NULL-terminated list of `'static` C strings: an envp for execve.
#[derive(Clone, Copy)]
pub struct CList<const N: usize> {
    ptrs: [*const c_char; N],
    len: usize,
}

// SAFETY: the pointers are to 'static C strings that nothing changes: a list may be kept in
// a static (sys::Once) as well as any 'static reference.
unsafe impl<const N: usize> Send for CList<N> {}

impl<const N: usize> CList<N> {
    pub const fn new() -> Self {
        CList { ptrs: [core::ptr::null(); N], len: 0 }
    }
    /// Appends `s`; false when full (one slot stays for the terminating NULL).
    pub fn push(&mut self, s: &'static CStr) -> bool {
        if self.len + 1 >= N {
            return false;
        }
        self.ptrs[self.len] = s.as_ptr();
        self.len += 1;
        true
    }
    /// Sets `KEY=VALUE`: replaces the entry with the same KEY, or appends. False when full.
    pub fn set(&mut self, s: &'static CStr) -> bool {
        let b = s.to_bytes();
        let key = &b[..b.iter().position(|&c| c == b'=').map_or(b.len(), |p| p + 1)];
        match (0..self.len).find(|&i| self.get(i).is_some_and(|e| e.to_bytes().starts_with(key))) {
            Some(i) => {
                self.ptrs[i] = s.as_ptr();
                true
            }
            None => self.push(s),
        }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    /// The list's address, for execve(2).
    pub(super) fn as_ptr(&self) -> usize {
        self.ptrs.as_ptr() as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        // SAFETY: only 'static CStrs are pushed.
        (i < self.len).then(|| unsafe { CStr::from_ptr(self.ptrs[i]) })
    }
}

impl<const N: usize> Default for CList<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
impl core::fmt::Debug for Args {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries((0..self.len()).filter_map(|i| self.get(i))).finish()
    }
}

#[cfg(test)]
impl<const N: usize> core::fmt::Debug for CList<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries((0..self.len()).filter_map(|i| self.get(i))).finish()
    }
}
