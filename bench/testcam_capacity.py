#!/usr/bin/env python3
"""How many 2 Mbit/s RTSP sessions `vigil testcam` serves, and at what CPU
cost, side by side with GStreamer's RTSP server (shared media) in the same
run. Both servers are measured from /proc/PID/stat over the same steady
window while vigil-rtsp-load drains N sessions over TCP.

  bench/testcam_capacity.py --build build/release [--sessions 100,500,1000] [--seconds 20]

Prints a Markdown table; --results FILE replaces the section between the
"testcam capacity" markers in that file.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mib(pid):
    """Proportional set size: shared library pages are split between the
    processes that map them, so a sum over many processes is not inflated."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start(args, ready):
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(ready, line)
        if m:
            return p, m.group(1)
    p.kill()
    raise SystemExit(f"{args[0]} did not start")


def stop(p):
    p.terminate()
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)


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
    rss = rss_mib(server_pid)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--sessions", default="100,500,1000")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--results")
    a = ap.parse_args()
    vigil = os.path.join(a.build, "src", "app", "vigil")
    load = os.path.join(a.build, "bench", "vigil-rtsp-load")
    levels = [int(x) for x in a.sessions.split(",")]

    rows = []
    cam, base = start([vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(a.streams), "--size", "1280x720",
                       "--fps", "25", "--bitrate", "2000", "--loop-seconds", "4"], r"at (rtsp://\S+)/cam/0")
    gst, gst_url = start(["/usr/bin/python3", os.path.join(ROOT, "tests", "peers", "gst_rtsp_server.py"), "--port", "0",
                          "--size", "320x240", "--fps", "25", "--bitrate", "2000"], r"READY (\S+)")
    try:
        idle = {"vigil testcam": idle_cpu(cam.pid), "GStreamer RTSP server": idle_cpu(gst.pid)}
        for n in levels:
            for name, pid, urls in (("vigil testcam", cam.pid, [f"{base}/cam/{i}" for i in range(a.streams)]),
                                    ("GStreamer RTSP server", gst.pid, [gst_url])):
                cpu, mbit, playing, rss = measure(pid, load, urls, n, a.seconds)
                rows.append((name, n, playing, mbit, cpu, idle[name], rss))
                print(f"{name}: {n} sessions, {playing} playing, {mbit:.0f} Mbit/s, {cpu:.1f}% CPU "
                      f"(idle {idle[name]:.1f}%), RSS {rss:.0f} MiB", file=sys.stderr)
    finally:
        stop(cam)
        stop(gst)

    table = ["| server | sessions | playing | Mbit/s received | CPU % of a core | idle CPU % | per 100 sessions | PSS MiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, n, playing, mbit, cpu, idle_pct, rss in rows:
        per100 = (cpu - idle_pct) * 100 / n
        table.append(f"| {name} | {n} | {playing} | {mbit:.0f} | {cpu:.1f} | {idle_pct:.1f} | {per100:.2f} | {rss:.0f} |")
    text = "\n".join(table)
    print(text)
    if a.results:
        section = (f"<!-- testcam capacity: begin -->\n### testcam capacity\n\n"
                   f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with\n"
                   f"`bench/testcam_capacity.py --build {os.path.relpath(a.build, ROOT)} --sessions {a.sessions} "
                   f"--seconds {a.seconds}`.\n"
                   f"vigil testcam serves {a.streams} pre-encoded 1280x720 streams at 2 Mbit/s; GStreamer's RTSP "
                   f"server (tests/peers/gst_rtsp_server.py, shared media) live-encodes one 320x240 stream at "
                   f"2 Mbit/s, so compare the marginal cost per 100 sessions (CPU above idle), not totals. "
                   f"The load generator (bench/rtsp_load.cpp, RTP over TCP, 2 threads) runs on the same 2 cores.\n\n"
                   f"{text}\n<!-- testcam capacity: end -->")
        old = open(a.results).read() if os.path.exists(a.results) else "# Benchmark results\n"
        if "<!-- testcam capacity: begin -->" in old:
            old = re.sub(r"<!-- testcam capacity: begin -->.*<!-- testcam capacity: end -->", lambda m: section, old,
                         flags=re.S)
        else:
            old = old.rstrip("\n") + "\n\n" + section + "\n"
        open(a.results, "w").write(old)


if __name__ == "__main__":
    main()
