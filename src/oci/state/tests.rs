//! The state's logic without root: the status of a pid, the state document.

use super::*;
extern crate std;

#[test]
fn a_live_process_has_a_start_time_and_a_gone_one_none() {
    let me = std::process::id() as i32;
    let t = proc_start(me).expect("our own start time");
    assert!(t > 0);
    assert_eq!(proc_start(me), Some(t));
    assert_eq!(proc_start(i32::MAX), None);
}

#[test]
fn a_template_is_filled_with_strings_and_json_text() {
    let mut b = CBuf::<256>::new();
    fill(&mut b, b"{\"a\":\x00,\"n\":\x11,\"s\":\"\x12\"}", &[b"x\"y\\\n", b"42", b"raw"]).unwrap();
    assert_eq!(b.bytes(), br#"{"a":"x\"y\\\u000a","n":42,"s":"raw"}"#);
    let mut small = CBuf::<8>::new();
    assert!(fill(&mut small, b"\x00", &[b"longer than eight"]).is_err());
}
