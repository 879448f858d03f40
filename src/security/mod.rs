//! What a container may do: its capabilities and its seccomp filter.

pub mod caps;
pub mod seccomp;
