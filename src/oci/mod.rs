//! runix as an OCI runtime (runtime-spec): what podman and containerd hand it, and what it
//! answers them.

pub mod config;
pub mod json;
pub mod state;
pub mod seccomp;
