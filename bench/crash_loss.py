#!/usr/bin/env python3
"""Video lost to a crash: `vigil serve` records N testcam streams and is
killed with SIGKILL at a random moment, --cycles times over one data
directory. After each kill, `vigil check --repair` recovers the store (as
the next start would) and must then find no problem; the loss of a stream
is the kill time minus the end of its last recording of that cycle
(testcam stamps frames with this machine's clock, so both are on one
clock).

  bench/crash_loss.py --build build/release [--streams 50] [--cycles 20] [--results bench/RESULTS.md]
"""
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (arguments, command_line, spawn, start_testcam, stop, vigil_binary, wait_streaming,  # noqa: E402
                      write_section, write_serve_config)


def last_ends(index, since_us):
    """stream -> end (µs) of its last recording that started at or after `since_us`."""
    if not os.path.exists(index):
        return {}  # killed before the store was opened
    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT stream, max(end_wall) FROM recording WHERE start_wall >= ? GROUP BY stream",
                               (since_us,)).fetchall())


def run(vigil, streams, size, cycles, min_s, max_s, workdir, seed):
    rng = random.Random(seed)
    cam, base = start_testcam(vigil, min(streams, 10), size=size)
    d = tempfile.mkdtemp(dir=workdir, prefix="vigil-crash-")
    losses, missing, problems = [], 0, []
    try:
        config = os.path.join(d, "vigil.toml")
        data = os.path.join(d, "data")
        write_serve_config(config, data, [f"{base}/cam/{i % 10}" for i in range(streams)])
        for cycle in range(cycles):
            began = time.time()
            p = spawn([vigil, "serve", "--config", config])
            wait_streaming(p, streams)  # then recording for a random while
            time.sleep(rng.uniform(min_s, max_s))
            killed = time.time()
            stop(p, sig=signal.SIGKILL)
            check = subprocess.run([vigil, "check", "--data", data, "--repair"], capture_output=True, text=True,
                                   timeout=300)
            clean = subprocess.run([vigil, "check", "--data", data], capture_output=True, text=True, timeout=300)
            if check.returncode != 0 or clean.returncode != 0:
                problems.append(f"cycle {cycle}: {check.stdout.strip()[-300:]} / {clean.stdout.strip()[-300:]}")
            ends = last_ends(os.path.join(data, "recordings", "index.sqlite3"), int(began * 1e6))
            cycle_losses = [killed - ends[f"c{i}"] / 1e6 for i in range(streams) if f"c{i}" in ends]
            missing += streams - len(cycle_losses)
            losses += cycle_losses
            print(f"cycle {cycle + 1}/{cycles}: killed after {killed - began:.1f} s, lost max "
                  f"{max(cycle_losses, default=0):.2f} s, {streams - len(cycle_losses)} streams without a recording, "
                  f"check rc {check.returncode}/{clean.returncode}", file=sys.stderr)
    finally:
        stop(cam)
        shutil.rmtree(d, ignore_errors=True)
    return losses, missing, problems


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--streams", type=int, default=50)
    ap.add_argument("--size", default="1280x720", help="testcam's picture size")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--min-seconds", type=float, default=4.0, help="earliest kill after start")
    ap.add_argument("--max-seconds", type=float, default=9.0, help="latest kill after start")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    losses, missing, problems = run(vigil_binary(a.build), a.streams, a.size, a.cycles, a.min_seconds, a.max_seconds,
                                    a.dir or tempfile.gettempdir(), a.seed)
    if not losses:
        raise SystemExit("nothing was recorded")
    q = statistics.quantiles(losses, n=100) if len(losses) > 1 else losses * 99
    text = ("| streams | kills | stream-kills measured | lost s: median | p99 | max | streams with nothing recorded | "
            "checks not clean |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            f"| {a.streams} | {a.cycles} | {len(losses)} | {statistics.median(losses):.2f} | {q[98]:.2f} | "
            f"{max(losses):.2f} | {missing} | {len(problems)} |")
    for p in problems:
        text += f"\n\n- check: {p}"
    write_section(
        a.results, "crash", "Crash loss (SIGKILL while recording)",
        command_line("crash_loss.py", a.build, f"--streams {a.streams} --size {a.size} --cycles {a.cycles}"),
        f"`vigil serve` records {a.streams} testcam streams ({a.size}@25, 2 Mbit/s; stream i plays "
        f"/cam/(i mod 10)) into one data directory and is killed with SIGKILL {a.min_seconds:g}-{a.max_seconds:g} "
        f"s after each start, {a.cycles} times. After each kill `vigil check --repair` recovers the store as the "
        f"next start would, and a second `vigil check` must be clean. Lost: kill time minus the end of the "
        f"stream's last recording in that cycle (after recovery), over every stream and kill. The commit interval "
        f"is 1 s; recovery also keeps the whole access units written past the last commit.",
        text)


if __name__ == "__main__":
    main()
