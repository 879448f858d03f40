#!/bin/sh
# The checks of one VM (tests/cross/init.sh runs it, with busybox's sh): runix (/runix) runs
# containers with /rootfs as their root, on a host whose own root is the initramfs. Each check
# prints `ok NAME`, `FAIL NAME: DETAIL` or `skip NAME: WHY` (not counted); the last line is
# `N passed, N failed`, which tests/cross/run.sh looks for.
#
#   sh test.sh v1|v2    the cgroup mode init.sh mounted
# RUNIX_ARGS: options for every `runix run` (from the kernel command line, e.g. --chroot).

mode=$1
pass=0 fail=0
# The kernel's log from here on only: the boot's is on the console already. Printed at the end
# if a check failed (a segfault, a trap, an oops).
dmesg -c >/dev/null
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }

# rx ARG...: `runix run -r /rootfs ARG...` (RUNIX_ARGS after -r), stdout in $out, stderr in
# /tmp/err, exit status in $rc. A runix that hangs is killed after a minute, so that one hang
# costs one check, not the VM's whole run.
rx() {
	# RUNIX_ARGS unquoted: its words are options.
	out=$(timeout -s KILL 60 /runix run -r /rootfs $RUNIX_ARGS "$@" 2>/tmp/err)
	rc=$?
}
# What went wrong, for a FAIL line: the status and the start of stderr, on one line.
why() { echo "exit $rc, stdout '$(echo "$out" | head -c 200 | tr '\n' ' ')', stderr '$(head -c 300 /tmp/err | tr '\n' ' ')'"; }
# expect NAME WANT: $out is WANT.
expect() { if [ "$out" = "$2" ]; then ok "$1"; else bad "$1" "want '$(echo "$2" | tr '\n' ' ')': $(why)"; fi; }
# status NAME WANT: $rc is WANT.
status() { if [ "$rc" = "$2" ]; then ok "$1"; else bad "$1" "want exit $2: $(why)"; fi; }

# 0. A kernel with every v1 controller (bookworm's: run.sh says so) got them all as v1: the
# v1 boot is not a hybrid one by accident.
if [ "${V1_WHOLE:-}" = whole ]; then
	if [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpuset ] && [ ! -d /sys/fs/cgroup/unified ]; then ok cgroup-v1-whole; else bad cgroup-v1-whole "$(ls /sys/fs/cgroup | tr '\n' ' ')"; fi
fi

# 1. The command is the PID namespace's init; the UTS namespace has its own name.
rx /bin/sh -c 'echo $$'
expect pid1 1
rx --hostname box /bin/hostname
expect hostname box

# 2. Exit statuses: the command's own, and 127 for one that does not exist.
rx /bin/sh -c 'exit 7'
status exit-code 7
# runix says which command it could not run (so a 127 of anything else does not pass).
rx /nonexistent
if [ "$rc" = 127 ] && grep -q nonexistent /tmp/err; then ok exit-missing; else bad exit-missing "want exit 127 naming /nonexistent: $(why)"; fi

# 3. pids: an inner shell starts 10 sleeps; under -p 5 one of its forks fails (and ash exits
# at a failed fork, so "spawned" is never printed); under -p 50 all start. "started": the
# container did run.
spawn='echo started; sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; echo spawned" 2>/dev/null; true'
rx -p 5 /bin/sh -c "$spawn"
expect pids-limit started
rx -p 50 /bin/sh -c "$spawn"
expect pids-under-limit "started
spawned"

# 4. Capabilities: Docker's default 14, all of them with --privileged. Where runix has no
# devices cgroup to allow only the harmless nodes (cgroup v2 has none: Docker uses BPF
# there), it drops CAP_MKNOD (bit 27) instead (src/cgroup/mod.rs, device_rules).
caps=00000000a80425fb
[ "$mode" = v2 ] && caps=00000000a00425fb
rx /bin/grep CapEff /proc/self/status
expect caps-default "CapEff:	$caps"
rx --privileged /bin/grep CapEff /proc/self/status
case $out in "CapEff:	$caps" | "") bad caps-privileged "$(why)" ;; *) ok caps-privileged ;; esac

# 5. seccomp: a filter (mode 2) by default, none with --privileged.
rx /bin/grep Seccomp: /proc/self/status
expect seccomp-mode "Seccomp:	2"
rx --privileged /bin/grep Seccomp: /proc/self/status
expect seccomp-privileged "Seccomp:	0"
# unshare(CLONE_NEWUSER) needs no capability: Docker's profile refuses it (EPERM),
# and without the filter it succeeds (the root is moved onto /, so the kernel does not
# count the container as chrooted, which it would refuse too).
rx /bin/unshare -U /bin/true
if [ "$rc" = 1 ] && grep -q "Operation not permitted" /tmp/err; then ok seccomp-refuses; else bad seccomp-refuses "want unshare's EPERM: $(why)"; fi
rx --privileged /bin/unshare -U /bin/true
status seccomp-unconfined 0
# The other ABI of the CPU (32-bit ARM on arm64, i386 on x86_64): the filter allows only
# the native one, so any syscall of the other kills the process with SIGSYS (128+31); it
# runs with --privileged, which proves the kernel can run it at all.
if [ -x /rootfs/bin/busybox32 ]; then
	rx /bin/busybox32 true
	status compat-abi-killed 159
	rx --privileged /bin/busybox32 true
	status compat-abi-privileged 0
else
	skip compat "none on CPU"
fi

# 6. --trace: runix's own syscalls on stderr. Here, on an initramfs, pivot_root fails with
# EINVAL and runix moves the root onto / and chroots instead (-v says so).
rx --trace /bin/true
for call in clone execve seccomp; do
	if grep -q "$call(" /tmp/err; then ok "trace-$call"; else bad "trace-$call" "no $call( line: $(why)"; fi
done
# The EINVAL line, and a chroot( line after it.
if awk '/pivot_root\(.*= -1 EINVAL/ { p = 1 } p && /chroot\(/ { c = 1 } END { exit !c }' /tmp/err; then
	ok trace-pivot-fallback
else
	bad trace-pivot-fallback "no pivot_root(...) = -1 EINVAL then chroot(: $(grep -E 'pivot_root|chroot' /tmp/err | head -n 3 | tr '\n' ' ')"
fi
rx -v /bin/true
if [ "$rc" = 0 ] && grep -q "is an initramfs.*chroot" /tmp/err; then ok verbose-fallback; else bad verbose-fallback "-v does not say it: $(why)"; fi

# Under the moved root the host's /proc and /sys are gone from the container's mount
# namespace: were they there, hidden, a user namespace of the container's could mount a proc
# of its own without runix's masks (the kernel allows it where one is fully visible). Without
# seccomp, unshare(CLONE_NEWUSER) is allowed: the new proc must still be refused.
rx --seccomp unconfined /bin/unshare -U -r -m -p -f --mount-proc /bin/true
if [ "$rc" != 0 ] && grep -q "Operation not permitted" /tmp/err; then ok no-host-proc; else bad no-host-proc "want mount proc refused: $(why)"; fi

# An OCI bundle's seccomp profile names syscalls as libseccomp does, the CPU's private ones
# too: one that refuses set_tls stops every program of arm's (glibc's start sets its thread
# pointer with it), and on a CPU without set_tls names nothing, so the command runs.
mkdir -p /tmp/bundle
cat >/tmp/bundle/config.json <<EOF
{"ociVersion": "1.0.2", "process": {"args": ["/bin/true"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
 "root": {"path": "/rootfs"}, "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}],
  "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["set_tls"], "action": "SCMP_ACT_ERRNO"}]}}}
EOF
out=$(timeout -s KILL 60 /runix --root /tmp/state run --bundle /tmp/bundle oci 2>/tmp/err)
rc=$?
case $(uname -m) in
# The command's own failure, not runix's (125).
arm*) if [ "$rc" != 0 ] && [ "$rc" != 125 ]; then ok oci-seccomp-private; else bad oci-seccomp-private "want set_tls refused: $(why)"; fi ;;
*) status oci-seccomp-private 0 ;;
esac

# 7. Memory: dd's 64 MiB buffer (read into, so really allocated) is more than -m 16m holds:
# the OOM killer ends the command, 128+SIGKILL; under -m 256m it fits.
rx -m 16m /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
status memory-oom 137
# Its OOM report is expected: not one for the end.
[ "$rc" != 137 ] || dmesg -c >/dev/null
rx -m 256m /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
status memory-fits 0

# --cpus is held to the CPUs runix may run on (sched_getaffinity, whose mask is 4 bytes on a
# 32-bit kernel): half of one is always there.
rx --cpus 0.5 /bin/true
status cpus-quota 0

# 8. The limits, from the host's side, while a container runs: runix names its cgroup
# runix-PID (PID: runix's own) in each hierarchy it uses. v2: the unified tree; v1: each
# controller's hierarchy (memory on cgroup2 where the kernel has no v1 memory).
timeout -s KILL 60 /runix run -r /rootfs $RUNIX_ARGS -m 16m -p 20 /bin/sleep 3 >/dev/null 2>/tmp/err.bg &
pid=$!
cg=/sys/fs/cgroup
if [ "$mode" = v2 ]; then
	mem=$cg/runix-$pid/memory.max pids=$cg/runix-$pid/pids.max
elif grep -q " $cg/memory cgroup " /proc/mounts; then
	mem=$cg/memory/runix-$pid/memory.limit_in_bytes pids=$cg/pids/runix-$pid/pids.max
else
	mem=$cg/unified/runix-$pid/memory.max pids=$cg/pids/runix-$pid/pids.max
fi
# The cgroup is made before the container starts; give runix up to 5 s to get there.
i=0
while [ ! -f "$pids" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
out=$(cat "$mem" "$pids" 2>&1 | tr '\n' ' ')
rc=- && cp /tmp/err.bg /tmp/err
expect "cgroup-$mode-limits" "16777216 20 "
# Inside, the cgroup namespace shows the container's cgroup as the root: no runix- path.
rx -m 16m /bin/cat /proc/self/cgroup
case $out in *runix-*|"") bad cgroup-namespace "$(why)" ;; *) ok cgroup-namespace ;; esac
wait $pid

# 9. --overlay (overlayfs, a module in Debian's kernels): the container writes, /rootfs stays.
rx --overlay /bin/sh -c 'echo written >/etc/overlay-check && cat /etc/overlay-check'
if [ "$out" = written ] && [ ! -e /rootfs/etc/overlay-check ]; then ok overlay; else bad overlay "$(why)"; fi

# 10. Off the initramfs (chrooted into a tmpfs mount, as on a board that switched root),
# pivot_root works and runix takes it. The /proc, /sys and /dev runix uses there are the
# host's, mounted and bound.
mkdir -p /new && mount -t tmpfs -o size=64m tmpfs /new && cp -a /rootfs /runix /new/ &&
	mkdir -p /new/proc /new/sys /new/dev /new/tmp && mount -t proc proc /new/proc &&
	mount -o rbind /sys /new/sys && mount -o rbind /dev /new/dev
out=$(timeout -s KILL 60 chroot /new /runix run --trace -r /rootfs $RUNIX_ARGS /bin/sh -c 'echo $$' 2>/tmp/err)
rc=$?
if [ "$out" = 1 ] && grep -q 'pivot_root(".", ".") = 0' /tmp/err; then ok pivot-off-initramfs; else bad pivot-off-initramfs "$(why)"; fi
umount -l /new

# 11. cgroup v2: exec into a container whose cgroup gives its controllers to cgroups below it
# (as a container's systemd leaves it), where the cgroup itself takes no process (EBUSY): the
# process goes where the init is, below it.
if [ "$mode" = v2 ]; then
	cat >/tmp/bundle/config.json <<EOF
{"ociVersion": "1.0.2", "process": {"args": ["/bin/sleep", "60"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
 "root": {"path": "/rootfs"}, "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
 "linux": {"cgroupsPath": "/runix-exec-check", "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "cgroup"}]}}
EOF
	c=$cg/runix-exec-check
	timeout -s KILL 60 /runix --root /tmp/state create --bundle /tmp/bundle --pid-file /tmp/busy.pid busy </dev/null >/dev/null 2>/tmp/err &&
		timeout -s KILL 60 /runix --root /tmp/state start busy 2>>/tmp/err &&
		echo +pids >$cg/cgroup.subtree_control && mkdir $c/init && cat /tmp/busy.pid >$c/init/cgroup.procs &&
		echo +pids >$c/cgroup.subtree_control
	out=$(timeout -s KILL 60 /runix --root /tmp/state exec busy /bin/cat /proc/self/cgroup 2>>/tmp/err)
	rc=$?
	expect exec-cgroup-below 0::/init
	timeout -s KILL 60 /runix --root /tmp/state delete --force busy 2>>/tmp/err
	if [ -d $c ]; then bad exec-cgroup-removed "$c left: $(cat /tmp/err)"; rmdir $c/init $c; else ok exec-cgroup-removed; fi
fi

# 12. Every run removed its cgroups: no runix-* left in any hierarchy.
left=$(find $cg -name 'runix*' 2>/dev/null | head -n 5 | tr '\n' ' ')
if [ -z "$left" ]; then ok cgroups-removed; else bad cgroups-removed "left: $left"; fi

if [ $fail -gt 0 ]; then
	dmesg | tail -n 20 | sed 's/^/dmesg: /'
fi
echo "$pass passed, $fail failed"
