#!/usr/bin/env python3
"""Time to the first live frame in the web UI: `vigil demo` (release build)
and Debian's headless Chromium driven by playwright-core
(web/tests/first_frame.mjs) load the camera grid again and again; each load
counts from navigation start to the first decoded frame of any tile
(WebSocket open, init segment, the cached GOP from its keyframe, MSE decode).

  bench/first_frame.py --build build/release [--cameras 4] [--loads 20]

Prints a Markdown table; --results FILE replaces the section between the
"first frame" markers in that file.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, measured_line, replace_section  # noqa: E402


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--loads", type=int, default=20)
    ap.add_argument("--results")
    a = ap.parse_args()
    env = dict(os.environ, VIGIL_BIN=os.path.join(os.path.abspath(a.build), "src", "app", "vigil"))
    r = subprocess.run(["node", os.path.join(ROOT, "web", "tests", "first_frame.mjs"), "--cameras", str(a.cameras),
                        "--loads", str(a.loads)], env=env, capture_output=True, text=True, timeout=1200)
    if r.returncode != 0:
        raise SystemExit(f"first_frame.mjs failed ({r.returncode}): {r.stderr[-3000:]}")
    ms = sorted(json.loads(r.stdout.strip().splitlines()[-1])["ms"])
    table = "\n".join([
        "| page loads | tiles | median (ms) | p95 (ms) | min (ms) | max (ms) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(ms)} | {min(a.cameras, 4)} | {percentile(ms, 0.5):.0f} | {percentile(ms, 0.95):.0f} | {ms[0]:.0f} | "
        f"{ms[-1]:.0f} |"])
    print(table)
    if a.results:
        command = f"bench/first_frame.py --build {os.path.relpath(a.build, ROOT)} --cameras {a.cameras} --loads {a.loads}"
        replace_section(a.results, "first frame", (
            f"### First live frame in Chromium\n\n{measured_line(command)}\n"
            f"`vigil demo` with {a.cameras} synthetic cameras (1280x720, 25 fps, 2 Mbit/s) and Debian's headless "
            f"Chromium (playwright-core, web/tests/first_frame.mjs), logged in: the grid is loaded {a.loads} times; "
            f"each load counts from navigation start to the first decoded frame of any tile "
            f"(requestVideoFrameCallback): page load, WebSocket open, init segment, the cached GOP from its "
            f"keyframe, MSE decode. Chromium, vigil and its cameras share the 2 cores. Target: < 500 ms.\n\n"
            f"{table}\n"))


if __name__ == "__main__":
    main()
