//! What a container may do: its capabilities and its seccomp filter.

#[cfg(test)]
pub mod bpf;
pub mod caps;
pub mod seccomp;
