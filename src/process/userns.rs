//! Rootless containers: a user namespace in which the caller is root (user_namespaces(7)).
//! With ranges in /etc/subuid and /etc/subgid and the setuid helpers newuidmap/newgidmap
//! installed, the whole range is mapped too, so that chown inside works; otherwise only the
//! caller's own ids, which needs no helper at all.

use crate::buf::CBuf;
use crate::file::for_each_line;
use crate::text::{fields, itoa};
use crate::error::Error;
use crate::sys;
use core::ffi::CStr;

/// The maps the child's user namespace gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Map {
    /// Container `inside` is the caller, nothing else is mapped (setgroups is denied).
    Single,
    /// Container 0 is the caller; 1.. are the caller's subordinate ids (start, count) from
    /// /etc/subuid and /etc/subgid, written by newuidmap/newgidmap.
    Range { uid: (u32, u32), gid: (u32, u32) },
    /// Root's --userns: container 0.. are root's subordinate ids, written directly.
    Root { uid: (u32, u32), gid: (u32, u32) },
}

impl Map {
    /// Whether container gid `gid` (5, tty, for /dev/pts) exists in this map, with the
    /// caller's gid at `k` inside (--map-group).
    pub fn has_gid(&self, gid: u32, k: u32) -> bool {
        match *self {
            Map::Single => gid == k,
            Map::Range { gid: range, .. } => range_map(0, range, k).iter().any(|&(inside, _, n)| gid >= inside && gid - inside < n),
            Map::Root { gid: (_, n), .. } => gid < n,
        }
    }
}

const NEWUIDMAP: &CStr = c"/usr/bin/newuidmap";
const NEWGIDMAP: &CStr = c"/usr/bin/newgidmap";

/// Before clone: which map, for a caller with `uid` and `gid` (geteuid, getegid).
pub fn plan(uid: u32, gid: u32) -> Result<Map, Error> {
    // /etc/subuid names users by name or by uid; the name is in the host's /etc/passwd.
    let mut name = CBuf::<64>::new();
    let mut digits = [0u8; 10];
    let id = itoa(uid as u64, &mut digits);
    let _ = for_each_line(c"/etc/passwd", &mut |l| {
        let mut f = fields(l, b':');
        if let (Some(n), Some(u)) = (f.next(), f.nth(1)) {
            if u == id {
                return name.push(n).map(|_| false);
            }
        }
        Ok(true)
    });
    let name = (!name.is_empty()).then_some(name.bytes());
    let ranges = (subid(c"/etc/subuid", uid, name), subid(c"/etc/subgid", gid, name));
    if uid == 0 {
        return match ranges {
            (Some(u), Some(g)) => Ok(Map::Root { uid: u, gid: g }),
            _ => Err(Error::msg("--userns as root needs ranges for root in /etc/subuid and /etc/subgid (e.g. root:100000:65536)", b"")),
        };
    }
    let helpers = [NEWUIDMAP, NEWGIDMAP].iter().all(|p| sys::openat(sys::AT_FDCWD, p, libc::O_PATH, 0).and_then(sys::close).is_ok());
    Ok(match ranges {
        (Some(u), Some(g)) if helpers => Map::Range { uid: u, gid: g },
        _ => Map::Single,
    })
}

/// The first `NAME:START:COUNT` (or `UID:START:COUNT`) range of the user in `file`.
fn subid(file: &CStr, id: u32, name: Option<&[u8]>) -> Option<(u32, u32)> {
    let mut digits = [0u8; 10];
    let id = itoa(id as u64, &mut digits);
    let mut found = None;
    let _ = for_each_line(file, &mut |line| {
        found = parse_subid(line, id, name);
        Ok(found.is_none())
    });
    found
}

/// One line of /etc/subuid: (start, count) when it is the user's.
pub fn parse_subid(line: &[u8], id: &[u8], name: Option<&[u8]>) -> Option<(u32, u32)> {
    let mut f = fields(line, b':');
    let (who, start, count) = (f.next()?, f.next()?, f.next()?);
    if who != id && Some(who) != name {
        return None;
    }
    let (start, count) = (crate::process::user::number(start)?, crate::process::user::number(count)?);
    (count > 0).then_some((start, count))
}

/// After clone, before the child goes on: write its maps. `inside` is (uid, gid) in the
/// container for the caller (`--map-user`, `--map-group`; 0 by default).
pub fn write_maps(pid: i32, map: Map, uid: u32, gid: u32, inside: (u32, u32)) -> Result<(), Error> {
    let mut pid_s = [0u8; 10];
    let pid_s = itoa(pid as u64, &mut pid_s);
    match map {
        Map::Single => {
            // An unprivileged process may map its own gid only after it gave up setgroups
            // (user_namespaces(7), CVE-2014-8989); kernels before 3.19 have no such file.
            match write_proc(pid_s, b"setgroups", b"deny") {
                Err(e) if e.errno() == libc::ENOENT => {}
                r => r?,
            }
            write_proc(pid_s, b"uid_map", line(&mut CBuf::new(), inside.0, uid, 1)?.bytes())?;
            write_proc(pid_s, b"gid_map", line(&mut CBuf::new(), inside.1, gid, 1)?.bytes())
        }
        Map::Root { uid: (us, un), gid: (gs, gn) } => {
            write_proc(pid_s, b"uid_map", line(&mut CBuf::new(), 0, us, un)?.bytes())?;
            write_proc(pid_s, b"gid_map", line(&mut CBuf::new(), 0, gs, gn)?.bytes())
        }
        Map::Range { uid: u, gid: g } => {
            helper(NEWUIDMAP, pid_s, uid, u, inside.0)?;
            helper(NEWGIDMAP, pid_s, gid, g, inside.1)
        }
    }
}

/// `INSIDE OUTSIDE COUNT`: one line of a uid_map or gid_map.
fn line(b: &mut CBuf<48>, inside: u32, outside: u32, count: u32) -> Result<&CBuf<48>, Error> {
    let mut d = [0u8; 10];
    for (i, v) in [inside, outside, count].into_iter().enumerate() {
        if i > 0 {
            b.push(b" ")?;
        }
        b.push(itoa(v as u64, &mut d))?;
    }
    Ok(b)
}

/// `/proc/PID/FILE` ← `value`, in one write as the kernel requires for the maps.
fn write_proc(pid: &[u8], file: &[u8], value: &[u8]) -> Result<(), Error> {
    let path = CBuf::<64>::from(&[b"/proc/", pid, b"/", file])?;
    let fd = sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_WRONLY, 0)?;
    let r = sys::write(fd, value).map(drop).map_err(|e| e.at(path.bytes()));
    sys::close(fd)?;
    r
}

/// `newuidmap PID ...` with `range_map`'s lines: the caller's `id` at `k` inside, the range
/// around it.
fn helper(prog: &'static CStr, pid: &[u8], id: u32, range: (u32, u32), k: u32) -> Result<(), Error> {
    let mut bufs = [const { CBuf::<12>::new() }; 10];
    let mut d = [0u8; 10];
    let mut argv = [prog; 11];
    bufs[0].push(pid)?;
    let mut n = 1;
    for (inside, outside, count) in range_map(id, range, k).into_iter().filter(|l| l.2 > 0) {
        for v in [inside, outside, count] {
            bufs[n].push(itoa(v as u64, &mut d))?;
            n += 1;
        }
    }
    for (a, b) in argv[1..].iter_mut().zip(&bufs[..n]) {
        *a = b.as_cstr();
    }
    match sys::spawn(&argv[..n + 1])? {
        0 => Ok(()),
        _ => Err(Error::msg("failed (see its message above)", prog.to_bytes())),
    }
}

/// The lines (inside, outside, count) of a map that puts the caller's `id` at `k` inside
/// (--map-user, --map-group; 0 by default) and the subordinate `range` (start, count) in order
/// around it: inside 0.. from the range up to `k`, then `k`, then the rest of the range. A
/// count of 0 is no line.
pub fn range_map(id: u32, (start, count): (u32, u32), k: u32) -> [(u32, u32, u32); 3] {
    let below = k.min(count);
    [(0, start, below), (k, id, 1), (k.saturating_add(1), start + below, count - below)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subid_lines() {
        assert_eq!(parse_subid(b"alice:100000:65536", b"1000", Some(b"alice")), Some((100000, 65536)));
        assert_eq!(parse_subid(b"1000:200000:10", b"1000", None), Some((200000, 10)));
        assert_eq!(parse_subid(b"bob:100000:65536", b"1000", Some(b"alice")), None);
        assert_eq!(parse_subid(b"alice:100000:0", b"1000", Some(b"alice")), None);
        assert_eq!(parse_subid(b"alice:x:1", b"1000", Some(b"alice")), None);
        assert_eq!(parse_subid(b"garbage", b"1000", Some(b"alice")), None);
    }

    #[test]
    fn the_callers_id_goes_where_it_is_asked_the_range_around_it() {
        // The default: the caller is 0, the range 1 on.
        assert_eq!(range_map(1000, (100000, 65536), 0), [(0, 100000, 0), (0, 1000, 1), (1, 100000, 65536)]);
        // --map-user 1000: 0..999 from the range, 1000 the caller, the rest after it.
        assert_eq!(range_map(1000, (100000, 65536), 1000), [(0, 100000, 1000), (1000, 1000, 1), (1001, 101000, 64536)]);
        // Past the range: the whole range below, then the caller.
        assert_eq!(range_map(1000, (100000, 10), 50), [(0, 100000, 10), (50, 1000, 1), (51, 100010, 0)]);
    }

    #[test]
    fn map_lines_and_ids() {
        assert_eq!(line(&mut CBuf::new(), 0, 1000, 1).unwrap().bytes(), b"0 1000 1");
        assert!(Map::Single.has_gid(0, 0) && !Map::Single.has_gid(5, 0) && Map::Single.has_gid(5, 5));
        assert!(Map::Range { uid: (1, 65536), gid: (1, 65536) }.has_gid(5, 0));
        // Five gids from the range (0-4), the caller's at 10: no 5.
        assert!(!Map::Range { uid: (1, 5), gid: (300000, 5) }.has_gid(5, 10));
        assert!(Map::Range { uid: (1, 5), gid: (300000, 5) }.has_gid(10, 10));
        assert!(!Map::Root { uid: (1, 5), gid: (1, 5) }.has_gid(5, 0));
    }
}
