#!/usr/bin/env python3
"""Live view latency: `vigil serve` reads testcam streams over RTSP and
serves them on WebSocket (fMP4) to `vigil-live-load` viewers, which take the
send time testcam wrote into each frame's SEI and compare it with the
arrival of the fragment carrying it. In the same run, `vigil probe` reads
the same testcam directly over RTSP: its SEI latency is the path without
vigil in between, so the difference is what the server adds (depacketize,
live registry, fMP4, WebSocket).

  bench/live.py --build build/release [--scenarios 1x1,1x50,1x200,200x1] [--seconds 20] [--runs 3] [--size 1280x720]

A scenario CxV is C cameras with V viewers each. Prints a Markdown table;
--results FILE replaces the section between the "live" markers in that file.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (arguments, command_line, serve_logged_in, spread, start_testcam, stop,  # noqa: E402
                      vigil_binary, write_section, write_serve_config)


DISTINCT = 4


def api(base, path, token):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def wait_online(base, token, n, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for c in api(base, "/api/v1/cameras", token) if c["online"]) >= n:
            return
        time.sleep(1)
    raise SystemExit(f"live.py: {n} cameras did not come online within {timeout} s")


def probe_latency(vigil, url, frames):
    r = subprocess.run([vigil, "probe", url, "--frames", str(frames)], capture_output=True, text=True, timeout=120)
    return json.loads(r.stdout.strip().splitlines()[-1]).get("send_time_latency_ms", {})


def scenario(build, cameras, viewers, seconds, size, ramp):
    """One run: vigil-live-load's JSON plus the direct RTSP latency."""
    vigil = vigil_binary(build)
    load = os.path.join(build, "bench", "vigil-live-load")
    # Cameras beyond DISTINCT reuse an encoded stream (camera i plays
    # /cam/(i mod DISTINCT)): encoding 200 would take minutes.
    testcam, base = start_testcam(vigil, min(cameras, DISTINCT), size=size)
    serve = None
    try:
        with tempfile.TemporaryDirectory(prefix="vigil-live-") as d:
            config = os.path.join(d, "vigil.toml")
            write_serve_config(config, f"{d}/data", [f"{base}/cam/{i % DISTINCT}" for i in range(cameras)],
                               record="off")
            serve, http, token = serve_logged_in(vigil, config)
            wait_online(http, token, cameras)
            time.sleep(2)
            urls = [http.replace("http:", "ws:") + f"/api/v1/cameras/c{i}/live" for i in range(cameras)]
            r = subprocess.run([load, "--token", token, "--viewers", str(cameras * viewers), "--ramp", str(ramp),
                                "--seconds", str(seconds), *urls], capture_output=True, text=True,
                               timeout=seconds + 120)
            if r.returncode != 0 or not r.stdout.strip():
                raise SystemExit(f"vigil-live-load failed: {r.stderr[-2000:]}")
            result = json.loads(r.stdout.strip().splitlines()[-1])
            result["direct_rtsp_ms"] = probe_latency(vigil, f"{base}/cam/0", 250)
    finally:
        if serve:
            stop(serve)
        stop(testcam)
    return result


def verdicts(runs):
    """A line per scenario: the medians against the targets."""
    lines = [""]
    for s, rs in runs.items():
        p99 = statistics.median(r["latency_ms"]["p99"] for r in rs)
        first = statistics.median(r["first_fragment_ms"]["p95"] for r in rs)
        lines.append(f"- {s}: latency p99 {p99:.1f} ms ({'met' if p99 < 20 else 'NOT met'}), open to first "
                     f"fragment p95 {first:.1f} ms ({'met' if first < 100 else 'NOT met'}).")
    return lines


def main():
    ap = arguments(__doc__)
    ap.add_argument("--scenarios", default="1x1,1x50,1x200,200x1")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--ramp", type=float, default=2.0, help="viewers join evenly over this many seconds")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", default="1280x720", help="testcam's picture size")
    a = ap.parse_args()

    runs = {}  # scenario -> [result]
    for r in range(a.runs):
        for s in a.scenarios.split(","):
            cameras, viewers = (int(x) for x in s.split("x"))
            result = scenario(a.build, cameras, viewers, a.seconds, a.size, a.ramp)
            runs.setdefault(s, []).append(result)
            lat = result["latency_ms"]
            print(f"{s}, run {r + 1}: {result['sockets']} sockets, {result['failed']} failed, "
                  f"{result['fragments']} fragments, latency p50 {lat['p50']:.1f} p99 {lat['p99']:.1f} ms, direct "
                  f"RTSP p50 {result['direct_rtsp_ms'].get('p50', 0):.1f} ms", file=sys.stderr, flush=True)

    def cell(rs, key, q, digits=1):
        return spread([r[key].get(q, 0) for r in rs], digits)

    def added(rs, q):
        return spread([r["latency_ms"][q] - r["direct_rtsp_ms"].get(q, 0) for r in rs], 1)

    table = ["| cameras x viewers | sockets open | fragments received | latency p50 (ms) | latency p99 (ms) "
             "| direct RTSP p50 (ms) | direct RTSP p99 (ms) | server-added p50 (ms) | server-added p99 (ms) "
             "| open to first fragment p50 (ms) | p95 (ms) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s, rs in runs.items():
        table.append(f"| {s} | {spread([r['sockets'] - r['failed'] for r in rs], 0)} | "
                     f"{spread([r['fragments'] for r in rs], 0)} | {cell(rs, 'latency_ms', 'p50')} | "
                     f"{cell(rs, 'latency_ms', 'p99')} | {cell(rs, 'direct_rtsp_ms', 'p50')} | "
                     f"{cell(rs, 'direct_rtsp_ms', 'p99')} | {added(rs, 'p50')} | {added(rs, 'p99')} | "
                     f"{cell(rs, 'first_fragment_ms', 'p50')} | {cell(rs, 'first_fragment_ms', 'p95')} |")
    write_section(
        a.results, "live",
        "Live latency (testcam -> vigil serve -> WebSocket fMP4, against testcam -> RTSP directly)",
        command_line("live.py", a.build, f"--scenarios {a.scenarios} --seconds {a.seconds} --runs {a.runs} "
                     f"--size {a.size} --ramp {a.ramp:g}"),
        f"`vigil serve` (record = off) reads C testcam streams ({a.size}, 25 fps, 2 Mbit/s, RTSP over TCP on "
        f"loopback) and `bench/vigil-live-load` (bench/live_load.cpp, 2 threads) opens V WebSockets per "
        f"camera on `/api/v1/cameras/{{id}}/live`, for {a.seconds} s. Latency: from the send time testcam "
        f"writes into each frame's SEI to the arrival of the fragment carrying it, for the frames sent after "
        f"the socket opened (the cached GOP a viewer starts with is older by design). Direct RTSP: the same "
        f"latency for `vigil probe` reading testcam's first stream in the same run, without vigil serve in "
        f"between; server-added = latency - direct (the same percentile). Open to first fragment: from "
        f"starting the TCP connect to the first fragment (it starts at the cached keyframe). Everything, "
        f"load generator included, shares the 2 cores. The V x C viewers join evenly over the first {a.ramp:g} s "
        f"(as people do; all at once, 200 cached GOPs go out together and the load generator's own queue "
        f"dominates the first-fragment time). Each cell is the median of "
        f"{a.runs} runs (min-max). Targets (issue 5): latency p99 < 20 ms, open to first fragment p95 < 100 ms.",
        "\n".join(table + verdicts(runs)))


if __name__ == "__main__":
    main()
