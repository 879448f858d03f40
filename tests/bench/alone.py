#!/usr/bin/env python3
"""The runtime alone, as podman's conmon drives it: `create --bundle B --pid-file F ID`, `start ID`,
wait for the container's init (this process is a child subreaper, as conmon is, so the init is
reaped here once `create` has exited), `delete ID`; for each runtime in turn, on one bundle, in
rounds whose order rotates so that no runtime always follows the same one. Every call's stdio
is /dev/null (stderr goes to a file, shown when a call fails). Writes {runtime: [ms, ...]} as JSON.

usage: alone.py OUT.json BUNDLE STATE_DIR RUNS WARMUP RUNTIME_PATH...
"""
import ctypes, json, os, sys, time

PR_SET_CHILD_SUBREAPER = 36


def spawn(argv, err):
    acts = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{' '.join(argv)}: exit {os.waitstatus_to_exitcode(st)}: {open(err).read().strip()}")


def reap_orphans():
    """Processes a runtime left behind and that ended (double forks) are reaped here too."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def cycle(rt, bundle, state, cid, err):
    pidfile = f"{state}/{cid}.pid"
    t = time.perf_counter_ns()
    spawn([rt, "--root", state, "create", "--bundle", bundle, "--pid-file", pidfile, cid], err)
    init = int(open(pidfile).read())
    spawn([rt, "--root", state, "start", cid], err)
    _, st = os.waitpid(init, 0)
    spawn([rt, "--root", state, "delete", cid], err)
    ms = (time.perf_counter_ns() - t) / 1e6
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{rt}: the container's true exited {os.waitstatus_to_exitcode(st)}")
    reap_orphans()
    return ms


def main():
    out, bundle, state, runs, warmup, *rts = sys.argv[1:]
    runs, warmup = int(runs), int(warmup)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER): errno {ctypes.get_errno()}")
    names = [os.path.basename(r) for r in rts]
    os.makedirs(state, exist_ok=True)
    err = f"{state}/stderr"
    for rt, name in zip(rts, names):
        # A killed earlier run leaves its container's state.
        os.spawnv(os.P_WAIT, rt, [rt, "--root", state, "delete", "--force", f"bench-{name}"])
    times = {n: [] for n in names}
    for i in range(warmup + runs):
        k = i % len(rts)
        for rt, name in list(zip(rts, names))[k:] + list(zip(rts, names))[:k]:
            ms = cycle(rt, bundle, state, f"bench-{name}", err)
            if i >= warmup:
                times[name].append(ms)
    json.dump(times, open(out, "w"))


main()
