#!/usr/bin/env python3
"""Cost per stream of recording (or with --no-record, of ingest alone):
`vigil serve` reading N testcam streams (RTSP over TCP, 2 Mbit/s,
1280x720@25) against N processes of `ffmpeg -rtsp_transport tcp -i URL
-c copy ...`, one per camera as Frigate and Scrypted run them, in the same
run. Recording, vigil writes into its store and ffmpeg writes 60 s MP4
segments (`-f segment -segment_time 60 -reset_timestamps 1`), both under
--dir; without, ffmpeg writes to `-f null` and vigil records nothing.

Each side gets its own testcam, so that the frames testcam counts as sent
are the frames that side was sent. Streams above --distinct reuse the
encoded streams (camera i plays /cam/(i mod distinct)): testcam encodes
its streams at start, which takes 2 s of both cores per 720p stream.

  bench/ingest.py --build build/release [--cameras 50,200,500] [--seconds 60] [--runs 3] [--results bench/RESULTS.md]

Prints a Markdown table; with --json FILE also the per-run figures.
"""
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (arguments, command_line, cpu_seconds, pss_mib, spawn, spread, start_testcam,  # noqa: E402
                      stop, summary, testcam_frames_sent, vigil_binary, wait_streaming, write_section,
                      write_serve_config)

BITRATE = 2_000_000  # bit/s of every testcam stream
FPS = 25
BYTES_PER_FRAME = BITRATE / 8 / FPS  # what a stored frame is expected to cost


def measure(pids, seconds):
    """CPU seconds of `pids` over `seconds` of wall time, and their PSS at the end."""
    c0 = sum(cpu_seconds(p) for p in pids)
    t0 = time.monotonic()
    time.sleep(seconds)
    c1 = sum(cpu_seconds(p) for p in pids)
    return c1 - c0, time.monotonic() - t0, sum(pss_mib(p) for p in pids)


def files_bytes(path, skip=()):
    return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, files in os.walk(path) for f in files if f not in skip)


def mp4_sample_count(path):
    """Samples of the first track of an MP4 (moov/trak/mdia/minf/stbl/stsz);
    0 when the file has no moov (ffmpeg did not finish it)."""
    def children(buf, at, end):
        while at + 8 <= end:
            size, kind = struct.unpack(">I4s", buf[at:at + 8])
            header = 8
            if size == 1:
                size, header = struct.unpack(">Q", buf[at + 8:at + 16])[0], 16
            elif size == 0:
                size = end - at
            if size < header:
                return
            yield kind, at + header, at + size
            at += size

    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        length = f.tell()
        at = 0
        while at + 8 <= length:
            f.seek(at)
            size, kind = struct.unpack(">I4s", f.read(8))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:
                size = length - at
            if size < 8:
                return 0
            if kind == b"moov":
                f.seek(at)
                moov = f.read(size)
                box = (0, len(moov))
                for name in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsz"):
                    box = next(((s, e) for k, s, e in children(moov, *box) if k == name), None)
                    if box is None:
                        return 0
                return struct.unpack(">I", moov[box[0] + 8:box[0] + 12])[0]  # version/flags, sample_size, count
            at += size
    return 0


def run_vigil(vigil, n, distinct, size, seconds, warmup, workdir, record):
    cam, base = start_testcam(vigil, min(n, distinct), size=size)
    d = tempfile.mkdtemp(dir=workdir, prefix="vigil-bench-")
    try:
        config = os.path.join(d, "vigil.toml")
        write_serve_config(config, f"{d}/data", [f"{base}/cam/{i % distinct}" for i in range(n)],
                           record="continuous" if record else "off")
        p = spawn([vigil, "serve", "--config", config])
        try:
            wait_streaming(p, n)
            time.sleep(warmup)
            cpu, wall, pss = measure([p.pid], seconds)
        finally:
            err = stop(p, timeout=120)
        sent = testcam_frames_sent(stop(cam))
        cam = None
        received = sum(int(m) for m in re.findall(r"camera\.summary .*?frames=(\d+)", err))
        stored, written = 0, 0
        index = os.path.join(d, "data", "recordings", "index.sqlite3")
        if record and os.path.exists(index):
            with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
                stored = db.execute("SELECT coalesce(sum(samples), 0) FROM recording").fetchone()[0]
            written = files_bytes(os.path.join(d, "data", "recordings"), skip=("reserve",))
        return dict(cpu=cpu, wall=wall, pss=pss, running=n, sent=sent, received=received, stored=stored,
                    written=written)
    finally:
        if cam:
            stop(cam)
        shutil.rmtree(d, ignore_errors=True)


def run_ffmpeg(vigil, n, distinct, size, seconds, warmup, workdir, record):
    cam, base = start_testcam(vigil, min(n, distinct), size=size)
    out = tempfile.mkdtemp(dir=workdir, prefix="ffmpeg-bench-")
    procs = []
    try:
        def output(i):
            if not record:
                return ["-f", "null", "-"]
            return ["-f", "segment", "-segment_time", "60", "-reset_timestamps", "1", os.path.join(out, f"c{i}-%03d.mp4")]
        for i in range(n):
            procs.append(subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i",
                                           f"{base}/cam/{i % distinct}", "-c", "copy", *output(i)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if record:
            # Starting N processes takes a while on 2 cores: the warm-up
            # begins once each has created its first segment (bounded).
            deadline = time.monotonic() + 120
            while len(os.listdir(out)) < n and time.monotonic() < deadline:
                time.sleep(0.5)
        time.sleep(warmup)
        alive = [p.pid for p in procs if p.poll() is None]
        cpu, wall, pss = measure(alive, seconds)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        sent = testcam_frames_sent(stop(cam))
    try:
        stored = sum(mp4_sample_count(os.path.join(out, f)) for f in os.listdir(out)) if record else 0
        written = files_bytes(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    # ffmpeg reports nothing it received; what it wrote is what it received.
    return dict(cpu=cpu, wall=wall, pss=pss, running=len(alive), sent=sent, received=None, stored=stored,
                written=written)


SIDES = (("vigil serve", run_vigil), ("ffmpeg -c copy, one per camera", run_ffmpeg))


def run(vigil, levels, distinct, size, seconds, warmup, runs, workdir, record):
    """{(side, n): [per-run dicts]}; the sides alternate within each run."""
    results = {}
    for n in levels:
        for r in range(runs):
            for name, fn in SIDES:
                m = fn(vigil, n, distinct, size, seconds, warmup, workdir, record)
                m["cpu_pct"] = m["cpu"] / (n * m["wall"]) * 100  # % of one core per stream
                m["pss_per_stream"] = m["pss"] / n
                results.setdefault(f"{name}|{n}", []).append(m)
                print(f"{name} n={n} run {r + 1}/{runs}: {json.dumps(m)}", file=sys.stderr)
    return results


def table(results, levels, record):
    head = ("| process | streams | running | CPU % of a core per stream | PSS MiB per stream | frames sent | "
            "frames received | frames stored | MB on disk | % of expected |")
    rows = [head, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    ratios = []
    for n in levels:
        per = {}
        for name, _ in SIDES:
            ms = results[f"{name}|{n}"]
            per[name] = ms
            sent = [m["sent"] for m in ms if m["sent"] is not None]
            received = [m["received"] for m in ms if m["received"] is not None]
            expected = [m["written"] / (m["stored"] * BYTES_PER_FRAME) * 100 for m in ms if m["stored"]]
            rows.append(f"| {name} | {n} | {spread([m['running'] for m in ms], 0)} | "
                        f"{spread([m['cpu_pct'] for m in ms], 3)} | {spread([m['pss_per_stream'] for m in ms], 2)} | "
                        f"{spread(sent, 0) if sent else '-'} | {spread(received, 0) if received else '-'} | "
                        f"{spread([m['stored'] for m in ms], 0) if record else '-'} | "
                        f"{spread([m['written'] / 1e6 for m in ms], 0) if record else '-'} | "
                        f"{spread(expected, 1) if expected else '-'} |")
        v, f = per[SIDES[0][0]], per[SIDES[1][0]]
        cpu = [b["cpu_pct"] / a["cpu_pct"] for a, b in zip(v, f)]
        mem = [b["pss_per_stream"] / a["pss_per_stream"] for a, b in zip(v, f)]
        ratios.append(f"- {n} streams: vigil uses {spread(cpu, 1, 'x')} less CPU and {spread(mem, 1, 'x')} less "
                      f"memory per stream than ffmpeg (ratio within each run).")
    return "\n".join(rows) + "\n\n" + "\n".join(ratios)


def cpu_ratio(results, n):
    """Median over runs of ffmpeg's CPU per stream over vigil's."""
    v, f = results[f"{SIDES[0][0]}|{n}"], results[f"{SIDES[1][0]}|{n}"]
    return summary([b["cpu_pct"] / a["cpu_pct"] for a, b in zip(v, f)])[0]


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--cameras", default="50,200,500")
    ap.add_argument("--distinct", type=int, default=10, help="distinct testcam streams")
    ap.add_argument("--size", default="1280x720", help="testcam's picture size")
    ap.add_argument("--seconds", type=int, default=60, help="measured window")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-record", dest="record", action="store_false", help="ingest only: nothing written")
    ap.add_argument("--json", help="write the per-run figures here")
    a = ap.parse_args()
    levels = [int(x) for x in a.cameras.split(",")]
    results = run(vigil_binary(a.build), levels, a.distinct, a.size, a.seconds, a.warmup, a.runs,
                  a.dir or tempfile.gettempdir(), a.record)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"levels": levels, "results": results}, f)
    write_section(
        a.results, "record" if a.record else "ingest",
        ("Recording to disk (vigil's store vs ffmpeg's 60 s MP4 segments)" if a.record
         else "RTSP ingest alone (nothing written)"),
        command_line("ingest.py", a.build, f"--cameras {a.cameras} --distinct {a.distinct} --size {a.size} "
                     f"--seconds {a.seconds} --warmup {a.warmup} --runs {a.runs}{'' if a.record else ' --no-record'}"),
        f"Each run starts a fresh `vigil testcam` ({min(max(levels), a.distinct)} distinct pre-encoded "
        f"{a.size}@25 streams at 2 Mbit/s; stream i plays /cam/(i mod {a.distinct})) and then vigil, and "
        f"again for ffmpeg; RTSP over TCP on loopback. CPU is user + system time summed over the "
        f"{a.seconds} s window after a {a.warmup} s warm-up, as % of one core per stream; memory is the "
        f"proportional set size (PSS: shared pages split between the processes that map them), summed "
        f"over ffmpeg's processes, vigil's divided by N, at the end of the window. Frames sent: testcam's "
        f"count; received: vigil's cameras (from the first keyframe of each session); stored: samples in "
        f"vigil's index, or in the MP4s' `stsz`. Expected bytes: frames stored x 10 000 (2 Mbit/s at "
        f"25 fps); vigil's bytes include its index. Each cell is the median of {a.runs} runs (min-max).",
        table(results, levels, a.record))


if __name__ == "__main__":
    main()
