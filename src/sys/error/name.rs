//! An error's name: which call failed (`mount`), or what was wrong (`invalid --pids`).

/// A `&'static str` in 5 bytes (its address and length) and 3 bytes for its owner: all of
/// Error is 8 bytes, so that every `Result<_, Error>` comes back in registers, which takes a
/// tenth less code in all of runix than a 16-byte error. The address fits in 32 bits because
/// runix is linked at 0x400000 (linker/*.ld).
#[cfg(not(test))]
#[derive(Clone, Copy)]
pub struct Name {
    addr: core::num::NonZeroU32,
    len: u8,
    /// Error's hint and slot.
    pub tag: u8,
    /// Error's errno.
    pub errno: i16,
}

#[cfg(not(test))]
impl Name {
    pub fn new(s: &'static str) -> Name {
        let addr = s.as_ptr() as usize;
        // Never true for runix's own image (see above); a wrong build stops here, not later.
        assert!(addr as u64 >> 32 == 0 && s.len() < 256);
        Name { addr: core::num::NonZeroU32::new(addr as u32).unwrap_or(core::num::NonZeroU32::MIN), len: s.len() as u8, tag: 0, errno: 0 }
    }

    pub fn get(self) -> &'static str {
        // SAFETY: addr and len are those of a &'static str, checked to fit in `new`, so they
        // describe live, valid UTF-8.
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.addr.get() as usize as *const u8, self.len as usize)) }
    }
}

/// The tests run in a std program loaded anywhere in memory: there the name stays whole.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub struct Name {
    s: &'static str,
    pub tag: u8,
    pub errno: i16,
}

#[cfg(test)]
impl Name {
    /// With `invalid!`'s and `unsupported!`'s first word whole, for the tests to compare.
    pub fn new(s: &'static str) -> Name {
        extern crate std;
        let s = match s.as_bytes().first() {
            Some(&p @ (1 | 2)) => std::boxed::Box::leak(std::format!("{}{}", super::PREFIXES[p as usize], &s[1..]).into_boxed_str()),
            _ => s,
        };
        Name { s, tag: 0, errno: 0 }
    }

    pub fn get(self) -> &'static str {
        self.s
    }
}

