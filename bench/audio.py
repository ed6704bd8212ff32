#!/usr/bin/env python3
"""What audio adds to recording (issue 17: at most 5 % of recording CPU per
camera). Three `vigil serve` processes record N testcam cameras each, at
the same time so the machine's noise hits all three alike: one reads
cameras without audio, one the same video with AAC (16 kHz, passed
through), one with G.711 A-law (8 kHz, recorded as it comes; transcoded to
AAC only for a browser that listens, which no one does here). Each has its
own testcam (same video options; testcam's CPU is not counted). CPU is
user + system time of each serve over the window after a warm-up; the
figure is (with audio - without) / without, per run.

  bench/audio.py --build build/debug [--cameras 4] [--seconds 30] [--runs 3] [--results bench/RESULTS.md]
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (arguments, command_line, cpu_seconds, spawn, spread, start, stop,  # noqa: E402
                      vigil_binary, wait_streaming, write_section, write_serve_config)

KINDS = [("none", None), ("aac", "aac"), ("pcma", "pcma")]


def testcam(vigil, streams, audio):
    args = [vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(streams), "--size", "1280x720",
            "--fps", "25", "--bitrate", "2000", "--loop-seconds", "4", "--onvif-discovery", "off"]
    if audio:
        args += ["--audio", audio]
    return start(args, r"at (rtsp://\S+)/cam/0")


def one_run(vigil, cameras, seconds, warmup, scratch):
    cams, serves = [], []
    try:
        for kind, audio in KINDS:
            # One encoded stream per testcam, read by every camera: encoding is testcam's start-up cost.
            p, base = testcam(vigil, 1, audio)
            cams.append(p)
            data = os.path.join(scratch, kind)
            config = os.path.join(scratch, f"{kind}.toml")
            write_serve_config(config, data, [f"{base}/cam/0"] * cameras, record="continuous")
            serves.append(spawn([vigil, "serve", "--config", config]))
        for s in serves:
            if not wait_streaming(s, cameras, timeout=300):
                raise SystemExit(f"serve did not stream: {stop(s)[-2000:]}")
        time.sleep(warmup)
        c0 = [cpu_seconds(s.pid) for s in serves]
        t0 = time.monotonic()
        time.sleep(seconds)
        c1 = [cpu_seconds(s.pid) for s in serves]
        wall = time.monotonic() - t0
        return {kind: (c1[i] - c0[i]) / wall * 100 / cameras for i, (kind, _) in enumerate(KINDS)}
    finally:
        for p in serves + cams:
            stop(p)


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    vigil = vigil_binary(args.build)
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
            runs.append(one_run(vigil, args.cameras, args.seconds, args.warmup, scratch))
    rows = ["| camera audio | CPU % of a core per camera, recording | added by audio (same run) |",
            "|---|---|---|"]
    for kind, _ in KINDS:
        cpu = [r[kind] for r in runs]
        added = [(r[kind] - r["none"]) / r["none"] * 100 for r in runs]
        rows.append(f"| {kind} | {spread(cpu, 2)} | {'-' if kind == 'none' else spread(added, 1, ' %')} |")
    description = (f"Three `vigil serve` record {args.cameras} cameras each at once from their own testcam "
                   "(one 1280x720 stream at 25 fps, 2 Mbit/s, read by every camera; the same video, without audio, with AAC 16 kHz, with G.711 A-law "
                   f"8 kHz); CPU of each serve over {args.seconds} s after {args.warmup} s of warm-up, per camera. "
                   "Added: (with audio - without) / without, within each run. Target: at most 5 %. "
                   f"Median of {args.runs} runs (min-max).")
    command = command_line("audio.py", args.build,
                           f"--cameras {args.cameras} --seconds {args.seconds} --runs {args.runs} --results bench/RESULTS.md")
    write_section(args.results, "audio", "Audio: what it adds to recording", command, description, "\n".join(rows))


if __name__ == "__main__":
    main()
