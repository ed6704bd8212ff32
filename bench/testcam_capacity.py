#!/usr/bin/env python3
"""How many 2 Mbit/s RTSP sessions `vigil testcam` serves, and at what CPU
cost, side by side with GStreamer's RTSP server (shared media) in the same
run. Both servers are measured from /proc/PID/stat over the same steady
window while vigil-rtsp-load drains N sessions over TCP.

  bench/testcam_capacity.py --build build/release [--sessions 100,500,1000] [--seconds 20]

Prints a Markdown table; --results FILE replaces the section between the
"testcam capacity" markers in that file.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (ROOT, arguments, command_line, cpu_seconds, pss_mib, spread, start,  # noqa: E402
                      start_testcam, stop, vigil_binary, write_section)


def measure(server_pid, load, urls, sessions, seconds, warmup=6):
    """Runs the load; returns (server CPU % of one core, Mbit/s received, sessions playing, RSS MiB)."""
    gen = subprocess.Popen([load, "--sessions", str(sessions), "--seconds", str(seconds + warmup), *urls],
                           stdout=subprocess.PIPE, text=True)
    lines = []
    cpu0 = t0 = None
    for line in gen.stdout:
        sample = json.loads(line)
        lines.append(sample)
        if cpu0 is None and sample["t"] >= warmup:
            cpu0, t0 = cpu_seconds(server_pid), time.monotonic()
    cpu1, t1 = cpu_seconds(server_pid), time.monotonic()
    rss = pss_mib(server_pid)
    gen.wait(30)
    steady = [s for s in lines if s["t"] > warmup]
    mbit = sum(s["mbit_per_s"] for s in steady) / max(1, len(steady))
    if gen.returncode != 0:
        print(f"load generator: {steady[-1]['failed'] if steady else '?'} sessions failed", file=sys.stderr)
    return 100 * (cpu1 - cpu0) / (t1 - t0), mbit, max(s["playing"] for s in steady), rss


def idle_cpu(pid, seconds=5):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


SERVERS = ("vigil testcam", "GStreamer RTSP server")


def main():
    ap = arguments(__doc__)
    ap.add_argument("--sessions", default="100,500,1000")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=6, help="seconds before the measured window")
    ap.add_argument("--streams", type=int, default=4)
    a = ap.parse_args()
    load = os.path.join(a.build, "bench", "vigil-rtsp-load")
    levels = [int(x) for x in a.sessions.split(",")]

    runs = {}  # (server, sessions) -> [(cpu, mbit, playing, pss, idle)]
    cam, base = start_testcam(vigil_binary(a.build), a.streams)
    gst = None
    try:
        gst, gst_url = start(["/usr/bin/python3", os.path.join(ROOT, "tests", "peers", "gst_rtsp_server.py"),
                              "--port", "0", "--size", "320x240", "--fps", "25", "--bitrate", "2000"], r"READY (\S+)")
        servers = ((SERVERS[0], cam.pid, [f"{base}/cam/{i}" for i in range(a.streams)]), (SERVERS[1], gst.pid, [gst_url]))
        idle = {name: idle_cpu(pid, min(5, a.seconds)) for name, pid, _ in servers}
        for n in levels:
            for r in range(a.runs):
                for name, pid, urls in servers:
                    cpu, mbit, playing, pss = measure(pid, load, urls, n, a.seconds, a.warmup)
                    runs.setdefault((name, n), []).append((cpu, mbit, playing, pss, idle[name]))
                    print(f"{name}: {n} sessions, run {r + 1}: {playing} playing, {mbit:.0f} Mbit/s, {cpu:.1f}% CPU "
                          f"(idle {idle[name]:.1f}%), PSS {pss:.0f} MiB", file=sys.stderr)
    finally:
        stop(cam)
        if gst:
            stop(gst)

    table = ["| server | sessions | playing | Mbit/s received | CPU % of a core | idle CPU % | per 100 sessions | PSS MiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n in levels:
        for name in SERVERS:
            rs = runs[(name, n)]
            table.append(f"| {name} | {n} | {spread([r[2] for r in rs], 0)} | {spread([r[1] for r in rs], 0)} | "
                         f"{spread([r[0] for r in rs], 1)} | {rs[0][4]:.1f} | "
                         f"{spread([(r[0] - r[4]) * 100 / n for r in rs], 2)} | {spread([r[3] for r in rs], 0)} |")
    write_section(
        a.results, "testcam capacity", "testcam capacity",
        command_line("testcam_capacity.py", a.build, f"--sessions {a.sessions} --seconds {a.seconds} --warmup "
                     f"{a.warmup} --runs {a.runs}"),
        f"vigil testcam serves {a.streams} pre-encoded 1280x720 streams at 2 Mbit/s; GStreamer's RTSP "
        f"server (tests/peers/gst_rtsp_server.py, shared media) live-encodes one 320x240 stream (its x264enc "
        f"reaches only a fraction of the 2 Mbit/s asked on the test pattern), so compare the marginal cost per "
        f"100 sessions (CPU above idle), not totals. The load generator (bench/rtsp_load.cpp, RTP over TCP, "
        f"2 threads) runs on the same 2 cores. Each cell is the median of {a.runs} runs (min-max) of "
        f"{a.seconds} s after a {a.warmup} s warm-up.",
        "\n".join(table))


if __name__ == "__main__":
    main()
