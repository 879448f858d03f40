//! The container's process: the command's execve, --init, the terminal, its user and its user namespace.

pub mod exec;
pub mod init;
pub mod tty;
pub mod user;
pub mod userns;

/// wait(2) status to shell convention: the exit code, or 128+N when killed by signal N.
pub fn exit_status(status: i32) -> i32 {
    match status & 0x7f {
        0 => (status >> 8) & 0xff,
        sig => 128 + sig,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_follows_the_shell() {
        assert_eq!(exit_status(0), 0);
        assert_eq!(exit_status(3 << 8), 3);
        assert_eq!(exit_status(255 << 8), 255);
        assert_eq!(exit_status(9), 137);
        assert_eq!(exit_status(15 | 0x80), 143); // core dumped
    }
}
