#!/usr/bin/env python3
"""Two commands in interleaved pairs: A, B, A, B, ... so that both see the same moments of a
noisy machine (a VM's neighbours, frequency, caches), and the ratio of each pair, B/A, cancels
what a moment adds to both. Each run is timed from posix_spawn to waitpid, stdin and stdout on
/dev/null (stderr to a file, shown when a run fails). Writes
{"a": NAME_A, "b": NAME_B, "a_ms": [...], "b_ms": [...]} to OUT.json and prints the median of
the pairs' ratios and both medians.

usage: pairs.py OUT.json NAME_A 'CMD A' NAME_B 'CMD B'    (commands split as by a shell)
env:   RUNS pairs (default 300), WARMUP pairs not counted (default 10)
"""
import json, os, shlex, shutil, statistics, sys, time


def spawn(argv, err):
    """One run, in ms; the run must exit 0."""
    acts = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    t = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, st = os.waitpid(pid, 0)
    ms = (time.perf_counter_ns() - t) / 1e6
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{shlex.join(argv)}: exit {os.waitstatus_to_exitcode(st)}: {open(err).read().strip()}")
    return ms


def main():
    out, name_a, cmd_a, name_b, cmd_b = sys.argv[1:]
    runs, warmup = int(os.environ.get("RUNS", 300)), int(os.environ.get("WARMUP", 10))
    # Resolved once, so that no run pays for a PATH search.
    a, b = shlex.split(cmd_a), shlex.split(cmd_b)
    a[0], b[0] = shutil.which(a[0]) or a[0], shutil.which(b[0]) or b[0]
    err = out + ".stderr"
    a_ms, b_ms = [], []
    for i in range(warmup + runs):
        ta, tb = spawn(a, err), spawn(b, err)
        if i >= warmup:
            a_ms.append(ta)
            b_ms.append(tb)
    json.dump({"a": name_a, "b": name_b, "a_ms": a_ms, "b_ms": b_ms}, open(out, "w"))
    ratio = statistics.median(y / x for x, y in zip(a_ms, b_ms))
    print(f"{name_b}/{name_a} = {ratio:.3f} (median of {runs} pairs; medians "
          f"{statistics.median(a_ms):.2f} ms {name_a}, {statistics.median(b_ms):.2f} ms {name_b})")


main()
