//! Small files read line by line: /proc's, the cgroup files, the image's /etc/passwd.

use crate::error::Error;
use crate::sys;
use core::ffi::CStr;

/// Read a whole small file (/proc/self/cgroup) into buf, each line ending in a newline; a
/// file that does not fit is an error.
pub fn read_file<'a>(path: &CStr, buf: &'a mut [u8]) -> Result<&'a [u8], Error> {
    let mut len = 0;
    let r = for_each_line(path, &mut |line| {
        let end = len + line.len();
        let Some((nl, text)) = buf.get_mut(len..=end).and_then(|r| r.split_last_mut()) else {
            return Err(Error::sys("read", libc::EFBIG, path.to_bytes()));
        };
        text.copy_from_slice(line);
        *nl = b'\n';
        len = end + 1;
        Ok(true)
    });
    r.map(|_| &buf[..len])
}

/// Call `f` with each line of a file of any length, read in pieces; a line longer than the
/// buffer is an error rather than a line silently cut in two.
pub fn for_each_line(path: &CStr, f: &mut dyn FnMut(&[u8]) -> Result<bool, Error>) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, path, libc::O_RDONLY, 0)?;
    let r = each_line(fd, path.to_bytes(), f);
    let c = sys::close(fd);
    r.and(c)
}

/// `for_each_line` on an open file; `name` is for errors.
pub fn each_line(fd: sys::Fd, name: &[u8], f: &mut dyn FnMut(&[u8]) -> Result<bool, Error>) -> Result<(), Error> {
    let mut buf = [0u8; 4096];
    let mut have = 0;
    'outer: loop {
        let n = sys::read(fd, &mut buf[have..]).map_err(|e| e.at(name))?;
        have += n;
        let mut start = 0;
        loop {
            let rest = &buf[start..have];
            // At the end of the file, what is left is the last line.
            let (line, len) = match rest.iter().position(|&c| c == b'\n') {
                Some(nl) => (&rest[..nl], nl + 1),
                None if n == 0 && !rest.is_empty() => (rest, rest.len()),
                None => break,
            };
            match f(line) {
                Ok(true) => start += len,
                other => break 'outer other.map(drop),
            }
        }
        if n == 0 {
            break Ok(());
        }
        if start == 0 && have == buf.len() {
            break Err(Error::sys("read", libc::E2BIG, name));
        }
        buf.copy_within(start..have, 0);
        have -= start;
    }
}
