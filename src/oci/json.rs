//! JSON (RFC 8259) without a heap. The reader walks the bytes of a document that one first
//! pass checked whole (config.json, a process.json: user input, so a bad byte is an error
//! with its offset, never a panic); values are found by scanning again on each lookup, which
//! costs microseconds on a config.json. The writer builds what runix prints (state, features,
//! ps, log lines) into a fixed buffer.

use crate::buf::Buf;
use crate::error::Error;
use crate::text::{After, itoa, number};

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
        let mut p = Scan { s: text, i: 0 };
        match p.document() {
            Some(()) => Ok(Value(trim(text))),
            None => Err(Error::msg(what, itoa(p.i as u64, &mut [0; 20]))),
        }
    }

    /// The member `name` of an object. Names are compared unescaped and case-sensitively (as
    /// crun and youki do); of duplicates the last counts, as in Go's encoding/json (runc).
    /// A name with escapes is found when it unescapes into 64 bytes: runix looks for none longer.
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
        Some(Members { rest: self.0.after(b"{")?, object: true })
    }

    /// An array's elements in order.
    pub fn elements(self) -> Option<impl Iterator<Item = Value<'a>>> {
        Some(Members { rest: self.0.after(b"[")?, object: false }.map(|(_, v)| v))
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
        let mut p = Scan { s: self.0.after(b"\"")?, i: 0 };
        let n = p.string(space)?;
        // Each escape is longer than what it stands for: the same length means none.
        if n + 1 == p.i {
            return p.s.get(..n);
        }
        if n > space.len() {
            return None;
        }
        let (s, rest) = core::mem::take(space).split_at_mut_checked(n)?;
        *space = rest;
        Some(s)
    }

    /// An integer in 0..=u64::MAX: no sign, fraction or exponent (Go's encoding/json too
    /// refuses `1.0` for an integer field).
    pub fn as_u64(self) -> Option<u64> {
        number(self.token())
    }

    /// An integer in i64's range, without fraction or exponent.
    pub fn as_i64(self) -> Option<i64> {
        let t = self.token();
        let minus = t.first() == Some(&b'-');
        let v = number(t.get(minus as usize..)?)?;
        // -2^63 fits, 2^63 does not.
        (v <= i64::MAX as u64 + minus as u64).then(|| if minus { (v as i64).wrapping_neg() } else { v as i64 })
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

    /// The value's own JSON text (an object's, with its braces).
    pub fn text(self) -> &'a [u8] {
        self.0.get(..skip(self.0)).unwrap_or(self.0)
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

/// The length of the checked value at the start of `s` (at least 1, so that a walk over
/// bytes no check passed still moves on).
fn skip(s: &[u8]) -> usize {
    if !matches!(s.first(), Some(b'{' | b'[' | b'"')) {
        return s.iter().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')).count().max(1);
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

/// A position in a document being read: where a check stops is where the error is.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Takes `c` when it comes next.
    fn eat(&mut self, c: u8) -> bool {
        let next = self.peek() == Some(c);
        self.i += next as usize;
        next
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// The whole document, without recursion.
    fn document(&mut self) -> Option<()> {
        // Bit n: the container at depth n+1 is an object.
        let (mut objects, mut depth) = (0u64, 0);
        loop {
            // A value.
            self.space();
            let c = self.peek()?;
            match c {
                b'{' | b'[' => {
                    if depth == MAX_DEPTH {
                        return None;
                    }
                    self.i += 1;
                    depth += 1;
                    objects = objects << 1 | (c == b'{') as u64;
                    self.space();
                    // `}` and `]` are `{` and `[` plus 2: an empty one is closed below.
                    if self.peek() != Some(c + 2) {
                        if c == b'{' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b'"' => self.text()?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => {
                    let word: &[u8] = match c {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    if !self.s.get(self.i..)?.starts_with(word) {
                        return None;
                    }
                    self.i += word.len();
                }
            }
            // After it: the ends of containers, up to a comma.
            loop {
                self.space();
                if depth == 0 {
                    return (self.i == self.s.len()).then_some(());
                }
                let object = objects & 1 != 0;
                if self.eat(b',') {
                    if object {
                        self.key()?;
                    }
                    break;
                }
                if !self.eat(if object { b'}' } else { b']' }) {
                    return None;
                }
                depth -= 1;
                objects >>= 1;
            }
        }
    }

    /// A member's name and its colon.
    fn key(&mut self) -> Option<()> {
        self.space();
        if self.peek() != Some(b'"') {
            return None;
        }
        self.text()?;
        self.space();
        self.eat(b':').then_some(())
    }

    /// A string whose bytes are UTF-8.
    fn text(&mut self) -> Option<()> {
        let start = self.i;
        self.i += 1;
        self.string(&mut [])?;
        if crate::error::utf8(self.s.get(start + 1..self.i - 1)?).is_none() {
            self.i = start;
            return None;
        }
        Some(())
    }

    /// `-`? `0` or `[1-9][0-9]*`, a fraction, an exponent.
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        if !self.eat(b'0') {
            self.digits()?;
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            self.digits()?;
        }
        Some(())
    }

    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// A string from after its opening quote to after its closing one: how many bytes it
    /// unescapes to, written into `out` as far as they fit.
    fn string(&mut self, out: &mut [u8]) -> Option<usize> {
        let mut n = 0;
        loop {
            let c = self.peek().filter(|&c| c >= 0x20)?;
            self.i += 1;
            let mut ch = c as u32;
            let mut len = 1;
            if c == b'"' {
                return Some(n);
            }
            if c == b'\\' {
                let e = self.peek()?;
                ch = match ESCAPES.iter().position(|&x| x == e) {
                    Some(k) => *UNESCAPED.get(k)? as u32,
                    None if e == b'u' => {
                        self.i += 1;
                        self.unicode()?
                    }
                    None => return None,
                };
                self.i += (e != b'u') as usize;
                len = 1 + (ch >= 0x80) as usize + (ch >= 0x800) as usize + (ch >= 0x10000) as usize;
            }
            // UTF-8: the lead byte's high bits count the bytes (RFC 3629); a raw byte as it is.
            for k in (0..len).rev() {
                let b = match (len, k + 1 == len) {
                    (1, _) => ch as u8,
                    (_, true) => !(0xffu8 >> len) | (ch >> (6 * k)) as u8,
                    _ => 0x80 | (ch >> (6 * k)) as u8 & 0x3f,
                };
                if let Some(o) = out.get_mut(n) {
                    *o = b;
                }
                n += 1;
            }
        }
    }

    /// The character of a `\u` escape, from after the `u`: UTF-16's high half must be
    /// followed by its low half (RFC 8259, section 7).
    fn unicode(&mut self) -> Option<u32> {
        let hi = self.hex4()?;
        match hi {
            0xd800..=0xdbff if self.eat(b'\\') && self.eat(b'u') => {
                let lo = self.hex4()?.wrapping_sub(0xdc00);
                (lo < 0x400).then(|| 0x10000 + ((hi - 0xd800) << 10) + lo)
            }
            0xd800..=0xdfff => None,
            _ => Some(hi),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v << 4 | (self.peek()? as char).to_digit(16)?;
            self.i += 1;
        }
        Some(v)
    }
}

/// The one-letter escapes, and what each stands for.
const ESCAPES: &[u8; 8] = b"\"\\/bfnrt";
const UNESCAPED: &[u8; 8] = b"\"\\/\x08\x0c\n\r\t";

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

    /// A value as it is: JSON text checked already (a member of a config.json).
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.sep().push(v)
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
