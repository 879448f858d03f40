//! Room for the few large values runix makes once in a process (its cgroups' paths, a seccomp
//! program), outside every stack frame: the stack may be as small as `ulimit -s` allows, and
//! runix must not need more of it than a few small frames.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A `static` whose value is handed out once per process. Give it an initial value of zero
/// bytes: it then lies in .bss and costs no byte of the executable.
pub struct Once<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through the one reference `take` gives out, once; T: Send,
// as it may be used by whichever thread took it. runix's processes have one thread each and no
// signal handler, so a load and a store decide who gets it.
unsafe impl<T: Send> Sync for Once<T> {}

impl<T> Once<T> {
    pub const fn new(value: T) -> Self {
        Once { taken: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    /// The value, to the first caller in this process. A second call is a bug in runix.
    #[cfg(not(test))]
    pub fn take(&'static self) -> &'static mut T {
        // Not a swap: read-modify-write atomics on arm64 are library calls that pick their
        // instructions through libc's getauxval.
        assert!(!self.taken.load(Ordering::Relaxed));
        self.taken.store(true, Ordering::Relaxed);
        // SAFETY: the flag makes this the only reference to the value there will ever be in
        // this process. A process made by clone(2) without CLONE_VM (runix makes no other)
        // gets its own copy of the memory, this static included, as it was at the clone: a
        // reference the parent took and passed on then points into the child's copy, whose
        // flag is set too, so there is still only the one in each process.
        unsafe { &mut *self.value.get() }
    }

    /// Test builds run many runs in one process, on many threads: each caller gets a copy of
    /// the initial value of its own (leaked), and the static's own is never handed out.
    #[cfg(test)]
    pub fn take(&'static self) -> &'static mut T {
        self.taken.store(true, Ordering::Relaxed);
        // SAFETY: the initial value is never handed out, so never changed, and no one else
        // reads it but to copy it here; the values runix keeps here are plain data (paths,
        // counts, a BPF program), which a copy duplicates whole with nothing shared.
        std::boxed::Box::leak(std::boxed::Box::new(unsafe { core::ptr::read(self.value.get()) }))
    }
}

/// `n` copies of `init` in the front of `space` (bytes that live for the rest of the process,
/// as a static Once gives them), which is advanced past them: a typed piece of an arena.
/// None when they do not fit.
pub fn carve<T: Copy>(space: &mut &'static mut [u8], n: usize, init: T) -> Option<&'static mut [T]> {
    let s = core::mem::take(space);
    let skip = s.as_ptr().align_offset(core::mem::align_of::<T>());
    let Some(bytes) = n.checked_mul(core::mem::size_of::<T>()).filter(|&b| b <= s.len().saturating_sub(skip)) else {
        *space = s;
        return None;
    };
    let (mine, rest) = s[skip..].split_at_mut(bytes);
    *space = rest;
    let p = mine.as_mut_ptr() as *mut T;
    for i in 0..n {
        // SAFETY: `mine` is aligned for T (align_offset) and holds n of them, and is ours
        // alone from now on (split off the 'static space); each slot is written before the
        // slice below is made.
        unsafe { p.add(i).write(init) };
    }
    // SAFETY: as above: n initialised, aligned Ts that nothing else refers to, for 'static.
    Some(unsafe { core::slice::from_raw_parts_mut(p, n) })
}
