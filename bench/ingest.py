#!/usr/bin/env python3
"""Ingest cost per camera: `vigil serve` reading N testcam streams (RTSP over
TCP, 2 Mbit/s, 1280x720@25) against N processes of `ffmpeg -rtsp_transport
tcp -i URL -c copy -f null -`, one per camera as Frigate and Scrypted run
them, in the same run against the same testcam. Nothing is written to disk
by either side yet (recording arrives with the storage module), so this
measures RTSP ingest alone.

  bench/ingest.py --build build/release [--cameras 50,200] [--seconds 30] [--results bench/RESULTS.md]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from testcam_capacity import cpu_seconds, rss_mib, start, stop  # noqa: E402


def measure(pids, seconds):
    c0 = sum(cpu_seconds(p) for p in pids)
    t0 = time.monotonic()
    time.sleep(seconds)
    c1 = sum(cpu_seconds(p) for p in pids)
    return c1 - c0, time.monotonic() - t0, sum(rss_mib(p) for p in pids)


def run_vigil(vigil, base, n, seconds, warmup):
    with tempfile.TemporaryDirectory() as d:
        config = os.path.join(d, "vigil.toml")
        with open(config, "w") as f:
            for i in range(n):
                f.write(f'[[camera]]\nid = "c{i}"\nurl = "{base}/cam/{i}"\n')
        p = subprocess.Popen([vigil, "serve", "--config", config], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(warmup)
        cpu, wall, rss = measure([p.pid], seconds)
        p.terminate()
        _, err = p.communicate(timeout=60)
    frames = sum(int(m) for m in re.findall(r"camera\.summary .*?frames=(\d+)", err))
    lost = sum(int(m) for m in re.findall(r"camera\.summary .*?packets_lost=(\d+)", err))
    return cpu, wall, rss, frames, lost


def run_ffmpeg(base, n, seconds, warmup):
    procs = [subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", f"{base}/cam/{i}",
                               "-c", "copy", "-f", "null", "-"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for i in range(n)]
    time.sleep(warmup)
    alive = [p.pid for p in procs if p.poll() is None]
    cpu, wall, rss = measure(alive, seconds)
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
    return cpu, wall, rss, len(alive)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--cameras", default="50,200")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--results")
    a = ap.parse_args()
    vigil = os.path.join(a.build, "src", "app", "vigil")
    levels = [int(x) for x in a.cameras.split(",")]
    cam, base = start([vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(max(levels)), "--size",
                       "1280x720", "--fps", "25", "--bitrate", "2000", "--loop-seconds", "4"], r"at (rtsp://\S+)/cam/0")
    rows = []
    try:
        for n in levels:
            cpu, wall, rss, frames, lost = run_vigil(vigil, base, n, a.seconds, a.warmup)
            expected = n * 25 * (a.warmup + a.seconds)
            rows.append(("vigil serve", n, n, cpu / (n * wall) * 100, rss / n, f"{frames} of ~{expected} ({lost} packets lost)"))
            print(rows[-1], file=sys.stderr)
            cpu, wall, rss, alive = run_ffmpeg(base, n, a.seconds, a.warmup)
            rows.append(("ffmpeg -c copy, one per camera", n, alive, cpu / (n * wall) * 100, rss / n, "-"))
            print(rows[-1], file=sys.stderr)
    finally:
        stop(cam)

    table = ["| ingest | cameras | running | CPU % of a core per camera | PSS MiB per camera | frames received |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name, n, alive, cpu, rss, frames in rows:
        table.append(f"| {name} | {n} | {alive} | {cpu:.3f} | {rss:.2f} | {frames} |")
    ratios = []
    for i in range(0, len(rows), 2):
        v, f = rows[i], rows[i + 1]
        ratios.append(f"- {v[1]} cameras: vigil uses {f[3] / v[3]:.1f}x less CPU and {f[4] / v[4]:.1f}x less memory "
                      f"per camera than ffmpeg.")
    text = "\n".join(table) + "\n\n" + "\n".join(ratios)
    print(text)
    if a.results:
        section = (f"<!-- ingest: begin -->\n### RTSP ingest (no recording yet)\n\n"
                   f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `bench/ingest.py --build "
                   f"build/release --cameras {a.cameras} --seconds {a.seconds}`: testcam streams of 1280x720@25, "
                   f"2 Mbit/s, over RTSP/TCP on loopback; CPU summed over the {a.seconds} s window after a "
                   f"{a.warmup} s warm-up; memory is the proportional set size (PSS, shared pages split between processes), summed over ffmpeg's processes. Frames received count "
                   f"from the first keyframe of each session.\n\n{text}\n<!-- ingest: end -->")
        old = open(a.results).read()
        if "<!-- ingest: begin -->" in old:
            old = re.sub(r"<!-- ingest: begin -->.*<!-- ingest: end -->", lambda m: section, old, flags=re.S)
        else:
            old = old.rstrip("\n") + "\n\n" + section + "\n"
        open(a.results, "w").write(old)


if __name__ == "__main__":
    main()
