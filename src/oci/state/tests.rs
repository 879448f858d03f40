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
