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
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, arguments, command_line, vigil_binary, write_section  # noqa: E402


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    ap = arguments(__doc__)
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--loads", type=int, default=20)
    a = ap.parse_args()
    env = dict(os.environ, VIGIL_BIN=vigil_binary(os.path.abspath(a.build)))
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
    write_section(
        a.results, "first frame", "First live frame in Chromium",
        command_line("first_frame.py", a.build, f"--cameras {a.cameras} --loads {a.loads}"),
        f"`vigil demo` with {a.cameras} synthetic cameras (1280x720, 25 fps, 2 Mbit/s) and Debian's headless "
        f"Chromium (playwright-core, web/tests/first_frame.mjs), logged in: the grid is loaded {a.loads} times; "
        f"each load counts from navigation start to the first decoded frame of any tile "
        f"(requestVideoFrameCallback): page load, WebSocket open, init segment, the cached GOP from its "
        f"keyframe, MSE decode. Chromium, vigil and its cameras share the 2 cores. Target: < 500 ms.",
        table)


if __name__ == "__main__":
    main()
