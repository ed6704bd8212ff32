#!/usr/bin/env python3
"""The object detector alone (bench/detector_bench.cpp): NanoDet through
OpenCV's DNN on a 416x416 region of a photo (the model's input size), with
OpenCV's thread pool at 1 and 2 threads: milliseconds per inference and
inferences per second.

  bench/detector.py --build build/release [--threads 1,2] [--seconds 20] [--runs 3]
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, arguments, command_line, spread, write_section  # noqa: E402

PHOTO = os.path.join(ROOT, "tests", "data", "scenes", "person.jpg")


def main():
    ap = arguments(__doc__)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    bench = os.path.join(a.build, "bench", "vigil-detector-bench")
    rows = ["| threads | ms per inference: median | p90 | inferences/s | CPU ms per inference | CPU % of a core "
            "| objects found |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for threads in [int(x) for x in a.threads.split(",")]:
        runs = []
        for r in range(a.runs):
            out = subprocess.run([bench, "--image", PHOTO, "--threads", str(threads), "--seconds", str(a.seconds)],
                                 capture_output=True, text=True, timeout=a.seconds * 10 + 120)
            if out.returncode != 0:
                raise SystemExit(f"vigil-detector-bench failed: {out.stderr[-2000:]}")
            m = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(m)
            print(f"{threads} threads, run {r + 1}: {m}", file=sys.stderr)
        rows.append(f"| {threads} | {spread([m['median_ms'] for m in runs], 1)} | "
                    f"{spread([m['p90_ms'] for m in runs], 1)} | "
                    f"{spread([m['inferences'] / m['seconds'] for m in runs], 1)} | "
                    f"{spread([m['cpu_s'] * 1000 / m['inferences'] for m in runs], 1)} | "
                    f"{spread([m['cpu_s'] / m['seconds'] * 100 for m in runs], 0)} | "
                    f"{spread([m['found'] for m in runs], 0)} |")
    write_section(
        a.results, "detector", "Object detector (NanoDet through OpenCV's DNN)",
        command_line("detector.py", a.build, f"--threads {a.threads} --seconds {a.seconds:g} --runs {a.runs}"),
        f"`vigil-detector-bench` (bench/detector_bench.cpp) opens the model the build converted "
        f"(design/DETECT.md) and runs `ObjectDetector::detect` on a 416x416 region of "
        f"tests/data/scenes/person.jpg (the model's input size: no scaling) back to back for {a.seconds:g} s "
        f"after 3 warm-up runs, OpenCV's thread pool at the given size: the time of each call (letterbox, "
        f"normalisation, inference, decoding, NMS), inferences per second over the window, the process's CPU "
        f"(per inference, and as % of a core: below 100 x threads, the rest went to other processes; on a "
        f"busy machine CPU ms per inference is the figure to compare). "
        f"Median of {a.runs} runs (min-max).",
        "\n".join(rows))


if __name__ == "__main__":
    main()
