//! Removing cgroups: the container's after the run (killing what is left in them), those a
//! runix killed with SIGKILL left behind (swept before a run makes its own), and
//! `runix cleanup`.

use super::Path;
use super::layout::{ALL, Layout};
use crate::buf::CBuf;
use crate::error::Error;
use crate::file::for_each_line;
use crate::sys;
use crate::text::{After, fields};
use core::ffi::CStr;
use libc::{EBUSY, ENOENT, ESRCH};

/// rmdir a cgroup, and its child cgroups first: a privileged container may make its own under
/// its cgroup namespace's root, and rmdir says EBUSY while they are there. While processes are
/// in one rmdir says EBUSY too: SIGKILL those its cgroup.procs lists (the container is over;
/// left alone, its PID namespace dies with its PID 1 anyway) and retry, for at most a second.
/// Already gone is fine. At most 8 levels down, in one path made longer and shorter again
/// rather than a frame per level, so a deep tree costs no stack.
pub fn rmdir_tree(d: &Path) -> Result<(), Error> {
    let mut p = Path::new();
    p.push(d.bytes())?;
    let (top, mut level, mut tries) = (p.len(), 0, 0);
    loop {
        match sys::rmdir(p.as_cstr()) {
            Err(e) if e.errno() == EBUSY && tries < 200 => {
                kill_all(&mut p);
                // Its first child cgroup next, if it has one; else a moment for the killed.
                if level < 8 && push_subdir(&mut p)? {
                    level += 1;
                } else {
                    tries += 1;
                    sys::sleep_ms(5);
                }
            }
            Err(e) if e.errno() != ENOENT => return Err(e),
            // Gone (or already gone): done, or on with its parent.
            _ if p.len() == top => return Ok(()),
            _ => {
                level -= 1;
                let parent = p.bytes().iter().rposition(|&c| c == b'/').unwrap_or(top);
                p.truncate(parent);
            }
        }
    }
}

/// SIGKILL what cgroup `d` lists in its cgroup.procs (whose path is made in `d`, then taken
/// off again).
#[inline(never)]
fn kill_all(d: &mut Path) {
    let len = d.len();
    if d.push(b"/cgroup.procs").is_ok() {
        let _ = for_each_line(d.as_cstr(), &mut |pid| {
            // v2 lists 0 for a task leaving, or one in a PID namespace we cannot see:
            // kill(0) would be runix's own process group.
            if let Some(pid) = crate::text::number(pid).filter(|p| (1..=i32::MAX as u64).contains(p)) {
                let _ = sys::kill(pid as i32, libc::SIGKILL);
            }
            Ok(true)
        });
    }
    d.truncate(len);
}

/// `/NAME` of the first child directory of `p` appended to it; false when it has none (or the
/// path would be too long). A cgroup that cannot be listed is an error: it is what keeps the
/// rmdir busy.
#[inline(never)]
fn push_subdir(p: &mut Path) -> Result<bool, Error> {
    let mut name = CBuf::<256>::new();
    let listed = for_each_entry(p.as_cstr(), &mut |n, kind| {
        if kind == libc::DT_DIR && n != b"." && n != b".." && name.is_empty() {
            name.push(n)?;
        }
        Ok(())
    });
    // Gone meanwhile: the rmdir that follows says so.
    match listed {
        Err(e) if e.errno() != ENOENT => return Err(e),
        _ => {}
    }
    let len = p.len();
    if name.is_empty() || p.push(b"/").and_then(|p| p.push(name.bytes())).is_err() {
        p.truncate(len);
        return Ok(false);
    }
    Ok(true)
}

/// Call `f` with each name in `dir` and its type (DT_*) (getdents64(2) gives struct
/// linux_dirent64 records: d_ino u64, d_off i64, d_reclen u16, d_type u8, then the
/// NUL-terminated name).
pub fn for_each_entry(dir: &CStr, f: &mut dyn FnMut(&[u8], u8) -> Result<(), Error>) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, dir, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let mut buf = [0u8; 4096];
    let r = 'outer: loop {
        let n = match sys::getdents64(fd, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e.at(dir.to_bytes())),
        };
        let mut off = 0;
        while let Some(rec) = buf[..n].get(off..) {
            let len = rec.get(16..18).map_or(0, |l| u16::from_ne_bytes([l[0], l[1]]) as usize);
            let Some(name) = rec.get(19..len) else { break };
            if let Err(e) = f(fields(name, 0).next().unwrap_or(name), rec[18]) {
                break 'outer Err(e);
            }
            off += len;
        }
        // kernfs (cgroupfs) fills the buffer while the next record fits: room left for the
        // largest (19 bytes, a 255-byte name and its NUL, 8-aligned) means that was the last,
        // and saves the getdents64 that would return 0.
        if buf.len() - n >= 280 {
            break Ok(());
        }
    };
    let c = sys::close(fd);
    r.and(c)
}

/// The pid in a name runix gives its cgroups, `runix-<pid>` as `itoa` writes it (no sign, no
/// leading zero); None for any other name.
fn runix_pid(name: &[u8]) -> Option<i32> {
    let digits = name.after(b"runix-")?;
    crate::text::number(digits).filter(|_| digits[0] != b'0').and_then(|p| i32::try_from(p).ok())
}

/// Remove the `runix-<pid>` cgroups in `dir` that a runix killed with SIGKILL left behind:
/// those whose pid is gone (kill(2) with signal 0 says ESRCH only when no process has it; a
/// live pid is left alone, whatever process it is now), and `own`'s, which is not made yet.
/// Nothing is killed: a plain rmdir, which the kernel refuses (EBUSY) while the cgroup holds
/// a process or a child cgroup. Each one removed is printed on stdout (`print`) or logged.
pub fn sweep(dir: &CStr, own: i32, print: bool) -> Result<(), Error> {
    for_each_entry(dir, &mut |name, kind| {
        let Some(pid) = runix_pid(name).filter(|_| kind == libc::DT_DIR) else { return Ok(()) };
        if pid != own && !sys::kill(pid, 0).is_err_and(|e| e.errno() == ESRCH) {
            return Ok(());
        }
        let p = super::join(dir.to_bytes(), b"/", name)?;
        match sys::rmdir(p.as_cstr()) {
            Ok(()) if print => [&b"removed "[..], p.bytes(), b"\n"].iter().try_for_each(|s| sys::write_all(1, s)),
            Ok(()) => {
                crate::info!("removed stale cgroup ", crate::error::Bytes(p.bytes()));
                Ok(())
            }
            Err(e) if e.errno() == EBUSY || e.errno() == ENOENT => Ok(()),
            Err(e) => Err(e),
        }
    })
}

/// `runix cleanup`: sweep every hierarchy runix could use, under runix's cgroup or `parent`,
/// and print each cgroup removed.
pub fn cleanup(parent: Option<&[u8]>) -> Result<i32, Error> {
    // A Layout is 28 KiB: a static, as Cgroups::create's.
    static LAYOUT: sys::Once<Layout> = sys::Once::new(Layout::EMPTY);
    cleanup_in(LAYOUT.take(), parent, c"/proc/self/cgroup", c"/proc/self/mountinfo")
}

/// `cleanup` with the /proc files given.
pub fn cleanup_in(l: &mut Layout, parent: Option<&[u8]>, proc_cgroup: &CStr, mountinfo: &CStr) -> Result<i32, Error> {
    l.find(ALL, true, parent, proc_cgroup, mountinfo)?;
    for h in l.hierarchies() {
        match sweep(h.dir.as_cstr(), 0, true) {
            // A parent missing in one hierarchy has nothing in it.
            Err(e) if e.errno() != ENOENT => return Err(e),
            _ => {}
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runix_pids_are_read_from_runix_names_only() {
        assert_eq!(runix_pid(b"runix-1234"), Some(1234));
        assert_eq!(runix_pid(b"runix-2147483647"), Some(i32::MAX));
        for name in ["runix-", "runix-0", "runix-0123", "runix-+1", "runix--1", "runix-12a", "runix-2147483648", "runix 1", "other-1", "runix-1.scope"] {
            assert_eq!(runix_pid(name.as_bytes()), None, "{name}");
        }
    }
}
