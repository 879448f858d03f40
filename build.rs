//! Link flags for the one static, libc-free executable. Each flag says why it is here.
//! They apply to the `runix` binary only, never to unit or integration tests (which use std).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap();
    let script = format!("{dir}/linker/{arch}.ld");
    println!("cargo:rerun-if-changed={script}");
    println!("cargo:rerun-if-changed=build.rs");
    for arg in [
        // No crt1.o/crti.o: our own _start (src/sys/arch) takes the initial stack.
        "-nostartfiles",
        // No libc, libgcc or libm: every syscall is ours, and memcpy & co. are in src/sys/mem.rs.
        "-nostdlib",
        // A fixed-address executable: nothing to relocate at start, so no dynamic loader and no
        // self-relocation code (rustc asks for PIE; the last of -pie/-no-pie wins).
        "-static",
        "-no-pie",
        // Drop every function and static nothing reaches.
        "-Wl,--gc-sections",
        // Fold functions whose machine code is identical (monomorphised copies): lld's ICF.
        "-Wl,--icf=all",
        // No .note.gnu.build-id: 36 bytes nobody reads on a minimal host.
        "-Wl,--build-id=none",
        // The stack is never executable.
        "-Wl,-z,noexecstack",
        // Our script packs code and data into two segments without page padding in the file.
        &format!("-Wl,-T,{script}"),
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
