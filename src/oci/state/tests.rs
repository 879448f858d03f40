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

/// `kill --all` and `ps` go through cgroup.procs: a 0 there (a process of another PID
/// namespace, or leaving) is never kill(0)'s, and one that exits meanwhile (ESRCH) does not
/// stop the others being signalled.
#[test]
fn each_pid_skips_0_and_goes_on_past_a_process_gone() {
    let dir = std::env::temp_dir().join(std::format!("runix-each-pid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cgroup.procs"), "0\n77\n78\n").unwrap();
    let text = std::format!("{{\"cgroups\":[\"{}\"]}}", dir.display()).into_bytes().leak();
    let s = State { dir: -1, text, doc: Value::parse(text, "state").unwrap(), pid: 5, pidfd: -1, status: RUNNING };
    let mut seen = std::vec::Vec::new();
    let r = each_pid(&s, true, &mut |pid| {
        seen.push(pid);
        if pid == 77 { Err(Error::sys("kill", ESRCH, b"")) } else { Ok(()) }
    });
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(r.is_ok());
    assert_eq!(seen, [77, 78]);
    // Without --all, the init, as 0: signalled through its pidfd.
    let mut seen = std::vec::Vec::new();
    each_pid(&s, false, &mut |pid| Ok(seen.push(pid))).unwrap();
    assert_eq!(seen, [0]);
}
