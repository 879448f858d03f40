//! The container's process: the command's execve, --init, the terminal, its user and its user namespace.

pub mod exec;
pub mod init;
pub mod tty;
pub mod user;
pub mod userns;
