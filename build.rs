//! Link flags for the one static, libc-free executable. Each flag says why it is here.
//! They apply to the `runix` binary only, never to unit or integration tests (which use std).
//!
//! The host's build links through cc (with rustc's own lld); another CPU's (`make cross`)
//! through rust-lld directly (.cargo/config.toml), with no C toolchain or libc for that CPU.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let script = format!("{dir}/linker/runix.ld");
    println!("cargo:rerun-if-changed={script}");
    println!("cargo:rerun-if-changed=build.rs");
    let lld = std::env::var("RUSTC_LINKER").is_ok_and(|l| l.ends_with("rust-lld"));
    let flags = [
        // Drop every function and static nothing reaches.
        "--gc-sections",
        // Fold functions whose machine code is identical (monomorphised copies): lld's ICF.
        "--icf=all",
        // Strings that end another string ("null" of "/dev/null") are kept once: lld's -O2.
        "-O2",
        // No .note.gnu.build-id: 36 bytes nobody reads on a minimal host.
        "--build-id=none",
        // The stack is never executable.
        "-znoexecstack",
        // Our script packs code and data into two segments without page padding in the file.
        &format!("-T{script}"),
    ];
    // A fixed-address executable: nothing to relocate at start, so no dynamic loader and no
    // self-relocation code (rustc asks for PIE; the last of -pie/-no-pie wins).
    println!("cargo:rustc-link-arg-bins=-static");
    if lld {
        println!("cargo:rustc-link-arg-bins=--no-pie");
        // The libc crate names glibc's libraries (-lc, -lm, ...) though runix calls nothing in
        // them: empty archives answer those names, so nothing of a libc can be linked.
        let out = std::env::var("OUT_DIR").unwrap();
        for lib in ["c", "m", "rt", "pthread", "util", "dl", "gcc_s", "gcc"] {
            std::fs::write(format!("{out}/lib{lib}.a"), "!<arch>\n").unwrap();
        }
        println!("cargo:rustc-link-search=native={out}");
        for f in flags {
            println!("cargo:rustc-link-arg-bins={f}");
        }
    } else {
        // No crt1.o/crti.o: our own _start (src/sys/arch) takes the initial stack.
        println!("cargo:rustc-link-arg-bins=-nostartfiles");
        // No libc, libgcc or libm: every syscall is ours, and memcpy & co. are in src/sys/mem.rs.
        println!("cargo:rustc-link-arg-bins=-nostdlib");
        println!("cargo:rustc-link-arg-bins=-no-pie");
        for f in flags {
            println!("cargo:rustc-link-arg-bins=-Wl,{f}");
        }
    }
}
