//! Where the path of an error waits until it is printed, so that the error itself stays small
//! (it is returned through every `?` in runix; a path inside it made each of those a copy of
//! two hundred bytes). Two slots: an error can be made while another one waits.

/// Longest path kept; a longer one keeps its tail behind "...".
pub const LEN: usize = 256;

pub struct State {
    buf: [[u8; LEN]; 2],
    len: [u16; 2],
    next: u8,
}

const EMPTY: State = State { buf: [[0; LEN]; 2], len: [0; 2], next: 0 };

#[cfg(not(test))]
fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    struct Store(core::cell::UnsafeCell<State>);
    // SAFETY: runix never starts a thread, and no signal handler of runix touches the slots.
    unsafe impl Sync for Store {}
    static STORE: Store = Store(core::cell::UnsafeCell::new(EMPTY));
    // SAFETY: single-threaded (above), and `f` never calls `with` again, so this is the only
    // reference to the state while it lives.
    f(unsafe { &mut *STORE.0.get() })
}

#[cfg(test)]
fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    extern crate std;
    std::thread_local!(static STORE: core::cell::RefCell<State> = const { core::cell::RefCell::new(EMPTY) });
    STORE.with(|s| f(&mut s.borrow_mut()))
}

/// Keep `bytes` in `slot`, or in the next free slot when `slot` is None; returns the slot.
pub fn put(slot: Option<u8>, bytes: &[u8]) -> u8 {
    with(|s| {
        let i = slot.unwrap_or_else(|| {
            s.next ^= 1;
            s.next
        }) as usize
            & 1;
        let b = &mut s.buf[i];
        if bytes.len() <= LEN {
            b[..bytes.len()].copy_from_slice(bytes);
            s.len[i] = bytes.len() as u16;
        } else {
            b[..3].copy_from_slice(b"...");
            b[3..].copy_from_slice(&bytes[bytes.len() - (LEN - 3)..]);
            s.len[i] = LEN as u16;
        }
        i as u8
    })
}

/// Copy what `slot` holds into `out` (nothing past it: `out` may be sent whole); returns its
/// length.
pub fn get(slot: u8, out: &mut [u8; LEN]) -> usize {
    with(|s| {
        let i = slot as usize & 1;
        let n = s.len[i] as usize;
        if let (Some(to), Some(from)) = (out.get_mut(..n), s.buf[i].get(..n)) {
            to.copy_from_slice(from);
        }
        n
    })
}
