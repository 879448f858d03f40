//! What the CPUs runix runs on share from asm-generic: the terminal ioctls (asm-generic/ioctls.h;
//! powerpc, mips and sparc have their own numbers) and the kernel's struct termios; the 64-bit
//! ones, struct stat.

/// The kernel's __kernel_timespec, which clock_gettime fills (clock_gettime64 on a 32-bit
/// CPU): 64-bit seconds everywhere, past 2038.
#[repr(C)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

/// The struct newfstatat fills on a 64-bit CPU (the kernel's struct stat, glibc's too).
#[cfg(target_pointer_width = "64")]
pub type KernelStat = libc::stat;

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TIOCSCTTY: u32 = 0x540E;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const TIOCGPTPEER: u32 = 0x5441;
pub const TIOCGPTN: u32 = 0x8004_5430;
pub const TIOCSPTLCK: u32 = 0x4004_5431;

/// The kernel's struct termios (asm-generic/termbits.h), which TCGETS fills and TCSETS takes:
/// not glibc's, which is longer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; 19],
}


const _: () = assert!(size_of::<Termios>() == 36);
