//! The last step: execve(2) the command, searching PATH inside the new root like execvp(3).

use crate::buf::CBuf;
use crate::error::Error;
use crate::spec::MAX_ENV;
use crate::sys::{self, Args, CList};
use core::ffi::CStr;

/// Exec argv[0] with `env`. Returns only on failure, with the error that decides the exit
/// status: 127 when nothing was found, 126 when something was found but could not run.
pub fn exec(argv: Args, env: &CList<MAX_ENV>) -> Error {
    let cmd = argv.get(0).unwrap_or(c"");
    let path = (0..env.len()).filter_map(|i| env.get(i)).find_map(|e| e.to_bytes().strip_prefix(b"PATH="));
    search(cmd, path.unwrap_or(b"/usr/local/bin:/bin:/usr/bin"), |p| {
        crate::debug!("(child) trying {}", crate::error::Bytes(p.to_bytes()));
        sys::execve(p, argv, env)
    })
}

/// execvp(3)'s rules: a name with a slash is run as is; otherwise each PATH entry is tried in
/// order (an empty entry is the current directory). ENOENT and ENOTDIR move on to the next
/// entry; EACCES is remembered and the search goes on; any other error stops it.
pub fn search(cmd: &CStr, path: &[u8], mut try_exec: impl FnMut(&CStr) -> Error) -> Error {
    if cmd.to_bytes().contains(&b'/') {
        return try_exec(cmd);
    }
    let mut denied = None;
    let mut full = CBuf::<4096>::new();
    for dir in path.split(|&c| c == b':') {
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
    denied.unwrap_or_else(|| Error::sys("execve", libc::ENOENT, cmd.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;
    use std::vec::Vec;

    fn trace(cmd: &CStr, path: &str, fail: impl Fn(&str) -> i32) -> (Vec<String>, Error) {
        let mut tried = Vec::new();
        let e = search(cmd, path.as_bytes(), |p| {
            let s = p.to_str().unwrap().to_string();
            let errno = fail(&s);
            tried.push(s);
            Error::sys("execve", errno, p.to_bytes())
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
        assert_eq!(e.detail(), b"sh");
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
