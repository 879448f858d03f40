use super::*;
use crate::buf::CBuf;
use crate::error::tests::show;
extern crate std;
use std::vec::Vec;

/// What podman and containerd generated (see /work/shared/docs/oci.md), and runc's state.
const FIXTURES: [(&str, &[u8]); 5] = [
    ("podman-run-d", include_bytes!("../../../tests/oci/podman-run-d.config.json")),
    ("podman-run-it", include_bytes!("../../../tests/oci/podman-run-it.config.json")),
    ("podman-run-options", include_bytes!("../../../tests/oci/podman-run-options.config.json")),
    ("containerd-run", include_bytes!("../../../tests/oci/containerd-run.config.json")),
    ("runc-state", include_bytes!("../../../tests/oci/runc-state.example.json")),
];

fn doc(text: &[u8]) -> Value<'_> {
    Value::parse(text, "malformed config.json at byte").unwrap()
}

/// The error's text for a malformed document.
fn bad(text: &[u8]) -> std::string::String {
    show(&Value::parse(text, "malformed at byte").err().unwrap_or_else(|| panic!("accepted {:?}", std::string::String::from_utf8_lossy(text))))
}

fn at(v: Value<'_>, path: &[&str]) -> Value<'static> {
    let mut v = v;
    for p in path {
        v = match p.parse::<usize>() {
            Ok(n) => v.elements().unwrap().nth(n),
            Err(_) => v.get(p.as_bytes()),
        }
        .unwrap_or_else(|| panic!("no {p}"));
    }
    // The fixtures are 'static, so are their values.
    Value(leak(v.0))
}

fn leak(b: &[u8]) -> &'static [u8] {
    std::boxed::Box::leak(b.to_vec().into_boxed_slice())
}

fn strs(v: Value<'_>) -> Vec<std::string::String> {
    v.elements().unwrap().map(|e| std::string::String::from_utf8(e.as_str(&mut [0; 256]).unwrap().to_vec()).unwrap()).collect()
}

#[test]
fn reads_what_podman_and_containerd_generate() {
    let d = doc(FIXTURES[0].1);
    assert_eq!(strs(at(d, &["process", "args"])), ["sleep", "1000"]);
    assert_eq!(at(d, &["process", "user", "umask"]).as_u64(), Some(18));
    assert_eq!(at(d, &["process", "user", "uid"]).as_u64(), Some(0));
    assert_eq!(strs(at(d, &["mounts", "3", "options"])), ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]);
    assert_eq!(at(d, &["mounts"]).elements().unwrap().count(), 11);
    let sc = at(d, &["linux", "seccomp"]);
    assert_eq!(sc.get(b"syscalls").unwrap().elements().unwrap().count(), 22);
    let names: usize = sc.get(b"syscalls").unwrap().elements().unwrap().map(|r| r.get(b"names").unwrap().elements().unwrap().count()).sum();
    assert_eq!(names, 437);
    assert_eq!(sc.get(b"defaultErrnoRet").unwrap().as_u64(), Some(38));
    assert_eq!(sc.get(b"defaultAction").unwrap().as_str(&mut []), Some(&b"SCMP_ACT_ERRNO"[..]));
    let ns: Vec<_> = at(d, &["linux", "namespaces"]).elements().unwrap().map(|n| n.get(b"path").map(|p| p.as_str(&mut []).unwrap())).collect();
    assert_eq!(ns, [None, Some(&b"/run/netns/netns-8c6b61cc-bf7f-db67-38fd-00b780546e25"[..]), None, None, None]);
    assert_eq!(at(d, &["linux", "resources", "pids", "limit"]).as_i64(), Some(2048));
    assert_eq!(at(d, &["linux", "resources", "devices", "0", "allow"]).as_bool(), Some(false));
    assert!(d.get(b"nothing").is_none() && d.get(b"Process").is_none());

    let c = doc(FIXTURES[3].1);
    assert_eq!(strs(at(c, &["process", "args"])), ["sh", "-c", "echo hi-ctr; exit 3"]);
    assert_eq!(at(c, &["process", "noNewPrivileges"]).as_bool(), Some(true));
    assert_eq!(at(c, &["root", "path"]).as_str(&mut []), Some(&b"rootfs"[..]));
    assert_eq!(at(c, &["linux", "cgroupsPath"]).as_str(&mut []), Some(&b"/default/c1"[..]));
    let dev = at(c, &["linux", "resources", "devices", "8"]);
    assert_eq!((dev.get(b"major").unwrap().as_u64(), dev.get(b"minor").is_none()), (Some(136), true));

    // Pretty-printed, with an object of strings.
    let s = doc(FIXTURES[4].1);
    assert_eq!(s.get(b"pid").unwrap().as_u64(), Some(10728));
    assert_eq!(s.get(b"annotations").unwrap().members().unwrap().count(), 8);
    let (k, v) = s.get(b"annotations").unwrap().members().unwrap().last().unwrap();
    assert_eq!((k.as_str(&mut []).unwrap(), v.as_str(&mut []).unwrap()), (&b"org.opencontainers.image.stopSignal"[..], &b"15"[..]));
    assert_eq!(s.get(b"owner").unwrap().as_str(&mut []), Some(&b""[..]));
}

/// Writes `v` again with the Writer.
fn emit(v: Value<'_>, w: &mut Writer<'_>) {
    let mut b = [0; 4096];
    if let Some(m) = v.members() {
        w.obj();
        for (k, x) in m {
            w.key(k.as_str(&mut b).unwrap());
            emit(x, w);
        }
        w.end();
    } else if let Some(e) = v.elements() {
        w.arr();
        e.for_each(|x| emit(x, w));
        w.end();
    } else if let Some(s) = v.as_str(&mut b) {
        w.str(s);
    } else if let Some(n) = v.as_u64() {
        w.num(n);
    } else if let Some(n) = v.as_i64() {
        w.int(n);
    } else {
        w.bool(v.as_bool().unwrap());
    }
}

/// Every value of the compact documents, read and written again, gives the same bytes.
#[test]
fn every_value_reads_back_as_go_wrote_it() {
    for (name, text) in &FIXTURES[..4] {
        let mut out = std::boxed::Box::new(CBuf::<16384>::new());
        let mut w = Writer::new(&mut out);
        emit(doc(text), &mut w);
        assert_eq!(std::str::from_utf8(w.done().unwrap()).unwrap(), std::str::from_utf8(text).unwrap().trim_end(), "{name}");
    }
}

/// U+00E9 U+20AC U+1F600, two to four bytes of UTF-8 each.
const RAW: &[u8] = "\u{e9}\u{20ac}\u{1f600}".as_bytes();

#[test]
fn unescapes_strings() {
    let text = [&br#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20AC\ud83d\ude00", "x\u0000y", "plain", "caf\u00e9", ""#[..], RAW, b"\"]"].concat();
    let d = doc(&text);
    let v: Vec<_> = d.elements().unwrap().collect();
    let mut b = [0; 64];
    assert_eq!(v[0].as_str(&mut b), Some(&b"a\"b\\c/d\x08\x0c\n\r\t"[..]));
    assert_eq!(v[1].as_str(&mut b), Some(RAW));
    assert_eq!(v[5].as_str(&mut []), Some(RAW));
    // A NUL comes out; CBuf then refuses it for a path.
    assert_eq!(v[2].as_str(&mut b), Some(&b"x\0y"[..]));
    assert!(CBuf::<16>::from(&[v[2].as_str(&mut b).unwrap()]).is_err());
    // No escape: the document's own bytes, whatever the buffer.
    assert_eq!(v[3].as_str(&mut []), Some(&b"plain"[..]));
    // Escapes need room: exactly enough, then one byte short.
    assert_eq!(v[4].as_str(&mut [0; 5]), Some(&b"caf\xc3\xa9"[..]));
    assert_eq!(v[4].as_str(&mut [0; 4]), None);
    // str_in: escaped strings one after the other in one space; plain ones take none of it.
    let mut space = [0; 16];
    let mut room = &mut space[..];
    let a = v[4].str_in(&mut room).unwrap();
    let p = v[3].str_in(&mut room).unwrap();
    let c = v[2].str_in(&mut room).unwrap();
    assert_eq!((a, p, c, room.len()), (&b"caf\xc3\xa9"[..], &b"plain"[..], &b"x\0y"[..], 16 - 5 - 3));
    // What is not a string.
    let d = doc(br#"[1, true, null, {}, []]"#);
    assert!(d.elements().unwrap().all(|e| e.as_str(&mut b).is_none()));
}

#[test]
fn names_compare_unescaped_and_the_last_duplicate_counts() {
    let d = doc(br#"{"a": 1, "\u0062": 2, "a": 3, "c\"": 4, "x": {"a": 5}}"#);
    assert_eq!(d.get(b"a").unwrap().as_u64(), Some(3));
    assert_eq!(d.get(b"b").unwrap().as_u64(), Some(2));
    assert_eq!(d.get(b"c\"").unwrap().as_u64(), Some(4));
    assert_eq!(d.get(b"x").unwrap().get(b"a").unwrap().as_u64(), Some(5));
    assert!(d.get(b"A").is_none() && d.get(b"").is_none());
    // Only objects have members, only arrays elements.
    let a = doc(b"[1]");
    assert!(a.get(b"a").is_none() && a.members().is_none() && d.elements().is_none());
    assert_eq!(doc(b" {  } ").members().unwrap().count(), 0);
    assert_eq!(doc(b"[ ]").elements().unwrap().count(), 0);
}

#[test]
fn integers_at_their_limits() {
    fn n(t: &str) -> Value<'_> {
        doc(t.as_bytes())
    }
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("18446744073709551616").as_u64(), None);
    assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
    assert_eq!(n("9223372036854775808").as_i64(), None);
    assert_eq!(n("9223372036854775808").as_u64(), Some(1 << 63));
    assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(n("-9223372036854775809").as_i64(), None);
    assert_eq!(n("-1").as_u64(), None);
    assert_eq!(n("-1").as_i64(), Some(-1));
    assert_eq!(n("-0").as_i64(), Some(0));
    assert_eq!(n("0").as_u64(), Some(0));
    // Numbers, but not integers.
    for t in ["1.0", "1e3", "1E+3", "-2.5e-3", "0.0"] {
        assert!(n(t).as_u64().is_none() && n(t).as_i64().is_none(), "{t}");
    }
    assert_eq!(doc(b"[7 , -7]").elements().unwrap().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>(), [7, -7]);
    assert!(n("true").as_u64().is_none() && n("\"1\"").as_u64().is_none() && n("null").is_null());
    assert_eq!((n("true").as_bool(), n("false").as_bool(), n("0").as_bool()), (Some(true), Some(false), None));
}

#[test]
fn malformed_documents_are_errors_at_their_first_bad_byte() {
    let cases: [(&[u8], usize); 44] = [
        (b"", 0),
        (b"  \n", 3),
        (b"\xef\xbb\xbf{}", 0),
        (b"{} x", 3),
        (b"{}{}", 2),
        (b"{},", 2),
        (b"[1,]", 3),
        (b"[,1]", 1),
        (b"[1 2]", 3),
        (b"{\"a\"}", 4),
        (b"{\"a\":}", 5),
        (b"{\"a\" 1}", 5),
        (b"{\"a\":1,}", 7),
        (b"{,}", 1),
        (b"{1:2}", 1),
        (b"{'a':1}", 1),
        (b"[}", 1),
        (b"{]", 1),
        (b"[1}", 2),
        (b"{\"a\":1]", 6),
        (b"tru", 0),
        (b"truex", 4),
        (b"nul", 0),
        (b"True", 0),
        (b"01", 1),
        (b"-", 1),
        (b"-a", 1),
        (b"1.", 2),
        (b".5", 0),
        (b"1e", 2),
        (b"1e+", 3),
        (b"+1", 0),
        (b"0x1", 1),
        (b"\"abc", 4),
        (b"\"\\", 2),
        (b"\"\\x\"", 2),
        (b"\"a\nb\"", 2),
        (b"\"\\u12\"", 5),
        (b"\"\\u12g4\"", 5),
        (b"\"\\ud800\"", 7),
        (b"\"\\ud800\\u0041\"", 13),
        (b"\"\\udc00\\ud800\"", 7),
        (b"\"\xff\"", 0),
        (b"[\"\xc3(\"]", 1),
    ];
    for (text, offset) in cases {
        assert_eq!(bad(text), std::format!("malformed at byte: {offset}"), "{:?}", std::string::String::from_utf8_lossy(text));
    }
    assert_eq!(show(&Value::parse(b"{\"a\":tru}", "malformed config.json at byte").err().unwrap()), "malformed config.json at byte: 5");
}

#[test]
fn nesting_is_bounded_and_not_recursive() {
    let deep = |n: usize| [&b"["[..]].repeat(n).concat().into_iter().chain(std::iter::repeat_n(b']', n)).collect::<Vec<u8>>();
    assert!(Value::parse(&deep(64), "").is_ok());
    assert_eq!(bad(&deep(65)), "malformed at byte: 64");
    let objects = b"{\"a\":".repeat(65);
    assert_eq!(bad(&objects), std::format!("malformed at byte: {}", 64 * 5));
    // A million brackets: an error, not a stack overflow.
    assert_eq!(bad(&b"[".repeat(1 << 20)), "malformed at byte: 64");
    // At the limit, a lookup walks to the bottom.
    let mut v = doc(Box::leak(deep(64).into_boxed_slice()));
    for _ in 0..63 {
        v = v.elements().unwrap().next().unwrap();
    }
    assert_eq!(v.elements().unwrap().count(), 0);
}

use std::boxed::Box;

/// Cut short anywhere, a document is an error; with a byte changed it is an error or a value
/// whose every part can be read: never a panic, never a hang. (Every cut of the smaller
/// fixtures, every 37th of the larger; every byte of runc's state changed: the debug build is slow.)
#[test]
fn hostile_bytes_never_panic() {
    for (name, text) in FIXTURES {
        let end = text.trim_ascii_end().len();
        let step = if end > 4096 { 37 } else { 1 };
        for n in (0..end).step_by(step) {
            assert!(Value::parse(&text[..n], "").is_err(), "{name} cut at {n}");
        }
    }
    let mut t = FIXTURES[4].1.to_vec();
    for i in 0..t.len() {
        for c in [b'"', b'\\', b'{', b']', b',', b':', b'0', b'-', b'e', 0, 0xff] {
            let was = t[i];
            t[i] = c;
            if let Ok(v) = Value::parse(&t, "") {
                walk(v);
            }
            t[i] = was;
        }
    }
}

/// Reads every part of a value, its text thrown away.
fn walk(v: Value<'_>) {
    let mut b = [0; 8];
    let _ = (v.as_str(&mut b), v.as_u64(), v.as_i64(), v.as_bool(), v.is_null(), v.get(b"x"));
    v.members().into_iter().flatten().for_each(|(k, x)| {
        let _ = k.as_str(&mut b);
        walk(x)
    });
    v.elements().into_iter().flatten().for_each(walk);
}

/// The walks on bytes no check passed still end (a Value made by hand, as no caller can).
#[test]
fn unchecked_bytes_end_the_walks() {
    for t in [&b"{\"a\":[1,{\"b\""[..], b"[\"\\", b"}}]]", b"{\"a\"", b"[[[[", b"\"\\u12", b"\"\\ud800\\u", b"[#]", b"{\"a\":#,#}", b"{#"] {
        walk(Value(t));
    }
}

#[test]
fn writes_state_with_escapes() {
    let mut b = CBuf::<512>::new();
    let mut w = Writer::new(&mut b);
    w.obj().key(b"ociVersion").str(b"1.0.2").key(b"id").str(b"c\"1\\\n\x01").key(b"pid").num(42);
    w.key(b"neg").int(-7).key(b"min").int(i64::MIN).key(b"ok").bool(true);
    w.key(b"a").arr().num(1).arr().end().obj().end().str(b"").end().key(b"o").obj().key(b"k").bool(false).end().end();
    assert_eq!(
        std::str::from_utf8(w.done().unwrap()).unwrap(),
        r#"{"ociVersion":"1.0.2","id":"c\"1\\\u000a\u0001","pid":42,"neg":-7,"min":-9223372036854775808,"ok":true,"a":[1,[],{},""],"o":{"k":false}}"#
    );
    let mut b = CBuf::<512>::new();
    let mut w = Writer::new(&mut b);
    w.arr().int(-1).int(2).int(0).end();
    assert_eq!(w.done().unwrap(), b"[-1,2,0]");
}

#[test]
fn a_full_buffer_is_an_error() {
    let mut b = CBuf::<8>::new();
    let mut w = Writer::new(&mut b);
    w.arr().str(b"abcdefgh").end();
    assert_eq!(w.done().err().map(|e| e.errno()), Some(libc::ENOBUFS));
}

/// Every byte the writer escapes, and UTF-8 it does not, reads back as it was.
#[test]
fn written_strings_read_back() {
    let mut all: Vec<u8> = (0..0x80).collect();
    all.extend_from_slice(RAW);
    let mut b = CBuf::<2048>::new();
    let mut w = Writer::new(&mut b);
    w.obj().key(&all).str(&all).end();
    let text = w.done().unwrap().to_vec();
    let (k, v) = doc(&text).members().unwrap().next().unwrap();
    let mut buf = [0; 256];
    assert_eq!(k.as_str(&mut buf).unwrap(), &all[..]);
    assert_eq!(v.as_str(&mut buf).unwrap(), &all[..]);
    // A name with escapes is found when it unescapes into 64 bytes: runix looks for none longer.
    let name = &all[..63];
    let text = [&b"{\"x\":1,"[..], &w_str(name), b":2}"].concat();
    assert_eq!(doc(&text).get(name).unwrap().as_u64(), Some(2));
    let name = &all[..65];
    let text = [&b"{"[..], &w_str(name), b":2}"].concat();
    assert!(doc(&text).get(name).is_none());
}

fn w_str(s: &[u8]) -> Vec<u8> {
    let mut b = CBuf::<1024>::new();
    let mut w = Writer::new(&mut b);
    w.str(s);
    w.done().unwrap().to_vec()
}

/// A config.json's parse, and lookups in it, take microseconds (timed in a release build; the
/// debug build here only must not be slow).
#[test]
fn lookups_are_fast() {
    let text = FIXTURES[0].1;
    let t = std::time::Instant::now();
    for _ in 0..100 {
        std::hint::black_box(doc(text));
    }
    let parse = t.elapsed() / 100;
    let d = doc(text);
    let t = std::time::Instant::now();
    for _ in 0..100 {
        for k in [&b"ociVersion"[..], b"process", b"root", b"hostname", b"mounts", b"annotations", b"linux"] {
            let v = d.get(k).unwrap();
            for k in [&b"args"[..], b"env", b"namespaces", b"seccomp", b"resources"] {
                std::hint::black_box(v.get(k));
            }
        }
    }
    let get = t.elapsed() / 100 / 42;
    std::eprintln!("{} bytes: parse {parse:?}, one lookup {get:?}", text.len());
    assert!(parse.as_millis() < 20 && get.as_millis() < 2);
}
