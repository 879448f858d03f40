//! The last step: execve(2) the command, searching PATH inside the new root like execvp(3).

use crate::buf::CBuf;
use crate::error::Error;
use crate::spec::MAX_ENV;
use crate::sys::{self, Args, CList, Fd};
use crate::text::{After, fields};
use core::ffi::CStr;

/// Exec argv[0] with `env`. Returns only on failure, with the error that decides the exit
/// status: 127 when nothing was found, 126 when something was found but could not run.
pub fn exec(argv: Args, env: &CList<MAX_ENV>) -> Error {
    let cmd = argv.get(0).unwrap_or(c"");
    let path = (0..env.len()).filter_map(|i| env.get(i)).find_map(|e| e.to_bytes().after(b"PATH="));
    search(cmd, path.unwrap_or(b"/usr/local/bin:/bin:/usr/bin"), |p| {
        crate::debug!("trying ", crate::error::Bytes(p.to_bytes()));
        sys::execve(p, argv, env)
    })
}

/// Close every fd from 3 up except those in `keep` (each close-on-exec, gone at the execve):
/// nothing runix or its caller had open reaches the container (CVE-2024-21626 was a leaked
/// fd of a host directory). close_range(2) needs Linux 5.9; before it, every fd number up to
/// the limit is closed one by one.
pub fn close_fds(keep: &[Fd]) -> Result<(), Error> {
    for (first, last) in gaps(keep) {
        close_range(first, last)?;
    }
    Ok(())
}

/// The ranges of fds from 3 up to ~0U around those in `keep` (at most three).
fn gaps(keep: &[Fd]) -> impl Iterator<Item = (u32, u32)> {
    // One slot more than there can be fds to keep: the last is always u32::MAX, "no more to
    // keep", so the last range runs to ~0U.
    let mut k = [u32::MAX; 4];
    for (slot, &fd) in k.iter_mut().zip(keep.iter().filter(|&&fd| fd >= 3)) {
        *slot = fd as u32;
    }
    k.sort_unstable();
    let mut from = 3;
    k.into_iter().filter_map(move |k| {
        let gap = (k > from).then(|| (from, if k == u32::MAX { k } else { k - 1 }));
        from = from.max(k.saturating_add(1));
        gap
    })
}

fn close_range(first: u32, last: u32) -> Result<(), Error> {
    match sys::close_range(first, last) {
        Err(e) if e.errno() == libc::ENOSYS => {}
        r => return r,
    }
    // No fd is at or above the soft RLIMIT_NOFILE but one opened before it was lowered,
    // which runix does not do.
    let max = sys::rlimit(libc::RLIMIT_NOFILE)?.min(last as u64 + 1) as u32;
    for fd in first..max {
        match sys::close(fd as Fd) {
            Err(e) if e.errno() != libc::EBADF => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// The working directory must be inside the container: a directory outside the root shows as
/// "(unreachable)/..." (getcwd(2)), as a leaked host fd made it in runc (CVE-2024-21626).
/// Not inlined: its PATH_MAX buffer stays out of the frame under all of the child's setup.
#[inline(never)]
pub fn check_cwd() -> Result<(), Error> {
    let mut buf = [0u8; 4096];
    let n = sys::getcwd(&mut buf)?;
    if !buf[..n].starts_with(b"/") {
        return Err(Error::msg("working directory outside the container", &buf[..n.saturating_sub(1)]));
    }
    Ok(())
}

/// execvp(3)'s rules: a name with a slash is run as is; otherwise each PATH entry is tried in
/// order (an empty entry is the current directory). ENOENT and ENOTDIR move on to the next
/// entry; EACCES is remembered and the search goes on; any other error stops it.
pub fn search(cmd: &CStr, path: &[u8], mut try_exec: impl FnMut(&CStr) -> Error) -> Error {
    if cmd.to_bytes().iter().any(|&c| c == b'/') {
        return try_exec(cmd);
    }
    let mut denied = None;
    let mut full = CBuf::<4096>::new();
    for dir in fields(path, b':') {
        full.clear();
        let built = if dir.is_empty() { full.push(cmd.to_bytes()) } else { full.push(dir).and_then(|f| f.push(b"/")).and_then(|f| f.push(cmd.to_bytes())) };
        if built.is_err() {
            continue; // cannot exist: longer than PATH_MAX
        }
        let e = try_exec(full.as_cstr());
        match e.errno() {
            libc::ENOENT | libc::ENOTDIR => {}
            libc::EACCES => denied = Some(e),
            _ => return e,
        }
    }
    denied.unwrap_or_else(|| Error::exec(libc::ENOENT, cmd.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn fds_are_closed_around_those_kept_to_the_last() {
        let g = |keep: &[Fd]| gaps(keep).collect::<Vec<_>>();
        assert_eq!(g(&[]), [(3, u32::MAX)]);
        assert_eq!(g(&[5]), [(3, 4), (6, u32::MAX)]);
        // Two kept: the fds above both are closed too.
        assert_eq!(g(&[9, 5]), [(3, 4), (6, 8), (10, u32::MAX)]);
        assert_eq!(g(&[3, 4]), [(5, u32::MAX)]);
        assert_eq!(g(&[-1, 7]), [(3, 6), (8, u32::MAX)]);
        assert_eq!(g(&[7, 7]), [(3, 6), (8, u32::MAX)]);
        assert_eq!(g(&[8, 4, 6]), [(3, 3), (5, 5), (7, 7), (9, u32::MAX)]);
    }

    fn trace(cmd: &CStr, path: &str, fail: impl Fn(&str) -> i32) -> (Vec<String>, Error) {
        let mut tried = Vec::new();
        let e = search(cmd, path.as_bytes(), |p| {
            let s = p.to_str().unwrap().to_string();
            let errno = fail(&s);
            tried.push(s);
            Error::exec(errno, p.to_bytes())
        });
        (tried, e)
    }

    #[test]
    fn a_name_with_a_slash_is_not_searched() {
        let (tried, e) = trace(c"./x", "/bin:/usr/bin", |_| libc::ENOENT);
        assert_eq!(tried, ["./x"]);
        assert_eq!(e.exit_code(), 127);
    }

    #[test]
    fn searches_each_path_entry_in_order() {
        let (tried, e) = trace(c"sh", "/usr/bin::/bin", |_| libc::ENOENT);
        assert_eq!(tried, ["/usr/bin/sh", "sh", "/bin/sh"]);
        let (d, n) = e.detail();
        assert_eq!(&d[..n], b"sh");
        assert_eq!(e.exit_code(), 127);
    }

    #[test]
    fn permission_denied_is_remembered_and_gives_126() {
        let (tried, e) = trace(c"x", "/a:/b", |p| if p == "/a/x" { libc::EACCES } else { libc::ENOENT });
        assert_eq!(tried, ["/a/x", "/b/x"]);
        assert_eq!(e.errno(), libc::EACCES);
        assert_eq!(e.exit_code(), 126);
    }

    #[test]
    fn other_errors_stop_the_search() {
        let (tried, e) = trace(c"x", "/a:/b", |_| libc::ENOEXEC);
        assert_eq!(tried, ["/a/x"]);
        assert_eq!(e.exit_code(), 126);
    }
}
