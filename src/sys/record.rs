//! Test builds only: a recording backend behind the one syscall door (`sys::call5`).
//!
//! A test starts a [`Recording`]; from then on, on that test's thread, every syscall is
//! written down as `--trace` shows it (`mount("proc", "/proc", "proc", MS_NOSUID, NULL) = 0`),
//! in one ordered list, and answered by the test instead of the kernel: a call whose line
//! contains a pattern given to [`Recording::fail`] fails with its errno; a [`Recording::answer`]
//! function may answer any call (fill a `struct stat`, say); the rest get what `--dry-run`
//! gives (0, a fake fd, all bytes written), or with [`Kernel::Real`], the kernel's answer.
//! Without a recording, calls go to the kernel as in the binary.
//!
//! So the plan, rootfs and the sequence are tested without root, error paths included, with
//! no test hook in production code: the code under test cannot tell.

use super::trace;
use std::cell::RefCell;
use std::string::String;
use std::vec::Vec;
use syscalls::Sysno;

/// Who answers the calls no pattern or answer function takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kernel {
    /// `--dry-run`'s harmless fakes: nothing is made.
    Fake,
    /// The real kernel (tests that work in a temporary directory).
    Real,
}

/// A test's answer to one call: Some(return value, or -errno), or None to let it through.
pub type Answer = Box<dyn FnMut(Sysno, &[usize; 6]) -> Option<isize>>;

struct State {
    kernel: Kernel,
    calls: Vec<String>,
    fails: Vec<(String, i32)>,
    answer: Option<Answer>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// A recording on this thread, until dropped.
pub struct Recording(());

impl Recording {
    pub fn start(kernel: Kernel) -> Recording {
        STATE.with(|s| *s.borrow_mut() = Some(State { kernel, calls: Vec::new(), fails: Vec::new(), answer: None }));
        Recording(())
    }

    /// Calls whose line (arguments, as --trace shows them) contains `pattern` fail with `errno`.
    pub fn fail(&self, pattern: &str, errno: i32) -> &Self {
        with(|s| s.fails.push((pattern.into(), errno)));
        self
    }

    /// `f` answers each call first; None lets the call through to the patterns and the kernel.
    pub fn answer(&self, f: impl FnMut(Sysno, &[usize; 6]) -> Option<isize> + 'static) -> &Self {
        with(|s| s.answer = Some(Box::new(f)));
        self
    }

    /// The calls so far, in order, each as --trace shows it, without the `[parent] ` tag.
    pub fn calls(&self) -> Vec<String> {
        with(|s| s.calls.clone())
    }

    /// The calls so far as one text, a line each: for `assert_eq!` with a readable diff.
    pub fn text(&self) -> String {
        self.calls().iter().map(|c| c.clone() + "\n").collect()
    }

    /// Forget the calls so far.
    pub fn clear(&self) {
        with(|s| s.calls.clear());
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        STATE.with(|s| *s.borrow_mut() = None);
    }
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(s.borrow_mut().as_mut().expect("no recording on this thread")))
}

/// The door's backend in test builds.
pub fn call(nr: Sysno, a: &[usize; 6]) -> isize {
    if STATE.with(|s| s.borrow().is_none()) {
        return super::kernel(nr, a);
    }
    let shown = String::from_utf8_lossy(trace::line(nr, a, trace::NOT_ISSUED).bytes()).into_owned();
    // The answer function runs with the state released: it may make calls of its own.
    let mut answer = with(|s| s.answer.take());
    let mut r = answer.as_mut().and_then(|f| f(nr, a));
    with(|s| {
        if s.answer.is_none() {
            s.answer = answer;
        }
        if r.is_none() {
            r = s.fails.iter().find(|(p, _)| shown.contains(p.as_str())).map(|&(_, e)| -(e as isize));
        }
    });
    let kernel = with(|s| s.kernel);
    let r = r.unwrap_or_else(|| match kernel {
        Kernel::Real => super::kernel(nr, a),
        Kernel::Fake => trace::fake(nr, a),
    });
    let line = String::from_utf8_lossy(trace::line(nr, a, r).bytes()).into_owned();
    let untagged = line.split_once("] ").map_or(line.as_str(), |(_, rest)| rest).to_string();
    with(|s| s.calls.push(untagged));
    r
}

/// For an answer function: newfstatat's reply, `st` written to the caller's struct stat.
/// None for any other call.
pub fn reply_stat(nr: Sysno, a: &[usize; 6], st: &super::Stat) -> Option<isize> {
    if nr != Sysno::newfstatat {
        return None;
    }
    // SAFETY: newfstatat's third argument points to the caller's struct stat (sys::fstat's
    // own), live and its alone for the call.
    let out = unsafe { &mut *(a[2] as *mut libc::stat) };
    (out.st_dev, out.st_ino, out.st_mode, out.st_rdev, out.st_size) = (st.dev, st.ino, st.mode, st.rdev, st.size as i64);
    Some(0)
}

/// For an answer function: getcwd's reply, `dir` written to the caller's buffer. None for any
/// other call, or a buffer too small.
pub fn reply_getcwd(nr: Sysno, a: &[usize; 6], dir: &[u8]) -> Option<isize> {
    if nr != Sysno::getcwd || dir.len() >= a[1] {
        return None;
    }
    // SAFETY: getcwd's arguments are the caller's buffer and its length (sys::getcwd's), live
    // and its alone for the call.
    let buf = unsafe { core::slice::from_raw_parts_mut(a[0] as *mut u8, a[1]) };
    buf[..dir.len()].copy_from_slice(dir);
    buf[dir.len()] = 0;
    Some(dir.len() as isize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_order_and_fails_what_it_is_told() {
        let rec = Recording::start(Kernel::Fake);
        rec.fail("\"/x\"", libc::EACCES);
        assert!(super::super::mkdir(c"/tmp/made-by-no-one", 0o700).is_ok());
        let e = super::super::rmdir(c"/x").unwrap_err();
        assert_eq!((e.what(), e.errno()), ("rmdir", libc::EACCES));
        assert_eq!(rec.text(), "mkdirat(AT_FDCWD, \"/tmp/made-by-no-one\", 0700) = 0\nunlinkat(AT_FDCWD, \"/x\", AT_REMOVEDIR) = -1 EACCES (Permission denied)\n");
    }

    #[test]
    fn an_answer_comes_first_and_the_kernel_only_when_asked() {
        let rec = Recording::start(Kernel::Fake);
        rec.answer(|nr, _| (nr == Sysno::getpid).then_some(7));
        assert_eq!(super::super::getpid(), 7);
        drop(rec);
        assert_eq!(super::super::getpid(), std::process::id() as i32);
        let rec = Recording::start(Kernel::Real);
        assert_eq!(super::super::getpid(), std::process::id() as i32);
        assert_eq!(rec.calls().len(), 1);
    }
}
