# runix: `make` builds, `make demo` shows a container, `make test` runs every test.
# Run as root on Debian/Ubuntu: missing tools are installed with apt-get.

CARGO   ?= cargo
BIN     := target/release/runix
BUDGET  := 131072
# What the tests and the demo need from Debian (gcc and libc6-dev: tests/probe.c, built static).
PKGS    := busybox-static strace uidmap gcc libc6-dev
FS      := fs/busybox

.PHONY: all build size check-binary deps podman-deps debian-deps debian-root demo test unit integration bench clean test-cross

all: build

# Code for a fixed address (relocation-model=static: absolute addresses, no pc-relative ones)
# is 1.5 KiB smaller on x86_64 and 1.9 KiB on armv7 (larger on aarch64 and riscv64). It is
# given to the final crate only (`cargo rustc`): under fat LTO its codegen is the whole
# program's, while ufmt's proc macro, a shared library, could not be linked from such code.
FINAL_FLAGS_x86_64 := -C relocation-model=static
FINAL_FLAGS_armv7  := -C relocation-model=static

build:
	$(CARGO) rustc --release --bin runix -- $(FINAL_FLAGS_$(shell uname -m))
	@$(MAKE) --no-print-directory check-binary

# The two promises of the binary: static (no interpreter, no dynamic section) and small.
check-binary:
	@size=$$(stat -c %s $(BIN)); \
	if [ "$$size" -gt $(BUDGET) ]; then echo "$(BIN): $$size bytes, over the $(BUDGET)-byte budget" >&2; exit 1; fi; \
	if readelf -lW $(BIN) | grep -qE '^ *(INTERP|DYNAMIC) '; then echo "$(BIN): not a static executable" >&2; exit 1; fi

size: build
	@echo "$$(stat -c %s $(BIN)) bytes ($(BUDGET) budget): $(BIN)"

deps:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# tests/podman.rs drives runix through podman (and conmon), with runc as the reference runtime,
# tests/containerd.rs through ctr and containerd's runc shim; crun is make bench's peer. Only
# the tests' own podman storage and containerd (under target/) are used.
PODMAN_PKGS := podman conmon runc crun uidmap containerd

podman-deps:
	@$(MAKE) --no-print-directory deps PKGS="$(PODMAN_PKGS)"

# A busybox root filesystem: one static busybox and a symlink per applet.
$(FS): | deps
	rm -rf $@.tmp && mkdir -p $@.tmp/bin $@.tmp/proc $@.tmp/sys $@.tmp/dev $@.tmp/tmp $@.tmp/etc $@.tmp/root
	cp "$$(command -v busybox)" $@.tmp/bin/busybox
	for a in $$($@.tmp/bin/busybox --list); do [ "$$a" = busybox ] || ln -s busybox $@.tmp/bin/$$a; done
	mv $@.tmp $@

# A real distribution root for tests/debian.rs: Debian minbase (plus procps, for ps) from the
# machine's own apt mirror, made once under target/ (so `make clean` removes it). The marker is
# written only after debootstrap succeeded: a half-made root is made again, never used.
# debootstrap runs in a mount namespace of its own, so a killed run leaves no /proc mounted in
# the root. Another release: make debian-root DEBIAN_MIRROR=URI DEBIAN_SUITE=NAME.
DEBIAN_PKGS    := debootstrap debian-archive-keyring
DEBIAN_SOURCE  := $(shell tests/debian/mirror.sh 2>/dev/null)
DEBIAN_MIRROR  := $(word 1,$(DEBIAN_SOURCE))
DEBIAN_SUITE   := $(word 2,$(DEBIAN_SOURCE))
DEBIAN_ROOT    := target/debian-$(DEBIAN_SUITE)
DEBIAN_DONE    := $(DEBIAN_ROOT)/.runix-complete
DEBIAN_TIMEOUT := 600

debian-deps:
	@$(MAKE) --no-print-directory deps PKGS="$(DEBIAN_PKGS)"

debian-root: $(DEBIAN_DONE)

$(DEBIAN_DONE): | debian-deps
	@[ -n "$(DEBIAN_SUITE)" ] || { tests/debian/mirror.sh; exit 1; }
	rm -rf --one-file-system $(DEBIAN_ROOT) && mkdir -p target
	@echo "debootstrap $(DEBIAN_SUITE) from $(DEBIAN_MIRROR) into $(DEBIAN_ROOT) (log: $(DEBIAN_ROOT).log)"
	@timeout -k 30 $(DEBIAN_TIMEOUT) unshare --mount --propagation private \
		debootstrap --variant=minbase --include=procps $(DEBIAN_SUITE) $(DEBIAN_ROOT) $(DEBIAN_MIRROR) \
		>$(DEBIAN_ROOT).log 2>&1 || { rc=$$?; tail -n 20 $(DEBIAN_ROOT).log >&2; \
		[ $$rc != 124 ] && [ $$rc != 137 ] || echo "debootstrap: stopped after $(DEBIAN_TIMEOUT)s" >&2; exit 1; }
	echo "$(DEBIAN_MIRROR) $(DEBIAN_SUITE)" >$@

demo: build $(FS)
	$(BIN) run -r $(FS) /bin/sh -c 'echo "I am PID $$$$ on host \"$$(hostname)\""; echo "processes I can see:"; ps'

test: deps build unit integration test-cross

unit:
	$(CARGO) test --lib

# Root is needed for real containers; one test at a time, since each checks the host is left
# as it was. The whole run is bounded, on top of each test's own timeouts.
integration: build debian-root podman-deps
	RUNIX_DEBIAN_ROOT=$(DEBIAN_ROOT) timeout 1800 $(CARGO) test --no-fail-fast --test '*' -- --test-threads=1

clean:
	$(CARGO) clean
	rm -rf fs

# runix against its floor (tests/bench/floor.c, built by bench.sh), crun, runc, bwrap and unshare(1):
# times in interleaved pairs, syscalls, sizes (root; installs peers).
BENCH_PKGS := gcc libc6-dev strace crun runc bubblewrap time
bench: build $(FS)
	@$(MAKE) --no-print-directory deps PKGS="$(BENCH_PKGS)"
	tests/bench/bench.sh

# ---- Other CPUs: make cross, make test-cross -------------------------------------------------
# runix for aarch64, armv7 and riscv64 (rustc's own lld links them: .cargo/config.toml), and a
# test of each CPU's binary, x86_64's too, on a real kernel of that CPU: Debian's, under qemu,
# with nothing but an initramfs (runix, busybox, tests/cross/test.sh). The initramfs is the
# VM's root, so this also tests runix on an initramfs host. Each CPU boots twice (CROSS_MODES):
# on a pure cgroup v2 host with trixie's kernel, and on cgroup v1 with bookworm's (6.1): trixie's
# kernels have no v1 memory or cpuset controller. bookworm has no riscv64, whose v1 boot is
# trixie's, a hybrid host. A subset: make test-cross CROSS_CPUS="x86_64 aarch64".
CROSS         := target/cross
CROSS_CPUS    ?= x86_64 aarch64 riscv64 armv7
CROSS_MODES   ?= v1 v2
# Seconds one VM may take; each takes 10-30 s here, all emulated (TCG).
CROSS_TIMEOUT ?= 300
# The Rust target of each CPU runix is cross-built for; x86_64's binary is `make build`'s.
# armv7: Thumb-2 with NEON, the target .cargo/config.toml links (ARMv7-A, hard-float).
CROSS_TARGET_aarch64 := aarch64-unknown-linux-gnu
CROSS_TARGET_armv7   := thumbv7neon-unknown-linux-gnueabihf
CROSS_TARGET_riscv64 := riscv64gc-unknown-linux-gnu
CROSS_BUILDS  := cross-aarch64 cross-armv7 cross-riscv64
# A qemu for each CPU, and OpenSBI: the firmware qemu's riscv64 virt machine starts Linux with.
CROSS_PKGS    := qemu-system-x86 qemu-system-arm qemu-system-misc opensbi

.PHONY: cross cross-deps cross-fetch $(CROSS_BUILDS)

cross: $(CROSS_BUILDS)

# The rustup target, added when missing (rustup's own download, as cargo's are).
# The copy is named after its CPU, and is held to x86_64's promises (check-binary). An old
# copy goes first, so that a failed build leaves none for test-cross to test.
$(CROSS_BUILDS): cross-%:
	@rm -f $(CROSS)/runix-$*
	@rustup target list --installed | grep -qx $(CROSS_TARGET_$*) || rustup target add $(CROSS_TARGET_$*)
	$(CARGO) rustc --release --bin runix --target $(CROSS_TARGET_$*) -- $(FINAL_FLAGS_$*)
	@mkdir -p $(CROSS) && cp target/$(CROSS_TARGET_$*)/release/runix $(CROSS)/runix-$*
	@$(MAKE) --no-print-directory check-binary BIN=$(CROSS)/runix-$*
	@echo "$$(stat -c %s $(CROSS)/runix-$*) bytes ($(BUDGET) budget): $(CROSS)/runix-$*"

cross-deps:
	@tests/cross/deps.sh $(CROSS)/apt-host $(CROSS_PKGS)

# Each CPU's kernel and busybox-static (and its compat CPU's busybox), from Debian trixie, and
# for v1 from bookworm, through an apt of their own under $(CROSS)/apt and
# $(CROSS)/bookworm/apt: the host's apt configuration stays as it is. Once: a second run
# downloads nothing (rm -rf $(CROSS)/CPU fetches it again).
cross-fetch:
	@for c in $(CROSS_CPUS); do SUITE=trixie tests/cross/fetch.sh $$c $(CROSS) || exit 1; done
	@for c in $(filter-out riscv64,$(CROSS_CPUS)); do case " $(CROSS_MODES) " in *" v1 "*) \
		SUITE=bookworm tests/cross/fetch.sh $$c $(CROSS)/bookworm || exit 1;; esac; done

# One VM per CPU and cgroup mode; each prints its checks and `N passed, N failed`. Fails if a
# check failed or a VM gave no result. RUNIX_CROSS_ARGS=... adds options to every runix run.
test-cross: cross-deps cross-fetch $(if $(filter x86_64,$(CROSS_CPUS)),build) $(addprefix cross-,$(filter-out x86_64,$(CROSS_CPUS)))
	CROSS_DIR=$(CROSS) CROSS_V1_DIR=$(CROSS)/bookworm CROSS_BIN=$(CROSS) CROSS_MODES="$(CROSS_MODES)" \
		CROSS_TIMEOUT=$(CROSS_TIMEOUT) tests/cross/run.sh $(CROSS_CPUS)
