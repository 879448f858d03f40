#!/bin/busybox sh
# /init of a test VM (tests/cross/run.sh): the kernel runs it as PID 1 from the initramfs,
# which stays the root: the host runix is tested on is an initramfs host. It makes what a
# distribution's boot would (/proc, /sys, /dev, cgroups as the kernel command line asks),
# runs /test.sh, and powers the VM off; /test.sh's last line is the result.
#
# Kernel command line (read from /proc/cmdline; unknown name.value words reach no one else):
#   runix.cgroup=v1|v2   v1: a v1 hierarchy per controller group on a tmpfs /sys/fs/cgroup;
#                        v2: cgroup2 alone at /sys/fs/cgroup (pure v2 host)
#   runix.args=A,B       options for every `runix run` of the test (commas for spaces),
#                        e.g. runix.args=--chroot

/bin/busybox mkdir -p /bin /proc /sys /dev /tmp
# The applets, for this script: the rootfs under /rootfs gets its own below.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/ TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel's own device nodes (/dev/null, /dev/zero, ttys): CONFIG_DEVTMPFS is on in
# Debian's kernels, DEVTMPFS_MOUNT is not.
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp

# Kernel messages from here on would cut into the test's lines on the console: only
# emergencies. (The boot's are in the log; the test prints dmesg's tail if a check failed.)
dmesg -n 1

arg() { sed -n "s/.*runix\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mode=$(arg cgroup)
export RUNIX_ARGS="$(arg args | tr , ' ')" V1_WHOLE="$(arg v1)"

# Modules the kernel has as =m (tests/cross/run.sh lists them; initramfs.py puts them here,
# their dependencies first).
if [ -f /lib/modules/order ]; then
	while read -r m; do
		insmod "/lib/modules/$m.ko" || echo "note: insmod $m failed"
	done </lib/modules/order
fi

# The container's root: busybox and a link per applet, made here because only this CPU's
# busybox can list its applets.
for a in $(/rootfs/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "/rootfs/bin/$a"
done

cg=/sys/fs/cgroup
case $mode in
v1)
	# As a v1 distribution mounts them (systemd's layout): one hierarchy per controller
	# group, cpu and cpuacct co-mounted, each also reachable by the other's name.
	mount -t tmpfs -o mode=755 cgroup $cg
	missing=
	for c in cpu,cpuacct memory pids devices cpuset freezer; do
		mkdir $cg/$c
		if mount -t cgroup -o "$c" cgroup "$cg/$c" 2>/dev/null; then
			continue
		fi
		rmdir "$cg/$c"
		missing="$missing $c"
	done
	ln -s cpu,cpuacct $cg/cpu
	ln -s cpu,cpuacct $cg/cpuacct
	# A kernel built without v1's memory or cpuset (6.11+: CONFIG_MEMCG_V1, CONFIG_CPUSETS_V1,
	# both off in Debian's since trixie) refuses those v1 mounts. They are then on cgroup2,
	# as a hybrid host has it (/sys/fs/cgroup/unified): what such a v1 host can offer.
	if [ -n "$missing" ]; then
		echo "note: no v1 hierarchy for:$missing (kernel without it): on cgroup2 at $cg/unified"
		mkdir $cg/unified
		mount -t cgroup2 cgroup2 $cg/unified
		for c in $missing; do
			echo "+$c" >$cg/unified/cgroup.subtree_control || echo "note: cannot enable $c on cgroup2"
		done
	fi
	;;
v2)
	mount -t cgroup2 cgroup2 $cg
	# Each apart: one that cannot be enabled is said, and the others still are.
	for c in cpu memory pids cpuset; do
		echo "+$c" >$cg/cgroup.subtree_control || echo "note: cannot enable $c on cgroup2"
	done
	;;
*)
	echo "note: no runix.cgroup=v1|v2 on the kernel command line: no cgroups mounted"
	;;
esac

echo "note: $(uname -m) $(uname -r), cgroup mode ${mode:-none}, runix run options: ${RUNIX_ARGS:-none}"
sh /test.sh "$mode"
# -f: no init to ask (this is PID 1); PSCI, SBI or ACPI turns the machine off and qemu exits.
poweroff -f
