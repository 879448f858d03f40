#!/usr/bin/env bash
# make bench: runix against the floor and its peers, each running `true` in the same busybox root.
# The floor (tests/bench/floor.c) makes runix's default container and nothing else: its six
# namespaces (pid, mount, uts, ipc, net, cgroup), lo up, its mounts (/proc, /sys read-only, a
# tmpfs /dev with six nodes, pts, shm, mqueue), its hostname, pivot_root, exec. So runix/floor
# is what runix itself costs. Each tool is timed in interleaved pairs with the floor
# (tests/bench/pairs.py: floor, tool, floor, tool, ...; the share is the median of the pairs'
# ratios), so both see the same moments of a noisy VM; runix is also paired with crun and bwrap.
# The rows: runix (default: hardened as Docker), runix --net host (against a floor without a
# network namespace), runix --privileged (no hardening: the floor plus runix's own checks),
# crun and runc with `crun spec`'s default bundle (hardened: 3 capabilities, masked and
# read-only paths, a devices rule; no cgroup namespace, read-only root), bwrap with --proc and
# --dev (no user namespace, unlike --unshare-all: runix makes none as root), unshare(1) with
# --mount-proc only (no /sys, no /dev: it can be under the floor).
# Prints those times and shares, the syscalls each tool makes before the payload's execve,
# binary sizes and runix's peak memory, and checks issue 18's targets.
# Then the runtime alone (tests/bench/alone.py): runix, crun and runc as podman's conmon drives
# them, create + start + wait + delete of `true` on one OCI bundle, in interleaved rounds; runix
# is left out (and said so) while it has no `create`. Run as root. RUNS: pairs per set (300).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD/fs/busybox"
RUNIX="$PWD/target/release/runix"
OUT="$PWD/target/bench"
RUNS="${RUNS:-300}"
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "make bench needs root" >&2; exit 1; }

# The floor, static like runix, so that neither pays for the dynamic loader.
gcc -O2 -static -o "$OUT/floor" tests/bench/floor.c
FLOOR="$OUT/floor"

# crun's and runc's bundle: what `crun spec` makes, running /bin/true in the busybox root.
BUNDLE="$OUT/bundle"
rm -rf "$BUNDLE" && mkdir -p "$BUNDLE"
(cd "$BUNDLE" && crun spec)
python3 - "$BUNDLE/config.json" "$ROOT" <<'PY'
import json, sys
path, root = sys.argv[1], sys.argv[2]
cfg = json.load(open(path))
cfg["root"]["path"] = root
cfg["process"]["args"] = ["/bin/true"]
cfg["process"]["terminal"] = False  # no console socket: stdio is the caller's, as runix's
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
  [floor]="$FLOOR $ROOT /bin/true"
  [floor-nonet]="$FLOOR --net host $ROOT /bin/true"
  [runix]="$RUNIX run -r $ROOT /bin/true"
  [runix-nonet]="$RUNIX run --net host -r $ROOT /bin/true"
  [runix-privileged]="$RUNIX run --privileged -r $ROOT /bin/true"
  [crun]="crun run --bundle $BUNDLE runix-bench-crun"
  [runc]="runc run --bundle $BUNDLE runix-bench-runc"
  [bwrap]="bwrap --unshare-pid --unshare-uts --unshare-ipc --unshare-net --unshare-cgroup --die-with-parent --bind $ROOT / --proc /proc --dev /dev /bin/true"
  [unshare]="unshare -pfmuinC --root=$ROOT --mount-proc /bin/true"
)
ORDER=(floor runix runix-nonet runix-privileged crun runc bwrap unshare)
# The interleaved pairs, "A B": B/A is the share. Each tool against its floor, then runix
# against the peers of issue 18's targets.
PAIRS=("floor runix" "floor-nonet runix-nonet" "floor runix-privileged" "floor crun" "floor runc"
       "floor bwrap" "floor unshare" "crun runix" "bwrap runix")

# crun refuses a hybrid layout (v1 controllers plus an empty cgroup2 mount): run everything in a
# private mount namespace where the cgroup2 mount is gone. It changes nothing for the others.
INNER="$OUT/inner.sh"
{
  echo 'set -e'
  echo 'mount --make-rprivate /'
  echo 'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi'
  for p in "${PAIRS[@]}"; do
    read -r a b <<<"$p"
    printf 'RUNS=%q python3 tests/bench/pairs.py %q %q %q %q %q\n' "$RUNS" "$OUT/pairs.$a.$b.json" "$a" "${CMD[$a]}" "$b" "${CMD[$b]}"
  done
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

python3 - "$OUT" "$PEAK_KB" "$RUNS" "${PAIRS[@]}" <<'PY'
import json, os, re, shutil, statistics, subprocess, sys, platform, datetime
out, peak, runs, pairs = sys.argv[1], sys.argv[2], sys.argv[3], [p.split() for p in sys.argv[4:]]
sets = {(a, b): json.load(open(f"{out}/pairs.{a}.{b}.json")) for a, b in pairs}
share = {k: statistics.median(y / x for x, y in zip(v["a_ms"], v["b_ms"])) for k, v in sets.items()}
med = {v["b"]: statistics.median(v["b_ms"]) for v in sets.values() if v["a"].startswith("floor")}
med["floor"] = statistics.median(sets["floor", "runix"]["a_ms"])

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

def binary(t):
    exe = {"floor": f"{out}/floor"}.get(t) or (
        os.path.join(os.getcwd(), "target/release/runix") if t.startswith("runix") else shutil.which(t))
    exe = os.path.realpath(exe)
    # ldd fails on a static binary.
    dyn = subprocess.run(["ldd", exe], capture_output=True).returncode == 0
    return f"{os.path.getsize(exe):,} bytes" + (" (+ shared libs)" if dyn else "")

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"\n## runix against the floor and its peers ({datetime.date.today()}, {os.cpu_count()} × {cpu}, "
      f"Linux {platform.release()}, {runs} interleaved pairs each)\n")
print("| tool | median start-to-exit | × floor (median of the pairs' ratios) | syscalls before the payload's execve | binary |")
print("|---|---|---|---|---|")
label = {"runix-nonet": "runix --net host", "runix-privileged": "runix --privileged"}
for a, b in pairs:
    if not a.startswith("floor"):
        continue
    if b == "runix":
        print(f"| floor | {med['floor']:.2f} ms | 1 | {syscalls('floor')} | {binary('floor')} |")
    floor = " (floor --net host)" if a == "floor-nonet" else ""
    print(f"| {label.get(b, b)} | {med[b]:.2f} ms | {share[a, b]:.2f}×{floor} | {syscalls(b)} | {binary(b)} |")
print("\nrunix paired directly with its peers (runix's time as a share of theirs):")
for a, b in pairs:
    if not a.startswith("floor"):
        v = sets[a, b]
        print(f"  runix/{a} = {share[a, b]:.2f} (medians {statistics.median(v['b_ms']):.2f} ms against "
              f"{statistics.median(v['a_ms']):.2f} ms)")
print(f"\nrunix peak memory (max RSS of runix and the command it waited for): {peak} KiB")
print("\nTargets (issue 18):")
targets = [("runix/floor", share["floor", "runix"], 1.15), ("runix --privileged/floor", share["floor", "runix-privileged"], 1.05),
           ("runix/crun", share["crun", "runix"], 0.20), ("runix/bwrap", share["bwrap", "runix"], 0.40)]
for name, got, want in targets:
    print(f"  {'met ' if got <= want else 'MISSED'} {name} = {got:.2f} (target ≤ {want})")
n, c = syscalls("runix"), syscalls("crun")
print(f"  {'met ' if n <= 0.2 * c else 'MISSED'} runix syscalls before the payload's execve = {n} "
      f"(target ≤ 0.2 × crun's {c} = {0.2 * c:.0f}; the floor {syscalls('floor')})")
n = syscalls("runix-p")
print(f"  {'met ' if n <= 80 else 'MISSED'} runix -p 100: {n} syscalls before execve (the trace issue's target ≤ 80)")
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
