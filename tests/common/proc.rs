//! Watching the processes of a run from the host: exit statuses, signals, descendants by pid
//! and start time, and the cleanup of a runix killed half-way (tests/process.rs, tests/signals.rs).

use super::runix_cgroups;
use std::fs;
use std::process::{Child, ExitStatus};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

pub fn code(st: ExitStatus) -> i32 {
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap())
}

pub fn kill(pid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory preconditions.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0, "kill {pid} {sig}");
}

/// `cond` within `secs`, checked every 10 ms.
pub fn within(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// (state, start time) from /proc/PID/stat: the fields after the ")" of comm.
pub fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = s[s.rfind(')')? + 2..].split(' ').collect();
    Some((f[0].chars().next()?, f[19].parse().ok()?))
}

/// Every descendant of `pid` (children of each of its threads, recursively), with its start
/// time so that a reused pid is not mistaken for it.
pub fn descendants(pid: u32) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for t in fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten() {
            let kids = fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for k in kids.split_whitespace().filter_map(|k| k.parse().ok()) {
                if let Some((_, start)) = proc_stat(k) {
                    out.push((k, start));
                    todo.push(k);
                }
            }
        }
    }
    out
}

/// Still running: the same process (same start time), not a zombie.
pub fn alive(&(pid, start): &(u32, u64)) -> bool {
    matches!(proc_stat(pid), Some((s, st)) if st == start && s != 'Z' && s != 'X')
}

/// After a failed check: SIGKILL to what outlived runix, and wait until it is gone.
pub fn end_all(procs: &[(u32, u64)]) {
    for p in procs.iter().filter(|p| alive(p)) {
        kill(p.0, libc::SIGKILL);
    }
    within(5, || !procs.iter().any(alive));
}

/// What a runix killed by SIGKILL could not remove: its runix-PID cgroups, once empty.
/// Whether none is left.
pub fn remove_cgroups_of(pid: u32) -> bool {
    let name = format!("runix-{pid}");
    let dirs: Vec<_> = runix_cgroups().into_iter().filter(|d| d.file_name().is_some_and(|n| n == name.as_str())).collect();
    dirs.iter().all(|d| within(5, || fs::remove_dir(d).is_ok() || !d.exists()))
}

/// SIGKILL to a runix still running, and what it leaves behind removed (a test that failed
/// half-way must not leave its cgroups for the next runs to find).
pub fn kill_runix(child: &mut Child) {
    if child.try_wait().ok().flatten().is_none() {
        let _ = child.kill();
        let _ = child.wait();
        remove_cgroups_of(child.id());
    }
}
