#!/usr/bin/env bash
# make bench: runix against crun, runc, bwrap and unshare(1), each running `true` in the same
# busybox root with the namespaces of runix's default container (pid, mount, uts, ipc, net,
# cgroup), in one hyperfine run. crun and runc also get runix's mounts (/proc, /sys read-only,
# a tmpfs /dev with pts, shm, mqueue) and Docker's masked and read-only paths; bwrap gets /proc
# and its /dev; unshare(1) /proc only. runix --net host is shown too: the network namespace
# alone costs most of a millisecond of kernel time, in every tool. And runix --privileged:
# the same namespaces without the hardening (capabilities, masked paths, device rules,
# seccomp), the container that unshare(1) makes plus /sys and /dev.
# Prints median start-to-exit times and ratios, binary sizes, runix's peak memory and the
# syscalls each tool makes before the payload's execve.
# Then the runtime alone (tests/bench/alone.py): runix, crun and runc as podman's conmon drives
# them, create + start + wait + delete of `true` on one OCI bundle, in interleaved rounds; runix
# is left out (and said so) while it has no `create`. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD/fs/busybox"
RUNIX="$PWD/target/release/runix"
OUT="$PWD/target/bench"
RUNS="${RUNS:-300}"
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "make bench needs root" >&2; exit 1; }

# An OCI bundle for crun and runc with what runix does: its six namespaces, mounts and masked paths.
BUNDLE="$OUT/bundle"
rm -rf "$BUNDLE" && mkdir -p "$BUNDLE"
python3 - "$BUNDLE/config.json" "$ROOT" <<'PY'
import json, sys
path, root = sys.argv[1], sys.argv[2]
cfg = {
  "ociVersion": "1.0.2",
  "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
              "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/",
              "noNewPrivileges": False},
  "root": {"path": root, "readonly": False},
  "hostname": "container",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
  ],
  "linux": {
    "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network", "cgroup")],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/interrupts"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
  },
}
json.dump(cfg, open(path, "w"), indent=1)
PY

# The bundle of the runtime alone: the config.json podman generated for `podman run -d`
# (tests/oci/podman-run-d.config.json, its seccomp profile of 437 names included), running
# /bin/true in the busybox root, made runnable outside podman: its network namespace is made,
# not joined (podman's path is gone), the binds of podman's own files (/etc/hosts,
# /etc/hostname, /etc/resolv.conf, /run/.containerenv) go, /dev/shm is a tmpfs where podman
# binds one it mounted, and the cgroup is bench's own.
ALONE="$OUT/alone"
rm -rf "$ALONE" && mkdir -p "$ALONE/bundle"
python3 - "$ALONE/bundle/config.json" "$ROOT" tests/oci/podman-run-d.config.json <<'PY'
import json, sys
path, root, podman = sys.argv[1:]
cfg = json.load(open(podman))
cfg["process"]["args"] = ["/bin/true"]
cfg["root"] = {"path": root, "readonly": False}
cfg["hostname"] = "bench"
gone = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv"}
cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] not in gone]
for m in cfg["mounts"]:
    if m["destination"] == "/dev/shm":
        m.update(type="tmpfs", source="shm", options=["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"])
for ns in cfg["linux"]["namespaces"]:
    ns.pop("path", None)
cfg["linux"]["cgroupsPath"] = "/runix-bench-alone"
json.dump(cfg, open(path, "w"), indent=1)
PY
ALONE_RTS=("$(command -v crun)" "$(command -v runc)")
# A runix without the OCI commands says so; one with them fails on the missing bundle.
probe=$("$RUNIX" create --bundle "$ALONE/none" runix-bench-probe 2>&1 || true)
if [[ $probe == *"unknown command"* ]]; then
  echo "the runtime alone: this runix has no create, so only crun and runc are measured" >&2
else
  ALONE_RTS=("$RUNIX" "${ALONE_RTS[@]}")
fi
ALONE_RUNS="${ALONE_RUNS:-200}"

declare -A CMD=(
  [runix]="$RUNIX run -r $ROOT /bin/true"
  [runix-nonet]="$RUNIX run --net host -r $ROOT /bin/true"
  [runix-privileged]="$RUNIX run --privileged -r $ROOT /bin/true"
  [crun]="crun run --bundle $BUNDLE runix-bench-crun"
  [runc]="runc run --bundle $BUNDLE runix-bench-runc"
  [bwrap]="bwrap --unshare-pid --unshare-uts --unshare-ipc --unshare-net --unshare-cgroup --bind $ROOT / --proc /proc --dev /dev /bin/true"
  [unshare]="unshare -pfmuinC --root=$ROOT --mount-proc /bin/true"
)
ORDER=(runix runix-nonet runix-privileged crun runc bwrap unshare)

# crun refuses a hybrid layout (v1 controllers plus an empty cgroup2 mount): run everything in a
# private mount namespace where the cgroup2 mount is gone. It changes nothing for the others.
INNER="$OUT/inner.sh"
{
  echo 'set -e'
  echo 'mount --make-rprivate /'
  echo 'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi'
  printf 'hyperfine -N --style basic --warmup 20 --runs %s --export-json %q' "$RUNS" "$OUT/hyperfine.json"
  for t in "${ORDER[@]}"; do printf ' -n %q %q' "$t" "${CMD[$t]}"; done
  echo
  # Syscalls before the payload's execve, all processes together.
  for t in "${ORDER[@]}"; do
    printf 'strace -f -qq -o %q %s >/dev/null 2>&1 || true\n' "$OUT/strace.$t" "${CMD[$t]}"
  done
  # The syscall target is for a default run with a pids limit.
  printf 'strace -f -qq -o %q %s\n' "$OUT/strace.runix-p" "$RUNIX run -r $ROOT -p 100 /bin/true"
  printf 'python3 tests/bench/alone.py %q %q %q %s 10' "$ALONE/times.json" "$ALONE/bundle" "$ALONE/state" "$ALONE_RUNS"
  printf ' %q' "${ALONE_RTS[@]}"
  echo
} > "$INNER"
# A killed earlier run leaves crun's and runc's container state: "already exists" otherwise.
crun delete -f runix-bench-crun >/dev/null 2>&1 || true
runc delete -f runix-bench-runc >/dev/null 2>&1 || true
timeout -k 10 1800 unshare -m bash "$INNER"

# Peak memory of runix (maximum resident set size of runix and what it waited for).
PEAK_KB=$(/usr/bin/time -f %M "$RUNIX" run -r "$ROOT" /bin/true 2>&1 >/dev/null | tail -1)

python3 - "$OUT" "$PEAK_KB" "${ORDER[@]}" <<'PY'
import json, os, re, shutil, statistics, sys, platform, datetime, subprocess
out, peak, order = sys.argv[1], sys.argv[2], sys.argv[3:]
res = {r["command"]: r for r in json.load(open(f"{out}/hyperfine.json"))["results"]}
med = {t: statistics.median(res[t]["times"]) * 1000 for t in order}

def syscalls(t):
    """Lines of strace -f before the payload's successful execve, minus strace's own exec."""
    lines = open(f"{out}/strace.{t}").read().splitlines()
    n = 0
    for i, l in enumerate(lines):
        body = l.split(" ", 1)[1].lstrip() if " " in l else l
        if body.startswith(("+++", "---", "<...")):
            continue
        if i > 0 and re.match(r'execve\("[^"]*/true"', body):
            return n
        if i > 0:
            n += 1
    sys.exit(f"{t}: no execve of true in {out}/strace.{t}: the run failed")

def size(t):
    exe = os.path.join(os.getcwd(), "target/release/runix") if t.startswith("runix") else shutil.which(t)
    return os.path.getsize(os.path.realpath(exe))

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"\n## runix against its peers ({datetime.date.today()}, {os.cpu_count()} × {cpu}, Linux {platform.release()})\n")
print("| tool | median start-to-exit | runix's time as a share of it | syscalls before the payload's execve | binary |")
print("|---|---|---|---|---|")
for t in order:
    share = "" if t.startswith("runix") else f"{med['runix'] / med[t]:.2f}×"
    print(f"| {t} | {med[t]:.2f} ms | {share} | {syscalls(t)} | {size(t):,} bytes |")
print(f"\nrunix peak memory (max RSS of runix and the command it waited for): {peak} KiB")
targets = [("crun", 0.2), ("bwrap", 0.5), ("unshare", 0.8)]
print("\nTargets (runix's median as a share of the peer's):")
for t, want in targets:
    got = med["runix"] / med[t]
    print(f"  {'met ' if got <= want else 'MISSED'} runix/{t} = {got:.2f} (target ≤ {want})")
print(f"  (runix --privileged, without the hardening: {med['runix-privileged'] / med['unshare']:.2f} of unshare's, {syscalls('runix-privileged')} syscalls)")
n = syscalls("runix-p")
print(f"  {'met ' if n <= 80 else 'MISSED'} runix -p 100: {n} syscalls before execve (target ≤ 80; {syscalls('runix')} without -p)")
PY

python3 - "$ALONE/times.json" "$ALONE/bundle/config.json" <<'PY'
import json, statistics, subprocess, sys
times, cfg = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
n = len(next(iter(times.values())))
print(f"\n## The runtime alone: create + start + wait + delete of true, {n} interleaved rounds\n")
print(f"One bundle: podman's config.json ({len(cfg['mounts'])} mounts, seccomp with "
      f"{sum(len(s['names']) for s in cfg['linux']['seccomp']['syscalls'])} names, pids limit, devices cgroup), busybox root.\n")
print("| runtime | median | runix's time as a share of it (median of the rounds' ratios) |")
print("|---|---|---|")
for t, ms in times.items():
    share = "" if t == "runix" or "runix" not in times else f"{statistics.median(a / b for a, b in zip(times['runix'], ms)):.2f}×"
    print(f"| {t} | {statistics.median(ms):.2f} ms | {share} |")
if "runix" in times:
    got = statistics.median(a / b for a, b in zip(times["runix"], times["crun"]))
    print(f"\nTarget: {'met ' if got <= 0.25 else 'MISSED'} runix/crun = {got:.2f} (target ≤ 0.25)")
else:
    print("\nrunix is not measured: it has no create yet.")
print(f"crun/runc = {statistics.median(a / b for a, b in zip(times['crun'], times['runc'])):.2f}")
PY
