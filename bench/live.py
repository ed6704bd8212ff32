#!/usr/bin/env python3
"""Live view latency: `vigil serve` reads testcam streams over RTSP and
serves them on WebSocket (fMP4) to `vigil-live-load` viewers, which take the
send time testcam wrote into each frame's SEI and compare it with the
arrival of the fragment carrying it. In the same run, `vigil probe` reads
the same testcam directly over RTSP: its SEI latency is the path without
vigil in between, so the difference is what the server adds (depacketize,
live registry, fMP4, WebSocket).

  bench/live.py --build build/release [--scenarios 1x1,1x50,1x200,200x1] [--seconds 20] [--json]

A scenario CxV is C cameras with V viewers each.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from testcam_capacity import start, stop  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(base, password):
    """The password is printed before the server listens: retry for a while."""
    deadline = time.monotonic() + 60
    while True:
        req = urllib.request.Request(base + "/api/v1/login", method="POST",
                                     data=json.dumps({"user": "admin", "password": password}).encode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())["token"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_online(base, token, n, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        req = urllib.request.Request(base + "/api/v1/cameras", headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=30) as r:
            cams = json.loads(r.read())
        if sum(1 for c in cams if c["online"]) >= n:
            return
        time.sleep(1)
    raise SystemExit(f"live.py: {n} cameras did not come online within {timeout} s")


def probe_latency(vigil, url, frames):
    r = subprocess.run([vigil, "probe", url, "--frames", str(frames)], capture_output=True, text=True, timeout=120)
    line = json.loads(r.stdout.strip().splitlines()[-1])
    return line.get("send_time_latency_ms", {})


def scenario(build, cameras, viewers, seconds):
    vigil = os.path.join(build, "src/app/vigil")
    load = os.path.join(build, "bench/vigil-live-load")
    testcam, base = start([vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(cameras)],
                          r"at (rtsp://127\.0\.0\.1:\d+)/cam/0")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="vigil-live-") as d:
        config = os.path.join(d, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n')
            for i in range(cameras):
                f.write(f'[[camera]]\nid = "c{i}"\nurl = "{base}/cam/{i}"\nrecord = "off"\n')
        serve, password = start([vigil, "serve", "--config", config], r"admin password: (\S+)")
        try:
            http = f"http://127.0.0.1:{port}"
            token = login(http, password)
            wait_online(http, token, cameras)
            time.sleep(2)
            urls = [f"ws://127.0.0.1:{port}/api/v1/cameras/c{i}/live" for i in range(cameras)]
            r = subprocess.run([load, "--token", token, "--viewers", str(cameras * viewers), "--seconds",
                                str(seconds), *urls], capture_output=True, text=True, timeout=seconds + 120)
            result = json.loads(r.stdout.strip().splitlines()[-1])
            result["direct_rtsp_ms"] = probe_latency(vigil, f"{base}/cam/0", 250)
        finally:
            stop(serve)
            stop(testcam)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--scenarios", default="1x1,1x50,1x200,200x1")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print one JSON object per scenario only")
    args = ap.parse_args()
    rows = []
    for s in args.scenarios.split(","):
        cameras, viewers = (int(x) for x in s.split("x"))
        r = scenario(args.build, cameras, viewers, args.seconds)
        r["scenario"] = s
        rows.append(r)
        if args.json:
            print(json.dumps(r), flush=True)
    if args.json:
        return
    print("| cameras x viewers | sockets | fragments | latency p50 / p99 / max (ms) | direct RTSP p50 / p99 (ms) "
          "| server-added p50 / p99 (ms) | open to first fragment p50 / p95 (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        lat, direct, first = r["latency_ms"], r["direct_rtsp_ms"], r["first_fragment_ms"]
        print(f"| {r['scenario']} | {r['sockets']} | {r['fragments']} | {lat['p50']:.1f} / {lat['p99']:.1f} / "
              f"{lat['max']:.1f} | {direct.get('p50', 0):.1f} / {direct.get('p99', 0):.1f} | "
              f"{lat['p50'] - direct.get('p50', 0):.1f} / {lat['p99'] - direct.get('p99', 0):.1f} | "
              f"{first['p50']:.1f} / {first['p95']:.1f} |")


if __name__ == "__main__":
    main()
