#!/usr/bin/env python3
"""Cost per camera of ingest, and with --record of recording: `vigil serve`
reading N testcam streams (RTSP over TCP, 2 Mbit/s, 1280x720@25) against N
processes of `ffmpeg -rtsp_transport tcp -i URL -c copy ...`, one per camera
as Frigate and Scrypted run them, in the same run against the same testcam.
Without --record neither side writes (ffmpeg `-f null`); with --record vigil
records into its data directory and ffmpeg writes 60 s MP4 segments
(`-f segment -segment_time 60 -reset_timestamps 1`), both under --dir.

  bench/ingest.py --build build/release [--cameras 50,200] [--seconds 30] [--record] [--results bench/RESULTS.md]
"""
import argparse
import os
import re
import shutil
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


def disk_bytes(path):
    return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, files in os.walk(path) for f in files
               if not f.startswith("index.sqlite3"))


def run_vigil(vigil, base, n, seconds, warmup, record_dir):
    with tempfile.TemporaryDirectory(dir=record_dir) as d:
        config = os.path.join(d, "vigil.toml")
        with open(config, "w") as f:
            if record_dir:
                f.write(f'[node]\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:0"\n')
            for i in range(n):
                f.write(f'[[camera]]\nid = "c{i}"\nurl = "{base}/cam/{i}"\n')
        p = subprocess.Popen([vigil, "serve", "--config", config], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(warmup)
        cpu, wall, rss = measure([p.pid], seconds)
        p.terminate()
        _, err = p.communicate(timeout=120)
        written = disk_bytes(os.path.join(d, "data")) if record_dir else 0
    frames = sum(int(m) for m in re.findall(r"camera\.summary .*?frames=(\d+)", err))
    lost = sum(int(m) for m in re.findall(r"camera\.summary .*?packets_lost=(\d+)", err))
    return cpu, wall, rss, frames, lost, written


def run_ffmpeg(base, n, seconds, warmup, record_dir):
    out = tempfile.mkdtemp(dir=record_dir) if record_dir else None
    def output(i):
        if not out:
            return ["-f", "null", "-"]
        return ["-f", "segment", "-segment_time", "60", "-reset_timestamps", "1", os.path.join(out, f"c{i}-%03d.mp4")]
    procs = [subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", f"{base}/cam/{i}",
                               "-c", "copy", *output(i)], stdout=subprocess.DEVNULL,
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
    written = 0
    if out:
        written = disk_bytes(out)
        shutil.rmtree(out, ignore_errors=True)
    return cpu, wall, rss, len(alive), written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--cameras", default="50,200")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--record", action="store_true", help="both sides write to disk")
    ap.add_argument("--dir", default=None, help="where recordings go (default: the system temp dir)")
    ap.add_argument("--results")
    a = ap.parse_args()
    vigil = os.path.join(a.build, "src", "app", "vigil")
    levels = [int(x) for x in a.cameras.split(",")]
    cam, base = start([vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(max(levels)), "--size",
                       "1280x720", "--fps", "25", "--bitrate", "2000", "--loop-seconds", "4"], r"at (rtsp://\S+)/cam/0")
    rows = []
    try:
        record_dir = (a.dir or tempfile.gettempdir()) if a.record else None
        for n in levels:
            cpu, wall, rss, frames, lost, written = run_vigil(vigil, base, n, a.seconds, a.warmup, record_dir)
            expected = n * 25 * (a.warmup + a.seconds)
            rows.append(("vigil serve", n, n, cpu / (n * wall) * 100, rss / n,
                         f"{frames} of ~{expected} ({lost} packets lost)", written))
            print(rows[-1], file=sys.stderr)
            cpu, wall, rss, alive, written = run_ffmpeg(base, n, a.seconds, a.warmup, record_dir)
            rows.append(("ffmpeg -c copy, one per camera", n, alive, cpu / (n * wall) * 100, rss / n, "-", written))
            print(rows[-1], file=sys.stderr)
    finally:
        stop(cam)

    table = ["| process | cameras | running | CPU % of a core per camera | PSS MiB per camera | frames received | MB on disk |",
             "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for name, n, alive, cpu, rss, frames, written in rows:
        table.append(f"| {name} | {n} | {alive} | {cpu:.3f} | {rss:.2f} | {frames} | {written / 1e6:.0f} |")
    ratios = []
    for i in range(0, len(rows), 2):
        v, f = rows[i], rows[i + 1]
        ratios.append(f"- {v[1]} cameras: vigil uses {f[3] / v[3]:.1f}x less CPU and {f[4] / v[4]:.1f}x less memory "
                      f"per camera than ffmpeg.")
    text = "\n".join(table) + "\n\n" + "\n".join(ratios)
    print(text)
    if a.results:
        tag = "record" if a.record else "ingest"
        title = ("Recording to disk (vigil's store vs ffmpeg's 60 s MP4 segments)" if a.record
                 else "RTSP ingest alone (nothing written)")
        section = (f"<!-- {tag}: begin -->\n### {title}\n\n"
                   f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `bench/ingest.py --build "
                   f"build/release --cameras {a.cameras} --seconds {a.seconds}{' --record' if a.record else ''}`: "
                   f"testcam streams of 1280x720@25, "
                   f"2 Mbit/s, over RTSP/TCP on loopback; CPU summed over the {a.seconds} s window after a "
                   f"{a.warmup} s warm-up; memory is the proportional set size (PSS, shared pages split between processes), summed over ffmpeg's processes. Frames received count "
                   f"from the first keyframe of each session.\n\n{text}\n<!-- {tag}: end -->")
        old = open(a.results).read()
        if f"<!-- {tag}: begin -->" in old:
            old = re.sub(f"<!-- {tag}: begin -->.*<!-- {tag}: end -->", lambda m: section, old, flags=re.S)
        else:
            old = old.rstrip("\n") + "\n\n" + section + "\n"
        open(a.results, "w").write(old)


if __name__ == "__main__":
    main()
