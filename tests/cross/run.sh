#!/bin/sh
# run.sh CPU...: for each CPU, boot its Debian kernel (tests/cross/fetch.sh) under qemu with an
# initramfs of its runix, its busybox and the tests (init.sh as /init, test.sh), once per
# cgroup mode; print each boot's checks and its closing `N passed, N failed`. Exit status 1
# if a check failed or a VM gave no closing line (it hung, crashed, or timed out).
#
# Environment (make test-cross sets the first ones):
#   CROSS_DIR         where fetch.sh put the kernels and busyboxes (target/cross); the logs
#                     (CROSS_DIR/CPU-MODE.log) and initramfs images go there too
#   CROSS_V1_DIR      the same of bookworm, whose kernels v1 boots where it has one
#   CROSS_BIN         where the binaries are, as runix-CPU (CROSS_DIR); x86_64's is
#                     target/release/runix (RUNIX_x86_64=PATH etc. name one instead)
#   CROSS_MODES       cgroup modes to boot each CPU in (v1 v2)
#   CROSS_TIMEOUT     seconds a VM may take before it is killed (300)
#   RUNIX_CROSS_ARGS  options for every `runix run` in the VMs, e.g. --chroot (none)
#   CROSS_KVM         1: x86_64 under KVM, 0: emulated (TCG); default: KVM if usable
set -u

dir=${CROSS_DIR:-target/cross}
modes=${CROSS_MODES:-v1 v2}
limit=${CROSS_TIMEOUT:-300}
bins=${CROSS_BIN:-$dir}
here=$(dirname "$0")
cpus=${*:-x86_64 aarch64 riscv64 armv7}

# Modules the tests need that Debian's kernels build as modules (the rest is built in:
# namespaces, cgroups, seccomp, tmpfs, devtmpfs, devpts, mqueue). overlay: --overlay.
MODULES=overlay

# The qemu of a CPU, and its console (the kernel's name for the machine's first UART).
machine() {
	case $1 in
	x86_64)
		# KVM where this host can: an x86_64 host with /dev/kvm whose CPU has vmx or svm.
		# (A /dev/kvm without them, as some sandboxes' nested KVM, fails to boot the guest:
		# "failed to set MSR", "KVM internal error".) Else TCG. CROSS_KVM=0|1 decides.
		kvm=${CROSS_KVM:-}
		if [ -z "$kvm" ]; then
			kvm=0
			[ "$(uname -m)" = x86_64 ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && kvm=1
		fi
		if [ "$kvm" = 1 ]; then
			qemu="qemu-system-x86_64 -enable-kvm -cpu host"
		else
			qemu="qemu-system-x86_64 -cpu max"
		fi
		console=ttyS0 ;;
	# cortex-a57: AArch32 at EL0, for the compat-ABI check.
	aarch64) qemu="qemu-system-aarch64 -M virt -cpu cortex-a57" console=ttyAMA0 ;;
	# OpenSBI (qemu's default -bios) starts the kernel in S-mode.
	riscv64) qemu="qemu-system-riscv64 -M virt -bios default" console=ttyS0 ;;
	# cortex-a15: LPAE, as the armmp-lpae kernel needs.
	armv7) qemu="qemu-system-arm -M virt -cpu cortex-a15" console=ttyAMA0 ;;
	*) return 1 ;;
	esac
}

binary() {
	eval "b=\${RUNIX_$1:-}"
	if [ -n "$b" ]; then echo "$b"; elif [ "$1" = x86_64 ]; then echo target/release/runix; else echo "$bins/runix-$1"; fi
}

# The kernel and busyboxes for CPU in MODE: cgroup v1 whole needs bookworm's 6.1 kernels
# (CROSS_V1_DIR), as trixie's have no v1 memory or cpuset controller; a CPU bookworm has no
# kernel for (riscv64) boots trixie's for v1 too, which makes it a hybrid host.
data() {
	if [ "$2" = v1 ] && [ -n "${CROSS_V1_DIR:-}" ] && [ -f "$CROSS_V1_DIR/$1/.complete" ]; then
		echo "$CROSS_V1_DIR"
	else
		echo "$dir"
	fi
}

# The initramfs of CPU from data directory D, made again each run from this run's binary, at
# D/CPU/initramfs.cpio. The container's root /rootfs gets its applet links at boot (init.sh):
# only this CPU's busybox lists them.
initramfs() {
	c=$1 d=$2
	set -- dir:proc dir:sys dir:dev dir:tmp chr:dev/console=5:1 \
		file:init="$here/init.sh" file:test.sh="$here/test.sh" file:runix="$bin" \
		file:bin/busybox="$d/$c/busybox" file:rootfs/bin/busybox="$d/$c/busybox" \
		dir:rootfs/proc dir:rootfs/sys dir:rootfs/dev dir:rootfs/tmp dir:rootfs/etc dir:rootfs/root
	[ ! -f "$d/$c/busybox32" ] || set -- "$@" file:rootfs/bin/busybox32="$d/$c/busybox32"
	python3 "$here/initramfs.py" "$d/$c/initramfs.cpio" "$@" --modules "$d/$c/kernel" $MODULES
}

failed=0
summary=
made=
for cpu in $cpus; do
	machine "$cpu" || { echo "run.sh: unknown CPU $cpu" >&2; failed=1; continue; }
	bin=$(binary "$cpu")
	for mode in $modes; do
		d=$(data "$cpu" "$mode")
		kernel=$(ls "$d/$cpu"/kernel/boot/vmlinu[xz]-* 2>/dev/null | head -n 1)
		if [ ! -f "$bin" ] || [ -z "$kernel" ]; then
			echo "$cpu: no ${kernel:+runix binary $bin}${kernel:-kernel in $d/$cpu (tests/cross/fetch.sh)}" >&2
			summary="$summary$cpu $mode: not run (no binary or kernel)\n"
			failed=1
			continue
		fi
		case " $made " in
		*" $d/$cpu "*) ;;
		*)
			if ! initramfs "$cpu" "$d"; then
				summary="$summary$cpu $mode: not run (no initramfs)\n"
				failed=1
				continue
			fi
			made="$made $d/$cpu"
			;;
		esac
		# A bookworm kernel has every v1 controller: the VM checks that it got them all.
		whole=
		[ "$mode" != v1 ] || [ "$d" = "$dir" ] || whole=" runix.v1=whole"
		log=$d/$cpu-$mode.log
		args=$(echo "${RUNIX_CROSS_ARGS:-}" | tr ' ' ,)
		start=$(date +%s)
		# -no-reboot with panic=-1: a kernel panic (or an init that exits) ends qemu at
		# once. No disk, no network: the initramfs is all the VM has.
		timeout -k 10 "$limit" $qemu -smp 2 -m 512 -nographic -no-reboot -nic none \
			-kernel "$kernel" -initrd "$d/$cpu/initramfs.cpio" \
			-append "console=$console panic=-1 runix.cgroup=$mode$whole${args:+ runix.args=$args}" \
			</dev/null >"$log" 2>&1
		code=$?
		took=$(($(date +%s) - start))
		# The serial console ends lines with \r\n.
		tr -d '\r' <"$log" | grep -E '^(ok|FAIL|skip|note|dmesg)[: ]' | sed "s/^/$cpu $mode: /"
		result=$(tr -d '\r' <"$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
		if [ -z "$result" ]; then
			case $code in 124 | 137) why="timed out after ${limit}s" ;; *) why="qemu exit $code" ;; esac
			result="no result ($why; console: $log)"
			failed=1
		elif [ "${result#* passed, }" != "0 failed" ]; then
			failed=1
		fi
		kv=$(basename "$kernel" | sed 's/^vmlinu[xz]-//')
		echo "$cpu $mode: $result (${took}s, $kv)"
		summary="$summary$cpu $mode: $result (${took}s, kernel $kv)\n"
	done
done
echo "---"
printf '%b' "$summary"
exit $failed
