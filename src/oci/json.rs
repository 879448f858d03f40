//! JSON (RFC 8259) without a heap. The reader walks the bytes of a document that one first
//! pass checked whole (config.json, a process.json: user input, so a bad byte is an error
//! with its offset, never a panic); values are found by scanning again on each lookup, which
//! costs microseconds on a config.json. The writer builds what runix prints (state, features,
//! ps, log lines) into a fixed buffer.

use crate::buf::Buf;
use crate::error::Error;
use crate::text::{itoa, number};

/// Deepest nesting accepted; config.json's deepest is 5 (linux.seccomp.syscalls[].args[]).
const MAX_DEPTH: u32 = 64;

/// A value in a checked document: the document's bytes from the value's first byte on.
/// The walks below count on `parse`'s check; on other bytes they still end without panicking.
#[derive(Clone, Copy)]
pub struct Value<'a>(&'a [u8]);

impl<'a> Value<'a> {
    /// The document's top value, once all of `text` is checked: RFC 8259's grammar with
    /// nothing after the value (a byte order mark is an error, as in Go's encoding/json),
    /// UTF-8 strings, their escapes and surrogate pairs, nesting to MAX_DEPTH. A failure is
    /// `what` (`"malformed config.json at byte"`) with the offset of the first bad byte.
    pub fn parse(text: &'a [u8], what: &'static str) -> Result<Value<'a>, Error> {
        check(text).map(|()| Value(trim(text))).map_err(|at| Error::msg(what, itoa(at as u64, &mut [0; 20])))
    }

    /// The member `name` of an object. Names are compared unescaped and case-sensitively (as
    /// crun and youki do); of duplicates the last counts, as in Go's encoding/json (runc).
    pub fn get(self, name: &[u8]) -> Option<Value<'a>> {
        let mut found = None;
        for (k, v) in self.members()? {
            if k.as_str(&mut [0; 64]) == Some(name) {
                found = Some(v);
            }
        }
        found
    }

    /// An object's members, (name, value) in order: the name is a string Value.
    pub fn members(self) -> Option<Members<'a>> {
        Some(Members { rest: self.0.strip_prefix(b"{")?, object: true })
    }

    /// An array's elements in order.
    pub fn elements(self) -> Option<impl Iterator<Item = Value<'a>>> {
        Some(Members { rest: self.0.strip_prefix(b"[")?, object: false }.map(|(_, v)| v))
    }

    /// A string's bytes, unescaped into `buf` when it holds escapes (None when it does not
    /// fit). A `\u0000` comes out as a NUL byte: where the string becomes a C string, the
    /// caller refuses it (CBuf does).
    pub fn as_str<'b>(self, mut buf: &'b mut [u8]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        self.str_in(&mut buf)
    }

    /// A string's bytes as long as the document lives: the document's own bytes when it holds
    /// no escape, else unescaped into the front of `space`, which is advanced past them.
    pub fn str_in<'b>(self, space: &mut &'b mut [u8]) -> Option<&'b [u8]>
    where
        'a: 'b,
    {
        if self.0.first() != Some(&b'"') {
            return None;
        }
        let (end, _) = string(self.0, 1, None).ok()?;
        let raw = self.0.get(1..end - 1)?;
        if !raw.contains(&b'\\') {
            return Some(raw);
        }
        let room = core::mem::take(space);
        match string(self.0, 1, Some(&mut *room)) {
            Ok((_, n)) => {
                let (s, rest) = room.split_at_mut_checked(n)?;
                *space = rest;
                Some(s)
            }
            Err(_) => {
                *space = room;
                None
            }
        }
    }

    /// An integer in 0..=u64::MAX: no sign, fraction or exponent (Go's encoding/json too
    /// refuses `1.0` for an integer field).
    pub fn as_u64(self) -> Option<u64> {
        number(self.token())
    }

    /// An integer in i64's range, without fraction or exponent.
    pub fn as_i64(self) -> Option<i64> {
        let t = self.token();
        match t.strip_prefix(b"-") {
            Some(d) => 0i64.checked_sub_unsigned(number(d)?),
            None => i64::try_from(number(t)?).ok(),
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.0.first() {
            Some(b't') => Some(true),
            Some(b'f') => Some(false),
            _ => None,
        }
    }

    pub fn is_null(self) -> bool {
        self.0.first() == Some(&b'n')
    }

    /// A number's or a literal's bytes; anything else starts with a byte no number has.
    fn token(self) -> &'a [u8] {
        self.0.get(..skip(self.0)).unwrap_or(&[])
    }
}

/// The members of an object, or (each as its own name) the elements of an array.
#[derive(Clone, Copy)]
pub struct Members<'a> {
    /// From after the opening bracket or the last item.
    rest: &'a [u8],
    object: bool,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Value<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let s = trim(self.rest);
        if matches!(s.first(), None | Some(b'}' | b']')) {
            return None;
        }
        let (k, mut v) = (Value(s), Value(s));
        if self.object {
            v = Value(trim(s.get(skip(s)..)?));
        }
        self.rest = v.0.get(skip(v.0)..)?;
        Some((k, v))
    }
}

/// `s` after whitespace and the separators between a checked document's values.
fn trim(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b',' | b':')).count();
    s.get(n..).unwrap_or(&[])
}

/// The length of the checked value at the start of `s`.
fn skip(s: &[u8]) -> usize {
    if !matches!(s.first(), Some(b'{' | b'[' | b'"')) {
        return s.iter().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')).count();
    }
    let (mut depth, mut i) = (0u32, 0);
    while let Some(&c) = s.get(i) {
        i += 1;
        match c {
            b'"' => {
                while let Some(&c) = s.get(i) {
                    i += 1 + (c == b'\\') as usize;
                    if c == b'"' {
                        break;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            break;
        }
    }
    i
}

/// The whole document's check, without recursion: `Err` is the offset of the first bad byte.
fn check(s: &[u8]) -> Result<(), usize> {
    // Bit n: the container at depth n+1 is an object.
    let (mut objects, mut depth, mut i) = (0u64, 0, 0);
    'value: loop {
        i = space(s, i);
        let c = *s.get(i).ok_or(i)?;
        i += 1;
        match c {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(i - 1);
                }
                objects = objects << 1 | (c == b'{') as u64;
                i = space(s, i);
                // `}` and `]` are `{` and `[` plus 2.
                if s.get(i) != Some(&(c + 2)) {
                    if c == b'{' {
                        i = key(s, i)?;
                    }
                    continue 'value;
                }
                i += 1;
                depth -= 1;
                objects >>= 1;
            }
            b'"' => i = text(s, i)?,
            b't' => i = word(s, i, b"rue")?,
            b'f' => i = word(s, i, b"alse")?,
            b'n' => i = word(s, i, b"ull")?,
            _ => i = num(s, i - 1)?,
        }
        // After a value: close containers, or go on after a comma.
        loop {
            i = space(s, i);
            if depth == 0 {
                return if i == s.len() { Ok(()) } else { Err(i) };
            }
            let object = objects & 1 != 0;
            match s.get(i) {
                Some(b',') => {
                    i = if object { key(s, i + 1)? } else { i + 1 };
                    continue 'value;
                }
                Some(b'}') if object => {}
                Some(b']') if !object => {}
                _ => return Err(i),
            }
            i += 1;
            depth -= 1;
            objects >>= 1;
        }
    }
}

fn space(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// A member's name and colon from `i`: where its value may start.
fn key(s: &[u8], i: usize) -> Result<usize, usize> {
    let i = space(s, i);
    if s.get(i) != Some(&b'"') {
        return Err(i);
    }
    let i = space(s, text(s, i + 1)?);
    if s.get(i) != Some(&b':') {
        return Err(i);
    }
    Ok(i + 1)
}

/// A string from after its opening quote at `i`, with its raw bytes UTF-8: where it ends.
fn text(s: &[u8], i: usize) -> Result<usize, usize> {
    let (end, _) = string(s, i, None)?;
    match s.get(i..end - 1).and_then(crate::error::utf8) {
        Some(_) => Ok(end),
        None => Err(i),
    }
}

/// `rest` of a literal at `i`: where it ends.
fn word(s: &[u8], i: usize, rest: &[u8]) -> Result<usize, usize> {
    match s.get(i..).is_some_and(|t| t.starts_with(rest)) {
        true => Ok(i + rest.len()),
        false => Err(i),
    }
}

/// A number at `i` (`-`? `0` or `[1-9][0-9]*`, a fraction, an exponent): where it ends.
fn num(s: &[u8], mut i: usize) -> Result<usize, usize> {
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match s.get(i) {
        Some(b'0') => i + 1,
        _ => digits(s, i)?,
    };
    if s.get(i) == Some(&b'.') {
        i = digits(s, i + 1)?;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(s, i)?;
    }
    Ok(i)
}

/// One digit or more at `i`: where they end.
fn digits(s: &[u8], i: usize) -> Result<usize, usize> {
    match s.get(i..).unwrap_or(&[]).iter().take_while(|c| c.is_ascii_digit()).count() {
        0 => Err(i),
        n => Ok(i + n),
    }
}

/// The string whose bytes start at `i` (after the opening quote): where it ends (after the
/// closing quote), and how many bytes it unescapes to, written into `out` when given. `Err`:
/// the offset of a bad byte, or where `out` was full.
fn string(s: &[u8], mut i: usize, mut out: Option<&mut [u8]>) -> Result<(usize, usize), usize> {
    let mut n = 0;
    loop {
        let c = *s.get(i).ok_or(i)?;
        i += 1;
        let mut ch = c as u32;
        match c {
            b'"' => return Ok((i, n)),
            0..=0x1f => return Err(i - 1),
            b'\\' => {
                let e = *s.get(i).ok_or(i)?;
                i += 1;
                ch = match e {
                    b'"' | b'\\' | b'/' => e as u32,
                    b'b' => 8,
                    b'f' => 12,
                    b'n' => 10,
                    b'r' => 13,
                    b't' => 9,
                    b'u' => {
                        let hi = hex4(s, i)?;
                        i += 4;
                        match hi {
                            // UTF-16's high half: its low half must follow (RFC 8259, section 7).
                            0xd800..=0xdbff => {
                                let lo = s.get(i..i + 2).filter(|&u| u == b"\\u").ok_or(i).and_then(|_| hex4(s, i + 2))?;
                                if !(0xdc00..=0xdfff).contains(&lo) {
                                    return Err(i);
                                }
                                i += 6;
                                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                            }
                            0xdc00..=0xdfff => return Err(i - 6),
                            _ => hi,
                        }
                    }
                    _ => return Err(i - 1),
                };
            }
            _ => {}
        }
        // A raw byte as it is; an escaped character as UTF-8, lead byte first.
        let len = match ch {
            _ if c != b'\\' => 1,
            0..=0x7f => 1,
            0x80..=0x7ff => 2,
            0x800..=0xffff => 3,
            _ => 4,
        };
        for k in (0..len).rev() {
            let lead = if k + 1 == len { [0, 0, 0xc0, 0xe0, 0xf0][len] } else { 0x80 };
            let mask = if len == 1 { 0xff } else { 0x3f };
            if let Some(o) = out.as_deref_mut() {
                *o.get_mut(n).ok_or(i)? = lead | (ch >> (6 * k)) as u8 & mask;
            }
            n += 1;
        }
    }
}

/// Four hex digits at `i`.
fn hex4(s: &[u8], i: usize) -> Result<u32, usize> {
    let h = s.get(i..i + 4).ok_or(i)?;
    h.iter().try_fold(0, |v, &d| Ok(v << 4 | (d as char).to_digit(16).ok_or(i)?))
}

/// JSON text built into a buffer, its objects and arrays opened and closed by calls:
/// `w.obj().key(b"id").str(id).key(b"pid").num(pid).end(); w.done()?`. A full buffer is
/// remembered and reported by `done`, so that the calls can be chained.
pub struct Writer<'b> {
    out: &'b mut Buf<[u8]>,
    /// Bit n: the container at depth n+1 is an object (`end` closes it with `}`).
    objects: u64,
    /// A value ends here: the next one needs a comma.
    comma: bool,
    full: bool,
}

impl<'b> Writer<'b> {
    pub fn new(out: &'b mut Buf<[u8]>) -> Self {
        Writer { out, objects: 0, comma: false, full: false }
    }

    pub fn obj(&mut self) -> &mut Self {
        self.open(b'{')
    }

    pub fn arr(&mut self) -> &mut Self {
        self.open(b'[')
    }

    /// Closes the object or array opened last.
    pub fn end(&mut self) -> &mut Self {
        self.push(if self.objects & 1 != 0 { b"}" } else { b"]" });
        self.objects >>= 1;
        self.comma = true;
        self
    }

    /// A member's name: its value comes next.
    pub fn key(&mut self, name: &[u8]) -> &mut Self {
        self.str(name).push(b":");
        self.comma = false;
        self
    }

    /// A string: `"` and `\` escaped, control characters as \u00XX; other bytes as they are
    /// (JSON is UTF-8: a path that is not stays as it is).
    pub fn str(&mut self, s: &[u8]) -> &mut Self {
        self.sep().push(b"\"");
        for &c in s {
            match c {
                b'"' | b'\\' => self.push(&[b'\\', c]),
                0..=0x1f => self.push(&[b'\\', b'u', b'0', b'0', b'0' + (c >> 4), b"0123456789abcdef"[(c & 15) as usize]]),
                _ => self.push(&[c]),
            };
        }
        self.push(b"\"")
    }

    pub fn num(&mut self, v: u64) -> &mut Self {
        self.sep().push(itoa(v, &mut [0; 20]))
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.sep().push(b"-");
            self.comma = false;
        }
        self.num(v.unsigned_abs())
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.sep().push(if v { b"true" } else { b"false" })
    }

    /// The text written, or the error of a buffer too small for it.
    pub fn done(&self) -> Result<&[u8], Error> {
        match self.full {
            false => Ok(self.out.bytes()),
            true => Err(Error::sys("json", libc::ENOBUFS, b"")),
        }
    }

    fn open(&mut self, c: u8) -> &mut Self {
        self.sep().push(&[c]);
        self.objects = self.objects << 1 | (c == b'{') as u64;
        self.comma = false;
        self
    }

    /// The comma before a value; after it, one more value ends here.
    fn sep(&mut self) -> &mut Self {
        if self.comma {
            self.push(b",");
        }
        self.comma = true;
        self
    }

    fn push(&mut self, b: &[u8]) -> &mut Self {
        self.full |= self.out.push(b).is_err();
        self
    }
}

#[cfg(test)]
mod tests;
